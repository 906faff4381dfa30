"""The environment's AWS side from stack config: providers pinned to the account, and the LangfuseAwsTier."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
from langfuse_incluster import contract as incluster

from components.aws.tier import AuditSettings, LangfuseAwsTier, LangfuseAwsTierArgs, ServiceAccounts
from components.clickhouse.backup import backup_expiry_days
from components.clickhouse.contract import INSTALLATION as CLICKHOUSE_INSTALLATION
from components.clickhouse.contract import backup_service_account, restore_drill_service_account
from components.langfuse.backend import S3Backend, S3Bucket
from components.langfuse.contract import WEB_SERVICE_ACCOUNT, WORKER_SERVICE_ACCOUNT
from components.postgres.contract import CLUSTER_NAME as POSTGRES_CLUSTER
from components.secrets.store import SERVICE_ACCOUNT as EXTERNAL_SECRETS_SERVICE_ACCOUNT
from infra.analytics import analytics_access
from infra.secret_references import existing_secret_names
from infra.sizing import clickhouse_backup_policy
from infra.stack_config.models import StackConfig
from infra.stack_config.types import oidc_issuer


def aws_provider(name: str, region: str, account_id: str, stack_tags: dict[str, str]) -> aws.Provider:
    # allowed_account_ids: with credentials for the wrong account, the provider refuses to do anything.
    return aws.Provider(
        name,
        region=region,
        allowed_account_ids=[account_id],
        default_tags=aws.ProviderDefaultTagsArgs(tags=stack_tags),
    )


def stack_tags(environment: str) -> dict[str, str]:
    return {"langfuse-rosa:environment": environment, "langfuse-rosa:stack": pulumi.get_stack(), "managed-by": "pulumi"}


def deploy_aws_tier(config: StackConfig, opts: pulumi.ResourceOptions) -> LangfuseAwsTier:
    dr = config.disaster_recovery
    dr_provider = None
    if dr.enabled and dr.region is not None:
        dr_provider = aws_provider("aws-dr", dr.region, config.aws.account_id, stack_tags(config.environment))
    return LangfuseAwsTier(
        "aws",
        LangfuseAwsTierArgs(
            account_id=config.aws.account_id,
            region=config.cluster.region,
            oidc_provider_arn=config.aws.oidc_provider_arn,
            oidc_issuer=oidc_issuer(config.aws.oidc_provider_arn),
            resource_prefix=config.aws.resource_prefix,
            namespace=config.langfuse.namespace,
            service_accounts=ServiceAccounts(
                web=WEB_SERVICE_ACCOUNT,
                worker=WORKER_SERVICE_ACCOUNT,
                postgres_backup=POSTGRES_CLUSTER,
                clickhouse_backup=backup_service_account(CLICKHOUSE_INSTALLATION),
                clickhouse_restore_drill=restore_drill_service_account(CLICKHOUSE_INSTALLATION),
                external_secrets=EXTERNAL_SECRETS_SERVICE_ACCOUNT,
                audit_export=incluster.AUDIT_EXPORT_NAME if config.audit.langfuse_export.image else None,
            ),
            existing_secrets=existing_secret_names(config),
            noncurrent_version_days=config.aws.noncurrent_version_days,
            access_log_retention_days=config.aws.access_log_retention_days,
            object_lock_days=config.aws.object_lock_days,
            secret_recovery_days=config.aws.secret_recovery_days,
            audit=AuditSettings(
                retention_days=config.audit.retention_days,
                # Compliance mode cannot be undone, not even by the root user: prod's record; elsewhere governance.
                lock_mode="COMPLIANCE" if config.environment == "prod" else "GOVERNANCE",
                cloudwatch_retention_days=config.audit.cloudwatch_retention_days,
                alert_emails=tuple(config.audit.alert_emails),
            ),
            disaster_recovery=dr_provider,
            disaster_recovery_region=dr.region if dr.enabled else None,
            replication_alert_emails=tuple(dr.alert_emails),
            clickhouse_backup_expiry_days=backup_expiry_days(clickhouse_backup_policy(config.data_tier.clickhouse.backup)) if config.data_tier else None,
            # External mode: managed stores back themselves up; no pod would run as the backup roles.
            in_cluster_stores=config.data_tier is not None,
            analytics=analytics_access(config),
        ),
        opts=opts,
    )


def s3_backend(config: StackConfig, tier: LangfuseAwsTier) -> S3Backend:
    b, p = tier.buckets, tier.prefixes
    return S3Backend(
        region=config.cluster.region,
        events=S3Bucket(b.events, p.events),
        media=S3Bucket(b.media, p.media),
        exports=S3Bucket(b.exports, p.exports),
        kms_key_arn=tier.data_key_arn,
        web_role_arn=tier.role_arns.web,
        worker_role_arn=tier.role_arns.worker,
    )
