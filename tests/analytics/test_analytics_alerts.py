"""The analytics cluster's alerts under promtool, as prod renders them (hourly exports: 2 x 60 min + Langfuse's
20-minute export lag = 140 minutes). promtool's clock starts at 0, so a freshness series whose value is the
evaluation time is up to date, and a constant one ages with the clock."""

from __future__ import annotations

from pathlib import Path

from components.analytics.queries import LOADED_UNTIL_METRIC, NEWEST_OBSERVATION_METRIC, SKIPPED_MANIFESTS_METRIC
from infra.analytics import lag_alert_seconds
from tests.conftest import find
from tests.promtool import run_rule_tests

NS = "langfuse"
RUNBOOK = "https://github.com/acme/langfuse-rosa/blob/main/docs/runbooks/analytics.md"
SERVERS = ("chi-analytics-analytics-0-0-0", "chi-analytics-analytics-1-0-0")


def _series(metric: str, values: str, **labels: str) -> list[dict]:
    """What every server answers (each reads the whole cluster through the Distributed tables)."""
    rendered = ",".join(f'{k}="{v}"' for k, v in labels.items())
    return [{"series": f'{metric}{{namespace="{NS}",pod="{pod}"{"," + rendered if rendered else ""}}}', "values": values} for pod in SERVERS]


LAGGING = {
    "summary": "The analytics cluster's newest data is 2h 50m 0s old",
    "description": "Its newest observation and its newest loaded export window are both older than 140 minutes (two export intervals "
    "and Langfuse's 20-minute export lag): Langfuse's exports, the loader or the cluster are stuck, and dashboards and reports show stale data.",
    "runbook_url": f"{RUNBOOK}#langfuseanalyticslagging",
}
TESTS = [
    {
        "name": "rows and windows both stuck at 0: pending past 140 minutes, firing 15 minutes later",
        "interval": "1m",
        "input_series": [*_series(NEWEST_OBSERVATION_METRIC, "0x200"), *_series(LOADED_UNTIL_METRIC, "0x200", project_id="cm1alpha")],
        "alert_rule_test": [
            {"eval_time": "150m", "alertname": "LangfuseAnalyticsLagging", "exp_alerts": []},
            {"eval_time": "170m", "alertname": "LangfuseAnalyticsLagging", "exp_alerts": [{"exp_labels": {"severity": "warning"}, "exp_annotations": LAGGING}]},
        ],
    },
    {
        "name": "no traffic: the newest row ages, but exports keep committing (empty) windows: quiet",
        "interval": "1m",
        "input_series": [*_series(NEWEST_OBSERVATION_METRIC, "0x300"), *_series(LOADED_UNTIL_METRIC, "0+60x300", project_id="cm1alpha")],
        "alert_rule_test": [{"eval_time": "290m", "alertname": "LangfuseAnalyticsLagging", "exp_alerts": []}],
    },
    {
        "name": "an hour behind (one window and the export lag): quiet",
        "interval": "1m",
        "input_series": [*_series(NEWEST_OBSERVATION_METRIC, "-4800+60x300"), *_series(LOADED_UNTIL_METRIC, "-4800+60x300", project_id="cm1alpha")],
        "alert_rule_test": [{"eval_time": "290m", "alertname": "LangfuseAnalyticsLagging", "exp_alerts": []}],
    },
    {
        "name": "a manifest with skipped files fires after 30 minutes",
        "interval": "1m",
        "input_series": _series(SKIPPED_MANIFESTS_METRIC, "0x10 1x60"),
        "alert_rule_test": [
            {"eval_time": "10m", "alertname": "LangfuseAnalyticsFilesSkipped", "exp_alerts": []},
            {
                "eval_time": "50m",
                "alertname": "LangfuseAnalyticsFilesSkipped",
                "exp_alerts": [{
                    "exp_labels": {"severity": "warning"},
                    "exp_annotations": {
                        "summary": "1 loaded export runs had files the loader could not read",
                        "description": "A manifest listed observation files in a format the loader does not read (CSV) or under keys outside "
                        "Langfuse's layout: those rows are missing from the analytics cluster.",
                        "runbook_url": f"{RUNBOOK}#langfuseanalyticsfilesskipped",
                    },
                }],
            },
        ],
    },
    {
        "name": "the analytics Keeper without a leader fires for that ensemble, with the serving one's leader present",
        "interval": "1m",
        "input_series": [
            {"series": f'ClickHouseAsyncMetrics_KeeperIsLeader{{namespace="{NS}",pod="chk-langfuse-keeper-0-0-0"}}', "values": "1x10"},
            {"series": f'ClickHouseAsyncMetrics_KeeperIsLeader{{namespace="{NS}",pod="chk-analytics-keeper-0-0-0"}}', "values": "0x10"},
            {"series": f'ClickHouseAsyncMetrics_KeeperIsLeader{{namespace="{NS}",pod="chk-analytics-keeper-0-1-0"}}', "values": "0x10"},
        ],
        "alert_rule_test": [{
            "eval_time": "5m",
            "alertname": "ClickHouseKeeperQuorumLost",
            "exp_alerts": [{
                "exp_labels": {"severity": "critical", "installation": "analytics"},
                "exp_annotations": {
                    "summary": "ClickHouse Keeper has no leader",
                    "description": "No Keeper member is leader: the ensemble lost its quorum, replicated tables are read-only.",
                    "runbook_url": "https://github.com/acme/langfuse-rosa/blob/main/docs/runbooks/clickhouse.md#clickhousekeeperquorumlost",
                },
            }],
        }],
    },
]


def test_the_analytics_alerts_fire_on_stale_data_and_skipped_files_and_stay_quiet_otherwise(plans, tmp_path: Path):
    assert lag_alert_seconds(60) == 140 * 60
    rules = find(plans["prod"], "PrometheusRule", "langfuse-alerts")["spec"]
    result = run_rule_tests(rules, TESTS, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    # The harness is live: the stuck case, expecting silence at 170 minutes, fails.
    wrong = {**TESTS[0], "alert_rule_test": [{**TESTS[0]["alert_rule_test"][1], "exp_alerts": []}]}
    assert run_rule_tests(rules, [wrong], tmp_path, name="wrong.yaml").returncode != 0
