"""LangfuseWorkload: the Deployment, HPA, PDB and (optionally) Service of one Langfuse process."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_kubernetes as k8s

from components.langfuse.workload.deployment import deployment
from components.langfuse.workload.hpa import horizontal_pod_autoscaler
from components.langfuse.workload.pdb import pod_disruption_budget
from components.langfuse.workload.service import service
from components.langfuse.workload.spec import WorkloadSpec


class LangfuseWorkload(pulumi.ComponentResource):
    deployment: k8s.apps.v1.Deployment
    service: k8s.core.v1.Service | None

    def __init__(
        self,
        name: str,
        spec: WorkloadSpec,
        namespace: pulumi.Input[str],
        *,
        with_service: bool,
        with_hpa: bool = True,
        rollout_after: Sequence[pulumi.Resource] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("langfuse-rosa:langfuse:LangfuseWorkload", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # `rollout_after`: resources that must be in place (the migration Job) before pods roll.
        self.deployment = deployment(spec, namespace, pulumi.ResourceOptions(parent=self, depends_on=list(rollout_after)))
        if with_hpa:  # otherwise something else (the worker's ScaledObject) owns the replica count
            horizontal_pod_autoscaler(spec, namespace, child)
        pod_disruption_budget(spec, namespace, child)
        self.service = service(spec, namespace, child) if with_service else None
        self.register_outputs({"deployment": self.deployment.metadata.name})
