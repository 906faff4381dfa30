"""The Kubernetes hardening rules on minimal good and bad subjects."""

from __future__ import annotations

from policies.rules import Subject
from tests.unit.policies.rules.rule_checks import stack_check


def test_default_deny_rule():
    namespace = Subject("kubernetes:core/v1:Namespace", "langfuse", {"metadata": {"name": "langfuse"}})
    deny = Subject(
        "kubernetes:networking.k8s.io/v1:NetworkPolicy", "default-deny",
        {"metadata": {"name": "default-deny", "namespace": "langfuse"}, "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}},
    )
    assert stack_check("namespace-default-deny", [namespace, deny]) == []
    assert stack_check("namespace-default-deny", [namespace]) == [
        ("Namespace/langfuse", "namespace langfuse has no default-deny NetworkPolicy (empty podSelector, Ingress and Egress, no rules).")
    ]
