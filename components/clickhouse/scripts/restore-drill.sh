#!/bin/bash
# Rendered by langfuse-rosa (components/clickhouse/restore.py): restores the newest backup into a ClickHouse
# server of this pod's own (loopback only, its own volume and Keeper) and checks every table.
set -euo pipefail
. ./chain.sh
. ./require-room.sh
sql() { clickhouse-client --host 127.0.0.1 --port 9000 --query "$1"; }
clickhouse-server --config-file=@@SCRIPTS_DIR@@/@@DRILL_SERVER_CONFIG@@ >/tmp/server.log 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true' EXIT
until sql "SELECT 1" >/dev/null 2>&1; do
  kill -0 "$server" 2>/dev/null || { echo "the drill's server did not start" >&2; cat /tmp/server.log >&2; exit 1; }
  sleep 1
done
started=$(date +%s)
# A backup is complete once its .backup file is written; the newest one is what a restore would use.
name=$(sql "SELECT splitByChar('/', _path)[-2] AS name FROM s3('$BACKUP_URL/*/.backup', 'One') ORDER BY _time DESC, name DESC LIMIT 1")
[ -n "$name" ] || { echo "no complete backup under $BACKUP_URL" >&2; exit 1; }
files=$name
case $name in incr-*) files="{$name,$(base_of "$name")}" ;; esac
bytes=$(sql "SELECT sum(_size) FROM s3('$BACKUP_URL/$files/**', 'One')")
require_room "$name" "$(df --output=avail -B1 "${DRILL_DATA:-@@DRILL_DATA@@}" | tail -n 1)" "$bytes"
sql "RESTORE DATABASE @@DATABASE@@ AS restore_drill FROM S3('$BACKUP_URL/$name')"
tables=$(sql "SELECT name FROM system.tables WHERE database = 'restore_drill' AND engine LIKE '%MergeTree' ORDER BY name")
[ -n "$tables" ] || { echo "$name restored no tables" >&2; exit 1; }
for table in $tables; do
  [ "$(sql "CHECK TABLE restore_drill.$table SETTINGS check_query_single_value_result = 1")" = "1" ] || { echo "$table: checksums do not match" >&2; exit 1; }
  echo "$table $(sql "SELECT count() FROM restore_drill.$table") rows"
done
echo "restore drill passed: $name, $bytes bytes, $(wc -w <<<"$tables") tables, $(( $(date +%s) - started )) s"
