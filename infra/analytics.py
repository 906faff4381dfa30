"""The analytics cluster of an environment stack, from its analytics config (parsed once, passed down): the
cluster and its loader, the exports it reads, its dashboards and the export of the shared project."""

from __future__ import annotations

import pulumi

from components.analytics.cluster import AnalyticsCluster, AnalyticsClusterArgs
from components.analytics.contract import INSTALLATION, LOADER_SERVICE_ACCOUNT
from components.analytics.dashboards import AnalyticsDashboards, AnalyticsDashboardsArgs
from components.analytics.exports_job import ExportSettings, SharedProjectExport, SharedProjectExportArgs
from components.aws.tier import AnalyticsAccess, LangfuseAwsTier
from components.clickhouse.backup import backup_expiry_days
from components.clickhouse.contract import backup_service_account
from components.common.dns import service_fqdn
from components.common.refs import ConfigMapKeyRef
from components.langfuse.contract import web_api_url
from infra.secret_references import key_pair
from infra.sizing import clickhouse_backup_policy, container_resources
from infra.stack_config import StackConfig

# Langfuse exports a window only once it is this old (BLOB_STORAGE_LAG_BUFFER_MS, worker
# handleBlobStorageIntegrationProjectJob.ts): the newest exported row is always at least this far behind.
EXPORT_LAG_BUFFER_SECONDS = 20 * 60


def load_schedule(interval_minutes: int) -> str:
    """The loader runs a few times per export window, so a committed run waits minutes, not a window."""
    if interval_minutes <= 20:
        return "*/10 * * * *"
    if interval_minutes <= 60:
        return "*/15 * * * *"
    return "7 * * * *"


def lag_alert_seconds(interval_minutes: int) -> int:
    """Two export windows, plus the export's own lag buffer (the newest row of a fresh export is that old)."""
    return 2 * interval_minutes * 60 + EXPORT_LAG_BUFFER_SECONDS


def analytics_access(config: StackConfig) -> AnalyticsAccess | None:
    a = config.analytics
    if not a.enabled:
        return None
    snowflake = a.warehouses.snowflake
    return AnalyticsAccess(
        servers_service_account=backup_service_account(INSTALLATION),
        loader_service_account=LOADER_SERVICE_ACCOUNT,
        export_retention_days=a.exports.file_retention_days,
        backup_expiry_days=backup_expiry_days(clickhouse_backup_policy(a.backup)),
        snowflake=(snowflake.iam_user_arn, snowflake.external_id) if snowflake else None,
        bigquery=a.warehouses.bigquery,
    )


def export_settings(config: StackConfig, aws_tier: LangfuseAwsTier) -> ExportSettings | None:
    if not config.analytics.enabled:
        return None
    return ExportSettings(aws_tier.buckets.exports, config.cluster.region, aws_tier.prefixes.analytics_exports, config.analytics.exports.frequency)


def deploy_analytics(
    config: StackConfig,
    namespace: str,
    service_ca_bundle: ConfigMapKeyRef,
    aws_tier: LangfuseAwsTier,
    store: str,
    opts: pulumi.ResourceOptions,
) -> AnalyticsCluster | None:
    a, tier = config.analytics, config.data_tier
    if not a.enabled:
        return None
    assert tier is not None  # StackConfig: analytics needs in-cluster mode
    region = config.cluster.region
    cluster = AnalyticsCluster(
        "analytics",
        AnalyticsClusterArgs(
            namespace=namespace,
            secrets=aws_tier.secrets,
            store=store,
            shards=a.shards,
            replicas=a.replicas,
            keeper_replicas=a.keeper_replicas,
            storage_class=tier.storage_class,
            storage_size=a.storage,
            keeper_storage_size=a.keeper_storage,
            resources=container_resources(a.resources),
            zone_anti_affinity=a.zone_anti_affinity,
            service_ca_config_map=service_ca_bundle.name,
            retention_days=a.retention_days,
            backup_role_arn=aws_tier.role_arns.analytics_backup,
            backup_url=f"https://{aws_tier.buckets.backups}.s3.{region}.amazonaws.com/{aws_tier.prefixes.analytics_backups.rstrip('/')}",
            backup_kms_key_arn=aws_tier.data_key_arn,
            backup_policy=clickhouse_backup_policy(a.backup),
            loader_role_arn=aws_tier.role_arns.analytics_loader,
            bucket_url=f"https://{aws_tier.buckets.exports}.s3.{region}.amazonaws.com",
            exports_prefix=aws_tier.prefixes.analytics_exports,
            load_schedule=load_schedule(a.export_interval_minutes),
            # Manifests older than the files' lifecycle are gone from S3: no need to compare them (a day's margin).
            lookback_days=a.exports.file_retention_days + 1,
        ),
        opts=opts,
    )
    # What the warehouses' side needs (README, Warehouses): the role Snowflake assumes, the user BigQuery signs as.
    for warehouse, arn in aws_tier.warehouse_access.items():
        pulumi.export(f"warehouse{warehouse.capitalize()}Principal", arn)
    return cluster


def deploy_analytics_dashboards(namespace: str, cluster: AnalyticsCluster, service_ca_bundle: ConfigMapKeyRef, opts: pulumi.ResourceOptions) -> None:
    AnalyticsDashboards(
        "analytics-dashboards",
        AnalyticsDashboardsArgs(
            namespace=namespace,
            host=service_fqdn(cluster.service_host, namespace),
            credentials_secret=cluster.grafana_secret,
            service_ca_bundle=service_ca_bundle,
        ),
        opts=opts,
    )


def deploy_shared_project_export(config: StackConfig, namespace: str, store: str, target: ExportSettings, opts: pulumi.ResourceOptions) -> None:
    """Shared-project mode only: the per-project mode's exports are the tenant controller's."""
    tenancy = config.tenancy
    org, shared = config.analytics.exports.organization_key, tenancy.shared_project_key
    assert tenancy.image is not None and org is not None and shared is not None  # StackConfig's validators
    SharedProjectExport(
        "shared-project-export",
        SharedProjectExportArgs(
            namespace=namespace,
            image=tenancy.image,
            store=store,
            api_url=web_api_url(namespace),
            organization_key=key_pair(org),
            project_key=key_pair(shared),
            target=target,
        ),
        opts=opts,
    )
