"""The tenant controller as the environment stack deploys it (a fixture stack: dev with a licence key and
tenancy on): every object valid and policy-clean, one replica with Recreate, the image by digest, least
privilege in RBAC and the network, the key alert under promtool; and the CRD extension kept current."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml
from langfuse_incluster import contract

from components.tenancy.crd import EXTENDED_CRD, SCHEMA_FILE, UPSTREAM_CRD, render_extended_crd, render_schema
from infra.offline_plan.plan import Plan, build_plan
from tests.conftest import container, env_of, find, objects_of, project_path

NS = "langfuse-dev"


@pytest.fixture(scope="module")
def plan() -> Plan:
    return build_plan("tenancy", stacks_dir=project_path("tests", "data", "stacks"))


def test_the_fixture_stack_renders_the_controller_valid_and_policy_clean(plan):
    ours = [r for r in plan.schema_results if "tenant-controller" in r.name]
    assert {r.kind for r in ours} >= {"Deployment", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "ValidatingAdmissionPolicy",
                                       "ValidatingAdmissionPolicyBinding", "ExternalSecret", "PodMonitor", "PodDisruptionBudget"}
    assert [r for r in plan.schema_results if r.errors] == []
    assert plan.policy_violations == []


def test_one_active_instance_pinned_by_digest_restricted(plan):
    deployment = find(plan, "Deployment", contract.CONTROLLER_NAME)
    assert deployment["spec"]["replicas"] == 1 and deployment["spec"]["strategy"] == {"type": "Recreate"}
    c = container(deployment)
    assert "@sha256:" in c["image"]
    assert c["securityContext"]["capabilities"] == {"drop": ["ALL"]} and c["securityContext"]["readOnlyRootFilesystem"] is True
    assert "runAsUser" not in c["securityContext"]
    env = env_of(c)
    assert env[contract.ENV_MODE]["value"] == "per-project"  # the fixture has a licence key
    assert env[contract.ENV_LANGFUSE_API_URL]["value"] == f"http://langfuse-web.{NS}.svc:3000"
    assert env[contract.ENV_PUBLIC_HOST]["value"] == f"https://{NS}.apps.rosa-dev.x7k2.p1.openshiftapps.com"
    assert env[contract.ENV_ORG_SECRET_KEY]["valueFrom"]["secretKeyRef"] == {"name": "langfuse-tenant-controller-key", "key": "secret-key"}
    key = find(plan, "ExternalSecret", "langfuse-tenant-controller-key")
    assert {d["remoteRef"]["key"] for d in key["spec"]["data"]} == {"acme-langfuse-dev/langfuse-org-key"}


def test_rbac_reads_projectsettings_and_writes_only_langfuse_keys(plan):
    rules = find(plan, "ClusterRole", contract.CONTROLLER_NAME)["rules"]
    secret_rules = [r for r in rules if "secrets" in r["resources"]]
    assert secret_rules == [
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["create"]},
        {"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["langfuse-keys"], "verbs": ["get", "update", "patch", "delete"]},
    ]
    assert not any("*" in r["verbs"] or "*" in r["resources"] for r in rules)
    policy = find(plan, "ValidatingAdmissionPolicy", "langfuse-tenant-controller-writes")
    assert policy["spec"]["matchConditions"][0]["expression"] == f"request.userInfo.username == 'system:serviceaccount:{NS}:{contract.CONTROLLER_NAME}'"
    assert find(plan, "ValidatingAdmissionPolicyBinding", "langfuse-tenant-controller-writes")["spec"]["validationActions"] == ["Deny"]


def test_the_controller_reaches_only_the_web_service_the_api_server_and_dns(plan):
    egress = find(plan, "NetworkPolicy", f"allow-from-{contract.CONTROLLER_NAME}")["spec"]["egress"]
    reached = sorted((str(peer), tuple(p["port"] for p in rule["ports"])) for rule in egress for peer in rule["to"])
    web = {"podSelector": {"matchLabels": {"app.kubernetes.io/component": "web", "app.kubernetes.io/name": "langfuse"}}}
    assert (str(web), (3000,)) in reached and (str({"ipBlock": {"cidr": "10.0.0.0/16"}}), (6443,)) in reached
    assert len(reached) == 3 and any("openshift-dns" in peer for peer, _ in reached)
    ingress = find(plan, "NetworkPolicy", f"allow-to-{contract.CONTROLLER_NAME}")["spec"]["ingress"]
    assert [[p["port"] for p in rule["ports"]] for rule in ingress] == [[contract.METRICS_PORT]]


def test_the_key_alert_fires_when_a_key_outlives_its_rotation(plan, tmp_path):
    promtool = shutil.which("promtool")
    assert promtool, "scripts/bootstrap installs Debian's prometheus"
    rule = next(o for o in objects_of(plan, "PrometheusRule"))
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(rule["spec"]))
    day, period = 86400, 30 * 86400
    series = lambda ns, start: {  # noqa: E731
        "series": f'{contract.KEY_AGE_METRIC}{{namespace="{NS}",{contract.TENANT_LABEL}="{ns}"}}', "values": f"{start}+60x120"}
    tests = {
        "rule_files": ["rules.yaml"], "evaluation_interval": "1m",
        "tests": [{
            "interval": "1m",
            "input_series": [
                series("project-stuck", period + day - 600), series("project-fine", 5 * day),
                *({"series": f'{contract.KEY_ROTATION_PERIOD_METRIC}{{namespace="{NS}",{contract.TENANT_LABEL}="{ns}"}}', "values": f"{period}x120"}
                  for ns in ("project-stuck", "project-fine")),
            ],
            "alert_rule_test": [
                {"eval_time": "20m", "alertname": "LangfuseTenantKeyNotRotated", "exp_alerts": []},
                {"eval_time": "60m", "alertname": "LangfuseTenantKeyNotRotated", "exp_alerts": [{
                    "exp_labels": {"severity": "warning", "namespace": NS, contract.TENANT_LABEL: "project-stuck"},
                    "exp_annotations": {
                        "summary": "The Langfuse key of project-stuck has outlived its rotation period",
                        "description": "The key in langfuse-keys of project-stuck is 31d 0h 50m 0s old, over a day past its rotation: the tenant "
                        "controller is failing to rotate it (status.langfuse.conditions of its ProjectSettings says why).",
                        "runbook_url": "https://github.com/acme/langfuse-rosa/blob/main/docs/runbooks/tenancy.md#langfusetenantkeynotrotated",
                    },
                }]},
            ],
        }],
    }
    (tmp_path / "tests.yaml").write_text(yaml.safe_dump(tests, sort_keys=False))
    result = subprocess.run([promtool, "test", "rules", "tests.yaml"], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_crd_extension_is_current_and_keeps_the_platform_s_schema():
    assert EXTENDED_CRD.read_text() == render_extended_crd(), "run scripts/extend-projectsettings-crd"
    assert SCHEMA_FILE.read_text() == render_schema(), "run scripts/extend-projectsettings-crd"
    upstream, extended = yaml.safe_load(UPSTREAM_CRD.read_text()), yaml.safe_load(EXTENDED_CRD.read_text())
    for part in ("spec", "status"):
        up = upstream["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"][part]
        ext = extended["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"][part]
        assert {k: v for k, v in ext["properties"].items() if k != "langfuse"} == up["properties"]
    assert {k: v for k, v in extended["spec"].items() if k != "versions"} == {k: v for k, v in upstream["spec"].items() if k != "versions"}
