"""Grafana dashboards as code, built with Grafana's own Foundation SDK (grafana-foundation-sdk): Langfuse,
PostgreSQL, ClickHouse, Redis and backups. Queries use only series this project exports or OpenShift's
platform monitoring provides for this namespace's pods (kube-state-metrics, cAdvisor)."""

from __future__ import annotations

import json

from grafana_foundation_sdk.builders.dashboard import Dashboard, Row
from grafana_foundation_sdk.builders.prometheus import Dataquery
from grafana_foundation_sdk.builders.stat import Panel as Stat
from grafana_foundation_sdk.builders.timeseries import Panel as TimeSeries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import DataSourceRef
from langfuse_incluster import contract as tenancy

DATASOURCE_UID = "thanos"
_DATASOURCE = DataSourceRef(type_val="prometheus", uid=DATASOURCE_UID)


def _query(expr: str, legend: str = "", ref: str = "A") -> Dataquery:
    return Dataquery().expr(expr).legend_format(legend).ref_id(ref)


def _series(title: str, unit: str, *queries: Dataquery, width: int = 12) -> TimeSeries:
    panel = TimeSeries().title(title).unit(unit).datasource(_DATASOURCE).span(width).height(8)
    for q in queries:
        panel = panel.with_target(q)
    return panel


def _stat(title: str, unit: str, query: Dataquery, width: int = 6) -> Stat:
    return Stat().title(title).unit(unit).datasource(_DATASOURCE).span(width).height(4).with_target(query)


def _dashboard(uid: str, title: str) -> Dashboard:
    return Dashboard(title).uid(uid).tags(["langfuse", "langfuse-rosa"]).refresh("1m").time("now-6h", "now").timezone("utc")


def langfuse_overview(ns: str) -> Dashboard:
    waiting = f'langfuse_queue_depth{{namespace="{ns}",type="waiting",shard=~"all|"}}'
    return (
        _dashboard("langfuse-overview", "Langfuse: overview")
        .with_row(Row("Ingestion"))
        .with_panel(_series("Events ingested / s", "ops", _query(f'sum by (source) (rate(langfuse_ingestion_events_total{{namespace="{ns}"}}[5m]))', "{{source}}")))
        .with_panel(_series("Queue depth (waiting jobs)", "short", _query(f"max by (queue) ({waiting})", "{{queue}}")))
        .with_panel(_series("Oldest dead-lettered job", "ms", _query(f'max by (queue) (langfuse_queue_dlq_oldest_age_milliseconds{{namespace="{ns}"}})', "{{queue}}")))
        .with_panel(
            _series(
                "Jobs / s by outcome",
                "ops",
                _query(f'sum by (queue, type) (rate(langfuse_queue_jobs_total{{namespace="{ns}",type!="request"}}[5m]))', "{{queue}} {{type}}"),
            )
        )
        .with_row(Row("Public route"))
        # Through the router, as users reach it (the blackbox probe, monitoring/probes.py). The router's own
        # HAProxy series live in openshift-ingress and are outside this namespace's tenancy (grafana.py).
        .with_panel(_series("Route probe success", "percentunit", _query(f'avg_over_time(probe_success{{namespace="{ns}",job="langfuse-https-public"}}[5m])', "success")))
        .with_panel(_series("Route probe response time", "s", _query(f'max(probe_duration_seconds{{namespace="{ns}",job="langfuse-https-public"}})', "duration")))
        .with_row(Row("Capacity"))
        .with_panel(
            _series(
                "Replicas",
                "short",
                _query(f'kube_deployment_status_replicas_available{{namespace="{ns}",deployment=~"langfuse-(web|worker)"}}', "{{deployment}}"),
            )
        )
        .with_panel(
            _series(
                "CPU cores",
                "short",
                _query(f'sum by (container) (rate(container_cpu_usage_seconds_total{{namespace="{ns}",container=~"web|worker"}}[5m]))', "{{container}}"),
            )
        )
        .with_row(Row("ClickHouse writer"))
        .with_panel(_series("Writer wait (p95 of a flush)", "ms", _query(f'max(langfuse_clickhouse_writer_wait_time_milliseconds{{namespace="{ns}",stat="95percentile"}})', "p95")))
        .with_panel(_series("Writer errors / s", "ops", _query(f'sum(rate(langfuse_clickhouse_writer_errors_total{{namespace="{ns}"}}[5m]))', "errors")))
    )


def postgres(ns: str) -> Dashboard:
    return (
        _dashboard("langfuse-postgresql", "Langfuse: PostgreSQL")
        .with_panel(_stat("Newest base backup age", "s", _query(f'time() - max(barman_cloud_cloudnative_pg_io_last_available_backup_timestamp{{namespace="{ns}"}})')))
        .with_panel(_stat("Streaming replicas", "short", _query(f'max(cnpg_pg_replication_streaming_replicas{{namespace="{ns}"}})')))
        .with_panel(_series("Replication lag", "s", _query(f'cnpg_pg_replication_lag{{namespace="{ns}"}}', "{{pod}}")))
        .with_panel(_series("Backends", "short", _query(f'sum by (pod) (cnpg_backends_total{{namespace="{ns}"}})', "{{pod}}")))
        .with_panel(
            _series(
                "WAL archived / failed per minute",
                "short",
                _query(f'sum(rate(cnpg_pg_stat_archiver_archived_count{{namespace="{ns}"}}[5m])) * 60', "archived"),
                _query(f'sum(rate(cnpg_pg_stat_archiver_failed_count{{namespace="{ns}"}}[5m])) * 60', "failed", "B"),
            )
        )
    )


def clickhouse(ns: str) -> Dashboard:
    return (
        _dashboard("langfuse-clickhouse", "Langfuse: ClickHouse and Keeper")
        .with_panel(_stat("Keeper leader present", "short", _query(f'max(ClickHouseAsyncMetrics_KeeperIsLeader{{namespace="{ns}"}})')))
        .with_panel(_stat("Read-only replicas", "short", _query(f'sum(ClickHouseMetrics_ReadonlyReplica{{namespace="{ns}"}})')))
        .with_panel(_series("Replica delay", "s", _query(f'ClickHouseAsyncMetrics_ReplicasMaxAbsoluteDelay{{namespace="{ns}"}}', "{{pod}}")))
        .with_panel(_series("Queries / s", "ops", _query(f'sum by (pod) (rate(ClickHouseProfileEvents_Query{{namespace="{ns}"}}[5m]))', "{{pod}}")))
        .with_panel(_series("Inserted rows / s", "ops", _query(f'sum by (pod) (rate(ClickHouseProfileEvents_InsertedRows{{namespace="{ns}"}}[5m]))', "{{pod}}")))
        .with_panel(_series("Memory", "bytes", _query(f'ClickHouseMetrics_MemoryTracking{{namespace="{ns}"}}', "{{pod}}")))
    )


def redis(ns: str) -> Dashboard:
    return (
        _dashboard("langfuse-redis", "Langfuse: Redis")
        .with_panel(_stat("Masters", "short", _query(f'count(redis_instance_info{{namespace="{ns}",role="master"}})')))
        .with_panel(_stat("Connected replicas", "short", _query(f'max(redis_connected_slaves{{namespace="{ns}"}})')))
        .with_panel(_series("Memory used / maxmemory", "percentunit", _query(f'redis_memory_used_bytes{{namespace="{ns}"}} / redis_memory_max_bytes{{namespace="{ns}"}}', "{{pod}}")))
        .with_panel(_series("Commands / s", "ops", _query(f'sum by (pod) (rate(redis_commands_processed_total{{namespace="{ns}"}}[5m]))', "{{pod}}")))
        .with_panel(_series("Clients", "short", _query(f'redis_connected_clients{{namespace="{ns}"}}', "{{pod}}")))
    )


def backups(ns: str) -> Dashboard:
    return (
        _dashboard("langfuse-backups", "Langfuse: backups")
        .with_panel(_stat("PostgreSQL: newest base backup", "s", _query(f'time() - max(barman_cloud_cloudnative_pg_io_last_available_backup_timestamp{{namespace="{ns}"}})'), width=8))
        .with_panel(_stat("PostgreSQL: oldest recovery point", "dateTimeAsIso", _query(f'min(barman_cloud_cloudnative_pg_io_first_recoverability_point{{namespace="{ns}"}}) * 1000'), width=8))
        .with_panel(_series("PostgreSQL: seconds since last WAL archived", "s", _query(f'cnpg_pg_stat_archiver_seconds_since_last_archival{{namespace="{ns}"}}', "{{pod}}")))
    )


def usage(ns: str) -> Dashboard:
    """Cost and usage per platform project, from the usage exporter (langfuse_incluster.contract USAGE_*)."""
    sel = f'namespace="{ns}"'
    month = f'{tenancy.USAGE_COST_METRIC}{{{sel},period="month"}}'
    return (
        _dashboard("langfuse-usage", "Langfuse: cost and usage per project").time("now-30d", "now").refresh("5m")
        .with_row(Row("All projects"))
        .with_panel(_stat("Spend this month (USD)", "currencyUSD", _query(f"sum({month})"), width=6))
        .with_panel(_stat("Spend today (USD)", "currencyUSD", _query(f'sum({tenancy.USAGE_COST_METRIC}{{{sel},period="today"}})'), width=6))
        .with_panel(_stat("Month-end forecast (USD)", "currencyUSD", _query(f"sum({tenancy.USAGE_FORECAST_METRIC}{{{sel}}})"), width=6))
        .with_panel(_stat("Budgeted (USD)", "currencyUSD", _query(f"sum({tenancy.USAGE_BUDGET_METRIC}{{{sel}}})"), width=6))
        .with_panel(_series("Top projects by spend this month", "currencyUSD",
                            _query(f"topk(10, sum by (project_namespace) ({month}))", "{{project_namespace}}")))
        .with_panel(_series("Spend this month by model", "currencyUSD", _query(f"sum by (model) ({month})", "{{model}}")))
        .with_row(Row("Budget burn and forecast"))
        .with_panel(_series("Budget used (month to date / budget)", "percentunit",
                            _query(f"topk(10, sum by (project_namespace) ({month}) / on (project_namespace) max by (project_namespace) "
                                   f"({tenancy.USAGE_BUDGET_METRIC}{{{sel}}}))", "{{project_namespace}}")))
        .with_panel(_series("Forecast / budget", "percentunit",
                            _query(f"topk(10, max by (project_namespace) ({tenancy.USAGE_FORECAST_METRIC}{{{sel}}}) / on (project_namespace) "
                                   f"max by (project_namespace) ({tenancy.USAGE_BUDGET_METRIC}{{{sel}}}))", "{{project_namespace}}")))
        .with_row(Row("Per project and model"))
        .with_panel(_series("Cost this month by project and model", "currencyUSD",
                            _query(f"topk(20, sum by (project_namespace, model) ({month}))", "{{project_namespace}} {{model}}"), width=24))
        .with_panel(_series("Tokens this month by project", "short",
                            _query(f'topk(10, sum by (project_namespace) ({tenancy.USAGE_TOKENS_METRIC}{{{sel},period="month"}}))', "{{project_namespace}}")))
        .with_panel(_series("Traces this month by project", "short",
                            _query(f'topk(10, sum by (project_namespace) ({tenancy.USAGE_TRACES_METRIC}{{{sel},period="month"}}))', "{{project_namespace}}")))
        .with_panel(_series("Most expensive traces, last 24 h", "currencyUSD",
                            _query(f'topk(10, {tenancy.USAGE_TOP_TRACE_METRIC}{{{sel}}})', "{{project_namespace}} {{trace_name}} {{trace_id}}")))
        .with_panel(_series("Error share of observations today", "percentunit",
                            _query(f'{tenancy.USAGE_ERRORS_METRIC}{{{sel},window="today"}} / on (project_namespace) '
                                   f'{tenancy.USAGE_OBSERVATIONS_METRIC}{{{sel},window="today"}}', "{{project_namespace}}")))
    )


DASHBOARDS = (langfuse_overview, postgres, clickhouse, redis, backups)


def dashboard_json(build, namespace: str) -> dict:
    return json.loads(JSONEncoder(sort_keys=True).encode(build(namespace).build()))
