"""The HorizontalPodAutoscaler of a Langfuse workload (CPU and memory)."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.langfuse.workload.spec import WorkloadSpec

# Scale up fast on load; scale down slowly, one pod at a time, so a dip in traffic does not drain capacity that
# a web pod then needs 110 s to give back. Shared with the worker's ScaledObject (KEDA makes an HPA from it).
SCALING_BEHAVIOR = {
    "scaleUp": {
        "stabilizationWindowSeconds": 0,
        "selectPolicy": "Max",
        "policies": [{"type": "Percent", "value": 100, "periodSeconds": 60}, {"type": "Pods", "value": 2, "periodSeconds": 60}],
    },
    "scaleDown": {"stabilizationWindowSeconds": 300, "selectPolicy": "Min", "policies": [{"type": "Pods", "value": 1, "periodSeconds": 120}]},
}


def horizontal_pod_autoscaler(
    spec: WorkloadSpec, namespace: pulumi.Input[str], opts: pulumi.ResourceOptions
) -> k8s.autoscaling.v2.HorizontalPodAutoscaler:
    scaling = spec.autoscaling
    return k8s.autoscaling.v2.HorizontalPodAutoscaler(
        spec.name,
        metadata=spec.metadata(namespace),
        spec=k8s.autoscaling.v2.HorizontalPodAutoscalerSpecArgs(
            scale_target_ref=k8s.autoscaling.v2.CrossVersionObjectReferenceArgs(
                api_version="apps/v1", kind="Deployment", name=spec.name
            ),
            min_replicas=scaling.min_replicas,
            max_replicas=scaling.max_replicas,
            metrics=[
                _utilization("cpu", scaling.target_cpu_utilization),
                _utilization("memory", scaling.target_memory_utilization),
            ],
            behavior=SCALING_BEHAVIOR,
        ),
        opts=opts,
    )


def _utilization(resource: str, percent: int) -> k8s.autoscaling.v2.MetricSpecArgs:
    return k8s.autoscaling.v2.MetricSpecArgs(
        type="Resource",
        resource=k8s.autoscaling.v2.ResourceMetricSourceArgs(
            name=resource,
            target=k8s.autoscaling.v2.MetricTargetArgs(type="Utilization", average_utilization=percent),
        ),
    )
