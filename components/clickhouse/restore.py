"""ClickHouse restores: the script of a restore Job, and the weekly restore drill.

The drill never touches the serving cluster. A restore briefly needs up to the backup's size again on every
replica it lands on, plus merges and Keeper traffic, and a full disk makes ClickHouse read-only; so the drill
runs a ClickHouse server of its own inside the drill pod (the serving image, listening on loopback only,
with an embedded Keeper for the Replicated tables the backup holds, ClickHouse docs "ClickHouse Keeper") on
a volume of its own, and reads the backup from S3 under its own service account, whose IAM role may only
read the backup prefix. It restores the newest complete backup (an incremental pulls its base: a restore
needs both), refusing to start when the volume has less room than the backup's files in S3 and a fifth more,
runs CHECK TABLE (part checksums) on every table and counts its rows. The pod and its volume go with the Job.

A real restore has to land on the serving cluster: `langfuse-rosa restore clickhouse` renders a Job that
restores into a side database there (`RESTORE DATABASE default AS <side> ON CLUSTER ...`), so the live tables
stay untouched until the runbook swaps them with EXCHANGE TABLES. It refuses to start when the replica it
talks to has less free room than the live data and a fifth more (the side copy is about that size; the
replicas hold the same data on volumes of the same size).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.clickhouse.contract import DRILL_LABELS
from components.clickhouse.images import CLICKHOUSE_SERVER
from components.common.pod_security import restricted_container_security_context, restricted_pod_security_context
from components.common.script_files import render_script
from components.common.scripted_cron_job import SCRIPTS_DIR, ScriptedCronJobArgs, run_volume, scripted_cron_job, scripts_volume

DRILL_KEY = "restore-drill.sh"
RESTORE_KEY = "restore.sh"
DRILL_SERVER_CONFIG = "config.xml"
DRILL_USERS_CONFIG = "users.xml"
DRILL_DATA = "/var/lib/clickhouse"
# Both scripts are files in scripts/. Their require_room (scripts/require-room.sh) asks for the backup's bytes and a
# fifth more: the restore's temporary files, the server's metadata and logs.


def restore_script(database: str, cluster: str, backup: str, into: str) -> str:
    """The body of a restore Job: one named backup into a side database on the serving cluster, then its row counts."""
    return render_script(__package__, RESTORE_KEY, DATABASE=database, CLUSTER=cluster, BACKUP=backup, INTO=into)


def drill_script(database: str) -> str:
    """Runs in the drill pod: starts the pod's own server, restores the newest backup into it and checks it.
    The server's start is the one step the tests cannot run (no server binary there)."""
    return render_script(
        __package__, DRILL_KEY, DATABASE=database, SCRIPTS_DIR=SCRIPTS_DIR, DRILL_SERVER_CONFIG=DRILL_SERVER_CONFIG, DRILL_DATA=DRILL_DATA
    )


def drill_server_config(backup_url: str) -> str:
    """The drill server's whole configuration: loopback only, an embedded single-node Keeper for the
    Replicated tables the backup holds (the `{{uuid}}`, `{{shard}}` and `{{replica}}` of their Keeper paths),
    and S3 credentials from the web identity the pod identity webhook projects."""
    return f"""<clickhouse>
  <logger><console>1</console><level>warning</level></logger>
  <path>{DRILL_DATA}/</path>
  <tmp_path>{DRILL_DATA}/tmp/</tmp_path>
  <user_files_path>{DRILL_DATA}/user_files/</user_files_path>
  <listen_host>127.0.0.1</listen_host>
  <tcp_port>9000</tcp_port>
  <users_config>{SCRIPTS_DIR}/{DRILL_USERS_CONFIG}</users_config>
  <keeper_server>
    <tcp_port>9181</tcp_port>
    <server_id>1</server_id>
    <log_storage_path>{DRILL_DATA}/coordination/log</log_storage_path>
    <snapshot_storage_path>{DRILL_DATA}/coordination/snapshots</snapshot_storage_path>
    <raft_configuration><server><id>1</id><hostname>127.0.0.1</hostname><port>9234</port></server></raft_configuration>
  </keeper_server>
  <zookeeper><node><host>127.0.0.1</host><port>9181</port></node></zookeeper>
  <macros><shard>0</shard><replica>restore-drill</replica></macros>
  <s3><backups><endpoint>{backup_url}/</endpoint><use_environment_credentials>true</use_environment_credentials></backups></s3>
</clickhouse>
"""


# The drill server's only user: no password, reachable from loopback only.
DRILL_USERS = """<clickhouse>
  <profiles><default/></profiles>
  <quotas><default/></quotas>
  <users><default>
    <password></password>
    <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
    <profile>default</profile>
    <quota>default</quota>
  </default></users>
</clickhouse>
"""


@dataclass(frozen=True)
class ClickHouseRestoreDrillArgs:
    namespace: pulumi.Input[str]
    installation: str
    database: str
    backup_url: pulumi.Input[str]  # https://<bucket>.s3.<region>.amazonaws.com/<prefix>
    full_every_days: int
    service_account: str  # its IAM role reads the backup prefix and nothing else
    storage_class: str
    storage_size: str  # one replica's volume: what the serving cluster holds, so what a backup restores to
    schedule: str


class ClickHouseRestoreDrill(pulumi.ComponentResource):
    def __init__(self, name: str, args: ClickHouseRestoreDrillArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("langfuse-rosa:clickhouse:ClickHouseRestoreDrill", name, None, opts)
        job = f"{args.installation}-clickhouse-restore-drill"
        scripts, scripts_mount = scripts_volume(job)
        env = {"BACKUP_URL": args.backup_url, "FULL_EVERY_DAYS": str(args.full_every_days), "DRILL_DATA": DRILL_DATA}
        pod = k8s.core.v1.PodTemplateSpecArgs(
            metadata=k8s.meta.v1.ObjectMetaArgs(labels=DRILL_LABELS),
            spec=k8s.core.v1.PodSpecArgs(
                restart_policy="Never",
                service_account_name=args.service_account,
                automount_service_account_token=False,
                security_context=restricted_pod_security_context(),
                containers=[
                    k8s.core.v1.ContainerArgs(
                        name="restore-drill",
                        image=CLICKHOUSE_SERVER,
                        command=["/bin/bash", f"{SCRIPTS_DIR}/{DRILL_KEY}"],
                        env=[k8s.core.v1.EnvVarArgs(name=k, value=v) for k, v in env.items()],
                        resources=k8s.core.v1.ResourceRequirementsArgs(requests={"cpu": "500m", "memory": "2Gi"}, limits={"cpu": "2", "memory": "4Gi"}),
                        security_context=restricted_container_security_context(),
                        volume_mounts=[
                            scripts_mount,
                            k8s.core.v1.VolumeMountArgs(name="data", mount_path=DRILL_DATA),
                            k8s.core.v1.VolumeMountArgs(name="tmp", mount_path="/tmp"),
                        ],
                    )
                ],
                volumes=[
                    scripts,
                    k8s.core.v1.VolumeArgs(name="tmp", empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(size_limit="1Gi")),
                    run_volume("data", args.storage_class, args.storage_size),  # on the encrypted class
                ],
            ),
        )
        scripted_cron_job(
            ScriptedCronJobArgs(
                name=job,
                namespace=args.namespace,
                labels=DRILL_LABELS,
                schedule=args.schedule,
                scripts={
                    DRILL_KEY: drill_script(args.database),
                    DRILL_SERVER_CONFIG: pulumi.Output.from_input(args.backup_url).apply(drill_server_config),
                    DRILL_USERS_CONFIG: DRILL_USERS,
                },
                pod_template=pod,
                deadline_seconds=6 * 3600,
                backoff_limit=1,
                history=2,
            ),
            parent=self,
        )
        self.register_outputs({})
