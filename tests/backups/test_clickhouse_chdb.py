"""ClickHouse's own statements in a real ClickHouse: the rendered backup, restore and drill scripts run under
bash against chdb (ClickHouse 26.x, tests/backups/chdb_engine.py says how it stands in for the servers) and
moto's S3, over Langfuse's `traces` table (its v4.16 clustered migration, on the local engine), through a full
backup and two incrementals; every restore must return exactly the rows written up to its backup."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator

import boto3
import pytest

from components.common.scripted_cron_job import SCRIPTS_DIR
from infra.offline_plan.plan import PROJECT_ROOT
from infra.restore import clickhouse_restore
from tests.backups.chdb_engine import chdb_engine, client_env
from tests.conftest import container, find
from tests.local_servers import moto_credentials, moto_server

BUCKET = "acme-langfuse-prod-backups"
PLAN_URL = f"https://{BUCKET}.s3.eu-west-1.amazonaws.com/clickhouse"
TRACES_DDL = PROJECT_ROOT / "tests" / "data" / "langfuse" / "clickhouse" / "0001_traces.up.sql"
START = 1_785_000_000  # 2026-07-25 17:20 UTC, mid-cycle
HOUR = 3600
SNAPSHOT = "SELECT id, timestamp, name, metadata, tags, input, project_id FROM {db}.traces ORDER BY id"


@pytest.fixture(scope="module")
def s3() -> Iterator[tuple[str, object]]:
    # The engine's environment credential chain reads moto's credentials, as the servers' reads their web identity.
    with moto_server() as endpoint, moto_credentials("eu-west-1"):
        yield endpoint, boto3.client("s3", endpoint_url=endpoint, region_name="eu-west-1")


def _bucket(s3, name: str) -> str:
    endpoint, client = s3
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    return f"{endpoint}/{name}/clickhouse"


@pytest.fixture(scope="module")
def rendered(plans) -> dict:
    plan = plans["prod"]
    chi = find(plan, "ClickHouseInstallation", "langfuse")["spec"]
    drill = find(plan, "ConfigMap", "langfuse-clickhouse-restore-drill")["data"]
    cron = find(plan, "CronJob", "langfuse-clickhouse-backup")
    env = {e["name"]: e["value"] for e in container({"spec": cron["spec"]["jobTemplate"]["spec"]})["env"] if "value" in e}
    return {
        "backup.sh": find(plan, "ConfigMap", "langfuse-clickhouse-backup")["data"]["backup.sh"],
        "endpoint": chi["configuration"]["files"]["config.d/s3-backups.xml"],
        "drill": drill,
        "env": env,
    }


def _local_traces_ddl() -> str:
    ddl = TRACES_DDL.read_text()
    # Langfuse's clustered DDL, adapted: no cluster here, and the local engine of the Replicated one.
    assert "CREATE TABLE traces ON CLUSTER default" in ddl and "ENGINE = ReplicatedReplacingMergeTree(event_ts, is_deleted)" in ddl
    return ddl.replace("traces ON CLUSTER default", "default.traces").replace("ReplicatedReplacingMergeTree", "ReplacingMergeTree")


def _insert(engine, batch: int, rows: int) -> None:
    engine.query(
        "INSERT INTO default.traces (id, timestamp, name, metadata, project_id, public, bookmarked, tags, input, event_ts, is_deleted) "
        f"SELECT concat('trace-{batch}-', toString(number)), toDateTime64('2026-07-{20 + batch} 10:00:00', 3) + number, 'chat', "
        f"map('batch', '{batch}', 'n', toString(number)), 'project-a', false, false, ['t{batch}'], repeat('x', number % 97), now64(3), 0 "
        f"FROM numbers({rows})"
    )


def _run(script: str, env: dict[str, str], now: int | None = None) -> subprocess.CompletedProcess[str]:
    extra = {} if now is None else {"BACKUP_NOW": str(now)}
    return subprocess.run(["bash", "-c", script], env={**env, **extra}, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def chain(tmp_path_factory, s3, rendered) -> dict:
    """The serving side: three runs of the rendered backup script six hours apart, a batch of rows before each;
    then the restore Job's script for the middle backup, on the same side."""
    url = _bucket(s3, BUCKET)
    work = tmp_path_factory.mktemp("serving")
    env = {**rendered["env"], **client_env(work / "bin", work), "BACKUP_URL": url, "CLIENT_CONFIG": "/dev/null", "CLICKHOUSE_HOST": "h"}
    snapshots, names, runs = [], [], []
    # The servers' own S3 endpoint config, pointed at moto: credentials from the environment, SSE-KMS key.
    with chdb_engine(work, rendered["endpoint"].replace(PLAN_URL, url)) as engine:
        engine.query("DROP DATABASE default")
        engine.query("CREATE DATABASE default ENGINE = Atomic")
        engine.query(_local_traces_ddl())
        listing = lambda: {o["Key"].split("/")[1] for o in s3[1].list_objects_v2(Bucket=BUCKET).get("Contents", [])}  # noqa: E731
        for batch, now in enumerate((START, START + 6 * HOUR, START + 12 * HOUR), start=1):
            _insert(engine, batch, 500 * batch)
            before = listing()
            runs.append(_run(rendered["backup.sh"], env, now))
            assert runs[-1].returncode == 0, runs[-1].stderr
            (name,) = listing() - before
            names.append(name)
            snapshots.append(engine.query(SNAPSHOT.format(db="default")))
        job = clickhouse_restore("prod", names[1], PROJECT_ROOT / "stacks", PROJECT_ROOT)
        script = next(m for m in job.manifests.values() if m["kind"] == "ConfigMap")["data"]["restore.sh"]
        restore_run = _run(script, env)
        side = re.search(r"AS (\w+) ON CLUSTER", script).group(1)
        restored_side = engine.query(SNAPSHOT.format(db=side))
        sent, ran = list(engine.sent), list(engine.ran)
    return {"url": url, "names": names, "snapshots": snapshots, "runs": runs, "sent": sent, "ran": ran,
            "restore_run": restore_run, "restored_side": restored_side, "side": side}  # fmt: skip


def test_a_full_and_two_incrementals_are_taken_in_a_real_engine(chain):
    full, first, second = chain["names"]
    assert full.startswith("full-") and first.startswith("incr-") and second.startswith("incr-")
    # The first run's incremental failed in the engine (no base yet), so the script took the cycle's full.
    assert f"no usable full backup {full}" in chain["runs"][0].stderr
    # clickhouse-client prints the BACKUP's id and status, then the script its line.
    assert [r.stdout.splitlines()[-1] for r in chain["runs"][1:]] == [f"incremental backup {first} on {full}", f"incremental backup {second} on {full}"]
    assert all(r.stdout.splitlines()[0].endswith("\tBACKUP_CREATED") for r in chain["runs"])
    url = chain["url"]
    sent = f"BACKUP DATABASE default ON CLUSTER 'default' TO S3('{url}/{second}') SETTINGS base_backup = S3('{url}/{full}')"
    assert sent in chain["sent"] and sent.replace(" ON CLUSTER 'default'", "") in chain["ran"]  # ON CLUSTER stripped: no cluster here


def test_the_servers_endpoint_config_encrypts_every_backup_object_with_the_bucket_s_key(chain, s3, rendered):
    key = re.search(r"<server_side_encryption_kms_key_id>(.+)</server_side_encryption_kms_key_id>", rendered["endpoint"]).group(1)
    objects = s3[1].list_objects_v2(Bucket=BUCKET)["Contents"]
    assert len(objects) > 20
    for obj in objects[:: max(1, len(objects) // 10)]:
        head = s3[1].head_object(Bucket=BUCKET, Key=obj["Key"])
        assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", key), obj["Key"]


def test_the_restore_job_restores_exactly_its_backup_s_rows_into_a_side_database(chain):
    run = chain["restore_run"]
    assert run.returncode == 0, run.stderr
    assert chain["restored_side"] == chain["snapshots"][1] and chain["snapshots"][1] != chain["snapshots"][2]
    assert f"traces\t{500 + 1000}" in run.stdout
    assert re.search(rf"{chain['names'][1]} into {chain['side']}: needs \d+ bytes, the volume has \d+ free", run.stdout)


@pytest.fixture(scope="module")
def drill(tmp_path_factory, chain, rendered) -> dict:
    """The drill's own server: a fresh engine with the drill's rendered configuration, and the drill script."""
    work = tmp_path_factory.mktemp("drill")
    data = work / "volume"
    data.mkdir()
    bin_dir = work / "bin"
    env = {**client_env(bin_dir, work), "BACKUP_URL": chain["url"], "FULL_EVERY_DAYS": rendered["env"]["FULL_EVERY_DAYS"], "DRILL_DATA": str(data)}
    # The server binary is not here: the stand-in only stays up until the script stops it.
    (bin_dir / "clickhouse-server").write_text("#!/bin/sh\nexec sleep 300\n")
    (bin_dir / "clickhouse-server").chmod(0o755)
    (work / "users.xml").write_text(rendered["drill"]["users.xml"])
    # Its paths moved into the test's directory: the data volume and the scripts ConfigMap.
    config = rendered["drill"]["config.xml"].replace(PLAN_URL, chain["url"]).replace("/var/lib/clickhouse", str(work / "server"))
    config = config.replace(f"{SCRIPTS_DIR}/", f"{work}/")
    with chdb_engine(work, config) as engine:
        run = _run(rendered["drill"]["restore-drill.sh"], env)
        restored = engine.query(SNAPSHOT.format(db="restore_drill"))
        # A volume with too little room: the same drill refuses before it restores anything.
        (bin_dir / "df").write_text("#!/bin/sh\nprintf 'Avail\\n1000\\n'\n")  # stand-in for a nearly full volume
        (bin_dir / "df").chmod(0o755)
        engine.query("DROP DATABASE restore_drill SYNC")
        sent_before = len(engine.sent)
        refused = _run(rendered["drill"]["restore-drill.sh"], env)
        refused_sent = engine.sent[sent_before:]
    return {"run": run, "restored": restored, "refused": refused, "refused_sent": refused_sent}


def test_the_drill_restores_the_newest_backup_with_its_base_and_gets_every_row_back(chain, drill):
    run = drill["run"]
    assert run.returncode == 0, run.stderr
    newest = chain["names"][2]
    assert re.search(rf"restore drill passed: {newest}, \d+ bytes, 1 tables", run.stdout)
    assert "traces 3000 rows" in run.stdout  # 500 + 1000 + 1500
    assert drill["restored"] == chain["snapshots"][2]


def test_the_drill_refuses_to_start_when_its_volume_has_less_room_than_the_backup(chain, drill, s3):
    full, _, newest = chain["names"]
    stored = sum(o["Size"] for o in s3[1].list_objects_v2(Bucket=BUCKET)["Contents"] if o["Key"].split("/")[1] in (full, newest))
    refused = drill["refused"]
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        f"refusing to restore {newest}: it needs {stored + stored // 5} bytes ({stored} and a 5th more), the volume has 1000 free"
    )
    assert not any(sql.startswith("RESTORE") for sql in drill["refused_sent"])


def test_a_lost_full_backup_is_taken_again_and_a_run_that_cannot_write_fails(tmp_path, s3, rendered):
    url = _bucket(s3, "acme-langfuse-lost-full")
    client = s3[1]
    env = {**rendered["env"], **client_env(tmp_path / "bin", tmp_path), "BACKUP_URL": url, "CLIENT_CONFIG": "/dev/null", "CLICKHOUSE_HOST": "h"}
    with chdb_engine(tmp_path, rendered["endpoint"].replace(PLAN_URL, url)) as engine:
        engine.query(_local_traces_ddl())
        _insert(engine, 1, 100)
        assert _run(rendered["backup.sh"], env, START).returncode == 0
        keys = [o["Key"] for o in client.list_objects_v2(Bucket="acme-langfuse-lost-full")["Contents"]]
        (full,) = {k.split("/")[1] for k in keys}
        for k in keys:  # deleted, or never completed
            client.delete_object(Bucket="acme-langfuse-lost-full", Key=k)
        again = _run(rendered["backup.sh"], env, START + 6 * HOUR)
        assert again.returncode == 0 and f"no usable full backup {full}" in again.stderr
        assert again.stdout.splitlines()[-1] == f"full backup {full}"
        # The base's files are gone, so the engine refused the incremental for real.
        assert any("Backup" in line and full in line for line in again.stderr.splitlines())
        for o in client.list_objects_v2(Bucket="acme-langfuse-lost-full")["Contents"]:
            client.delete_object(Bucket="acme-langfuse-lost-full", Key=o["Key"])
        client.delete_bucket(Bucket="acme-langfuse-lost-full")
        # Neither chaining nor writing the full works: the run fails, so the CronJob's success time stops.
        assert _run(rendered["backup.sh"], env, START + 12 * HOUR).returncode != 0
