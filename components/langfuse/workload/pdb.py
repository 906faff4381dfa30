"""The PodDisruptionBudget of a Langfuse workload."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.common.scheduling import disruption_budget
from components.langfuse.workload.spec import WorkloadSpec


def pod_disruption_budget(spec: WorkloadSpec, namespace: pulumi.Input[str], opts: pulumi.ResourceOptions) -> k8s.policy.v1.PodDisruptionBudget:
    return disruption_budget(spec.name, spec.metadata(namespace), spec.selector, opts)
