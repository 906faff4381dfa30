"""LangfuseAlerts: the PrometheusRule for Langfuse and its stores, each alert with a severity, a summary, a
description and a runbook in docs/runbooks/.

OpenShift evaluates user-defined rules in Thanos Ruler, which queries platform and user-workload metrics
together (kube-state-metrics and kubelet volume stats included), scoped to the rule's namespace.
Metric names: Langfuse's from our statsd mapping (components/monitoring/statsd_mapping.py); CloudNativePG's
from its docs (docs/src/monitoring.md, sample rules in docs/src/samples/monitoring/prometheusrule.yaml);
ClickHouse's and Keeper's built-in endpoint (ClickHouseMetrics_*, ClickHouseAsyncMetrics_*); redis_exporter's
(checked against Debian's exporter in tests/redis); blackbox_exporter's probe_* (tests/monitoring).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
from langfuse_incluster import contract as incluster

from components.analytics.queries import LOADED_UNTIL_METRIC, NEWEST_OBSERVATION_METRIC, SKIPPED_MANIFESTS_METRIC
from components.common.labels import recommended_labels

RUNBOOK_DIR = "docs/runbooks"


@dataclass(frozen=True)
class Alert:
    name: str
    severity: str  # critical | warning
    expr: str
    for_: str
    summary: str
    description: str
    runbook: str  # file in docs/runbooks, without .md
    group: str


@dataclass(frozen=True)
class RoundTripAlerting:
    interval_seconds: int  # a round trip this often
    latency_seconds: int  # warn above this ingestion-to-queryable


@dataclass(frozen=True)
class AlertThresholds:
    ingestion_backlog: int  # waiting jobs in an ingestion queue
    postgres_backup_max_age_hours: int
    runbook_base_url: str
    # In-cluster stores only: the backup and restore-drill CronJobs whose last success must be recent.
    clickhouse_backup_max_age_hours: int | None = None
    restore_drill_max_age_days: int | None = None  # where docs/runbooks is browsable, e.g. https://github.com/<org>/<repo>/blob/main/docs/runbooks
    tenant_keys: bool = False  # the tenant controller runs: alert when a key outlives its rotation
    round_trip: RoundTripAlerting | None = None  # the round-trip monitor runs: alert on its results
    usage: UsageAlertSettings | None = None  # the usage exporter runs: budgets, forecasts, expensive traces, errors
    # The analytics cluster runs: how old its newest data may get, and its backups.
    analytics_lag_seconds: int | None = None
    analytics_backup_max_age_hours: int | None = None


@dataclass(frozen=True)
class UsageAlertSettings:
    langfuse_url: str  # https://<the Route's host>: links to traces and sessions
    poll_interval_seconds: int  # the exporter's; its usage figures refresh every second interval
    error_rate_jump: float  # today's error rate over the last 7 days' that alerts
    min_errors: int = 20  # ... with at least this many errors today
    min_error_rate: float = 0.05  # ... and at least this share of today's observations


def alerts(namespace: str, t: AlertThresholds) -> list[Alert]:
    ns = f'namespace="{namespace}"'
    langfuse = f'{ns},deployment=~"langfuse-(web|worker)"'
    ingestion = f'{ns},queue=~"ingestion|otel_ingestion",type="waiting",shard="all"'
    return [
        # -- Langfuse ------------------------------------------------------------------------------------------
        Alert(
            "LangfuseUnavailable", "critical", f"kube_deployment_status_replicas_available{{{langfuse}}} < 1", "5m",
            "Langfuse {{ $labels.deployment }} has no available pod",
            "No pod of {{ $labels.deployment }} in {{ $labels.namespace }} is available: the UI and API (web) or "
            "ingestion processing (worker) is down.",
            "langfuse", "langfuse",
        ),
        Alert(
            "LangfuseDegraded", "warning",
            f"kube_deployment_status_replicas_available{{{langfuse}}} < kube_deployment_spec_replicas{{{langfuse}}}", "15m",
            "Langfuse {{ $labels.deployment }} runs below its desired replicas",
            "{{ $labels.deployment }} has had fewer available than desired pods for 15 minutes.",
            "langfuse", "langfuse",
        ),
        Alert(
            "LangfuseAutoscalerAtMaximum", "warning",
            f"kube_horizontalpodautoscaler_status_current_replicas{{{ns}}} >= kube_horizontalpodautoscaler_spec_max_replicas{{{ns}}}",
            "30m",
            "Autoscaler {{ $labels.horizontalpodautoscaler }} has been at its maximum for 30 minutes",
            "{{ $labels.horizontalpodautoscaler }} cannot add replicas: load may outgrow capacity. Raise the stack's "
            "replicas.max or find what drives the load.",
            "langfuse", "langfuse",
        ),
        Alert(
            "LangfuseIngestionBacklogGrowing", "warning",
            f"max by (queue) (langfuse_queue_depth{{{ingestion}}}) > {t.ingestion_backlog}\n"
            f"and max by (queue) (deriv(langfuse_queue_depth{{{ingestion}}}[15m])) > 0",
            "15m",
            "Langfuse's {{ $labels.queue }} queue is above " + str(t.ingestion_backlog) + " jobs and growing",
            "The {{ $labels.queue }} backlog is {{ $value }} jobs and still rising: traces reach the UI late. "
            "The worker autoscaler should be adding replicas.",
            "langfuse", "langfuse",
        ),
        Alert(
            "LangfuseDeadLetterJobs", "warning",
            f"max by (queue) (langfuse_queue_dlq_oldest_age_milliseconds{{{ns}}}) > 3600000", "10m",
            "Langfuse's {{ $labels.queue }} queue has held failed jobs for over an hour",
            "Jobs failed for good in {{ $labels.queue }} and were not retried or cleared.",
            "langfuse", "langfuse",
        ),
        Alert(
            "LangfuseMetricsMissing", "warning", f"absent_over_time(langfuse_queue_depth{{{ns}}}[15m])", "5m",
            "No Langfuse queue metrics for 15 minutes",
            "The worker's queue metrics stopped arriving (statsd exporter, worker, or their path), so the backlog "
            "alerts and the queue-driven autoscaler are blind.",
            "langfuse", "langfuse",
        ),
        # -- PostgreSQL (CloudNativePG) ------------------------------------------------------------------------
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
            f"time() - max(barman_cloud_cloudnative_pg_io_last_available_backup_timestamp{{{ns}}}) > {t.postgres_backup_max_age_hours * 3600}",
            "10m",
            f"The newest PostgreSQL base backup is older than {t.postgres_backup_max_age_hours} h",
            "No base backup completed within the window; restores replay ever more WAL and the retention policy "
            "may drop the last good base.",
            "postgresql", "postgresql",
        ),
        # -- Backups and restore drills (kube-state-metrics: a CronJob's last successful run) -------------------
        *_backup_freshness(ns, t),
        *_tenant_keys(ns, t),
        *_usage(ns, t),
        *_round_trip(ns, t),
        *_analytics(ns, t),
        # -- ClickHouse and Keeper -------------------------------------------------------------------------------
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
        # -- Redis (Valkey + Sentinel) --------------------------------------------------------------------------
        Alert(
            "RedisNoMaster", "critical", f'absent(redis_instance_info{{{ns},role="master"}})', "1m",
            "No Redis master",
            "No data node reports the master role: Langfuse cannot enqueue or process jobs.",
            "redis", "redis",
        ),
        Alert(
            # min-replicas-to-write 1: a master with no replica in sync refuses writes (NOREPLICAS) after 10 s. Its
            # readiness does not say so (the probes leave that to this alert; docs/decisions.md, "Redis probes").
            "RedisMasterWithoutReplica", "critical",
            f'max by (pod) (redis_connected_slaves{{{ns}}} and on (pod) redis_instance_info{{{ns},role="master"}}) < 1', "2m",
            "Redis master {{ $labels.pod }} has no replica",
            "No replica is connected to the master: it refuses writes (min-replicas-to-write), so Langfuse cannot "
            "enqueue, and a failover now would have nothing to promote.",
            "redis", "redis",
        ),
        Alert(
            "RedisSplitBrain", "critical", f'count(redis_instance_info{{{ns},role="master"}}) > 1', "2m",
            "More than one Redis master",
            "{{ $value }} data nodes report the master role; writes to the wrong one will be lost when Sentinel converges.",
            "redis", "redis",
        ),
        Alert(
            "RedisMemoryNearLimit", "warning",
            f"max by (pod) (redis_memory_used_bytes{{{ns}}} / redis_memory_max_bytes{{{ns}}}) > 0.85", "10m",
            "Redis {{ $labels.pod }} uses {{ $value | humanizePercentage }} of maxmemory",
            "With noeviction, Redis refuses writes at the limit and ingestion stops. Drain the backlog or raise "
            "dataTier.redis.memory.",
            "redis", "redis",
        ),
        Alert(
            "RedisMemoryAtLimit", "critical",
            f"max by (pod) (redis_memory_used_bytes{{{ns}}} / redis_memory_max_bytes{{{ns}}}) > 0.95", "2m",
            "Redis {{ $labels.pod }} is at maxmemory",
            "Redis is about to refuse writes (noeviction): Langfuse cannot enqueue.",
            "redis", "redis",
        ),
        # -- Storage and certificates -------------------------------------------------------------------------
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
        Alert(
            "CertificateExpiresSoon", "warning", f"probe_ssl_earliest_cert_expiry{{{ns}}} - time() < 14 * 86400", "1h",
            "The certificate of {{ $labels.instance }} expires in under 14 days",
            "The certificate chain served at {{ $labels.instance }} expires {{ $value | humanizeDuration }} from now.",
            "certificates", "certificates",
        ),
        Alert(
            "CertificateExpiresImminently", "critical", f"probe_ssl_earliest_cert_expiry{{{ns}}} - time() < 3 * 86400", "10m",
            "The certificate of {{ $labels.instance }} expires in under 3 days",
            "The certificate chain served at {{ $labels.instance }} expires {{ $value | humanizeDuration }} from now.",
            "certificates", "certificates",
        ),
        Alert(
            "EndpointProbeFailing", "critical", f"probe_success{{{ns}}} == 0", "5m",
            "{{ $labels.instance }} fails its probe",
            "The blackbox probe of {{ $labels.instance }} (TLS handshake and, for HTTPS, a 200) has failed for 5 minutes.",
            "certificates", "certificates",
        ),
    ]


def _backup_freshness(ns: str, t: AlertThresholds) -> list[Alert]:
    def age(cronjob: str) -> str:
        return f'time() - max by (cronjob) (kube_cronjob_status_last_successful_time{{{ns},cronjob=~"{cronjob}"}})'

    found: list[Alert] = []
    if t.clickhouse_backup_max_age_hours is not None:
        found.append(
            Alert(
                "ClickHouseBackupTooOld", "critical", f"{age('langfuse-clickhouse-backup')} > {t.clickhouse_backup_max_age_hours * 3600}", "10m",
                f"The newest ClickHouse backup is older than {t.clickhouse_backup_max_age_hours} h",
                "The backup CronJob has not succeeded within the window: a restore would lose more than the stack's RPO.",
                "backups", "backups",
            )
        )
    if t.analytics_backup_max_age_hours is not None:
        found.append(
            Alert(
                "AnalyticsBackupTooOld", "warning", f"{age('analytics-clickhouse-backup')} > {t.analytics_backup_max_age_hours * 3600}", "10m",
                f"The newest backup of the analytics cluster is older than {t.analytics_backup_max_age_hours} h",
                "The analytics cluster's backup CronJob has not succeeded within the window: a restore would lose more than its RPO "
                "(the history beyond the exports' lifecycle exists nowhere else).",
                "analytics", "analytics",
            )
        )
    if t.restore_drill_max_age_days is not None:
        found.append(
            Alert(
                "RestoreDrillFailing", "warning", f"{age('langfuse-(postgres|clickhouse)-restore-drill')} > {t.restore_drill_max_age_days * 86400}", "1h",
                "The {{ $labels.cronjob }} has not passed for over " + f"{t.restore_drill_max_age_days} days",
                "The latest backups have not been proven restorable recently: the drill job fails or does not run.",
                "backups", "backups",
            )
        )
    return found


def _analytics(ns: str, t: AlertThresholds) -> list[Alert]:
    """The analytics cluster's freshness, as its servers report it (components/analytics/queries.py FRESHNESS)."""
    if t.analytics_lag_seconds is None:
        return []
    newest, loaded = f"time() - max({NEWEST_OBSERVATION_METRIC}{{{ns}}})", f"time() - max({LOADED_UNTIL_METRIC}{{{ns}}})"
    return [
        Alert(
            # Both: a platform with no traffic has no new rows, but its exports still commit (empty) windows.
            "LangfuseAnalyticsLagging", "warning", f"({newest} > {t.analytics_lag_seconds}) and ({loaded} > {t.analytics_lag_seconds})", "15m",
            "The analytics cluster's newest data is {{ $value | humanizeDuration }} old",
            f"Its newest observation and its newest loaded export window are both older than {t.analytics_lag_seconds // 60} minutes "
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


def _tenant_keys(ns: str, t: AlertThresholds) -> list[Alert]:
    if not t.tenant_keys:
        return []
    age, period = f"{incluster.KEY_AGE_METRIC}{{{ns}}}", f"{incluster.KEY_ROTATION_PERIOD_METRIC}{{{ns}}}"
    return [
        Alert(
            # The controller rotates within its 10-minute timer of the due time; a day's grace covers retries.
            "LangfuseTenantKeyNotRotated", "warning", f"{age} > {period} + 86400", "30m",
            "The Langfuse key of {{ $labels.project_namespace }} has outlived its rotation period",
            "The key in langfuse-keys of {{ $labels.project_namespace }} is {{ $value | humanizeDuration }} old, over a day past "
            "its rotation: the tenant controller is failing to rotate it (status.langfuse.conditions of its ProjectSettings says why).",
            "tenancy", "tenancy",
        ),
    ]


def _usage(ns: str, t: AlertThresholds) -> list[Alert]:
    """Per project (label project_namespace), from the usage exporter's series (contract USAGE_*)."""
    u = t.usage
    if u is None:
        return []
    by = "namespace, project_namespace"
    month = f'sum by ({by}) ({incluster.USAGE_COST_METRIC}{{{ns},period="month"}})'
    threshold = f"max by ({by}, {incluster.THRESHOLD_LABEL}) ({incluster.USAGE_BUDGET_THRESHOLD_METRIC}{{{ns},{incluster.THRESHOLD_LABEL}{{op}}\"[1-9][0-9]{{2,}}\"}})"

    def crossed(op: str) -> str:  # the highest threshold (in USD) the month's cost has reached; 100 % and above or below
        return f"topk by ({by}) (1, {threshold.replace('{op}', op)} <= on ({by}) group_left () {month})"

    def costly(metric: str, ident: str) -> str:
        return (
            f"max by ({by}, {incluster.LANGFUSE_PROJECT_LABEL}, {ident}) ({metric}{{{ns}}})\n"
            f"> on ({by}) group_left () max by ({by}) ({incluster.USAGE_HIGH_COST_METRIC}{{{ns}}})"
        )

    def ratio(window: str) -> str:
        return (
            f'max by ({by}) ({incluster.USAGE_ERRORS_METRIC}{{{ns},window="{window}"}})'
            f' / max by ({by}) ({incluster.USAGE_OBSERVATIONS_METRIC}{{{ns},window="{window}"}})'
        )

    link = f"{u.langfuse_url.rstrip('/')}/project/{{{{ $labels.langfuse_project_id }}}}"
    stale = 6 * u.poll_interval_seconds  # three missed refreshes of the usage figures (every second interval)
    project = "{{ $labels.project_namespace }}"
    return [
        Alert(
            "LangfuseProjectBudgetThresholdCrossed", "warning", crossed("!~"), "5m",
            f"Project {project} has spent {{{{ $labels.threshold_percent }}}} % of its monthly LLM budget",
            f"The LLM spend of {project} this month has reached the {{{{ $labels.threshold_percent }}}} % threshold of its budget "
            "({{ $value | printf \"%.2f\" }} USD).",
            "usage", "usage",
        ),
        Alert(
            "LangfuseProjectBudgetExhausted", "critical", crossed("=~"), "5m",
            f"Project {project} has spent {{{{ $labels.threshold_percent }}}} % of its monthly LLM budget",
            f"The LLM spend of {project} this month has reached {{{{ $value | printf \"%.2f\" }}}} USD, the "
            "{{ $labels.threshold_percent }} % threshold: its budget is used up.",
            "usage", "usage",
        ),
        Alert(
            "LangfuseProjectForecastOverBudget", "warning",
            f"max by ({by}) ({incluster.USAGE_FORECAST_METRIC}{{{ns}}}) > on ({by}) max by ({by}) ({incluster.USAGE_BUDGET_METRIC}{{{ns}}})",
            "1h",
            f"Project {project} is on course to exceed its monthly LLM budget",
            f"At the last 7 days' rate {project} will have spent {{{{ $value | printf \"%.2f\" }}}} USD by the end of the month, over its budget.",
            "usage", "usage",
        ),
        Alert(
            "LangfuseProjectExpensiveTrace", "warning", costly(incluster.USAGE_TOP_TRACE_METRIC, "trace_id, trace_name"), "0m",
            f"A trace of project {project} cost {{{{ $value | printf \"%.2f\" }}}} USD",
            f"Trace {{{{ $labels.trace_name }}}} ({{{{ $labels.trace_id }}}}) of {project} cost more than the project's high-cost threshold "
            f"in the last 24 h: {link}/traces/{{{{ $labels.trace_id }}}}",
            "usage", "usage",
        ),
        Alert(
            "LangfuseProjectExpensiveSession", "warning", costly(incluster.USAGE_TOP_SESSION_METRIC, "session_id"), "0m",
            f"A session of project {project} cost {{{{ $value | printf \"%.2f\" }}}} USD",
            f"Session {{{{ $labels.session_id }}}} of {project} cost more than the project's high-cost threshold in the last 24 h: "
            f"{link}/sessions/{{{{ $labels.session_id }}}}",
            "usage", "usage",
        ),
        Alert(
            "LangfuseProjectErrorRateJump", "warning",
            f"({ratio('today')}) > {u.error_rate_jump:g} * ({ratio('baseline')})\n"
            f"and ({ratio('today')}) > {u.min_error_rate:g}\n"
            f'and max by ({by}) ({incluster.USAGE_ERRORS_METRIC}{{{ns},window="today"}}) >= {u.min_errors}',
            "15m",
            f"Errors in project {project} jumped to {{{{ $value | humanizePercentage }}}} of its observations",
            f"Today {{{{ $value | humanizePercentage }}}} of the observations of {project} are at level ERROR, over {u.error_rate_jump:g} "
            "times its rate of the last 7 days: a model, a prompt or a tool is failing.",
            "usage", "usage",
        ),
        Alert(
            "LangfuseUsageMetricsStale", "warning",
            f'time() - max by ({by}) ({incluster.USAGE_LAST_SUCCESS_METRIC}{{{ns},query="usage"}}) > {stale}', "10m",
            f"The cost figures of project {project} are stale",
            f"The usage exporter has not read the usage of {project} from Langfuse for over {stale // 60} minutes: budget and "
            "forecast alerts for it are blind.",
            "usage", "usage",
        ),
        Alert(
            "LangfuseUsageExporterDown", "warning", f"absent_over_time({incluster.USAGE_PROJECTS_METRIC}{{{ns}}}[15m])", "5m",
            "The usage exporter is down",
            "No metrics from the usage exporter for 15 minutes: no budget, forecast or expensive-trace alerts for any project.",
            "usage", "usage",
        ),
    ]


def _round_trip(ns: str, t: AlertThresholds) -> list[Alert]:
    """The round-trip monitor's results (langfuse_incluster.monitor): its gauges hold the last round trip, which
    runs every interval; two runs in a row is the bar, so one transient failure does not page."""
    if t.round_trip is None:
        return []
    twice = f"{2 * t.round_trip.interval_seconds // 60}m"
    stale = 3 * t.round_trip.interval_seconds
    success, latency = f"{incluster.ROUND_TRIP_SUCCESS_METRIC}{{{ns}}}", f"{incluster.ROUND_TRIP_QUERYABLE_SECONDS_METRIC}{{{ns}}}"
    last_run = f"{incluster.ROUND_TRIP_LAST_RUN_METRIC}{{{ns}}}"
    return [
        Alert(
            "LangfuseRoundTripFailing", "critical", f"max({success}) == 0", twice,
            "Langfuse's round trip fails",
            "A trace sent through the Langfuse SDK cannot be stored and read back: "
            f"{incluster.ROUND_TRIP_FAILURES_METRIC} and the monitor's log name the failing step (health, readiness, "
            "authenticate, ingest, read-back).",
            "roundtrip", "roundtrip",
        ),
        Alert(
            "LangfuseIngestionSlow", "warning", f"min({latency}) > {t.round_trip.latency_seconds}", twice,
            f"Traces take over {t.round_trip.latency_seconds} s to become queryable",
            "The last round trips' traces became readable {{ $value | humanizeDuration }} after they were sent: the "
            "worker, Redis or ClickHouse is slow, though nothing is down yet.",
            "roundtrip", "roundtrip",
        ),
        Alert(
            "LangfuseRoundTripNotRunning", "warning",
            f"time() - max({last_run}) > {stale}\nor absent({last_run})", "10m",
            "The Langfuse round-trip monitor reports nothing",
            f"No round trip has ended for over {stale // 60} minutes: the monitor is down or stuck, and the round-trip alerts are blind.",
            "roundtrip", "roundtrip",
        ),
    ]


def rule_groups(namespace: str, thresholds: AlertThresholds) -> list[dict]:
    groups: dict[str, list[dict]] = {}
    for a in alerts(namespace, thresholds):
        rule = {
            "alert": a.name,
            "expr": a.expr,
            "labels": {"severity": a.severity},
            "annotations": {
                "summary": a.summary,
                "description": a.description,
                "runbook_url": f"{thresholds.runbook_base_url.rstrip('/')}/{a.runbook}.md#{a.name.lower()}",
            },
        }
        if a.for_ != "0m":
            rule["for"] = a.for_
        groups.setdefault(a.group, []).append(rule)
    return [{"name": f"langfuse-rosa.{name}", "rules": rules} for name, rules in groups.items()]


@dataclass(frozen=True)
class LangfuseAlertsArgs:
    namespace: str
    thresholds: AlertThresholds


class LangfuseAlerts(pulumi.ComponentResource):
    def __init__(self, name: str, args: LangfuseAlertsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("langfuse-rosa:monitoring:LangfuseAlerts", name, None, opts)
        k8s.apiextensions.CustomResource(
            "langfuse-alerts",
            api_version="monitoring.coreos.com/v1",
            kind="PrometheusRule",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name="langfuse-alerts", namespace=args.namespace, labels=recommended_labels("langfuse-alerts", "monitoring", "langfuse")
            ),
            spec={"groups": rule_groups(args.namespace, args.thresholds)},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({})
