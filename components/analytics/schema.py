"""The analytics cluster's tables, as the statements the schema Job runs (and the tests run in chdb).

- `observations_local` on every shard: ReplicatedReplacingMergeTree with `updated_at` as the version, so two
  copies of an observation (Langfuse's export windows are inclusive at both ends, and a re-export repeats rows)
  collapse into the newest. The sorting key is (project_id, hour of start_time, id): the same identity Langfuse's
  own events table deduplicates on (project_id, start_time, span_id: packages/shared/clickhouse/migrations/
  clustered/0039_create_events_full.up.sql at v4.16.0), so reads use FINAL. Engine arguments are left to the
  server's defaults (Keeper path /clickhouse/tables/{uuid}/{shard}, replica {replica}), as Langfuse's own
  clustered migrations do.
- `observations`, a Distributed table over them, sharded by SHARDING_KEY (README, "Analytics cluster": why).
- `export_manifests[_local]`: which committed export runs were loaded, when, and what they covered; the
  loader's memory and the compliance queries' ledger. Sharded by project, so a project's ledger is one shard's.
- TTL from `analytics.retentionDays`, on the observation's start time (and a manifest's window end).
"""

from __future__ import annotations

DATABASE = "analytics"
CLUSTER = "analytics"
OBSERVATIONS = f"{DATABASE}.observations"
OBSERVATIONS_LOCAL = f"{DATABASE}.observations_local"
MANIFESTS = f"{DATABASE}.export_manifests"
MANIFESTS_LOCAL = f"{DATABASE}.export_manifests_local"
# Every observation of a trace on one shard, every version of an observation with it: per-shard FINAL is the
# global deduplication, and a trace's spans aggregate without a shuffle. Distributed picks the shard as the
# expression modulo the shards' total weight (ClickHouse docs, "Distributed table engine", sharding key).
SHARDING_KEY = "cityHash64(project_id, trace_id)"
MANIFEST_SHARDING_KEY = "cityHash64(project_id)"
ON_CLUSTER = f"ON CLUSTER '{CLUSTER}'"

# The analytics table: Langfuse's v2 observation columns the dashboards and reports read (types as Langfuse's
# events table has them), plus the attribution and lineage this project adds. input, output and metadata are
# not copied: no dashboard reads them, and a second store of prompts and completions is a second place to
# secure and to erase from (the export files keep them for warehouses).
OBSERVATION_COLUMNS: tuple[tuple[str, str], ...] = (
    ("project_id", "String"),
    ("id", "String"),
    ("trace_id", "String"),
    ("parent_observation_id", "String"),
    ("start_time", "DateTime64(6, 'UTC')"),
    ("end_time", "Nullable(DateTime64(6, 'UTC'))"),
    ("completion_start_time", "Nullable(DateTime64(6, 'UTC'))"),
    ("created_at", "DateTime64(6, 'UTC')"),
    ("updated_at", "DateTime64(6, 'UTC')"),
    ("type", "LowCardinality(String)"),
    ("name", "String"),
    ("level", "LowCardinality(String)"),
    ("status_message", "String"),
    ("version", "String"),
    ("environment", "LowCardinality(String)"),
    ("user_id", "String"),
    ("session_id", "String"),
    ("is_root_observation", "Bool"),
    ("trace_name", "String"),
    ("tags", "Array(String)"),
    ("release", "String"),
    ("provided_model_name", "LowCardinality(String)"),
    ("model_id", "String"),
    ("usage_details", "Map(LowCardinality(String), UInt64)"),
    ("cost_details", "Map(LowCardinality(String), Decimal(18, 12))"),
    ("total_cost", "Decimal(18, 12)"),
    ("prompt_name", "String"),
    ("prompt_version", "Nullable(UInt16)"),
    ("tool_call_names", "Array(String)"),
    # Seconds, from the timestamps, with Langfuse's own expressions (EVENTS_EXPORT_METRICS_SECONDS_SQL,
    # packages/shared/src/server/repositories/events.ts): the export's latency column is in milliseconds for
    # integrations created before 2026-04-01 and in seconds after, which a file does not say.
    ("latency", "Nullable(Float64)"),
    ("time_to_first_token", "Nullable(Float64)"),
    # The team a cost belongs to: a `team:<name>` tag, else the platform runner's `namespace:<ns>` tag (the
    # platform project), else the Langfuse project.
    ("team", "LowCardinality(String)"),
    ("source_file", "String"),  # the export file the row was last loaded from
    ("loaded_at", "DateTime64(3, 'UTC')"),
)
MANIFEST_COLUMNS: tuple[tuple[str, str], ...] = (
    ("path", "String"),  # bucket/key of the manifest
    ("project_id", "String"),
    ("export_source", "LowCardinality(String)"),
    ("window_start", "DateTime64(3, 'UTC')"),
    ("window_end", "DateTime64(3, 'UTC')"),
    ("exported_at", "DateTime64(3, 'UTC')"),
    ("observation_files", "UInt32"),
    ("loaded_files", "UInt32"),
    ("skipped", "String"),  # why files were not loaded ('' when all were)
    ("loaded_at", "DateTime64(3, 'UTC')"),
)


def _columns(columns: tuple[tuple[str, str], ...]) -> str:
    return ",\n    ".join(f"{name} {kind}" for name, kind in columns)


def observations_ttl(retention_days: int) -> str:
    return f"toDateTime(start_time) + INTERVAL {retention_days} DAY"


def schema_statements(retention_days: int) -> list[str]:
    """Idempotent DDL, in order; ON CLUSTER runs each on every replica of every shard (through Keeper)."""
    return [
        f"CREATE DATABASE IF NOT EXISTS {DATABASE} {ON_CLUSTER}",
        f"""CREATE TABLE IF NOT EXISTS {OBSERVATIONS_LOCAL} {ON_CLUSTER}
(
    {_columns(OBSERVATION_COLUMNS)}
)
ENGINE = ReplicatedReplacingMergeTree(updated_at)
PARTITION BY toYYYYMM(start_time)
ORDER BY (project_id, toStartOfHour(start_time), id)
TTL {observations_ttl(retention_days)}""",
        # CREATE ... IF NOT EXISTS leaves an existing table alone: a changed retention reaches it here.
        f"ALTER TABLE {OBSERVATIONS_LOCAL} {ON_CLUSTER} MODIFY TTL {observations_ttl(retention_days)}",
        f"""CREATE TABLE IF NOT EXISTS {OBSERVATIONS} {ON_CLUSTER} AS {OBSERVATIONS_LOCAL}
ENGINE = Distributed('{CLUSTER}', '{DATABASE}', 'observations_local', {SHARDING_KEY})""",
        f"""CREATE TABLE IF NOT EXISTS {MANIFESTS_LOCAL} {ON_CLUSTER}
(
    {_columns(MANIFEST_COLUMNS)}
)
ENGINE = ReplicatedReplacingMergeTree(loaded_at)
ORDER BY (project_id, path)
TTL toDateTime(window_end) + INTERVAL {retention_days} DAY""",
        f"ALTER TABLE {MANIFESTS_LOCAL} {ON_CLUSTER} MODIFY TTL toDateTime(window_end) + INTERVAL {retention_days} DAY",
        f"""CREATE TABLE IF NOT EXISTS {MANIFESTS} {ON_CLUSTER} AS {MANIFESTS_LOCAL}
ENGINE = Distributed('{CLUSTER}', '{DATABASE}', 'export_manifests_local', {MANIFEST_SHARDING_KEY})""",
    ]
