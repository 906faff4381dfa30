"""The analytics cluster's alerts: its backups (kube-state-metrics, the CronJob of cluster.py) and the freshness
of its data, as its servers report it (queries.py FRESHNESS, declared beside the PodMonitor in cluster.py).
Its servers' and Keeper's health is watched by the serving cluster's alerts (components/clickhouse/alerts.py)."""

from __future__ import annotations

from components.analytics.contract import INSTALLATION
from components.analytics.queries import LOADED_UNTIL_METRIC, NEWEST_OBSERVATION_METRIC, SKIPPED_MANIFESTS_METRIC
from components.clickhouse.contract import backup_job
from components.monitoring.alert import Alert, cronjob_success_age, in_namespace


def analytics_alerts(*, namespace: str, lag_seconds: int, backup_max_age_hours: int) -> list[Alert]:
    """`lag_seconds`: how old its newest data may get; `backup_max_age_hours`: its last successful backup."""
    ns = in_namespace(namespace)
    newest, loaded = f"time() - max({NEWEST_OBSERVATION_METRIC}{{{ns}}})", f"time() - max({LOADED_UNTIL_METRIC}{{{ns}}})"
    return [
        Alert(
            "AnalyticsBackupTooOld", "warning",
            f"{cronjob_success_age(namespace, backup_job(INSTALLATION))} > {backup_max_age_hours * 3600}", "10m",
            f"The newest backup of the analytics cluster is older than {backup_max_age_hours} h",
            "The analytics cluster's backup CronJob has not succeeded within the window: a restore would lose more than its RPO "
            "(the history beyond the exports' lifecycle exists nowhere else).",
            "analytics", "analytics",
        ),
        Alert(
            # Both: a platform with no traffic has no new rows, but its exports still commit (empty) windows.
            "LangfuseAnalyticsLagging", "warning", f"({newest} > {lag_seconds}) and ({loaded} > {lag_seconds})", "15m",
            "The analytics cluster's newest data is {{ $value | humanizeDuration }} old",
            f"Its newest observation and its newest loaded export window are both older than {lag_seconds // 60} minutes "
            "(two export intervals and Langfuse's 20-minute export lag): Langfuse's exports, the loader or the cluster are stuck, "
            "and dashboards and reports show stale data.",
            "analytics", "analytics",
        ),
        Alert(
            "LangfuseAnalyticsFilesSkipped", "warning", f"max({SKIPPED_MANIFESTS_METRIC}{{{ns}}}) > 0", "30m",
            "{{ $value }} loaded export runs had files the loader could not read",
            "A manifest listed observation files in a format the loader does not read (CSV) or under keys outside Langfuse's layout: "
            "those rows are missing from the analytics cluster.",
            "analytics", "analytics",
        ),
    ]
