"""The usage exporter against the stand-in Langfuse (every request and answer validated against Langfuse's spec
and the v2 query rules) and a loopback Kubernetes API read through the real kubernetes client: the figures it
serves, the bounded schedule (one query per project and interval, kinds taking turns), backoff, shared mode's
attribution by tag, and the rendered metrics."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from kubernetes import client, config
from langfuse_incluster import contract
from langfuse_incluster.budget import Budget, BudgetDefaults
from langfuse_incluster.exporter.collector import UsageCollector
from langfuse_incluster.exporter.poller import ROTATION, PollSettings, UsagePoller
from langfuse_incluster.usage.langfuse_usage import UsageApi, new_http_client
from langfuse_incluster.usage.tenants import KubernetesTenants
from prometheus_client.exposition import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from usage_world import UsageWorld

from infra.offline_plan.validation import SchemaCatalog

NOW = datetime(2026, 9, 20, 12, 0, tzinfo=UTC)
DEFAULTS = BudgetDefaults(Budget(monthly_usd=100, thresholds=(50, 80, 100)), high_cost_usd=10)


class Clock:
    def __init__(self) -> None:
        self.t = NOW.timestamp()

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def world(tmp_path):
    worlds = []

    def make(mode: str = "per-project") -> UsageWorld:
        w = UsageWorld(NOW, mode=mode)
        worlds.append(w)
        return w

    yield make
    for w in worlds:
        w.stop()
        assert w.langfuse.violations == [], w.langfuse.violations


def _exporter(w: UsageWorld, tmp_path: Path, clock: Clock, interval: float = 60.0, top_n: int = 3):
    w.start(tmp_path)
    api_client = config.new_client_from_config(config_file=str(w.kubeconfig))
    shared = w.shared_key if w.mode == "shared" else None
    tenants = KubernetesTenants(client.CustomObjectsApi(api_client), client.CoreV1Api(api_client), w.mode, DEFAULTS, shared)
    collector = UsageCollector()
    http = new_http_client()
    poller = UsagePoller(
        tenants.list, lambda t: UsageApi(w.langfuse_url, t.public_key, t.secret_key, http, collector.count_request),
        PollSettings(interval_seconds=interval, concurrency=2, top_n=top_n), errors=collector.count_error, clock=clock,
    )
    collector.poller = poller
    return poller, collector


def _samples(collector: UsageCollector) -> dict[tuple[str, tuple], float]:
    text = generate_latest(collector.registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text) for s in family.samples
    }


def _value(samples, name: str, **labels) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


def _metrics_calls(w: UsageWorld) -> int:
    return sum(1 for c in w.langfuse.calls if c.path == "/api/public/v2/metrics")


def test_the_figures_of_each_project_by_model_and_period(world, tmp_path):
    w = world()
    w.add_project("project-a", budget={"monthlyUsd": 200, "thresholds": [50, 90]})
    w.add_project("project-b")
    for day in range(1, 20):  # Sep 1 .. Sep 19, 4 USD a day on gpt-4o
        w.spend("project-a", hours_ago=24 * (20 - day), cost=4.0)
    w.spend("project-a", hours_ago=2, cost=12.0, model="claude-sonnet-4", trace="expensive", session="s-1")
    w.spend("project-a", hours_ago=1, cost=0.0, level="ERROR", trace="broken", input_tokens=0, output_tokens=0)
    w.spend("project-b", hours_ago=3, cost=1.5, model="gpt-4o-mini", session="s-2")
    clock = Clock()
    poller, collector = _exporter(w, tmp_path, clock)
    for _ in ROTATION:
        poller.cycle()
        clock.t += 60
    s = _samples(collector)
    cost, a = contract.USAGE_COST_METRIC, {contract.TENANT_LABEL: "project-a"}
    assert _value(s, cost, **a, model="gpt-4o", period="month") == pytest.approx(19 * 4.0)
    assert _value(s, cost, **a, model="claude-sonnet-4", period="month") == pytest.approx(12.0)
    assert _value(s, cost, **a, model="claude-sonnet-4", period="today") == pytest.approx(12.0)
    assert _value(s, cost, **a, model="gpt-4o", period="today") == 0.0  # only the failed call today
    assert _value(s, contract.USAGE_TOKENS_METRIC, **a, model="gpt-4o", period="month") == 19 * 1200
    assert _value(s, contract.USAGE_ERRORS_METRIC, **a, window="today") == 1
    assert _value(s, contract.USAGE_OBSERVATIONS_METRIC, **a, window="today") == 2
    assert _value(s, contract.USAGE_OBSERVATIONS_METRIC, **a, window="baseline") == 7
    assert _value(s, contract.USAGE_BUDGET_METRIC, **a) == 200
    assert _value(s, contract.USAGE_BUDGET_THRESHOLD_METRIC, **a, threshold_percent="90") == pytest.approx(180)
    assert _value(s, contract.USAGE_BUDGET_METRIC, project_namespace="project-b") == 100  # the stack default
    # 88 so far; the last 7 complete days averaged 4 USD, 10.5 days remain.
    assert _value(s, contract.USAGE_FORECAST_METRIC, **a) == pytest.approx(88.0 + 4.0 * 10.5, abs=0.05)
    top = {k: v for k, v in s.items() if k[0] == contract.USAGE_TOP_TRACE_METRIC and dict(k[1])[contract.TENANT_LABEL] == "project-a"}
    first = next(dict(k[1]) for k in top if dict(k[1])["rank"] == "1")
    assert first["trace_id"] == "expensive" and first[contract.LANGFUSE_PROJECT_LABEL] == w.projects["project-a"].project_id
    assert len(top) == 2  # the last 24 h hold two of its traces (top_n is 3)
    assert _value(s, contract.USAGE_TOP_SESSION_METRIC, project_namespace="project-b", langfuse_project_id=w.projects["project-b"].project_id,
                  rank="1", session_id="s-2") == 1.5


def test_polling_is_bounded_one_query_per_project_and_interval_kinds_taking_turns(world, tmp_path):
    w = world()
    for n in range(5):
        w.add_project(f"project-{n}")
        w.spend(f"project-{n}", hours_ago=1, cost=1.0)
    clock = Clock()
    poller, collector = _exporter(w, tmp_path, clock)
    for _ in range(8):
        before = _metrics_calls(w)
        assert poller.cycle() == 5
        assert _metrics_calls(w) - before == 5
        assert poller.cycle() == 0  # again within the same interval: nothing is due
        clock.t += 60
    kinds = [("timeDimension" in q and q["timeDimension"] is not None, q["dimensions"][0]["field"]) for q in w.usage.queries[:5 * 4]]
    per_cycle = [kinds[i * 5] for i in range(4)]
    assert per_cycle == [(True, "providedModelName"), (False, "traceId"), (True, "providedModelName"), (False, "sessionId")]
    assert sum(1 for r in w.kube_requests if r.endswith("/projectsettings")) == 16  # one LIST per cycle
    assert sum(1 for r in w.kube_requests if "/secrets/" in r) == 5  # each key read once, then cached


def test_a_failing_project_backs_off_and_the_others_are_unaffected(world, tmp_path):
    w = world()
    w.add_project("project-ok")
    broken = w.add_project("project-broken")
    w.usage.failing_projects.add(broken.project_id)
    clock = Clock()
    poller, collector = _exporter(w, tmp_path, clock)
    polled = []
    for _ in range(12):
        before = [q for q in w.usage.queries]
        poller.cycle()
        polled.append(len(w.usage.queries) - len(before))
        clock.t += 60
    # project-ok every cycle; project-broken at cycles 0, 2 (after 2 intervals), 6 (after 4 more) ...
    assert polled == [2, 1, 2, 1, 1, 1, 2, 1, 1, 1, 1, 1]
    s = _samples(collector)
    assert _value(s, contract.USAGE_POLL_ERRORS_METRIC, project_namespace="project-broken", query="usage", status="500") == 3
    assert _value(s, contract.USAGE_LAST_SUCCESS_METRIC, project_namespace="project-broken", query="usage") == NOW.timestamp()  # first seen
    assert _value(s, contract.USAGE_LAST_SUCCESS_METRIC, project_namespace="project-ok", query="usage") > NOW.timestamp()


def test_shared_mode_attributes_cost_by_the_namespace_tag_with_the_shared_key(world, tmp_path):
    w = world("shared")
    w.add_project("project-a")
    w.add_project("project-b")
    w.spend("project-a", hours_ago=1, cost=3.0)
    w.spend("project-b", hours_ago=1, cost=5.0)
    w.spend("project-b", hours_ago=2, cost=7.0)
    poller, collector = _exporter(w, tmp_path, Clock())
    poller.cycle()
    s = _samples(collector)
    assert _value(s, contract.USAGE_COST_METRIC, project_namespace="project-a", model="gpt-4o", period="today") == 3.0
    assert _value(s, contract.USAGE_COST_METRIC, project_namespace="project-b", model="gpt-4o", period="today") == 12.0
    assert {tuple(q["filters"][0]["value"]) for q in w.usage.queries} == {("namespace:project-a",), ("namespace:project-b",)}
    assert not any("/secrets/" in r for r in w.kube_requests)


def test_an_organisation_key_is_refused_by_the_metrics_api(world, tmp_path):
    from langfuse_incluster.controller.reconcile import LangfuseError
    from langfuse_incluster.usage.queries import usage_query

    w = world()
    w.start(tmp_path)
    with pytest.raises(LangfuseError) as refused:
        UsageApi(w.langfuse_url, *w.langfuse.org_key, new_http_client()).metrics(usage_query(NOW))
    assert refused.value.status == 403


def test_what_the_loopback_kubernetes_serves_validates_against_kubernetes_and_the_crd(world):
    catalog = SchemaCatalog(Path(__file__).resolve().parents[2] / "schemas", allowlist={})
    w = world()
    w.add_project("project-a", budget={"monthlyUsd": 10, "thresholds": [50, 100]})
    for manifest in (w.project_settings("project-a"), w.secret("project-a")):
        result = catalog.validate(manifest)
        assert result.errors == (), result
