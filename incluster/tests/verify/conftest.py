"""The harness of verify, the gate and the monitor: the real Langfuse SDK against the stand-in Langfuse (its
ingestion and read paths from standin_ingestion.py, every request and answer checked against Langfuse's
OpenAPI spec) and moto's AWS (S3, KMS, Secrets Manager) as a server, which the stand-in's "web" writes event
objects to and verify reads them back from."""

from __future__ import annotations

import socket
from dataclasses import dataclass

import boto3
import pytest
from langfuse_incluster.verify.bucket import EventBucket
from langfuse_incluster.verify.connection import LangfuseConnection
from moto.server import ThreadedMotoServer
from standin_ingestion import EventBucketWriter, Ingestion
from standin_langfuse import StandInLangfuse

REGION = "eu-west-1"
BUCKET = "acme-langfuse-dev-events"
PREFIX = "events/"
KEY_ALIAS = "alias/acme-langfuse-dev-data"


@pytest.fixture(scope="session")
def moto_endpoint():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@dataclass
class Aws:
    endpoint: str
    key_arn: str
    other_key_arn: str

    def client(self, service: str):
        return boto3.client(service, region_name=REGION)


@pytest.fixture
def aws(moto_endpoint, monkeypatch) -> Aws:
    """A fresh bucket and keys per test (moto keeps state for the session: names are reused, contents reset)."""
    for name, value in {"AWS_ENDPOINT_URL": moto_endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    s3, kms = boto3.client("s3", region_name=REGION), boto3.client("kms", region_name=REGION)
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if BUCKET in existing:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
            for o in page.get("Contents", []):
                s3.delete_object(Bucket=BUCKET, Key=o["Key"])
    else:
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    key, other = (kms.create_key()["KeyMetadata"]["Arn"] for _ in range(2))
    aliases = {a["AliasName"] for a in kms.list_aliases()["Aliases"]}
    if KEY_ALIAS in aliases:
        kms.update_alias(AliasName=KEY_ALIAS, TargetKeyId=key)
    else:
        kms.create_alias(AliasName=KEY_ALIAS, TargetKeyId=key)
    return Aws(moto_endpoint, key, other)


@pytest.fixture
def ingestion() -> Ingestion:
    return Ingestion()


@pytest.fixture
def langfuse(ingestion):
    server = StandInLangfuse(extensions=(ingestion,))
    server.url = server.start()
    server.ingestion = ingestion
    project = server.add_project("verification")
    server.project, server.key = project, server.add_key(project.id)
    yield server
    server.stop()
    assert server.violations == [], server.violations


@pytest.fixture
def connection(langfuse):
    c = LangfuseConnection(langfuse.url, langfuse.key.public_key, langfuse.key.secret_key, max_retries=0)
    yield c
    c.close()


@pytest.fixture
def event_bucket(aws, ingestion) -> EventBucket:
    """The stack's events bucket, and Langfuse's web writing to it as the stack configures it: SSE-KMS under the data key."""
    ingestion.bucket = EventBucketWriter(aws.client("s3"), BUCKET, PREFIX, "aws:kms", aws.key_arn)
    return EventBucket(BUCKET, PREFIX, KEY_ALIAS, REGION)
