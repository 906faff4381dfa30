"""Every statement the dashboards, the compliance reports and the freshness metric run on the analytics
cluster (the tests run each in chdb on exported data and check it against the rows written).

Dashboard queries use the ClickHouse datasource plugin's macros only: `$__timeFilter(col)` (col between the
range's ends, in seconds) and `$__timeInterval(col)` (col rounded down to the panel's interval), as the
plugin expands them (grafana/clickhouse-datasource v4.20.0, pkg/macros/macros.go). Every read is FINAL: the
copies Langfuse's inclusive windows leave collapse to the newest version of each observation (schema.py).
Trace ids are the caller's (the SDKs let an application choose them), so a trace is counted by project and id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from components.analytics.schema import MANIFESTS, OBSERVATIONS, OBSERVATIONS_LOCAL, ON_CLUSTER

OBS = f"{OBSERVATIONS} FINAL"
IN_RANGE = "$__timeFilter(start_time)"


@dataclass(frozen=True)
class Panel:
    title: str
    sql: str
    kind: Literal["stat", "timeseries", "table"]
    unit: str = "short"
    width: int = 12


@dataclass(frozen=True)
class Board:
    uid: str
    title: str
    description: str
    panels: tuple[Panel, ...]


EXECUTIVE = Board(
    "langfuse-analytics-executive",
    "Analytics: executive summary",
    "Cost and usage of every platform project over time.",
    (
        Panel("Cost", f"SELECT sum(total_cost) AS cost FROM {OBS} WHERE {IN_RANGE}", "stat", "currencyUSD", 6),
        Panel("Traces", f"SELECT uniqExact(project_id, trace_id) AS traces FROM {OBS} WHERE {IN_RANGE}", "stat", "short", 6),
        Panel("Tokens", f"SELECT sum(usage_details['total']) AS tokens FROM {OBS} WHERE {IN_RANGE}", "stat", "short", 6),
        Panel("Active projects", f"SELECT uniqExact(project_id) AS projects FROM {OBS} WHERE {IN_RANGE}", "stat", "short", 6),
        Panel(
            "Cost by team",
            f"SELECT $__timeInterval(start_time) AS time, team, sum(total_cost) AS cost FROM {OBS} WHERE {IN_RANGE} GROUP BY time, team ORDER BY time, team",
            "timeseries",
            "currencyUSD",
        ),
        Panel(
            "Traces and users",
            f"SELECT $__timeInterval(start_time) AS time, uniqExact(project_id, trace_id) AS traces, uniqExactIf(user_id, user_id != '') AS users "
            f"FROM {OBS} WHERE {IN_RANGE} GROUP BY time ORDER BY time",
            "timeseries",
        ),
    ),
)

ENGINEERING = Board(
    "langfuse-analytics-engineering",
    "Analytics: engineering",
    "Success rates, latencies and errors of generations by model and of traces by name.",
    (
        Panel(
            "Generations by model",
            "SELECT provided_model_name AS model, count() AS generations, countIf(level = 'ERROR') AS errors, "
            "1 - errors / generations AS success_rate, quantile(0.5)(latency) AS p50_latency_s, quantile(0.95)(latency) AS p95_latency_s, "
            "quantile(0.95)(time_to_first_token) AS p95_time_to_first_token_s "
            f"FROM {OBS} WHERE {IN_RANGE} AND type = 'GENERATION' GROUP BY model ORDER BY generations DESC, model",
            "table",
            width=24,
        ),
        Panel(
            "Errors by trace name",
            "SELECT trace_name, countIf(level = 'ERROR') AS errors, count() AS observations, errors / observations AS error_rate "
            f"FROM {OBS} WHERE {IN_RANGE} GROUP BY trace_name HAVING errors > 0 ORDER BY errors DESC, trace_name LIMIT 20",
            "table",
        ),
        Panel(
            "Error rate of generations by model",
            "SELECT $__timeInterval(start_time) AS time, provided_model_name AS model, countIf(level = 'ERROR') / count() AS error_rate "
            f"FROM {OBS} WHERE {IN_RANGE} AND type = 'GENERATION' GROUP BY time, model ORDER BY time, model",
            "timeseries",
            "percentunit",
        ),
        Panel(
            "p95 latency of generations by model",
            "SELECT $__timeInterval(start_time) AS time, provided_model_name AS model, quantile(0.95)(latency) AS p95_latency "
            f"FROM {OBS} WHERE {IN_RANGE} AND type = 'GENERATION' GROUP BY time, model ORDER BY time, model",
            "timeseries",
            "s",
        ),
    ),
)

COST = Board(
    "langfuse-analytics-cost",
    "Analytics: cost attribution",
    "What each team, project and model cost (Langfuse's calculated cost of each observation).",
    (
        Panel(
            "Cost by team, project and model",
            "SELECT team, project_id, provided_model_name AS model, sum(total_cost) AS cost, "
            "sum(usage_details['input']) AS input_tokens, sum(usage_details['output']) AS output_tokens "
            f"FROM {OBS} WHERE {IN_RANGE} GROUP BY team, project_id, model ORDER BY cost DESC, team, project_id, model",
            "table",
            width=24,
        ),
        Panel(
            "Cost by model",
            "SELECT provided_model_name AS model, sum(total_cost) AS cost, cost / sum(cost) OVER () AS share "
            f"FROM {OBS} WHERE {IN_RANGE} GROUP BY model ORDER BY cost DESC, model",
            "table",
        ),
        Panel(
            "Cost by project",
            f"SELECT $__timeInterval(start_time) AS time, project_id, sum(total_cost) AS cost FROM {OBS} WHERE {IN_RANGE} "
            "GROUP BY time, project_id ORDER BY time, project_id",
            "timeseries",
            "currencyUSD",
        ),
    ),
)

ADOPTION = Board(
    "langfuse-analytics-adoption",
    "Analytics: adoption",
    "Which trace names and tags the platform's projects use, and by how many users.",
    (
        Panel(
            "Most used trace names",
            "SELECT trace_name, uniqExact(project_id, trace_id) AS traces, uniqExactIf(user_id, user_id != '') AS users, uniqExact(project_id) AS projects "
            f"FROM {OBS} WHERE {IN_RANGE} AND trace_name != '' GROUP BY trace_name ORDER BY traces DESC, trace_name LIMIT 20",
            "table",
        ),
        Panel(
            "Most used tags",
            f"SELECT tag, uniqExact(project_id, trace_id) AS traces FROM {OBS} ARRAY JOIN tags AS tag WHERE {IN_RANGE} "
            "GROUP BY tag ORDER BY traces DESC, tag LIMIT 20",
            "table",
        ),
        Panel(
            "Active users and teams",
            f"SELECT $__timeInterval(start_time) AS time, uniqExactIf(user_id, user_id != '') AS users, uniqExact(team) AS teams "
            f"FROM {OBS} WHERE {IN_RANGE} GROUP BY time ORDER BY time",
            "timeseries",
        ),
    ),
)

BOARDS = (EXECUTIVE, ENGINEERING, COST, ADOPTION)


# -- compliance reports (README, "Analytics cluster"; runbook docs/runbooks/analytics.md) -----------------


def rows_past_retention(retention_days: int) -> str:
    """Rows the TTL should have removed (none, once merges have run)."""
    return (
        f"SELECT project_id, count() AS rows, min(start_time) AS oldest FROM {OBSERVATIONS} "
        f"WHERE start_time < now64(6) - INTERVAL {retention_days} DAY GROUP BY project_id ORDER BY project_id"
    )


# Stretches of time no loaded export covers, per project: a window starting after the previous one ended.
# Consecutive windows share their boundary (both ends inclusive), so touching windows are no gap.
COVERAGE_GAPS = (
    "SELECT project_id, previous_end AS gap_from, window_start AS gap_to FROM ("
    "SELECT project_id, window_start, lagInFrame(window_end, 1, window_start) OVER "
    "(PARTITION BY project_id ORDER BY window_start ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS previous_end "
    f"FROM {MANIFESTS} FINAL) WHERE window_start > previous_end ORDER BY project_id, gap_from"
)
# What the cluster holds, per project and month.
INVENTORY = (
    "SELECT project_id, toStartOfMonth(start_time) AS month, count() AS observations, uniqExact(project_id, trace_id) AS traces, "
    f"sum(total_cost) AS cost FROM {OBS} GROUP BY project_id, month ORDER BY project_id, month"
)
# Where each observation of a trace came from (the export file and when it was loaded).
LINEAGE = f"SELECT id, source_file, loaded_at FROM {OBS} WHERE project_id = {{project:String}} AND trace_id = {{trace:String}} ORDER BY id"
# An erasure request (a trace deleted in Langfuse is not re-exported, so its copy here goes by hand), then its proof.
ERASE_TRACES = f"DELETE FROM {OBSERVATIONS_LOCAL} {ON_CLUSTER} WHERE project_id = {{project:String}} AND trace_id IN {{traces:Array(String)}}"
ERASED_TRACES_LEFT = f"SELECT count() AS left FROM {OBSERVATIONS} WHERE project_id = {{project:String}} AND trace_id IN {{traces:Array(String)}}"
SKIPPED_FILES = f"SELECT path, project_id, skipped FROM {MANIFESTS} FINAL WHERE skipped != '' ORDER BY path"

COMPLIANCE = {
    "coverage gaps": COVERAGE_GAPS,
    "inventory": INVENTORY,
    "lineage of a trace": LINEAGE,
    "erase traces": ERASE_TRACES,
    "erased traces left": ERASED_TRACES_LEFT,
    "skipped files": SKIPPED_FILES,
}


# -- freshness, scraped by Prometheus (the cluster's /analytics/metrics handler) ---------------------------

NEWEST_OBSERVATION_METRIC = "langfuse_analytics_newest_observation_timestamp_seconds"
LOADED_UNTIL_METRIC = "langfuse_analytics_loaded_until_timestamp_seconds"
SKIPPED_MANIFESTS_METRIC = "langfuse_analytics_skipped_manifests"
# ClickHouse's Prometheus output format takes name, value, help, type and labels columns (one metric family per
# name, its rows together: hence the ORDER BY). max(start_time) is read from the parts' min/max index.
FRESHNESS = (
    "SELECT * FROM ("
    f"SELECT '{NEWEST_OBSERVATION_METRIC}' AS name, toFloat64(toUnixTimestamp(max(start_time))) AS value, "
    "'Start time of the newest observation in the analytics cluster' AS help, 'gauge' AS type, map() AS labels "
    f"FROM {OBSERVATIONS} "
    f"UNION ALL SELECT '{LOADED_UNTIL_METRIC}', toFloat64(toUnixTimestamp(max(window_end))), "
    "'End of the newest loaded export window of the project', 'gauge', map('project_id', project_id) "
    f"FROM {MANIFESTS} GROUP BY project_id "
    f"UNION ALL SELECT '{SKIPPED_MANIFESTS_METRIC}', toFloat64(countIf(skipped != '')), "
    "'Loaded export manifests with files the loader could not read', 'gauge', map() "
    f"FROM {MANIFESTS} FINAL"
    ") ORDER BY name, labels FORMAT Prometheus"
)
