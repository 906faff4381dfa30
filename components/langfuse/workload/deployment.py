"""The Deployment of a Langfuse workload."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.common.pod_security import restricted_container_security_context, restricted_pod_security_context
from components.common.scheduling import HOST_KEY, ZONE_KEY, spread
from components.langfuse.contract import MAX_SURGE_PERCENT
from components.langfuse.workload.spec import WorkloadSpec, resource_requirements


def deployment(spec: WorkloadSpec, namespace: pulumi.Input[str], opts: pulumi.ResourceOptions) -> k8s.apps.v1.Deployment:
    selector = spec.selector
    return k8s.apps.v1.Deployment(
        spec.name,
        metadata=spec.metadata(namespace),
        spec=k8s.apps.v1.DeploymentSpecArgs(
            # No `replicas`: the HorizontalPodAutoscaler owns the count. Setting it here would reset the
            # scale on every `pulumi up`.
            selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector),
            revision_history_limit=5,
            # Never below desired capacity during a rollout: surge first, remove old pods only when new
            # ones are ready.
            strategy=k8s.apps.v1.DeploymentStrategyArgs(
                type="RollingUpdate",
                rolling_update=k8s.apps.v1.RollingUpdateDeploymentArgs(max_unavailable=0, max_surge=f"{MAX_SURGE_PERCENT}%"),
            ),
            template=k8s.core.v1.PodTemplateSpecArgs(
                metadata=k8s.meta.v1.ObjectMetaArgs(labels=spec.labels, annotations=spec.pod_annotations or None),
                spec=_pod_spec(spec, selector),
            ),
        ),
        opts=opts,
    )


def _pod_spec(spec: WorkloadSpec, selector: dict[str, str]) -> k8s.core.v1.PodSpecArgs:
    return k8s.core.v1.PodSpecArgs(
        service_account_name=spec.service_account_name,
        # Langfuse never calls the Kubernetes API. The pod identity webhook mounts its own projected
        # token for AWS, independent of this setting.
        automount_service_account_token=False,
        security_context=restricted_pod_security_context(),
        termination_grace_period_seconds=spec.termination_grace_period_seconds,
        topology_spread_constraints=[
            spread(ZONE_KEY, "DoNotSchedule", selector, per_revision=True),
            spread(HOST_KEY, "ScheduleAnyway", selector, per_revision=True),
        ],
        containers=[
            k8s.core.v1.ContainerArgs(
                name=spec.component,
                image=spec.image,
                image_pull_policy="IfNotPresent",
                ports=[k8s.core.v1.ContainerPortArgs(name="http", container_port=spec.container_port, protocol="TCP")],
                env=spec.env,
                resources=resource_requirements(spec.resources),
                startup_probe=spec.probes.startup,
                liveness_probe=spec.probes.liveness,
                readiness_probe=spec.probes.readiness,
                security_context=restricted_container_security_context(),
                volume_mounts=spec.volume_mounts,
            )
        ],
        volumes=spec.volumes,
    )

