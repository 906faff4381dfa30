"""Shared fixtures: the offline plan of every stack, built once per session by the real program."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.offline_plan.plan import PROJECT_ROOT, Plan, build_plan

STACKS = ("dev", "staging", "prod")
CLUSTER_STACKS = ("cluster-dev", "cluster-staging", "cluster-prod")
# External mode is kept working and tested through this example stack.
EXAMPLE_STACKS_DIR = PROJECT_ROOT / "examples" / "stacks"


@pytest.fixture(scope="session")
def plans() -> dict[str, Plan]:
    built = {stack: build_plan(stack) for stack in STACKS + CLUSTER_STACKS}
    built["external"] = build_plan("external", stacks_dir=EXAMPLE_STACKS_DIR)
    return built


@pytest.fixture(scope="session")
def stack_files() -> dict[str, dict[str, Any]]:
    """The stack files as written (the source of truth the plan must follow)."""
    files = {stack: PROJECT_ROOT / "stacks" / f"Pulumi.{stack}.yaml" for stack in STACKS + CLUSTER_STACKS}
    files["external"] = EXAMPLE_STACKS_DIR / "Pulumi.external.yaml"
    return {stack: yaml.safe_load(path.read_text())["config"] for stack, path in files.items()}


def stack_setting(stack_files: dict[str, dict[str, Any]], stack: str, key: str, *path: str) -> Any:
    value = stack_files[stack][f"langfuse-rosa:{key}"]
    for part in path:
        value = value[part]
    return value


def find(plan: Plan, kind: str, name: str) -> dict[str, Any]:
    matches = [o.manifest for o in plan.objects if o.kind == kind and o.name == name]
    assert len(matches) == 1, f"expected one {kind}/{name}, found {len(matches)}"
    return matches[0]


def objects_of(plan: Plan, kind: str) -> list[dict[str, Any]]:
    return [o.manifest for o in plan.objects if o.kind == kind]


def pod_templates(plan: Plan) -> list[tuple[str, dict[str, Any]]]:
    """(Kind/name, pod spec) of every workload that runs pods, including operator-managed pod templates."""
    templates = [
        (f"{o.kind}/{o.name}", o.manifest["spec"]["template"]["spec"])
        for o in plan.objects
        if o.kind in ("Deployment", "Job", "StatefulSet", "DaemonSet")
    ]
    for o in plan.objects:
        if o.kind in ("ClickHouseInstallation", "ClickHouseKeeperInstallation"):
            templates += [(f"{o.kind}/{o.name}/{t['name']}", t["spec"]) for t in o.manifest["spec"]["templates"]["podTemplates"]]
    return templates


def langfuse_pods(plan: Plan) -> list[tuple[str, dict[str, Any]]]:
    """The pods that run Langfuse itself (web, worker, migrations)."""
    return [(name, pod) for name, pod in pod_templates(plan) if "langfuse/langfuse" in pod["containers"][0]["image"]]


def container(manifest: dict[str, Any]) -> dict[str, Any]:
    containers = manifest["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def env_of(c: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in c.get("env", [])}


def env_value(c: dict[str, Any], name: str) -> str:
    return env_of(c)[name]["value"]


def mebibytes(quantity: str) -> int:
    if quantity.endswith("Gi"):
        return int(quantity[:-2]) * 1024
    assert quantity.endswith("Mi"), quantity
    return int(quantity[:-2])


def project_path(*parts: str) -> Path:
    return PROJECT_ROOT.joinpath(*parts)


def langfuse_env_names() -> set[str]:
    """Every environment variable name Langfuse v4.16's web and worker read."""
    text = project_path("tests", "data", "langfuse", "env-vars-v4.16.0.txt").read_text()
    return {line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")}


def rendered_secrets_hold_no_data(plan: Plan) -> bool:
    """Every Kubernetes Secret is written by External Secrets; the only Secrets rendered are requests for a
    service-account token, which Kubernetes fills in."""
    for secret in objects_of(plan, "Secret"):
        assert secret["type"] == "kubernetes.io/service-account-token", secret["metadata"]["name"]
        assert not {"data", "stringData"} & secret.keys(), secret["metadata"]["name"]
    return True
