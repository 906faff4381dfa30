"""The figures people read: month-to-date, the month-end forecast, week over week and budget burn. Pure
functions of a daily cost series (date -> USD, UTC days) and the current instant."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

RATE_DAYS = 7  # the forecast extrapolates the mean of the last 7 complete days


def _utc(now: datetime) -> datetime:
    return now.astimezone(UTC)


def month_bounds(now: datetime) -> tuple[datetime, datetime]:
    today = _utc(now).date()
    first = datetime.combine(today.replace(day=1), time(), UTC)
    days = calendar.monthrange(today.year, today.month)[1]
    return first, first + timedelta(days=days)


def month_to_date(daily: dict[date, float], now: datetime) -> float:
    today = _utc(now).date()
    return sum(cost for day, cost in daily.items() if day.year == today.year and day.month == today.month and day <= today)


def daily_rate(daily: dict[date, float], now: datetime) -> float:
    """USD per day: the mean of the last RATE_DAYS complete days since the project's first day of usage; with
    no complete day yet, today's cost over the part of today that has passed (at least an hour)."""
    now = _utc(now)
    today = now.date()
    used = [day for day, cost in daily.items() if cost > 0]
    if not used:
        return 0.0
    first_seen = min(used)
    complete = [today - timedelta(days=i) for i in range(1, RATE_DAYS + 1)]
    counted = [day for day in complete if day >= first_seen]
    if counted:
        return sum(daily.get(day, 0.0) for day in counted) / len(counted)
    elapsed = max((now - datetime.combine(today, time(), UTC)).total_seconds(), 3600.0)
    return daily.get(today, 0.0) * 86400.0 / elapsed


def forecast_month_end(daily: dict[date, float], now: datetime) -> float:
    """Month-to-date plus the daily rate over what is left of the month (the rest of today included)."""
    _, end = month_bounds(now)
    remaining_days = (end - _utc(now)).total_seconds() / 86400.0
    return month_to_date(daily, now) + daily_rate(daily, now) * remaining_days


@dataclass(frozen=True)
class WeekOverWeek:
    this_week: float
    last_week: float

    @property
    def change(self) -> float | None:
        """Relative change (0.25 = +25 %); None when last week was zero."""
        return None if self.last_week == 0 else (self.this_week - self.last_week) / self.last_week


def week_over_week(daily: dict[date, float], last_day: date) -> WeekOverWeek:
    """The 7 days ending with `last_day` against the 7 before them."""
    this_week = sum(daily.get(last_day - timedelta(days=i), 0.0) for i in range(7))
    last_week = sum(daily.get(last_day - timedelta(days=i), 0.0) for i in range(7, 14))
    return WeekOverWeek(this_week, last_week)


@dataclass(frozen=True)
class BudgetBurn:
    spent: float
    budget: float
    month_elapsed: float  # fraction of the month gone, 0..1

    @property
    def used(self) -> float:
        return self.spent / self.budget

    @property
    def pace(self) -> float | None:
        """Budget used over month elapsed: above 1, the budget runs out before the month does."""
        return None if self.month_elapsed == 0 else self.used / self.month_elapsed


def budget_burn(daily: dict[date, float], budget_usd: float, now: datetime) -> BudgetBurn:
    start, end = month_bounds(now)
    elapsed = (_utc(now) - start).total_seconds() / (end - start).total_seconds()
    return BudgetBurn(month_to_date(daily, now), budget_usd, elapsed)
