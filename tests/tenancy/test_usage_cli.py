"""`langfuse-rosa usage`: the figures as a table, the keys read from the cluster through a kubeconfig (here a
loopback Kubernetes API), Langfuse the stand-in; bad input is one line naming what is allowed."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from click.testing import CliRunner

from infra.cli import main
from tests.conftest import project_path

sys.path.insert(0, str(project_path("incluster", "tests")))
from usage_world import UsageWorld  # noqa: E402


def _run(*args: str):
    return CliRunner().invoke(main, ["usage", "--stack", "tenancy", "--stacks-dir", str(project_path("tests", "data", "stacks")), *args])


def test_usage_prints_each_project_s_figures(tmp_path):
    w = UsageWorld(datetime.now(UTC))
    w.add_project("project-big", budget={"monthlyUsd": 50})
    w.add_project("project-small")
    w.spend("project-big", 0.01, 20.0, model="claude-sonnet-4")
    w.spend("project-small", 0.01, 0.5, model="gpt-4o-mini", level="ERROR")
    w.start(tmp_path)
    try:
        result = _run("--since", "7d", "--kubeconfig", str(w.kubeconfig), "--context", "test", "--langfuse-url", w.langfuse_url)
        one = _run("--project", "project-small", "--kubeconfig", str(w.kubeconfig), "--context", "test", "--langfuse-url", w.langfuse_url)
    finally:
        w.stop()
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "project-" in line]
    assert [line.split()[1] for line in lines] == ["project-big", "project-small"]  # most expensive first
    assert "$20.00" in lines[0] and "$50" in lines[0] and "40%" in lines[0] and "claude-sonnet-4 $20.00" in lines[0]
    assert one.exit_code == 0 and "project-small" in one.output and "project-big" not in one.output
    assert w.langfuse.violations == []


def test_bad_input_is_one_line():
    result = _run("--since", "last week")
    assert result.exit_code == 2
    assert result.output.strip() == "error: stack 'tenancy': --since = 'last week' is invalid: Nd (e.g. 7d) or a date YYYY-MM-DD"
    missing = _run("--kubeconfig", "/nonexistent/kubeconfig")
    assert missing.exit_code == 2 and missing.output.startswith("error: stack 'tenancy': no kubeconfig context") and "Traceback" not in missing.output
