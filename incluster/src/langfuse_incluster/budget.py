"""ProjectSettings.spec.langfuse.budget: a monthly amount in USD, the percentages of it that alert, and the cost
above which one trace or session alerts. The stack sets a default; a project may set its own. One parser serves
the controller (which reports a malformed budget as the `Budget` condition and a Warning event), the exporter and
the weekly summary (which then apply the default, as the condition says)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.alias_generators import to_camel

from langfuse_incluster import contract


class Budget(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True, extra="forbid")

    monthly_usd: float = Field(gt=0, le=10_000_000)
    thresholds: tuple[int, ...] = Field(default=(50, 80, 100), min_length=1, max_length=10)
    high_cost_usd: float | None = Field(default=None, gt=0, le=1_000_000)  # None: the stack default

    @field_validator("thresholds")
    @classmethod
    def _ascending_percentages(cls, thresholds: tuple[int, ...]) -> tuple[int, ...]:
        if any(not 1 <= t <= 1000 for t in thresholds):
            raise ValueError("each threshold is a percentage of the monthly budget, 1 to 1000")
        if list(thresholds) != sorted(set(thresholds)):
            raise ValueError("thresholds must be strictly ascending, without repeats, e.g. [50, 80, 100]")
        return thresholds

    def describe(self) -> str:
        return f"{self.monthly_usd:g} USD a month, alerts at {'/'.join(str(t) for t in self.thresholds)} %"


@dataclass(frozen=True)
class BudgetDefaults:
    """The stack's default (tenancy.usage.defaultBudget)."""

    budget: Budget
    high_cost_usd: float


@dataclass(frozen=True)
class EffectiveBudget:
    budget: Budget
    high_cost_usd: float
    source: str  # "project" | "default" | "invalid" (the project's was refused; the default applies)
    error: str | None = None  # why the project's budget was refused


def effective_budget(spec: dict | None, defaults: BudgetDefaults) -> EffectiveBudget:
    """The budget that applies to a project, from its ProjectSettings spec (the whole `spec`)."""
    raw = ((spec or {}).get("langfuse") or {}).get("budget")
    if raw is None:
        return EffectiveBudget(defaults.budget, defaults.high_cost_usd, "default")
    try:
        budget = Budget.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        field = f"spec.langfuse.budget.{where}" if where else "spec.langfuse.budget"
        message = first["msg"].removeprefix("Value error, ")
        return EffectiveBudget(defaults.budget, defaults.high_cost_usd, "invalid", f"{field}: {message}")
    return EffectiveBudget(budget, budget.high_cost_usd or defaults.high_cost_usd, "project")


def defaults_from_environment(env: dict[str, str] | None = None) -> BudgetDefaults:
    """The stack's default budget, as components/tenancy sets it in the environment."""
    env = dict(os.environ if env is None else env)
    try:
        budget = Budget(
            monthly_usd=float(env.get(contract.ENV_DEFAULT_BUDGET_USD, "1000")),
            thresholds=tuple(int(t) for t in env.get(contract.ENV_DEFAULT_BUDGET_THRESHOLDS, "50,80,100").split(",")),
        )
        high_cost = float(env.get(contract.ENV_DEFAULT_HIGH_COST_USD, "10"))
        if high_cost <= 0:
            raise ValueError(f"{contract.ENV_DEFAULT_HIGH_COST_USD} must be positive")
    except (ValueError, ValidationError) as error:
        raise SystemExit(f"langfuse-incluster: the default budget in the environment is invalid: {error}") from error
    return BudgetDefaults(budget, high_cost)
