"""ClickHouse's alerts: the servers and Keeper (their built-in Prometheus endpoints, declared beside the
PodMonitors in installation.py), and the backup CronJob (backup.py) through kube-state-metrics.

The server and Keeper alerts select by namespace, not installation, so they watch the analytics cluster too
(components/analytics), which runs only beside this one; the Keeper alert is per ensemble."""

from __future__ import annotations

from components.clickhouse.contract import INSTALLATION, backup_job
from components.monitoring.alert import Alert, cronjob_success_age, in_namespace


def clickhouse_alerts(*, namespace: str) -> list[Alert]:
    ns = in_namespace(namespace)
    return [
        Alert(
            "ClickHouseReplicaLag", "warning", f"max by (pod) (ClickHouseAsyncMetrics_ReplicasMaxAbsoluteDelay{{{ns}}}) > 300", "10m",
            "ClickHouse replica {{ $labels.pod }} is {{ $value }} s behind",
            "A replica lags more than 5 minutes; queries it serves return stale traces.",
            "clickhouse", "clickhouse",
        ),
        Alert(
            "ClickHouseReadOnlyReplica", "critical", f"max by (pod) (ClickHouseMetrics_ReadonlyReplica{{{ns}}}) > 0", "5m",
            "ClickHouse replica {{ $labels.pod }} is read-only",
            "The replica lost its Keeper session or metadata and refuses inserts: Langfuse's writes to it fail.",
            "clickhouse", "clickhouse",
        ),
        Alert(
            # Per ensemble (the serving cluster's and the analytics cluster's Keepers share the namespace): the
            # operator names Keeper pods chk-<installation>-keeper-<shard>-<replica>-0.
            "ClickHouseKeeperQuorumLost", "critical",
            'max by (installation) (label_replace(ClickHouseAsyncMetrics_KeeperIsLeader{' + ns + '}, "installation", "$1", "pod", "chk-(.+)-keeper-.+")) < 1'
            f" or absent(ClickHouseAsyncMetrics_KeeperIsLeader{{{ns}}})", "2m",
            "ClickHouse Keeper has no leader",
            "No Keeper member is leader: the ensemble lost its quorum, replicated tables are read-only.",
            "clickhouse", "clickhouse",
        ),
    ]


def backup_alerts(*, namespace: str, max_age_hours: int) -> list[Alert]:
    """`max_age_hours`: how old the last successful backup may get (two missed runs, not one)."""
    return [
        Alert(
            "ClickHouseBackupTooOld", "critical",
            f"{cronjob_success_age(namespace, backup_job(INSTALLATION))} > {max_age_hours * 3600}", "10m",
            f"The newest ClickHouse backup is older than {max_age_hours} h",
            "The backup CronJob has not succeeded within the window: a restore would lose more than the stack's RPO.",
            "backups", "backups",
        ),
    ]
