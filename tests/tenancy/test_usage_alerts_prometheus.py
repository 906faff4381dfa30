"""The cost alerts end to end: the real exporter process (`python -m langfuse_incluster.exporter`) polls the stand-in
Langfuse (every request validated against Langfuse's spec) and reads projects from a loopback Kubernetes API; a
real Prometheus (Debian's) scrapes it every second with the rendered rules loaded (their `for:` removed, so the
test takes seconds; promtool covers `for:` in test_usage_plan.py). Each alert fires for the project above its
threshold and stays quiet for the one below.

Figures use only today's spend (and, for the error baseline, the 7 days before), so they hold whatever the date."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from datetime import time as clock_time

import yaml

from components.monitoring.prometheus_rule import rule_groups
from components.tenancy.alerts import usage_alerts
from tests.conftest import project_path
from tests.local_servers import free_port

sys.path.insert(0, str(project_path("incluster", "tests")))
from usage_world import UsageWorld  # noqa: E402

NS = "langfuse"


def _world(now: datetime) -> UsageWorld:
    w = UsageWorld(now)
    recent = min(1.0, (now - datetime.combine(now.date(), clock_time(), UTC)).total_seconds() / 3600) / 2  # today, in hours ago
    w.add_project("p-exhausted")  # stack default: 100 USD, 50/80/100 %, high cost 10 USD
    w.spend("p-exhausted", recent, 120.0, trace="t-costly", trace_name="agent-loop")
    w.add_project("p-warning")
    w.spend("p-warning", recent, 85.0, session="s-costly", trace="t-warning")  # trace 85 > 10 too
    w.add_project("p-forecast", budget={"monthlyUsd": 40.01, "thresholds": [100], "highCostUsd": 1000})
    w.spend("p-forecast", recent, 40.0)
    w.add_project("p-quiet", budget={"monthlyUsd": 1_000_000, "highCostUsd": 1000})
    w.spend("p-quiet", recent, 1.0, session="s-cheap")
    w.add_project("p-errors", budget={"monthlyUsd": 1_000_000})
    w.add_project("p-calm", budget={"monthlyUsd": 1_000_000})
    for ns in ("p-errors", "p-calm"):
        for day in range(1, 8):
            for n in range(10):
                w.spend(ns, 24 * day, 0.0, level="ERROR" if n == 0 else "DEFAULT")  # baseline: 10 % errors
        for n in range(40):
            w.spend(ns, recent, 0.0, level="ERROR" if (ns == "p-errors" and n < 30) or n == 0 else "DEFAULT")
    stale = w.add_project("p-stale", budget={"monthlyUsd": 1_000_000})
    w.usage.failing_projects.add(stale.project_id)
    return w


def _alerts(url: str) -> list[dict]:
    with urllib.request.urlopen(f"{url}/api/v1/alerts", timeout=5) as answer:
        return json.load(answer)["data"]["alerts"]


def test_each_cost_alert_fires_above_its_threshold_and_stays_quiet_below(tmp_path):
    prometheus = shutil.which("prometheus")
    assert prometheus, "scripts/bootstrap installs Debian's prometheus"
    now = datetime.now(UTC)
    w = _world(now)
    w.start(tmp_path)
    alerts = usage_alerts(namespace=NS, langfuse_url="https://langfuse.example.com", poll_interval_seconds=1, error_rate_jump=3.0)
    usage_rules = [{k: v for k, v in r.items() if k != "for"} for g in rule_groups(alerts, "https://example.com/runbooks") for r in g["rules"]]
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump({"groups": [{"name": "usage", "rules": usage_rules}]}))
    exporter_port, prometheus_port = free_port(), free_port()
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump({
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": ["rules.yaml"],
        "scrape_configs": [{"job_name": "usage", "static_configs": [{"targets": [f"127.0.0.1:{exporter_port}"], "labels": {"namespace": NS}}]}],
    }))
    env = {**os.environ, **w.environment(USAGE_POLL_INTERVAL_SECONDS="1", USAGE_TOP_N="3")}
    exporter = subprocess.Popen([sys.executable, "-m", "langfuse_incluster.exporter", "--port", str(exporter_port)], env=env,
                                stdout=subprocess.DEVNULL, stderr=(tmp_path / "exporter.log").open("w"))
    server = subprocess.Popen(
        [prometheus, f"--config.file={tmp_path / 'prometheus.yml'}", f"--storage.tsdb.path={tmp_path / 'data'}",
         f"--web.listen-address=127.0.0.1:{prometheus_port}"],
        stdout=subprocess.DEVNULL, stderr=(tmp_path / "prometheus.log").open("w"),
    )
    expected = {
        ("LangfuseProjectBudgetExhausted", "p-exhausted"), ("LangfuseProjectBudgetThresholdCrossed", "p-exhausted"),
        ("LangfuseProjectBudgetThresholdCrossed", "p-warning"),
        ("LangfuseProjectForecastOverBudget", "p-forecast"), ("LangfuseProjectForecastOverBudget", "p-exhausted"),
        ("LangfuseProjectForecastOverBudget", "p-warning"),
        ("LangfuseProjectExpensiveTrace", "p-exhausted"), ("LangfuseProjectExpensiveTrace", "p-warning"),
        ("LangfuseProjectExpensiveSession", "p-warning"),
        ("LangfuseProjectErrorRateJump", "p-errors"),
        ("LangfuseUsageMetricsStale", "p-stale"),
    }
    firing: set[tuple[str, str]] = set()
    alerts: list[dict] = []
    try:
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline:
            time.sleep(1)
            try:
                alerts = [a for a in _alerts(f"http://127.0.0.1:{prometheus_port}") if a["state"] == "firing"]
            except OSError:
                continue
            firing = {(a["labels"]["alertname"], a["labels"].get("project_namespace")) for a in alerts}
            if expected <= firing:
                time.sleep(3)  # a few more evaluations: nothing else may join
                alerts = [a for a in _alerts(f"http://127.0.0.1:{prometheus_port}") if a["state"] == "firing"]
                firing = {(a["labels"]["alertname"], a["labels"].get("project_namespace")) for a in alerts}
                break
    finally:
        exporter.terminate()
        server.terminate()
        exporter.wait(10)
        server.wait(10)
        w.stop()
    assert firing == expected, (firing ^ expected, (tmp_path / "exporter.log").read_text()[-2000:])
    assert w.langfuse.violations == []
    by_key = {(a["labels"]["alertname"], a["labels"]["project_namespace"]): a for a in alerts}
    crossed = by_key[("LangfuseProjectBudgetThresholdCrossed", "p-warning")]
    assert crossed["labels"]["threshold_percent"] == "80" and crossed["labels"]["severity"] == "warning"
    assert crossed["annotations"]["summary"] == "Project p-warning has spent 80 % of its monthly LLM budget"
    assert by_key[("LangfuseProjectBudgetThresholdCrossed", "p-exhausted")]["labels"]["threshold_percent"] == "80"  # the highest below 100
    assert by_key[("LangfuseProjectBudgetExhausted", "p-exhausted")]["labels"]["severity"] == "critical"
    trace = by_key[("LangfuseProjectExpensiveTrace", "p-exhausted")]
    project_id = w.projects["p-exhausted"].project_id
    assert trace["annotations"]["description"] == (
        "Trace agent-loop (t-costly) of p-exhausted cost more than the project's high-cost threshold in the last 24 h: "
        f"https://langfuse.example.com/project/{project_id}/traces/t-costly"
    )
    session = by_key[("LangfuseProjectExpensiveSession", "p-warning")]
    assert session["annotations"]["description"].endswith(f"/project/{w.projects['p-warning'].project_id}/sessions/s-costly")
    assert by_key[("LangfuseProjectErrorRateJump", "p-errors")]["annotations"]["summary"] == "Errors in project p-errors jumped to 75% of its observations"
