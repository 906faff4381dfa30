"""The analytics cluster as the stacks render it: its shape per environment, TLS and encrypted storage, the users'
grants, the loader's identity, the freshness scrape, the datasource plugin pinned; the exports configured by
the tenant controller (per-project mode) or by a Job (shared mode); the configuration it refuses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from langfuse_incluster import contract

from components.analytics.cluster import GRANTS, METRICS_PATH
from components.analytics.contract import LOADER_SERVICE_ACCOUNT
from components.analytics.dashboards import PLUGIN, PLUGIN_VERSION
from components.analytics.schema import SHARDING_KEY
from infra.analytics import lag_alert_seconds, load_schedule
from infra.offline_plan.plan import Plan, build_plan
from infra.stack_config import ConfigError, parse_stack_config
from tests.conftest import container, env_of, find, objects_of, project_path
from tests.test_stack_config import _dev_values, _external_values

DEV_ANALYTICS = {
    "enabled": True, "shards": 1, "replicas": 1, "keeperReplicas": 1, "storage": "20Gi", "keeperStorage": "5Gi",
    "resources": {"cpu": {"request": "500m", "limit": "2"}, "memory": "4Gi"}, "zoneAntiAffinity": "preferred", "retentionDays": 90,
    "exports": {"frequency": "every_20_minutes", "fileRetentionDays": 7},
}


def _layout(plan: Plan) -> dict:
    (cluster,) = find(plan, "ClickHouseInstallation", "analytics")["spec"]["configuration"]["clusters"]
    return cluster["layout"]


def test_prod_is_two_shards_of_two_replicas_and_dev_one_of_one_staging_none(plans):
    assert _layout(plans["prod"]) == {"shardsCount": 2, "replicasCount": 2}
    assert _layout(plans["dev"]) == {"shardsCount": 1, "replicasCount": 1}
    assert not [o for o in plans["staging"].objects if o.name == "analytics" or o.name.startswith("analytics-")]
    # The serving cluster is untouched: one shard, and a cluster of its own name.
    (serving,) = find(plans["prod"], "ClickHouseInstallation", "langfuse")["spec"]["configuration"]["clusters"]
    assert serving["layout"]["shardsCount"] == 1 and serving["name"] != "analytics"
    keeper = find(plans["prod"], "ClickHouseKeeperInstallation", "analytics")
    assert keeper["spec"]["configuration"]["clusters"][0]["layout"]["replicasCount"] == 3
    zk = find(plans["prod"], "ClickHouseInstallation", "analytics")["spec"]["configuration"]["zookeeper"]
    assert {n["host"] for n in zk["nodes"]} == {"keeper-analytics.langfuse.svc"} and {str(n.get("secure")) for n in zk["nodes"]} == {"1"}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_installations_validate_against_the_operator_s_schemas(plans, stack):
    results = {(r.kind, r.validated_with, r.errors) for r in plans[stack].schema_results if r.name == "analytics"}
    assert results == {
        ("ClickHouseInstallation", "schemas/crds/clickhouse.altinity.com/clickhouseinstallation_v1.json", ()),
        ("ClickHouseKeeperInstallation", "schemas/crds/clickhouse-keeper.altinity.com/clickhousekeeperinstallation_v1.json", ()),
    }


def test_tls_only_and_encrypted_volumes(plans):
    spec = find(plans["prod"], "ClickHouseInstallation", "analytics")["spec"]
    settings = spec["configuration"]["settings"]
    assert {settings[p] for p in ("tcp_port", "http_port", "interserver_http_port")} == {"_removed_"}
    assert (settings["tcp_port_secure"], settings["https_port"], settings["interserver_https_port"]) == (9440, 8443, 9010)
    (cluster,) = spec["configuration"]["clusters"]
    assert (cluster["secure"], cluster["insecure"]) == ("yes", "no")
    assert {t["spec"]["storageClassName"] for t in spec["templates"]["volumeClaimTemplates"]} == {"langfuse-gp3-encrypted"}
    keeper = find(plans["prod"], "ClickHouseKeeperInstallation", "analytics")["spec"]
    assert {t["spec"]["storageClassName"] for t in keeper["templates"]["volumeClaimTemplates"]} == {"langfuse-gp3-encrypted"}


def test_users_grants_and_the_read_only_profile(plans):
    users = find(plans["prod"], "ClickHouseInstallation", "analytics")["spec"]["configuration"]["users"]
    for user, grants in GRANTS.items():
        assert users[f"{user}/grants/query"] == grants
        assert users[f"{user}/password_sha256_hex"]["valueFrom"]["secretKeyRef"]["name"] == "analytics-clickhouse-users"
    assert GRANTS["loader"] == ["GRANT SELECT, INSERT ON analytics.*"]
    assert users["grafana/profile"] == users["metrics/profile"] == "dashboards"
    profiles = find(plans["prod"], "ClickHouseInstallation", "analytics")["spec"]["configuration"]["profiles"]
    assert profiles["dashboards/readonly"] == 2


def test_the_loader_runs_as_its_own_read_only_role_and_the_servers_as_theirs(plans):
    plan = plans["prod"]
    cron = find(plan, "CronJob", "analytics-loader")
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == LOADER_SERVICE_ACCOUNT
    loader_sa = find(plan, "ServiceAccount", LOADER_SERVICE_ACCOUNT)["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]
    servers_sa = find(plan, "ServiceAccount", "analytics-clickhouse-backup")["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]
    assert loader_sa.endswith("-analytics-loader") and servers_sa.endswith("-analytics-backup")
    env = {e["name"]: e.get("value") for e in container({"spec": cron["spec"]["jobTemplate"]["spec"]})["env"]}
    assert env["BUCKET_URL"] == "https://acme-langfuse-prod-exports.s3.eu-west-1.amazonaws.com" and env["EXPORTS_PREFIX"] == "analytics/"
    assert env["LOOKBACK_DAYS"] == "31"  # the files' lifecycle (30 days) and a day
    assert cron["spec"]["schedule"] == load_schedule(60) == "*/15 * * * *"
    loader = find(plan, "ConfigMap", "analytics-loader")["data"]
    assert "<use_environment_credentials>true</use_environment_credentials>" in loader["local.xml"]
    assert "https://acme-langfuse-prod-exports.s3.eu-west-1.amazonaws.com/analytics/" in loader["local.xml"]


def test_the_schema_job_shards_observations_by_trace(plans):
    (schema,) = [m for m in objects_of(plans["prod"], "ConfigMap") if m["metadata"]["name"].startswith("analytics-schema-")]
    sql = schema["data"]["schema.sql"]
    assert f"ENGINE = Distributed('analytics', 'analytics', 'observations_local', {SHARDING_KEY})" in sql
    assert "ENGINE = ReplicatedReplacingMergeTree(updated_at)" in sql and "TTL toDateTime(start_time) + INTERVAL 730 DAY" in sql
    job = find(plans["prod"], "Job", schema["metadata"]["name"])
    assert "--queries-file" in container(job)["command"]
    dev_sql = next(m for m in objects_of(plans["dev"], "ConfigMap") if m["metadata"]["name"].startswith("analytics-schema-"))["data"]["schema.sql"]
    assert "INTERVAL 90 DAY" in dev_sql  # dev's retention


def test_the_freshness_scrape_verifies_the_servers_certificate_and_signs_in_as_the_metrics_user(plans):
    monitor = find(plans["prod"], "PodMonitor", "analytics-freshness")
    (endpoint,) = monitor["spec"]["podMetricsEndpoints"]
    assert (endpoint["scheme"], endpoint["port"], endpoint["path"]) == ("https", "https", METRICS_PATH)
    assert endpoint["tlsConfig"] == {"ca": {"configMap": {"name": "langfuse-service-ca", "key": "service-ca.crt"}},
                                     "serverName": "clickhouse-analytics.langfuse.svc"}
    assert endpoint["basicAuth"]["username"] == {"name": "analytics-clickhouse-metrics", "key": "username"}
    assert "insecureSkipVerify" not in json.dumps(monitor)


def test_the_lag_alert_waits_two_export_windows(plans):
    (rule,) = [r for g in _rule_groups(plans["prod"]) for r in g["rules"] if r.get("alert") == "LangfuseAnalyticsLagging"]
    assert f"> {lag_alert_seconds(60)}" in rule["expr"] and lag_alert_seconds(60) == 2 * 3600 + 1200
    assert rule["annotations"]["runbook_url"].endswith("docs/runbooks/analytics.md#langfuseanalyticslagging")


def _rule_groups(plan: Plan) -> list[dict]:
    return [g for r in objects_of(plan, "PrometheusRule") for g in r["spec"]["groups"]]


def test_the_datasource_is_the_pinned_clickhouse_plugin_over_verified_tls(plans):
    (source,) = [d for d in objects_of(plans["prod"], "GrafanaDatasource") if d["spec"]["datasource"]["type"] == PLUGIN]
    assert source["spec"]["plugins"] == [{"name": PLUGIN, "version": PLUGIN_VERSION}]
    data = source["spec"]["datasource"]["jsonData"]
    assert (data["host"], data["port"], data["protocol"], data["secure"], data["tlsAuthWithCACert"], data["tlsSkipVerify"]) == (
        "clickhouse-analytics.langfuse.svc", 8443, "http", True, True, False)
    assert {s["valueFrom"].get("secretKeyRef", {}).get("name") for s in source["spec"]["valuesFrom"]} >= {"analytics-clickhouse-grafana"}
    boards = {json.loads(d["spec"]["json"])["uid"] for d in objects_of(plans["prod"], "GrafanaDashboard") if d["spec"]["folder"] == "Langfuse analytics"}
    assert boards == {"langfuse-analytics-executive", "langfuse-analytics-engineering", "langfuse-analytics-cost", "langfuse-analytics-adoption"}


# -- exports configured through Langfuse's API -----------------------------------------------------------


def _fixture_stack(tmp_path: Path, name: str, mutate) -> Plan:
    document = yaml.safe_load(project_path("tests", "data", "stacks", "Pulumi.tenancy.yaml").read_text())
    mutate(document["config"])
    (tmp_path / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump(document))
    return build_plan(name, stacks_dir=tmp_path)


@pytest.fixture(scope="module")
def tenancy_plans(tmp_path_factory) -> dict[str, Plan]:
    directory = tmp_path_factory.mktemp("stacks")

    def per_project(config: dict[str, Any]) -> None:
        config["langfuse-rosa:analytics"] = DEV_ANALYTICS

    def shared(config: dict[str, Any]) -> None:
        del config["langfuse-rosa:langfuse"]["licenseKey"]
        config["langfuse-rosa:tenancy"]["sharedProjectKey"] = {"secretsManagerName": "acme-langfuse-dev/langfuse-shared-project-key"}
        config["langfuse-rosa:analytics"] = {**DEV_ANALYTICS, "exports": {**DEV_ANALYTICS["exports"],
                                             "organizationKey": {"secretsManagerName": "acme-langfuse-dev/langfuse-org-key"}}}

    return {"per-project": _fixture_stack(directory, "perproject", per_project), "shared": _fixture_stack(directory, "shared", shared)}


EXPORT_ENV = {
    contract.ENV_EXPORT_BUCKET: "acme-langfuse-dev-exports", contract.ENV_EXPORT_REGION: "eu-west-1",
    contract.ENV_EXPORT_PREFIX: "analytics/", contract.ENV_EXPORT_FREQUENCY: "every_20_minutes",
}


def test_per_project_mode_the_controller_configures_each_project_s_export(tenancy_plans):
    plan = tenancy_plans["per-project"]
    env = env_of(container(find(plan, "Deployment", contract.CONTROLLER_NAME)))
    assert {k: env[k]["value"] for k in EXPORT_ENV} == EXPORT_ENV
    assert not [j for j in objects_of(plan, "Job") if j["metadata"]["name"].startswith("langfuse-blob-exports-")]
    assert [r for r in plan.schema_results if r.errors] == [] and plan.policy_violations == []
    assert find(plan, "CronJob", "analytics-loader")["spec"]["schedule"] == load_schedule(20) == "*/10 * * * *"


def test_shared_mode_a_job_configures_the_shared_project_s_export_with_the_org_key(tenancy_plans):
    plan = tenancy_plans["shared"]
    env = env_of(container(find(plan, "Deployment", contract.CONTROLLER_NAME)))
    assert env[contract.ENV_MODE]["value"] == "shared" and not set(EXPORT_ENV) & set(env)
    (job,) = [j for j in objects_of(plan, "Job") if j["metadata"]["name"].startswith("langfuse-blob-exports-")]
    c = container(job)
    assert c["command"] == ["python", "-m", contract.EXPORTS_JOB_MODULE]
    job_env = env_of(c)
    assert {k: job_env[k]["value"] for k in EXPORT_ENV} == EXPORT_ENV
    assert job_env[contract.ENV_ORG_SECRET_KEY]["valueFrom"]["secretKeyRef"]["name"] == "langfuse-blob-exports-keys"
    keys = find(plan, "ExternalSecret", "langfuse-blob-exports-keys")
    assert {d["remoteRef"]["key"] for d in keys["spec"]["data"]} == {"acme-langfuse-dev/langfuse-org-key", "acme-langfuse-dev/langfuse-shared-project-key"}
    assert job["spec"]["template"]["spec"]["automountServiceAccountToken"] is False
    # Its pods reach the web Service's port, and only it (and DNS).
    labels = job["spec"]["template"]["metadata"]["labels"]
    egress = next(p for p in objects_of(plan, "NetworkPolicy") if p["metadata"]["name"] == "allow-from-blob-exports-job")["spec"]
    assert egress["podSelector"]["matchLabels"].items() <= labels.items()
    assert [(rule["to"][0]["podSelector"]["matchLabels"], rule["ports"]) for rule in egress["egress"][:1]] == [
        ({"app.kubernetes.io/component": "web", "app.kubernetes.io/name": "langfuse"}, [{"protocol": "TCP", "port": 3000}])]
    assert len(egress["egress"]) == 2 and "openshift-dns" in json.dumps(egress["egress"][1])
    web_ingress = [rule for p in objects_of(plan, "NetworkPolicy") if p["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/component") == "web"
                   and "Ingress" in p["spec"]["policyTypes"] for rule in p["spec"].get("ingress", [])]
    assert any(peer.get("podSelector", {}).get("matchLabels", {}).items() <= labels.items() and peer.get("podSelector")
               for rule in web_ingress for peer in rule.get("from", []))
    assert [r for r in plan.schema_results if r.errors] == [] and plan.policy_violations == []


# -- what the configuration refuses ----------------------------------------------------------------------


def _refusal(values: dict[str, Any], stack: str = "dev") -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(stack, values)
    return caught.value.lines


def test_prod_refuses_fewer_than_two_shards_or_replicas():
    values = _dev_values()
    values["environment"] = "prod"
    values["analytics"] = {**DEV_ANALYTICS, "shards": 1, "replicas": 2}
    assert _refusal(values, "prod") == [
        "stack 'prod': langfuse-rosa:analytics is invalid: needs at least 2 shards and 2 replicas in prod (has 1 x 2): a shard per node's "
        "share of the history, and a replica to survive losing one; 1 x 1 is for dev"
    ]
    values["analytics"] = {**DEV_ANALYTICS, "shards": 2, "replicas": 2}
    assert parse_stack_config("prod", values).analytics.shards == 2


def test_the_serving_cluster_still_refuses_a_second_shard_with_analytics_on():
    values = _dev_values()
    values["dataTier"]["clickhouse"]["shards"] = 2
    assert values["analytics"]["enabled"] is True
    (line,) = _refusal(values)
    assert "langfuse-rosa:dataTier.clickhouse.shards = 2 is invalid: must be 1" in line


def test_external_mode_and_shared_mode_without_an_org_key_are_refused():
    values = _external_values()
    values["analytics"] = DEV_ANALYTICS
    (line,) = _refusal(values)
    assert "enabled needs backend.mode in-cluster" in line
    values = _dev_values()
    values["tenancy"] = {"enabled": True, "image": "ghcr.io/acme/c@sha256:" + "0" * 64,
                         "organizationKey": {"secretsManagerName": "acme-langfuse-dev/org"},
                         "sharedProjectKey": {"secretsManagerName": "acme-langfuse-dev/shared"}}
    values["langfuse"].pop("licenseKey", None)
    (line,) = _refusal(values)
    assert "exports.organizationKey is required with tenancy in shared mode" in line
