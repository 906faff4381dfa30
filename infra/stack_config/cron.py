"""Cron schedules, checked as the consumers parse them: both use github.com/robfig/cron.

- CloudNativePG's ScheduledBackup: `cron.Parse` of robfig/cron v1.2.0 (CloudNativePG's go.mod), six fields with
  seconds first; its webhook (internal/webhook/v1/scheduledbackup_webhook.go) warns unless there are exactly
  six, so six it is here. Descriptors (@daily) parse but draw that warning: refused.
- Kubernetes CronJob: `cron.ParseStandard` of robfig/cron v3.0.1, five fields or a descriptor (@hourly, @daily,
  @weekly, @monthly, @yearly/@annually, @midnight, @every <Go duration>), and no "TZ" anywhere in the schedule
  (pkg/apis/batch/validation/validation.go, validateScheduleFormat; our CronJobs set .spec.timeZone).

A field is a comma-separated list of `*`, `?`, a number or name, `a-b`, each optionally `/step`; `n/step`
means n-max/step (robfig/cron parser.go getRange, identical in v1.2.0 and v3.0.1). Numbers are Go's
strconv.Atoi (a leading '+' passes). What robfig accepts but can never fire (30 February) is refused too: a
backup or drill that never runs is not a schedule.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass

_MONTHS = {name: number for number, name in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_DAYS = {name: number for number, name in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}


@dataclass(frozen=True, eq=False)
class _Bounds:
    name: str
    low: int
    high: int
    names: dict[str, int] | None = None


SECOND = _Bounds("second", 0, 59)
MINUTE = _Bounds("minute", 0, 59)
HOUR = _Bounds("hour", 0, 23)
DAY_OF_MONTH = _Bounds("day of month", 1, 31)
MONTH = _Bounds("month", 1, 12, _MONTHS)
DAY_OF_WEEK = _Bounds("day of week", 0, 6, _DAYS)
_DESCRIPTORS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
# time.ParseDuration: a sequence of decimal numbers with units, optionally signed; "0" alone is allowed.
_GO_DURATION = re.compile(r"^[-+]?(0|((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+)$")
_ATOI = re.compile(r"^[+-]?\d+$")


class CronError(ValueError):
    pass


def cnpg_schedule(spec: str) -> str:
    """A CloudNativePG ScheduledBackup schedule: second minute hour day-of-month month day-of-week."""
    fields = spec.split()
    if len(fields) != 6:
        raise CronError(
            f"must be six cron fields, seconds first (CloudNativePG's format), like '0 0 3 * * *' for 03:00 daily; found {len(fields)}"
        )
    _fires(_fields(fields, _SIX, v3=False))
    return spec


def cronjob_schedule(spec: str) -> str:
    """A Kubernetes CronJob schedule: minute hour day-of-month month day-of-week, or a descriptor."""
    if "TZ" in spec:
        raise CronError("must not name a time zone (TZ=, CRON_TZ=): Kubernetes refuses it; the CronJobs run in UTC")
    if spec.startswith("@"):
        every = spec.removeprefix("@every ")
        if spec in _DESCRIPTORS or (every != spec and _GO_DURATION.match(every)):
            return spec
        raise CronError(f"must be a cron descriptor ({', '.join(_DESCRIPTORS)} or @every <duration>, like @every 6h) or five fields")
    fields = spec.split()
    if len(fields) != 5:
        raise CronError(f"must be five cron fields (minute hour day-of-month month day-of-week), like '0 5 * * 6' for 05:00 on Saturdays; found {len(fields)}")
    _fires(_fields(fields, _SIX[1:], v3=True))
    return spec


_SIX = (SECOND, MINUTE, HOUR, DAY_OF_MONTH, MONTH, DAY_OF_WEEK)


def _fields(texts: list[str], bounds: tuple[_Bounds, ...], v3: bool) -> dict[_Bounds, _Field]:
    return {b: _field(text, b, v3) for text, b in zip(texts, bounds, strict=True)}


@dataclass(frozen=True)
class _Field:
    values: frozenset[int]
    star: bool  # robfig's starBit: the field was * or ?, which changes how day of month and day of week combine


def _field(text: str, bounds: _Bounds, v3: bool) -> _Field:
    values: set[int] = set()
    star = False
    for expr in (part for part in text.split(",") if part):
        part, is_star = _range(expr, bounds, v3)
        values |= part
        star = star or is_star
    return _Field(frozenset(values), star)


def _range(expr: str, bounds: _Bounds, v3: bool) -> tuple[set[int], bool]:
    range_and_step = expr.split("/")
    low_and_high = range_and_step[0].split("-")
    star = low_and_high[0] in ("*", "?")
    if star:
        start, end = bounds.low, bounds.high
    else:
        start = _number(low_and_high[0], bounds, expr)
        if len(low_and_high) > 2:
            raise CronError(f"{bounds.name} field {expr!r} has too many hyphens")
        end = _number(low_and_high[1], bounds, expr) if len(low_and_high) == 2 else start
    if len(range_and_step) > 2:
        raise CronError(f"{bounds.name} field {expr!r} has too many slashes")
    step = 1
    if len(range_and_step) == 2:
        step = _number(range_and_step[1], None, expr)
        if len(low_and_high) == 1:
            end = bounds.high  # "n/step" means "n-max/step"
        star = star and not (v3 and step > 1)  # v3 (not v1.2.0): "*/2" is no longer a star
    if start < bounds.low or end > bounds.high:
        raise CronError(f"{bounds.name} field {expr!r} is out of range {bounds.low}-{bounds.high}")
    if start > end:
        raise CronError(f"{bounds.name} field {expr!r} starts after it ends")
    if step == 0:
        raise CronError(f"{bounds.name} field {expr!r} has a step of 0")
    return set(range(start, end + 1, step)), star


def _number(text: str, bounds: _Bounds | None, expr: str) -> int:
    if bounds is not None and bounds.names and text.lower() in bounds.names:
        return bounds.names[text.lower()]
    if not _ATOI.match(text) or int(text) < 0:
        what = f"{bounds.name} field" if bounds else "step in"
        named = f", or a name like {next(iter(bounds.names))}" if bounds and bounds.names else ""
        raise CronError(f"{what} {expr!r}: {text!r} is not a number{named}")
    return int(text)


def _fires(fields: dict[_Bounds, _Field]) -> None:
    """Refuse a schedule that never comes: some day of the 28-year calendar cycle must match (robfig's
    dayMatches: day of month and day of week must both match if either was *, else either may)."""
    if any(not f.values for f in fields.values()):
        raise CronError("matches no time at all (an empty field)")
    dom, dow, months = fields[DAY_OF_MONTH], fields[DAY_OF_WEEK], fields[MONTH]
    for year in range(2000, 2028):
        for month in months.values:
            for day in range(1, calendar.monthrange(year, month)[1] + 1):
                weekday = (calendar.weekday(year, month, day) + 1) % 7  # robfig: Sunday is 0
                in_dom, in_dow = day in dom.values, weekday in dow.values
                if (in_dom and in_dow) if (dom.star or dow.star) else (in_dom or in_dow):
                    return
    raise CronError("never fires: no date matches its day-of-month, month and day-of-week fields")
