"""The last round trip as Prometheus metrics (prometheus_client), read by the PrometheusRule's round-trip alerts
(components/monitoring/round_trip_alerts.py)."""

from __future__ import annotations

import math

from prometheus_client import CollectorRegistry, Counter, Gauge

from langfuse_incluster import contract
from langfuse_incluster.verify.report import Report
from langfuse_incluster.verify.round_trip import STEPS


class RoundTripMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r, step = self.registry, [contract.ROUND_TRIP_STEP_LABEL]
        self.success = Gauge(contract.ROUND_TRIP_SUCCESS_METRIC, "1 when the last round trip passed, 0 when it failed", registry=r)
        self.seconds = Gauge(contract.ROUND_TRIP_SECONDS_METRIC, "Wall time of the last round trip", registry=r)
        self.queryable = Gauge(
            contract.ROUND_TRIP_QUERYABLE_SECONDS_METRIC,
            "Seconds from the SDK's flush to the trace readable through the public API, last round trip (+Inf past the bound, NaN if not reached)",
            registry=r,
        )
        self.last_run = Gauge(contract.ROUND_TRIP_LAST_RUN_METRIC, "When the last round trip ended (Unix time)", registry=r)
        self.step_seconds = Gauge(contract.ROUND_TRIP_STEP_SECONDS_METRIC, "Time of each step of the last round trip", step, registry=r)
        self.failures = Counter(contract.ROUND_TRIP_FAILURES_METRIC.removesuffix("_total"), "Round trips that failed, by the step", step, registry=r)
        for name in STEPS[:-1]:  # the monitor has no event-objects step (no AWS role)
            self.failures.labels(name)

    def observe(self, report: Report, queryable_seconds: float | None, ended_at: float) -> None:
        self.success.set(1 if report.ok else 0)
        self.seconds.set(report.seconds)
        self.queryable.set(math.nan if queryable_seconds is None else queryable_seconds)
        self.last_run.set(ended_at)
        self.step_seconds.clear()
        for step in report.steps:
            self.step_seconds.labels(step.name).set(step.seconds)
        if report.failed is not None:
            self.failures.labels(report.failed.name).inc()
