"""The analytics cluster: a sharded ClickHouse apart from the one Langfuse serves from, fed by Langfuse's
scheduled blob exports, with read-only access for data warehouses."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from infra.stack_config.base import Cpu, Model
from infra.stack_config.data_tier import ClickHouseBackupConfig, ResourcesConfig
from infra.stack_config.tenancy import KeyPairRef
from infra.stack_config.types import ExternalId, IamUserArn, StorageQuantity

# Langfuse's export frequencies (BlobStorageExportFrequency, web/src/features/public-api/types/blob-storage-integrations.ts
# at v4.16.0) and the window each covers (getFrequencyIntervalMs, worker handleBlobStorageIntegrationProjectJob.ts).
EXPORT_INTERVAL_MINUTES = {"every_20_minutes": 20, "hourly": 60, "daily": 24 * 60, "weekly": 7 * 24 * 60}
ExportFrequency = Literal["every_20_minutes", "hourly", "daily", "weekly"]


class AnalyticsExportsConfig(Model):
    """Langfuse's scheduled blob exports of every project into the exports bucket (Parquet, OBSERVATIONS_V2)."""

    frequency: ExportFrequency = Field(default="hourly", description="how often Langfuse exports each project (its window length)")
    file_retention_days: int = Field(
        default=30, ge=2, le=3650, description="how long export files stay in S3 for warehouses and reloads (the analytics cluster keeps the history)"
    )
    organization_key: KeyPairRef | None = Field(
        default=None,
        description="shared-project mode: an organisation-scoped key (created in the UI, every edition) that configures the shared project's export",
    )


class SnowflakeConfig(Model):
    """Snowflake's storage integration: the IAM user and external id `DESC INTEGRATION` shows."""

    iam_user_arn: IamUserArn = Field(description="STORAGE_AWS_IAM_USER_ARN of the storage integration")
    external_id: ExternalId = Field(description="STORAGE_AWS_EXTERNAL_ID of the storage integration")


class WarehousesConfig(Model):
    snowflake: SnowflakeConfig | None = Field(default=None, description="an IAM role Snowflake's storage integration assumes (read-only, exports prefix)")
    bigquery: bool = Field(
        default=False,
        description="an IAM user for BigQuery Data Transfer Service's Amazon S3 transfers (read-only, exports prefix; its access key is made by hand)",
    )


class AnalyticsConfig(Model):
    """A ClickHouse of its own (shards × replicas, Keeper), loaded from the exports; never the one Langfuse uses."""

    enabled: bool = Field(default=False, description="deploy the analytics cluster, its loader, dashboards and the exports it reads")
    shards: int = Field(default=2, ge=1, le=16, description="shards of the analytics cluster (at least 2 in prod)")
    replicas: int = Field(default=2, ge=1, le=9, description="replicas of each shard (at least 2 in prod)")
    keeper_replicas: int = Field(default=3, ge=1, le=7, description="ClickHouse Keeper members of the analytics cluster: 1, 3 or 5")
    storage: StorageQuantity = Field(default="200Gi", description="data volume per replica")
    keeper_storage: StorageQuantity = Field(default="10Gi", description="data volume per Keeper member")
    resources: ResourcesConfig = Field(default=ResourcesConfig(cpu=Cpu(request="2", limit="4"), memory="8Gi"), description="per replica")
    zone_anti_affinity: Literal["required", "preferred"] = Field(default="required", description="spread each shard's replicas over zones")
    retention_days: int = Field(default=730, ge=1, le=3650, description="rows older than this (by start time) expire (the tables' TTL)")
    exports: AnalyticsExportsConfig = Field(default=AnalyticsExportsConfig(), description="Langfuse's exports the cluster loads")
    backup: ClickHouseBackupConfig = Field(default=ClickHouseBackupConfig(), description="scheduled backups of the analytics cluster to S3")
    warehouses: WarehousesConfig = Field(default=WarehousesConfig(), description="read-only access to the same export files for data warehouses")

    @field_validator("keeper_replicas")
    @classmethod
    def _odd_quorum(cls, members: int) -> int:
        if members % 2 == 0:
            raise ValueError(f"must be odd (1, 3 or 5): {members} Keeper members survive no more failures than {members - 1}")
        return members

    @property
    def export_interval_minutes(self) -> int:
        return EXPORT_INTERVAL_MINUTES[self.exports.frequency]
