"""The summary as Slack Block Kit (built with slack_sdk's models, which check Slack's limits when they
serialise) and as Markdown (every project; Slack gets the most expensive ones: a message holds at most 50
blocks, https://docs.slack.dev/reference/block-kit/blocks)."""

from __future__ import annotations

from slack_sdk.models.blocks import ContextBlock, DividerBlock, HeaderBlock, MarkdownTextObject, SectionBlock

from langfuse_incluster.summary.report import ProjectWeek, WeeklySummary

SLACK_PROJECTS = 10
SLACK_RECOMMENDATIONS = 8


def usd(value: float) -> str:
    return f"${value:,.2f}"


def change(value: float | None) -> str:
    return "new" if value is None else f"{value:+.0%}"


def _models(models: list[tuple[str, float]]) -> str:
    return ", ".join(f"{m} {usd(c)}" for m, c in models) or "none"


def _project_line(p: ProjectWeek) -> str:
    return (
        f"*{p.namespace}*: {usd(p.this_week.cost_usd)} this week ({change(p.week_over_week)} week over week), "
        f"{p.this_week.tokens:,.0f} tokens, {p.this_week.traces:,.0f} traces; month {usd(p.month_to_date_usd)} "
        f"= {p.burn.used:.0%} of {usd(p.budget.budget.monthly_usd)}, forecast {usd(p.forecast_usd)}; top: {_models(p.top_models)}"
    )


def slack_blocks(s: WeeklySummary) -> list:
    total = s.this_week
    blocks = [
        HeaderBlock(text=f"LLM spend, week {s.first_day.isoformat()} to {s.last_day.isoformat()}"),
        SectionBlock(fields=[
            MarkdownTextObject(text=f"*Spend*\n{usd(total.cost_usd)} ({change(s.week_over_week)} week over week)"),
            MarkdownTextObject(text=f"*Tokens / traces*\n{total.tokens:,.0f} / {total.traces:,.0f}"),
            MarkdownTextObject(text=f"*Month to date*\n{usd(s.month_to_date_usd)} of {usd(s.budget_usd)} budgeted"),
            MarkdownTextObject(text=f"*Month-end forecast*\n{usd(s.forecast_usd)}"),
            MarkdownTextObject(text=f"*Top models*\n{_models(s.top_models)}"),
            MarkdownTextObject(text=f"*Projects*\n{len(s.projects)}"),
        ]),
        DividerBlock(),
    ]
    for p in s.projects[:SLACK_PROJECTS]:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=_project_line(p))))
    rest = len(s.projects) - SLACK_PROJECTS
    if rest > 0:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"and {rest} more projects: see the Markdown record")]))
    if s.recommendations:
        blocks.append(DividerBlock())
        lines = "\n".join(f"• {r.text}" for r in s.recommendations[:SLACK_RECOMMENDATIONS])
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f"*Recommendations*\n{lines}"[:3000])))
    if s.failed:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"No figures for {len(s.failed)} projects: " + ", ".join(n for n, _ in s.failed)[:1900])]))
    return blocks


def fallback_text(s: WeeklySummary) -> str:
    """The notification text (and what clients without Block Kit show)."""
    return f"LLM spend {s.first_day.isoformat()} to {s.last_day.isoformat()}: {usd(s.this_week.cost_usd)} ({change(s.week_over_week)} week over week)"


def markdown(s: WeeklySummary) -> str:
    total = s.this_week
    lines = [
        f"# LLM spend, week {s.first_day.isoformat()} to {s.last_day.isoformat()}",
        "",
        f"- Spend: {usd(total.cost_usd)} ({change(s.week_over_week)} week over week; last week {usd(s.last_week.cost_usd)})",
        f"- Tokens: {total.tokens:,.0f}; traces: {total.traces:,.0f}",
        f"- Month to date: {usd(s.month_to_date_usd)} of {usd(s.budget_usd)} budgeted; month-end forecast {usd(s.forecast_usd)}",
        f"- Top models: {_models(s.top_models)}",
        "",
        "| Project | Week | Week over week | Tokens | Traces | Month to date | Budget used | Forecast | Top models |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for p in s.projects:
        lines.append(
            f"| {p.namespace} | {usd(p.this_week.cost_usd)} | {change(p.week_over_week)} | {p.this_week.tokens:,.0f} | {p.this_week.traces:,.0f} "
            f"| {usd(p.month_to_date_usd)} | {p.burn.used:.0%} of {usd(p.budget.budget.monthly_usd)} | {usd(p.forecast_usd)} | {_models(p.top_models)} |"
        )
    if s.recommendations:
        lines += ["", "## Recommendations", "", *(f"- {r.text}" for r in s.recommendations)]
    if s.failed:
        lines += ["", "## Projects without figures", "", *(f"- {n}: {why}" for n, why in s.failed)]
    return "\n".join(lines) + "\n"
