"""PostgreSQL restore drill: a CronJob that restores the newest base backup and every archived WAL segment from
S3 into a scratch volume with Barman Cloud, starts the copy, waits for recovery to end and reads every table
(with data checksums on, a damaged page fails the read). Its last success is kube-state-metrics'
`kube_cronjob_status_last_successful_time`, which the RestoreDrillFailing alert watches. The same scripts (files in
scripts/), with TARGET_TIME, are the PITR drill in the tests.

Barman Cloud now lives in the plugin's sidecar image (Python, no shell) and PostgreSQL in the `standard` image
(no Barman Cloud), so the drill pairs them the way CloudNativePG does, through a shared volume:
- init container `restore-base-backup` (sidecar image): barman-cloud-restore of the base backup;
- sidecar `wal-server` (sidecar image, an init container that keeps running): fetches each WAL file PostgreSQL's
  restore_command asks for with barman-cloud-wal-restore (prefetching as many as the ObjectStore's
  wal.maxParallel, as CloudNativePG restores), and answers with its exit code when there is none;
- container `restore-drill` (PostgreSQL image): recovery, then the reads. When it ends, the kubelet stops the
  sidecar and the Job completes (Kubernetes docs, "Sidecar Containers": beta and on by default since 1.29).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.common.pod_security import restricted_container_security_context, restricted_pod_security_context
from components.common.script_files import render_script
from components.common.scripted_cron_job import SCRIPTS_DIR, ScriptedCronJobArgs, scripted_cron_job, scripts_volume
from components.postgres.contract import DRILL_LABELS
from components.postgres.images import BARMAN_CLOUD_SIDECAR_IMAGE, POSTGRES_IMAGE, POSTGRES_MAJOR
from components.postgres.object_store import ObjectStoreSettings

SCRIPT_KEY = "restore-drill.sh"
WAL_FETCH_KEY = "wal-fetch.sh"
BARMAN_KEY = "barman-drill.py"
WORKDIR = "/var/lib/drill"

# The recovery and reads (PostgreSQL image), the restore_command it calls, and the Barman Cloud side (sidecar image).
SCRIPTS = {
    SCRIPT_KEY: render_script(__package__, SCRIPT_KEY, POSTGRES_MAJOR=POSTGRES_MAJOR, WAL_FETCH=WAL_FETCH_KEY),
    WAL_FETCH_KEY: render_script(__package__, WAL_FETCH_KEY),
    BARMAN_KEY: render_script(__package__, BARMAN_KEY),
}


@dataclass(frozen=True)
class PostgresRestoreDrillArgs:
    namespace: pulumi.Input[str]
    cluster: str  # the CloudNativePG Cluster and its service account (with the backup role)
    server_name: str  # the folder of its backups
    store: ObjectStoreSettings  # where they are, as the cluster's ObjectStore has it
    region: str
    schedule: str
    storage_class: str
    storage_size: str  # room for the data and the WAL replayed


class PostgresRestoreDrill(pulumi.ComponentResource):
    def __init__(self, name: str, args: PostgresRestoreDrillArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("langfuse-rosa:postgres:PostgresRestoreDrill", name, None, opts)
        job = f"{args.cluster}-restore-drill"
        labels = DRILL_LABELS
        env = [
            k8s.core.v1.EnvVarArgs(name=k, value=v)
            for k, v in {
                "DESTINATION": args.store.destination,
                "SERVER_NAME": args.server_name,
                "BARMAN_CLOUD_ARGS": "--cloud-provider aws-s3",
                "WAL_RESTORE_PARALLEL": str(args.store.wal_max_parallel),
                "AWS_DEFAULT_REGION": args.region,
                "WORKDIR": WORKDIR,
            }.items()
        ]
        scripts, scripts_mount = scripts_volume(job)
        mounts = [
            scripts_mount,
            k8s.core.v1.VolumeMountArgs(name="scratch", mount_path=WORKDIR),
            k8s.core.v1.VolumeMountArgs(name="tmp", mount_path="/tmp"),
        ]

        def container(name: str, image: str, command: list[str], resources: dict, restart_policy: str | None = None) -> k8s.core.v1.ContainerArgs:
            return k8s.core.v1.ContainerArgs(
                name=name,
                image=image,
                command=command,
                env=env,
                resources=k8s.core.v1.ResourceRequirementsArgs(**resources),
                restart_policy=restart_policy,
                security_context=restricted_container_security_context(),
                volume_mounts=mounts,
            )

        barman = ["/venv/bin/python3", f"{SCRIPTS_DIR}/{BARMAN_KEY}"]
        barman_resources = {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"cpu": "2", "memory": "1Gi"}}
        pod = k8s.core.v1.PodTemplateSpecArgs(
            metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels),
            spec=k8s.core.v1.PodSpecArgs(
                restart_policy="Never",
                # CloudNativePG's account for the cluster carries the backup role (read access).
                service_account_name=args.cluster,
                automount_service_account_token=False,
                security_context=restricted_pod_security_context(),
                init_containers=[
                    container("restore-base-backup", BARMAN_CLOUD_SIDECAR_IMAGE, [*barman, "restore-base"], barman_resources),
                    container("wal-server", BARMAN_CLOUD_SIDECAR_IMAGE, [*barman, "serve-wal"], barman_resources, restart_policy="Always"),
                ],
                containers=[
                    container(
                        "restore-drill",
                        POSTGRES_IMAGE,
                        ["/bin/bash", f"{SCRIPTS_DIR}/{SCRIPT_KEY}"],
                        {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "2Gi"}},
                    )
                ],
                volumes=[
                    scripts,
                    k8s.core.v1.VolumeArgs(name="tmp", empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(size_limit="256Mi")),
                    # A volume for this run only, on the encrypted class, deleted with the pod.
                    k8s.core.v1.VolumeArgs(
                        name="scratch",
                        ephemeral=k8s.core.v1.EphemeralVolumeSourceArgs(
                            volume_claim_template=k8s.core.v1.PersistentVolumeClaimTemplateArgs(
                                spec=k8s.core.v1.PersistentVolumeClaimSpecArgs(
                                    access_modes=["ReadWriteOnce"],
                                    storage_class_name=args.storage_class,
                                    resources=k8s.core.v1.VolumeResourceRequirementsArgs(requests={"storage": args.storage_size}),
                                )
                            )
                        ),
                    ),
                ],
            ),
        )
        scripted_cron_job(
            ScriptedCronJobArgs(
                name=job,
                namespace=args.namespace,
                labels=labels,
                schedule=args.schedule,
                scripts=SCRIPTS,
                pod_template=pod,
                deadline_seconds=6 * 3600,
                backoff_limit=1,
                history=2,
            ),
            parent=self,
        )
        self.register_outputs({})
