"""What a rule is, and helpers to reach into resource inputs.

Rules are plain functions. A resource rule sees one resource (Pulumi type token, inputs); a stack rule sees
every resource of the stack. Both get the rule's config (thresholds that differ by environment, from
policies/config/<environment>.json). Inputs may be pulumi_policy's unknown-checking proxies (Mapping and
Sequence, not dict and list): reading a value that is unknown during a preview raises UnknownValueError,
which CrossGuard (and the offline plan) report as "could not be checked", never as a pass.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from components.aws.contract import PURPOSE_TAG

Config = Mapping[str, Any]
ResourceCheck = Callable[[str, Mapping[str, Any], Config], list[str]]


@dataclass(frozen=True)
class Subject:
    """One resource as a stack rule sees it."""

    type: str  # Pulumi type token
    name: str  # Pulumi resource name
    props: Mapping[str, Any]

    @property
    def label(self) -> str:
        return f"{self.type.rsplit(':', 1)[-1]}/{self.name}"


StackCheck = Callable[[Sequence[Subject], Config], list[tuple[str, str]]]  # -> (resource label, message)


@dataclass(frozen=True)
class Setting:
    """A threshold a rule reads from its config, with the default CrossGuard applies when none is given."""

    name: str
    type: Literal["integer", "boolean", "array"]
    default: Any
    description: str

    def schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": self.type, "default": self.default, "description": self.description}
        if self.type == "array":
            schema["items"] = {"type": "string"}
        return schema


@dataclass(frozen=True)
class Rule:
    name: str  # lower-case, hyphenated: CrossGuard's policy name
    theme: Literal["encryption-at-rest", "encryption-in-transit", "audit", "kubernetes-hardening", "high-availability", "backups", "analytics"]
    description: str
    severity: Literal["low", "medium", "high", "critical"]
    enforcement: Literal["mandatory", "advisory"]
    remediation: str
    check: ResourceCheck | None = None
    stack_check: StackCheck | None = None
    settings: tuple[Setting, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if (self.check is None) == (self.stack_check is None):
            raise ValueError(f"rule {self.name}: exactly one of check and stack_check")

    def config(self, overrides: Config | None = None) -> dict[str, Any]:
        """The settings' defaults, overridden by a policy config file's entry for this rule."""
        values = {s.name: s.default for s in self.settings}
        values.update({k: v for k, v in (overrides or {}).items() if k != "enforcementLevel"})
        return values


# -- Kubernetes -------------------------------------------------------------------------------------------

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
CLICKHOUSE = "kubernetes:clickhouse.altinity.com/v1:ClickHouseInstallation"
KEEPER = "kubernetes:clickhouse-keeper.altinity.com/v1:ClickHouseKeeperInstallation"
CNPG_CLUSTER = "kubernetes:postgresql.cnpg.io/v1:Cluster"
# Custom resources whose operators run pods from templates we write.
_POD_TEMPLATE_LISTS = {CLICKHOUSE, KEEPER}
WORKLOADS = ("kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet")


def namespace(subject: Subject) -> Any:
    return dig(subject.props, "metadata", "namespace")


def purpose(subject: Subject) -> Any:
    """What an AWS resource is for: its PURPOSE_TAG (components/aws/contract.py), None when untagged."""
    return (subject.props.get("tags") or {}).get(PURPOSE_TAG)


def dig(node: Any, *path: str | int) -> Any:
    for key in path:
        if isinstance(key, int):
            node = node[key] if isinstance(node, Sequence) and not isinstance(node, str) and len(node) > key else None
        else:
            node = node.get(key) if isinstance(node, Mapping) else None
    return node


def pod_spec(resource_type: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
    path = _POD_SPEC_PATHS.get(resource_type)
    if path is None:
        return None
    return dig(props, *path) or {}


def pod_template_path(resource_type: str) -> tuple[str, ...] | None:
    """Where the pod template (its metadata and spec) is: a CronJob's is under jobTemplate."""
    path = _POD_SPEC_PATHS.get(resource_type)
    return path[:-1] if path is not None and len(path) > 1 else None


def pod_specs(resource_type: str, props: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """(label, pod spec) of every pod this resource makes: its template, or an operator's pod templates."""
    spec = pod_spec(resource_type, props)
    if spec is not None:
        return [("pod", spec)]
    if resource_type in _POD_TEMPLATE_LISTS:
        templates = dig(props, "spec", "templates", "podTemplates") or []
        return [(f"pod template {t.get('name', '?')}", t.get("spec") or {}) for t in templates]
    return []


def containers(spec: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(label, container) for init and regular containers."""
    for kind in ("initContainers", "containers"):
        for c in spec.get(kind) or []:
            yield f"{'init container' if kind == 'initContainers' else 'container'} {c.get('name', '?')}", c


def container_check(check: Callable[[str, Mapping[str, Any]], list[str]]) -> ResourceCheck:
    """A rule check from a per-container check (label, container) -> violations."""

    def over_pods(resource_type: str, props: Mapping[str, Any], config: Config) -> list[str]:
        problems = []
        for pod_label, spec in pod_specs(resource_type, props):
            prefix = "" if pod_label == "pod" else f"{pod_label}: "
            problems += [prefix + problem for label, c in containers(spec) for problem in check(label, c)]
        return problems

    return over_pods


def kind_of(resource_type: str) -> str:
    return resource_type.rsplit(":", 1)[-1]


def is_kubernetes(resource_type: str, kind: str) -> bool:
    return resource_type.startswith("kubernetes:") and kind_of(resource_type) == kind


def env_map(container: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {e["name"]: e for e in container.get("env") or []}


# -- AWS ----------------------------------------------------------------------------------------------------


def policy_document(text: Any) -> Mapping[str, Any]:
    """An IAM/bucket/key policy input: a JSON string (pulumi-aws) or already an object."""
    return json.loads(text) if isinstance(text, str) else text


def statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found = document.get("Statement") or []
    return [found] if isinstance(found, Mapping) else list(found)


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return [value] if isinstance(value, str | Mapping) else list(value)
