"""The tenant controller as the environment stack deploys it (a fixture stack: dev with a licence key and
tenancy on): every object valid and policy-clean, one replica with Recreate, the image by digest, least
privilege in RBAC and the network, the key alert under promtool; and the CRD extension kept current. Its
unlicensed variant: Langfuse web creates the shared project and key at start (LANGFUSE_INIT_*), from the
Secrets Manager secret the controller hands out."""

from __future__ import annotations

import pytest
import yaml
from langfuse_incluster import contract

from infra.offline_plan.plan import Plan, build_plan
from infra.stack_config.errors import ConfigError
from tests.conftest import container, env_of, find, langfuse_env_names, objects_of, project_path
from tests.promtool import run_rule_tests

NS = "langfuse-dev"


FIXTURE = project_path("tests", "data", "stacks", "Pulumi.tenancy.yaml")
SHARED_KEY = "acme-langfuse-dev/langfuse-shared-project-key"
OWNER_PASSWORD = "acme-langfuse-dev/langfuse-shared-owner"


@pytest.fixture(scope="module")
def plan() -> Plan:
    return build_plan("tenancy", stacks_dir=FIXTURE.parent)


def _unlicensed(config: dict) -> None:
    """The fixture without its licence: one shared project, its key in Secrets Manager, an owner (no SSO)."""
    del config["langfuse-rosa:langfuse"]["licenseKey"]
    tenancy = config["langfuse-rosa:tenancy"]
    del tenancy["organizationKey"]
    tenancy["sharedProjectKey"] = {"secretsManagerName": SHARED_KEY}
    tenancy["sharedProject"] = {"owner": {"email": "platform-admin@example.com", "password": {"secretsManagerName": OWNER_PASSWORD, "property": "password"}}}


def _variant(directory, mutate) -> Plan:
    document = yaml.safe_load(FIXTURE.read_text())
    mutate(document["config"])
    (directory / FIXTURE.name).write_text(yaml.safe_dump(document))
    return build_plan("tenancy", stacks_dir=directory)


@pytest.fixture(scope="module")
def shared_plan(tmp_path_factory) -> Plan:
    return _variant(tmp_path_factory.mktemp("unlicensed"), _unlicensed)


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
    rule = next(o for o in objects_of(plan, "PrometheusRule"))
    day, period = 86400, 30 * 86400
    series = lambda ns, start: {  # noqa: E731
        "series": f'{contract.KEY_AGE_METRIC}{{namespace="{NS}",{contract.TENANT_LABEL}="{ns}"}}', "values": f"{start}+60x120"}
    tests = [{
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
    }]
    result = run_rule_tests(rule["spec"], tests, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


INIT_VALUES = {
    "LANGFUSE_INIT_ORG_ID": "ambient-code-platform", "LANGFUSE_INIT_ORG_NAME": "Ambient Code Platform",
    "LANGFUSE_INIT_PROJECT_ID": "ambient-code-platform-shared", "LANGFUSE_INIT_PROJECT_NAME": "ambient-code-platform",
    "LANGFUSE_INIT_USER_EMAIL": "platform-admin@example.com", "LANGFUSE_INIT_USER_NAME": "Langfuse administrator",
}
INIT_SECRETS = {
    "LANGFUSE_INIT_PROJECT_PUBLIC_KEY": {"name": "langfuse-init-project", "key": "public-key", "optional": False},
    "LANGFUSE_INIT_PROJECT_SECRET_KEY": {"name": "langfuse-init-project", "key": "secret-key", "optional": False},
    "LANGFUSE_INIT_USER_PASSWORD": {"name": "langfuse-init-user", "key": "password", "optional": False},
}


def _init_env(plan: Plan, deployment: str) -> dict[str, dict]:
    return {name: e for name, e in env_of(container(find(plan, "Deployment", deployment))).items() if name.startswith("LANGFUSE_INIT_")}


def test_without_a_licence_web_creates_the_shared_project_from_the_key_the_controller_hands_out(shared_plan):
    init = _init_env(shared_plan, "langfuse-web")
    assert {name: e["value"] for name, e in init.items() if "value" in e} == INIT_VALUES
    assert {name: e["valueFrom"]["secretKeyRef"] for name, e in init.items() if "valueFrom" in e} == INIT_SECRETS
    # The key comes from the one Secrets Manager secret the controller reads, through External Secrets.
    project = find(shared_plan, "ExternalSecret", "langfuse-init-project")
    controller = find(shared_plan, "ExternalSecret", "langfuse-tenant-controller-key")
    def remote(external):  # noqa: E306
        return {d["secretKey"]: (d["remoteRef"]["key"], d["remoteRef"]["property"]) for d in external["spec"]["data"]}
    assert remote(project) == remote(controller) == {"public-key": (SHARED_KEY, "publicKey"), "secret-key": (SHARED_KEY, "secretKey")}
    assert remote(find(shared_plan, "ExternalSecret", "langfuse-init-user")) == {"password": (OWNER_PASSWORD, "password")}
    assert env_of(container(find(shared_plan, "Deployment", contract.CONTROLLER_NAME)))[contract.ENV_MODE]["value"] == "shared"
    # Only web runs Langfuse's init (web/src/initialize.ts); the worker and the migration get none of it.
    assert _init_env(shared_plan, "langfuse-worker") == {}
    known = langfuse_env_names()
    assert set(init) <= known and {n for n in known if n.startswith("LANGFUSE_INIT_")} - set(init) == {
        "LANGFUSE_INIT_ORG_CLOUD_PLAN", "LANGFUSE_INIT_PROJECT_RETENTION"}
    assert [r for r in shared_plan.schema_results if r.errors] == [] and shared_plan.policy_violations == []


def test_with_a_licence_or_without_tenancy_web_gets_no_init_variables(plan, plans):
    assert _init_env(plan, "langfuse-web") == {}
    assert not any(o.name in ("langfuse-init-project", "langfuse-init-user") for o in plan.objects)
    for stack in ("dev", "prod"):
        assert _init_env(plans[stack], "langfuse-web") == {}


def test_the_shared_project_owner_is_refused_with_sso_and_with_a_licence(tmp_path):
    def with_sso(config):
        _unlicensed(config)
        config["langfuse-rosa:sso"] = {"enabled": True, "issuer": "https://sso.example.com/realms/langfuse", "clientId": "langfuse",
                                       "clientSecret": {"secretsManagerName": "acme/sso", "property": "clientSecret"}}

    def licensed_with_owner(config):
        config["langfuse-rosa:tenancy"]["sharedProject"] = {"owner": {"email": "a@example.com", "password": {"secretsManagerName": "x", "property": "p"}}}

    for mutate, message in (
        (with_sso, "langfuse-rosa:tenancy is invalid: sharedProject.owner must not be set when sso.enabled is true: password sign-in is off with SSO"),
        (licensed_with_owner, "langfuse-rosa:tenancy is invalid: sharedProject.owner applies only without langfuse.licenseKey: with a licence "
                              "there is no shared project"),
    ):
        with pytest.raises(ConfigError) as raised:
            _variant(tmp_path, mutate)
        assert message in str(raised.value)
