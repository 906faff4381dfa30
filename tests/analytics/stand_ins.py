"""What the analytics tests (and scripts/benchmark-analytics) stand in for when they run the cluster's statements in
chdb: S3 (moto's server in the process), the Distributed tables, and the Grafana plugin's macros."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import boto3

from tests.local_servers import moto_credentials, moto_server


@contextmanager
def moto_s3(bucket: str, region: str) -> Iterator[tuple[str, Any]]:
    """moto's S3 server on a free port with `bucket` created: its endpoint and a client. clickhouse-local's
    environment credential chain reads the test credentials set meanwhile, as the loader pod's reads its web identity."""
    with moto_server() as endpoint, moto_credentials(region):
        client = boto3.client("s3", endpoint_url=endpoint, region_name=region)
        client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
        yield endpoint, client

# Local stand-ins of the Distributed tables (chdb runs no Distributed table: no server port, so no shard is ever
# local to it): reads and inserts go to the one local table, i.e. a one-shard cluster.
DISTRIBUTED = re.compile(r"\banalytics\.(observations|export_manifests)\b(?!_local)")
ON_CLUSTER = re.compile(r"\s+ON CLUSTER '[^']*'")


def one_shard(sql: str) -> str:
    return DISTRIBUTED.sub(lambda m: f"analytics.{m.group(1)}_local", sql)


def local_statement(statement: str) -> str:
    """A schema statement as chdb runs it: no ON CLUSTER (no cluster), the local engine for the Replicated one (no Keeper)."""
    return ON_CLUSTER.sub("", statement).replace("ReplicatedReplacingMergeTree", "ReplacingMergeTree")


def expand_macros(sql: str, start: datetime, end: datetime, interval_seconds: int) -> str:
    """The ClickHouse datasource's macros as v4.20.0 expands them (pkg/macros/macros.go: TimeFilter,
    TimeInterval)."""
    sql = re.sub(r"\$__timeFilter\(([^)]+)\)", lambda m: f"{m.group(1)} >= toDateTime({int(start.timestamp())}) AND "
                 f"{m.group(1)} <= toDateTime({int(end.timestamp())})", sql)
    return re.sub(r"\$__timeInterval\(([^)]+)\)", lambda m: f"toStartOfInterval(toDateTime({m.group(1)}), INTERVAL {interval_seconds} second)", sql)

