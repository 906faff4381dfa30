"""Langfuse's scheduled blob export, as its v4.16.0 worker writes it, reproduced over a real ClickHouse engine
(chdb) so the analytics tests load files with exactly Langfuse's columns, types and layout.

- The rows live in Langfuse's own `events_full` table (tests/data/langfuse/clickhouse, migration 0039 as shipped).
- EXPORT_QUERY is the statement `buildEventsForBlobStorageExportQuery` builds for every field group
  (packages/shared/src/server/repositories/events.ts; EventsQueryBuilder, FIELD_SETS and EVENTS_FIELDS in
  packages/shared/src/server/queries/clickhouse-sql/event-query-builder.ts): the groups' columns in the builder's
  order, full input/output after them, `metrics` as raw expressions last, `FROM events_full e`, the project
  filter first, both window ends inclusive, `is_deleted = 0`, `LIMIT 1 BY e.span_id, e.project_id`.
- Parquet: that query `FORMAT Parquet` with BLOB_EXPORT_PARQUET_CLICKHOUSE_SETTINGS (repositories/clickhouse.ts)
  and latency converted to seconds in SQL, as for every integration created since 2026-04-01 (this project's).
- JSON lines: the standard path: the query's rows (latency in milliseconds) through the worker's
  enrichObservationStream (model prices added as Prisma Decimals, which serialise as strings; latency and
  time to first token divided by 1000) and JSON.stringify per line, gzip-compressed (`compressed` defaults to
  true). JavaScript and Python may spell a small float differently (0.00001 vs 1e-05); ClickHouse reads both.
- Keys: `{prefix}{projectId}/{table}/{maxTimestamp}.{ext}`, timestamps ISO without colons or milliseconds
  (formatBlobExportTimestamp), and the manifest last (worker src/features/blobstorage/manifest.ts), uploaded
  with no SSE header (StorageService with awsSse undefined).
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from infra.offline_plan.plan import PROJECT_ROOT

EVENTS_FULL_DDL = PROJECT_ROOT / "tests" / "data" / "langfuse" / "clickhouse" / "0039_create_events_full.up.sql"

_METRICS_MS = (
    "if(isNull(e.end_time), NULL, date_diff('millisecond', e.start_time, e.end_time)) as latency",
    "if(isNull(e.completion_start_time), NULL, date_diff('millisecond', e.start_time, e.completion_start_time)) as \"time_to_first_token\"",
)
_METRICS_SECONDS = (  # EVENTS_EXPORT_METRICS_SECONDS_SQL
    "if(isNull(e.end_time), NULL, date_diff('millisecond', e.start_time, e.end_time) / 1000) as latency",
    "if(isNull(e.completion_start_time), NULL, date_diff('millisecond', e.start_time, e.completion_start_time) / 1000) as \"time_to_first_token\"",
)
_GROUP_FIELDS = (
    # core
    "e.span_id as id", 'e.trace_id as "trace_id"', 'e.start_time as "start_time"', 'e.end_time as "end_time"', 'e.project_id as "project_id"',
    'e.parent_span_id as "parent_observation_id"', "e.type as type",
    # basic
    "e.name as name", "e.level as level", 'e.status_message as "status_message"', "e.version as version", 'e.environment as "environment"',
    "e.bookmarked as bookmarked", "e.public as public", 'e.user_id as "user_id"', 'e.session_id as "session_id"',
    "toBool((e.parent_span_id = '' OR e.is_app_root = true)) as \"is_root_observation\"",
    # time
    'e.completion_start_time as "completion_start_time"', 'e.created_at as "created_at"', 'e.updated_at as "updated_at"',
    # metadata
    "mapFromArrays(arrayReverse(e.metadata_names), arrayReverse(e.metadata_values)) as metadata",
    # model (the model_export field set)
    'e.provided_model_name as "provided_model_name"', 'e.model_id as "model_id"', 'e."model_parameters" as model_parameters',
    # usage
    'e.usage_details as "usage_details"', 'e.cost_details as "cost_details"', 'e.total_cost as "total_cost"',
    'e.usage_pricing_tier_id as "usage_pricing_tier_id"', 'e.usage_pricing_tier_name as "usage_pricing_tier_name"',
    # prompt
    'e.prompt_id as "prompt_id"', 'e.prompt_name as "prompt_name"', 'e.prompt_version as "prompt_version"',
)
_TRACE_CONTEXT_AND_TOOLS = (
    "e.tags as tags", "e.release as release",
    "ifNull(COALESCE(nullIf(e.trace_name, ''), if((e.parent_span_id = '' OR e.is_app_root = true), nullIf(e.name, ''), NULL)), '') as \"trace_name\"",
    'e.tool_definitions as "tool_definitions"', 'e.tool_calls as "tool_calls"', 'e.tool_call_names as "tool_call_names"',
)


def export_query(latency_in_seconds: bool) -> str:
    # The standard path selects `metrics` as a field set (between prompt and trace_context); the Parquet and
    # passthrough paths add the seconds expressions raw, after input and output.
    if latency_in_seconds:
        fields = (*_GROUP_FIELDS, *_TRACE_CONTEXT_AND_TOOLS, "input, output", *_METRICS_SECONDS)
    else:
        fields = (*_GROUP_FIELDS, *_METRICS_MS, *_TRACE_CONTEXT_AND_TOOLS, "input, output")
    return (
        "SELECT\n  " + ",\n  ".join(fields) + "\nFROM events_full e\n"
        "WHERE e.project_id = {projectId: String}\n"
        "  AND e.start_time >= {minTimestamp: DateTime64(3)} AND e.start_time <= {maxTimestamp: DateTime64(3)}\n"
        "  AND e.is_deleted = 0\n"
        "LIMIT 1 BY e.span_id, e.project_id"
    )


PARQUET_SETTINGS = (
    "output_format_parquet_row_group_size = 1000000, output_format_parquet_row_group_size_bytes = 134217728, max_block_size = 8192, "
    "output_format_parquet_batch_size = 16, output_format_parquet_max_dictionary_size = 0"
)
# Model prices the worker's model cache would find (Postgres `prices`, Prisma Decimal -> JSON string).
MODEL_PRICES = {"gpt-4o": ("0.0000025", "0.00001", None), "claude-sonnet-4": ("0.000003", "0.000015", None)}


def timestamp(moment: datetime) -> str:
    """formatBlobExportTimestamp: toISOString() with ':' -> '-', first 19 characters."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H-%M-%S")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _ch(moment: datetime) -> str:
    """convertDateToClickhouseDateTime: 'YYYY-MM-DD HH:MM:SS.mmm' in UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


@dataclass
class ExportRun:
    project_id: str
    window: tuple[datetime, datetime]
    files: list[dict]
    manifest_key: str
    manifest: bytes


class LangfuseExporter:
    """Writes one project's export runs into S3 as the worker would."""

    def __init__(self, connection, s3, bucket: str, prefix: str) -> None:
        self.connection, self.s3, self.bucket, self.prefix = connection, s3, bucket, prefix

    def _rows(self, project_id: str, start: datetime, end: datetime, fmt: str, seconds: bool) -> bytes:
        params = {"projectId": project_id, "minTimestamp": _ch(start), "maxTimestamp": _ch(end)}
        sql = export_query(seconds) + (f"\nSETTINGS {PARQUET_SETTINGS}" if fmt == "Parquet" else "")
        # Langfuse's query names its table unqualified, in the database the worker's client connects to.
        self.connection.query("USE langfuse")
        try:
            return self.connection.query(sql, fmt, params=params).bytes()
        finally:
            self.connection.query("USE default")

    def run(self, project_id: str, start: datetime, end: datetime, file_type: str = "PARQUET", commit: bool = True,
            extra_files: tuple[dict, ...] = ()) -> ExportRun:
        """One export run of [start, end] (both inclusive): the observations_v2 and scores files, then (unless
        commit is False: a run whose manifest is still to come) the manifest."""
        stem = f"{self.prefix}{project_id}"
        ts = timestamp(end)
        if file_type == "PARQUET":
            body = self._rows(project_id, start, end, "Parquet", seconds=True)
            key, content_type, fmt, compressed = f"{stem}/observations_v2/{ts}.parquet", "application/vnd.apache.parquet", "parquet", False
        else:
            lines = []
            for line in self._rows(project_id, start, end, "JSONEachRow", seconds=False).decode().splitlines():
                row = json.loads(line)
                prices = MODEL_PRICES.get(row.get("provided_model_name"), (None, None, None))
                row["input_price"], row["output_price"], row["total_price"] = prices
                for column in ("latency", "time_to_first_token"):
                    if row[column] is not None:
                        row[column] = row[column] / 1000
                lines.append(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
            body = gzip.compress("".join(lines).encode())
            key, content_type, fmt, compressed = f"{stem}/observations_v2/{ts}.jsonl.gz", "application/gzip", "jsonl-gzip", True
        rows = None if file_type == "PARQUET" else len(lines)  # the worker counts text rows, not Parquet's
        files = [self._put(key, body, "observations_v2", file_type, fmt, compressed, content_type, rows)]
        # The scores table of the same run (the loader does not read it: an empty file stands in for it here).
        scores = self.connection.query("SELECT '' AS id WHERE 0", "Parquet").bytes()
        files.append(self._put(f"{stem}/scores/{ts}.parquet", scores, "scores", "PARQUET", "parquet", False, "application/vnd.apache.parquet", None))
        files += list(extra_files)
        manifest = {
            "version": 1, "projectId": project_id, "exportSource": "EVENTS",
            "window": {"minTimestamp": _iso(start), "maxTimestamp": _iso(end)}, "maxTimestamp": _iso(end),
            "createdAt": _iso(end + timedelta(minutes=20)), "tables": list(dict.fromkeys(f["table"] for f in files)), "files": files,
        }
        text = (json.dumps(manifest, indent=2) + "\n").encode()
        manifest_key = f"{stem}/manifests/{ts}.json"
        run = ExportRun(project_id, (start, end), files, manifest_key, text)
        if commit:
            self.commit(run)
        return run

    def commit(self, run: ExportRun) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=run.manifest_key, Body=run.manifest, ContentType="application/json; charset=utf-8")

    def _put(self, key: str, body: bytes, table: str, file_type: str, fmt: str, compressed: bool, content_type: str, rows: int | None) -> dict:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type)
        return {"key": key, "table": table, "fileType": file_type, "format": fmt, "compressed": compressed, "contentType": content_type,
                "sizeBytes": len(body), "rowCount": rows}
