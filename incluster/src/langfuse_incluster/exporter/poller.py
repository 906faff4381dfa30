"""The polling schedule. Bounded: per project and interval exactly one v2 metrics query, the kinds taking turns
(usage, top traces, usage, top sessions: the usage figures are at most two intervals old, the top lists four),
at most `concurrency` queries in flight, and a project whose query fails waits 2, 4, 8 ... intervals (at most
MAX_BACKOFF, and never less than a Retry-After) before its next one. The cost for N projects and interval T:
N / T queries per second to Langfuse's web (each one ClickHouse query over the project's own rows, grouped
by day, model and level), one LIST of ProjectSettings per cycle, and one GET of a langfuse-keys Secret per
project when its key changes.

Figures are computed when a query answers (UTC days), so "today" rolls over at the first poll after midnight."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from langfuse_incluster.controller.reconcile import LangfuseError
from langfuse_incluster.usage import figures
from langfuse_incluster.usage.queries import CostlyItem, ProjectUsage, Totals, costly_items, top_query, usage_query
from langfuse_incluster.usage.tenants import Tenant

log = logging.getLogger(__name__)
ROTATION = ("usage", "top_traces", "usage", "top_sessions")
MAX_BACKOFF = timedelta(hours=1)
BASELINE_DAYS = 7  # the error rate of today is compared with the 7 days before it


@dataclass(frozen=True)
class UsageFigures:
    month_by_model: dict[str, Totals]
    today_by_model: dict[str, Totals]
    today: Totals
    baseline: Totals  # the BASELINE_DAYS complete days before today
    forecast_usd: float
    truncated: bool


def usage_figures(usage: ProjectUsage, now: datetime) -> UsageFigures:
    today = now.astimezone(UTC).date()
    return UsageFigures(
        month_by_model=usage.by_model(today.replace(day=1), today),
        today_by_model=usage.by_model(today, today),
        today=usage.between(today, today),
        baseline=usage.between(today - timedelta(days=BASELINE_DAYS), today - timedelta(days=1)),
        forecast_usd=figures.forecast_month_end(usage.daily_cost(), now),
        truncated=usage.truncated,
    )


@dataclass
class ProjectState:
    tenant: Tenant
    first_seen: float
    usage: UsageFigures | None = None
    top_traces: tuple[CostlyItem, ...] = ()
    top_sessions: tuple[CostlyItem, ...] = ()
    last_success: dict[str, float] = field(default_factory=dict)
    failures: int = 0
    next_due: float = 0.0
    turn: int = 0


@dataclass(frozen=True)
class PollSettings:
    interval_seconds: float = 300.0
    concurrency: int = 4
    top_n: int = 5


class UsagePoller:
    """`tenants()` lists the projects; `api_for(tenant)` gives that project's UsageApi; `errors(namespace, query,
    status)` counts a failed query (prometheus_client Counter in production)."""

    def __init__(
        self, tenants: Callable[[], tuple[Tenant, ...]], api_for: Callable[[Tenant], object], settings: PollSettings,
        errors: Callable[[str, str, int], None] = lambda *_: None, clock: Callable[[], float] = time.time,
    ) -> None:
        self._tenants, self._api_for, self._settings, self._errors, self._clock = tenants, api_for, settings, errors, clock
        self._states: dict[str, ProjectState] = {}
        self._lock = threading.Lock()
        self.last_cycle_seconds: float | None = None
        self.last_cycle_end: float | None = None

    def cycle(self) -> int:
        """One cycle: refresh the project list, poll every project that is due. Returns the queries sent."""
        started = self._clock()
        tenants = {t.namespace: t for t in self._tenants()}
        with self._lock:
            for namespace in set(self._states) - set(tenants):
                del self._states[namespace]
            for namespace, tenant in tenants.items():
                state = self._states.get(namespace)
                if state is None:
                    self._states[namespace] = ProjectState(tenant, first_seen=started)
                else:
                    state.tenant = tenant
            due = [s for s in self._states.values() if s.next_due <= started]
        with ThreadPoolExecutor(max_workers=self._settings.concurrency) as pool:
            list(pool.map(self._poll, due))
        self.last_cycle_end = self._clock()
        self.last_cycle_seconds = self.last_cycle_end - started
        return len(due)

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            started = self._clock()
            try:
                self.cycle()
            except Exception:  # the Kubernetes list failed: keep serving the last figures, try again next interval
                log.exception("usage poll cycle failed")
            stop.wait(max(0.0, self._settings.interval_seconds - (self._clock() - started)))

    def states(self) -> list[ProjectState]:
        with self._lock:
            return list(self._states.values())

    def _poll(self, state: ProjectState) -> None:
        kind = ROTATION[state.turn % len(ROTATION)]
        tenant, now = state.tenant, self._clock()
        moment = datetime.fromtimestamp(now, UTC)
        try:
            api = self._api_for(tenant)
            if kind == "usage":
                usage = ProjectUsage.from_rows(api.metrics(usage_query(moment, tenant.tag)))
                if usage.truncated:
                    log.warning("%s: the usage answer hit the row limit; the oldest days are missing", tenant.namespace)
                result = usage_figures(usage, moment)
            else:
                dimension = "traceId" if kind == "top_traces" else "sessionId"
                result = costly_items(api.metrics(top_query(moment, dimension, self._settings.top_n, tenant.tag)), dimension)
        except LangfuseError as error:
            self._errors(tenant.namespace, kind, error.status)
            state.failures += 1
            backoff = min(self._settings.interval_seconds * 2**state.failures, MAX_BACKOFF.total_seconds())
            state.next_due = now + max(backoff, error.retry_after or 0.0)
            log.warning("%s: %s query failed (%s); next try in %.0f s", tenant.namespace, kind, error, state.next_due - now)
            return
        with self._lock:
            if kind == "usage":
                state.usage = result
            elif kind == "top_traces":
                state.top_traces = result
            else:
                state.top_sessions = result
            state.last_success[kind] = now
            state.failures, state.turn = 0, state.turn + 1
            # Due again one interval after this cycle's start (a little early, so cycle jitter never skips one).
            state.next_due = now + self._settings.interval_seconds * 0.9
