"""Replicated ClickHouse for Langfuse (Altinity operator) with ClickHouse Keeper."""

from components.clickhouse.installation import ClickHouseCluster, ClickHouseClusterArgs

__all__ = ["ClickHouseCluster", "ClickHouseClusterArgs"]
