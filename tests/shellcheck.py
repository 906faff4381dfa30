"""ShellCheck (Debian's package; scripts/bootstrap installs it) over files or over shell text, as one line per finding."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path


def shellcheck(paths: Iterable[Path], *, shell: str | None = None, exclude: Iterable[str] = ()) -> list[str]:
    """Every finding, at every severity, as "file:line: SCnnnn (level) message"; `shell` overrides the shebang."""
    executable = shutil.which("shellcheck")
    assert executable, "shellcheck is missing: scripts/bootstrap installs Debian's package"
    command = [executable, "--norc", "--format=json1", "--severity=style"]
    if shell:
        command.append(f"--shell={shell}")
    if exclude := sorted(exclude):
        command.append("--exclude=" + ",".join(exclude))
    files = [str(p) for p in paths]
    assert files, "nothing to check"
    result = subprocess.run([*command, *files], capture_output=True, text=True, timeout=120)
    assert result.returncode in (0, 1), result.stderr  # 1: findings; anything else: ShellCheck could not run
    return [f"{c['file']}:{c['line']}: SC{c['code']} ({c['level']}) {c['message']}" for c in json.loads(result.stdout)["comments"]]


def shellcheck_text(scripts: dict[str, str], folder: Path, shell: str | None = None, exclude: Iterable[str] = ()) -> list[str]:
    """ShellCheck over each script's text, written to `folder`/<name> (names are what the findings cite)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in scripts.items():
        (folder / name).write_bytes(text.encode())
    return shellcheck([folder / name for name in scripts], shell=shell, exclude=exclude)


# What a GitHub expression `${{ ... }}` becomes before ShellCheck reads a workflow step, and the findings that
# substitution alone causes: both as actionlint does it (rhysd/actionlint rule_shellcheck.go,
# sanitizeExpressionsInScript and the `excluded` list; SC2154/SC2153 because a step reads its `env:`).
GITHUB_EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.DOTALL)
GITHUB_EXPRESSION_ARTEFACTS = ("SC1091", "SC2194", "SC2050", "SC2153", "SC2154", "SC2157", "SC2043")


def without_github_expressions(script: str) -> str:
    return GITHUB_EXPRESSION.sub(lambda m: re.sub(r"[^\n]", "_", m.group(0)), script)
