"""LangfuseGrafana: a Grafana (Grafana Operator v5) behind a TLS Route, signing in through Red Hat SSO, with
a datasource on OpenShift's Thanos querier and the dashboards of dashboards.py.

The datasource reads only this namespace's series: the querier's tenancy port (9092) with `namespace=<ns>`
on every request, and a token of a service account whose only grant is a namespaced Role (the rules the
tenancy port checks, monitoring/thanos.py), as the worker's KEDA trigger does. Every dashboard series
carries this namespace's label (user-workload scrapes, and kube-state-metrics and cAdvisor series of its
pods). The router's HAProxy series live in openshift-ingress and describe every tenant's routes, so reading
them needs `cluster-monitoring-view` on port 9091, which is every namespace's metrics: the dashboards show
the public route through the blackbox probe's series instead (README, Monitoring). Grafana Operator reads
datasource credentials from a Secret, so the token is a service-account token Secret that Kubernetes fills
in; nothing secret is rendered.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.common.labels import recommended_labels
from components.common.pod_security import restricted_container_security_context, restricted_pod_security_context
from components.common.refs import ConfigMapKeyRef, SecretKeyRef
from components.monitoring.contract import GRAFANA_INSTANCE_SELECTOR as INSTANCE_SELECTOR
from components.monitoring.contract import GRAFANA_NAME as NAME
from components.monitoring.contract import GRAFANA_POD_LABELS as POD_LABELS
from components.monitoring.dashboards import DASHBOARDS, DATASOURCE_UID, dashboard_json, usage
from components.monitoring.thanos import THANOS_TENANCY_URL, namespace_metrics_reader_rules

# Public pin (grafana/grafana 12.1.1); verify with `skopeo inspect` before the first deploy.
GRAFANA_IMAGE = "docker.io/grafana/grafana:12.1.1@sha256:a1701c2180249361737a99a01bc770db39381640e4d631825d38ff4535efa47d"
DATASOURCE_ACCOUNT = "langfuse-grafana-datasource"


@dataclass(frozen=True)
class GrafanaSso:
    issuer: str  # Keycloak realm URL
    client_id: str
    client_secret: SecretKeyRef
    admin_group: str  # members of this Keycloak group are Grafana admins; everyone else is a viewer


@dataclass(frozen=True)
class LangfuseGrafanaArgs:
    namespace: str
    hostname: str
    sso: GrafanaSso
    service_ca_bundle: ConfigMapKeyRef  # signs the Thanos querier's certificate
    replicas: int
    usage_dashboard: bool = False  # the usage exporter runs: cost and usage per project


class LangfuseGrafana(pulumi.ComponentResource):
    def __init__(self, name: str, args: LangfuseGrafanaArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("langfuse-rosa:monitoring:LangfuseGrafana", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        ns = args.namespace
        labels = recommended_labels("grafana", "dashboards", "langfuse")
        selector = INSTANCE_SELECTOR

        account = k8s.core.v1.ServiceAccount(
            DATASOURCE_ACCOUNT,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=DATASOURCE_ACCOUNT, namespace=ns, labels=labels),
            automount_service_account_token=False,
            opts=child,
        )
        role = k8s.rbac.v1.Role(
            DATASOURCE_ACCOUNT,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=DATASOURCE_ACCOUNT, namespace=ns, labels=labels),
            rules=namespace_metrics_reader_rules(),
            opts=child,
        )
        k8s.rbac.v1.RoleBinding(
            DATASOURCE_ACCOUNT,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=DATASOURCE_ACCOUNT, namespace=ns, labels=labels),
            role_ref=k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="Role", name=DATASOURCE_ACCOUNT),
            subjects=[k8s.rbac.v1.SubjectArgs(kind="ServiceAccount", name=DATASOURCE_ACCOUNT, namespace=ns)],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role, account]),
        )
        token = k8s.core.v1.Secret(
            f"{DATASOURCE_ACCOUNT}-token",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=f"{DATASOURCE_ACCOUNT}-token",
                namespace=ns,
                labels=labels,
                annotations={"kubernetes.io/service-account.name": DATASOURCE_ACCOUNT},
            ),
            type="kubernetes.io/service-account-token",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[account]),
        )
        issuer = args.sso.issuer.rstrip("/")
        grafana = k8s.apiextensions.CustomResource(
            NAME,
            api_version="grafana.integreatly.org/v1beta1",
            kind="Grafana",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=NAME, namespace=ns, labels={**labels, **selector}),
            spec={
                "version": GRAFANA_IMAGE,
                "config": {
                    "server": {"root_url": f"https://{args.hostname}"},
                    "auth": {"disable_login_form": "true", "oauth_auto_login": "true"},
                    "auth.basic": {"enabled": "false"},
                    "auth.anonymous": {"enabled": "false"},
                    "auth.generic_oauth": {
                        "enabled": "true",
                        "name": "Red Hat SSO",
                        "client_id": args.sso.client_id,
                        "scopes": "openid email profile",
                        "auth_url": f"{issuer}/protocol/openid-connect/auth",
                        "token_url": f"{issuer}/protocol/openid-connect/token",
                        "api_url": f"{issuer}/protocol/openid-connect/userinfo",
                        "use_pkce": "true",
                        "role_attribute_path": f"contains(groups[*], '{args.sso.admin_group}') && 'Admin' || 'Viewer'",
                        "role_attribute_strict": "true",
                    },
                    "security": {"cookie_secure": "true", "disable_gravatar": "true"},
                    "analytics": {"reporting_enabled": "false", "check_for_updates": "false"},
                    "log": {"mode": "console"},
                },
                "route": {
                    "spec": {
                        "host": args.hostname,
                        "tls": {"termination": "edge", "insecureEdgeTerminationPolicy": "Redirect"},
                    },
                    "metadata": {"annotations": {"haproxy.router.openshift.io/hsts_header": "max-age=31536000;includeSubDomains"}},
                },
                "deployment": {
                    "spec": {
                        "replicas": args.replicas,
                        "template": {
                            "metadata": {"labels": POD_LABELS},
                            "spec": {
                                "automountServiceAccountToken": False,
                                "securityContext": restricted_pod_security_context(),
                                "containers": [
                                    {
                                        "name": "grafana",
                                        "env": [
                                            {
                                                "name": "GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET",
                                                "valueFrom": {
                                                    "secretKeyRef": {"name": args.sso.client_secret.name, "key": args.sso.client_secret.key}
                                                },
                                            }
                                        ],
                                        "resources": {
                                            "requests": {"cpu": "100m", "memory": "256Mi"},
                                            "limits": {"cpu": "1", "memory": "512Mi"},
                                        },
                                        # Grafana writes its SQLite database and plugins to /var/lib/grafana (a
                                        # volume the operator mounts) and temporary files to its root filesystem.
                                        "securityContext": {**restricted_container_security_context(), "readOnlyRootFilesystem": False},
                                    }
                                ],
                            }
                        },
                    }
                },
            },
            opts=child,
        )
        in_grafana = pulumi.ResourceOptions(parent=self, depends_on=[grafana, token])
        instance = {"matchLabels": selector}
        k8s.apiextensions.CustomResource(
            f"{NAME}-thanos",
            api_version="grafana.integreatly.org/v1beta1",
            kind="GrafanaDatasource",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{NAME}-thanos", namespace=ns, labels=labels),
            spec={
                "instanceSelector": instance,
                "datasource": {
                    "name": "OpenShift monitoring (Thanos)",
                    "uid": DATASOURCE_UID,
                    "type": "prometheus",
                    "access": "proxy",
                    "url": THANOS_TENANCY_URL,
                    "isDefault": True,
                    "editable": False,
                    "jsonData": {
                        "httpHeaderName1": "Authorization",
                        "tlsAuthWithCACert": True,
                        "timeInterval": "30s",
                        # The tenancy port refuses a request without it; Grafana appends it to every query.
                        "customQueryParameters": f"namespace={ns}",
                        # GET keeps `namespace` in the URL, where the proxy authorises it (as KEDA's trigger sends it).
                        "httpMethod": "GET",
                    },
                    # The operator replaces `${<key>}` with the value of the referenced key (grafana-operator
                    # controllers/datasource_controller.go, buildDatasourceModel).
                    "secureJsonData": {"httpHeaderValue1": "Bearer ${token}", "tlsCACert": f"${{{args.service_ca_bundle.key}}}"},
                },
                "valuesFrom": [
                    {"targetPath": "secureJsonData.httpHeaderValue1", "valueFrom": {"secretKeyRef": {"name": f"{DATASOURCE_ACCOUNT}-token", "key": "token"}}},
                    {
                        "targetPath": "secureJsonData.tlsCACert",
                        "valueFrom": {"configMapKeyRef": {"name": args.service_ca_bundle.name, "key": args.service_ca_bundle.key}},
                    },
                ],
            },
            opts=in_grafana,
        )
        for build in (*DASHBOARDS, *((usage,) if args.usage_dashboard else ())):
            content = dashboard_json(build, ns)
            k8s.apiextensions.CustomResource(
                f"{NAME}-{content['uid']}",
                api_version="grafana.integreatly.org/v1beta1",
                kind="GrafanaDashboard",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=content["uid"], namespace=ns, labels=labels),
                spec={"instanceSelector": instance, "folder": "Langfuse", "json": json.dumps(content, sort_keys=True)},
                opts=in_grafana,
            )
        self.register_outputs({"url": f"https://{args.hostname}"})
