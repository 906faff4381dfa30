"""The README's promises: its two commands are the ones CI runs, its checklist is the one path, and the generated
parts it and docs/ carry (config reference, policy rules, OpenShift support table, recovery objectives) are current."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import yaml

from infra.stack_config.reference import reference_markdown
from tests.conftest import project_path

README = project_path("README.md").read_text()
DOCS = {name: project_path("docs", f"{name}.md").read_text() for name in ("config-reference", "policy-pack", "decisions")}


def _generated(text: str, marker: str) -> str:
    return text.split(f"<!-- {marker}:start -->\n", 1)[1].split(f"<!-- {marker}:end -->", 1)[0]
COMMANDS = [
    "./scripts/bootstrap && .venv/bin/langfuse-rosa plan --stack dev",
    "./scripts/bootstrap --tests && .venv/bin/python -m pytest",
]


def test_ci_runs_exactly_the_readme_test_command():
    commands = re.findall(r"^(\./scripts/bootstrap( --tests)? && .+)$", README, re.MULTILINE)
    assert [c[0] for c in commands[:2]] == COMMANDS
    ci_commands = [line for line in project_path(".ci", "run").read_text().splitlines() if line and not line.startswith(("#", "set ", "cd "))]
    assert ci_commands == [COMMANDS[1]]
    workflow = yaml.safe_load(project_path(".github", "workflows", "pull-request.yml").read_text())
    assert [s["run"] for s in workflow["jobs"]["test"]["steps"] if "run" in s] == [COMMANDS[1]]


def test_command_1_runs_with_only_python_on_the_path(tmp_path):
    """The plan's setup and the plan itself call no apt-get, dpkg, sudo, node or npm: with a PATH of bash, python3
    and four core utilities both succeed (here on the set-up checkout, so it is quick; scripts/check-command-1 does
    the same from a fresh clone, downloads included)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(os.path.realpath(sys._base_executable))
    for tool in ("bash", "dirname", "grep", "sed", "rm"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    # As scripts/check-command-1: only what says how this machine reaches the package index passes (uv rebuilds
    # the project after a change to pyproject.toml, which fetches its build backend).
    network = {k: v for k, v in os.environ.items() if re.fullmatch(r"SSL_CERT_(FILE|DIR)|PIP_[A-Z_]+|UV_[A-Z_]+|(https?|no)_proxy|(HTTPS?|NO)_PROXY", k)}
    environment = {"HOME": os.environ["HOME"], "PATH": str(bin_dir), "LANG": "C.UTF-8", **network}
    command = f"{COMMANDS[0]} --out {tmp_path / 'plan'}"
    result = subprocess.run(["bash", "-c", command], cwd=project_path(), env=environment, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Schema validation passed" in result.stdout and (tmp_path / "plan" / "summary.yaml").is_file()
    # The test tools do need Debian's apt-get: the second level says so and stops before touching anything else.
    refused = subprocess.run(["bash", "-c", "./scripts/bootstrap --tests"], cwd=project_path(), env=environment, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1
    assert "scripts/bootstrap --tests: could not install redis-server" in refused.stderr and "needs Debian's apt-get" in refused.stderr


def test_config_reference_matches_the_models():
    assert _generated(DOCS["config-reference"], "config-reference") == reference_markdown(), "run scripts/regenerate-readme"


def test_policy_rule_table_matches_the_rules():
    from policies.reference import rules_markdown

    assert _generated(DOCS["policy-pack"], "policy-rules") == rules_markdown(), "run scripts/regenerate-readme"


def test_recovery_objectives_are_prod_s_as_the_plan_prints_them(plans):
    from infra.offline_plan.recovery_objectives import objectives_markdown

    assert _generated(README, "recovery-objectives") == objectives_markdown(list(plans["prod"].objectives)), "run scripts/regenerate-readme"


def test_the_readme_keeps_its_own_parts_and_links_the_reference_that_moved_to_docs():
    headings = re.findall(r"^## (.+)$", README, re.MULTILINE)
    assert headings[:3] == ["First deployment", "What gets deployed", "Reviewing a plan"]
    for name in DOCS:
        assert f"(docs/{name}.md)" in README, name
    assert "<!-- config-reference:start -->" not in README and "<!-- policy-rules:start -->" not in README
    assert "## Policy pack" not in README and "## Config reference" not in README


def test_openshift_support_table_is_the_one_the_config_checks():
    from components.platform.openshift_support import support_markdown

    assert _generated(DOCS["decisions"], "openshift-versions") == support_markdown(), "run scripts/regenerate-readme"


def _checklist() -> str:
    return README.split("## First deployment\n", 1)[1].split("\n## ", 1)[0]


def test_one_numbered_first_deployment_checklist_right_under_the_two_commands():
    assert README.index("## First deployment") < README.index("## What gets deployed")
    assert README.index(COMMANDS[1]) < README.index("## First deployment")
    between = README[README.index(COMMANDS[1]) : README.index("## First deployment")]
    assert "\n## " not in between  # nothing but the commands' table and notes in between
    steps = [int(n) for n in re.findall(r"^(\d+)\. \*\*", _checklist(), re.MULTILINE)]
    assert steps == list(range(1, len(steps) + 1)) and len(steps) >= 9
    assert "Install order" not in README  # the old, second version of the order is gone


def test_the_committed_cluster_stacks_are_the_checklist_s_steady_state_and_its_first_pass_turns_operands_off(tmp_path, plans):
    from infra.offline_plan.plan import build_plan
    from tests.conftest import objects_of

    for stack in ("cluster-dev", "cluster-staging", "cluster-prod"):
        document = yaml.safe_load(project_path("stacks", f"Pulumi.{stack}.yaml").read_text())
        assert document["config"]["langfuse-rosa:operators"]["operandsEnabled"] is True, stack
    (first_pass,) = re.findall(r"pulumi config set --config-file (\S+) --path '([^']+)' (\S+)", _checklist())
    assert first_pass[1:] == ("langfuse-rosa:operators.operandsEnabled", "false")
    assert "pulumi up --config-file /tmp/cluster-<env>-first-pass.yaml" in _checklist()
    # What that command does to a copy, planned: no operand; the committed file: all of them.
    document = yaml.safe_load(project_path("stacks", "Pulumi.cluster-dev.yaml").read_text())
    document["config"]["langfuse-rosa:operators"]["operandsEnabled"] = False
    (tmp_path / "Pulumi.cluster-dev.yaml").write_text(yaml.safe_dump(document))
    operands = ("ExternalSecretsConfig", "Certificate", "Issuer", "ClusterLogForwarder")
    off = build_plan("cluster-dev", tmp_path)
    assert off.ok and not [o for o in off.objects if o.kind in operands]
    assert all(objects_of(plans["cluster-dev"], kind) for kind in operands)


def test_one_set_of_names_for_the_state_bucket_and_the_secrets_key():
    from infra.prerequisites import SECRETS_KEY_ALIAS, STATE_BUCKET

    guide = project_path("docs", "bootstrap.md").read_text()
    assert SECRETS_KEY_ALIAS == "alias/pulumi-langfuse-rosa" and STATE_BUCKET == "<org>-pulumi-state-{account}"
    for text in (README, guide):
        assert SECRETS_KEY_ALIAS in text
        assert set(re.findall(r"alias/[a-z-]*pulumi[a-z-]*", text)) == {SECRETS_KEY_ALIAS}
    assert "<org>-pulumi-state-<account>" in README and "export STATE_BUCKET=$ORG-pulumi-state-$ACCOUNT" in guide
