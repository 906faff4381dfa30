"""The policy pack's rules, evaluated on the rendered resources (what CrossGuard sees in a preview)."""

from __future__ import annotations

from dataclasses import dataclass

from infra.offline_plan.render import RenderedObject, RenderedResource
from policies.rules import ALL_RULES, Rule


@dataclass(frozen=True)
class PolicyViolation:
    rule: Rule
    resource: str  # "Kind/name" or "type/name"
    message: str

    @property
    def mandatory(self) -> bool:
        return self.rule.enforcement == "mandatory"


def evaluate(objects: list[RenderedObject], resources: list[RenderedResource], rules: tuple[Rule, ...] = ALL_RULES) -> list[PolicyViolation]:
    subjects = [(o.type, o.manifest, f"{o.kind}/{o.name}") for o in objects]
    subjects += [(r.type, r.inputs, f"{r.type.rsplit(':', 1)[-1]}/{r.name}") for r in resources]
    return [
        PolicyViolation(rule, label, message)
        for rule in rules
        for resource_type, props, label in subjects
        for message in rule.check(resource_type, props)
    ]
