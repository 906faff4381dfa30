"""LangfuseMigration: the database migrations of one Langfuse version, as a Job that must finish first.

Langfuse's web entrypoint migrates Postgres (prisma migrate deploy) and ClickHouse (golang-migrate) on
every start. In long-running pods that races between replicas and, when a slow migration outlives the
startup probe, the kubelet kills the pod mid-migration and it crash-loops. So the pods run with
auto-migration disabled, and this Job runs the same entrypoint once per version. pulumi-kubernetes awaits
a Job until it completes (or fails), and the Deployments depend on it, so pods roll only after the
migrations succeeded.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.common.labels import recommended_labels
from components.common.pod_security import restricted_container_security_context, restricted_pod_security_context
from components.langfuse import volumes
from components.langfuse.backend import LangfuseBackend
from components.langfuse.contract import MIGRATION_CONNECTIONS
from components.langfuse.environment import clickhouse_env, postgres_env


@dataclass(frozen=True)
class LangfuseMigrationArgs:
    namespace: pulumi.Input[str]
    version: str
    web_image: str
    service_account_name: str
    backend: LangfuseBackend
    timeout_minutes: int = 30


def job_name(version: str) -> str:
    # One Job per version: a new version is a new Job (Jobs are immutable), an unchanged one is left alone.
    return "langfuse-migrate-" + version.replace(".", "-")


class LangfuseMigration(pulumi.ComponentResource):
    job: k8s.batch.v1.Job

    def __init__(self, name: str, args: LangfuseMigrationArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("langfuse-rosa:langfuse:LangfuseMigration", name, None, opts)
        labels = recommended_labels("langfuse", "migration", "langfuse", args.version)
        mounts = volumes.tmp() + volumes.postgres_ca(args.backend.postgres.server_ca)
        deadline = args.timeout_minutes * 60
        self.job = k8s.batch.v1.Job(
            job_name(args.version),
            metadata=k8s.meta.v1.ObjectMetaArgs(name=job_name(args.version), namespace=args.namespace, labels=labels),
            spec=k8s.batch.v1.JobSpecArgs(
                backoff_limit=2,
                active_deadline_seconds=deadline,
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels),
                    spec=k8s.core.v1.PodSpecArgs(
                        restart_policy="Never",
                        service_account_name=args.service_account_name,
                        automount_service_account_token=False,
                        security_context=restricted_pod_security_context(),
                        containers=[
                            k8s.core.v1.ContainerArgs(
                                name="migrate",
                                image=args.web_image,
                                image_pull_policy="IfNotPresent",
                                # The image's ENTRYPOINT (dumb-init -- ./web/entrypoint.sh) migrates, then
                                # execs these args instead of starting the server.
                                args=["sh", "-c", "echo 'Langfuse migrations applied.'"],
                                env=postgres_env(args.backend.postgres, MIGRATION_CONNECTIONS) + clickhouse_env(args.backend.clickhouse),
                                resources=k8s.core.v1.ResourceRequirementsArgs(
                                    requests={"cpu": "500m", "memory": "1Gi"}, limits={"cpu": "1000m", "memory": "1Gi"}
                                ),
                                security_context=restricted_container_security_context(),
                                volume_mounts=mounts.volume_mounts,
                            )
                        ],
                        volumes=mounts.volumes,
                    ),
                ),
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                custom_timeouts=pulumi.CustomTimeouts(create=f"{args.timeout_minutes + 5}m", update=f"{args.timeout_minutes + 5}m"),
            ),
        )
        self.register_outputs({"job": self.job.metadata.name})
