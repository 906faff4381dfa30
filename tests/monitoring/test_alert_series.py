"""Every alert of every environment stack reads only series that can exist in its namespace.

Each rendered rule's expression is parsed by a real PromQL parser (promql-parser: the Python binding of
GreptimeTeam's Rust parser, Prometheus 2.45 grammar), and each selector in it must name a series that
- a scrape configuration of the same plan brings in: its owner declares them beside it (EXPORTED_SERIES of
  components/redis/sentinel.py, components/postgres/cluster.py, ...), found here by the PodMonitor's,
  ServiceMonitor's or Probe's kind and app.kubernetes.io/name; or
- the platform exports for an object the plan creates (components/monitoring/series.py: a Deployment for
  kube_deployment_*, a CronJob for kube_cronjob_*, a volume claim for kubelet_volume_stats_*), the object
  matching the selector's matcher on the label naming it;
and must be scoped to the rule's namespace. An alert on a store the stack does not run would wait on a series
nothing exports, and an `absent()` of it would fire for ever.
"""

from __future__ import annotations

import re

import chdb
import promql_parser
import pytest

from components.analytics import cluster as analytics
from components.analytics.alerts import analytics_alerts
from components.clickhouse import installation as clickhouse
from components.clickhouse.alerts import clickhouse_alerts
from components.monitoring import probes, round_trip, statsd_exporter
from components.monitoring.prometheus_rule import rule_groups
from components.monitoring.series import OPENSHIFT_KUBE_STATE_METRICS_DENYLIST, PLATFORM_SERIES, ExportedSeries
from components.postgres import cluster as postgres
from components.redis import sentinel
from components.redis.alerts import redis_alerts
from components.tenancy import controller, usage
from infra.offline_plan.plan import Plan, build_plan
from tests.conftest import STACKS, find, project_path

DECLARED: tuple[ExportedSeries, ...] = (
    statsd_exporter.EXPORTED_SERIES,
    probes.EXPORTED_SERIES,
    round_trip.EXPORTED_SERIES,
    postgres.EXPORTED_SERIES,
    *clickhouse.EXPORTED_SERIES,
    *analytics.EXPORTED_SERIES,
    sentinel.EXPORTED_SERIES,
    controller.EXPORTED_SERIES,
    usage.EXPORTED_SERIES,
)
SCRAPE_KINDS = ("PodMonitor", "ServiceMonitor", "Probe")
FIXTURE_STACKS = ("tenancy", "tenancy-shared", "verification")
ENVIRONMENT_STACKS = (*STACKS, "external", *FIXTURE_STACKS)


@pytest.fixture(scope="module")
def stack_plans(plans) -> dict[str, Plan]:
    fixtures = project_path("tests", "data", "stacks")
    return {**{s: plans[s] for s in (*STACKS, "external")}, **{s: build_plan(s, stacks_dir=fixtures) for s in FIXTURE_STACKS}}


def _rules(plan: Plan) -> list[dict]:
    return [rule for group in find(plan, "PrometheusRule", "langfuse-alerts")["spec"]["groups"] for rule in group["rules"]]


def _selectors(expr: str) -> list[promql_parser.VectorSelector]:
    found: list[promql_parser.VectorSelector] = []
    promql_parser.walk(promql_parser.parse(expr), lambda node: found.append(node) if isinstance(node, promql_parser.VectorSelector) else None)
    return found


def _matches(matcher: promql_parser.Matcher, value: str) -> bool:
    # Prometheus anchors its regexes (RE2); the patterns here are in the subset Python's re reads the same.
    op = matcher.op
    if op == promql_parser.MatchOp.Equal:
        return value == matcher.value
    if op == promql_parser.MatchOp.NotEqual:
        return value != matcher.value
    matched = re.fullmatch(matcher.value, value) is not None
    return matched if op == promql_parser.MatchOp.Re else not matched


def _scraped(plan: Plan) -> set[str]:
    """The series the plan's scrape configurations bring in."""
    declared = {(d.kind, d.name): d for d in DECLARED}
    found: set[str] = set()
    for o in plan.objects:
        if o.kind in SCRAPE_KINDS:
            key = (o.kind, o.manifest["metadata"]["labels"]["app.kubernetes.io/name"])
            assert key in declared, f"{plan.stack}: {o.kind}/{o.name} {key} has no ExportedSeries beside it (add it to DECLARED)"
            found |= declared[key].series
    return found


def _volume_claimants(plan: Plan) -> list[str]:
    """What gives the namespace PersistentVolumeClaims: the claims themselves, a StatefulSet's claim templates,
    CloudNativePG's Cluster (a claim per instance, spec.storage) and Altinity's installations (their templates)."""
    found = []
    for o in plan.objects:
        spec = o.manifest.get("spec", {})
        if (
            o.kind == "PersistentVolumeClaim"
            or (o.kind == "StatefulSet" and spec.get("volumeClaimTemplates"))
            or (o.api_version.startswith("postgresql.cnpg.io/") and o.kind == "Cluster" and spec.get("storage"))
            or (o.kind in ("ClickHouseInstallation", "ClickHouseKeeperInstallation") and spec.get("templates", {}).get("volumeClaimTemplates"))
        ):
            found.append(o.name)
    return found


def unexported(plan: Plan, rules: list[dict]) -> list[str]:
    """Each selector of the rules that reads a series the plan cannot have, with why."""
    namespace = find(plan, "PrometheusRule", "langfuse-alerts")["metadata"]["namespace"]
    scraped = _scraped(plan)
    problems = []
    for rule in rules:
        for selector in _selectors(rule["expr"]):
            where = f"{rule['alert']}: {selector.name}"
            matchers = {m.name: m for m in selector.matchers.matchers}
            scope = matchers.get("namespace")
            if scope is None or scope.op != promql_parser.MatchOp.Equal or scope.value != namespace:
                problems.append(f'{where} is not scoped to namespace="{namespace}"')
            platform = PLATFORM_SERIES.get(selector.name)
            if platform is not None:
                objects = _volume_claimants(plan) if platform.kind == "PersistentVolumeClaim" else [o.name for o in plan.objects if o.kind == platform.kind]
                naming = matchers.get(platform.label)
                if naming is not None:
                    assert platform.kind != "PersistentVolumeClaim", f"{where}: claim names are the operators' to choose; select by namespace"
                    objects = [name for name in objects if _matches(naming, name)]
                if not objects:
                    problems.append(f"{where} needs a {platform.kind}{f' matching {naming}' if naming else ''}, and the stack has none")
            elif selector.name not in scraped:
                problems.append(f"{where} is exported by nothing the stack deploys")
    return problems


@pytest.mark.parametrize("stack", ENVIRONMENT_STACKS)
def test_every_alert_reads_only_series_its_stack_exports(stack_plans, stack):
    plan = stack_plans[stack]
    assert unexported(plan, _rules(plan)) == []


def test_the_check_refuses_alerts_on_stores_external_mode_does_not_run(stack_plans):
    """The bug this guards against: external mode once rendered the data tier's alerts; RedisNoMaster (absent())
    and ClickHouseKeeperQuorumLost (... or absent()) would have fired for ever there."""
    plan = stack_plans["external"]
    namespace = find(plan, "PrometheusRule", "langfuse-alerts")["metadata"]["namespace"]
    stores = rule_groups([*redis_alerts(namespace=namespace), *clickhouse_alerts(namespace=namespace)], "https://example.com/runbooks")
    problems = unexported(plan, [rule for group in stores for rule in group["rules"]])
    assert "RedisNoMaster: redis_instance_info is exported by nothing the stack deploys" in problems
    assert "ClickHouseKeeperQuorumLost: ClickHouseAsyncMetrics_KeeperIsLeader is exported by nothing the stack deploys" in problems
    assert {p.split(":")[0] for p in problems} == {r["alert"] for group in stores for r in group["rules"]}


def test_the_check_refuses_a_backup_alert_whose_cronjob_the_stack_lacks(stack_plans):
    plan = stack_plans["staging"]  # no analytics cluster
    namespace = find(plan, "PrometheusRule", "langfuse-alerts")["metadata"]["namespace"]
    rules = [r for g in rule_groups(analytics_alerts(namespace=namespace, lag_seconds=60, backup_max_age_hours=1), "https://x") for r in g["rules"]]
    problems = unexported(plan, rules)
    assert "AnalyticsBackupTooOld: kube_cronjob_status_last_successful_time needs a CronJob matching " in problems[0]
    assert len(problems) == 4  # the backup's CronJob, and the three freshness selectors of its two other alerts


def test_every_declaration_is_deployed_somewhere(stack_plans):
    """No ExportedSeries for a scrape configuration no stack renders (a stale declaration proves nothing)."""
    rendered = {
        (o.kind, o.manifest["metadata"]["labels"]["app.kubernetes.io/name"]) for plan in stack_plans.values() for o in plan.objects if o.kind in SCRAPE_KINDS
    }
    assert {(d.kind, d.name) for d in DECLARED} == rendered


def test_every_series_an_alert_reads_is_declared_by_one_owner(stack_plans):
    read = {s.name for plan in stack_plans.values() for rule in _rules(plan) for s in _selectors(rule["expr"])}
    # The analytics cluster's servers and Keepers serve the serving cluster's built-in series, declared once there.
    reused = (clickhouse.SERVER_SERIES, clickhouse.KEEPER_SERIES)
    declared = [s for d in DECLARED if not (d in analytics.EXPORTED_SERIES and d.series in reused) for s in d.series]
    assert len(declared) == len(set(declared))
    assert read <= set(declared) | PLATFORM_SERIES.keys()
    assert PLATFORM_SERIES.keys() <= read  # no platform series declared for nothing


def test_openshift_exports_the_platform_series():
    """OpenShift's kube-state-metrics drops some series (its --metric-denylist); none the alerts read."""
    dropped = [(name, pattern) for name in PLATFORM_SERIES for pattern in OPENSHIFT_KUBE_STATE_METRICS_DENYLIST if re.fullmatch(pattern, name)]
    assert dropped == []
    assert any(re.fullmatch(p, "kube_cronjob_created") for p in OPENSHIFT_KUBE_STATE_METRICS_DENYLIST)  # the list does bite


def test_clickhouse_current_metrics_are_the_engine_s():
    """ClickHouseMetrics_<metric> is system.metrics' row `metric` (src/Server/PrometheusMetricsWriter.h): each
    name declared is a current metric of a real ClickHouse engine (chdb)."""
    declared = {name.removeprefix("ClickHouseMetrics_") for d in clickhouse.EXPORTED_SERIES for name in d.series if name.startswith("ClickHouseMetrics_")}
    assert declared
    quoted = ", ".join(f"'{name}'" for name in sorted(declared))
    found = set(chdb.query(f"SELECT metric FROM system.metrics WHERE metric IN ({quoted})", "CSV").data().replace('"', "").split())
    assert found == declared
