"""PostgreSQL restore drill: a CronJob that restores the newest base backup and every archived WAL segment from
S3 into a scratch volume with Barman Cloud, starts the copy, waits for recovery to end and reads every table
(with data checksums on, a damaged page fails the read). Its last success is kube-state-metrics'
`kube_cronjob_status_last_successful_time`, which the RestoreDrillFailing alert watches. The same scripts, with
TARGET_TIME, are the PITR drill in the tests.

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
from components.common.scripted_cron_job import SCRIPTS_DIR, ScriptedCronJobArgs, scripted_cron_job, scripts_volume
from components.postgres.contract import DRILL_LABELS
from components.postgres.images import BARMAN_CLOUD_SIDECAR_IMAGE, POSTGRES_IMAGE, POSTGRES_MAJOR
from components.postgres.object_store import ObjectStoreSettings

SCRIPT_KEY = "restore-drill.sh"
WAL_FETCH_KEY = "wal-fetch.sh"
BARMAN_KEY = "barman-drill.py"
WORKDIR = "/var/lib/drill"

BARMAN_SCRIPT = r'''"""Rendered by langfuse-rosa (components/postgres/restore_drill.py), run by the Barman Cloud sidecar image.
  restore-base  restore the newest completed base backup that began before TARGET_TIME (else the newest) into
                WORKDIR/data, then write WORKDIR/base-restored ("<backup id> <start epoch>")
  serve-wal     until WORKDIR/drill-finished exists, answer each WORKDIR/wal/<name>.want with WORKDIR/wal/<name>
                (barman-cloud-wal-restore) or WORKDIR/wal/<name>.rc (its exit code; 1: not in the archive)
"""
import json
import os
import subprocess
import sys
import time
from datetime import timezone
from pathlib import Path

from dateutil import parser

WORKDIR = Path(os.environ["WORKDIR"])
CLOUD = os.environ["BARMAN_CLOUD_ARGS"].split()
STORE = [os.environ["DESTINATION"], os.environ["SERVER_NAME"]]


def when(text):  # the servers run in UTC; a time without an offset is UTC
    moment = parser.parse(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def restore_base():
    started = int(time.time())
    listing = subprocess.run(
        ["barman-cloud-backup-list", *CLOUD, "--format", "json", *STORE], check=True, capture_output=True, text=True
    ).stdout
    target = when(os.environ["TARGET_TIME"]) if os.environ.get("TARGET_TIME") else None
    began = lambda backup: when(backup.get("begin_time_iso") or backup["begin_time"])  # noqa: E731
    done = [b for b in json.loads(listing)["backups_list"] if b.get("status") == "DONE"]
    usable = [b for b in done if target is None or began(b) < target]
    if not usable:
        sys.exit("no completed base backup" + (f" before {target}" if target else ""))
    backup = max(usable, key=began)["backup_id"]
    print(f"restoring base backup {backup}", flush=True)
    subprocess.run(["barman-cloud-restore", *CLOUD, *STORE, backup, str(WORKDIR / "data")], check=True)
    (WORKDIR / "base-restored").write_text(f"{backup} {started}\n")


def serve_wal():
    wal = WORKDIR / "wal"
    wal.mkdir(exist_ok=True)
    parallel = int(os.environ.get("WAL_RESTORE_PARALLEL", "1"))
    prefetch = ["--parallel", str(parallel), "--spool-dir", str(WORKDIR / "wal-spool")] if parallel > 1 else []
    while not (WORKDIR / "drill-finished").exists():
        for want in sorted(wal.glob("*.want")):
            name = want.name[: -len(".want")]
            part = wal / f"{name}.part"
            code = subprocess.run(["barman-cloud-wal-restore", *CLOUD, *prefetch, *STORE, name, str(part)]).returncode
            if code == 0:
                part.rename(wal / name)
            else:
                (wal / f"{name}.rc.part").write_text(f"{code}\n")
                (wal / f"{name}.rc.part").rename(wal / f"{name}.rc")
            want.unlink()
        time.sleep(0.1)


{"restore-base": restore_base, "serve-wal": serve_wal}[sys.argv[1]]()
'''

WAL_FETCH_SCRIPT = r"""#!/bin/bash
# Rendered by langfuse-rosa. PostgreSQL's restore_command: ask the wal-server sidecar for WAL file $1 and move it
# to $2; exit 1 when the archive has no such file (the end of the WAL), recording any other failure.
set -u
wal="$WORKDIR/wal"
: > "$wal/$1.want"
for _ in $(seq 1 6000); do
  if [ -f "$wal/$1" ]; then exec mv "$wal/$1" "$2"; fi
  if [ -f "$wal/$1.rc" ]; then
    code=$(cat "$wal/$1.rc")
    rm -f "$wal/$1.rc"
    [ "$code" = 1 ] || echo "barman-cloud-wal-restore $1 exited $code" >> "$WORKDIR/wal-errors"
    exit 1
  fi
  sleep 0.1
done
echo "no answer for $1 within 10 minutes" >> "$WORKDIR/wal-errors"
exit 1
"""

RESTORE_SCRIPT = r"""#!/bin/bash
# Rendered by langfuse-rosa (components/postgres/restore_drill.py). Recovers WORKDIR/data, which the
# restore-base-backup init container restored, to TARGET_TIME if set (else to the end of the archived WAL), then
# checks it.
set -euo pipefail
PG_BIN=${PG_BIN:-/usr/lib/postgresql/@MAJOR@/bin}
PORT=${PORT:-5432}
data="$WORKDIR/data"
scripts=$(dirname "$0")
trap 'touch "$WORKDIR/drill-finished"' EXIT
read -r backup_id started < "$WORKDIR/base-restored"
echo "recovering base backup $backup_id"
# The backup's own configuration points at the operator's certificates and paths: start from a clean one.
[ ! -L "$data/pg_wal" ] || rm "$data/pg_wal"
mkdir -p "$data/pg_wal"
: > "$data/postgresql.conf"
echo "local all all trust" > "$data/pg_hba.conf"
# A hot standby needs these at least as high as the primary had them, which pg_control records (CloudNativePG's
# own recovery copies them the same way: pkg/management/postgres/restore.go).
setting() { LANG=C "$PG_BIN/pg_controldata" "$data" | sed -n "s/^$1 setting: *//p"; }
cat > "$data/postgresql.auto.conf" <<EOF
port = $PORT
listen_addresses = ''
unix_socket_directories = '$WORKDIR'
archive_mode = off
restore_command = 'bash $scripts/@WAL_FETCH@ %f %p'
recovery_target_action = 'promote'
max_connections = $(setting max_connections)
max_worker_processes = $(setting max_worker_processes)
max_wal_senders = $(setting max_wal_senders)
max_prepared_transactions = $(setting max_prepared_xacts)
max_locks_per_transaction = $(setting max_locks_per_xact)
EOF
[ -z "${TARGET_TIME:-}" ] || echo "recovery_target_time = '$TARGET_TIME'" >> "$data/postgresql.auto.conf"
touch "$data/recovery.signal"
chmod 700 "$data"
"$PG_BIN/pg_ctl" -D "$data" -w -t 3600 -l "$WORKDIR/postgres.log" start
trap '"$PG_BIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null; touch "$WORKDIR/drill-finished"' EXIT
sql() { "$PG_BIN/psql" -h "$WORKDIR" -p "$PORT" -U "${PGUSER:-postgres}" -d "$1" -Atqc "$2"; }
until [ "$(sql postgres 'SELECT pg_is_in_recovery()')" = "f" ]; do sleep 2; done
echo "recovered in $(( $(date +%s) - started )) s"
if [ -s "$WORKDIR/wal-errors" ]; then cat "$WORKDIR/wal-errors" >&2; echo "WAL could not be read: the copy may end early" >&2; exit 1; fi
tables=0
for db in $(sql postgres "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate"); do
  for table in $(sql "$db" "SELECT format('%I.%I', schemaname, relname) FROM pg_stat_user_tables ORDER BY 1"); do
    echo "$db $table $(sql "$db" "SELECT count(*) FROM $table")"
    tables=$(( tables + 1 ))
  done
done
[ "$tables" -gt 0 ] || { echo "the restored copy has no tables" >&2; exit 1; }
echo "restore drill passed: $tables tables read"
""".replace("@MAJOR@", str(POSTGRES_MAJOR)).replace("@WAL_FETCH@", WAL_FETCH_KEY)

SCRIPTS = {SCRIPT_KEY: RESTORE_SCRIPT, WAL_FETCH_KEY: WAL_FETCH_SCRIPT, BARMAN_KEY: BARMAN_SCRIPT}


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
