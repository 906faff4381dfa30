"""A release gate on evaluation scores: the average of one numeric score over a window, from Langfuse's v2
metrics API (GET /api/public/v2/metrics, the SDK's `api.metrics.metrics`), against a bar.

Langfuse v4.16.0, packages/shared/src/features/query/dataModel.ts: the `scores-numeric` view holds NUMERIC and
BOOLEAN scores (segment data_type any of NUMERIC, BOOLEAN), filters on the `name` dimension, and has the
measures `value` and `count`; its time dimension is the score's `timestamp`. The query builder names each
result column `<aggregation>_<measure>` (server/queryBuilder.ts), hence `avg_value` and `count_count`.
The endpoint needs LANGFUSE_MIGRATION_V4_ALLOW_PREVIEW_OPT_IN=true and a write mode other than legacy
(web/src/pages/api/public/v2/metrics.ts), both v4.16's defaults; otherwise it answers 404.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from langfuse_incluster.verify.connection import LangfuseConnection
from langfuse_incluster.verify.errors import StepFailed, from_call

WINDOW = re.compile(r"^([1-9][0-9]*)([mhd])$")
UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_window(text: str) -> timedelta | None:
    match = WINDOW.match(text)
    return timedelta(**{UNITS[match.group(2)]: int(match.group(1))}) if match else None


@dataclass(frozen=True)
class GateSettings:
    project: str  # the name or id of the project the key must belong to
    score: str
    minimum: float
    window: timedelta
    min_count: int


@dataclass(frozen=True)
class GateResult:
    outcome: Literal["passed", "below the bar", "too few scores"]
    project: str
    average: float | None
    count: int
    settings: GateSettings
    since: datetime

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"

    def line(self) -> str:
        s = self.settings
        average = "no average" if self.average is None else f"average {self.average:.4g}"
        return (
            f"score {s.score} in project {self.project} since {self.since.isoformat(timespec='minutes')}: {self.count} scores, {average}; "
            f"bar {s.minimum:g} over at least {s.min_count} scores: {self.outcome}"
        )


def scores_query(score: str, since: datetime, until: datetime) -> dict:
    return {
        "view": "scores-numeric",
        "metrics": [{"measure": "value", "aggregation": "avg"}, {"measure": "count", "aggregation": "count"}],
        "filters": [{"column": "name", "operator": "=", "value": score, "type": "string"}],
        "fromTimestamp": since.isoformat().replace("+00:00", "Z"),
        "toTimestamp": until.isoformat().replace("+00:00", "Z"),
    }


def run_gate(connection: LangfuseConnection, settings: GateSettings, now: datetime | None = None) -> GateResult:
    until = now or datetime.now(UTC)
    since = until - settings.window
    api = connection.api
    try:
        projects = api.projects.get(request_options=connection.request_options).data
    except Exception as error:  # from_call re-raises what is not Langfuse's answer or its absence
        raise from_call("GET /api/public/projects", connection, error) from None
    if len(projects) != 1 or settings.project not in (projects[0].id, projects[0].name):
        seen = ", ".join(f"{p.name} ({p.id})" for p in projects) or "none"
        raise StepFailed(f"the key belongs to project {seen}, not {settings.project}: gate with a key of the project it judges")
    try:
        query = json.dumps(scores_query(settings.score, since, until))
        rows = api.metrics.metrics(query=query, request_options=connection.request_options).data
    except Exception as error:
        raise from_call("GET /api/public/v2/metrics", connection, error) from None
    row = rows[0] if rows else {}
    count = int(row.get("count_count") or 0)  # ClickHouse quotes 64-bit integers in JSON
    average = _number(row.get("avg_value")) if count else None
    if count < settings.min_count:
        outcome = "too few scores"
    elif average is None or average < settings.minimum:
        outcome = "below the bar"
    else:
        outcome = "passed"
    return GateResult(outcome, projects[0].name, average, count, settings, since)  # type: ignore[arg-type]


def _number(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
