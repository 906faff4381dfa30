"""What the analytics tests (and scripts/benchmark-analytics) stand in for when they run the cluster's statements in
chdb: the Distributed tables, and the Grafana plugin's macros."""

from __future__ import annotations

import re
from datetime import datetime

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

