"""`plan --profile`: where a plan's time goes, each second counted once, imports apart."""

from __future__ import annotations

import importlib
import inspect
import re
import sys

from click.testing import CliRunner

from infra.cli import main as cli
from infra.offline_plan import profile as profile_module
from infra.offline_plan.profile import PlanProfile

PHASES = ("imports", "program under mocks", "render", "schema validation", "policy", "reachability", "recovery objectives", "aws access matrix", "YAML", "write")


class _Clock:
    """A perf_counter that moves only when told to."""

    def __init__(self) -> None:
        self.now = 0.0

    def perf_counter(self) -> float:
        return self.now


CLOCK = _Clock()


def test_each_second_goes_to_the_innermost_phase_and_imports_count_apart(monkeypatch, tmp_path):
    monkeypatch.setattr(profile_module, "time", CLOCK)
    module = "module_imported_while_profiling"
    source = "import tests.test_plan_profile as profiled\nprofiled.CLOCK.now += 5  # an import that takes 5 s\n"
    (tmp_path / f"{module}.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    profile = PlanProfile(startup_imports=1.0)
    with profile.counting_imports():
        with profile.phase("outer"):
            CLOCK.now += 2
            with profile.phase("inner"):
                CLOCK.now += 3
                imported = importlib.import_module(module)
                CLOCK.now += 1
        CLOCK.now += 7  # outside every phase: not counted
    assert profile.rows() == [("imports", 6.0), ("outer", 2.0), ("inner", 4.0)]
    assert profile.modules_imported == 1
    assert inspect.getsource(imported) == source  # the timed loader still answers for the real one
    monkeypatch.delitem(sys.modules, module)


def test_plan_profile_prints_every_phase_and_plain_plan_does_not(tmp_path):
    profiled = CliRunner().invoke(cli, ["plan", "--stack", "cluster-dev", "--out", str(tmp_path / "a"), "--profile"], terminal_width=200)
    assert profiled.exit_code == 0, profiled.output
    table = profiled.output.split("Where the time went (wall clock, this process)")[1]
    for phase in (*PHASES, "total"):
        assert re.search(rf"^│ {re.escape(phase)}\b.*│ +\d+\.\d\d │ +\d+% │$", table, re.MULTILINE), phase
    plain = CliRunner().invoke(cli, ["plan", "--stack", "cluster-dev", "--out", str(tmp_path / "b")], terminal_width=200)
    assert plain.exit_code == 0 and "Where the time went" not in plain.output
