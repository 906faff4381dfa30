"""The README's promises: its two commands are the ones CI runs, and its config reference is current."""

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
    environment = {"HOME": os.environ["HOME"], "PATH": str(bin_dir), "LANG": "C.UTF-8"}
    command = f"{COMMANDS[0]} --out {tmp_path / 'plan'}"
    result = subprocess.run(["bash", "-c", command], cwd=project_path(), env=environment, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Schema validation passed" in result.stdout and (tmp_path / "plan" / "summary.yaml").is_file()
    refused = subprocess.run(["bash", "-c", "./scripts/bootstrap --tests"], cwd=project_path(), env=environment, capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0  # the test tools do need apt-get (or at least dpkg): the two levels differ


def test_config_reference_matches_the_models():
    block = README.split("<!-- config-reference:start -->\n", 1)[1].split("<!-- config-reference:end -->", 1)[0]
    assert block == reference_markdown()


def test_policy_rule_table_matches_the_rules():
    from policies.reference import rules_markdown

    block = README.split("<!-- policy-rules:start -->\n", 1)[1].split("<!-- policy-rules:end -->", 1)[0]
    assert block == rules_markdown()


def test_recovery_objectives_are_prod_s_as_the_plan_prints_them(plans):
    from infra.offline_plan.recovery_objectives import objectives_markdown

    block = README.split("<!-- recovery-objectives:start -->\n", 1)[1].split("<!-- recovery-objectives:end -->", 1)[0]
    assert block == objectives_markdown(list(plans["prod"].objectives)), "run scripts/regenerate-readme"


def test_openshift_support_table_is_the_one_the_config_checks():
    from components.platform.openshift_support import support_markdown

    block = README.split("<!-- openshift-versions:start -->\n", 1)[1].split("<!-- openshift-versions:end -->", 1)[0]
    assert block == support_markdown(), "run scripts/regenerate-readme"
