"""The HorizontalPodAutoscaler of a Langfuse workload (CPU and memory)."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.langfuse.workload.spec import WorkloadSpec


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
            behavior=k8s.autoscaling.v2.HorizontalPodAutoscalerBehaviorArgs(
                # Scale up fast on load; scale down slowly, one pod at a time, so a dip in traffic
                # does not drain capacity that a web pod then needs 110 s to give back.
                scale_up=k8s.autoscaling.v2.HPAScalingRulesArgs(
                    stabilization_window_seconds=0,
                    select_policy="Max",
                    policies=[
                        k8s.autoscaling.v2.HPAScalingPolicyArgs(type="Percent", value=100, period_seconds=60),
                        k8s.autoscaling.v2.HPAScalingPolicyArgs(type="Pods", value=2, period_seconds=60),
                    ],
                ),
                scale_down=k8s.autoscaling.v2.HPAScalingRulesArgs(
                    stabilization_window_seconds=300,
                    select_policy="Min",
                    policies=[k8s.autoscaling.v2.HPAScalingPolicyArgs(type="Pods", value=1, period_seconds=120)],
                ),
            ),
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
