"""One policy rule on one resource, or on a stack's subjects, with the rule's config: how the rule tests call the rules."""

from __future__ import annotations

from typing import Any

from policies.rules import ALL_RULES, Subject

RULES = {rule.name: rule for rule in ALL_RULES}
KEY_ARN = "arn:aws:kms:eu-west-1:111122223333:key/0b6c2f5e-3f1a-4a57-9d0e-2c1a7e5b9d10"


def check(rule: str, resource_type: str, props: dict[str, Any], **config: Any) -> list[str]:
    r = RULES[rule]
    assert r.check is not None
    return r.check(resource_type, props, r.config(config))


def stack_check(rule: str, subjects: list[Subject], **config: Any) -> list[tuple[str, str]]:
    r = RULES[rule]
    assert r.stack_check is not None
    return r.stack_check(subjects, r.config(config))
