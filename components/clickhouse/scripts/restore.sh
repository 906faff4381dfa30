#!/bin/bash
# Rendered by `langfuse-rosa restore clickhouse` (components/clickhouse/restore.py).
set -euo pipefail
. ./cluster-sql.sh
. ./require-room.sh
live=$(sql "SELECT sum(bytes_on_disk) FROM system.parts WHERE database = '@@DATABASE@@' AND active")
free=$(sql "SELECT free_space FROM system.disks WHERE name = 'default'")
require_room "@@BACKUP@@ into @@INTO@@" "$free" "$live"
sql "RESTORE DATABASE @@DATABASE@@ AS @@INTO@@ ON CLUSTER '@@CLUSTER@@' FROM S3('$BACKUP_URL/@@BACKUP@@')"
sql "SELECT name, total_rows FROM system.tables WHERE database = '@@INTO@@' ORDER BY name FORMAT TSV"
echo "restored @@BACKUP@@ into @@INTO@@"
