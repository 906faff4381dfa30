"""The Deployment, PodDisruptionBudget and Service of a stateless exporter (statsd_exporter,
blackbox_exporter): restricted-v2, no API token, spread over zones, drained one pod at a time."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.common.pod_security import restricted_container_security_context, restricted_pod_security_context
from components.common.scheduling import ZONE_KEY, disruption_budget, spread


@dataclass(frozen=True)
class ExporterWorkload:
    name: str
    namespace: pulumi.Input[str]
    labels: dict[str, str]
    selector: dict[str, str]
    replicas: int
    container: k8s.core.v1.ContainerArgs  # without security context: the restricted one is set here
    volumes: Sequence[k8s.core.v1.VolumeArgs]
    service_ports: Sequence[k8s.core.v1.ServicePortArgs]

    def metadata(self) -> k8s.meta.v1.ObjectMetaArgs:
        return k8s.meta.v1.ObjectMetaArgs(name=self.name, namespace=self.namespace, labels=self.labels)


def _zone_spread(replicas: int) -> str:
    # A single replica (dev) has nothing to spread; a hard constraint would only block scheduling.
    return "DoNotSchedule" if replicas > 1 else "ScheduleAnyway"


def exporter_workload(workload: ExporterWorkload, parent: pulumi.Resource, depends_on: Sequence[pulumi.Resource] = ()) -> None:
    child = pulumi.ResourceOptions(parent=parent)
    container = copy.copy(workload.container)
    container.security_context = restricted_container_security_context()
    k8s.apps.v1.Deployment(
        workload.name,
        metadata=workload.metadata(),
        spec=k8s.apps.v1.DeploymentSpecArgs(
            replicas=workload.replicas,
            selector=k8s.meta.v1.LabelSelectorArgs(match_labels=workload.selector),
            template=k8s.core.v1.PodTemplateSpecArgs(
                metadata=k8s.meta.v1.ObjectMetaArgs(labels=workload.labels),
                spec=k8s.core.v1.PodSpecArgs(
                    automount_service_account_token=False,
                    security_context=restricted_pod_security_context(),
                    topology_spread_constraints=[spread(ZONE_KEY, _zone_spread(workload.replicas), workload.selector, per_revision=True)],
                    containers=[container],
                    volumes=list(workload.volumes),
                ),
            ),
        ),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on)),
    )
    disruption_budget(workload.name, workload.metadata(), workload.selector, child)
    k8s.core.v1.Service(
        workload.name,
        metadata=workload.metadata(),
        spec=k8s.core.v1.ServiceSpecArgs(selector=workload.selector, ports=list(workload.service_ports)),
        opts=child,
    )
