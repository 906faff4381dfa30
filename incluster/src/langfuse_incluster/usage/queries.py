"""The v2 metrics queries (GET /api/public/v2/metrics?query=<json>) and their answers, as Langfuse v4.16.0
defines them (langfuse/langfuse, tag v4.16.0):

- the query object: web/src/features/public-api/types/metrics.ts (MetricsQueryObjectV2: view, dimensions,
  metrics, filters, timeDimension, fromTimestamp, toTimestamp, orderBy, config.row_limit <= 1000; the server
  applies row_limit 100 when none is given, web/src/pages/api/public/v2/metrics.ts);
- the `observations` view of v2 (packages/shared/src/features/query/dataModel.ts, eventsObservationsView):
  dimensions providedModelName, level, traceId/sessionId (highCardinality), traceName, tags (type string[]);
  measures totalCost (USD), totalTokens, inputTokens, outputTokens, count, traceId (`uniq` counts traces);
- high-cardinality dimensions need config.row_limit and an orderBy `desc` on a measure, and no timeDimension
  (packages/shared/src/features/query/validateQuery.ts): the top-N queries below are exactly that;
- answer rows name dimensions by their alias, measures `<aggregation>_<measure>`, the time bucket
  `time_dimension` (`toDate(start_time)` for `day`, queryBuilder.ts), so a day arrives as YYYY-MM-DD.
  ClickHouse writes 64-bit integers in JSON either quoted or not (output_format_json_quote_64bit_integers,
  whose default changed in 25.8), so numbers are read from either.

Tags: `tags` is an Array(String) dimension without explodeArray, so grouping by it groups by the whole tag
set of a trace, not by one tag (queryBuilder.ts buildInnerDimensionsPart), and a filter on it must be
`arrayOptions` (hasAny/hasAll). Shared mode therefore attributes cost to a namespace with the filter
`tags any of ["namespace:<ns>"]` (the platform's runner tags every trace so), one query per namespace."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

ROW_LIMIT = 1000  # the server's maximum (MetricsQueryObjectV2.config.row_limit)
HISTORY_DAYS = 14  # the usage query reaches back at least this far (week over week, the forecast's rate)
TOP_WINDOW = timedelta(hours=24)  # "recent" for the most expensive traces and sessions
NO_MODEL = "none"  # observations without a model (spans, events)
ERROR_LEVEL = "ERROR"


def namespace_tag(namespace: str) -> str:
    return f"namespace:{namespace}"


def _scope_filters(tag: str | None) -> list[dict]:
    return [] if tag is None else [{"column": "tags", "type": "arrayOptions", "operator": "any of", "value": [tag]}]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def month_start(now: datetime) -> datetime:
    return datetime.combine(now.astimezone(UTC).date().replace(day=1), time(), UTC)


def usage_window_start(now: datetime) -> datetime:
    today = datetime.combine(now.astimezone(UTC).date(), time(), UTC)
    return min(month_start(now), today - timedelta(days=HISTORY_DAYS))


def usage_query(now: datetime, tag: str | None = None, since: datetime | None = None) -> dict:
    """Daily cost, tokens, traces and observations by model and level, from the start of the month (or two
    weeks back, or `since`, whichever is earliest) to now. Newest days first, so a truncated answer loses the oldest."""
    return {
        "view": "observations",
        "dimensions": [{"field": "providedModelName"}, {"field": "level"}],
        "metrics": [
            {"measure": "totalCost", "aggregation": "sum"},
            {"measure": "totalTokens", "aggregation": "sum"},
            {"measure": "inputTokens", "aggregation": "sum"},
            {"measure": "outputTokens", "aggregation": "sum"},
            {"measure": "traceId", "aggregation": "uniq"},
            {"measure": "count", "aggregation": "count"},
        ],
        "filters": _scope_filters(tag),
        "timeDimension": {"granularity": "day"},
        "fromTimestamp": _iso(min(usage_window_start(now), since) if since else usage_window_start(now)),
        "toTimestamp": _iso(now),
        "orderBy": [{"field": "time_dimension", "direction": "desc"}],
        "config": {"row_limit": ROW_LIMIT},
    }


def top_query(now: datetime, kind: str, top_n: int, tag: str | None = None) -> dict:
    """The `top_n` most expensive traces (kind "traceId") or sessions ("sessionId") of the last 24 hours."""
    dimensions = [{"field": kind}] + ([{"field": "traceName"}] if kind == "traceId" else [])
    filters = _scope_filters(tag) + [{"column": kind, "type": "null", "operator": "is not null", "value": ""}]
    return {
        "view": "observations",
        "dimensions": dimensions,
        "metrics": [{"measure": "totalCost", "aggregation": "sum"}],
        "filters": filters,
        "timeDimension": None,
        "fromTimestamp": _iso(now - TOP_WINDOW),
        "toTimestamp": _iso(now),
        "orderBy": [{"field": "sum_totalCost", "direction": "desc"}],
        "config": {"row_limit": top_n},
    }


def encode(query: dict) -> str:
    return json.dumps(query, separators=(",", ":"))


# --- answers ---------------------------------------------------------------------------------------------------


def _number(value) -> float:
    if value is None or value == "":
        return 0.0
    return float(value)


@dataclass(frozen=True)
class DayUsage:
    day: date
    model: str
    level: str
    cost_usd: float
    tokens: float
    input_tokens: float
    output_tokens: float
    traces: float  # distinct traces of this day, model and level
    observations: float


@dataclass(frozen=True)
class Totals:
    cost_usd: float = 0.0
    tokens: float = 0.0
    input_tokens: float = 0.0
    output_tokens: float = 0.0
    traces: float = 0.0
    observations: float = 0.0
    errors: float = 0.0

    def __add__(self, other: Totals) -> Totals:
        return Totals(*(a + b for a, b in zip(self._values(), other._values(), strict=True)))

    def _values(self) -> tuple[float, ...]:
        return (self.cost_usd, self.tokens, self.input_tokens, self.output_tokens, self.traces, self.observations, self.errors)


def _totals(row: DayUsage) -> Totals:
    return Totals(
        row.cost_usd, row.tokens, row.input_tokens, row.output_tokens, row.traces, row.observations,
        row.observations if row.level == ERROR_LEVEL else 0.0,
    )


@dataclass(frozen=True)
class ProjectUsage:
    """One answer of the usage query. Traces are counted per day, model and level (the query's buckets), so a
    trace that uses two models or logs at two levels on one day counts in each."""

    rows: tuple[DayUsage, ...]
    truncated: bool = False  # the answer hit the row limit: the oldest days are missing

    @classmethod
    def from_rows(cls, data: list[dict]) -> ProjectUsage:
        rows = tuple(
            DayUsage(
                day=date.fromisoformat(str(row["time_dimension"])[:10]),
                model=row.get("providedModelName") or NO_MODEL,
                level=row.get("level") or "DEFAULT",
                cost_usd=_number(row.get("sum_totalCost")),
                tokens=_number(row.get("sum_totalTokens")),
                input_tokens=_number(row.get("sum_inputTokens")),
                output_tokens=_number(row.get("sum_outputTokens")),
                traces=_number(row.get("uniq_traceId")),
                observations=_number(row.get("count_count")),
            )
            for row in data
            if row.get("time_dimension")
        )
        return cls(rows, truncated=len(data) >= ROW_LIMIT)

    def between(self, first: date, last: date) -> Totals:
        """Totals over the days first..last, inclusive."""
        return sum((_totals(r) for r in self.rows if first <= r.day <= last), Totals())

    def by_model(self, first: date, last: date) -> dict[str, Totals]:
        found: dict[str, Totals] = defaultdict(Totals)
        for r in self.rows:
            if first <= r.day <= last:
                found[r.model] = found[r.model] + _totals(r)
        return dict(found)

    def daily_cost(self) -> dict[date, float]:
        found: dict[date, float] = defaultdict(float)
        for r in self.rows:
            found[r.day] += r.cost_usd
        return dict(found)


@dataclass(frozen=True)
class CostlyItem:
    id: str
    name: str | None  # the trace's name (traces only)
    cost_usd: float


def costly_items(data: list[dict], kind: str) -> tuple[CostlyItem, ...]:
    items = (
        CostlyItem(str(row[kind]), row.get("traceName"), _number(row.get("sum_totalCost")))
        for row in data
        if row.get(kind)
    )
    return tuple(sorted(items, key=lambda item: item.cost_usd, reverse=True))
