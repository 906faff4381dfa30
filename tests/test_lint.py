"""Static checks that catch real bugs (undefined names, unused imports, loop-variable capture)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import project_path


def test_ruff_finds_nothing():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "infra", "components", "policies", "tests"],
        capture_output=True, text=True, cwd=project_path(), timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
