"""`langfuse-rosa new-stack`: a commented stack file for a new environment (or its cluster layer), from what
`rosa describe cluster` and `oc` print, checked by the real loader before it is written."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import NamedTuple

from components.platform.openshift_support import SUPPORTED

SCHEMA_COMMENT = "# yaml-language-server: $schema=../schemas/stack-config.schema.json"


@dataclass(frozen=True)
class NewStack:
    stack: str
    layer: str  # environment | cluster
    environment: str  # dev | staging | prod
    account_id: str
    region: str
    cluster_name: str
    openshift_version: str
    kube_context: str
    apps_domain: str
    api_server_cidrs: tuple[str, ...]
    resource_prefix: str
    oidc_endpoint_url: str
    csi_driver_role_arn: str | None = None  # cluster layer


def oidc_provider_arn(account_id: str, oidc_endpoint_url: str) -> str:
    """The IAM OIDC provider of a ROSA STS cluster, from the "OIDC Endpoint URL" `rosa describe cluster` prints: IAM
    names a provider after its issuer URL without `https://` (arn:aws:iam::<account>:oidc-provider/<host>/<path>; the
    AWS Load Balancer Operator's ROSA scripts derive it the same way from that line). The URL is
    https://oidc.op1.openshiftapps.com/<id> "(Managed)" for clusters with a managed OIDC config (every HCP cluster,
    and classic clusters created with one), https://rh-oidc.s3.<region>.amazonaws.com/<id> "(Classic)" for older
    classic STS clusters (ROSA docs, "rosa describe cluster" sample output); the rule is the same."""
    # The line reads "OIDC Endpoint URL:  https://... (Managed)": the URL is its first word (rosa cmd/describe/cluster).
    words = oidc_endpoint_url.split()
    issuer = re.sub(r"^https://", "", words[0] if words else "").rstrip("/")
    return f"arn:aws:iam::{account_id}:oidc-provider/{issuer}"


class _Tier(NamedTuple):
    web: tuple[int, int]  # replicas min, max
    worker: tuple[int, int]
    cpu: tuple[str, str]  # request, limit
    memory: str
    pg: int  # PostgreSQL instances
    ch: int  # ClickHouse replicas
    keeper: int
    spread: str  # zoneAntiAffinity


# Sizing per tier: dev is small and single-copy where HA is not needed; staging and prod start at Langfuse's floor.
_SIZES = {
    "dev": _Tier((1, 2), (1, 2), ("500m", "1"), "2Gi", 2, 1, 1, "preferred"),
    "staging": _Tier((2, 4), (2, 6), ("2", "2"), "4Gi", 3, 3, 3, "required"),
    "prod": _Tier((3, 12), (3, 16), ("2", "2"), "4Gi", 3, 3, 3, "required"),
}


def _q(value: str) -> str:
    """A YAML scalar that stays a string whatever it holds (JSON strings are YAML): every value given on the command
    line goes through it, so `#`, `: `, a comma or a newline in one reaches the loader as that value (and its error),
    never as a cut-off value, an extra list item or a broken file."""
    return json.dumps(value)


def render(spec: NewStack) -> str:
    return _cluster(spec) if spec.layer == "cluster" else _environment(spec)


def _head(spec: NewStack, what: str) -> str:
    return f"""{SCHEMA_COMMENT}
# {what}
# Written by `langfuse-rosa new-stack`; every key is explained in docs/config-reference.md.
# Check it offline with `.venv/bin/langfuse-rosa plan --stack {spec.stack}`, then follow the README's First deployment.
config:
  langfuse-rosa:environment: {spec.environment}
  # From `rosa describe cluster -c {_q(spec.cluster_name)}`: Name, Region, OpenShift Version (minor only; supported: {", ".join(SUPPORTED)}).
  langfuse-rosa:cluster:
    name: {_q(spec.cluster_name)}
    region: {_q(spec.region)}
    openshiftVersion: {_q(spec.openshift_version)}
    # `oc config current-context` after `oc login` to this cluster: pins the stack to it.
    kubeContext: {_q(spec.kube_context)}
    # `oc get ingresses.config cluster -o jsonpath='{{.spec.domain}}'`
    appsDomain: {_q(spec.apps_domain)}
"""


def _api_server(spec: NewStack) -> str:
    cidrs = ", ".join(_q(cidr) for cidr in spec.api_server_cidrs)
    return f"""  # The API server's addresses: `oc get endpoints kubernetes -n default` (the namespaces are default-deny).
  langfuse-rosa:network:
    apiServer: {{ cidrs: [{cidrs}], port: 6443 }}
"""


def _object_lock(spec: NewStack) -> str:
    # The policy pack requires object lock on the backups bucket in prod (policies/config/prod.json).
    if spec.environment != "prod":
        return ""
    return "    # Object lock (governance) on the backups bucket, days; the policy pack requires at least 30 in prod.\n    objectLockDays: 35\n"


def _max_connections(spec: NewStack) -> str:
    # Every pool Langfuse can open at the autoscaling ceiling must fit (docs/decisions.md: PostgreSQL connections); the loader
    # refuses the file otherwise, with the arithmetic.
    if spec.environment != "prod":
        return ""
    return "      # A rollout at the ceiling can hold 331 connections; the rest is headroom.\n      maxConnections: 400\n"


def _cluster(spec: NewStack) -> str:
    approval = "Manual" if spec.environment == "prod" else "Automatic"
    return (
        _head(
            spec,
            f"Cluster layer of the {spec.environment} cluster: the EBS key and encrypted StorageClass, the operators (OLM) and their operands.",
        )
        + f"""  langfuse-rosa:layer: cluster
  langfuse-rosa:aws:
    accountId: {_q(spec.account_id)}
    # From the "OIDC Endpoint URL" of `rosa describe cluster`: the audit log collector's role trusts it.
    oidcProviderArn: {_q(oidc_provider_arn(spec.account_id, spec.oidc_endpoint_url))}
    # Names the EBS and audit log keys' aliases, the audit log groups and the collector's role (<prefix>-...).
    resourcePrefix: {_q(spec.resource_prefix)}
  langfuse-rosa:operators:
    # Manual: every operator install and upgrade waits for `oc patch installplan ... approved=true`.
    installPlanApproval: {approval}
    # The steady state. The very first apply on a new cluster runs with operands off (README, First deployment, step 6).
    operandsEnabled: true
{_api_server(spec)}  langfuse-rosa:storage:
    # ROSA's operator role of the EBS CSI driver: `rosa list operator-roles --cluster {_q(spec.cluster_name)}`
    # (the ...-openshift-cluster-csi-drivers-ebs-cloud-credentials role).
    csiDriverRoleArn: {_q(spec.csi_driver_role_arn or "")}
  # The API server's audit log goes to CloudWatch Logs (Red Hat OpenShift Logging): every request in these
  # namespaces, writes elsewhere. List the langfuse.namespace of every environment stack on this cluster.
  langfuse-rosa:audit:
    namespaces: [langfuse-{spec.environment}]
"""
    )


def _environment(spec: NewStack) -> str:
    size = _SIZES[spec.environment]
    cpu_request, cpu_limit = size.cpu
    workload = lambda replicas: (  # noqa: E731
        f"replicas: {{ min: {replicas[0]}, max: {replicas[1]} }}\n"
        f"      cpu: {{ request: {_q(cpu_request)}, limit: {_q(cpu_limit)} }}\n"
        f"      memory: {size.memory}"
    )
    return (
        _head(
            spec,
            f"The {spec.environment} environment: Langfuse, its data tier in the cluster, its AWS side. Secrets never appear here.",
        )
        + f"""  langfuse-rosa:langfuse:
    namespace: langfuse-{spec.environment}
    # Set hostname (and its certificate) for a name outside the cluster's apps domain (README: custom hostname).
    web:
      {workload(size.web)}
    worker:
      {workload(size.worker)}
  # Sign-in through Red Hat SSO: set enabled, issuer, clientId and clientSecret (a Secrets Manager reference).
  langfuse-rosa:sso:
    enabled: false
  langfuse-rosa:aws:
    accountId: {_q(spec.account_id)}
    # From the "OIDC Endpoint URL" of `rosa describe cluster`: arn:aws:iam::<account>:oidc-provider/<URL without https://>.
    oidcProviderArn: {_q(oidc_provider_arn(spec.account_id, spec.oidc_endpoint_url))}
    # Bucket, role, key alias and secret names derive from it; bucket names are global, so make it unique.
    resourcePrefix: {_q(spec.resource_prefix)}
{_object_lock(spec)}{_api_server(spec)}  langfuse-rosa:backend:
    mode: in-cluster
  langfuse-rosa:dataTier:
    postgres:
      instances: {size.pg}
      zoneAntiAffinity: {size.spread}
{_max_connections(spec)}    clickhouse:
      replicas: {size.ch}
      keeperReplicas: {size.keeper}
      zoneAntiAffinity: {size.spread}
    redis:
      zoneAntiAffinity: {size.spread}
  # `langfuse-rosa verify` (and the deploy workflow after each `up`) sends a trace with this key: a project made
  # in Langfuse's UI once it runs, its key stored here in Secrets Manager (README, First deployment, step 10).
  langfuse-rosa:verification:
    projectKey: {{ secretsManagerName: {_q(spec.resource_prefix + "/langfuse-verification-key")} }}
"""
    )
