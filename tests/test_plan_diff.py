"""`plan --diff-against`: what a pull request changes, read from two real plans."""

from __future__ import annotations

import json
import subprocess
import sys

import yaml

from infra.offline_plan.diff import diff_plans
from infra.offline_plan.plan import PROJECT_ROOT, build_plan
from tests.conftest import project_path


def test_staging_against_prod_lists_added_objects_and_changed_fields(plans, tmp_path):
    plans["staging"].write(tmp_path / "staging")
    plans["prod"].write(tmp_path / "prod")
    diff = diff_plans(tmp_path / "staging", tmp_path / "prod")
    assert "kubernetes/referenced-secrets/externalsecret-langfuse-langfuse-license.yaml" in diff.added  # prod has a licence
    # Staging's certificate comes from Secrets Manager, prod's from cert-manager.
    assert [r for r in diff.removed if r.startswith("kubernetes/")] == ["kubernetes/referenced-secrets/externalsecret-langfuse-langfuse-web-tls.yaml"]
    # Resources whose Pulumi name carries the stack's prefix (the audit alarms) are other resources in prod.
    renamed = [r for r in diff.removed if not r.startswith("kubernetes/")]
    assert renamed and all(r.startswith("resources/aws.yaml: aws:cloudwatch/metricAlarm:MetricAlarm acme-langfuse-staging-audit-") for r in renamed)
    assert {r.replace("acme-langfuse-staging", "acme-langfuse-prod") for r in renamed} <= set(diff.added)
    assert "kubernetes/route-certificate/certificate-langfuse-langfuse-web-tls.yaml" in diff.added
    cron = diff.changed["kubernetes/data/clickhouse/backup/cronjob-langfuse-langfuse-clickhouse-backup.yaml"]
    assert any(c.path == "spec.schedule" and (c.before, c.after) == ("17 3 * * *", "17 */6 * * *") for c in cron)
    store = diff.changed["kubernetes/data/postgres/objectstore-langfuse-langfuse-postgres-backups.yaml"]
    assert any(c.path == "spec.retentionPolicy" and (c.before, c.after) == ("14d", "35d") for c in store)
    cluster = diff.changed["kubernetes/data/postgres/cluster-langfuse-langfuse-postgres.yaml"]
    assert any(c.path == "spec.postgresql.parameters.max_connections" and (c.before, c.after) == ("200", "400") for c in cluster)
    assert "summary.yaml" not in diff.changed


def test_a_one_field_change_shows_as_exactly_that_field(plans, tmp_path):
    document = yaml.safe_load(project_path("stacks", "Pulumi.prod.yaml").read_text())
    document["config"]["langfuse-rosa:langfuse"]["web"]["replicas"]["max"] = 13
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.prod.yaml").write_text(yaml.safe_dump(document))
    plans["prod"].write(tmp_path / "main")
    build_plan("prod", tmp_path / "stacks").write(tmp_path / "pr")
    diff = diff_plans(tmp_path / "main", tmp_path / "pr")
    assert (diff.added, diff.removed) == ([], [])
    assert {path: [c.describe() for c in changes] for path, changes in diff.changed.items()} == {
        "kubernetes/langfuse/web/workload/horizontalpodautoscaler-langfuse-langfuse-web.yaml": ["spec.maxReplicas: 12 -> 13"]
    }
    assert "0 removed, 1 changed" in diff.markdown("prod")


def test_the_cli_prints_and_writes_the_diff_and_refuses_a_directory_that_is_no_plan(plans, tmp_path):
    plans["prod"].write(tmp_path / "main")
    out = tmp_path / "pr"
    result = subprocess.run(
        [sys.executable, "-m", "infra.cli", "plan", "--stack", "prod", "--out", str(out), "--diff-against", str(tmp_path / "main")],
        capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "No change to the desired state." in result.stdout
    assert (out / "diff.md").read_text().startswith(f"### prod: changes against {tmp_path / 'main'}")
    not_a_plan = tmp_path / "empty"
    not_a_plan.mkdir()
    refused = subprocess.run(
        [sys.executable, "-m", "infra.cli", "plan", "--stack", "prod", "--out", str(out), "--diff-against", str(not_a_plan)],
        capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT,
    )  # fmt: skip
    assert refused.returncode == 2
    assert refused.stderr.strip() == f"error: --diff-against {not_a_plan} is not a plan output (no summary.yaml)"


def test_real_stack_changes_name_each_changed_field_resource_and_policy_statement(plans, tmp_path):
    """dev gains object lock, a licence key and another log level: the diff says which resource appeared, which
    input flipped, which variable changed in which container, and which policy statement gained a resource."""
    document = yaml.safe_load(project_path("stacks", "Pulumi.dev.yaml").read_text())
    config = document["config"]
    config["langfuse-rosa:aws"]["objectLockDays"] = 30
    config["langfuse-rosa:langfuse"]["logLevel"] = "info"
    config["langfuse-rosa:langfuse"]["licenseKey"] = {"secretsManagerName": "acme/langfuse/license", "property": "key"}
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.dev.yaml").write_text(yaml.safe_dump(document))
    plans["dev"].write(tmp_path / "main")
    diff = diff_plans(tmp_path / "main", build_plan("dev", tmp_path / "stacks").files())
    described = {path: [c.describe() for c in changes] for path, changes in diff.changed.items()}

    assert "resources/aws.yaml: aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration backups" in diff.added
    assert described["resources/aws.yaml: aws:s3/bucket:Bucket backups"] == ["inputs.objectLockEnabled: false -> true"]
    web = described["kubernetes/langfuse/web/workload/deployment-langfuse-dev-langfuse-web.yaml"]
    assert "spec.template.spec.containers[name=web].env[name=LANGFUSE_LOG_LEVEL].value: debug -> info" in web
    assert any(
        line.startswith("spec.template.spec.containers[name=web].env[name=LANGFUSE_EE_LICENSE_KEY]: (absent) -> ") for line in web
    )
    assert described["resources/aws.yaml: aws:iam/rolePolicy:RolePolicy external-secrets"] == [
        "inputs.policy<json>.Statement[Sid=ReadSecrets].Resource[1]: (absent) -> "
        "arn:aws:secretsmanager:eu-west-1:111122223333:secret:acme/langfuse/license-??????"
    ]
    # Only entries that changed are listed: the other 19 buckets, roles and keys of resources/aws.yaml are not.
    assert not [p for p in diff.changed if p.startswith("resources/") and "backups" not in p and "external-secrets" not in p]
    assert "kubernetes/referenced-secrets/externalsecret-langfuse-dev-langfuse-license.yaml" in diff.added


def test_embedded_json_multi_line_text_and_keyed_lists_diff_field_by_field():
    from infra.offline_plan.diff import _fields

    policy = lambda effect, actions: json.dumps({"Statement": [  # noqa: E731
        {"Sid": "A", "Effect": "Allow", "Action": ["s3:GetObject"]}, {"Sid": "B", "Effect": effect, "Action": actions},
    ]})  # fmt: skip
    changes = _fields(
        {"policy": policy("Allow", ["s3:PutObject"])}, {"policy": policy("Deny", ["s3:PutObject", "s3:DeleteObject"])}
    )
    assert [c.describe() for c in changes] == [
        "policy<json>.Statement[Sid=B].Action[1]: (absent) -> s3:DeleteObject",
        "policy<json>.Statement[Sid=B].Effect: Allow -> Deny",
    ]
    # Reordered keyed items are no change; a config file shows the line that changed.
    ports = [{"name": "http", "containerPort": 3000}, {"name": "metrics", "containerPort": 9102}]
    assert _fields({"ports": ports}, {"ports": ports[::-1]}) == []
    config = "maxmemory 1gb\nappendonly yes\nport 6379\n"
    assert [c.describe() for c in _fields({"conf": config}, {"conf": config.replace("1gb", "2gb")})] == [
        "conf line 1: maxmemory 1gb -> maxmemory 2gb"
    ]
    # A long value shows where it differs, not a prefix that looks the same on both sides.
    long_before, long_after = "x" * 300 + "tail-a", "x" * 300 + "tail-b"
    described = _fields({"v": long_before}, {"v": long_after})[0].describe()
    assert "tail-a" in described and "tail-b" in described and len(described) < 120
