"""The data tier's own alerts, over what its stores share: the weekly restore drills of PostgreSQL and ClickHouse
(one alert per failing drill CronJob) and the stores' persistent volumes (the kubelet's volume stats)."""

from __future__ import annotations

from components.monitoring.alert import Alert, cronjob_success_age, in_namespace


def restore_drill_alerts(*, namespace: str, max_age_days: int) -> list[Alert]:
    """`max_age_days`: how long a drill may go without passing."""
    return [
        Alert(
            "RestoreDrillFailing", "warning",
            f"{cronjob_success_age(namespace, 'langfuse-(postgres|clickhouse)-restore-drill')} > {max_age_days * 86400}", "1h",
            "The {{ $labels.cronjob }} has not passed for over " + f"{max_age_days} days",
            "The latest backups have not been proven restorable recently: the drill job fails or does not run.",
            "backups", "backups",
        ),
    ]


def volume_alerts(*, namespace: str) -> list[Alert]:
    ns = in_namespace(namespace)
    return [
        Alert(
            "PersistentVolumeFillingUp", "warning",
            f"kubelet_volume_stats_available_bytes{{{ns}}} / kubelet_volume_stats_capacity_bytes{{{ns}}} < 0.15", "10m",
            "Volume {{ $labels.persistentvolumeclaim }} is over 85 % full",
            "{{ $labels.persistentvolumeclaim }} has {{ $value | humanizePercentage }} free.",
            "storage", "storage",
        ),
        Alert(
            "PersistentVolumeFullInADay", "critical",
            f"kubelet_volume_stats_available_bytes{{{ns}}} / kubelet_volume_stats_capacity_bytes{{{ns}}} < 0.25\n"
            f"and predict_linear(kubelet_volume_stats_available_bytes{{{ns}}}[6h], 86400) < 0",
            "15m",
            "Volume {{ $labels.persistentvolumeclaim }} will be full within a day",
            "At the last 6 hours' rate {{ $labels.persistentvolumeclaim }} fills up within 24 hours.",
            "storage", "storage",
        ),
    ]
