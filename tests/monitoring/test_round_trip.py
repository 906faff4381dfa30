"""The round-trip monitor as the environment stack deploys it (a fixture stack: dev with the monitor on): pinned,
restricted-v2, no API token, its key from Secrets Manager, only the flows it needs; its alerts under promtool
(check and unit tests: each fires on the bad series and stays quiet on the good one); off in the committed stacks."""

from __future__ import annotations

import pytest
from langfuse_incluster import contract

from infra.offline_plan.plan import Plan, build_plan
from tests.conftest import STACKS, container, env_of, find, objects_of, project_path
from tests.promtool import check_rules, run_rule_tests

NS = "langfuse-dev"
HOST = "langfuse-dev.apps.rosa-dev.x7k2.p1.openshiftapps.com"


@pytest.fixture(scope="module")
def plan() -> Plan:
    return build_plan("verification", stacks_dir=project_path("tests", "data", "stacks"))


def test_the_fixture_renders_the_monitor_valid_and_policy_clean(plan):
    ours = {r.kind for r in plan.schema_results if r.name == contract.MONITOR_NAME}
    assert ours == {"Deployment", "Service", "ServiceMonitor", "PodDisruptionBudget"}
    assert [r for r in plan.schema_results if r.errors] == [] and plan.policy_violations == []


def test_the_monitor_runs_the_package_s_module_pinned_restricted_without_a_token(plan):
    deployment = find(plan, "Deployment", contract.MONITOR_NAME)
    pod = deployment["spec"]["template"]["spec"]
    assert deployment["spec"]["replicas"] == 1 and pod["automountServiceAccountToken"] is False
    c = container(deployment)
    assert c["image"].startswith("ghcr.io/acme/langfuse-rosa-tenant-controller@sha256:")
    assert c["command"] == ["python", "-m", "langfuse_incluster.monitor"]
    assert c["securityContext"]["capabilities"] == {"drop": ["ALL"]} and c["securityContext"]["readOnlyRootFilesystem"] is True
    assert "runAsUser" not in c["securityContext"] and "runAsUser" not in pod["securityContext"]
    env = env_of(c)
    assert env[contract.ENV_MONITOR_URL]["value"] == f"https://{HOST}"  # the Route, as SDK users reach Langfuse
    assert env[contract.ENV_PUBLIC_KEY]["valueFrom"]["secretKeyRef"] == {"name": "langfuse-verification-key", "key": "public-key"}
    assert env[contract.ENV_SECRET_KEY]["valueFrom"]["secretKeyRef"] == {"name": "langfuse-verification-key", "key": "secret-key"}
    assert (env[contract.ENV_MONITOR_INTERVAL_SECONDS]["value"], env[contract.ENV_MONITOR_READ_BACK_SECONDS]["value"]) == ("300", "120")
    ca = next(v for v in pod["volumes"] if v["name"] == "trusted")["configMap"]
    assert ca["name"] == "langfuse-trusted-ca-bundle" and env[contract.ENV_MONITOR_CA_FILE]["value"] == "/etc/round-trip/trusted/ca.crt"
    key = find(plan, "ExternalSecret", "langfuse-verification-key")
    assert {(d["secretKey"], d["remoteRef"]["key"], d["remoteRef"]["property"]) for d in key["spec"]["data"]} == {
        ("public-key", "acme-langfuse-dev/langfuse-verification-key", "publicKey"),
        ("secret-key", "acme-langfuse-dev/langfuse-verification-key", "secretKey"),
    }


def test_the_monitor_may_reach_only_https_and_dns_and_only_monitoring_reaches_it(plan):
    egress = find(plan, "NetworkPolicy", f"allow-from-{contract.MONITOR_NAME}")["spec"]["egress"]
    ports = [sorted((p["port"], p["protocol"]) for p in rule["ports"]) for rule in egress]
    assert ports == [[(443, "TCP")], [(53, "TCP"), (53, "UDP"), (5353, "TCP"), (5353, "UDP")]]
    assert egress[0]["to"] == [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.128.0.0/14", "172.30.0.0/16"]}}]
    ingress = find(plan, "NetworkPolicy", f"allow-to-{contract.MONITOR_NAME}")["spec"]["ingress"]
    assert ingress == [{"from": [{"namespaceSelector": {"matchLabels": {"network.openshift.io/policy-group": "monitoring"}}}],
                        "ports": [{"port": contract.MONITOR_METRICS_PORT, "protocol": "TCP"}]}]  # fmt: skip
    monitor = find(plan, "ServiceMonitor", contract.MONITOR_NAME)["spec"]
    service = find(plan, "Service", contract.MONITOR_NAME)
    assert monitor["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    assert [p["name"] for p in service["spec"]["ports"]] == [monitor["endpoints"][0]["port"]]


def test_the_committed_stacks_keep_the_monitor_off_but_name_a_verification_key(plans, stack_files):
    for stack in STACKS:
        assert not [o for o in objects_of(plans[stack], "Deployment") if o["metadata"]["name"] == contract.MONITOR_NAME], stack
        rules = [r["alert"] for r in find(plans[stack], "PrometheusRule", "langfuse-alerts")["spec"]["groups"] for r in r["rules"]]
        assert not {"LangfuseRoundTripFailing", "LangfuseIngestionSlow"} & set(rules), stack
        key = stack_files[stack]["langfuse-rosa:verification"]["projectKey"]["secretsManagerName"]
        assert key == f"acme-langfuse-{stack}/langfuse-verification-key"


# -- the alerts ---------------------------------------------------------------------------------------------

def _rules(plan: Plan) -> dict:
    return find(plan, "PrometheusRule", "langfuse-alerts")["spec"]


def _series(metric: str, values: str) -> dict:
    return {"series": f'{metric}{{namespace="{NS}",pod="langfuse-round-trip-monitor-7d9f-x2"}}', "values": values}


RUNBOOK = "https://github.com/acme/langfuse-rosa/blob/main/docs/runbooks/roundtrip.md"
UNIT_TESTS = [
    {
        "name": "two failed round trips in a row page; one does not",
        "interval": "1m",
        "input_series": [_series(contract.ROUND_TRIP_SUCCESS_METRIC, "1x5 0x5 1x5 0x15")],
        "alert_rule_test": [
            {"eval_time": "10m", "alertname": "LangfuseRoundTripFailing", "exp_alerts": []},  # 5 minutes of failure
            {"eval_time": "15m", "alertname": "LangfuseRoundTripFailing", "exp_alerts": []},
            {
                "eval_time": "28m",
                "alertname": "LangfuseRoundTripFailing",
                "exp_alerts": [{
                    "exp_labels": {"severity": "critical"},
                    "exp_annotations": {
                        "summary": "Langfuse's round trip fails",
                        "description": "A trace sent through the Langfuse SDK cannot be stored and read back: langfuse_round_trip_failures_total "
                        "and the monitor's log name the failing step (health, readiness, authenticate, ingest, read-back).",
                        "runbook_url": f"{RUNBOOK}#langfuseroundtripfailing",
                    },
                }],
            },
        ],
    },
    {
        "name": "ingestion slower than the bound warns; within it is quiet",
        "interval": "1m",
        "input_series": [_series(contract.ROUND_TRIP_QUERYABLE_SECONDS_METRIC, "20x10 75x15")],
        "alert_rule_test": [
            {"eval_time": "10m", "alertname": "LangfuseIngestionSlow", "exp_alerts": []},
            {
                "eval_time": "24m",
                "alertname": "LangfuseIngestionSlow",
                "exp_alerts": [{
                    "exp_labels": {"severity": "warning"},
                    "exp_annotations": {
                        "summary": "Traces take over 60 s to become queryable",
                        "description": "The last round trips' traces became readable 1m 15s after they were sent: the worker, Redis or "
                        "ClickHouse is slow, though nothing is down yet.",
                        "runbook_url": f"{RUNBOOK}#langfuseingestionslow",
                    },
                }],
            },
        ],
    },
    {
        "name": "a monitor whose last run is older than three intervals warns",
        "interval": "1m",
        # Runs every 5 minutes until minute 10 (the gauge holds the end time), then none.
        "input_series": [_series(contract.ROUND_TRIP_LAST_RUN_METRIC, "0 0 0 0 0 300 300 300 300 300 600x40")],
        "alert_rule_test": [
            {"eval_time": "20m", "alertname": "LangfuseRoundTripNotRunning", "exp_alerts": []},
            {
                "eval_time": "36m",
                "alertname": "LangfuseRoundTripNotRunning",
                "exp_alerts": [{
                    "exp_labels": {"severity": "warning"},
                    "exp_annotations": {
                        "summary": "The Langfuse round-trip monitor reports nothing",
                        "description": "No round trip has ended for over 15 minutes: the monitor is down or stuck, and the round-trip alerts are blind.",
                        "runbook_url": f"{RUNBOOK}#langfuseroundtripnotrunning",
                    },
                }],
            },
        ],
    },
    {
        "name": "no result at all warns",
        "interval": "1m",
        "input_series": [],
        "alert_rule_test": [
            {
                "eval_time": "11m",
                "alertname": "LangfuseRoundTripNotRunning",
                "exp_alerts": [{"exp_labels": {"severity": "warning", "namespace": NS}, "exp_annotations": {
                    "summary": "The Langfuse round-trip monitor reports nothing",
                    "description": "No round trip has ended for over 15 minutes: the monitor is down or stuck, and the round-trip alerts are blind.",
                    "runbook_url": f"{RUNBOOK}#langfuseroundtripnotrunning",
                }}],
            },
        ],
    },
]  # fmt: skip


def test_promtool_accepts_the_rules_and_the_round_trip_alerts_fire_as_intended(plan, tmp_path):
    check = check_rules(_rules(plan), tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    result = run_rule_tests(_rules(plan), UNIT_TESTS, tmp_path)
    assert result.returncode == 0 and "SUCCESS" in result.stdout + result.stderr, result.stdout + result.stderr


def test_the_harness_is_live(plan, tmp_path):
    silent = {**UNIT_TESTS[0], "alert_rule_test": [{**UNIT_TESTS[0]["alert_rule_test"][-1], "exp_alerts": []}]}
    assert run_rule_tests(_rules(plan), [silent], tmp_path).returncode != 0
