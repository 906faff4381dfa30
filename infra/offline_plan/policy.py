"""The policy pack's rules, evaluated on the rendered resources as CrossGuard evaluates them in a preview:
the same functions, the same per-environment config (policies/config/<environment>.json, what
`--policy-pack-config` passes), and values unknown during a preview reported as "could not be checked",
never as a pass."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from infra.offline_plan.render import RenderedObject, RenderedResource
from policies.rules import ALL_RULES, Rule, Subject

POLICY_CONFIG_DIR = Path(__file__).resolve().parents[2] / "policies" / "config"


@dataclass(frozen=True)
class PolicyViolation:
    rule: Rule
    resource: str  # "Kind/name" or "Type/name"
    message: str
    enforcement: str  # mandatory | advisory (the rule's, or the config file's override)

    @property
    def mandatory(self) -> bool:
        return self.enforcement == "mandatory"


def load_policy_config(environment: str | None, config_dir: Path = POLICY_CONFIG_DIR) -> dict[str, Mapping[str, Any]]:
    path = config_dir / f"{environment}.json"
    return json.loads(path.read_text()) if environment is not None and path.is_file() else {}


def evaluate(
    objects: list[RenderedObject],
    resources: list[RenderedResource],
    policy_config: Mapping[str, Mapping[str, Any]] | None = None,
    rules: tuple[Rule, ...] = ALL_RULES,
) -> list[PolicyViolation]:
    # Each resource wrapped once and shared by every rule. CrossGuard wraps it afresh for each policy
    # (pulumi_policy/policy.py, validate_resource/validate_stack); rules only read it, so they see the same,
    # and wrapping per rule was 28 times the work.
    subjects = [Subject(o.type, o.name, unknown_checking_proxy(dict(o.manifest))) for o in objects] + [
        Subject(r.type, r.name, unknown_checking_proxy(dict(r.inputs))) for r in resources
    ]
    violations = []
    for rule in rules:
        overrides = (policy_config or {}).get(rule.name) or {}
        enforcement = overrides.get("enforcementLevel", rule.enforcement)
        if enforcement == "disabled":
            continue
        config = rule.config(overrides)
        if rule.stack_check is not None:
            found = _run_stack_rule(rule, subjects, config)
        else:
            found = [finding for s in subjects for finding in _run_resource_rule(rule, s, config)]
        violations += [
            PolicyViolation(rule, label, message, "advisory" if unknown else enforcement) for label, message, unknown in found
        ]
    return violations


def _run_stack_rule(rule: Rule, subjects: list[Subject], config: dict[str, Any]) -> list[tuple[str, str, bool]]:
    assert rule.stack_check is not None
    try:
        return [(label, message, False) for label, message in rule.stack_check(subjects, config)]
    except UnknownValueError as unknown:
        return [("stack", _cannot_run(rule, unknown), True)]


def _run_resource_rule(rule: Rule, subject: Subject, config: dict[str, Any]) -> list[tuple[str, str, bool]]:
    assert rule.check is not None
    try:
        return [(subject.label, message, False) for message in rule.check(subject.type, subject.props, config)]
    except UnknownValueError as unknown:
        return [(subject.label, _cannot_run(rule, unknown), True)]


def _cannot_run(rule: Rule, unknown: UnknownValueError) -> str:
    # What CrossGuard reports (as advisory) when a policy reads a value only known after the update.
    return f"can't run policy '{rule.name}' during preview: {unknown.message}"
