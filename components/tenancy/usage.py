"""UsageReporting: cost and usage per project, from the tenant controller's image. The usage exporter
(`python -m langfuse_incluster.exporter`: one replica, Recreate, so two never poll Langfuse or double the
series) with its PodMonitor, and the weekly summary CronJob (`python -m langfuse_incluster.summary`), both as
one ServiceAccount that reads ProjectSettings and the langfuse-keys Secrets (the per-project keys the v2
metrics API needs) and writes nothing. Their NetworkPolicies are in components/network/langfuse_flows.py."""

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
from components.common.refs import SecretKeyRef
from components.common.scheduling import ZONE_KEY, disruption_budget, spread
from components.langfuse.contract import web_api_url
from components.monitoring.series import ExportedSeries

NAME = contract.USAGE_ACCOUNT
# What the exporter's PodMonitor (below) brings in that alerts read (alerts.py): the usage exporter's series, which
# tests/tenancy/test_usage_alerts_prometheus.py scrapes from the running exporter into a real Prometheus.
EXPORTED_SERIES = ExportedSeries(
    kind="PodMonitor",
    name=contract.EXPORTER_NAME,
    series=frozenset({
        contract.USAGE_COST_METRIC,
        contract.USAGE_BUDGET_METRIC,
        contract.USAGE_BUDGET_THRESHOLD_METRIC,
        contract.USAGE_FORECAST_METRIC,
        contract.USAGE_HIGH_COST_METRIC,
        contract.USAGE_TOP_TRACE_METRIC,
        contract.USAGE_TOP_SESSION_METRIC,
        contract.USAGE_OBSERVATIONS_METRIC,
        contract.USAGE_ERRORS_METRIC,
        contract.USAGE_LAST_SUCCESS_METRIC,
        contract.USAGE_PROJECTS_METRIC,
    }),
)
SINGLE_INSTANCE = "langfuse-rosa/single-instance"  # policies/rules/availability.py: exempt from the replica floor, with Recreate


@dataclass(frozen=True)
class DefaultBudget:
    monthly_usd: float
    thresholds: tuple[int, ...]
    high_cost_usd: float


@dataclass(frozen=True)
class UsageReportingArgs:
    namespace: str
    image: str  # the tenant controller's image, by digest
    mode: Literal["per-project", "shared"]
    ui_url: str  # https://<the Route's host>
    default_budget: DefaultBudget
    poll_interval_seconds: int
    poll_concurrency: int
    top_n: int
    summary_schedule: str
    shared_key_secret: str  # shared mode: the Secret with the shared project's key (public-key, secret-key)
    slack_webhook: SecretKeyRef | None  # the summary's incoming webhook (None: Markdown in the Job's log only)


def budget_environment(budget: DefaultBudget) -> list[k8s.core.v1.EnvVarArgs]:
    """The stack's default budget, as the exporter, the summary and the controller read it."""
    return [
        k8s.core.v1.EnvVarArgs(name=contract.ENV_DEFAULT_BUDGET_USD, value=f"{budget.monthly_usd:g}"),
        k8s.core.v1.EnvVarArgs(name=contract.ENV_DEFAULT_BUDGET_THRESHOLDS, value=",".join(str(t) for t in budget.thresholds)),
        k8s.core.v1.EnvVarArgs(name=contract.ENV_DEFAULT_HIGH_COST_USD, value=f"{budget.high_cost_usd:g}"),
    ]


def cluster_role_rules() -> list[dict]:
    return [
        {"apiGroups": [contract.GROUP], "resources": [contract.PLURAL], "verbs": ["get", "list"]},
        {"apiGroups": [""], "resources": ["secrets"], "resourceNames": [contract.SECRET_NAME], "verbs": ["get"]},
    ]


class UsageReporting(pulumi.ComponentResource):
    def __init__(self, name: str, args: UsageReportingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("langfuse-rosa:tenancy:UsageReporting", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        labels = recommended_labels(NAME, "usage", "langfuse")
        account = k8s.core.v1.ServiceAccount(NAME, metadata=k8s.meta.v1.ObjectMetaArgs(name=NAME, namespace=args.namespace, labels=labels), opts=child)
        role = k8s.rbac.v1.ClusterRole(NAME, metadata=k8s.meta.v1.ObjectMetaArgs(name=NAME, labels=labels), rules=cluster_role_rules(), opts=child)
        binding = k8s.rbac.v1.ClusterRoleBinding(
            NAME,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=NAME, labels=labels),
            role_ref=k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=NAME),
            subjects=[k8s.rbac.v1.SubjectArgs(kind="ServiceAccount", name=NAME, namespace=args.namespace)],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role, account]),
        )
        env = [
            k8s.core.v1.EnvVarArgs(name=contract.ENV_MODE, value=args.mode),
            k8s.core.v1.EnvVarArgs(name=contract.ENV_LANGFUSE_API_URL, value=web_api_url(args.namespace)),
            k8s.core.v1.EnvVarArgs(name=contract.ENV_LANGFUSE_UI_URL, value=args.ui_url),
            k8s.core.v1.EnvVarArgs(name=contract.ENV_POLL_INTERVAL_SECONDS, value=str(args.poll_interval_seconds)),
            k8s.core.v1.EnvVarArgs(name=contract.ENV_POLL_CONCURRENCY, value=str(args.poll_concurrency)),
            k8s.core.v1.EnvVarArgs(name=contract.ENV_TOP_N, value=str(args.top_n)),
            *budget_environment(args.default_budget),
        ]
        if args.mode == "shared":
            env += [
                secret_env(contract.ENV_SHARED_PUBLIC_KEY, args.shared_key_secret, "public-key"),
                secret_env(contract.ENV_SHARED_SECRET_KEY, args.shared_key_secret, "secret-key"),
            ]

        def pod(pod_labels: dict[str, str], container: k8s.core.v1.ContainerArgs, restart: str, spread_pods: bool) -> k8s.core.v1.PodSpecArgs:
            return k8s.core.v1.PodSpecArgs(
                service_account_name=NAME,
                automount_service_account_token=True,
                security_context=restricted_pod_security_context(),
                restart_policy=restart,
                topology_spread_constraints=[spread(ZONE_KEY, "DoNotSchedule", pod_labels, per_revision=True)] if spread_pods else None,
                containers=[container],
                volumes=[k8s.core.v1.VolumeArgs(name="tmp", empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(size_limit="64Mi"))],
            )

        def container(module: str, extra_env: list, ports: list | None = None, probe: k8s.core.v1.ProbeArgs | None = None, memory: str = "256Mi"):
            return k8s.core.v1.ContainerArgs(
                name=module,
                image=args.image,
                image_pull_policy="IfNotPresent",
                command=["python", "-m", f"langfuse_incluster.{module}"],
                env=env + extra_env,
                ports=ports,
                liveness_probe=probe,
                resources=k8s.core.v1.ResourceRequirementsArgs(requests={"cpu": "100m", "memory": memory}, limits={"cpu": "500m", "memory": memory}),
                security_context=restricted_container_security_context(),
                volume_mounts=[k8s.core.v1.VolumeMountArgs(name="tmp", mount_path="/tmp")],
            )

        exporter_labels = {**labels, **contract.EXPORTER_POD_LABELS}
        exporter_meta = k8s.meta.v1.ObjectMetaArgs(name=contract.EXPORTER_NAME, namespace=args.namespace, labels=exporter_labels)
        exporter = container(
            "exporter", [],
            ports=[k8s.core.v1.ContainerPortArgs(name="metrics", container_port=contract.EXPORTER_METRICS_PORT)],
            probe=k8s.core.v1.ProbeArgs(tcp_socket=k8s.core.v1.TCPSocketActionArgs(port="metrics"), period_seconds=20, failure_threshold=3),
            memory="512Mi",  # headroom for 1,000 projects; see incluster/benchmark_usage.py for the heap it measures
        )
        k8s.apps.v1.Deployment(
            contract.EXPORTER_NAME,
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=contract.EXPORTER_NAME, namespace=args.namespace, labels=exporter_labels,
                annotations={SINGLE_INSTANCE: "a second replica would double Langfuse's query load and every usage series"},
            ),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=1,
                strategy=k8s.apps.v1.DeploymentStrategyArgs(type="Recreate"),
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(contract.EXPORTER_POD_LABELS)),
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(
                        labels=exporter_labels, annotations={NEEDS_API_TOKEN_ANNOTATION: "reads ProjectSettings and langfuse-keys"}
                    ),
                    spec=pod(dict(contract.EXPORTER_POD_LABELS), exporter, "Always", spread_pods=True),
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[binding]),
        )
        disruption_budget(contract.EXPORTER_NAME, exporter_meta, dict(contract.EXPORTER_POD_LABELS), child)
        k8s.apiextensions.CustomResource(
            f"{contract.EXPORTER_NAME}-metrics",
            api_version="monitoring.coreos.com/v1",
            kind="PodMonitor",
            metadata=exporter_meta,
            spec={"selector": {"matchLabels": dict(contract.EXPORTER_POD_LABELS)}, "podMetricsEndpoints": [{"port": "metrics", "interval": "60s"}]},
            opts=child,
        )
        summary_labels = {**labels, **contract.SUMMARY_POD_LABELS}
        slack = [secret_env(contract.ENV_SLACK_WEBHOOK_URL, args.slack_webhook.name, args.slack_webhook.key)] if args.slack_webhook else []
        k8s.batch.v1.CronJob(
            contract.SUMMARY_NAME,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=contract.SUMMARY_NAME, namespace=args.namespace, labels=summary_labels),
            spec=k8s.batch.v1.CronJobSpecArgs(
                schedule=args.summary_schedule,
                time_zone="Etc/UTC",
                concurrency_policy="Forbid",
                starting_deadline_seconds=3600,
                successful_jobs_history_limit=4,  # four weeks of Markdown records in the Jobs' logs
                failed_jobs_history_limit=2,
                job_template=k8s.batch.v1.JobTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=summary_labels),
                    spec=k8s.batch.v1.JobSpecArgs(
                        backoff_limit=2,
                        active_deadline_seconds=1800,
                        template=k8s.core.v1.PodTemplateSpecArgs(
                            metadata=k8s.meta.v1.ObjectMetaArgs(
                                labels=summary_labels, annotations={NEEDS_API_TOKEN_ANNOTATION: "reads ProjectSettings and langfuse-keys"}
                            ),
                            spec=pod(dict(contract.SUMMARY_POD_LABELS), container("summary", slack), "Never", spread_pods=False),
                        ),
                    ),
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[binding]),
        )
        self.register_outputs({})
