"""The ClusterIP Service in front of a Langfuse workload."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.langfuse.workload.spec import WorkloadSpec


def service(spec: WorkloadSpec, namespace: pulumi.Input[str], opts: pulumi.ResourceOptions) -> k8s.core.v1.Service:
    return k8s.core.v1.Service(
        spec.name,
        metadata=spec.metadata(namespace),
        spec=k8s.core.v1.ServiceSpecArgs(
            type="ClusterIP",
            selector=spec.selector,
            ports=[k8s.core.v1.ServicePortArgs(name="http", port=spec.container_port, target_port="http", protocol="TCP")],
        ),
        opts=opts,
    )
