#!/bin/bash
# Rendered by langfuse-rosa (components/postgres/restore_drill.py). Recovers WORKDIR/data, which the
# restore-base-backup init container restored, to TARGET_TIME if set (else to the end of the archived WAL), then
# checks it.
set -euo pipefail
PG_BIN=${PG_BIN:-/usr/lib/postgresql/@@POSTGRES_MAJOR@@/bin}
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
restore_command = 'bash $scripts/@@WAL_FETCH@@ %f %p'
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
