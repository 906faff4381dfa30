"""Every statement the analytics cluster ships, in a real ClickHouse engine (chdb, tests/backups/chdb_engine.py)
against moto's S3 holding Langfuse's exports as its worker writes them (tests/analytics/langfuse_export.py):
Parquet and JSON lines, windows that share their boundary rows, a row updated between two runs, a deleted row, a
window never exported, a manifest that arrives after its files, a CSV export and a key outside the layout.

The prod plan's own text runs: the schema Job's schema.sql, the loader CronJob's script (under bash, with
clickhouse-local and clickhouse-client reaching the engine), its clickhouse-local configuration, the freshness
query of the servers' config.d, every dashboard panel's rawSql (with the plugin's macros expanded as its Go code
does), and the compliance queries. Results are checked against the rows this test wrote into Langfuse's table.

What chdb cannot run, and how the test stands in (said where it applies):
- `ON CLUSTER` (no cluster): stripped, as for the backups; Replicated engines (no Keeper): the local engine.
- Distributed tables (no server port, so no shard is ever local): not created; reads and inserts of
  `analytics.observations` and `analytics.export_manifests` go to their one local table, i.e. a one-shard
  cluster. tests/analytics/test_sharding.py shows that per-shard deduplication is the global one.
"""

from __future__ import annotations

import gzip
import json
import random
import re
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from prometheus_client.parser import text_string_to_metric_families

from components.analytics import queries
from components.analytics.dashboards import DATASOURCE_UID
from components.analytics.loader import UNSAFE_KEY
from infra.offline_plan.plan import PROJECT_ROOT
from tests.analytics.langfuse_export import EVENTS_FULL_DDL, MODEL_PRICES, LangfuseExporter, timestamp
from tests.analytics.stand_ins import expand_macros, local_statement, moto_s3, one_shard
from tests.backups.chdb_engine import chdb_engine, client_env
from tests.conftest import container, find, objects_of

REGION = "eu-west-1"
EXPORTS = "acme-langfuse-prod-exports"
PREFIX = "analytics/"
PLAN_BUCKET_URL = f"https://{EXPORTS}.s3.{REGION}.amazonaws.com"
ALPHA, BETA, GAMMA, DELTA = "cm1alphaproject00000000001", "cm1betaproject000000000002", "cm1gammaproject00000000003", "cm1deltaproject00000000004"
HOUR = timedelta(hours=1)
# -- the rows written into Langfuse's events_full ---------------------------------------------------------


@dataclass
class Observation:
    project_id: str
    id: str
    trace_id: str
    parent: str
    start: datetime
    end: datetime | None
    first_token: datetime | None
    type: str
    name: str
    trace_name: str
    level: str
    model: str
    usage: dict[str, int]
    cost: dict[str, Decimal]
    tags: list[str]
    user_id: str
    updated_at: datetime
    is_deleted: int = 0

    def row(self) -> dict:
        fmt = "%Y-%m-%d %H:%M:%S.%f"
        return {
            "project_id": self.project_id, "trace_id": self.trace_id, "span_id": self.id, "parent_span_id": self.parent,
            "start_time": self.start.strftime(fmt), "end_time": self.end.strftime(fmt) if self.end else None,
            "completion_start_time": self.first_token.strftime(fmt) if self.first_token else None,
            "name": self.name, "type": self.type, "trace_name": self.trace_name, "level": self.level, "tags": self.tags,
            "provided_model_name": self.model, "model_id": "", "usage_details": self.usage, "cost_details": {k: str(v) for k, v in self.cost.items()},
            "user_id": self.user_id, "session_id": f"s-{self.trace_id}", "input": "{\"role\":\"user\"}", "output": "ok",
            "metadata_names": ["attempt"], "metadata_values": ["1"], "environment": "default",
            "created_at": self.updated_at.strftime(fmt), "updated_at": self.updated_at.strftime(fmt), "event_ts": self.updated_at.strftime(fmt),
            "is_deleted": self.is_deleted,
        }

    @property
    def total_cost(self) -> Decimal:
        return self.cost.get("total", Decimal(0))

    @property
    def latency(self) -> float | None:
        return None if self.end is None else _ms_between(self.start, self.end)

    @property
    def ttft(self) -> float | None:
        return None if self.first_token is None else _ms_between(self.start, self.first_token)

    @property
    def team(self) -> str:
        for prefix in ("team:", "namespace:"):
            found = next((t[len(prefix):] for t in self.tags if t.startswith(prefix)), "")
            if found:
                return found
        return self.project_id


def _ms_between(start: datetime, end: datetime) -> float:
    """date_diff('millisecond', start, end) / 1000: the millisecond boundaries crossed, not the rounded span."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return ((end - epoch) // timedelta(milliseconds=1) - (start - epoch) // timedelta(milliseconds=1)) / 1000


@dataclass
class World:
    start: datetime
    versions: list[Observation] = field(default_factory=list)  # every version written, in order
    loaded: dict[tuple[str, str], Observation] = field(default_factory=dict)  # what the analytics cluster must hold

    def latest(self, before: datetime | None = None) -> dict[tuple[str, str], Observation]:
        found: dict[tuple[str, str], Observation] = {}
        for o in self.versions:
            found[(o.project_id, o.id)] = o
        return found


def _generate(world: World, rng: random.Random) -> None:
    t0 = world.start
    plan = {  # project: (tags, models, traces per hour)
        ALPHA: (["namespace:team-alpha", "runner:claude"], ["gpt-4o"], 4),
        BETA: (["namespace:team-beta"], ["gpt-4o", "claude-sonnet-4"], 7),
        GAMMA: ([], ["claude-sonnet-4"], 3),
    }
    names = ["chat", "summarise", "search", "agent-run"]
    n = 0
    for project, (tags, models, per_hour) in plan.items():
        for hour in range(3):
            for i in range(per_hour):
                n += 1
                # The first trace of every hour after the first starts exactly on the window boundary.
                start = t0 + hour * HOUR + (timedelta(0) if (i == 0 and hour > 0) else timedelta(seconds=rng.randint(1, 3500)))
                trace, trace_name = f"tr-{n:04d}", names[n % len(names)]
                trace_tags = [*tags, *(["team:research"] if project == BETA and n % 5 == 0 else []), f"model:{models[0]}"]
                user = f"user-{n % 5}"
                root_end = start + timedelta(seconds=rng.uniform(2, 20))
                world.versions.append(Observation(project, f"ob-{n:04d}-0", trace, "", start, root_end, None, "SPAN", trace_name, trace_name,
                                                  "DEFAULT", "", {}, {}, trace_tags, user, start + timedelta(seconds=30)))
                for g in range(1, rng.randint(2, 4)):
                    gstart = start + timedelta(milliseconds=rng.randint(0, 900))
                    # Generations at the window boundary too: they start with their trace.
                    gstart = start if (i == 0 and hour > 0) else gstart
                    model = models[(n + g) % len(models)]
                    tin, tout = rng.randint(50, 4000), rng.randint(10, 800)
                    cin, cout = Decimal(tin) * Decimal("0.0000025"), Decimal(tout) * Decimal("0.00001")
                    world.versions.append(Observation(
                        project, f"ob-{n:04d}-{g}", trace, f"ob-{n:04d}-0", gstart, gstart + timedelta(milliseconds=rng.randint(200, 6000)),
                        gstart + timedelta(milliseconds=rng.randint(50, 190)), "GENERATION", "llm-call", trace_name,
                        "ERROR" if rng.random() < 0.15 else "DEFAULT", model, {"input": tin, "output": tout, "total": tin + tout},
                        {"input": cin, "output": cout, "total": cin + cout}, trace_tags, user, gstart + timedelta(seconds=30),
                    ))


def _insert(connection, observations: list[Observation]) -> None:
    rows = "\n".join(json.dumps(o.row()) for o in observations)
    connection.query(f"INSERT INTO langfuse.events_full FORMAT JSONEachRow {rows}")


@pytest.fixture(scope="module")
def s3() -> Iterator[tuple[str, object]]:
    with moto_s3(EXPORTS, REGION) as (endpoint, client):
        yield endpoint, client


@pytest.fixture(scope="module")
def rendered(plans) -> dict:
    plan = plans["prod"]
    loader = find(plan, "ConfigMap", "analytics-loader")["data"]
    (schema,) = [m for m in objects_of(plan, "ConfigMap") if m["metadata"]["name"].startswith("analytics-schema-")]
    cron = find(plan, "CronJob", "analytics-loader")
    env = {e["name"]: e["value"] for e in container({"spec": cron["spec"]["jobTemplate"]["spec"]})["env"] if "value" in e}
    handler = find(plan, "ClickHouseInstallation", "analytics")["spec"]["configuration"]["files"]["config.d/analytics-metrics.xml"]
    panels = [
        (json.loads(d["spec"]["json"])["uid"], panel["title"], target["rawSql"], panel["type"])
        for d in objects_of(plan, "GrafanaDashboard") if d["spec"]["folder"] == "Langfuse analytics"
        for panel in json.loads(d["spec"]["json"])["panels"] for target in panel["targets"]
    ]
    assert all(t["datasource"]["uid"] == DATASOURCE_UID for d in objects_of(plan, "GrafanaDashboard") if d["spec"]["folder"] == "Langfuse analytics"
               for p in json.loads(d["spec"]["json"])["panels"] for t in p["targets"])
    return {"load.sh": loader["load.sh"], "local.xml": loader["local.xml"], "schema.sql": schema["data"]["schema.sql"], "env": env,
            "freshness": ET.fromstring(handler).findtext("http_handlers/rule/handler/query"), "panels": panels}


def _run(script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory, s3, rendered) -> dict:
    endpoint, client = s3
    work = tmp_path_factory.mktemp("analytics")
    bucket_url = f"{endpoint}/{EXPORTS}"
    local_config = rendered["local.xml"].replace(PLAN_BUCKET_URL, bucket_url)
    assert local_config != rendered["local.xml"]  # the plan's exports endpoint, pointed at moto
    env = {**rendered["env"], **client_env(work / "bin", work), "BUCKET_URL": bucket_url, "CLIENT_CONFIG": "/dev/null",
           "LOCAL_CONFIG": "/dev/null", "CLICKHOUSE_HOST": "h"}
    rng = random.Random(21)
    world = World(datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - 5 * HOUR)
    t0 = world.start
    out: dict = {"world": world, "t0": t0}
    with chdb_engine(work, local_config, one_shard) as engine:
        engine.query("CREATE DATABASE langfuse")
        engine.query(EVENTS_FULL_DDL.read_text().replace("CREATE TABLE IF NOT EXISTS events_full", "CREATE TABLE langfuse.events_full"))
        _generate(world, rng)
        # An observation Langfuse deleted (is_deleted = 1, as its deletes write it) is never exported.
        deleted = next(o for o in world.versions if o.project_id == BETA and o.type == "GENERATION")
        gone = Observation(**{**deleted.__dict__, "updated_at": deleted.updated_at + timedelta(minutes=5), "is_deleted": 1})
        _insert(engine.connection, world.versions)
        _insert(engine.connection, [gone])
        engine.query("OPTIMIZE TABLE langfuse.events_full FINAL")
        exporter = LangfuseExporter(engine.connection, client, EXPORTS, PREFIX)
        committed: list[tuple[str, datetime, datetime]] = []

        def export(project, k, **kwargs):
            run = exporter.run(project, t0 + k * HOUR, t0 + (k + 1) * HOUR, **kwargs)
            if kwargs.get("commit", True):
                committed.append((project, t0 + k * HOUR, t0 + (k + 1) * HOUR))
            return run

        export(ALPHA, 0)
        # Between two runs, a boundary observation of alpha is updated (a later end, a new cost): the next window,
        # which shares the boundary, exports the new version.
        boundary = next(o for o in world.versions if o.project_id == ALPHA and o.start == t0 + HOUR and o.type == "GENERATION")
        updated = Observation(**{**boundary.__dict__, "end": boundary.end + timedelta(seconds=3), "updated_at": boundary.updated_at + timedelta(minutes=10),
                                 "cost": {**boundary.cost, "total": boundary.total_cost + Decimal("0.5")}})
        world.versions.append(updated)
        _insert(engine.connection, [updated])
        engine.query("OPTIMIZE TABLE langfuse.events_full FINAL")
        export(ALPHA, 1)
        export(ALPHA, 2)
        export(BETA, 0)
        export(BETA, 2)  # beta's second hour is never exported: the coverage report finds the gap
        export(GAMMA, 0, file_type="JSONL")
        export(GAMMA, 1, file_type="JSONL")
        late = export(GAMMA, 2, file_type="JSONL", commit=False)  # its manifest comes after the first load
        # A project exported as CSV (not loaded), and a manifest listing a key outside Langfuse's layout.
        csv_key = f"{PREFIX}{DELTA}/observations_v2/{timestamp(t0 + HOUR)}.csv.gz"
        client.put_object(Bucket=EXPORTS, Key=csv_key, Body=gzip.compress(b"id\n"))
        csv = {"key": csv_key, "table": "observations_v2", "fileType": "CSV", "format": "csv-gzip", "compressed": True,
               "contentType": "application/gzip", "sizeBytes": 24, "rowCount": 0}
        exporter.run(DELTA, t0, t0 + HOUR, extra_files=(csv,))
        odd = {**csv, "key": f"{PREFIX}{DELTA}/observations_v2/it's.parquet", "format": "parquet", "fileType": "PARQUET"}
        exporter.run(DELTA, t0 + HOUR, t0 + 2 * HOUR, extra_files=(odd,))
        committed += [(DELTA, t0, t0 + HOUR), (DELTA, t0 + HOUR, t0 + 2 * HOUR)]

        statements = [s.strip() for s in rendered["schema.sql"].split(";\n\n") if s.strip()]
        out["distributed_skipped"] = [s for s in statements if "ENGINE = Distributed" in s]
        for statement in statements:
            if "ENGINE = Distributed" in statement:
                continue
            engine.query(local_statement(statement))
        out["runs"] = [_run(rendered["load.sh"], env)]
        out["before_late"] = engine.rows(f"SELECT count() FROM analytics.observations_local FINAL WHERE project_id = '{GAMMA}'")
        out["runs"].append(_run(rendered["load.sh"], env))  # nothing new
        exporter.commit(late)
        committed.append((GAMMA, t0 + 2 * HOUR, t0 + 3 * HOUR))
        out["runs"].append(_run(rendered["load.sh"], env))

        # What the cluster must hold: per observation, the newest version any committed window exported.
        exported: dict[tuple[str, str], Observation] = {}
        for o in world.versions + [gone]:
            windows = [(a, b) for p, a, b in committed if p == o.project_id and a <= o.start <= b]
            if not windows:
                continue
            key = (o.project_id, o.id)
            if o.is_deleted:
                exported.pop(key, None)
            elif key not in exported or exported[key].updated_at <= o.updated_at:
                exported[key] = o
        world.loaded = exported
        out["committed"] = set(committed)
        out["deleted"] = gone
        out["updated"] = updated
        out["rows"] = engine.rows(
            "SELECT project_id, id, trace_id, toString(updated_at), toString(total_cost), ifNull(toString(latency), ''), "
            "ifNull(toString(time_to_first_token), ''), team, source_file FROM analytics.observations_local FINAL ORDER BY project_id, id"
        )
        # What the files hold: every committed window's rows, the boundary ones twice.
        out["file_rows"] = [
            engine.rows(f"SELECT count(), uniqExact(project_id, id) FROM s3('{bucket_url}/{PREFIX}*/observations_v2/*.{ext}', '{fmt}', "
                        "'id String, project_id String')")[0]
            for ext, fmt in (("parquet", "Parquet"), ("jsonl.gz", "JSONEachRow"))
        ]
        out["warehouse_view"] = engine.rows(
            f"SELECT project_id, id, toString(updated_at), toString(total_cost) FROM ({warehouse_dedup_view(bucket_url)}) ORDER BY project_id, id")
        start, end = t0, t0 + 4 * HOUR
        out["panels"] = {(uid, title): engine.query(expand_macros(one_shard(sql), start, end, 3600), "JSONCompact")
                         for uid, title, sql, _ in rendered["panels"]}
        out["compliance"] = {name: engine.query(one_shard(sql), "JSONCompact") for name, sql in queries.COMPLIANCE.items()
                             if "{" not in sql}
        out["lineage"] = engine.connection.query(one_shard(queries.LINEAGE), "JSONCompact", params={"project": ALPHA, "trace": updated.trace_id}).bytes().decode()
        out["retention"] = engine.query(one_shard(queries.rows_past_retention(730)), "JSONCompact")
        out["freshness"] = engine.query(one_shard(rendered["freshness"]))
        # Parameters as clickhouse-client's --param_<name> passes them: the value's text.
        erased = [ALPHA, f"['{updated.trace_id}']"]
        engine.connection.query(one_shard(local_statement(queries.ERASE_TRACES)), "TSV",
                                params={"project": erased[0], "traces": erased[1]})
        out["erased_left"] = engine.connection.query(one_shard(queries.ERASED_TRACES_LEFT), "TSV",
                                                     params={"project": erased[0], "traces": erased[1]}).bytes().decode().strip()
        out["sent"], out["ran"] = list(engine.sent), list(engine.ran)
    return out


def warehouse_dedup_view(bucket_url: str) -> str:
    """The README's deduplicating view of the warehouses, over the same export files (both formats)."""
    readme = (PROJECT_ROOT / "README.md").read_text()
    block = readme.split("<!-- warehouse-dedup:start -->", 1)[1].split("<!-- warehouse-dedup:end -->", 1)[0]
    sql = block.strip().removeprefix("```sql").removesuffix("```").strip()
    columns = "project_id String, id String, updated_at DateTime64(6, \\'UTC\\'), total_cost Decimal(18, 12)"
    files = " UNION ALL ".join(f"SELECT * FROM s3('{bucket_url}/{PREFIX}*/observations_v2/*.{ext}', '{fmt}', '{columns}')"
                               for ext, fmt in (("parquet", "Parquet"), ("jsonl.gz", "JSONEachRow")))
    return sql.replace("FROM observations_raw", f"FROM ({files})")


def test_the_warehouses_dedup_view_over_the_same_files_gives_the_cluster_s_rows(pipeline):
    assert pipeline["warehouse_view"] == [[r[0], r[1], r[3], r[4]] for r in pipeline["rows"]]


def _data(result: str) -> list[list]:
    return json.loads(result, parse_float=Decimal)["data"]


def test_the_loader_loads_every_committed_run_once_with_the_newest_version_of_each_observation(pipeline):
    runs = pipeline["runs"]
    assert [r.returncode for r in runs] == [0, 0, 0], [r.stderr for r in runs]
    world = pipeline["world"]
    expected = sorted(
        [o.project_id, o.id, o.trace_id, o.updated_at.strftime("%Y-%m-%d %H:%M:%S.%f"), _decimal(o.total_cost), _float(o.latency), _float(o.ttft), o.team]
        for o in world.loaded.values()
    )
    assert [row[:8] for row in pipeline["rows"]] == expected
    assert len(expected) > 100
    # Both ends of a window are inclusive: the boundary rows are in two files each, and loaded once.
    boundary = [o for o in world.loaded.values() if o.start in (pipeline["t0"] + HOUR, pipeline["t0"] + 2 * HOUR)
                and (o.project_id, o.start - HOUR, o.start) in pipeline["committed"] and (o.project_id, o.start, o.start + HOUR) in pipeline["committed"]]
    copies = sum(int(n) for n, _ in pipeline["file_rows"])
    assert sum(int(d) for _, d in pipeline["file_rows"]) == len(expected) and copies == len(expected) + len(boundary) and boundary
    # The update between two runs wins; the deleted observation and beta's unexported hour are absent.
    updated, deleted = pipeline["updated"], pipeline["deleted"]
    (row,) = [r for r in pipeline["rows"] if r[1] == updated.id]
    assert row[4] == _decimal(updated.total_cost) and row[8].endswith(f"{timestamp(pipeline['t0'] + 2 * HOUR)}.parquet")
    assert not [r for r in pipeline["rows"] if r[1] == deleted.id]
    assert not [o for o in world.loaded.values() if o.project_id == BETA and pipeline["t0"] + HOUR < o.start < pipeline["t0"] + 2 * HOUR]


def test_a_run_without_its_manifest_waits_and_a_second_load_adds_nothing(pipeline):
    first, second, third = pipeline["runs"]
    gamma_first_two = [o for o in pipeline["world"].loaded.values() if o.project_id == GAMMA and o.start <= pipeline["t0"] + 2 * HOUR]
    assert pipeline["before_late"] == [[str(len(gamma_first_two))]]
    assert first.stdout.splitlines()[-1] == "loader: 9 manifests (9 files) loaded, 2 with files skipped"
    assert second.stdout.splitlines() == ["loader: 0 manifests (0 files) loaded, 0 with files skipped"]
    assert third.stdout.splitlines() == [
        f"loaded {EXPORTS}/{PREFIX}{GAMMA}/manifests/{timestamp(pipeline['t0'] + 3 * HOUR)}.json: 1 of 1 observation files",
        "loader: 1 manifests (1 files) loaded, 0 with files skipped",
    ]


def test_parquet_and_json_lines_give_the_same_rows(pipeline):
    """gamma's exports are JSON lines (latency in the file in seconds, prices added as strings), the others Parquet:
    the loaded rows carry the same types and derive latency from the timestamps either way."""
    gamma = [r for r in pipeline["rows"] if r[0] == GAMMA]
    alpha = [r for r in pipeline["rows"] if r[0] == ALPHA]
    assert gamma and alpha
    assert all(r[8].endswith(".jsonl.gz") for r in gamma) and all(r[8].endswith(".parquet") for r in alpha)
    assert {r[7] for r in gamma} == {GAMMA}  # no tag: the team is the project
    assert MODEL_PRICES  # the JSON lines carry input_price/output_price/total_price the loader ignores


def test_files_the_loader_cannot_read_are_recorded_reported_and_counted(pipeline):
    first = pipeline["runs"][0]
    t0 = pipeline["t0"]
    assert f"{PREFIX}{DELTA}/observations_v2/{timestamp(t0 + HOUR)}.csv.gz (a format the loader does not read)" in first.stderr
    assert f"skipped {UNSAFE_KEY}" in first.stderr
    skipped = _data(pipeline["compliance"]["skipped files"])
    assert [(path.rsplit("/", 1)[1], project, reason) for path, project, reason in skipped] == [
        (f"{timestamp(t0 + HOUR)}.json", DELTA, f"{PREFIX}{DELTA}/observations_v2/{timestamp(t0 + HOUR)}.csv.gz (a format the loader does not read)"),
        (f"{timestamp(t0 + 2 * HOUR)}.json", DELTA, UNSAFE_KEY),
    ]
    # The key with a quote never reached a statement.
    assert not [s for s in pipeline["sent"] if "it's.parquet" in s]


def test_the_freshness_endpoint_reports_the_newest_row_and_each_project_s_loaded_window(pipeline):
    families = {f.name: f for f in text_string_to_metric_families(pipeline["freshness"])}
    world, t0 = pipeline["world"], pipeline["t0"]
    newest = max(o.start for o in world.loaded.values())
    (sample,) = families[queries.NEWEST_OBSERVATION_METRIC].samples
    assert sample.value == int(newest.timestamp())
    loaded_until = {s.labels["project_id"]: s.value for s in families[queries.LOADED_UNTIL_METRIC].samples}
    assert loaded_until == {ALPHA: (t0 + 3 * HOUR).timestamp(), BETA: (t0 + 3 * HOUR).timestamp(), GAMMA: (t0 + 3 * HOUR).timestamp(),
                            DELTA: (t0 + 2 * HOUR).timestamp()}
    assert families[queries.SKIPPED_MANIFESTS_METRIC].samples[0].value == 2
    assert {f.type for f in families.values()} == {"gauge"}


def test_the_compliance_reports(pipeline):
    t0 = pipeline["t0"]
    gaps = _data(pipeline["compliance"]["coverage gaps"])
    assert gaps == [[BETA, _ms(t0 + 2 * HOUR - HOUR), _ms(t0 + 2 * HOUR)]]  # beta's hour that was never exported
    loaded = pipeline["world"].loaded.values()
    inventory = {(p, m): (int(n), int(t), _decimal(Decimal(str(c)))) for p, m, n, t, c in _data(pipeline["compliance"]["inventory"])}
    expected: dict = {}
    for o in loaded:
        key = (o.project_id, o.start.strftime("%Y-%m-01"))
        n, traces, cost = expected.get(key, (0, set(), Decimal(0)))
        expected[key] = (n + 1, traces | {(o.project_id, o.trace_id)}, cost + o.total_cost)
    assert inventory == {k: (n, len(t), _decimal(c)) for k, (n, t, c) in expected.items()}
    lineage = _data(pipeline["lineage"])
    assert {row[0] for row in lineage} == {o.id for o in loaded if o.trace_id == pipeline["updated"].trace_id}
    assert _data(pipeline["retention"]) == []  # nothing past the TTL
    assert pipeline["erased_left"] == "0"  # the erasure request took the trace out


def test_the_distributed_tables_are_the_only_statements_chdb_does_not_run(pipeline):
    assert [s.split("\n")[0] for s in pipeline["distributed_skipped"]] == [
        "CREATE TABLE IF NOT EXISTS analytics.observations ON CLUSTER 'analytics' AS analytics.observations_local",
        "CREATE TABLE IF NOT EXISTS analytics.export_manifests ON CLUSTER 'analytics' AS analytics.export_manifests_local",
    ]
    # The loader sends its inserts to the Distributed table (here: its one local table).
    assert [s for s in pipeline["sent"] if s.startswith("INSERT INTO analytics.observations (")]
    assert not [s for s in pipeline["ran"] if "INSERT INTO analytics.observations (" in s]


# -- every dashboard panel, against the rows written ------------------------------------------------------


def _quantile(values: list[float], level: float) -> float:
    """ClickHouse's quantile() on fewer values than its reservoir (8192): linear interpolation of the sorted values."""
    values = sorted(values)
    position = level * (len(values) - 1)
    low = int(position)
    return values[low] + (values[min(low + 1, len(values) - 1)] - values[low]) * (position - low)


def _expected_panels(world: World, t0: datetime) -> dict[tuple[str, str], object]:
    rows = list(world.loaded.values())
    hour = lambda o: int(o.start.replace(minute=0, second=0, microsecond=0).timestamp())  # noqa: E731
    generations = [o for o in rows if o.type == "GENERATION"]

    def by(key, rows_, value):
        out: dict = {}
        for o in rows_:
            out.setdefault(key(o), []).append(value(o))
        return out

    models = by(lambda o: o.model, generations, lambda o: o)
    errors_by_name = {name: (sum(o.level == "ERROR" for o in obs), len(obs)) for name, obs in by(lambda o: o.trace_name, rows, lambda o: o).items()}
    cost_by_model = {m: sum((o.total_cost for o in obs), Decimal(0)) for m, obs in by(lambda o: o.model, rows, lambda o: o).items()}
    total = sum(cost_by_model.values(), Decimal(0))
    return {
        ("langfuse-analytics-executive", "Cost"): [[_decimal(total)]],
        ("langfuse-analytics-executive", "Traces"): [[len({(o.project_id, o.trace_id) for o in rows})]],
        ("langfuse-analytics-executive", "Tokens"): [[sum(o.usage.get("total", 0) for o in rows)]],
        ("langfuse-analytics-executive", "Active projects"): [[len({o.project_id for o in rows})]],
        ("langfuse-analytics-executive", "Cost by team"): sorted(
            [h, team, _decimal(sum((o.total_cost for o in obs), Decimal(0)))]
            for (h, team), obs in by(lambda o: (hour(o), o.team), rows, lambda o: o).items()
        ),
        ("langfuse-analytics-executive", "Traces and users"): sorted(
            [h, len({(o.project_id, o.trace_id) for o in obs}), len({o.user_id for o in obs if o.user_id})] for h, obs in by(hour, rows, lambda o: o).items()
        ),
        ("langfuse-analytics-engineering", "Generations by model"): sorted(
            ([m, len(obs), sum(o.level == "ERROR" for o in obs), 1 - sum(o.level == "ERROR" for o in obs) / len(obs),
              _quantile([o.latency for o in obs], 0.5), _quantile([o.latency for o in obs], 0.95), _quantile([o.ttft for o in obs], 0.95)]
             for m, obs in models.items()), key=lambda r: (-r[1], r[0])
        ),
        ("langfuse-analytics-engineering", "Errors by trace name"): sorted(
            ([name, e, n, e / n] for name, (e, n) in errors_by_name.items() if e > 0), key=lambda r: (-r[1], r[0])
        )[:20],
        ("langfuse-analytics-engineering", "Error rate of generations by model"): sorted(
            [h, m, sum(o.level == "ERROR" for o in obs) / len(obs)] for (h, m), obs in by(lambda o: (hour(o), o.model), generations, lambda o: o).items()
        ),
        ("langfuse-analytics-engineering", "p95 latency of generations by model"): sorted(
            [h, m, _quantile([o.latency for o in obs], 0.95)] for (h, m), obs in by(lambda o: (hour(o), o.model), generations, lambda o: o).items()
        ),
        ("langfuse-analytics-cost", "Cost by team, project and model"): sorted(
            ([team, p, m, _decimal(sum((o.total_cost for o in obs), Decimal(0))), sum(o.usage.get("input", 0) for o in obs),
              sum(o.usage.get("output", 0) for o in obs)] for (team, p, m), obs in by(lambda o: (o.team, o.project_id, o.model), rows, lambda o: o).items()),
            key=lambda r: (-Decimal(r[3]), r[0], r[1], r[2]),
        ),
        ("langfuse-analytics-cost", "Cost by model"): sorted(
            ([m, _decimal(c), float(c / total)] for m, c in cost_by_model.items()), key=lambda r: (-Decimal(r[1]), r[0])
        ),
        ("langfuse-analytics-cost", "Cost by project"): sorted(
            [h, p, _decimal(sum((o.total_cost for o in obs), Decimal(0)))] for (h, p), obs in by(lambda o: (hour(o), o.project_id), rows, lambda o: o).items()
        ),
        ("langfuse-analytics-adoption", "Most used trace names"): sorted(
            ([name, len({(o.project_id, o.trace_id) for o in obs}), len({o.user_id for o in obs if o.user_id}), len({o.project_id for o in obs})]
             for name, obs in by(lambda o: o.trace_name, rows, lambda o: o).items() if name), key=lambda r: (-r[1], r[0])
        )[:20],
        ("langfuse-analytics-adoption", "Most used tags"): sorted(
            ([tag, len(traces)] for tag, traces in _tag_traces(rows).items()), key=lambda r: (-r[1], r[0])
        )[:20],
        ("langfuse-analytics-adoption", "Active users and teams"): sorted(
            [h, len({o.user_id for o in obs if o.user_id}), len({o.team for o in obs})] for h, obs in by(hour, rows, lambda o: o).items()
        ),
    }


def _tag_traces(rows) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for o in rows:
        for tag in o.tags:
            out.setdefault(tag, set()).add((o.project_id, o.trace_id))
    return out


def _normal(value):
    """One spelling for a cell: JSONCompact quotes 64-bit integers, prints decimals and floats as numbers (read
    here as Decimal), and times are epoch seconds here; fractions compare to nine places."""
    if isinstance(value, str):
        if re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", value):
            return int(datetime.fromisoformat(value).replace(tzinfo=UTC).timestamp())
        if re.fullmatch(r"-?\d+", value):
            return int(value)
        if re.fullmatch(r"-?\d+\.\d+", value):
            value = Decimal(value)
    if isinstance(value, float | Decimal) and not isinstance(value, bool):
        rounded = round(Decimal(str(value)), 9)
        return int(rounded) if rounded == rounded.to_integral_value() else _decimal(rounded)
    return value


def test_every_dashboard_panel_returns_what_the_rows_written_say(pipeline, rendered):
    expected = {k: [[_normal(c) for c in row] for row in rows] for k, rows in _expected_panels(pipeline["world"], pipeline["t0"]).items()}
    assert set(expected) == set(pipeline["panels"]) and len(expected) == 16
    for key, result in pipeline["panels"].items():
        rows = [[_normal(c) for c in row] for row in _data(result)]
        assert rows == expected[key], key


def _decimal(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"


def _float(value: float | None) -> str:
    return "" if value is None else format(value, "g")


def _ms(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.000")
