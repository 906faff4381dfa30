"""The analytics cluster's sharding key, measured in a real ClickHouse engine (chdb).

The Distributed table sends a row to shard `SHARDING_KEY % <total weight>` (every shard weighs 1, the operator's
default). chdb runs no Distributed table (no server port: no shard is ever local to it), so the test does the
Distributed engine's routing itself, with the same expression, into one local table per shard, created from the
schema Job's own statement.

What the key must give, and what is measured:
- an even spread of rows over the shards, also when one project holds most of the platform's traffic (the
  platform runner's shared project is the likely one): every shard within two points of its fair share, where a
  key on the project alone leaves one shard with the big project whole;
- every version of an observation, and every observation of a trace, on one shard: FINAL on each shard is then
  the cluster-wide deduplication (the union of the shards' FINAL equals FINAL over all rows in one table), and
  counting traces per shard adds up to the cluster's count (no trace on two shards).
"""

from __future__ import annotations

import pytest

from components.analytics import schema
from tests.analytics.stand_ins import local_statement
from tests.backups.chdb_engine import chdb_engine

SHARDS = (2, 3, 4, 6)
TRACES = 60_000
# 60 % of traces in one project, the rest over 40 small ones; 1 to 7 observations per trace.
ROWS = f"""
SELECT
    if(number % 10 < 6, 'cm1platformshared000000001', concat('cm1team', leftPad(toString(number % 40), 19, '0'))) AS project_id,
    concat('tr-', hex(cityHash64(number))) AS trace_id,
    concat(trace_id, '-', toString(o)) AS id,
    toDateTime64('2026-11-01 00:00:00', 6, 'UTC') + toIntervalSecond(number * 37 % 2592000) AS start_time
FROM numbers({TRACES}) ARRAY JOIN range(1 + number % 7) AS o
"""


def _local_table_ddl(name: str) -> str:
    (statement,) = [s for s in schema.schema_statements(730) if s.startswith(f"CREATE TABLE IF NOT EXISTS {schema.OBSERVATIONS_LOCAL} ")]
    return local_statement(statement).replace(schema.OBSERVATIONS_LOCAL, name)


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    with chdb_engine(tmp_path_factory.mktemp("sharding"), "<clickhouse><timezone>UTC</timezone></clickhouse>\n") as e:
        e.query("CREATE DATABASE analytics")
        e.query(f"CREATE TABLE analytics.rows ENGINE = Memory AS {ROWS}")
        yield e


def _shares(engine, key: str, shards: int, where: str = "1") -> list[float]:
    counts = dict(engine.rows(f"SELECT {key} % {shards} AS shard, count() FROM analytics.rows WHERE {where} GROUP BY shard ORDER BY shard"))
    total = sum(int(c) for c in counts.values())
    return [int(counts.get(str(s), 0)) / total for s in range(shards)]


@pytest.mark.parametrize("shards", SHARDS)
def test_the_key_spreads_rows_evenly_even_with_one_project_holding_most_of_them(engine, shards):
    fair = 1 / shards
    everything = _shares(engine, schema.SHARDING_KEY, shards)
    big_project = _shares(engine, schema.SHARDING_KEY, shards, "project_id = 'cm1platformshared000000001'")
    assert max(abs(s - fair) for s in everything) < 0.02, everything
    assert max(abs(s - fair) for s in big_project) < 0.02, big_project
    # The project alone as the key: the big project's 60 % lands on one shard, whatever the count.
    by_project = _shares(engine, "cityHash64(project_id)", shards)
    assert max(by_project) > 0.6


def test_versions_and_traces_stay_on_one_shard_so_per_shard_final_is_the_global_deduplication(engine):
    shards = 2
    engine.query(_local_table_ddl("analytics.all_rows"))
    for shard in range(shards):
        engine.query(_local_table_ddl(f"analytics.shard_{shard}"))
    # Three copies of every observation: two exports of the first version (an inclusive window end) and a newer
    # version with another cost. Each copy is routed on its own, as the loader's inserts are.
    for version, cost in ((1, "0.001"), (1, "0.001"), (2, "0.002")):
        rows = (
            f"SELECT project_id, id, trace_id, start_time, start_time + toIntervalSecond({version}) AS updated_at, "
            f"toDecimal64('{cost}', 12) AS total_cost FROM analytics.rows WHERE cityHash64(id) % 25 = 0"
        )
        columns = "project_id, id, trace_id, start_time, updated_at, total_cost"
        engine.query(f"INSERT INTO analytics.all_rows ({columns}) {rows}")
        for shard in range(shards):
            engine.query(f"INSERT INTO analytics.shard_{shard} ({columns}) SELECT * FROM ({rows}) WHERE {schema.SHARDING_KEY} % {shards} = {shard}")
    union = " UNION ALL ".join(f"SELECT project_id, id, updated_at, total_cost FROM analytics.shard_{s} FINAL" for s in range(shards))
    per_shard = engine.rows(f"SELECT * FROM ({union}) ORDER BY project_id, id")
    everywhere = engine.rows("SELECT project_id, id, updated_at, total_cost FROM analytics.all_rows FINAL ORDER BY project_id, id")
    assert per_shard == everywhere and len(everywhere) > 5_000
    assert {row[3] for row in everywhere} == {"0.002"}  # the newer version everywhere
    traces = " + ".join(f"(SELECT uniqExact(project_id, trace_id) FROM analytics.shard_{s} FINAL)" for s in range(shards))
    assert engine.rows(f"SELECT {traces}") == engine.rows("SELECT uniqExact(project_id, trace_id) FROM analytics.all_rows FINAL")
    # No (project, trace) on two shards.
    spread = engine.rows(
        f"SELECT count() FROM (SELECT project_id, trace_id FROM ({' UNION ALL '.join(f'SELECT DISTINCT project_id, trace_id, {s} AS shard FROM analytics.shard_{s}' for s in range(shards))}) "
        "GROUP BY project_id, trace_id HAVING uniqExact(shard) > 1)"
    )
    assert spread == [["0"]]
