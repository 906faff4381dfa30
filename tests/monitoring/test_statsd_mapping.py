"""Langfuse's metrics, end to end as far as this machine allows: the DogStatsD lines come from Langfuse's own
client (dd-trace 5.109.0, the version Langfuse v4.16.0 pins, run by Node.js with exactly the DD_* environment
the rendered worker Deployment sets), sent over UDP after the same HTTP proxy attempt the exporter answers
with 404; the rendered mapping then turns them into Prometheus series (statsd_mapper.py: the exporter's
documented semantics, since its binary is in no registry this project installs from)."""

from __future__ import annotations

import http.server
import json
import os
import socket
import subprocess
import threading
from pathlib import Path

import pytest
import yaml

from tests.conftest import container, find
from tests.monitoring.statsd_mapper import Exporter, parse_line

PROBE = Path(__file__).with_name("dogstatsd")

# Calls as Langfuse v4.16.0 makes them (file: call), same names, values and tag keys.
LANGFUSE_CALLS = [
    # worker/src/features/queue-metrics-runner/index.ts: emitDepth(...) for the sharded ingestion queue
    ["gauge", "langfuse.queue.ingestion.depth", 1200, {"shard": "all", "type": "waiting", "unit": "records"}],
    ["gauge", "langfuse.queue.ingestion.depth", 3, {"shard": "all", "type": "failed", "unit": "records"}],
    ["gauge", "langfuse.queue.otel_ingestion.depth", 40, {"shard": "all", "type": "waiting", "unit": "records"}],
    # ... and the oldest dead-lettered job
    ["gauge", "langfuse.queue.ingestion.dlq_oldest_age", 90000, {"shard": "all", "unit": "milliseconds"}],
    # worker/src/queues/workerManager.ts: per job
    ["increment", "langfuse.queue.ingestion.rate", 1, {"type": "request", "shard": "ingestion-queue"}],
    ["increment", "langfuse.queue.ingestion.rate", 1, {"type": "failed", "shard": "ingestion-queue"}],
    ["distribution", "langfuse.queue.ingestion.time_distribution", 180, {"type": "wait", "unit": "milliseconds", "shard": "ingestion-queue"}],
    # worker/src/services/ClickhouseWriter/index.ts
    ["increment", "langfuse.queue.clickhouse_writer.request", 1, None],
    ["increment", "langfuse.queue.clickhouse_writer.error", 1, None],
    ["histogram", "langfuse.queue.clickhouse_writer.wait_time", 40, {"unit": "milliseconds"}],
    ["histogram", "langfuse.queue.clickhouse_writer.wait_time", 60, {"unit": "milliseconds"}],
    ["gauge", "ingestion_clickhouse_insert_queue_length", 17, {"unit": "records", "entity_type": "observations"}],
    # packages/shared/src/server/ingestion/processEventBatch.ts
    ["increment", "langfuse.ingestion.event", 25, {"source": "api"}],
    # packages/shared/src/server/auth/apiKeys.ts: not mapped, must be dropped
    ["increment", "langfuse.api_key.cache_hit", 1, None],
]


class _NotAnAgent(http.server.BaseHTTPRequestHandler):
    """What the exporter's HTTP port answers to dd-trace's /dogstatsd/v2/proxy: 404."""

    posts: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's method name
        self.rfile.read(int(self.headers.get("content-length") or 0))
        _NotAnAgent.posts.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def received(plans) -> list[str]:
    env_of_worker = {e["name"]: e.get("value") for e in container(find(plans["prod"], "Deployment", "langfuse-worker"))["env"]}
    dd_env = {k: v for k, v in env_of_worker.items() if k.startswith("DD_")}
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.settimeout(5)
    agent = http.server.HTTPServer(("127.0.0.1", 0), _NotAnAgent)
    threading.Thread(target=agent.serve_forever, daemon=True).start()
    # The rendered environment, with the Service's host and ports swapped for loopback.
    dd_env.update(
        DD_AGENT_HOST="127.0.0.1",
        DD_DOGSTATSD_PORT=str(udp.getsockname()[1]),
        DD_TRACE_AGENT_URL=f"http://127.0.0.1:{agent.server_address[1]}",
    )
    run = subprocess.run(
        ["node", str(PROBE / "emit.js"), json.dumps(LANGFUSE_CALLS)],
        env={**{k: v for k, v in os.environ.items() if not k.startswith("DD_")}, **dd_env},
        capture_output=True, text=True, timeout=120, cwd=PROBE,
    )
    assert run.returncode == 0, run.stderr
    lines: list[str] = []
    try:
        while True:
            lines += [line for line in udp.recv(65535).decode().split("\n") if line]
    except TimeoutError:
        pass
    agent.shutdown()
    assert _NotAnAgent.posts == ["/dogstatsd/v2/proxy"]  # one try at the agent's proxy, then UDP only
    return lines


@pytest.fixture(scope="module")
def exporter(plans, received) -> Exporter:
    mapping = yaml.safe_load(find(plans["prod"], "ConfigMap", "langfuse-statsd-exporter-mapping")["data"]["mapping.yaml"])
    exporter = Exporter(mapping)
    for line in received:
        exporter.receive(line)
    return exporter


def test_the_client_sends_what_langfuse_emits_with_the_deployment_tags(received):
    samples = [parse_line(line) for line in received]
    assert {s.name for s in samples} >= {"langfuse.queue.ingestion.depth", "langfuse.ingestion.event", "langfuse.queue.clickhouse_writer.wait_time.max"}
    depth = next(s for s in samples if s.name == "langfuse.queue.ingestion.depth" and s.tags["type"] == "waiting")
    assert (depth.type, depth.value) == ("gauge", 1200)
    assert {k: depth.tags[k] for k in ("service", "env", "version")} == {"service": "langfuse-worker", "env": "prod", "version": "4.16.0"}


def test_queue_backlog_becomes_langfuse_queue_depth(exporter):
    assert exporter.value("langfuse_queue_depth", queue="ingestion", type="waiting", shard="all") == 1200
    assert exporter.value("langfuse_queue_depth", queue="ingestion", type="failed", shard="all") == 3
    assert exporter.value("langfuse_queue_depth", queue="otel_ingestion", type="waiting") == 40
    assert exporter.value("langfuse_queue_dlq_oldest_age_milliseconds", queue="ingestion", shard="all") == 90000


def test_jobs_and_their_durations(exporter):
    assert exporter.value("langfuse_queue_jobs_total", queue="ingestion", type="request") == 1
    assert exporter.value("langfuse_queue_jobs_total", queue="ingestion", type="failed") == 1
    assert exporter.value("langfuse_queue_job_duration_milliseconds_count", queue="ingestion", type="wait") == 1
    assert exporter.value("langfuse_queue_job_duration_milliseconds_bucket", queue="ingestion", type="wait", le="250") == 1
    assert exporter.value("langfuse_queue_job_duration_milliseconds_bucket", queue="ingestion", type="wait", le="100") is None


def test_clickhouse_writer(exporter):
    assert exporter.value("langfuse_clickhouse_writer_flushes_total") == 1
    assert exporter.value("langfuse_clickhouse_writer_errors_total") == 1
    # dd-trace aggregates a histogram into gauges and counters per flush.
    assert exporter.value("langfuse_clickhouse_writer_wait_time_milliseconds", stat="max") == 60
    assert 40 <= exporter.value("langfuse_clickhouse_writer_wait_time_milliseconds", stat="median") <= 60  # a sketch, approximate
    assert exporter.value("langfuse_clickhouse_writer_wait_time_count_total") == 2
    assert exporter.value("langfuse_clickhouse_writer_queue_length", entity_type="observations") == 17


def test_ingestion_events_and_nothing_unmapped(exporter):
    assert exporter.value("langfuse_ingestion_events_total", source="api") == 25
    assert not [name for name in exporter.names() if "api_key" in name or not name.startswith("langfuse_")]
