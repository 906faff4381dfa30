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
    url = _run("--langfuse-url", "langfuse.example.com", "--kubeconfig", "/nonexistent/kubeconfig")
    assert url.exit_code == 2
    assert url.output.strip() == "error: stack 'tenancy': --langfuse-url = 'langfuse.example.com' is invalid: http(s)://<host>"
    missing = _run("--kubeconfig", "/nonexistent/kubeconfig")
    assert missing.exit_code == 2 and missing.output.startswith("error: stack 'tenancy': no kubeconfig context") and "Traceback" not in missing.output


def test_an_unreachable_cluster_or_a_broken_kubeconfig_is_one_line(tmp_path):
    unreachable = tmp_path / "unreachable"
    unreachable.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n"  # port 1: nothing listens, refused at once
        "users: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\n"
    )
    broken = tmp_path / "broken"
    broken.write_text("clusters: [\n")
    refused = _run("--kubeconfig", str(unreachable), "--context", "c")
    assert refused.exit_code == 2 and "Traceback" not in refused.output and len(refused.output.splitlines()) == 1
    assert refused.output.startswith("error: stack 'tenancy': cannot reach the cluster of kubeconfig context 'c': ")
    garbled = _run("--kubeconfig", str(broken))
    assert garbled.exit_code == 2 and "Traceback" not in garbled.output and len(garbled.output.splitlines()) == 1
    assert garbled.output.startswith("error: stack 'tenancy': no kubeconfig context ")
