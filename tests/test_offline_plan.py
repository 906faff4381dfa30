"""The offline plan as a user runs it: every stack renders and validates, output is deterministic and
free of secret values."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from infra.offline_plan.render import OutputError, write_files
from tests.conftest import CLUSTER_STACKS, STACKS, project_path


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "infra.cli", *args], capture_output=True, text=True, cwd=project_path(), timeout=300
    )


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def dev_plan_dirs(tmp_path_factory, plans) -> tuple[Path, Path]:
    """dev planned twice: by the CLI in a process of its own, and the session's plan written by this one."""
    first = tmp_path_factory.mktemp("first") / "dev"
    result = _cli("plan", "--stack", "dev", "--out", str(first))
    assert result.returncode == 0, result.stderr
    second = tmp_path_factory.mktemp("second") / "dev"
    plans["dev"].write(second)
    return first, second


def test_plan_twice_gives_byte_identical_output(dev_plan_dirs):
    first, second = dev_plan_dirs
    first_tree, second_tree = _tree(first), _tree(second)
    assert len(first_tree) >= 15
    assert first_tree == second_tree


def test_plan_writes_one_file_per_object_grouped_by_component(dev_plan_dirs, plans):
    tree = _tree(dev_plan_dirs[0])
    manifests = sorted(p for p in tree if p.startswith("kubernetes/"))
    assert len(manifests) == len(plans["dev"].objects)
    assert "kubernetes/langfuse/web/workload/deployment-langfuse-dev-langfuse-web.yaml" in manifests
    assert "kubernetes/langfuse/web/route-langfuse-dev-langfuse-web.yaml" in manifests
    assert "kubernetes/langfuse/migration/job-langfuse-dev-langfuse-migrate-4-16-0.yaml" in manifests
    deployment = yaml.safe_load(tree["kubernetes/langfuse/web/workload/deployment-langfuse-dev-langfuse-web.yaml"])
    assert (deployment["kind"], deployment["metadata"]["name"]) == ("Deployment", "langfuse-web")
    random_inputs = yaml.safe_load(tree["resources/random.yaml"])
    generated = {r["name"]: r["component"] for r in random_inputs}
    assert generated["salt"] == generated["encryption-key"] == "langfuse/app-secrets"
    assert generated["langfuse-clickhouse-password"] == "data/clickhouse"
    assert generated["langfuse-postgres-owner-password"] == "data/postgres"
    # 3 app secrets, the PostgreSQL owner, 2 ClickHouse passwords, 5 Redis passwords, the analytics cluster's 4 users.
    assert len(generated) == 15


def test_summary_counts_match_the_rendered_objects(dev_plan_dirs, plans):
    summary = yaml.safe_load(_tree(dev_plan_dirs[0])["summary.yaml"])
    plan = plans["dev"]
    assert summary["stack"] == "dev"
    assert summary["resources"] == {
        "total": len(plan.objects) + len(plan.resources),
        "kubernetesObjects": len(plan.objects),
        "otherResources": len(plan.resources),
    }
    assert sum(sum(kinds.values()) for kinds in summary["components"].values()) == summary["resources"]["total"]
    assert summary["components"]["langfuse/web"] == {
        "Deployment": 1, "HorizontalPodAutoscaler": 1, "PodDisruptionBudget": 1, "Route": 1, "Service": 1,
    }
    assert summary["schemaValidation"]["failures"] == [] and summary["schemaValidation"]["objects"] == len(plan.objects)


def test_terminal_output_is_a_summary_table(tmp_path, plans):
    result = _cli("plan", "--stack", "prod", "--out", str(tmp_path / "prod"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    prod = plans["prod"]
    total = len(prod.objects) + len(prod.resources)
    assert len(lines) < total / 2  # a table, not a dump: well under a line per resource
    assert any(line.startswith("│ langfuse ") and "Deployment ×2" in line for line in lines)
    aws = next(i for i, line in enumerate(lines) if line.startswith("│ aws "))
    assert "aws.iam.Role" in " ".join(lines[aws:aws + 8])  # the group's cell wraps over several lines
    assert f"{total} resources: {len(prod.objects)} Kubernetes objects, {len(prod.resources)} other." in result.stdout
    assert f"Schema validation passed for all {len(prod.objects)} objects (strict)." in result.stdout


@pytest.mark.parametrize("stack", STACKS + CLUSTER_STACKS + ("external",))
def test_every_stack_plans_and_passes_strict_validation(plans, stack):
    plan = plans[stack]
    assert plan.ok
    assert len(plan.schema_results) == len(plan.objects) >= 8
    unvalidated = [f"{r.kind}/{r.name}" for r in plan.schema_results if not r.validated_with.startswith(("kubernetes", "schemas/"))]
    assert unvalidated == (["CatalogSource/cloudnative-pg"] if stack.startswith("cluster-") else [])


def test_stacks_as_configured_raise_no_warnings(plans):
    assert all(plan.warnings == [] for plan in plans.values())


def _mock_secret_values(generator_names: list[str]) -> list[str]:
    # The stand-ins PlanMocks hands out for generated secrets (see recorder.PlanMocks).
    values = []
    for name in generator_names:
        digest = hashlib.sha256(name.encode()).hexdigest()
        values += [digest, digest[:32]]
    return values


def test_no_generated_secret_value_reaches_any_file(dev_plan_dirs):
    tree = _tree(dev_plan_dirs[0])
    generators = [r["name"] for r in yaml.safe_load(tree["resources/random.yaml"])]
    assert len(generators) == 15
    leaked = [(path, value) for path, data in tree.items() for value in _mock_secret_values(generators) if value.encode() in data]
    assert leaked == []
    stored = [r for r in yaml.safe_load(tree["resources/aws.yaml"]) if r["type"] == "aws:secretsmanager/secretVersion:SecretVersion"]
    assert len(stored) == 5 and {r["inputs"]["secretString"] for r in stored} == {"[redacted]"}


def test_plan_refuses_to_overwrite_a_directory_that_is_not_a_plan(tmp_path):
    precious = tmp_path / "notes.txt"
    precious.write_text("mine")
    with pytest.raises(OutputError):
        write_files(tmp_path, {"summary.yaml": "stack: dev\n"})
    assert precious.read_text() == "mine"


def test_replanning_removes_objects_that_are_gone(tmp_path):
    write_files(tmp_path, {"summary.yaml": "a\n", "kubernetes/old.yaml": "x\n"})
    write_files(tmp_path, {"summary.yaml": "b\n"})
    assert _tree(tmp_path) == {"summary.yaml": b"b\n"}


def test_staging_without_sso_plans_with_a_warning(tmp_path):
    from infra.offline_plan.plan import build_plan

    document = yaml.safe_load(project_path("stacks", "Pulumi.staging.yaml").read_text())
    document["config"]["langfuse-rosa:sso"] = {"enabled": False}
    del document["config"]["langfuse-rosa:monitoring"]["grafana"]  # Grafana requires SSO
    (tmp_path / "Pulumi.staging.yaml").write_text(yaml.safe_dump(document))
    plan = build_plan("staging", stacks_dir=tmp_path)
    assert plan.warnings == ["staging: SSO is off, so users sign in to Langfuse with e-mail and password"]
    assert plan.summary()["warnings"] == plan.warnings


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_every_stack_renders_identically_twice(plans, stack):
    from infra.offline_plan.plan import build_plan

    assert build_plan(stack).files() == plans[stack].files()


# Shapes of secret values that must never appear in rendered output, whoever generated them.
SECRET_PATTERNS = {
    "AWS access key": re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    "AWS secret access key": re.compile(r"(?i)aws_secret_access_key\W+[A-Za-z0-9/+=]{40}"),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "Slack webhook": re.compile(r"hooks\.slack\.com/services/T\w+/B\w+/\w+"),
    "JWT": re.compile(r"\beyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]+"),
    "Langfuse API key": re.compile(r"\b(sk|pk)-lf-[0-9a-f-]{8,}"),
    "password in a URL": re.compile(r"\w+://[^/\s:@]+:[^/\s@]+@"),
    # 64 hex characters (a SALT or ENCRYPTION_KEY shape) that is not an image digest.
    "256-bit hex": re.compile(r"(?<!sha256:)(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])"),
    # A `${key}` is the Grafana Operator's placeholder for a referenced Secret's value, not a value.
    "inline secret value": re.compile(
        r"(?im)^[ \t-]*(password|secret|token|salt|encryption_key|nextauth_secret)[ \t]*:[ \t]*(?!'?\[redacted\])(?!'?\$\{[\w.-]+\}'?[ \t]*$)(?!\d+[ \t]*$)\S+"
    ),
}


def test_secret_patterns_fire_on_what_they_describe():
    samples = {
        "AWS access key": "AKIAIOSFODNN7EXAMPLE",
        "AWS secret access key": "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "private key": "-----BEGIN RSA PRIVATE KEY-----",
        "Slack webhook": "https://hooks.slack.com/services/T000/B000/XXXX",
        "JWT": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig",
        "Langfuse API key": "sk-lf-1234abcd-5678",
        "password in a URL": "postgresql://langfuse:hunter2@db:5432/langfuse",
        "256-bit hex": "a" * 64,
        "inline secret value": "  password: hunter2",
    }
    assert set(samples) == set(SECRET_PATTERNS)
    for name, sample in samples.items():
        assert SECRET_PATTERNS[name].search(sample), name
    assert not SECRET_PATTERNS["256-bit hex"].search("image: x@sha256:" + "a" * 64)
    assert not SECRET_PATTERNS["inline secret value"].search("  password: '[redacted]'")
    assert not SECRET_PATTERNS["inline secret value"].search("      password: ${password}")
    assert SECRET_PATTERNS["inline secret value"].search("      password: ${password}hunter2")
    # The summary counts objects by kind, and a count is not a value.
    assert not SECRET_PATTERNS["inline secret value"].search("    Secret: 1")
    assert SECRET_PATTERNS["inline secret value"].search("    password: 1234abc")


@pytest.mark.parametrize("stack", STACKS + CLUSTER_STACKS + ("external",))
def test_no_rendered_output_holds_a_secret_value(plans, tmp_path, stack):
    plan = plans[stack]
    plan.write(tmp_path / stack)
    tree = _tree(tmp_path / stack)
    generators = [r.name for r in plan.resources if r.type.startswith("random:")]
    leaked = [(path, "generated value") for path, data in tree.items() for value in _mock_secret_values(generators) if value.encode() in data]
    leaked += [(path, name) for path, data in tree.items() for name, pattern in SECRET_PATTERNS.items() if pattern.search(data.decode())]
    assert leaked == []
    assert len(tree) > len(plan.objects)  # every manifest, the AWS inputs and the summary were scanned
