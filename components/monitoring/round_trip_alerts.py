"""The round-trip monitor's alerts (round_trip.py): its gauges hold the last round trip, which runs every
interval; two runs in a row is the bar, so one transient failure does not page."""

from __future__ import annotations

from langfuse_incluster import contract as incluster

from components.monitoring.alert import Alert, in_namespace


def round_trip_alerts(*, namespace: str, interval_seconds: int, latency_seconds: int) -> list[Alert]:
    """`interval_seconds`: a round trip this often; `latency_seconds`: warn above this ingestion-to-queryable."""
    ns = in_namespace(namespace)
    twice = f"{2 * interval_seconds // 60}m"
    stale = 3 * interval_seconds
    success, latency = f"{incluster.ROUND_TRIP_SUCCESS_METRIC}{{{ns}}}", f"{incluster.ROUND_TRIP_QUERYABLE_SECONDS_METRIC}{{{ns}}}"
    last_run = f"{incluster.ROUND_TRIP_LAST_RUN_METRIC}{{{ns}}}"
    return [
        Alert(
            "LangfuseRoundTripFailing", "critical", f"max({success}) == 0", twice,
            "Langfuse's round trip fails",
            "A trace sent through the Langfuse SDK cannot be stored and read back: "
            f"{incluster.ROUND_TRIP_FAILURES_METRIC} and the monitor's log name the failing step (health, readiness, "
            "authenticate, ingest, read-back).",
            "roundtrip", "roundtrip",
        ),
        Alert(
            "LangfuseIngestionSlow", "warning", f"min({latency}) > {latency_seconds}", twice,
            f"Traces take over {latency_seconds} s to become queryable",
            "The last round trips' traces became readable {{ $value | humanizeDuration }} after they were sent: the "
            "worker, Redis or ClickHouse is slow, though nothing is down yet.",
            "roundtrip", "roundtrip",
        ),
        Alert(
            "LangfuseRoundTripNotRunning", "warning",
            f"time() - max({last_run}) > {stale}\nor absent({last_run})", "10m",
            "The Langfuse round-trip monitor reports nothing",
            f"No round trip has ended for over {stale // 60} minutes: the monitor is down or stuck, and the round-trip alerts are blind.",
            "roundtrip", "roundtrip",
        ),
    ]
