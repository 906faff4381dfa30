"""promtool (Debian's Prometheus; scripts/bootstrap installs it) over a rendered PrometheusRule's spec: `check rules`
and `test rules` (rules unit tests), each in a folder of its own files."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml


def promtool() -> str:
    path = shutil.which("promtool")
    assert path, "promtool is missing: scripts/bootstrap installs Debian's prometheus package"
    return path


def check_rules(spec: Mapping[str, Any], folder: Path, name: str = "rules.yaml") -> subprocess.CompletedProcess:
    """`promtool check rules` over `spec` (a PrometheusRule's spec: its groups), written to `folder`/`name`."""
    (folder / name).write_text(yaml.safe_dump(spec))
    return subprocess.run([promtool(), "check", "rules", name], capture_output=True, text=True, timeout=60, cwd=folder)


def run_rule_tests(spec: Mapping[str, Any], tests: Sequence[Mapping[str, Any]], folder: Path, *, interval: str = "1m",
                   name: str = "tests.yaml") -> subprocess.CompletedProcess:
    """`promtool test rules` of `tests` (promtool's unit tests) against `spec`, evaluated every `interval`."""
    (folder / "rules.yaml").write_text(yaml.safe_dump(spec))
    (folder / name).write_text(yaml.safe_dump({"rule_files": ["rules.yaml"], "evaluation_interval": interval, "tests": list(tests)}, sort_keys=False))
    return subprocess.run([promtool(), "test", "rules", name], capture_output=True, text=True, timeout=120, cwd=folder)
