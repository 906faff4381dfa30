"""The scripts the components ship (components/<store>/scripts/) under ShellCheck: as written, with the fragments
they inline, and as every stack's plan renders them, so neither a placeholder nor what fills it can hide a finding;
each pod runs a script with the shell its shebang names (the shell ShellCheck checked it for); a wheel of the
project carries them. The repository's own shell scripts pass ShellCheck too."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

from components.common.script_files import INCLUDE, PLACEHOLDER, script_template
from infra.offline_plan.plan import Plan
from tests.conftest import objects_of, pod_templates, project_path
from tests.shellcheck import shellcheck, shellcheck_text

SOURCES = sorted(project_path("components").glob("*/scripts/*.sh"))
SCRIPTS = [p for p in SOURCES if p.read_bytes().startswith(b"#!")]
FRAGMENTS = [p for p in SOURCES if p not in SCRIPTS]
# What a placeholder alone causes in a file as written; the rendered scripts are checked with nothing excluded.
# SC2170: a @@NUMBER@@ where a test wants a number (probe.sh). SC2034: a variable used only inside a statement a
# placeholder splices in (load.sh's $url).
PLACEHOLDER_ARTEFACTS = ("SC2034", "SC2170")
# Rendered outside any plan, and checked where it is rendered.
RENDERED_BY_THE_CLI = {"clickhouse/scripts/restore.sh": "tests/backups/test_restore.py (langfuse-rosa restore clickhouse)"}
SHELLS = ("sh", "bash")


def _relative(path: Path) -> str:
    return str(path.relative_to(project_path("components")))


def _template(path: Path) -> str:
    return script_template(f"components.{path.parent.parent.name}", path.name)


def test_every_script_as_written_passes_shellcheck_with_the_fragments_it_inlines(tmp_path):
    # ShellCheck reports nothing in a file a script sources, so the fragments are checked inlined, as they run.
    assert len(SCRIPTS) == 9 and len(FRAGMENTS) == 4, [_relative(p) for p in SOURCES]
    as_written = {_relative(p).replace("/", "--"): _template(p) for p in SCRIPTS}
    assert shellcheck_text(as_written, tmp_path, exclude=PLACEHOLDER_ARTEFACTS) == []


def test_every_fragment_is_inlined_by_a_script_of_its_folder_and_ends_its_last_line():
    inlined = {(p.parent, m.group(1)) for p in SCRIPTS for m in INCLUDE.finditer(p.read_text())}
    assert {(p.parent, p.name) for p in FRAGMENTS} <= inlined
    assert [_relative(p) for p in SOURCES if not p.read_text().endswith("\n")] == []


def _config_map_scripts(plan: Plan) -> dict[str, str]:
    """ConfigMap/<name>/<key> -> text of every script a ConfigMap carries."""
    scripts = {}
    for config_map in objects_of(plan, "ConfigMap"):
        for key, text in (config_map.get("data") or {}).items():
            if text.startswith("#!") or key.endswith(".sh"):
                assert re.match(r"#!/bin/(sh|bash)\n", text), f"{config_map['metadata']['name']}/{key} names no shell"
                scripts[f"ConfigMap/{config_map['metadata']['name']}/{key}"] = text
    return scripts


def _command_lines(container: dict[str, Any]) -> list[list[str]]:
    """The container's command and args, and every exec command of its probes and hooks."""
    lines = [[*container.get("command", []), *container.get("args", [])]]
    for handler in [container.get(p) for p in ("livenessProbe", "readinessProbe", "startupProbe")] + list(
        (container.get("lifecycle") or {}).values()
    ):
        if handler and "exec" in handler:
            lines.append(handler["exec"]["command"])
    return lines


def _pod_commands(plan: Plan):
    """(workload, pod spec, container, command line) of every container of every pod the plan runs."""
    cron_jobs = [(f"CronJob/{o.name}", o.manifest["spec"]["jobTemplate"]["spec"]["template"]["spec"]) for o in plan.objects if o.kind == "CronJob"]
    for workload, pod in [*pod_templates(plan), *cron_jobs]:
        for container in [*pod.get("initContainers", []), *pod["containers"]]:
            for line in _command_lines(container):
                yield workload, pod, container, line


def _inline_scripts(plan: Plan) -> dict[tuple[str, str], str]:
    """(shell, where) -> text of every `sh -c` / `bash -c` script in a container's command line."""
    return {
        (Path(line[0]).name, f"{workload}/{container['name']}"): line[2]
        for workload, _, container, line in _pod_commands(plan)
        if len(line) > 2 and Path(line[0]).name in SHELLS and line[1] == "-c"
    }


def test_every_script_every_stack_renders_passes_shellcheck(plans, tmp_path):
    files: dict[str, str] = {}  # one file per distinct text, named after the first place it is rendered
    inline: dict[str, dict[str, str]] = {shell: {} for shell in SHELLS}
    for stack, plan in plans.items():
        for where, text in _config_map_scripts(plan).items():
            if text not in files.values():
                files[f"{len(files):02d}-{stack}-{where.split('/', 1)[1].replace('/', '--')}"] = text
        for (shell, where), text in _inline_scripts(plan).items():
            if text not in inline[shell].values():
                inline[shell][f"{stack}-{where.replace('/', '--')}"] = text
    assert len(files) == 9 and len(inline["sh"]) == 1, (sorted(files), inline)
    assert shellcheck_text(files, tmp_path / "files") == []
    for shell, scripts in inline.items():
        if scripts:
            assert shellcheck_text(scripts, tmp_path / shell, shell=shell) == []


def test_every_script_as_written_is_what_some_plan_renders(plans):
    """So the rendered check above covers every source: its text, placeholders matched by anything."""
    rendered = [text for plan in plans.values() for text in _config_map_scripts(plan).values()]
    unrendered = []
    for path in SCRIPTS:
        parts = PLACEHOLDER.split(_template(path))[::2]
        pattern = re.compile("(?s)" + ".+?".join(map(re.escape, parts)))
        if not any(pattern.fullmatch(text) for text in rendered):
            unrendered.append(_relative(path))
    assert unrendered == list(RENDERED_BY_THE_CLI)


def test_each_pod_runs_a_script_with_the_shell_its_shebang_names(plans):
    """ShellCheck checks a script for the shell of its shebang; `sh x.sh` would run a bash script as sh."""
    checked = set()
    for plan in plans.values():
        config_maps = {c["metadata"]["name"]: c.get("data", {}) for c in objects_of(plan, "ConfigMap")}
        for workload, pod, container, line in _pod_commands(plan):
            if len(line) < 2 or Path(line[0]).name not in SHELLS or not line[1].startswith("/"):
                continue
            folder, key = os.path.split(line[1])
            (mount,) = [m for m in container.get("volumeMounts", []) if m["mountPath"] == folder]
            (volume,) = [v for v in pod["volumes"] if v["name"] == mount["name"]]
            shebang = config_maps[volume["configMap"]["name"]][key].split("\n", 1)[0]
            assert shebang == f"#!/bin/{Path(line[0]).name}", f"{workload}/{container['name']} runs {line[:2]}, a {shebang} script"
            checked.add(key)
    assert checked == {"redis-init.sh", "sentinel-init.sh", "probe.sh", "restore-drill.sh", "backup.sh", "load.sh"}


def test_a_wheel_of_the_project_carries_the_scripts_and_renders_them_as_the_tree_does(tmp_path):
    uv = project_path(".tools", "uv", "bin", "uv")
    subprocess.run([str(uv), "build", "--wheel", "--quiet", "--out-dir", str(tmp_path)], cwd=project_path(), check=True, timeout=300)
    (wheel,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(tmp_path / "installed")
        packaged = {name for name in archive.namelist() if "/scripts/" in name}
    assert packaged == {str(p.relative_to(project_path())) for p in project_path("components").glob("*/scripts/*") if p.is_file()}
    render = (
        "import components.common.script_files as s, components.redis.config as redis;"
        "assert s.__file__.startswith(sys.argv[1]), s.__file__;"
        "sys.stdout.write(redis.probe_sh(redis.SentinelSettings('m', 2, 1)))"
    )
    installed = subprocess.run(
        [sys.executable, "-c", f"import sys; {render}", str(tmp_path / "installed")],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(tmp_path / "installed")}, capture_output=True, timeout=120,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    from components.redis.config import SentinelSettings, probe_sh

    assert installed.stdout.decode() == probe_sh(SentinelSettings("m", 2, 1))


def test_the_repository_s_own_shell_scripts_pass_shellcheck():
    candidates = [*project_path("scripts").iterdir(), *project_path(".ci").iterdir(), *project_path("tests").rglob("*.sh")]
    scripts = sorted(
        p for p in candidates if "node_modules" not in p.parts and re.match(rb"#!(/usr/bin/env |/bin/)(ba)?sh\n", p.read_bytes())
    )
    assert {"scripts/bootstrap", "scripts/regenerate-readme", ".ci/run"} <= {str(p.relative_to(project_path())) for p in scripts}
    assert shellcheck(scripts) == []
