"""docs/policy-pack.md's table of rules, generated from the rules themselves (tests/test_readme.py keeps it current)."""

from __future__ import annotations

import json

from policies.rules import ALL_RULES

THEMES = ("encryption-at-rest", "encryption-in-transit", "audit", "kubernetes-hardening", "high-availability", "backups")


def rules_markdown() -> str:
    lines = ["| Theme | Rule | Enforcement | Severity | Checks | Settings (default) |", "| --- | --- | --- | --- | --- | --- |"]
    for theme in THEMES:
        for rule in (r for r in ALL_RULES if r.theme == theme):
            settings = ", ".join(f"`{s.name}` ({json.dumps(s.default)})" for s in rule.settings) or "—"
            lines.append(f"| {theme} | `{rule.name}` | {rule.enforcement} | {rule.severity} | {rule.description} | {settings} |")
    return "\n".join(lines) + "\n"
