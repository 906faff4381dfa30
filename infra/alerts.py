"""The alerts of an environment stack: each owner's (components/<owner>/alerts.py), for what this stack deploys
and nothing else. A store the stack does not run exports no series, and an alert on one would never resolve
(RedisNoMaster's absent() would fire for ever in external mode); tests/monitoring/test_alert_series.py proves
every rendered alert's series can exist in its stack."""

from __future__ import annotations

from components.analytics.alerts import analytics_alerts
from components.clickhouse.alerts import backup_alerts as clickhouse_backup_alerts
from components.clickhouse.alerts import clickhouse_alerts
from components.data_tier.alerts import restore_drill_alerts, volume_alerts
from components.langfuse.alerts import langfuse_alerts
from components.monitoring.alert import Alert
from components.monitoring.probe_alerts import probe_alerts
from components.monitoring.round_trip_alerts import round_trip_alerts
from components.postgres.alerts import postgres_alerts
from components.redis.alerts import redis_alerts
from components.tenancy.alerts import tenant_key_alerts, usage_alerts
from infra.analytics import lag_alert_seconds
from infra.stack_config import StackConfig
from infra.tenancy import usage_reported

# The drills run weekly (dataTier.restoreDrillSchedule): one missed run is tolerated.
RESTORE_DRILL_MAX_AGE_DAYS = 15


def deployed_alerts(config: StackConfig, public_url: str) -> list[Alert]:
    """In the order of the PrometheusRule's groups (each group where its first alert comes)."""
    ns, monitoring, tier = config.langfuse.namespace, config.monitoring, config.data_tier
    alerts = langfuse_alerts(namespace=ns, ingestion_backlog=monitoring.ingestion_backlog_alert)
    if tier is not None:
        alerts += postgres_alerts(namespace=ns, backup_max_age_hours=monitoring.postgres_backup_max_age_hours)
        # One missed backup run is tolerated; two are not.
        alerts += clickhouse_backup_alerts(namespace=ns, max_age_hours=2 * tier.clickhouse.backup.interval_hours + 1)
        alerts += restore_drill_alerts(namespace=ns, max_age_days=RESTORE_DRILL_MAX_AGE_DAYS)
    if config.analytics.enabled:
        analytics = config.analytics
        alerts += analytics_alerts(
            namespace=ns,
            lag_seconds=lag_alert_seconds(analytics.export_interval_minutes),
            backup_max_age_hours=2 * analytics.backup.interval_hours + 1,
        )
    if config.tenancy.enabled:
        alerts += tenant_key_alerts(namespace=ns)
    if usage_reported(config):
        usage = config.tenancy.usage
        alerts += usage_alerts(
            namespace=ns, langfuse_url=public_url, poll_interval_seconds=usage.poll_interval_seconds, error_rate_jump=usage.error_rate_jump
        )
    monitor = config.verification.monitor
    if monitor.enabled:
        alerts += round_trip_alerts(namespace=ns, interval_seconds=monitor.interval_seconds, latency_seconds=monitor.latency_alert_seconds)
    if tier is not None:
        # The ClickHouse alerts select by namespace: they watch the analytics cluster (which needs the data tier) too.
        alerts += clickhouse_alerts(namespace=ns) + redis_alerts(namespace=ns) + volume_alerts(namespace=ns)
    return alerts + probe_alerts(namespace=ns)
