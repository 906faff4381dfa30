"""Typed description of a Langfuse workload, shared by the Deployment, HPA and PDB builders."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components.common.labels import recommended_labels
from components.common.quantities import cpu_millicores, memory_mib
from components.common.resources import Resources
from components.langfuse.contract import pod_labels


@dataclass(frozen=True)
class Autoscaling:
    min_replicas: int
    max_replicas: int
    target_cpu_utilization: int
    target_memory_utilization: int


@dataclass(frozen=True)
class Probes:
    startup: k8s.core.v1.ProbeArgs
    liveness: k8s.core.v1.ProbeArgs
    readiness: k8s.core.v1.ProbeArgs


@dataclass(frozen=True)
class WorkloadSpec:
    name: str  # Deployment, HPA and PDB name, e.g. langfuse-web
    component: str  # app.kubernetes.io/component: web | worker
    version: str
    image: str
    container_port: int
    service_account_name: str
    env: list[k8s.core.v1.EnvVarArgs]
    volumes: list[k8s.core.v1.VolumeArgs]
    volume_mounts: list[k8s.core.v1.VolumeMountArgs]
    probes: Probes
    resources: Resources
    autoscaling: Autoscaling
    termination_grace_period_seconds: int
    pod_annotations: dict[str, str] = field(default_factory=dict)

    @property
    def labels(self) -> dict[str, str]:
        return recommended_labels("langfuse", self.component, "langfuse", self.version)

    @property
    def selector(self) -> dict[str, str]:
        return pod_labels(self.component)

    def metadata(self, namespace: pulumi.Input[str]) -> k8s.meta.v1.ObjectMetaArgs:
        """Metadata of the workload's objects: all share its name and labels."""
        return k8s.meta.v1.ObjectMetaArgs(name=self.name, namespace=namespace, labels=self.labels)


def http_probe(path: str, port: str, *, period: int, failures: int, timeout: int = 5) -> k8s.core.v1.ProbeArgs:
    return k8s.core.v1.ProbeArgs(
        http_get=k8s.core.v1.HTTPGetActionArgs(path=path, port=port, scheme="HTTP"),
        period_seconds=period,
        timeout_seconds=timeout,
        failure_threshold=failures,
        success_threshold=1,
    )


def resource_requirements(resources: Resources) -> k8s.core.v1.ResourceRequirementsArgs:
    """A Langfuse container's requests and limits, in millicores and Gi (Mi when not whole)."""
    memory = _mib_quantity(memory_mib(resources.memory))
    return k8s.core.v1.ResourceRequirementsArgs(
        requests={"cpu": f"{cpu_millicores(resources.cpu_request)}m", "memory": memory},
        limits={"cpu": f"{cpu_millicores(resources.cpu_limit)}m", "memory": memory},
    )


def _mib_quantity(mib: int) -> str:
    return f"{mib // 1024}Gi" if mib % 1024 == 0 else f"{mib}Mi"
