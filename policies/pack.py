"""CrossGuard wrappers around the plain rule functions."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

try:  # run as the pack (policies/ is the program directory)
    from rules import ALL_RULES, Rule
except ImportError:  # imported as part of the project (tests, offline plan)
    from policies.rules import ALL_RULES, Rule

POLICY_PACK_NAME = "langfuse-rosa"

_LEVELS = {"mandatory": EnforcementLevel.MANDATORY, "advisory": EnforcementLevel.ADVISORY}


def pack_policies() -> list[ResourceValidationPolicy]:
    return [_policy(rule) for rule in ALL_RULES]


def _policy(rule: Rule) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        for message in rule.check(args.resource_type, args.props):
            report_violation(f"{message} Remediation: {rule.remediation}")

    return ResourceValidationPolicy(
        name=rule.name,
        description=f"[{rule.severity}] {rule.description}",
        enforcement_level=_LEVELS[rule.enforcement],
        validate=validate,
    )
