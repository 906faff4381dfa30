"""The PodDisruptionBudget of a Langfuse workload."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.langfuse.workload.spec import WorkloadSpec


def pod_disruption_budget(spec: WorkloadSpec, namespace: pulumi.Input[str], opts: pulumi.ResourceOptions) -> k8s.policy.v1.PodDisruptionBudget:
    return k8s.policy.v1.PodDisruptionBudget(
        spec.name,
        metadata=spec.metadata(namespace),
        spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(
            # One pod at a time during node drains and upgrades. maxUnavailable (not minAvailable) so a
            # single-replica dev stack can still drain its node.
            max_unavailable=1,
            selector=k8s.meta.v1.LabelSelectorArgs(match_labels=spec.selector),
            # A crash-looping pod must not block a drain (Kubernetes 1.27+).
            unhealthy_pod_eviction_policy="AlwaysAllow",
        ),
        opts=opts,
    )
