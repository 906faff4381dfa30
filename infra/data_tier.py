"""In-cluster mode: the data tier's component args, from the stack's dataTier settings."""

from __future__ import annotations

import pulumi

from components.aws.tier import LangfuseAwsTier
from components.clickhouse.contract import INSTALLATION as CLICKHOUSE_INSTALLATION
from components.clickhouse.installation import ClickHouseClusterArgs
from components.common.refs import ConfigMapKeyRef
from components.data_tier import LangfuseDataTierArgs
from components.langfuse.backend import S3Backend
from components.postgres.cluster import PostgresBackup, PostgresClusterArgs, PostgresRecovery
from components.postgres.contract import CLUSTER_NAME as POSTGRES_CLUSTER
from components.redis.config import SentinelSettings
from components.redis.sentinel import SentinelRedisArgs
from infra.sizing import clickhouse_backup_policy, container_resources
from infra.stack_config.models import StackConfig
from infra.stack_config.types import memory_mib

REDIS_MASTER_NAME = "langfuse"
# Share of a data node's memory limit Redis may fill; the rest is for replication buffers, AOF rewrites and
# fragmentation.
REDIS_MAXMEMORY_SHARE = 0.8


def data_tier_args(
    config: StackConfig,
    namespace: pulumi.Input[str],
    service_ca_bundle: ConfigMapKeyRef,
    aws_tier: LangfuseAwsTier,
    store: str,
    s3: S3Backend,
) -> LangfuseDataTierArgs:
    tier = config.data_tier
    assert tier is not None  # guaranteed for mode in-cluster by StackConfig's validator
    pg, ch, redis = tier.postgres, tier.clickhouse, tier.redis
    return LangfuseDataTierArgs(
        namespace=namespace,
        service_ca_bundle=service_ca_bundle,
        postgres=PostgresClusterArgs(
            namespace=namespace,
            name=POSTGRES_CLUSTER,
            secrets=aws_tier.secrets,
            store=store,
            instances=pg.instances,
            storage_class=tier.storage_class,
            storage_size=pg.storage,
            wal_storage_size=pg.wal_storage,
            resources=container_resources(pg.resources),
            zone_anti_affinity=pg.zone_anti_affinity,
            max_connections=pg.max_connections,
            audit=config.audit.pgaudit,
            backup=PostgresBackup(
                destination=f"s3://{aws_tier.buckets.backups}/{aws_tier.prefixes.postgres_backups.rstrip('/')}",
                role_arn=aws_tier.role_arns.postgres_backup,
                retention_days=pg.backup.retention_days,
                schedule=pg.backup.schedule,
                archive_timeout_minutes=pg.backup.rpo_minutes,
                region=config.cluster.region,
                drill_schedule=tier.restore_drill_schedule,
                drill_storage=f"{memory_mib(pg.storage) + memory_mib(pg.wal_storage)}Mi",
                server_name=pg.backup.server_name or POSTGRES_CLUSTER,
                kms_key_arn=aws_tier.data_key_arn,
            ),
            recovery=(
                PostgresRecovery(
                    source_server_name=pg.recovery.source_server_name,
                    target_time=pg.recovery.target_time.isoformat(sep=" ") if pg.recovery.target_time else None,
                )
                if pg.recovery
                else None
            ),
        ),
        clickhouse=ClickHouseClusterArgs(
            namespace=namespace,
            name=CLICKHOUSE_INSTALLATION,
            secrets=aws_tier.secrets,
            store=store,
            backup_role_arn=aws_tier.role_arns.clickhouse_backup,
            backup_url=f"https://{aws_tier.buckets.backups}.s3.{config.cluster.region}.amazonaws.com/{aws_tier.prefixes.clickhouse_backups.rstrip('/')}",
            backup_kms_key_arn=aws_tier.data_key_arn,
            backup_policy=clickhouse_backup_policy(ch.backup),
            service_ca_config_map=service_ca_bundle.name,
            drill_schedule=tier.restore_drill_schedule,
            drill_role_arn=aws_tier.role_arns.clickhouse_restore_drill,
            replicas=ch.replicas,
            keeper_replicas=ch.keeper_replicas,
            storage_class=tier.storage_class,
            storage_size=ch.storage,
            keeper_storage_size=ch.keeper_storage,
            resources=container_resources(ch.resources),
            zone_anti_affinity=ch.zone_anti_affinity,
        ),
        redis=SentinelRedisArgs(
            namespace=namespace,
            name="langfuse",
            replicas=redis.replicas,
            sentinels=redis.sentinels,
            settings=SentinelSettings(
                master_name=REDIS_MASTER_NAME,
                quorum=redis.effective_quorum,
                maxmemory_bytes=int(memory_mib(redis.memory) * REDIS_MAXMEMORY_SHARE) * 1024 * 1024,
            ),
            memory=redis.memory,
            storage_class=tier.storage_class,
            storage_size=redis.storage,
            zone_anti_affinity=redis.zone_anti_affinity,
            service_ca_config_map=service_ca_bundle.name,
            secrets=aws_tier.secrets,
            store=store,
        ),
        s3=s3,
    )
