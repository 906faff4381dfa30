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

from components.clickhouse.backup import CHAIN_FUNCTIONS, SCRIPT_PRELUDE
from components.clickhouse.contract import DRILL_LABELS
from components.clickhouse.images import CLICKHOUSE_SERVER
from components.common.pod_security import restricted_container_security_context, restricted_pod_security_context
from components.common.scripted_cron_job import SCRIPTS_DIR, ScriptedCronJobArgs, run_volume, scripted_cron_job, scripts_volume

DRILL_DATABASE = "restore_drill"
DRILL_KEY = "restore-drill.sh"
RESTORE_KEY = "restore.sh"
DRILL_SERVER_CONFIG = "config.xml"
DRILL_USERS_CONFIG = "users.xml"
DRILL_DATA = "/var/lib/clickhouse"
# Room a restore needs beyond the backup's bytes: its temporary files, the server's metadata and logs.
HEADROOM_DIVISOR = 5

# Prints the bytes it needs and exits when $2 (free bytes) is short; $1 names the restore in the message.
REQUIRE_ROOM = f"""require_room() {{
  local need=$(( $3 + $3 / {HEADROOM_DIVISOR} ))
  if [ "$2" -lt "$need" ]; then
    echo "refusing to restore $1: it needs $need bytes ($3 and a {HEADROOM_DIVISOR}th more), the volume has $2 free" >&2
    exit 1
  fi
  echo "$1: needs $need bytes, the volume has $2 free"
}}
"""


def restore_statement(database: str, cluster: str, source_url: str, into: str) -> str:
    return f"RESTORE DATABASE {database} AS {into} ON CLUSTER '{cluster}' FROM S3('{source_url}')"


def restore_script(database: str, cluster: str, backup: str, into: str) -> str:
    """The body of a restore Job: one named backup into a side database on the serving cluster, then its row counts."""
    return f"""#!/bin/bash
# Rendered by `langfuse-rosa restore clickhouse` (components/clickhouse/restore.py).
{SCRIPT_PRELUDE}{REQUIRE_ROOM}live=$(sql "SELECT sum(bytes_on_disk) FROM system.parts WHERE database = '{database}' AND active")
free=$(sql "SELECT free_space FROM system.disks WHERE name = 'default'")
require_room "{backup} into {into}" "$free" "$live"
sql "{restore_statement(database, cluster, f"$BACKUP_URL/{backup}", into)}"
sql "SELECT name, total_rows FROM system.tables WHERE database = '{into}' ORDER BY name FORMAT TSV"
echo "restored {backup} into {into}"
"""


def drill_script(database: str) -> str:
    """Runs in the drill pod: starts the pod's own server, restores the newest backup into it and checks it.
    The server's start is the one step the tests cannot run (no server binary there)."""
    return f"""#!/bin/bash
# Rendered by langfuse-rosa (components/clickhouse/restore.py): restores the newest backup into a ClickHouse
# server of this pod's own (loopback only, its own volume and Keeper) and checks every table.
{CHAIN_FUNCTIONS}{REQUIRE_ROOM}sql() {{ clickhouse-client --host 127.0.0.1 --port 9000 --query "$1"; }}
clickhouse-server --config-file={SCRIPTS_DIR}/{DRILL_SERVER_CONFIG} >/tmp/server.log 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true' EXIT
until sql "SELECT 1" >/dev/null 2>&1; do
  kill -0 "$server" 2>/dev/null || {{ echo "the drill's server did not start" >&2; cat /tmp/server.log >&2; exit 1; }}
  sleep 1
done
started=$(date +%s)
# A backup is complete once its .backup file is written; the newest one is what a restore would use.
name=$(sql "SELECT splitByChar('/', _path)[-2] AS name FROM s3('$BACKUP_URL/*/.backup', 'One') ORDER BY _time DESC, name DESC LIMIT 1")
[ -n "$name" ] || {{ echo "no complete backup under $BACKUP_URL" >&2; exit 1; }}
files=$name
case $name in incr-*) files="{{$name,$(base_of "$name")}}" ;; esac
bytes=$(sql "SELECT sum(_size) FROM s3('$BACKUP_URL/$files/**', 'One')")
require_room "$name" "$(df --output=avail -B1 "${{DRILL_DATA:-{DRILL_DATA}}}" | tail -n 1)" "$bytes"
sql "RESTORE DATABASE {database} AS {DRILL_DATABASE} FROM S3('$BACKUP_URL/$name')"
tables=$(sql "SELECT name FROM system.tables WHERE database = '{DRILL_DATABASE}' AND engine LIKE '%MergeTree' ORDER BY name")
[ -n "$tables" ] || {{ echo "$name restored no tables" >&2; exit 1; }}
for table in $tables; do
  [ "$(sql "CHECK TABLE {DRILL_DATABASE}.$table SETTINGS check_query_single_value_result = 1")" = "1" ] || {{ echo "$table: checksums do not match" >&2; exit 1; }}
  echo "$table $(sql "SELECT count() FROM {DRILL_DATABASE}.$table") rows"
done
echo "restore drill passed: $name, $bytes bytes, $(wc -w <<<"$tables") tables, $(( $(date +%s) - started )) s"
"""


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
