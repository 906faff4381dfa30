"""The figures on a month of synthetic daily series: forecast, week over week, budget burn; and the answers'
number formats (ClickHouse may quote 64-bit integers in JSON)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from langfuse_incluster.usage import figures
from langfuse_incluster.usage.queries import ProjectUsage, usage_query, usage_window_start

SEPTEMBER = [date(2026, 9, 1) + timedelta(days=i) for i in range(30)]


def _series(cost) -> dict[date, float]:
    return {day: cost(i) for i, day in enumerate(SEPTEMBER)}


def test_a_flat_month_forecasts_thirty_days_of_it_whatever_the_day():
    daily = _series(lambda i: 10.0)
    for day in (8, 15, 29):
        now = datetime(2026, 9, day, 18, tzinfo=UTC)
        partial = {d: c for d, c in daily.items() if d.day <= day}
        partial[date(2026, 9, day)] = 10.0 * 18 / 24  # today so far
        # month so far (day-1 full days + 3/4 of today) + 10 a day for the remaining 6 h of today and the rest
        assert figures.forecast_month_end(partial, now) == pytest.approx(300.0)


def test_a_growing_month_forecasts_from_the_last_week_not_the_month_average():
    daily = _series(lambda i: 1.0 + i)  # 1, 2, 3, ... USD
    now = datetime(2026, 9, 21, 0, 0, tzinfo=UTC)  # 20 full days: 1..20
    partial = {d: c for d, c in daily.items() if d.day <= 20}
    last_week_mean = sum(range(14, 21)) / 7  # 17
    assert figures.month_to_date(partial, now) == 210.0
    assert figures.forecast_month_end(partial, now) == pytest.approx(210.0 + 10 * last_week_mean)


def test_a_project_that_started_this_week_is_not_diluted_by_days_before_it():
    now = datetime(2026, 9, 20, 0, 0, tzinfo=UTC)
    daily = {date(2026, 9, 17): 30.0, date(2026, 9, 18): 30.0, date(2026, 9, 19): 30.0}
    assert figures.daily_rate(daily, now) == 30.0
    assert figures.forecast_month_end(daily, now) == pytest.approx(90.0 + 11 * 30.0)


def test_on_the_first_morning_the_forecast_extrapolates_today():
    now = datetime(2026, 9, 1, 6, 0, tzinfo=UTC)
    assert figures.forecast_month_end({date(2026, 9, 1): 5.0}, now) == pytest.approx(5.0 + 20.0 * (30 - 0.25))
    assert figures.forecast_month_end({}, now) == 0.0


def test_the_forecast_uses_last_month_s_tail_early_in_a_month():
    daily = {date(2026, 8, 25) + timedelta(days=i): 7.0 for i in range(7)}  # Aug 25..31
    daily[date(2026, 9, 1)] = 3.5
    now = datetime(2026, 9, 1, 12, tzinfo=UTC)
    assert figures.month_to_date(daily, now) == 3.5
    assert figures.forecast_month_end(daily, now) == pytest.approx(3.5 + 7.0 * 29.5)


def test_week_over_week_compares_the_seven_days_ending_yesterday_with_the_seven_before():
    daily = _series(lambda i: 10.0 if i < 13 else 15.0)  # from Sep 14 on, 15 a day
    wow = figures.week_over_week(daily, date(2026, 9, 20))
    assert (wow.this_week, wow.last_week) == (105.0, 7 * 10.0 + 0)  # Sep 14-20 vs Sep 7-13
    assert wow.change == pytest.approx(0.5)
    assert figures.week_over_week({date(2026, 9, 20): 4.0}, date(2026, 9, 20)).change is None


def test_budget_burn_and_pace():
    daily = _series(lambda i: 20.0)
    now = datetime(2026, 9, 16, 0, 0, tzinfo=UTC)  # half of September gone
    burn = figures.budget_burn({d: c for d, c in daily.items() if d.day <= 15}, 400.0, now)
    assert (burn.spent, burn.used, burn.month_elapsed) == (300.0, 0.75, 0.5)
    assert burn.pace == pytest.approx(1.5)  # runs out before the month does


def test_answers_are_read_whether_clickhouse_quotes_64_bit_integers_or_not():
    rows = [
        {"time_dimension": "2026-09-02", "providedModelName": "gpt-4o", "level": "DEFAULT", "sum_totalCost": 1.25,
         "sum_totalTokens": "1200", "sum_inputTokens": "1000", "sum_outputTokens": "200", "uniq_traceId": "3", "count_count": "9"},
        {"time_dimension": "2026-09-02", "providedModelName": None, "level": "ERROR", "sum_totalCost": None,
         "sum_totalTokens": 0, "sum_inputTokens": 0, "sum_outputTokens": 0, "uniq_traceId": 1, "count_count": 2},
    ]
    usage = ProjectUsage.from_rows(rows)
    day = date(2026, 9, 2)
    assert usage.between(day, day).tokens == 1200 and usage.between(day, day).errors == 2
    assert set(usage.by_model(day, day)) == {"gpt-4o", "none"}


def test_the_usage_query_reaches_back_two_weeks_or_to_the_month_start():
    assert usage_window_start(datetime(2026, 9, 3, tzinfo=UTC)) == datetime(2026, 8, 20, tzinfo=UTC)
    assert usage_window_start(datetime(2026, 9, 25, tzinfo=UTC)) == datetime(2026, 9, 1, tzinfo=UTC)
    query = usage_query(datetime(2026, 9, 25, 10, tzinfo=UTC), "namespace:project-a")
    assert query["filters"] == [{"column": "tags", "type": "arrayOptions", "operator": "any of", "value": ["namespace:project-a"]}]
    assert query["orderBy"] == [{"field": "time_dimension", "direction": "desc"}] and query["config"] == {"row_limit": 1000}
