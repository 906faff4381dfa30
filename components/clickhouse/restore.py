"""ClickHouse restores: the RESTORE statement, the weekly restore drill and the script of a restore Job.

A restore never overwrites the live tables: it restores into a side database (`RESTORE DATABASE default AS
<side> ON CLUSTER ...`); the runbook swaps tables with EXCHANGE TABLES once the copy is checked. The drill
restores the current cycle's full backup into `restore_drill`, runs CHECK TABLE (part checksums) on every
table and counts its rows (a table that cannot be read fails the drill), then drops the copy. Only fulls
are drilled: an incremental's name is not known without listing the bucket, which the client cannot.
"""

from __future__ import annotations

import pulumi

from components.clickhouse.backup import CLIENT_CONFIG, CLIENT_NAME, SCRIPT_PRELUDE, ClickHouseBackupArgs, client_pod_template
from components.common.labels import recommended_labels
from components.common.scripted_cron_job import SCRIPTS_DIR, ScriptedCronJobArgs, scripted_cron_job

DRILL_DATABASE = "restore_drill"
DRILL_KEY = "restore-drill.sh"
RESTORE_KEY = "restore.sh"


def restore_statement(database: str, cluster: str, source_url: str, into: str) -> str:
    return f"RESTORE DATABASE {database} AS {into} ON CLUSTER '{cluster}' FROM S3('{source_url}')"


def restore_script(database: str, cluster: str, backup: str, into: str) -> str:
    """The body of a restore Job: one named backup into a side database, then its row counts."""
    return f"""#!/bin/bash
# Rendered by `langfuse-rosa restore clickhouse` (components/clickhouse/restore.py).
{SCRIPT_PRELUDE}sql "{restore_statement(database, cluster, f"$BACKUP_URL/{backup}", into)}"
sql "SELECT name, total_rows FROM system.tables WHERE database = '{into}' ORDER BY name FORMAT TSV"
echo "restored {backup} into {into}"
"""


def drill_script(database: str, cluster: str) -> str:
    return f"""#!/bin/bash
# Rendered by langfuse-rosa (components/clickhouse/restore.py): restores this cycle's full backup and checks it.
{SCRIPT_PRELUDE}drill="{DRILL_DATABASE}"
sql "DROP DATABASE IF EXISTS $drill ON CLUSTER '{cluster}' SYNC"
trap 'sql "DROP DATABASE IF EXISTS $drill ON CLUSTER '"'"'{cluster}'"'"' SYNC"' EXIT
sql "{restore_statement(database, cluster, "$BACKUP_URL/$full", "$drill")}"
tables=$(sql "SELECT name FROM system.tables WHERE database = '{database}' AND engine LIKE '%MergeTree' ORDER BY name")
[ -n "$tables" ] || {{ echo "no tables in {database}" >&2; exit 1; }}
for table in $tables; do
  [ "$(sql "CHECK TABLE $drill.$table SETTINGS check_query_single_value_result = 1")" = "1" ] || {{ echo "$table: checksums do not match" >&2; exit 1; }}
  restored=$(sql "SELECT count() FROM $drill.$table")
  echo "$table $restored rows"
done
echo "restore drill passed: $full, $(wc -w <<<"$tables") tables"
"""


class ClickHouseRestoreDrill(pulumi.ComponentResource):
    def __init__(self, name: str, args: ClickHouseBackupArgs, schedule: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("langfuse-rosa:clickhouse:ClickHouseRestoreDrill", name, None, opts)
        job = f"{args.installation}-clickhouse-restore-drill"
        labels = recommended_labels(CLIENT_NAME, "restore-drill", "langfuse")
        scripted_cron_job(
            ScriptedCronJobArgs(
                name=job,
                namespace=args.namespace,
                labels=labels,
                schedule=schedule,
                scripts={DRILL_KEY: drill_script(args.database, args.cluster), "client.xml": CLIENT_CONFIG},
                pod_template=client_pod_template(args, labels, ["/bin/bash", f"{SCRIPTS_DIR}/{DRILL_KEY}"], job),
                deadline_seconds=6 * 3600,
                backoff_limit=1,
                history=2,
            ),
            parent=self,
        )
        self.register_outputs({})

