"""How Langfuse's DogStatsD metrics become Prometheus series (statsd_exporter's mapping format).

Langfuse has no Prometheus endpoint; it sends DogStatsD through dd-trace's client (dd.dogstatsd in
packages/shared/src/server/instrumentation/index.ts, v4.16.0), which aggregates for 10 s and sends gauges
(g), counters (c), distributions (d), and a histogram as gauges .min/.max/.avg/.median/.95percentile plus
counters .sum/.total/.count (dd-trace 5.109.0, packages/dd-trace/src/dogstatsd.js). DogStatsD tags become
labels. The names below are the ones Langfuse v4.16.0 emits:

- worker/src/features/queue-metrics-runner: `langfuse.queue.<queue>.depth` (tags type: waiting|failed|active,
  shard, unit) and `.dlq_oldest_age` (ms), queue = the BullMQ queue name with "-" -> "_" and "_queue" cut
  (convertQueueNameToMetricName), e.g. ingestion-queue -> langfuse.queue.ingestion.
- worker/src/queues/workerManager.ts: `langfuse.queue.<queue>.rate` (type: request|completed|failed|error|
  stalled) and `.time_distribution` (type: wait|processing, ms).
- worker/src/services/ClickhouseWriter: `langfuse.queue.clickhouse_writer.{request,error,rows_dropped}`,
  histograms `...wait_time` / `...processing_time`, gauge `ingestion_clickhouse_insert_queue_length`.
- packages/shared/src/server/ingestion/processEventBatch.ts: `langfuse.ingestion.event` (tag source).

Everything else is dropped: several metrics carry per-project tags, which would explode cardinality.
"""

from __future__ import annotations

from typing import Any

# Milliseconds: queue waits range from milliseconds to hours when a backlog builds.
DURATION_BUCKETS_MS = [5, 25, 100, 250, 1000, 2500, 10000, 30000, 60000, 300000, 900000, 3600000]


def _glob(match: str, name: str, metric_type: str | None = None, **labels: str) -> dict[str, Any]:
    mapping: dict[str, Any] = {"match": match, "name": name}
    if metric_type is not None:
        mapping["match_metric_type"] = metric_type
    if labels:
        mapping["labels"] = labels
    return mapping


MAPPINGS: list[dict[str, Any]] = [
    # ClickHouse writer first: its names also match the generic langfuse.queue.* patterns below.
    _glob("langfuse.queue.clickhouse_writer.request", "langfuse_clickhouse_writer_flushes_total", "counter"),
    _glob("langfuse.queue.clickhouse_writer.error", "langfuse_clickhouse_writer_errors_total", "counter"),
    _glob("langfuse.queue.clickhouse_writer.rows_dropped", "langfuse_clickhouse_writer_rows_dropped_total", "counter"),
    _glob("langfuse.queue.clickhouse_writer.*.*", "langfuse_clickhouse_writer_$1_milliseconds", "gauge", stat="$2"),
    _glob("langfuse.queue.clickhouse_writer.*.*", "langfuse_clickhouse_writer_$1_$2_total", "counter"),
    _glob("ingestion_clickhouse_insert_queue_length", "langfuse_clickhouse_writer_queue_length", "gauge"),
    # Queues (BullMQ): backlog, oldest dead letter, job throughput and durations.
    _glob("langfuse.queue.*.depth", "langfuse_queue_depth", "gauge", queue="$1"),
    _glob("langfuse.queue.*.dlq_oldest_age", "langfuse_queue_dlq_oldest_age_milliseconds", "gauge", queue="$1"),
    _glob("langfuse.queue.*.rate", "langfuse_queue_jobs_total", "counter", queue="$1"),
    _glob("langfuse.queue.*.time_distribution", "langfuse_queue_job_duration_milliseconds", "observer", queue="$1"),
    # Ingestion API.
    _glob("langfuse.ingestion.event", "langfuse_ingestion_events_total", "counter"),
    {"match": ".", "match_type": "regex", "action": "drop", "name": "dropped"},
]

MAPPING_CONFIG: dict[str, Any] = {
    "defaults": {
        "observer_type": "histogram",
        "histogram_options": {"buckets": DURATION_BUCKETS_MS},
        # A queue or shard that stops reporting disappears instead of freezing at its last value.
        "ttl": "10m",
    },
    "mappings": MAPPINGS,
}
