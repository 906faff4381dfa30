"""Cost and usage reporting as the environment stack deploys it (fixture stacks: per-project mode, and shared mode
with Grafana and Slack): the exporter and the weekly CronJob valid and policy-clean, read-only RBAC, their flows,
the cost alerts under promtool (their `for:` included), routed to Slack per project, and a dashboard whose every
series the exporter produces (read from a real exporter's /metrics)."""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, datetime

import pytest
from langfuse_incluster import contract

from infra.offline_plan.plan import Plan, build_plan
from tests.conftest import container, env_of, find, project_path
from tests.promtool import check_rules, run_rule_tests

sys.path.insert(0, str(project_path("incluster", "tests")))

NS = "langfuse"  # the shared-mode fixture (staging's namespace)


@pytest.fixture(scope="module")
def shared() -> Plan:
    return build_plan("tenancy-shared", stacks_dir=project_path("tests", "data", "stacks"))


@pytest.fixture(scope="module")
def per_project() -> Plan:
    return build_plan("tenancy", stacks_dir=project_path("tests", "data", "stacks"))


def test_both_modes_render_valid_and_policy_clean(shared, per_project):
    for plan in (shared, per_project):
        ours = {r.kind for r in plan.schema_results if "usage" in r.name}
        assert ours >= {"Deployment", "CronJob", "PodMonitor", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "PodDisruptionBudget"}
        assert [r for r in plan.schema_results if r.errors] == [] and plan.policy_violations == []


def test_the_exporter_runs_once_from_the_controller_s_image_with_the_stack_s_settings(shared):
    exporter = find(shared, "Deployment", contract.EXPORTER_NAME)
    controller = find(shared, "Deployment", contract.CONTROLLER_NAME)
    assert exporter["spec"]["replicas"] == 1 and exporter["spec"]["strategy"] == {"type": "Recreate"}
    c = container(exporter)
    assert c["image"] == container(controller)["image"] and c["command"] == ["python", "-m", "langfuse_incluster.exporter"]
    assert c["securityContext"]["capabilities"] == {"drop": ["ALL"]} and "runAsUser" not in c["securityContext"]
    env = env_of(c)
    assert env[contract.ENV_MODE]["value"] == "shared"
    assert env[contract.ENV_SHARED_SECRET_KEY]["valueFrom"]["secretKeyRef"] == {"name": "langfuse-tenant-controller-key", "key": "secret-key"}
    assert (env[contract.ENV_DEFAULT_BUDGET_USD]["value"], env[contract.ENV_DEFAULT_BUDGET_THRESHOLDS]["value"]) == ("500", "50,80,100,120")
    assert env[contract.ENV_POLL_INTERVAL_SECONDS]["value"] == "120"
    assert env[contract.ENV_LANGFUSE_UI_URL]["value"] == "https://langfuse.staging.example.com"
    # The controller reports the same default in each project's Budget condition.
    assert env_of(container(controller))[contract.ENV_DEFAULT_BUDGET_USD]["value"] == "500"
    monitor = find(shared, "PodMonitor", contract.EXPORTER_NAME)
    assert monitor["spec"]["selector"]["matchLabels"] == contract.EXPORTER_POD_LABELS


def test_the_weekly_summary_posts_with_the_alerts_webhook(shared, per_project):
    job = find(shared, "CronJob", contract.SUMMARY_NAME)["spec"]
    assert (job["schedule"], job["timeZone"], job["concurrencyPolicy"]) == ("0 8 * * 1", "Etc/UTC", "Forbid")
    c = job["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert c["command"] == ["python", "-m", "langfuse_incluster.summary"]
    assert env_of(c)[contract.ENV_SLACK_WEBHOOK_URL]["valueFrom"]["secretKeyRef"] == {"name": "langfuse-slack", "key": "webhook-url"}
    no_slack = find(per_project, "CronJob", contract.SUMMARY_NAME)["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert contract.ENV_SLACK_WEBHOOK_URL not in env_of(no_slack)  # dev fixture has no Slack: Markdown in the log only


def test_rbac_only_reads_projectsettings_and_langfuse_keys(shared):
    rules = find(shared, "ClusterRole", contract.USAGE_ACCOUNT)["rules"]
    assert rules == [
        {"apiGroups": [contract.GROUP], "resources": [contract.PLURAL], "verbs": ["get", "list"]},
        {"apiGroups": [""], "resources": ["secrets"], "resourceNames": [contract.SECRET_NAME], "verbs": ["get"]},
    ]


def test_the_exporter_and_the_summary_reach_only_the_web_service_the_api_server_dns_and_slack(shared):
    def egress(name: str) -> list[tuple[str, tuple]]:
        rules = find(shared, "NetworkPolicy", f"allow-from-{name}")["spec"]["egress"]
        return sorted((json.dumps(peer, sort_keys=True), tuple(p["port"] for p in rule["ports"])) for rule in rules for peer in rule["to"])

    web = json.dumps({"podSelector": {"matchLabels": {"app.kubernetes.io/component": "web", "app.kubernetes.io/name": "langfuse"}}}, sort_keys=True)
    exporter, summary = egress(contract.EXPORTER_NAME), egress(contract.SUMMARY_NAME)
    assert (web, (3000,)) in exporter and ('{"ipBlock": {"cidr": "10.0.0.0/16"}}', (6443,)) in exporter and len(exporter) == 3
    assert {ports for _, ports in summary} == {(3000,), (6443,), (53, 53, 5353, 5353), (443,)}  # DNS: TCP and UDP
    ingress = find(shared, "NetworkPolicy", f"allow-to-{contract.EXPORTER_NAME}")["spec"]["ingress"]
    assert [[p["port"] for p in rule["ports"]] for rule in ingress] == [[contract.EXPORTER_METRICS_PORT]]


def test_cost_alerts_reach_slack_one_message_per_project_and_the_critical_form_silences_the_warning(shared):
    spec = find(shared, "AlertmanagerConfig", "langfuse-slack")["spec"]
    usage_routes = [r for r in spec["route"]["routes"] if any(m["value"] == "LangfuseProject.+" for m in r["matchers"])]
    assert [r["receiver"] for r in usage_routes] == ["slack-critical", "slack-warning"]
    assert all(r["groupBy"] == ["alertname", "project_namespace"] for r in usage_routes)
    assert "(project {{ . }})" in spec["receivers"][0]["slackConfigs"][0]["title"]
    inhibited = {(r["sourceMatch"][0]["value"], r["targetMatch"][0]["value"], tuple(r["equal"])) for r in spec["inhibitRules"]}
    assert ("LangfuseProjectBudgetExhausted", "LangfuseProjectBudgetThresholdCrossed", ("project_namespace",)) in inhibited


def _rules(plan: Plan) -> dict:
    return find(plan, "PrometheusRule", "langfuse-alerts")["spec"]


UNIT_TESTS = [
    {
        "name": "a budget crossed past 80 % warns (after 5 minutes), one at 40 % does not; 120 % is critical",
        "interval": "1m",
        "input_series": [
            *({"series": f'{contract.USAGE_BUDGET_THRESHOLD_METRIC}{{namespace="{NS}",project_namespace="{p}",threshold_percent="{t}"}}',
               "values": f"{100 * t / 100:g}x30"} for p in ("p-hot", "p-cold", "p-over") for t in (50, 80, 100)),
            {"series": f'{contract.USAGE_COST_METRIC}{{namespace="{NS}",project_namespace="p-hot",model="gpt-4o",period="month"}}', "values": "60 85x30"},
            {"series": f'{contract.USAGE_COST_METRIC}{{namespace="{NS}",project_namespace="p-cold",model="gpt-4o",period="month"}}', "values": "40x30"},
            {"series": f'{contract.USAGE_COST_METRIC}{{namespace="{NS}",project_namespace="p-over",model="gpt-4o",period="month"}}', "values": "100 120x30"},
        ],
        "alert_rule_test": [
            {"eval_time": "3m", "alertname": "LangfuseProjectBudgetThresholdCrossed", "exp_alerts": []},
            {"eval_time": "10m", "alertname": "LangfuseProjectBudgetThresholdCrossed", "exp_alerts": [
                {"exp_labels": {"severity": "warning", "namespace": NS, "project_namespace": p, "threshold_percent": "80"},
                 "exp_annotations": {
                     "summary": f"Project {p} has spent 80 % of its monthly LLM budget",
                     "description": f"The LLM spend of {p} this month has reached the 80 % threshold of its budget (80.00 USD).",
                     "runbook_url": "https://github.com/acme/langfuse-rosa/blob/main/docs/runbooks/usage.md#langfuseprojectbudgetthresholdcrossed",
                 }} for p in ("p-hot", "p-over")]},
            {"eval_time": "10m", "alertname": "LangfuseProjectBudgetExhausted", "exp_alerts": [
                {"exp_labels": {"severity": "critical", "namespace": NS, "project_namespace": "p-over", "threshold_percent": "100"},
                 "exp_annotations": {
                     "summary": "Project p-over has spent 100 % of its monthly LLM budget",
                     "description": "The LLM spend of p-over this month has reached 100.00 USD, the 100 % threshold: its budget is used up.",
                     "runbook_url": "https://github.com/acme/langfuse-rosa/blob/main/docs/runbooks/usage.md#langfuseprojectbudgetexhausted",
                 }}]},
        ],
    },
    {
        "name": "a forecast over budget for an hour warns; a passing spike does not",
        "interval": "5m",
        "input_series": [
            {"series": f'{contract.USAGE_BUDGET_METRIC}{{namespace="{NS}",project_namespace="{p}"}}', "values": "100x30"} for p in ("p-trend", "p-spike")
        ] + [
            {"series": f'{contract.USAGE_FORECAST_METRIC}{{namespace="{NS}",project_namespace="p-trend"}}', "values": "150x30"},
            {"series": f'{contract.USAGE_FORECAST_METRIC}{{namespace="{NS}",project_namespace="p-spike"}}', "values": "150x6 90x24"},
        ],
        "alert_rule_test": [
            {"eval_time": "50m", "alertname": "LangfuseProjectForecastOverBudget", "exp_alerts": []},
            {"eval_time": "90m", "alertname": "LangfuseProjectForecastOverBudget", "exp_alerts": [
                {"exp_labels": {"severity": "warning", "namespace": NS, "project_namespace": "p-trend"},
                 "exp_annotations": {
                     "summary": "Project p-trend is on course to exceed its monthly LLM budget",
                     "description": "At the last 7 days' rate p-trend will have spent 150.00 USD by the end of the month, over its budget.",
                     "runbook_url": "https://github.com/acme/langfuse-rosa/blob/main/docs/runbooks/usage.md#langfuseprojectforecastoverbudget",
                 }}]},
        ],
    },
    {
        "name": "figures older than six poll intervals (2 min each) for 10 minutes warn",
        "interval": "1m",
        "input_series": [
            {"series": f'{contract.USAGE_LAST_SUCCESS_METRIC}{{namespace="{NS}",project_namespace="p-stuck",query="usage"}}', "values": "0x40"},
            {"series": f'{contract.USAGE_LAST_SUCCESS_METRIC}{{namespace="{NS}",project_namespace="p-fresh",query="usage"}}', "values": "0+60x40"},
        ],
        "alert_rule_test": [
            {"eval_time": "15m", "alertname": "LangfuseUsageMetricsStale", "exp_alerts": []},
            {"eval_time": "25m", "alertname": "LangfuseUsageMetricsStale", "exp_alerts": [
                {"exp_labels": {"severity": "warning", "namespace": NS, "project_namespace": "p-stuck"},
                 "exp_annotations": {
                     "summary": "The cost figures of project p-stuck are stale",
                     "description": "The usage exporter has not read the usage of p-stuck from Langfuse for over 12 minutes: budget and "
                     "forecast alerts for it are blind.",
                     "runbook_url": "https://github.com/acme/langfuse-rosa/blob/main/docs/runbooks/usage.md#langfuseusagemetricsstale",
                 }}]},
        ],
    },
]


def test_promtool_checks_and_unit_tests_the_cost_alerts(shared, tmp_path):
    check = check_rules(_rules(shared), tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    result = run_rule_tests(_rules(shared), UNIT_TESTS, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    names = {r["alert"] for g in _rules(shared)["groups"] for r in g["rules"]}
    assert names >= {"LangfuseProjectBudgetThresholdCrossed", "LangfuseProjectBudgetExhausted", "LangfuseProjectForecastOverBudget",
                     "LangfuseProjectExpensiveTrace", "LangfuseProjectExpensiveSession", "LangfuseProjectErrorRateJump",
                     "LangfuseUsageMetricsStale", "LangfuseUsageExporterDown"}
    runbook = project_path("docs", "runbooks", "usage.md").read_text().lower()
    assert all(f"## {n.lower()}" in runbook for n in names if n.startswith(("LangfuseProject", "LangfuseUsage")))


def _exporter_series() -> set[str]:
    """Every series name a real exporter serves, from its /metrics over a project with spend of every kind."""
    from langfuse_incluster.budget import Budget, BudgetDefaults, EffectiveBudget
    from langfuse_incluster.exporter.collector import UsageCollector
    from langfuse_incluster.exporter.poller import ROTATION, PollSettings, UsagePoller
    from langfuse_incluster.usage.langfuse_usage import UsageApi, new_http_client
    from langfuse_incluster.usage.tenants import Tenant
    from prometheus_client.exposition import generate_latest
    from usage_world import UsageWorld

    w = UsageWorld(datetime.now(UTC))
    project = w.add_project("p")
    w.spend("p", 0.1, 1.0, session="s", level="ERROR")
    w.langfuse_url = w.langfuse.start()
    try:
        defaults = BudgetDefaults(Budget(monthly_usd=10), 5)
        tenant = Tenant("p", project.project_id, project.public_key, project.secret_key, EffectiveBudget(defaults.budget, 5, "default"))
        collector = UsageCollector()
        http = new_http_client()
        poller = UsagePoller(lambda: (tenant,), lambda t: UsageApi(w.langfuse_url, t.public_key, t.secret_key, http, collector.count_request),
                             PollSettings(interval_seconds=0.0), errors=collector.count_error)
        collector.poller = poller
        for _ in ROTATION:
            poller.cycle()
        collector.count_error("p", "usage", 500)
        text = generate_latest(collector.registry).decode()
    finally:
        w.langfuse.stop()
    return set(re.findall(r"^([a-z_]+)(?:\{| )", text, re.M))


def test_every_series_on_the_usage_dashboard_and_in_the_cost_alerts_is_one_the_exporter_serves(shared):
    produced = _exporter_series()
    dashboard = json.loads(find(shared, "GrafanaDashboard", "langfuse-usage")["spec"]["json"])
    exprs = [t["expr"] for p in dashboard["panels"] if p.get("type") != "row" for t in p["targets"]]
    alerts = [r["expr"] for g in _rules(shared)["groups"] if g["name"] == "langfuse-rosa.usage" for r in g["rules"]]
    for source, expressions in (("dashboard", exprs), ("alerts", alerts)):
        used = {name for e in expressions for name in re.findall(r"\b(langfuse_usage_[a-z_]+)", e)}
        assert len(used) >= 5, source
        assert used <= produced, (source, used - produced)
    assert all(f'namespace="{NS}"' in e for e in exprs)
    assert "langfuse_usage_cost_total" not in produced  # the check can fail: a name the exporter does not serve
