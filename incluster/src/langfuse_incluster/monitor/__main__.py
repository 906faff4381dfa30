"""`python -m langfuse_incluster.monitor`: the round trip every LANGFUSE_ROUND_TRIP_INTERVAL_SECONDS against
Langfuse's public URL, its result served to Prometheus on contract.MONITOR_METRICS_PORT. One log line per run.
SIGTERM ends it between runs, or while a read-back waits."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field

from prometheus_client import start_http_server

from langfuse_incluster import contract
from langfuse_incluster.environment import Environment
from langfuse_incluster.monitor.metrics import RoundTripMetrics
from langfuse_incluster.verify.connection import LangfuseConnection
from langfuse_incluster.verify.round_trip import RoundTrip, RoundTripSettings


@dataclass(frozen=True)
class MonitorSettings:
    url: str
    public_key: str
    secret_key: str = field(repr=False)
    interval_seconds: float
    read_back_seconds: float
    ca_file: str | None


def from_environment(env: dict[str, str] | None = None) -> MonitorSettings:
    env = dict(os.environ if env is None else env)

    need = Environment(contract.MONITOR_NAME, env).need

    def seconds(name: str) -> float:
        try:
            value = float(need(name))
        except ValueError:
            value = -1
        if value <= 0:
            raise SystemExit(f"{contract.MONITOR_NAME}: {name}={env[name]!r} is not a number of seconds")
        return value

    return MonitorSettings(
        url=need(contract.ENV_MONITOR_URL),
        public_key=need(contract.ENV_PUBLIC_KEY),
        secret_key=need(contract.ENV_SECRET_KEY),
        interval_seconds=seconds(contract.ENV_MONITOR_INTERVAL_SECONDS),
        read_back_seconds=seconds(contract.ENV_MONITOR_READ_BACK_SECONDS),
        ca_file=env.get(contract.ENV_MONITOR_CA_FILE) or None,
    )


def run_once(trip: RoundTrip, metrics: RoundTripMetrics, log: logging.Logger) -> None:
    report = trip.run()
    metrics.observe(report, trip.queryable_seconds, time.time())
    (log.info if report.ok else log.warning)(report.headline())


def serve(settings: MonitorSettings, metrics: RoundTripMetrics, stop: threading.Event, log: logging.Logger) -> None:
    """Round trips until `stop` is set: between runs, or while a read-back waits."""

    def sleep_unless_stopped(seconds: float) -> None:
        if stop.wait(seconds):
            raise SystemExit(0)

    connection = LangfuseConnection(settings.url, settings.public_key, settings.secret_key, ca_file=settings.ca_file)
    # One client for the process: the SDK keeps one resource manager per public key for the process's life.
    trip = RoundTrip(connection, RoundTripSettings("Langfuse round trip", settings.read_back_seconds), sleep=sleep_unless_stopped)
    try:
        while not stop.is_set():
            started = time.monotonic()
            run_once(trip, metrics, log)
            stop.wait(max(0.0, settings.interval_seconds - (time.monotonic() - started)))
    except SystemExit:
        pass
    finally:
        connection.close()


def main() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(asctime)s %(levelname)s %(message)s")
    for name in ("opentelemetry", "langfuse"):  # the run's one line says what failed
        logging.getLogger(name).setLevel(logging.CRITICAL)
    settings = from_environment()
    metrics = RoundTripMetrics()
    start_http_server(contract.MONITOR_METRICS_PORT, registry=metrics.registry)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    serve(settings, metrics, stop, logging.getLogger(contract.MONITOR_NAME))


if __name__ == "__main__":
    main()
