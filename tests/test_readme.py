"""The README's promises: its two commands are the ones CI runs, and its config reference is current."""

from __future__ import annotations

import re

from infra.stack_config.reference import reference_markdown
from tests.conftest import project_path

README = project_path("README.md").read_text()


def test_ci_runs_exactly_the_readme_test_command():
    commands = re.findall(r"^(\./scripts/bootstrap && .+)$", README, re.MULTILINE)
    assert commands[:2] == [
        "./scripts/bootstrap && .venv/bin/langfuse-rosa plan --stack dev",
        "./scripts/bootstrap && .venv/bin/python -m pytest",
    ]
    ci_commands = [line for line in project_path(".ci", "run").read_text().splitlines() if line and not line.startswith(("#", "set ", "cd "))]
    assert ci_commands == [commands[1]]


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
