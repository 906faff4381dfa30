"""spec.langfuse.budget as the controller judges it: a malformed budget is refused in the `Budget` condition with
a Warning event (once per new refusal) and the stack default applies, said in the message; keys are issued
regardless, nothing is deleted; the status validates against the extended CRD."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Tenant, make_runtime
from langfuse_incluster.budget import Budget, BudgetDefaults

from infra.offline_plan.validation import SchemaCatalog

DEFAULTS = BudgetDefaults(Budget(monthly_usd=500, thresholds=(50, 80, 100)), high_cost_usd=10)


@pytest.fixture
def budgeted(standin, secrets, clock):
    runtime = make_runtime(standin, secrets, clock, default_budget=DEFAULTS)

    def make(namespace: str = "project-foo", **spec) -> Tenant:
        return Tenant(namespace, runtime, clock, spec={"enabled": True, **spec})

    return make


@pytest.mark.parametrize(
    "budget, message",
    [
        ({"monthlyUsd": 100, "thresholds": [80, 50]}, "spec.langfuse.budget.thresholds: thresholds must be strictly ascending, without repeats, e.g. [50, 80, 100]"),
        ({"monthlyUsd": 0}, "spec.langfuse.budget.monthlyUsd: Input should be greater than 0"),
        ({"monthlyUsd": 100, "thresholds": [50, 5000]}, "spec.langfuse.budget.thresholds: each threshold is a percentage of the monthly budget, 1 to 1000"),
        ({"thresholds": [50]}, "spec.langfuse.budget.monthlyUsd: Field required"),
        ({"monthlyUsd": 100, "currency": "EUR"}, "spec.langfuse.budget.currency: Extra inputs are not permitted"),
    ],
)
def test_a_malformed_budget_is_refused_with_a_condition_and_one_event_and_the_keys_still_work(budgeted, secrets, budget, message):
    t = budgeted(budget=budget)
    t.reconcile()
    expected = f"{message}; the stack default (500 USD a month, alerts at 50/80/100 %) applies until it is fixed"
    assert t.condition("Budget") | {"lastTransitionTime": None} == {
        "type": "Budget", "status": "False", "reason": "InvalidBudget", "message": expected, "lastTransitionTime": None,
    }
    assert ("Warning", "InvalidBudget", expected) in t.events
    assert t.condition("Ready")["status"] == "True" and "project-foo" in secrets.objects
    t.reconcile()
    assert [e for e in t.events if e[1] == "InvalidBudget"] == [("Warning", "InvalidBudget", expected)]  # not repeated every pass


def test_a_valid_budget_is_accepted_and_no_budget_means_the_stack_default(budgeted):
    own, default = budgeted("project-own", budget={"monthlyUsd": 250, "thresholds": [75, 100, 120]}), budgeted("project-default")
    for t in (own, default):
        t.reconcile()
    assert (own.condition("Budget")["status"], own.condition("Budget")["reason"], own.condition("Budget")["message"]) == (
        "True", "Accepted", "250 USD a month, alerts at 75/100/120 %")
    assert default.condition("Budget")["reason"] == "StackDefault"
    assert not [e for t in (own, default) for e in t.events if e[0] == "Warning"]


def test_fixing_the_budget_clears_the_refusal_and_disabling_drops_the_condition(budgeted):
    t = budgeted(budget={"monthlyUsd": -5})
    t.reconcile()
    t.set_spec(enabled=True, budget={"monthlyUsd": 50})
    t.reconcile()
    assert t.condition("Budget")["status"] == "True"
    t.set_spec(enabled=False)
    t.reconcile()
    assert "Budget" not in [c["type"] for c in t.status["conditions"]]


def test_without_the_exporter_there_is_no_budget_condition(tenant):
    t = tenant(budget={"monthlyUsd": -5})
    t.reconcile()
    assert "Budget" not in [c["type"] for c in t.status["conditions"]]


def test_the_budget_and_its_condition_validate_against_the_extended_crd(budgeted):
    catalog = SchemaCatalog(Path(__file__).resolve().parents[2] / "schemas", allowlist={})
    refused, accepted = budgeted("project-bad", budget={"monthlyUsd": 10, "thresholds": [90, 10]}), budgeted("project-ok", budget={"monthlyUsd": 10})
    for t in (refused, accepted):
        t.reconcile()
        assert catalog.validate(t.body()).errors == (), t.namespace
    wrong_type = refused.body()
    wrong_type["spec"]["langfuse"]["budget"] = {"monthlyUsd": "lots"}
    assert catalog.validate(wrong_type).errors  # the CRD refuses what is not even a number
