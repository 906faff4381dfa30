"""The controller's image installs exactly the locked dependencies (and no Pulumi), from a base pinned by
digest, runs as non-root with an exec-form entrypoint (no shell)."""

from __future__ import annotations

import re
import subprocess

from tests.conftest import project_path


def test_the_image_requirements_are_the_lock_exported():
    exported = subprocess.run(
        [str(project_path(".tools", "uv", "bin", "uv")), "export", "--frozen", "--package", "langfuse-incluster", "--no-dev",
         "--no-emit-workspace", "--no-header", "--quiet"],
        capture_output=True, text=True, timeout=120, cwd=project_path(), check=True,
    ).stdout
    assert project_path("incluster", "requirements.lock").read_text() == exported, "regenerate incluster/requirements.lock with uv export"
    names = set(re.findall(r"^([a-z0-9_.-]+)==", exported, re.M))
    assert {"kopf", "langfuse", "kubernetes", "prometheus-client"} <= names
    assert not {n for n in names if n.startswith("pulumi")}


def test_the_containerfile_pins_its_base_installs_by_hash_and_runs_without_root_or_shell():
    text = project_path("incluster", "Containerfile").read_text()
    assert re.search(r"^FROM registry\.access\.redhat\.com/ubi9/python-311@sha256:[0-9a-f]{64}$", text, re.M)
    assert "--require-hashes --no-deps" in text
    assert re.search(r"^USER 1001$", text, re.M)
    assert re.search(r'^ENTRYPOINT \["python", "-m", "langfuse_incluster.controller"\]$', text, re.M)
