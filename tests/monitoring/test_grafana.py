"""Grafana through the Grafana Operator: SSO-only sign-in, a Thanos datasource authenticated by a bound
service-account token, and dashboards built with grafana-foundation-sdk whose Langfuse series are ones the
StatsD mapping actually produces."""

from __future__ import annotations

import json
import re

import pytest

from components.monitoring.statsd_mapping import MAPPINGS
from tests.conftest import find, objects_of, stack_setting

DASHBOARD_UIDS = {"langfuse-overview", "langfuse-postgresql", "langfuse-clickhouse", "langfuse-redis", "langfuse-backups"}


def _grafana(plans, stack: str) -> dict:
    return find(plans[stack], "Grafana", "langfuse-grafana")


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_grafana_signs_in_only_through_the_stack_s_sso_realm(plans, stack_files, stack):
    spec = _grafana(plans, stack)["spec"]
    issuer = stack_setting(stack_files, stack, "sso", "issuer").rstrip("/")
    grafana = stack_setting(stack_files, stack, "monitoring", "grafana")
    oauth = spec["config"]["auth.generic_oauth"]
    assert oauth["client_id"] == grafana["clientId"]
    assert oauth["auth_url"] == f"{issuer}/protocol/openid-connect/auth"
    assert oauth["token_url"] == f"{issuer}/protocol/openid-connect/token"
    assert oauth["role_attribute_strict"] == "true" and "'Viewer'" in oauth["role_attribute_path"]
    assert spec["config"]["auth"]["disable_login_form"] == "true"
    assert spec["config"]["auth.basic"]["enabled"] == "false"
    assert spec["config"]["auth.anonymous"]["enabled"] == "false"
    # The client secret reaches the pod from Secrets Manager through External Secrets, never inline.
    env = spec["deployment"]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert env == [
        {"name": "GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET", "valueFrom": {"secretKeyRef": {"name": "langfuse-grafana-sso", "key": "client-secret"}}}
    ]
    external = find(plans[stack], "ExternalSecret", "langfuse-grafana-sso")["spec"]
    assert external["data"][0]["remoteRef"]["key"] == grafana["clientSecret"]["secretsManagerName"]
    route = spec["route"]["spec"]
    assert route["tls"] == {"termination": "edge", "insecureEdgeTerminationPolicy": "Redirect"}
    assert route["host"] == f"grafana-{stack_setting(stack_files, stack, 'langfuse', 'namespace')}.{stack_setting(stack_files, stack, 'cluster', 'appsDomain')}"
    assert re.fullmatch(r"docker\.io/grafana/grafana:\d+\.\d+\.\d+@sha256:[0-9a-f]{64}", spec["version"])


def test_dev_has_no_grafana(plans):
    assert objects_of(plans["dev"], "Grafana") == []
    assert objects_of(plans["dev"], "GrafanaDashboard") == []


def test_the_datasource_reads_only_this_namespace_s_metrics_through_the_tenancy_port(plans):
    plan = plans["prod"]
    datasource = find(plan, "GrafanaDatasource", "langfuse-grafana-thanos")["spec"]
    # Port 9092 enforces the namespace label and authorises per namespace; 9091 would return every namespace.
    assert datasource["datasource"]["url"] == "https://thanos-querier.openshift-monitoring.svc.cluster.local:9092"
    assert datasource["datasource"]["jsonData"]["customQueryParameters"] == "namespace=langfuse"
    assert datasource["datasource"]["jsonData"]["tlsAuthWithCACert"] is True
    sources = {v["targetPath"]: v["valueFrom"] for v in datasource["valuesFrom"]}
    token_secret = sources["secureJsonData.httpHeaderValue1"]["secretKeyRef"]["name"]
    assert datasource["datasource"]["secureJsonData"]["httpHeaderValue1"] == "Bearer ${token}"
    token = find(plan, "Secret", token_secret)
    assert token["type"] == "kubernetes.io/service-account-token" and "data" not in token
    account = token["metadata"]["annotations"]["kubernetes.io/service-account.name"]
    # The account's only grant: a Role in this namespace with what the tenancy port checks (the KEDA reader's).
    assert not [b for b in objects_of(plan, "ClusterRoleBinding") if any(s["name"] == account for s in b["subjects"])]
    (binding,) = [b for b in objects_of(plan, "RoleBinding") if any(s["name"] == account for s in b["subjects"])]
    assert binding["metadata"]["namespace"] == "langfuse" and binding["roleRef"]["kind"] == "Role"
    rules = find(plan, "Role", binding["roleRef"]["name"])["rules"]
    assert rules == find(plan, "Role", "langfuse-metrics-reader")["rules"]
    assert {(tuple(r["apiGroups"]), tuple(r["resources"])) for r in rules} == {(("",), ("pods",)), (("metrics.k8s.io",), ("pods",))}
    assert sources["secureJsonData.tlsCACert"]["configMapKeyRef"]["name"] == "langfuse-service-ca"


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_every_referenced_value_has_its_placeholder_where_the_operator_substitutes_it(plans, stack):
    """The Grafana Operator replaces `${<key>}` in a valuesFrom's targetPath with that key's value
    (controllers/datasource_controller.go, buildDatasourceModel); a placeholder of another name stays literal."""
    datasources = objects_of(plans[stack], "GrafanaDatasource")
    assert datasources
    for datasource in datasources:
        for source in datasource["spec"]["valuesFrom"]:
            ref = source["valueFrom"].get("secretKeyRef") or source["valueFrom"]["configMapKeyRef"]
            node = datasource["spec"]["datasource"]
            for part in source["targetPath"].split("."):
                node = node[part]
            assert "${" + ref["key"] + "}" in node, (datasource["metadata"]["name"], source["targetPath"])


def _dashboards(plan) -> dict[str, dict]:
    """The platform dashboards (the analytics cluster's, on its ClickHouse datasource, are tests/analytics')."""
    return {d["metadata"]["name"]: json.loads(d["spec"]["json"]) for d in objects_of(plan, "GrafanaDashboard") if d["spec"]["folder"] == "Langfuse"}


def _expressions(dashboard: dict) -> list[str]:
    return [target["expr"] for panel in dashboard["panels"] if panel.get("type") != "row" for target in panel["targets"]]


def test_every_dashboard_panel_queries_the_thanos_datasource_in_its_own_namespace(plans):
    dashboards = _dashboards(plans["prod"])
    assert set(dashboards) == DASHBOARD_UIDS
    datasource_uid = find(plans["prod"], "GrafanaDatasource", "langfuse-grafana-thanos")["spec"]["datasource"]["uid"]
    for uid, dashboard in dashboards.items():
        panels = [p for p in dashboard["panels"] if p.get("type") != "row"]
        assert len(panels) >= 3, uid
        for panel in panels:
            assert panel["datasource"] == {"type": "prometheus", "uid": datasource_uid}, (uid, panel["title"])
            for target in panel["targets"]:
                assert 'namespace="langfuse"' in target["expr"], (uid, panel["title"])
                # The tenancy port enforces the namespace label: a series of another namespace reads empty.
                assert "exported_namespace" not in target["expr"] and "haproxy_" not in target["expr"], (uid, panel["title"])


def _producible(name_template: str) -> re.Pattern[str]:
    """A mapping's output name, with its $n captures standing for any metric-name fragment."""
    return re.compile(re.sub(r"\\\$\d", "[a-z0-9_]+", re.escape(name_template)) + "(_bucket|_sum|_count)?")


def test_every_langfuse_series_on_a_dashboard_is_produced_by_the_statsd_mapping(plans):
    producible = [_producible(m["name"]) for m in MAPPINGS if m.get("action") != "drop"]
    used = {
        name
        for dashboard in _dashboards(plans["prod"]).values()
        for expr in _expressions(dashboard)
        for name in re.findall(r"\blangfuse_[a-z0-9_]+", expr)
    }
    assert {"langfuse_queue_depth", "langfuse_ingestion_events_total", "langfuse_queue_jobs_total"} <= used
    for name in used:
        assert any(p.fullmatch(name) for p in producible), f"{name} is on a dashboard but no mapping produces it"
    # The check can fail: a name the mapping does not produce is caught.
    assert not any(p.fullmatch("langfuse_queue_length") for p in producible)
