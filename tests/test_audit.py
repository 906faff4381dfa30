"""The audit record as rendered: the trail and its bucket, the cluster layer's forwarder, the audit_logs export's
CronJob, and the compliance report, which follows the plan (change a setting, the report changes)."""

from __future__ import annotations

import json

import pytest
import yaml

from infra.offline_plan.plan import COMPLIANCE_FILE, build_plan
from tests.conftest import STACKS, find, project_path, stack_setting

TENANCY_STACKS = project_path("tests", "data", "stacks")


@pytest.fixture(scope="module")
def tenancy():
    return build_plan("tenancy", stacks_dir=TENANCY_STACKS)


def _resources(plan, type_: str) -> list:
    return [r for r in plan.resources if r.type == type_]


@pytest.mark.parametrize("stack", STACKS)
def test_the_trail_logs_every_region_into_the_locked_audit_bucket(plans, stack_files, stack):
    plan = plans[stack]
    prefix = stack_setting(stack_files, stack, "aws", "resourcePrefix")
    (trail,) = _resources(plan, "aws:cloudtrail/trail:Trail")
    t = trail.inputs
    assert t["s3BucketName"] == f"{prefix}-audit" and t["isMultiRegionTrail"] and t["enableLogFileValidation"] and t["includeGlobalServiceEvents"]
    (key,) = [k for k in _resources(plan, "aws:kms/key:Key") if k.name == "audit-key"]
    assert t["kmsKeyId"] == key.arn
    (lock,) = [r.inputs for r in _resources(plan, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration") if r.inputs["bucket"] == f"{prefix}-audit"]
    assert lock["rule"]["defaultRetention"] == {"mode": "COMPLIANCE" if stack == "prod" else "GOVERNANCE", "days": 400}
    # The key lets CloudTrail encrypt this trail's files only, and CloudWatch Logs its one log group.
    statements = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
    assert statements["CloudTrailEncryptsLogs"]["Condition"]["StringEquals"] == {"aws:SourceArn": trail.arn}
    assert statements["CloudWatchLogsEncryptsLogGroups"]["Condition"] == {
        "StringEquals": {"kms:EncryptionContext:aws:logs:arn": [f"arn:aws:logs:eu-west-1:{stack_setting(stack_files, stack, 'aws', 'accountId')}:log-group:{prefix}-cloudtrail"]}
    }
    filters = {f.inputs["name"]: f.inputs["pattern"] for f in _resources(plan, "aws:cloudwatch/logMetricFilter:LogMetricFilter")}
    assert set(filters) == {"KeyDeletionScheduled", "BucketPolicyChanged", "SecretReadRefused"}
    assert f'"{prefix}-*"' in filters["BucketPolicyChanged"] and "ScheduleKeyDeletion" in filters["KeyDeletionScheduled"]


def test_the_cluster_layer_forwards_the_api_audit_log_and_postgresql_logs(plans, stack_files):
    plan = plans["cluster-prod"]
    forwarder = find(plan, "ClusterLogForwarder", "audit")["spec"]
    # Each release gets the Logging line whose bundle lists it: 6.4 (4.16-4.19) on 4.18, 6.5 (4.19-4.22) on 4.19 and 4.20.
    for stack, pin in (("cluster-dev", ("stable-6.4", "cluster-logging.v6.4.7")), ("cluster-prod", ("stable-6.5", "cluster-logging.v6.5.3")),
                       ("cluster-staging", ("stable-6.5", "cluster-logging.v6.5.3"))):  # fmt: skip
        version = stack_setting(stack_files, stack, "cluster", "openshiftVersion")
        (subscription,) = [o.manifest for o in plans[stack].objects if o.kind == "Subscription" and o.manifest["spec"]["name"] == "cluster-logging"]
        assert (version, subscription["spec"]["channel"], subscription["spec"]["startingCSV"], subscription["spec"]["source"]) == (
            {"cluster-dev": "4.18", "cluster-prod": "4.19", "cluster-staging": "4.20"}[stack], *pin, "redhat-operators"
        )
    pipelines = {p["name"]: p for p in forwarder["pipelines"]}
    assert pipelines["api-audit"] == {"name": "api-audit", "inputRefs": ["api-audit"], "filterRefs": ["api-audit-policy"], "outputRefs": ["api-audit"]}
    rules = forwarder["filters"][0]["kubeAPIAudit"]["rules"]
    assert {"langfuse", "cnpg-system", "openshift-logging"} <= set(rules[1]["namespaces"]) and rules[1]["level"] == "Metadata"
    assert all(rule["level"] in ("None", "Metadata") for rule in rules)  # never a request or response body: no Secret value leaves
    groups = {r.inputs["name"]: r for r in _resources(plan, "aws:cloudwatch/logGroup:LogGroup")}
    assert set(groups) == {"acme-rosa-prod-api-audit", "acme-rosa-prod-postgresql"}
    assert all(g.protect and g.inputs["retentionInDays"] == 400 and g.inputs["kmsKeyId"] for g in groups.values())
    (role,) = [r for r in _resources(plan, "aws:iam/role:Role") if r.inputs["name"] == "acme-rosa-prod-log-collector"]
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    issuer = stack_setting(stack_files, "cluster-prod", "aws", "oidcProviderArn").split(":oidc-provider/", 1)[1]
    assert trust["Condition"]["StringEquals"] == {f"{issuer}:sub": "system:serviceaccount:openshift-logging:audit-log-collector", f"{issuer}:aud": "openshift"}


def test_the_audit_logs_export_runs_restricted_as_its_role_with_the_settings_it_reads(tenancy):
    cron = find(tenancy, "CronJob", "langfuse-audit-export")
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"].startswith("ghcr.io/") and "@sha256:" in container["image"]
    assert container["command"] == ["python", "-m", "langfuse_incluster.audit_export"]
    assert container["securityContext"]["readOnlyRootFilesystem"] and container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert "runAsUser" not in container["securityContext"] and cron["spec"]["concurrencyPolicy"] == "Forbid"
    env = {e["name"]: e for e in container["env"]}
    assert env["AUDIT_BUCKET"]["value"] == "acme-langfuse-dev-audit" and env["AUDIT_PREFIX"]["value"] == "langfuse-audit-logs/"
    assert env["PGSSLMODE"]["value"] == "verify-full" and "secretKeyRef" in env["PGPASSWORD"]["valueFrom"]
    account = find(tenancy, "ServiceAccount", "langfuse-audit-export")
    assert account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == "arn:aws:iam::111122223333:role/acme-langfuse-dev-audit-export"
    role = find(tenancy, "Role", "langfuse-audit-export")
    assert role["rules"] == [{"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["langfuse-audit-export"], "verbs": ["get", "patch"]}]
    decided = {row.request.id: row.allowed for row in tenancy.access.rows if row.request.id.startswith(("audit export", "sts: langfuse-audit-export"))}
    assert decided == {
        "audit export: PutObject a window (If-None-Match)": True, "audit export: PutObject without If-None-Match (an overwrite)": False,
        "audit export: PutObject outside its prefix": False, "audit export: DeleteObject an export": False,
        "audit export: GetObject an export": False, "audit export: kms:GenerateDataKey (SSE-KMS, via S3)": True, "audit export: kms:Decrypt": False,
        "sts: langfuse-audit-export assumes its role": True, "sts: langfuse-audit-export's token for another audience": False,
    }
    egress = [p for p in tenancy.objects if p.kind == "NetworkPolicy" and p.manifest["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/name") == "langfuse-audit-export"]
    assert egress, "the export's pods get their own NetworkPolicies from the flow table"


def test_the_compliance_report_follows_the_plan(plans, tmp_path):
    plan = plans["dev"]
    plan.write(tmp_path / "dev")
    report = (tmp_path / "dev" / COMPLIANCE_FILE).read_text()
    audit = next(line for line in report.splitlines() if line.startswith("| S3 acme-langfuse-dev-audit |"))
    assert "object lock GOVERNANCE 400 d" in audit and "alias/acme-langfuse-dev-audit" in audit
    events = next(line for line in report.splitlines() if line.startswith("| S3 acme-langfuse-dev-events |"))
    assert "langfuse-worker (role acme-langfuse-dev-worker)" in events and "CloudTrail acme-langfuse-dev-audit (object reads and writes)" in events
    assert "| tenant controller | not deployed" in report
    assert "Langfuse's audit_logs: not exported (audit.langfuseExport.image unset)" in report

    stacks = tmp_path / "stacks"
    stacks.mkdir()
    config = yaml.safe_load(project_path("stacks", "Pulumi.dev.yaml").read_text())
    config["config"]["langfuse-rosa:audit"] = {"retentionDays": 730}
    config["config"]["langfuse-rosa:dataTier"]["postgres"]["backup"]["retentionDays"] = 21
    (stacks / "Pulumi.dev.yaml").write_text(yaml.safe_dump(config))
    changed = build_plan("dev", stacks_dir=stacks).compliance.markdown()
    assert "object lock GOVERNANCE 730 d" in changed and "object lock GOVERNANCE 400 d" not in changed
    assert "backups kept 21d" in changed and "backups kept 7d" in report


def test_the_compliance_report_names_each_projects_isolation_and_retention(tenancy):
    (postgres,) = [s for s in tenancy.compliance.stores if s.store.startswith("PostgreSQL")]
    assert "exported daily to the audit bucket" in postgres.audited and any(r.startswith("the audit_logs export") for r in postgres.readers)
    projects = dict(tenancy.compliance.projects)
    assert projects["isolation"] == "a Langfuse project and key pair of its own per project namespace"
    assert projects["retention"].startswith("ProjectSettings spec.langfuse.retentionDays of each project")
    assert projects["key rotation"].startswith("every 30 days")
