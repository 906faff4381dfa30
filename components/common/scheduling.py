"""How replicated pods are spread and drained, shared by every workload."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

ZONE_KEY = "topology.kubernetes.io/zone"
HOST_KEY = "kubernetes.io/hostname"


def spread(topology_key: str, when_unsatisfiable: str, selector: dict[str, str], *, per_revision: bool = False) -> k8s.core.v1.TopologySpreadConstraintArgs:
    """At most one pod more in one zone (or host) than in another. per_revision (Deployments): count only
    pods of the same ReplicaSet, so a rollout's surge pods do not skew the spread."""
    return k8s.core.v1.TopologySpreadConstraintArgs(
        topology_key=topology_key,
        max_skew=1,
        when_unsatisfiable=when_unsatisfiable,
        label_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector),
        match_label_keys=["pod-template-hash"] if per_revision else None,
    )


def disruption_budget(
    name: str, metadata: k8s.meta.v1.ObjectMetaArgs, selector: dict[str, str], opts: pulumi.ResourceOptions
) -> k8s.policy.v1.PodDisruptionBudget:
    return k8s.policy.v1.PodDisruptionBudget(
        name,
        metadata=metadata,
        spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(
            # One pod at a time during node drains and upgrades. maxUnavailable (not minAvailable) so a
            # single-replica dev stack can still drain its node.
            max_unavailable=1,
            selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector),
            # A crash-looping pod must not block a drain (Kubernetes 1.27+).
            unhealthy_pod_eviction_policy="AlwaysAllow",
        ),
        opts=opts,
    )
