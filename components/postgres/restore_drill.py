"""PostgreSQL restore drill: a CronJob that restores the newest base backup and every archived WAL segment
from S3 into a scratch volume with Barman Cloud (the tools CloudNativePG archives with), starts the copy,
waits for recovery to end and reads every table (with data checksums on, a damaged page fails the read).
Its last success is kube-state-metrics' `kube_cronjob_status_last_successful_time`, which the
RestoreDrillFailing alert watches. The same script, with TARGET_TIME, is the PITR drill in the tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.common.labels import recommended_labels
from components.common.pod_security import restricted_container_security_context, restricted_pod_security_context
from components.common.scripted_cron_job import SCRIPTS_DIR, ScriptedCronJobArgs, scripted_cron_job, scripts_volume

SCRIPT_KEY = "restore-drill.sh"
DRILL_LABELS = recommended_labels("postgres-restore-drill", "restore-drill", "langfuse")

RESTORE_SCRIPT = r"""#!/bin/bash
# Rendered by langfuse-rosa (components/postgres/restore_drill.py). Restores DESTINATION/SERVER_NAME into
# WORKDIR/data, to TARGET_TIME if set (else to the end of the archived WAL), then checks it.
set -euo pipefail
PG_BIN=${PG_BIN:-/usr/lib/postgresql/17/bin}
PORT=${PORT:-5432}
data="$WORKDIR/data"
read -r -a cloud <<<"$BARMAN_CLOUD_ARGS"
# The newest completed base backup that began before the target.
backup_id=$(barman-cloud-backup-list "${cloud[@]}" --format json "$DESTINATION" "$SERVER_NAME" | python3 -c '
import json, sys
from datetime import timezone
from dateutil import parser
def when(text):  # the servers run in UTC; a time without an offset is UTC
    t = parser.parse(text)
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)
target = when(sys.argv[1]) if sys.argv[1] else None
done = [b for b in json.load(sys.stdin)["backups_list"] if b.get("status") == "DONE"]
usable = [b for b in done if target is None or when(b.get("begin_time_iso") or b["begin_time"]) < target]
if not usable:
    sys.exit("no completed base backup" + (" before " + sys.argv[1] if target else ""))
print(max(usable, key=lambda b: when(b.get("begin_time_iso") or b["begin_time"]))["backup_id"])
' "${TARGET_TIME:-}")
echo "restoring base backup $backup_id"
started=$(date +%s)
barman-cloud-restore "${cloud[@]}" "$DESTINATION" "$SERVER_NAME" "$backup_id" "$data"
# The backup's own configuration points at the operator's certificates and paths: start from a clean one.
[ ! -L "$data/pg_wal" ] || rm "$data/pg_wal"
mkdir -p "$data/pg_wal"
: > "$data/postgresql.conf"
echo "local all all trust" > "$data/pg_hba.conf"
cat > "$data/postgresql.auto.conf" <<EOF
port = $PORT
listen_addresses = ''
unix_socket_directories = '$WORKDIR'
archive_mode = off
restore_command = '$(command -v barman-cloud-wal-restore) $BARMAN_CLOUD_ARGS $DESTINATION $SERVER_NAME %f %p'
recovery_target_action = 'promote'
EOF
[ -z "${TARGET_TIME:-}" ] || echo "recovery_target_time = '$TARGET_TIME'" >> "$data/postgresql.auto.conf"
touch "$data/recovery.signal"
chmod 700 "$data"
"$PG_BIN/pg_ctl" -D "$data" -w -t 3600 -l "$WORKDIR/postgres.log" start
trap '"$PG_BIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null' EXIT
sql() { "$PG_BIN/psql" -h "$WORKDIR" -p "$PORT" -U "${PGUSER:-postgres}" -d "$1" -Atqc "$2"; }
until [ "$(sql postgres 'SELECT pg_is_in_recovery()')" = "f" ]; do sleep 2; done
echo "recovered in $(( $(date +%s) - started )) s"
tables=0
for db in $(sql postgres "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate"); do
  for table in $(sql "$db" "SELECT format('%I.%I', schemaname, relname) FROM pg_stat_user_tables ORDER BY 1"); do
    echo "$db $table $(sql "$db" "SELECT count(*) FROM $table")"
    tables=$(( tables + 1 ))
  done
done
[ "$tables" -gt 0 ] || { echo "the restored copy has no tables" >&2; exit 1; }
echo "restore drill passed: $tables tables read"
"""


@dataclass(frozen=True)
class PostgresRestoreDrillArgs:
    namespace: pulumi.Input[str]
    cluster: str  # the CloudNativePG Cluster and its service account (with the backup role)
    server_name: str  # the folder of its backups
    destination: pulumi.Input[str]  # s3://bucket/prefix
    region: str
    image: str
    schedule: str
    storage_class: str
    storage_size: str  # room for the data and the WAL replayed


class PostgresRestoreDrill(pulumi.ComponentResource):
    def __init__(self, name: str, args: PostgresRestoreDrillArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("langfuse-rosa:postgres:PostgresRestoreDrill", name, None, opts)
        job = f"{args.cluster}-restore-drill"
        labels = DRILL_LABELS
        env = {
            "DESTINATION": args.destination,
            "SERVER_NAME": args.server_name,
            "BARMAN_CLOUD_ARGS": "--cloud-provider aws-s3",
            "AWS_DEFAULT_REGION": args.region,
            "WORKDIR": "/var/lib/drill",
        }
        scripts, scripts_mount = scripts_volume(job)
        pod = k8s.core.v1.PodTemplateSpecArgs(
            metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels),
            spec=k8s.core.v1.PodSpecArgs(
                restart_policy="Never",
                # CloudNativePG's account for the cluster carries the backup role (read access).
                service_account_name=args.cluster,
                automount_service_account_token=False,
                security_context=restricted_pod_security_context(),
                containers=[
                    k8s.core.v1.ContainerArgs(
                        name="restore-drill",
                        image=args.image,
                        command=["/bin/bash", f"{SCRIPTS_DIR}/{SCRIPT_KEY}"],
                        env=[k8s.core.v1.EnvVarArgs(name=k, value=v) for k, v in env.items()],
                        resources=k8s.core.v1.ResourceRequirementsArgs(requests={"cpu": "500m", "memory": "1Gi"}, limits={"cpu": "2", "memory": "2Gi"}),
                        security_context=restricted_container_security_context(),
                        volume_mounts=[
                            scripts_mount,
                            k8s.core.v1.VolumeMountArgs(name="scratch", mount_path="/var/lib/drill"),
                            k8s.core.v1.VolumeMountArgs(name="tmp", mount_path="/tmp"),
                        ],
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
                scripts={SCRIPT_KEY: RESTORE_SCRIPT},
                pod_template=pod,
                deadline_seconds=6 * 3600,
                backoff_limit=1,
                history=2,
            ),
            parent=self,
        )
        self.register_outputs({})
