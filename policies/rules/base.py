"""What a rule is, and helpers to reach into Kubernetes resource inputs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

Check = Callable[[str, dict[str, Any]], list[str]]


@dataclass(frozen=True)
class Rule:
    name: str  # lower-case, hyphenated: CrossGuard's policy name
    description: str
    severity: Literal["low", "medium", "high", "critical"]
    enforcement: Literal["mandatory", "advisory"]
    remediation: str
    check: Check  # (Pulumi resource type, inputs) -> violation messages; [] when compliant


# Pulumi type tokens of the Kubernetes kinds that carry a pod template, and where it sits.
_POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "kubernetes:core/v1:Pod": ("spec",),
    "kubernetes:apps/v1:Deployment": ("spec", "template", "spec"),
    "kubernetes:apps/v1:StatefulSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:DaemonSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:ReplicaSet": ("spec", "template", "spec"),
    "kubernetes:batch/v1:Job": ("spec", "template", "spec"),
    "kubernetes:batch/v1:CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}


def pod_spec(resource_type: str, props: dict[str, Any]) -> dict[str, Any] | None:
    path = _POD_SPEC_PATHS.get(resource_type)
    if path is None:
        return None
    node: Any = props
    for key in path:
        node = (node or {}).get(key)
    return node or {}


def containers(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(label, container) for init and regular containers."""
    for field in ("initContainers", "containers"):
        for c in spec.get(field) or []:
            yield f"{'init container' if field == 'initContainers' else 'container'} {c.get('name', '?')}", c


def container_check(check: Callable[[str, dict[str, Any]], list[str]]) -> Check:
    """A rule check from a per-container check (label, container) -> violations."""

    def over_pod(resource_type: str, props: dict[str, Any]) -> list[str]:
        spec = pod_spec(resource_type, props)
        if spec is None:
            return []
        return [problem for label, c in containers(spec) for problem in check(label, c)]

    return over_pod
