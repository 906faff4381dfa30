"""CrossGuard wrappers around the plain rule functions: one ResourceValidationPolicy or StackValidationPolicy
per rule, with its severity, enforcement level, remediation and config schema (thresholds per environment:
`pulumi preview --policy-pack policies --policy-pack-config policies/config/<environment>.json`)."""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

try:  # run as the pack (policies/ is the program directory)
    from rules import ALL_RULES, Rule, Subject
except ImportError:  # imported as part of the project (tests, offline plan)
    from policies.rules import ALL_RULES, Rule, Subject

POLICY_PACK_NAME = "langfuse-rosa"

_LEVELS = {"mandatory": EnforcementLevel.MANDATORY, "advisory": EnforcementLevel.ADVISORY}


def pack_policies() -> list[Policy]:
    return [_policy(rule) for rule in ALL_RULES]


def _policy(rule: Rule) -> Policy:
    common = {
        "name": rule.name,
        "description": rule.description,
        "enforcement_level": _LEVELS[rule.enforcement],
        "severity": Severity(rule.severity),
        "remediation_steps": rule.remediation,
        "tags": [rule.theme],
        "config_schema": PolicyConfigSchema({s.name: s.schema() for s in rule.settings}) if rule.settings else None,
    }
    if rule.stack_check is not None:
        stack_check = rule.stack_check

        def validate_stack(args: StackValidationArgs, report_violation: ReportViolation) -> None:
            subjects = [Subject(r.resource_type, r.name, r.props) for r in args.resources]
            for label, message in stack_check(subjects, rule.config(args.get_config())):
                report_violation(f"{label}: {message} Remediation: {rule.remediation}", None)

        return StackValidationPolicy(validate=validate_stack, **common)

    check = rule.check
    assert check is not None

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        for message in check(args.resource_type, args.props, rule.config(args.get_config())):
            report_violation(f"{message} Remediation: {rule.remediation}", None)

    return ResourceValidationPolicy(validate=validate, **common)
