"""In-cluster data tier settings: CloudNativePG PostgreSQL, Altinity ClickHouse with Keeper, Redis Sentinel.

Topologies that cannot be highly available, or that Langfuse cannot use, are refused here, before anything
is created, with the reason.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import AwareDatetime, Field, ValidationInfo, field_validator

from components.postgres.contract import CLUSTER_NAME as POSTGRES_CLUSTER
from infra.stack_config.base import Cpu, Model
from infra.stack_config.types import CnpgSchedule, CronJobSchedule, MemoryQuantity, ObjectName, StorageQuantity, memory_mib

DEFAULT_STORAGE_CLASS = "langfuse-gp3-encrypted"


class ResourcesConfig(Model):
    """A container's CPU and memory as the stack file writes them; components take them as one Resources
    (infra/sizing.py)."""

    cpu: Cpu = Field(description="CPU request and limit")
    memory: MemoryQuantity = Field(description="memory request and limit")


class PostgresBackupConfig(Model):
    """Continuous WAL archiving and base backups to the environment's backups bucket (Barman Cloud)."""

    retention_days: int = Field(default=30, ge=1, le=3650, description="recovery window kept in S3")
    schedule: CnpgSchedule = Field(default="0 0 3 * * *", description="base backup schedule (CloudNativePG cron: six fields, seconds first)")
    rpo_minutes: int = Field(
        default=5, ge=1, le=60, description="recovery-point target of a restore from S3: a WAL segment is archived at least this often (archive_timeout)"
    )
    server_name: ObjectName | None = Field(
        default=None, description="folder of this cluster's backups in S3 (default: the cluster's name); a new one after each restore"
    )


class PostgresRecoveryConfig(Model):
    """Bootstrap the cluster from backups instead of an empty database (`langfuse-rosa restore postgres`)."""

    source_server_name: ObjectName = Field(description="the backups to restore: the serverName they were archived under")
    # YAML has no time type here (strings), so this one field is parsed from its ISO 8601 text.
    target_time: AwareDatetime | None = Field(
        default=None, strict=False, description="replay WAL up to this time, ISO 8601 with offset; unset: to the end of the archive"
    )

    @field_validator("target_time")
    @classmethod
    def _in_the_past(cls, when: datetime | None) -> datetime | None:
        if when is not None and when > datetime.now(UTC):
            raise ValueError("must be in the past: WAL is replayed up to it, and no WAL exists after now")
        return when


class InClusterPostgresConfig(Model):
    """HA PostgreSQL with CloudNativePG."""

    instances: int = Field(default=3, ge=1, le=9, description="PostgreSQL instances (1 primary + standbys)")
    storage: StorageQuantity = Field(default="50Gi", description="data volume per instance")
    wal_storage: StorageQuantity = Field(default="10Gi", description="separate WAL volume per instance")
    resources: ResourcesConfig = Field(
        default=ResourcesConfig(cpu=Cpu(request="2", limit="2"), memory="4Gi"),
        description="per instance; Langfuse's minimum is 2 CPU / 4 GiB",
    )
    zone_anti_affinity: Literal["required", "preferred"] = Field(
        default="required", description="required: never two instances in one zone (needs as many zones as instances)"
    )
    max_connections: int = Field(
        default=200, ge=50, le=5000, description="PostgreSQL max_connections; must hold every pool Langfuse can open (docs/decisions.md: PostgreSQL connections)"
    )
    backup: PostgresBackupConfig = Field(default=PostgresBackupConfig(), description="continuous backup to S3")
    recovery: PostgresRecoveryConfig | None = Field(default=None, description="restore from backups at creation (see README: restores)")

    @field_validator("recovery")
    @classmethod
    def _archives_elsewhere(cls, recovery: PostgresRecoveryConfig | None, info: ValidationInfo) -> PostgresRecoveryConfig | None:
        backup = info.data.get("backup")
        if recovery is not None and backup is not None and (backup.server_name or POSTGRES_CLUSTER) == recovery.source_server_name:
            raise ValueError(
                "needs backup.serverName different from recovery.sourceServerName: CloudNativePG refuses to archive into the backups it restores from"
            )
        return recovery


class ClickHouseBackupConfig(Model):
    """Native BACKUP ... ON CLUSTER ... TO S3: a full backup per cycle, incrementals on it in between."""

    interval_hours: Literal[1, 2, 3, 4, 6, 8, 12, 24] = Field(default=24, description="a backup every this many hours: the RPO of a restore")
    full_every_days: int = Field(default=7, ge=1, le=31, description="length of a cycle: its first backup is full, the others incremental on it")
    retention_days: int = Field(default=30, ge=1, le=3650, description="backups are kept at least this long (S3 expires them fullEveryDays later)")


class InClusterClickHouseConfig(Model):
    """Replicated ClickHouse (Altinity operator) with ClickHouse Keeper."""

    shards: int = Field(default=1, ge=1, description="must be 1: Langfuse supports only single-shard ClickHouse")
    replicas: int = Field(default=3, ge=1, le=9, description="replicas of the single shard")
    keeper_replicas: int = Field(default=3, ge=1, le=7, description="ClickHouse Keeper members: 1 (no HA), 3 or 5")
    storage: StorageQuantity = Field(default="100Gi", description="data volume per replica")
    keeper_storage: StorageQuantity = Field(default="10Gi", description="data volume per Keeper member")
    resources: ResourcesConfig = Field(
        default=ResourcesConfig(cpu=Cpu(request="2", limit="2"), memory="8Gi"),
        description="per replica; Langfuse's minimum is 2 CPU / 8 GiB",
    )
    zone_anti_affinity: Literal["required", "preferred"] = Field(default="required", description="spread replicas over zones")
    backup: ClickHouseBackupConfig = Field(default=ClickHouseBackupConfig(), description="scheduled backups to S3")

    @field_validator("shards")
    @classmethod
    def _single_shard(cls, shards: int) -> int:
        # Langfuse's ClickHouse schema uses ReplicatedMergeTree tables without a Distributed layer; its deletes
        # and updates (ALTER ... DELETE / lightweight updates) fail on Distributed tables, so Langfuse does not
        # support multi-shard clusters (langfuse-k8s chart: `shards: 1 # Fixed: Langfuse does not support
        # multi-shard clusters`; langfuse/langfuse discussions #12158, #13311).
        if shards != 1:
            raise ValueError(
                "must be 1: Langfuse supports only single-shard ClickHouse (its deletes and updates fail on "
                "Distributed tables); scale with replicas instead"
            )
        return shards

    @field_validator("keeper_replicas")
    @classmethod
    def _odd_quorum(cls, members: int) -> int:
        if members % 2 == 0:
            raise ValueError(
                f"must be odd (1, 3 or 5): {members} Keeper members survive no more failures than {members - 1}, "
                "and a split in half leaves neither side a quorum"
            )
        return members


class InClusterRedisConfig(Model):
    """Valkey data nodes watched by Sentinel."""

    replicas: int = Field(default=3, ge=2, le=5, description="data nodes: one master and its replicas")
    sentinels: int = Field(default=3, le=7, description="Sentinel processes: odd, at least 3")
    quorum: int | None = Field(
        default=None, validate_default=True, description="sentinels that must agree the master is down; default: a majority"
    )
    memory: MemoryQuantity = Field(default="2Gi", description="memory limit per data node; maxmemory is 80 % of it")
    storage: StorageQuantity = Field(default="8Gi", description="AOF/RDB volume per data node")
    zone_anti_affinity: Literal["required", "preferred"] = Field(default="required", description="spread nodes over zones")

    @field_validator("sentinels")
    @classmethod
    def _odd_sentinels(cls, sentinels: int) -> int:
        if sentinels < 3:
            raise ValueError("must be at least 3: fewer sentinels cannot outvote one that is cut off from the rest")
        if sentinels % 2 == 0:
            raise ValueError(
                f"must be odd: with {sentinels} sentinels a split in half leaves neither side a majority to authorise failover"
            )
        return sentinels

    @field_validator("quorum")
    @classmethod
    def _majority_quorum(cls, quorum: int | None, info: ValidationInfo) -> int | None:
        sentinels = info.data.get("sentinels")
        if sentinels is None or quorum is None:
            return quorum
        majority = sentinels // 2 + 1
        if not majority <= quorum <= sentinels:
            raise ValueError(
                f"must be between {majority} (a majority of {sentinels} sentinels) and {sentinels}: a smaller quorum "
                "lets a minority partition declare the master down"
            )
        return quorum

    @field_validator("memory")
    @classmethod
    def _enough_memory(cls, memory: str) -> str:
        if memory_mib(memory) < 512:
            raise ValueError("must be at least 512Mi")
        return memory

    @property
    def effective_quorum(self) -> int:
        return self.quorum if self.quorum is not None else self.sentinels // 2 + 1


class DataTierConfig(Model):
    storage_class: ObjectName = Field(
        default=DEFAULT_STORAGE_CLASS, description="encrypted StorageClass created by the cluster layer"
    )
    postgres: InClusterPostgresConfig = Field(description="CloudNativePG cluster")
    clickhouse: InClusterClickHouseConfig = Field(default=InClusterClickHouseConfig(), description="ClickHouse and Keeper")
    redis: InClusterRedisConfig = Field(default=InClusterRedisConfig(), description="Valkey with Sentinel")
    restore_drill_schedule: CronJobSchedule = Field(
        default="0 5 * * 6",
        description="cron (UTC, Kubernetes CronJob: five fields or @daily etc.) of the restore drills of PostgreSQL and ClickHouse",
    )
