#!/bin/bash
# Rendered by langfuse-rosa (components/clickhouse/backup.py).
set -euo pipefail
. ./chain.sh
now=${BACKUP_NOW:-$(date -u +%s)}
full=$(cycle_full "$now")
. ./cluster-sql.sh
name="incr-$(date -u -d "@$now" +%Y%m%dT%H%M%SZ)"
backup="BACKUP DATABASE @@DATABASE@@ ON CLUSTER '@@CLUSTER@@' TO S3('$BACKUP_URL"
if sql "$backup/$name') SETTINGS base_backup = S3('$BACKUP_URL/$full')"; then
  echo "incremental backup $name on $full"
else
  echo "no usable full backup $full for this cycle: taking it now" >&2
  sql "$backup/$full')"
  echo "full backup $full"
fi
