"""The ClusterIP Service in front of a Langfuse workload."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.common.labels import recommended_labels, selector_labels
from components.langfuse.workload.spec import WorkloadSpec


def service(spec: WorkloadSpec, namespace: pulumi.Input[str], opts: pulumi.ResourceOptions) -> k8s.core.v1.Service:
    return k8s.core.v1.Service(
        spec.name,
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=spec.name,
            namespace=namespace,
            labels=recommended_labels("langfuse", spec.component, "langfuse", spec.version),
        ),
        spec=k8s.core.v1.ServiceSpecArgs(
            type="ClusterIP",
            selector=selector_labels("langfuse", spec.component),
            ports=[k8s.core.v1.ServicePortArgs(name="http", port=spec.container_port, target_port="http", protocol="TCP")],
        ),
        opts=opts,
    )
