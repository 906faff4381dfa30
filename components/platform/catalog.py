"""The operators the data tier needs, pinned (the same pins on every supported OpenShift release but OpenShift
Logging's, whose lines each list a few releases: components/platform/openshift_support.py says which, and why).

- CloudNativePG is published only to OperatorHub.io, not to a catalog OpenShift ships, so it gets its own
  CatalogSource: the versioned catalog image each CloudNativePG release pushes (`<operator image>-catalog`,
  cloudnative-pg .github/workflows/release-publish.yml). 1.30 requires Kubernetes 1.31 (CSV minKubeVersion),
  i.e. ROSA 4.18, and upstream tests it on 1.30/1.31 without supporting them; CloudNativePG's community does
  not support OpenShift either. EDB's certified operator is the supported alternative (a different API group).
- Red Hat's External Secrets Operator for OpenShift: `redhat-operators`, package
  `openshift-external-secrets-operator`, channel `stable-v1`, AllNamespaces only, minKubeVersion 1.31
  (openshift/external-secrets-operator bundle). Its operand is deployed by an ExternalSecretsConfig named
  `cluster`.
- Red Hat's Custom Metrics Autoscaler (KEDA): `redhat-operators`, package
  `openshift-custom-metrics-autoscaler-operator`, channel `stable`, installed into `openshift-keda` in
  OwnNamespace mode as Red Hat's documentation installs it; since 2.17.2 the operator creates its
  KedaController itself (release notes, "Custom Metrics Autoscaler Operator 2.17.2"), and KEDA then serves
  ScaledObjects in every namespace. 2.18/2.19 list OpenShift 4.12-4.21 as supported.
- Grafana Operator v5: `community-operators`, package `grafana-operator`, channel `v5`, AllNamespaces.
- Altinity's ClickHouse operator is in Red Hat's `community-operators` catalog as package `clickhouse`,
  channel `latest` (operators/clickhouse in redhat-openshift-ecosystem/community-operators-prod).
- Red Hat's cert-manager Operator for OpenShift, for the Barman Cloud Plugin's certificates: `redhat-operators`,
  package `openshift-cert-manager-operator`, channel `stable-v1`, CSV cert-manager-operator.v1.19.1 into
  `cert-manager-operator` (its suggested namespace), AllNamespaces; minKubeVersion 1.31.0; it runs cert-manager
  v1.19 in the namespace `cert-manager`, which it creates, from the `cluster` CertManager it also creates itself
  (openshift/cert-manager-operator branch cert-manager-1.19, dc5057ca: bundle/manifests/
  cert-manager-operator.clusterserviceversion.yaml, bindata/cert-manager-deployment,
  pkg/controller/certmanager/default_cert_manager_controller.go). The channel head of `stable-v1` is v1.19.1
  (public cluster records of `oc get subscription`; verify with `oc describe packagemanifest
  openshift-cert-manager-operator -n openshift-marketplace` before the first install).
- Red Hat OpenShift Logging, for the API server's audit log: `redhat-operators`, package `cluster-logging`,
  channel `stable-6.4`, CSV cluster-logging.v6.4.7, into `openshift-logging` (its suggested namespace, labelled
  for cluster monitoring as its CSV asks: operatorframework.io/cluster-monitoring), AllNamespaces. 6.4 is the
  newest line whose bundle lists OpenShift 4.18 (OPENSHIFT_VERSIONS "v4.16-v4.19"; 6.5 starts at 4.19);
  openshift/cluster-logging-operator branch release-6.4 at 1215c349 (2026-08-21): Makefile, bundle/art.yaml
  (name cluster-logging.v6.4.7), bundle/manifests/cluster-logging.clusterserviceversion.yaml. Verify the channel
  head with `oc describe packagemanifest cluster-logging -n openshift-marketplace` before the first install.
  Not being listed for 4.20, 6.4 is not in that release's catalog: OpenShift 4.19 and 4.20 get 6.5 (channel
  `stable-6.5`, CSV cluster-logging.v6.5.3, OPENSHIFT_VERSIONS "v4.19-v4.22", skipRange ">=6.3.0-0 <6.5.0", so
  OLM upgrades a running 6.4 when the channel moves; branch release-6.5 at 4e85dbb7, the same files). Its
  ClusterLogForwarder CRD and collector are 6.4's for everything the stack renders (same API version, the
  CloudWatch output unchanged, service-account audience "openshift", the collect-*-logs ClusterRoles).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from components.clickhouse.contract import CHOP_POD_LABELS, OPERATOR_ACCESS_PORT
from components.monitoring.contract import GRAFANA_POD_LABELS, GRAFANA_PORT
from components.network.model import NamespacePods, Reach, tcp
from components.network.openshift import THANOS_QUERIER, THANOS_QUERIER_TENANCY_PORT
from components.postgres.contract import INSTANCE_ROLE
from components.postgres.contract import STATUS_PORT as POSTGRES_STATUS_PORT

ANY_NAMESPACE: dict[str, str] = {}


@dataclass(frozen=True)
class OperatorPackage:
    package: str
    channel: str
    starting_csv: str
    source: str  # CatalogSource name in openshift-marketplace
    namespace: str  # where the operator runs; it watches all namespaces
    catalog_image: str | None = None  # set when the package is in no catalog OpenShift ships
    own_namespace: bool = False  # OwnNamespace install mode (the operator still acts cluster-wide through its operand)
    reaches: tuple[Reach, ...] = ()  # where its pods connect besides the API server and DNS (NetworkPolicies)
    namespace_labels: tuple[tuple[str, str], ...] = ()  # extra labels its namespace needs


CLOUDNATIVE_PG_VERSION = "1.30.0"
CLOUDNATIVE_PG = OperatorPackage(
    package="cloudnative-pg",
    channel="stable-v1",
    starting_csv=f"cloudnative-pg.v{CLOUDNATIVE_PG_VERSION}",
    source="cloudnative-pg",
    namespace="cnpg-system",
    catalog_image=f"ghcr.io/cloudnative-pg/cloudnative-pg:{CLOUDNATIVE_PG_VERSION}-ubi9-catalog",
    reaches=(
        Reach(NamespacePods("postgresql-instances", ANY_NAMESPACE, INSTANCE_ROLE), tcp(POSTGRES_STATUS_PORT), "instance status"),
    ),
)

ALTINITY_CLICKHOUSE = OperatorPackage(
    package="clickhouse",
    channel="latest",
    starting_csv="clickhouse-operator.v0.26.3",
    source="community-operators",
    namespace="clickhouse-operator",
    reaches=(
        Reach(NamespacePods("clickhouse-servers", ANY_NAMESPACE, CHOP_POD_LABELS), tcp(OPERATOR_ACCESS_PORT), "schema and metrics queries"),
    ),
)


EXTERNAL_SECRETS = OperatorPackage(
    package="openshift-external-secrets-operator",
    channel="stable-v1",
    starting_csv="openshift-external-secrets-operator.v1.1.0",
    source="redhat-operators",
    namespace="external-secrets-operator",
)

CUSTOM_METRICS_AUTOSCALER = OperatorPackage(
    package="openshift-custom-metrics-autoscaler-operator",
    channel="stable",
    starting_csv="custom-metrics-autoscaler.v2.19.0-4",
    source="redhat-operators",
    namespace="openshift-keda",
    own_namespace=True,
    reaches=(Reach(THANOS_QUERIER, (THANOS_QUERIER_TENANCY_PORT,), "Prometheus triggers (the worker's backlog)"),),
)

CERT_MANAGER = OperatorPackage(
    package="openshift-cert-manager-operator",
    channel="stable-v1",
    starting_csv="cert-manager-operator.v1.19.1",
    source="redhat-operators",
    namespace="cert-manager-operator",
)
CERT_MANAGER_OPERAND_NAMESPACE = "cert-manager"

OPENSHIFT_LOGGING = OperatorPackage(
    package="cluster-logging",
    channel="stable-6.4",
    starting_csv="cluster-logging.v6.4.7",
    source="redhat-operators",
    namespace="openshift-logging",
    namespace_labels=(("openshift.io/cluster-monitoring", "true"),),
)
OPENSHIFT_LOGGING_6_5 = replace(OPENSHIFT_LOGGING, channel="stable-6.5", starting_csv="cluster-logging.v6.5.3")

GRAFANA_OPERATOR = OperatorPackage(
    package="grafana-operator",
    channel="v5",
    starting_csv="grafana-operator.v5.22.2",
    source="community-operators",
    namespace="grafana-operator",
    reaches=(Reach(NamespacePods("langfuse-grafana", ANY_NAMESPACE, GRAFANA_POD_LABELS), tcp(GRAFANA_PORT), "provisioning through Grafana's API"),),
)

# Every operator the cluster layer installs (OpenShift Logging at its 4.18 pin; openshift_support.cluster_operators
# gives a release's own pins). The namespaces are the same on every release.
CLUSTER_OPERATORS: tuple[OperatorPackage, ...] = (
    CLOUDNATIVE_PG,
    ALTINITY_CLICKHOUSE,
    EXTERNAL_SECRETS,
    CUSTOM_METRICS_AUTOSCALER,
    GRAFANA_OPERATOR,
    CERT_MANAGER,
    OPENSHIFT_LOGGING,
)
