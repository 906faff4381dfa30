"""Replicated ClickHouse for Langfuse (Altinity operator) with ClickHouse Keeper."""

from components.clickhouse.installation import (
    ClickHouseCluster,
    ClickHouseClusterArgs,
    backup_service_account,
    restore_drill_service_account,
)

__all__ = ["ClickHouseCluster", "ClickHouseClusterArgs", "backup_service_account", "restore_drill_service_account"]
