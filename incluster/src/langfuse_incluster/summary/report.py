"""The week's figures, per project and in total, and the recommendations, from each project's usage answer
and Langfuse's model prices. The week is the 7 complete UTC days before the run (Monday to Sunday when the
CronJob runs on Monday)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from langfuse_incluster.budget import EffectiveBudget
from langfuse_incluster.usage import figures
from langfuse_incluster.usage.langfuse_usage import ModelPrice
from langfuse_incluster.usage.prices import CheaperModel, cheaper_model
from langfuse_incluster.usage.queries import ProjectUsage, Totals

TOP_MODELS = 3
GROWTH_SHARE = 0.25  # a project that drove a quarter of the week's growth is named
TOKENS_PER_TRACE_RISE = 0.25  # tokens per trace up by a quarter is named
MIN_TRACES = 10  # ... when both weeks have at least this many traces


@dataclass(frozen=True)
class ProjectWeek:
    namespace: str
    budget: EffectiveBudget
    this_week: Totals
    last_week: Totals
    by_model: dict[str, Totals]  # this week
    month_to_date_usd: float
    forecast_usd: float
    burn: figures.BudgetBurn

    @property
    def week_over_week(self) -> float | None:
        return figures.WeekOverWeek(self.this_week.cost_usd, self.last_week.cost_usd).change

    @property
    def top_models(self) -> list[tuple[str, float]]:
        ranked = sorted(((m, t.cost_usd) for m, t in self.by_model.items() if t.cost_usd > 0), key=lambda x: -x[1])
        return ranked[:TOP_MODELS]

    def tokens_per_trace(self, week: Totals) -> float | None:
        return week.tokens / week.traces if week.traces else None


def week_bounds(now: datetime) -> tuple[date, date]:
    last = now.astimezone(UTC).date() - timedelta(days=1)
    return last - timedelta(days=6), last


def project_week(namespace: str, budget: EffectiveBudget, usage: ProjectUsage, now: datetime) -> ProjectWeek:
    first, last = week_bounds(now)
    daily = usage.daily_cost()
    return ProjectWeek(
        namespace=namespace,
        budget=budget,
        this_week=usage.between(first, last),
        last_week=usage.between(first - timedelta(days=7), last - timedelta(days=7)),
        by_model=usage.by_model(first, last),
        month_to_date_usd=figures.month_to_date(daily, now),
        forecast_usd=figures.forecast_month_end(daily, now),
        burn=figures.budget_burn(daily, budget.budget.monthly_usd, now),
    )


@dataclass(frozen=True)
class Recommendation:
    kind: str  # cheaper-model | growth | tokens-per-trace
    namespace: str
    text: str
    saving_usd: float = 0.0


@dataclass(frozen=True)
class WeeklySummary:
    first_day: date
    last_day: date
    projects: tuple[ProjectWeek, ...]  # most expensive first
    failed: tuple[tuple[str, str], ...]  # (namespace, why) of projects whose figures could not be read
    recommendations: tuple[Recommendation, ...]

    @property
    def this_week(self) -> Totals:
        return sum((p.this_week for p in self.projects), Totals())

    @property
    def last_week(self) -> Totals:
        return sum((p.last_week for p in self.projects), Totals())

    @property
    def week_over_week(self) -> float | None:
        return figures.WeekOverWeek(self.this_week.cost_usd, self.last_week.cost_usd).change

    @property
    def month_to_date_usd(self) -> float:
        return sum(p.month_to_date_usd for p in self.projects)

    @property
    def forecast_usd(self) -> float:
        return sum(p.forecast_usd for p in self.projects)

    @property
    def budget_usd(self) -> float:
        return sum(p.budget.budget.monthly_usd for p in self.projects)

    @property
    def top_models(self) -> list[tuple[str, float]]:
        costs: dict[str, float] = {}
        for p in self.projects:
            for model, totals in p.by_model.items():
                costs[model] = costs.get(model, 0.0) + totals.cost_usd
        return sorted(((m, c) for m, c in costs.items() if c > 0), key=lambda x: -x[1])[:TOP_MODELS]


def weekly_summary(
    weeks: list[ProjectWeek], failed: list[tuple[str, str]], models: tuple[ModelPrice, ...], now: datetime,
) -> WeeklySummary:
    first, last = week_bounds(now)
    ranked = tuple(sorted(weeks, key=lambda p: (-p.this_week.cost_usd, p.namespace)))
    return WeeklySummary(first, last, ranked, tuple(sorted(failed)), recommendations(ranked, models))


def recommendations(weeks: tuple[ProjectWeek, ...], models: tuple[ModelPrice, ...]) -> tuple[Recommendation, ...]:
    found: list[Recommendation] = []
    cheaper: list[tuple[str, CheaperModel]] = []
    for p in weeks:
        for model, totals in p.by_model.items():
            alternative = cheaper_model(models, model, totals.input_tokens, totals.output_tokens, totals.cost_usd)
            if alternative is not None:
                cheaper.append((p.namespace, alternative))
    for namespace, c in sorted(cheaper, key=lambda x: -x[1].saving_usd):
        found.append(Recommendation(
            "cheaper-model", namespace,
            f"{namespace}: the week's {c.used} tokens would have cost {_usd(c.alternative_usd)} on {c.alternative} ({c.provider}) "
            f"instead of {_usd(c.actual_usd)}, {_usd(c.saving_usd)} less; worth trying where {c.used}'s quality is not needed",
            c.saving_usd,
        ))
    growth = {p.namespace: p.this_week.cost_usd - p.last_week.cost_usd for p in weeks}
    total_growth = sum(g for g in growth.values() if g > 0)
    if total_growth > 0:
        for p in sorted(weeks, key=lambda p: -growth[p.namespace]):
            share = growth[p.namespace] / total_growth
            if growth[p.namespace] <= 0 or share < GROWTH_SHARE:
                break
            change = p.week_over_week
            found.append(Recommendation(
                "growth", p.namespace,
                f"{p.namespace} drove {share:.0%} of the week's growth in spend (+{_usd(growth[p.namespace])}"
                + (f", {change:+.0%} week over week)" if change is not None else ", new this week)"),
            ))
    for p in weeks:
        before, after = p.tokens_per_trace(p.last_week), p.tokens_per_trace(p.this_week)
        if before and after and min(p.last_week.traces, p.this_week.traces) >= MIN_TRACES and after >= before * (1 + TOKENS_PER_TRACE_RISE):
            found.append(Recommendation(
                "tokens-per-trace", p.namespace,
                f"{p.namespace}: tokens per trace rose {after / before - 1:.0%} ({before:,.0f} to {after:,.0f}): longer prompts, "
                "context or agent loops; check the largest traces",
            ))
    return tuple(found)


def _usd(value: float) -> str:
    return f"${value:,.2f}"
