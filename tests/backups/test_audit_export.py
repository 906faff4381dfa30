"""The audit_logs export (langfuse_incluster.audit_export), for real: Debian's PostgreSQL with the table created by
Langfuse's own migrations (tests/data/langfuse/prisma), moto's S3 server with an object-locked bucket, and the
CronJob's environment as prod renders it. What reaches the bucket are exactly the rows, window after window; the
watermark survives a restart; a run that dies after its upload neither loses nor duplicates a row; nothing is ever
overwritten."""

from __future__ import annotations

import gzip
import json
import uuid
from datetime import UTC, datetime, timedelta

import boto3
import psycopg
import pytest
from langfuse_incluster.audit_export.export import State, run_once
from langfuse_incluster.audit_export.sink import S3Sink
from langfuse_incluster.audit_export.source import PostgresAuditLogs
from langfuse_incluster.audit_export.state import data_of, state_of

from tests.backups.test_postgres_pitr import PG_BIN, Postgres, _append, workdir  # noqa: F401 (fixture)
from tests.conftest import project_path
from tests.local_servers import free_port, moto_server

MIGRATIONS = project_path("tests", "data", "langfuse", "prisma", "migrations")
KEY = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"


class ConfigMapData:
    """The ConfigMap's data as the API server keeps it between runs (the job's only memory)."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}

    def read(self) -> State:
        return state_of(self.data)

    def write(self, state: State) -> None:
        self.data = data_of(state)


class DiesAfterUpload(ConfigMapData):
    def __init__(self, data: dict[str, str]) -> None:
        self.data, self.writes = dict(data), 0

    def write(self, state: State) -> None:
        self.writes += 1
        if state.pending is None:  # the watermark move after the upload
            raise RuntimeError("killed")
        super().write(state)


@pytest.fixture
def database(workdir):  # noqa: F811
    server = Postgres(workdir / "pg", free_port(), {"PATH": "/usr/bin:/bin", "PGUSER": "postgres"})
    server.run("mkdir", str(server.data.parent))
    server.run(str(PG_BIN / "initdb"), "-D", str(server.data), "-U", "postgres", "-A", "trust")
    _append(server, {"port": str(server.port), "listen_addresses": "''", "unix_socket_directories": f"'{server.socket_dir}'"})
    server.start()
    try:
        files = sorted(MIGRATIONS.glob("*/migration.sql"))
        assert len(files) == 43
        server.run(str(PG_BIN / "psql"), "-h", str(server.socket_dir), "-p", str(server.port), "-d", "postgres", "-q", "-v", "ON_ERROR_STOP=1",
                   *[arg for f in files for arg in ("-f", str(f))])
        yield f"host={server.socket_dir} port={server.port} dbname=postgres user=postgres"
    finally:
        server.stop()


@pytest.fixture
def bucket():
    with moto_server() as endpoint:
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
        s3.create_bucket(Bucket="audit", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}, ObjectLockEnabledForBucket=True)
        s3.put_object_lock_configuration(Bucket="audit", ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 1}}})
        yield s3


def _insert(conninfo: str, at: datetime, action: str) -> dict:
    row = {"id": uuid.uuid4().hex, "created_at": at.replace(tzinfo=None), "updated_at": at.replace(tzinfo=None), "org_id": "org-1",
           "project_id": "project-1", "user_id": "user-1", "user_org_role": "OWNER", "resource_type": "apiKey", "resource_id": "key-1",
           "action": action, "before": None, "after": json.dumps({"note": "ünïcode"}), "type": "USER"}
    with psycopg.connect(conninfo, autocommit=True) as db:
        db.execute(f"INSERT INTO audit_logs ({', '.join(row)}) VALUES ({', '.join(['%s'] * len(row))})", list(row.values()))
    return row


def _exported(s3) -> list[dict]:
    rows = []
    for obj in s3.list_objects_v2(Bucket="audit").get("Contents", []):
        body = s3.get_object(Bucket="audit", Key=obj["Key"])["Body"].read()
        rows += [json.loads(line) for line in gzip.decompress(body).decode().splitlines()]
    return rows


def test_audit_logs_reach_the_bucket_once_each_window_after_window(database, bucket):
    t0 = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
    first = [_insert(database, t0 + timedelta(minutes=i), f"create-{i}") for i in range(3)]
    state, sink, source = ConfigMapData(), S3Sink(bucket, "audit", KEY), PostgresAuditLogs(database)

    run = run_once(source, sink, state, "langfuse-audit-logs/", now=t0 + timedelta(hours=1))
    assert (run.rows, run.created) == (3, True) and run.key.startswith("langfuse-audit-logs/2026/09/01/audit_logs-beginning-")
    exported = _exported(bucket)
    assert [r["id"] for r in exported] == [r["id"] for r in first]
    # Every column Langfuse's table has, as stored: timestamps in UTC, text unchanged.
    with psycopg.connect(database) as db:
        columns = [c.name for c in db.execute("SELECT * FROM audit_logs LIMIT 0").description]
    assert sorted(exported[0]) == sorted(columns)
    assert exported[0]["created_at"] == "2026-09-01T12:00:00.000Z" and exported[0]["after"] == '{"note": "\\u00fcn\\u00efcode"}'
    head = bucket.head_object(Bucket="audit", Key=run.key)
    assert head["ObjectLockMode"] == "COMPLIANCE" and head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == KEY

    # Rows of the next hour: the next run, in a new pod, takes those only.
    later = [_insert(database, t0 + timedelta(hours=1, minutes=i), f"update-{i}") for i in range(2)]
    restarted = ConfigMapData()
    restarted.data = dict(state.data)  # a new pod: only the ConfigMap survives
    second = run_once(source, S3Sink(bucket, "audit", KEY), restarted, "langfuse-audit-logs/", now=t0 + timedelta(hours=2))
    assert second.rows == 2 and sorted(r["id"] for r in _exported(bucket)) == sorted(r["id"] for r in first + later)

    # A run killed after its upload: the retry finds its object, uploads nothing twice, and moves on.
    _insert(database, t0 + timedelta(hours=2, minutes=1), "delete-0")
    dying = DiesAfterUpload(restarted.data)
    with pytest.raises(RuntimeError):
        run_once(source, S3Sink(bucket, "audit", KEY), dying, "langfuse-audit-logs/", now=t0 + timedelta(hours=3))
    retry = ConfigMapData()
    retry.data = dict(dying.data)
    again = run_once(source, S3Sink(bucket, "audit", KEY), retry, "langfuse-audit-logs/", now=t0 + timedelta(hours=9))
    assert (again.rows, again.created) == (1, False)
    ids = [r["id"] for r in _exported(bucket)]
    assert len(ids) == len(set(ids)) == 6

    # Nothing is overwritten: the same key again is refused.
    assert S3Sink(bucket, "audit", KEY).create(run.key, b"tampered") is False
    assert gzip.decompress(bucket.get_object(Bucket="audit", Key=run.key)["Body"].read()).count(b"\n") == 3
