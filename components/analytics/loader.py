"""The loader: scheduled INSERT ... SELECT FROM s3() of Langfuse's export files, driven by their manifests.

Langfuse writes a run's files first and its manifest last (the run's commit point), at
`{prefix}{projectId}/manifests/{maxTimestamp}.json` (worker src/features/blobstorage/manifest.ts, v4.16.0), so
a file without a manifest is not yet committed and is left alone; a retried run overwrites the same keys before
writing its manifest. Each run of the loader:

1. reads the paths of the manifests already loaded from the cluster (`export_manifests`);
2. lists the prefix's manifests in ClickHouse itself (`s3(..., 'One')` reads no object, only the listing);
3. for each new one, oldest first: reads it, loads every `observations_v2` file it lists (Parquet or JSON
   lines, gzip or not, by the manifest's `format`) into the Distributed table, then records the manifest.

A crash between 3's loads and its record loads those files again next time: the tables' ReplacingMergeTree
(and FINAL in every query) absorbs the copies, as it absorbs the rows that both ends of consecutive windows
share (manifest.ts: "both bounds inclusive").

The S3 side runs in `clickhouse-local` (ClickHouse's own engine, in the server image) under the loader pod's
IAM role, which may only list and read the exports prefix; rows stream into the cluster through
`clickhouse-client` (TLS, verified) in the Native format. The servers' own role writes backups and reads no
exports, so the two never share a role.
"""

from __future__ import annotations

from components.analytics.schema import MANIFESTS, OBSERVATIONS
from components.common.script_files import render_script

# The columns of Langfuse's v2 observation export the loader reads, with the types ClickHouse reads them as
# from Parquet and from JSON lines alike (packages/shared/src/server/queries/clickhouse-sql/event-query-builder.ts,
# FIELD_SETS; types of events_full in migration 0039; Parquet from `FORMAT Parquet`, JSON lines through
# the worker's JSON.stringify). Quotes are escaped: this text is itself a string literal of the statement.
EXPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "String"),
    ("trace_id", "String"),
    ("project_id", "String"),
    ("parent_observation_id", "String"),
    ("start_time", "DateTime64(6, \\'UTC\\')"),
    ("end_time", "Nullable(DateTime64(6, \\'UTC\\'))"),
    ("completion_start_time", "Nullable(DateTime64(6, \\'UTC\\'))"),
    ("created_at", "DateTime64(6, \\'UTC\\')"),
    ("updated_at", "DateTime64(6, \\'UTC\\')"),
    ("type", "String"),
    ("name", "String"),
    ("level", "String"),
    ("status_message", "String"),
    ("version", "String"),
    ("environment", "String"),
    ("user_id", "String"),
    ("session_id", "String"),
    ("is_root_observation", "Bool"),
    ("trace_name", "String"),
    ("tags", "Array(String)"),
    ("release", "String"),
    ("provided_model_name", "String"),
    ("model_id", "String"),
    ("usage_details", "Map(String, UInt64)"),
    ("cost_details", "Map(String, Decimal(18, 12))"),
    ("total_cost", "Decimal(18, 12)"),
    ("prompt_name", "String"),
    ("prompt_version", "Nullable(UInt16)"),
    ("tool_call_names", "Array(String)"),
)
EXPORT_STRUCTURE = ", ".join(f"{name} {kind}" for name, kind in EXPORT_COLUMNS)
TEAM = (
    "coalesce(nullIf(substring(arrayFirst(t -> startsWith(t, 'team:'), tags), 6), ''), "
    "nullIf(substring(arrayFirst(t -> startsWith(t, 'namespace:'), tags), 11), ''), project_id)"
)
DERIVED = (
    "if(isNull(end_time), NULL, date_diff('millisecond', start_time, end_time) / 1000) AS latency",
    "if(isNull(completion_start_time), NULL, date_diff('millisecond', start_time, completion_start_time) / 1000) AS time_to_first_token",
    f"{TEAM} AS team",
)
INSERTED = [name for name, _ in EXPORT_COLUMNS] + ["latency", "time_to_first_token", "team", "source_file", "loaded_at"]
# The manifest's `format` of each file (BlobExportFormat, handleBlobStorageIntegrationProjectJob.ts) and the
# ClickHouse input format that reads it; s3() decompresses `.gz` by its extension. A JSON file is one array,
# which JSONEachRow also reads. CSV is not loaded (Langfuse writes maps and arrays in it as JSON text).
INPUT_FORMATS = {"parquet": "Parquet", "jsonl-raw": "JSONEachRow", "jsonl-gzip": "JSONEachRow", "json-raw": "JSONEachRow", "json-gzip": "JSONEachRow"}
TABLE = "observations_v2"  # the v2 observations' folder (OBSERVATIONS_V2 source)
MANIFEST_VERSION = 1  # BLOB_EXPORT_MANIFEST_VERSION
# A key the loader splices into a statement: what Langfuse's layout produces (cuid project ids, ISO timestamps).
SAFE_KEY = "^[A-Za-z0-9/._=-]+$"
UNSAFE_KEY = "(a key outside the export layout)"
MAX_MANIFESTS_PER_RUN = 2000
# A Distributed insert returns once every shard has its rows (not queued on the initiator).
INSERT_SETTINGS = "distributed_foreground_insert = 1"


def observations_select(url: str, input_format: str, key: str) -> str:
    """Rows of one export file, as the analytics table takes them."""
    columns = ",\n  ".join([*(name for name, _ in EXPORT_COLUMNS), *DERIVED, f"'{key}' AS source_file", "now64(3) AS loaded_at"])
    return f"SELECT\n  {columns}\nFROM s3('{url}', '{input_format}', '{EXPORT_STRUCTURE}')"


def observations_insert() -> str:
    return f"INSERT INTO {OBSERVATIONS} ({', '.join(INSERTED)}) SETTINGS {INSERT_SETTINGS} FORMAT Native"


def pending_manifests(manifests_glob: str, loaded_file: str, limit: int = MAX_MANIFESTS_PER_RUN) -> str:
    """Committed runs not loaded yet, oldest first within a project (keys sort by time)."""
    return (
        f"SELECT _path FROM s3('{manifests_glob}', 'One') "
        f"WHERE match(_path, '{SAFE_KEY}') AND _path NOT IN (SELECT path FROM file('{loaded_file}', 'TSV', 'path String')) "
        f"ORDER BY _path LIMIT {limit}"
    )


def manifest_files(url: str) -> str:
    """key, table and input format of every file a version-1 manifest lists: a key outside Langfuse's layout
    comes back as UNSAFE_KEY, a format the loader does not read as ''. Nothing else of a manifest reaches a statement."""
    known, formats = ", ".join(f"'{k}'" for k in INPUT_FORMATS), ", ".join(f"'{v}'" for v in INPUT_FORMATS.values())
    return (
        f"SELECT if(match(f.1, '{SAFE_KEY}'), f.1, '{UNSAFE_KEY}') AS key, f.2 AS table, transform(f.3, [{known}], [{formats}], '') AS input_format "
        f"FROM s3('{url}', 'RawBLOB', 'raw String') "
        "ARRAY JOIN JSONExtract(raw, 'files', 'Array(Tuple(key String, table String, format String))') AS f "
        f"WHERE JSONExtractUInt(raw, 'version') = {MANIFEST_VERSION}"
    )


def manifest_record(url: str, path: str, observation_files: str, loaded_files: str, skipped: str) -> str:
    """The manifest's row of the ledger (bash variables spliced in by the script)."""
    return (
        f"SELECT '{path}' AS path, JSONExtractString(raw, 'projectId') AS project_id, JSONExtractString(raw, 'exportSource') AS export_source, "
        "parseDateTime64BestEffort(JSONExtractString(raw, 'window', 'minTimestamp'), 3, 'UTC') AS window_start, "
        "parseDateTime64BestEffort(JSONExtractString(raw, 'window', 'maxTimestamp'), 3, 'UTC') AS window_end, "
        "parseDateTime64BestEffort(JSONExtractString(raw, 'createdAt'), 3, 'UTC') AS exported_at, "
        f"toUInt32({observation_files}) AS observation_files, toUInt32({loaded_files}) AS loaded_files, '{skipped}' AS skipped, now64(3) AS loaded_at "
        f"FROM s3('{url}', 'RawBLOB', 'raw String')"
    )


def loader_script() -> str:
    """One run (scripts/load.sh). $BUCKET_URL (https://<bucket>.s3.<region>.amazonaws.com), $EXPORTS_PREFIX
    ("analytics/"), the client's connection and $LOCAL_CONFIG (clickhouse-local's S3 credentials) come from the
    environment; the statements are the functions above, with the script's shell variables spliced in."""
    return render_script(
        __package__,
        "load.sh",
        MANIFESTS=MANIFESTS,
        PENDING_MANIFESTS=pending_manifests("$BUCKET_URL/${EXPORTS_PREFIX}*/manifests/*.json", "$work/loaded.tsv"),
        MANIFEST_FILES=manifest_files("$url"),
        TABLE=TABLE,
        UNSAFE_KEY=UNSAFE_KEY,
        OBSERVATIONS_SELECT=observations_select("$BUCKET_URL/$key", "$format", "$key"),
        OBSERVATIONS_INSERT=observations_insert(),
        MANIFEST_VERSION=MANIFEST_VERSION,
        MANIFEST_RECORD=manifest_record("$url", "$path", "$listed", "$loaded", "$reasons"),
    )


def local_config(exports_url: str) -> str:
    """clickhouse-local's configuration: credentials for every URL under the exports prefix from the web identity
    the pod identity webhook projects (ClickHouse's environment credential chain), times in UTC."""
    return (
        "<clickhouse><timezone>UTC</timezone><s3><exports>"
        f"<endpoint>{exports_url}</endpoint>"
        "<use_environment_credentials>true</use_environment_credentials>"
        "</exports></s3></clickhouse>\n"
    )
