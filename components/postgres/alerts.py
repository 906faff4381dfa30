"""PostgreSQL's alerts (CloudNativePG): replication, failover, WAL archiving, base backups. Metric names: the
instances' exporter, declared beside the PodMonitor (cluster.py, EXPORTED_SERIES); the sample rules in
CloudNativePG's docs/src/samples/monitoring/prometheusrule.yaml."""

from __future__ import annotations

from components.monitoring.alert import Alert, in_namespace


def postgres_alerts(*, namespace: str, backup_max_age_hours: int) -> list[Alert]:
    ns = in_namespace(namespace)
    return [
        Alert(
            "PostgresReplicationLag", "warning", f"max by (pod) (cnpg_pg_replication_lag{{{ns}}}) > 30", "5m",
            "PostgreSQL standby {{ $labels.pod }} lags {{ $value }} s",
            "A standby is more than 30 s behind the primary; a failover to it would lose nothing (synchronous "
            "replication) but would wait for it to catch up.",
            "postgresql", "postgresql",
        ),
        Alert(
            "PostgresFailover", "warning", f"changes(cnpg_pg_replication_in_recovery{{{ns}}}[10m]) > 0", "0m",
            "PostgreSQL instance {{ $labels.pod }} changed role",
            "{{ $labels.pod }} was promoted or demoted in the last 10 minutes: CloudNativePG failed over or switched over.",
            "postgresql", "postgresql",
        ),
        Alert(
            "PostgresWalArchivingFailing", "critical",
            f"(cnpg_pg_stat_archiver_last_failed_time{{{ns}}} - cnpg_pg_stat_archiver_last_archived_time{{{ns}}}) > 1",
            "5m",
            "PostgreSQL cannot archive WAL to S3",
            "{{ $labels.pod }} failed to archive WAL since its last success: point-in-time recovery is stuck in the "
            "past and pg_wal fills up.",
            "postgresql", "postgresql",
        ),
        Alert(
            # The Barman Cloud Plugin's metric, served by each instance's exporter; it supersedes the in-tree
            # cnpg_collector_last_available_backup_timestamp (plugin-barman-cloud docs v0.14.0, "Observability").
            "PostgresBackupTooOld", "critical",
            f"time() - max(barman_cloud_cloudnative_pg_io_last_available_backup_timestamp{{{ns}}}) > {backup_max_age_hours * 3600}",
            "10m",
            f"The newest PostgreSQL base backup is older than {backup_max_age_hours} h",
            "No base backup completed within the window; restores replay ever more WAL and the retention policy "
            "may drop the last good base.",
            "postgresql", "postgresql",
        ),
    ]
