"""Queue-aware autoscaling of the worker with OpenShift's Custom Metrics Autoscaler (KEDA): a ScaledObject
scales on CPU and memory, as the web HPA does, and on Langfuse's ingestion backlog, read from the cluster's
Thanos querier.

Langfuse's own chart scales the worker on CPU only, which lags a backlog: workers waiting on ClickHouse or
S3 use little CPU while jobs pile up in Redis. KEDA turns the backlog query into an external metric of the
HPA it manages (keda-hpa-<name>); the worker then runs ceil(backlog / waitingJobsPerReplica) replicas,
within the stack's bounds, or what CPU and memory ask for, whichever is more.

Authentication to Thanos follows Red Hat's Custom Metrics Autoscaler documentation (Prometheus trigger on
OpenShift monitoring): a service account allowed to read the namespace's metrics on the tenancy port 9092;
KEDA requests short-lived tokens for it (boundServiceAccountToken), so no token Secret exists.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.common.refs import ConfigMapKeyRef
from components.langfuse.workload.hpa import SCALING_BEHAVIOR
from components.langfuse.workload.spec import WorkloadSpec
from components.monitoring.thanos import THANOS_TENANCY_URL, namespace_metrics_reader_rules

KEDA_NAMESPACE = "openshift-keda"
KEDA_OPERATOR_SERVICE_ACCOUNT = "keda-operator"
METRICS_READER = "langfuse-metrics-reader"


@dataclass(frozen=True)
class QueueScaling:
    namespace: str
    waiting_jobs_per_replica: int
    service_ca: ConfigMapKeyRef  # signs the Thanos querier's serving certificate

    @property
    def query(self) -> str:
        # max by queue: each statsd exporter replica may hold the gauge; sum the ingestion queues.
        selector = f'namespace="{self.namespace}",queue=~"ingestion|otel_ingestion",type="waiting",shard="all"'
        return f"sum(max by (queue) (langfuse_queue_depth{{{selector}}}))"


def queue_scaled_object(spec: WorkloadSpec, scaling: QueueScaling, opts: pulumi.ResourceOptions) -> None:
    ns = scaling.namespace
    labels = spec.labels
    reader = k8s.core.v1.ServiceAccount(
        METRICS_READER,
        metadata=k8s.meta.v1.ObjectMetaArgs(name=METRICS_READER, namespace=ns, labels=labels),
        automount_service_account_token=False,
        opts=opts,
    )
    role = k8s.rbac.v1.Role(
        METRICS_READER,
        metadata=k8s.meta.v1.ObjectMetaArgs(name=METRICS_READER, namespace=ns, labels=labels),
        rules=namespace_metrics_reader_rules(),
        opts=opts,
    )
    k8s.rbac.v1.RoleBinding(
        METRICS_READER,
        metadata=k8s.meta.v1.ObjectMetaArgs(name=METRICS_READER, namespace=ns, labels=labels),
        role_ref=k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="Role", name=METRICS_READER),
        subjects=[k8s.rbac.v1.SubjectArgs(kind="ServiceAccount", name=METRICS_READER, namespace=ns)],
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[role, reader])),
    )
    # KEDA may mint tokens for this one account, and no other.
    token_role = k8s.rbac.v1.Role(
        f"{METRICS_READER}-token",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{METRICS_READER}-token", namespace=ns, labels=labels),
        rules=[
            k8s.rbac.v1.PolicyRuleArgs(
                api_groups=[""], resources=["serviceaccounts/token"], resource_names=[METRICS_READER], verbs=["create"]
            )
        ],
        opts=opts,
    )
    k8s.rbac.v1.RoleBinding(
        f"{METRICS_READER}-token",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{METRICS_READER}-token", namespace=ns, labels=labels),
        role_ref=k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="Role", name=f"{METRICS_READER}-token"),
        subjects=[k8s.rbac.v1.SubjectArgs(kind="ServiceAccount", name=KEDA_OPERATOR_SERVICE_ACCOUNT, namespace=KEDA_NAMESPACE)],
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[token_role])),
    )
    auth = k8s.apiextensions.CustomResource(
        f"{spec.name}-thanos",
        api_version="keda.sh/v1alpha1",
        kind="TriggerAuthentication",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{spec.name}-thanos", namespace=ns, labels=labels),
        spec={
            "boundServiceAccountToken": [{"parameter": "bearerToken", "serviceAccountName": METRICS_READER}],
            "configMapTargetRef": [{"parameter": "ca", "name": scaling.service_ca.name, "key": scaling.service_ca.key}],
        },
        opts=opts,
    )
    autoscaling = spec.autoscaling
    k8s.apiextensions.CustomResource(
        spec.name,
        api_version="keda.sh/v1alpha1",
        kind="ScaledObject",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=spec.name, namespace=ns, labels=labels),
        spec={
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": spec.name},
            "minReplicaCount": autoscaling.min_replicas,
            "maxReplicaCount": autoscaling.max_replicas,
            "pollingInterval": 30,
            "advanced": {"horizontalPodAutoscalerConfig": {"behavior": SCALING_BEHAVIOR}},
            # If the backlog cannot be read, KEDA's HPA keeps scaling on CPU and memory; the alert
            # LangfuseMetricsMissing says the queue signal is gone.
            "triggers": [
                {"type": "cpu", "metricType": "Utilization", "metadata": {"value": str(autoscaling.target_cpu_utilization)}},
                {"type": "memory", "metricType": "Utilization", "metadata": {"value": str(autoscaling.target_memory_utilization)}},
                {
                    "type": "prometheus",
                    "name": "ingestion-backlog",
                    "metricType": "AverageValue",
                    "metadata": {
                        "serverAddress": THANOS_TENANCY_URL,
                        "namespace": ns,
                        "query": scaling.query,
                        "threshold": str(scaling.waiting_jobs_per_replica),
                        "authModes": "bearer",
                        "ignoreNullValues": "true",
                    },
                    "authenticationRef": {"name": f"{spec.name}-thanos", "kind": "TriggerAuthentication"},
                },
            ],
        },
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[auth])),
    )
