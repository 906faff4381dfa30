"""TenantController: the tenant controller's Deployment (one replica, Recreate: kopf docs/deployment.rst,
"only one pod should be running at a time ... use .spec.strategy.type=Recreate"), its ServiceAccount and
cluster-wide RBAC, the admission policy, its PodMonitor, and the key it acts with (an ExternalSecret from
Secrets Manager). It runs in the Langfuse namespace, whose NetworkPolicies allow it only the web Service and
the API server (components/network/langfuse_flows.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_kubernetes as k8s
from langfuse_incluster import contract

from components.common.env import secret_env
from components.common.labels import recommended_labels
from components.common.pod_security import (
    NEEDS_API_TOKEN_ANNOTATION,
    restricted_container_security_context,
    restricted_pod_security_context,
)
from components.common.scheduling import ZONE_KEY, disruption_budget, spread
from components.langfuse.contract import web_api_url
from components.monitoring.series import ExportedSeries
from components.secrets import SecretValue, external_secret
from components.tenancy import admission, rbac
from components.tenancy.usage import SINGLE_INSTANCE, DefaultBudget, budget_environment

NAME = contract.CONTROLLER_NAME
KEY_SECRET = "langfuse-tenant-controller-key"
# What its PodMonitor (below) brings in that alerts read (alerts.py): the controller's key gauges, which
# incluster/tests/test_rotation_timeline.py reads from the controller's registry.
EXPORTED_SERIES = ExportedSeries(
    kind="PodMonitor",
    name=NAME,
    series=frozenset({contract.KEY_AGE_METRIC, contract.KEY_ROTATION_PERIOD_METRIC}),
)


@dataclass(frozen=True)
class ControllerKey:
    """The key the controller acts with: the organisation key (per-project mode) or the shared project's key."""

    secrets_manager_name: str
    public_key_property: str
    secret_key_property: str


@dataclass(frozen=True)
class TenantControllerArgs:
    namespace: str
    image: str  # registry/repository@sha256:...
    mode: Literal["per-project", "shared"]
    public_host: str  # https://<the Route's host>: what langfuse-keys tells the SDKs
    key: ControllerKey
    store: str  # the namespace's SecretStore
    rotation_days: int
    rotation_overlap_hours: int
    deletion_policy: Literal["Retain", "Delete"]
    default_budget: DefaultBudget | None = None  # usage reporting on: the controller reports each project's budget
    # Per-project mode with the analytics cluster: each project's blob export (LANGFUSE_EXPORT_*; contract.py).
    export_env: dict[str, str] | None = None


class TenantController(pulumi.ComponentResource):
    def __init__(self, name: str, args: TenantControllerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("langfuse-rosa:tenancy:TenantController", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        labels = recommended_labels(NAME, "tenant-controller", "langfuse")
        metadata = k8s.meta.v1.ObjectMetaArgs(name=NAME, namespace=args.namespace, labels=labels)
        account = k8s.core.v1.ServiceAccount(NAME, metadata=metadata, opts=child)
        role = k8s.rbac.v1.ClusterRole(
            NAME, metadata=k8s.meta.v1.ObjectMetaArgs(name=NAME, labels=labels), rules=rbac.cluster_role_rules(), opts=child
        )
        k8s.rbac.v1.ClusterRoleBinding(
            NAME,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=NAME, labels=labels),
            role_ref=k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=NAME),
            subjects=[k8s.rbac.v1.SubjectArgs(kind="ServiceAccount", name=NAME, namespace=args.namespace)],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role, account]),
        )
        username = admission.service_account_username(args.namespace, NAME)
        policy = k8s.admissionregistration.v1.ValidatingAdmissionPolicy(
            admission.POLICY_NAME,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=admission.POLICY_NAME, labels=labels),
            spec=admission.policy_spec(username),
            opts=child,
        )
        binding = k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
            admission.POLICY_NAME,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=admission.POLICY_NAME, labels=labels),
            spec=admission.binding_spec(),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        key_secret = external_secret(
            KEY_SECRET,
            args.namespace,
            args.store,
            [
                SecretValue("public-key", args.key.secrets_manager_name, args.key.public_key_property),
                SecretValue("secret-key", args.key.secrets_manager_name, args.key.secret_key_property),
            ],
            opts=child,
        )
        public_key_env, secret_key_env = (
            (contract.ENV_ORG_PUBLIC_KEY, contract.ENV_ORG_SECRET_KEY)
            if args.mode == "per-project"
            else (contract.ENV_SHARED_PUBLIC_KEY, contract.ENV_SHARED_SECRET_KEY)
        )

        env = [
            k8s.core.v1.EnvVarArgs(name=contract.ENV_MODE, value=args.mode),
            k8s.core.v1.EnvVarArgs(name=contract.ENV_LANGFUSE_API_URL, value=web_api_url(args.namespace)),
            k8s.core.v1.EnvVarArgs(name=contract.ENV_PUBLIC_HOST, value=args.public_host),
            k8s.core.v1.EnvVarArgs(name=contract.ENV_ROTATION_DAYS, value=str(args.rotation_days)),
            k8s.core.v1.EnvVarArgs(name=contract.ENV_ROTATION_OVERLAP_HOURS, value=str(args.rotation_overlap_hours)),
            k8s.core.v1.EnvVarArgs(name=contract.ENV_DELETION_POLICY, value=args.deletion_policy),
            secret_env(public_key_env, KEY_SECRET, "public-key"),
            secret_env(secret_key_env, KEY_SECRET, "secret-key"),
            *(budget_environment(args.default_budget) if args.default_budget else []),
            *(k8s.core.v1.EnvVarArgs(name=k, value=v) for k, v in (args.export_env or {}).items()),
        ]
        container = k8s.core.v1.ContainerArgs(
            name="controller",
            image=args.image,
            image_pull_policy="IfNotPresent",
            env=env,
            ports=[
                k8s.core.v1.ContainerPortArgs(name="metrics", container_port=contract.METRICS_PORT),
                k8s.core.v1.ContainerPortArgs(name="health", container_port=contract.HEALTH_PORT),
            ],
            liveness_probe=k8s.core.v1.ProbeArgs(
                http_get=k8s.core.v1.HTTPGetActionArgs(path=contract.HEALTH_PATH, port="health"), period_seconds=20, failure_threshold=3
            ),
            resources=k8s.core.v1.ResourceRequirementsArgs(
                requests={"cpu": "100m", "memory": "256Mi"}, limits={"cpu": "500m", "memory": "512Mi"}
            ),
            security_context=restricted_container_security_context(),
            volume_mounts=[k8s.core.v1.VolumeMountArgs(name="tmp", mount_path="/tmp")],
        )
        k8s.apps.v1.Deployment(
            NAME,
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=NAME, namespace=args.namespace, labels=labels,
                annotations={SINGLE_INSTANCE: "kopf standalone: one active instance, no peering"},
            ),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=1,
                strategy=k8s.apps.v1.DeploymentStrategyArgs(type="Recreate"),
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(contract.POD_LABELS)),
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(
                        labels=labels, annotations={NEEDS_API_TOKEN_ANNOTATION: "watches ProjectSettings and writes langfuse-keys"}
                    ),
                    spec=k8s.core.v1.PodSpecArgs(
                        service_account_name=NAME,
                        automount_service_account_token=True,
                        security_context=restricted_pod_security_context(),
                        # One replica: the constraint always holds; it is here for the policy that every workload has one.
                        topology_spread_constraints=[spread(ZONE_KEY, "DoNotSchedule", dict(contract.POD_LABELS), per_revision=True)],
                        containers=[container],
                        volumes=[k8s.core.v1.VolumeArgs(name="tmp", empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(size_limit="64Mi"))],
                    ),
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[account, binding, key_secret]),
        )
        # maxUnavailable 1 over one replica: a node drain evicts it (Recreate brings it back), nothing blocks.
        disruption_budget(NAME, metadata, dict(contract.POD_LABELS), child)
        k8s.apiextensions.CustomResource(
            f"{NAME}-metrics",
            api_version="monitoring.coreos.com/v1",
            kind="PodMonitor",
            metadata=metadata,
            spec={"selector": {"matchLabels": dict(contract.POD_LABELS)}, "podMetricsEndpoints": [{"port": "metrics", "interval": "60s"}]},
            opts=child,
        )
        self.register_outputs({})
