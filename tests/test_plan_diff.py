"""`plan --diff-against`: what a pull request changes, read from two real plans."""

from __future__ import annotations

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
    assert diff.removed == []
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
