"""LangfuseAwsTier: the environment's keys, buckets (with DR replication), its audit trail, and one IAM role per
workload that talks to AWS, each allowed exactly what that workload does."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.aws.audit_trail import AuditTrail, AuditTrailArgs, log_group_arn, trail_arn
from components.aws.bucket import LifecycleRule, SecureBucket, SecureBucketArgs
from components.aws.contract import READ_ONLY_TAG
from components.aws.irsa import ServiceAccountRole, ServiceAccountRoleArgs
from components.aws.kms import CustomerManagedKey, CustomerManagedKeyArgs
from components.aws.policy_documents import (
    S3Grant,
    alarm_topic_policy,
    audit_export_writer,
    audit_key_usage,
    cloudtrail_delivery,
    cloudtrail_digest_prefix,
    deny_overwrites,
    external_id_trust,
    prefix_reader,
    replication,
    s3_access,
    s3_replication_trust,
    secrets_reader,
)
from components.aws.secrets_manager import SecretsManagerSettings

READ = ("s3:GetObject",)
WRITE = ("s3:PutObject",)
DELETE = ("s3:DeleteObject",)
MULTIPART = ("s3:AbortMultipartUpload", "s3:ListMultipartUploadParts")
REPLICATION_MINUTES = 15
AUDIT_EXPORT_PREFIX = "langfuse-audit-logs/"


@dataclass(frozen=True)
class AuditSettings:
    """The audit record: how long it is locked (and then kept no longer), in which Object Lock mode."""

    retention_days: int
    lock_mode: str  # COMPLIANCE | GOVERNANCE
    cloudwatch_retention_days: int
    alert_emails: Sequence[str] = ()


@dataclass(frozen=True)
class ServiceAccounts:
    """The Kubernetes service accounts (in the Langfuse namespace) that assume the roles."""

    web: str
    worker: str
    postgres_backup: str
    clickhouse_backup: str
    clickhouse_restore_drill: str
    external_secrets: str
    audit_export: str | None = None  # the audit_logs export's, when it runs


@dataclass(frozen=True)
class AnalyticsAccess:
    """The analytics cluster's side of AWS: its servers' backups, its loader's read of the exports, warehouses'."""

    servers_service_account: str  # the analytics servers' (BACKUP ... TO S3)
    loader_service_account: str  # lists and reads the exports prefix
    export_retention_days: int  # the exports prefix's lifecycle
    backup_expiry_days: int
    snowflake: tuple[str, str] | None = None  # (the storage integration's IAM user ARN, its external id)
    bigquery: bool = False


@dataclass(frozen=True)
class LangfuseAwsTierArgs:
    account_id: str
    region: str
    oidc_provider_arn: str
    oidc_issuer: str
    resource_prefix: str
    namespace: str
    service_accounts: ServiceAccounts
    existing_secrets: Sequence[str]  # Secrets Manager names referenced, never copied (SSO, licence, ...)
    noncurrent_version_days: int
    access_log_retention_days: int
    object_lock_days: int | None
    secret_recovery_days: int
    audit: AuditSettings
    disaster_recovery: aws.Provider | None  # provider of the DR region, when backups are copied there
    disaster_recovery_region: str | None
    replication_alert_emails: Sequence[str] = ()  # who hears of a failing or late backup replication
    clickhouse_backup_expiry_days: int | None = None  # in-cluster ClickHouse: when S3 expires its backups
    in_cluster_stores: bool = True  # the backup roles exist only for stores that run in the cluster
    analytics: AnalyticsAccess | None = None


@dataclass(frozen=True)
class Buckets:
    events: str
    media: str
    exports: str
    backups: str | None  # None in external mode: managed stores keep their own backups
    access_logs: str
    audit: str  # CloudTrail's log files and the audit_logs exports


@dataclass(frozen=True)
class Prefixes:
    """Key prefixes inside the buckets; each role is granted only its prefix."""

    events: str = "events/"
    media: str = "media/"
    exports: str = "exports/"
    postgres_backups: str = "postgres/"
    clickhouse_backups: str = "clickhouse/"
    analytics_exports: str = "analytics/"  # Langfuse's scheduled exports: analytics/<projectId>/<table>/<time>.parquet
    analytics_backups: str = "analytics-clickhouse/"


@dataclass(frozen=True)
class RoleArns:
    """The IAM role of each workload that talks to AWS; None where the environment runs no such workload (the
    backup roles in external mode, analytics' and the audit export's where they are off)."""

    web: str
    worker: str
    external_secrets: str
    postgres_backup: str | None = None
    clickhouse_backup: str | None = None
    clickhouse_restore_drill: str | None = None
    analytics_backup: str | None = None
    analytics_loader: str | None = None
    audit_export: str | None = None


def bucket_names(resource_prefix: str, in_cluster_stores: bool = True) -> Buckets:
    """The environment's bucket names (also what `langfuse-rosa verify` checks, without running the program)."""
    p = resource_prefix
    return Buckets(f"{p}-events", f"{p}-media", f"{p}-exports", f"{p}-backups" if in_cluster_stores else None, f"{p}-access-logs", f"{p}-audit")


def data_key_alias(resource_prefix: str) -> str:
    """The S3 data key's alias name, without `alias/`."""
    return f"{resource_prefix}-data"


class LangfuseAwsTier(pulumi.ComponentResource):
    buckets: Buckets
    prefixes: Prefixes
    data_key_arn: pulumi.Output[str]
    secrets: SecretsManagerSettings
    role_arns: RoleArns

    def __init__(self, name: str, args: LangfuseAwsTierArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("langfuse-rosa:aws:LangfuseAwsTier", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        prefix = args.resource_prefix
        self.buckets = bucket_names(prefix, args.in_cluster_stores)
        self.prefixes = p = Prefixes()

        data_key = CustomerManagedKey(
            "data-key",
            CustomerManagedKeyArgs(
                alias=data_key_alias(prefix),
                description=f"{prefix}: S3 objects (events, media, exports, backups)",
                account_id=args.account_id,
            ),
            opts=child,
        )
        secrets_key = CustomerManagedKey(
            "secrets-key",
            CustomerManagedKeyArgs(alias=f"{prefix}-secrets", description=f"{prefix}: Secrets Manager", account_id=args.account_id),
            opts=child,
        )
        self.data_key_arn = data_key.arn
        self.secrets = SecretsManagerSettings(name_prefix=prefix, kms_key_arn=secrets_key.arn, recovery_window_days=args.secret_recovery_days)

        def bucket(key: str, name: str, lifecycle: Sequence[LifecycleRule] = (), **extra: object) -> SecureBucket:
            return SecureBucket(
                key,
                SecureBucketArgs(
                    bucket=name,
                    purpose=key,
                    kms_key_arn=None if key == "access-logs" else data_key.arn,
                    account_id=args.account_id,
                    noncurrent_version_days=args.noncurrent_version_days,
                    lifecycle=lifecycle,
                    **extra,
                ),
                opts=child,
            )

        b = self.buckets
        bucket(
            "access-logs",
            b.access_logs,
            [LifecycleRule("expire-logs", expiration_days=args.access_log_retention_days)],
            log_sources=tuple(name for name in (b.events, b.media, b.exports, b.backups, b.audit) if name),
        )
        bucket("events", b.events, [LifecycleRule("infrequent-access", transition_to_ia_days=30)], log_bucket=b.access_logs)
        bucket("media", b.media, [LifecycleRule("infrequent-access", transition_to_ia_days=90)], log_bucket=b.access_logs)
        # Batch exports are downloaded once, through a link valid for hours; scheduled exports stay for the warehouses
        # and reloads (the analytics cluster keeps the history).
        a = args.analytics
        exports_lifecycle = (
            [LifecycleRule("expire-exports", prefix=p.exports, expiration_days=7),
             LifecycleRule("expire-analytics-exports", prefix=p.analytics_exports, expiration_days=a.export_retention_days)]
            if a is not None
            else [LifecycleRule("expire-exports", expiration_days=7)]
        )
        bucket("exports", b.exports, exports_lifecycle, log_bucket=b.access_logs)
        # PostgreSQL's retention is Barman Cloud's (CloudNativePG's retentionPolicy); ClickHouse's is this rule.
        expire_clickhouse = (
            [LifecycleRule("expire-clickhouse-backups", prefix=p.clickhouse_backups, expiration_days=args.clickhouse_backup_expiry_days)]
            if args.clickhouse_backup_expiry_days
            else []
        )
        replicated: list[Replicated] = []
        if a is not None:
            expire_clickhouse.append(LifecycleRule("expire-analytics-backups", prefix=p.analytics_backups, expiration_days=a.backup_expiry_days))
        if b.backups is not None:
            backups = bucket("backups", b.backups, expire_clickhouse, log_bucket=b.access_logs, object_lock_days=args.object_lock_days)
            replicated.append(Replicated("backups", "backup", backups, data_key, args.object_lock_days, "GOVERNANCE", True))
        audit_bucket, audit_key, self.audit_trail_arn = self._audit(args, data_event_buckets=[n for n in (b.events, b.media, b.exports, b.backups) if n])
        replicated.append(Replicated("audit", "audit", audit_bucket, audit_key, args.audit.retention_days, args.audit.lock_mode, False,
                                     (LifecycleRule("expire-audit-records", expiration_days=args.audit.retention_days),)))
        if args.disaster_recovery is not None and args.disaster_recovery_region is not None:
            self._replicate(replicated, args)

        key = data_key.arn
        sa = args.service_accounts
        roles = {
            # Web accepts ingestion (raw events), media uploads and serves export downloads.
            "web": (sa.web, [S3Grant(b.events, p.events, WRITE + READ), S3Grant(b.media, p.media, WRITE + READ), S3Grant(b.exports, p.exports, READ)]),
            # Worker processes events, writes exports and deletes whatever a project or retention removes.
            "worker": (
                sa.worker,
                [
                    S3Grant(b.events, p.events, READ + WRITE + DELETE, list=True),
                    S3Grant(b.media, p.media, READ + WRITE + DELETE, list=True),
                    S3Grant(b.exports, p.exports, READ + WRITE + DELETE + MULTIPART, list=True),
                ],
            ),
        }
        if args.in_cluster_stores:
            roles |= {
                "postgres-backup": (sa.postgres_backup, [S3Grant(b.backups, p.postgres_backups, READ + WRITE + DELETE + MULTIPART, list_whole_bucket=True)]),
                "clickhouse-backup": (sa.clickhouse_backup, [S3Grant(b.backups, p.clickhouse_backups, READ + WRITE + DELETE + MULTIPART, list=True)]),
                # The drill's own server reads the newest backup; it can neither write nor delete one.
                "clickhouse-restore-drill": (sa.clickhouse_restore_drill, [S3Grant(b.backups, p.clickhouse_backups, READ, list=True)]),
            }
        read_only: set[str] = set()
        if a is not None:
            # Langfuse's worker writes the scheduled exports with its own role (no access key in the integration).
            roles["worker"][1].append(S3Grant(b.exports, p.analytics_exports, WRITE + MULTIPART))
            roles |= {
                "analytics-backup": (a.servers_service_account, [S3Grant(b.backups, p.analytics_backups, READ + WRITE + DELETE + MULTIPART, list=True)]),
                "analytics-loader": (a.loader_service_account, [S3Grant(b.exports, p.analytics_exports, READ, list=True)]),
            }
            read_only.add("analytics-loader")
        arns: dict[str, str] = {}  # role name (the IAM role's suffix) -> ARN
        for role, (service_account, grants) in roles.items():
            sid = "".join(part.capitalize() for part in role.split("-"))
            policy = key.apply(lambda arn, sid=sid, grants=grants: s3_access(sid, grants, arn))
            arns[role] = self._role(role, service_account, policy, args, READ_ONLY_TAG if role in read_only else None)
        self.warehouse_access: dict[str, str] = {}
        if a is not None:
            self._warehouses(a, data_key, args)
        secret_patterns = [f"arn:aws:secretsmanager:{args.region}:{args.account_id}:secret:{prefix}/*"] + [
            # Secrets Manager appends "-" and six random characters to a secret's name in its ARN.
            f"arn:aws:secretsmanager:{args.region}:{args.account_id}:secret:{name}-??????"
            for name in args.existing_secrets
        ]
        arns["external-secrets"] = self._role(
            "external-secrets",
            sa.external_secrets,
            secrets_key.arn.apply(lambda arn: secrets_reader(secret_patterns, arn, args.region)),
            args,
        )
        if sa.audit_export is not None:
            arns["audit-export"] = self._role(
                "audit-export", sa.audit_export, audit_key.arn.apply(lambda arn: audit_export_writer(b.audit, AUDIT_EXPORT_PREFIX, arn)), args
            )
        self.audit_key_arn = audit_key.arn
        self.role_arns = RoleArns(**{role.replace("-", "_"): arn for role, arn in arns.items()})
        self.register_outputs({"buckets": [name for name in vars(self.buckets).values() if name], "roles": arns})

    def _role(self, role: str, service_account: str, policy: pulumi.Input[dict], args: LangfuseAwsTierArgs, tags: dict | None = None) -> str:
        return ServiceAccountRole(
            role,
            ServiceAccountRoleArgs(
                role_name=f"{args.resource_prefix}-{role}",
                account_id=args.account_id,
                oidc_provider_arn=args.oidc_provider_arn,
                oidc_issuer=args.oidc_issuer,
                namespace=args.namespace,
                service_account=service_account,
                policy=policy,
                tags=tags,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        ).arn

    def _audit(self, args: LangfuseAwsTierArgs, data_event_buckets: Sequence[str]) -> tuple[SecureBucket, CustomerManagedKey, str]:
        """The audit key, the audit bucket (object-locked, its own key, its access logged) and the trail into it."""
        child = pulumi.ResourceOptions(parent=self)
        prefix, b, audit = args.resource_prefix, self.buckets, args.audit
        name = f"{prefix}-audit"
        arn, group = trail_arn(args.region, args.account_id, name), f"{prefix}-cloudtrail"
        key = CustomerManagedKey(
            "audit-key",
            CustomerManagedKeyArgs(
                alias=name,
                description=f"{prefix}: the audit record (CloudTrail, the CloudWatch Logs copy, Langfuse's audit_logs)",
                account_id=args.account_id,
                usage_statements=audit_key_usage(args.account_id, args.region, arn, [log_group_arn(args.region, args.account_id, group)]),
            ),
            opts=child,
        )
        bucket = SecureBucket(
            "audit",
            SecureBucketArgs(
                bucket=b.audit,
                purpose="audit",
                kms_key_arn=key.arn,
                account_id=args.account_id,
                noncurrent_version_days=args.noncurrent_version_days,
                lifecycle=[LifecycleRule("expire-audit-records", expiration_days=audit.retention_days)],
                log_bucket=b.access_logs,
                object_lock_days=audit.retention_days,
                object_lock_mode=audit.lock_mode,
                # No bucket key: CloudTrail's key policy conditions name the trail in the encryption context, which
                # a bucket key replaces by the bucket ARN; CloudTrail's own KMS calls are free of charge (CloudTrail
                # User Guide, "How AWS CloudTrail uses AWS KMS"), and the daily export makes a handful.
                bucket_key=False,
                policy_statements=[*cloudtrail_delivery(b.audit, arn, args.account_id), deny_overwrites(b.audit, AUDIT_EXPORT_PREFIX)],
                # CloudTrail encrypts digest files with SSE-S3 whatever the trail's key (CloudTrail User Guide,
                # "Encrypting CloudTrail log files with AWS KMS keys (SSE-KMS)", note).
                encryption_exempt=[cloudtrail_digest_prefix(args.account_id)],
            ),
            opts=child,
        )
        dr_buckets = (
            [f"{prefix}-backups-{args.disaster_recovery_region}"] if b.backups and args.disaster_recovery_region else []
        ) + ([f"{name}-{args.disaster_recovery_region}"] if args.disaster_recovery_region else [])
        AuditTrail(
            "audit-trail",
            AuditTrailArgs(
                trail_name=name,
                account_id=args.account_id,
                region=args.region,
                bucket=b.audit,
                kms_key_arn=key.arn,
                # Reads of the exported audit_logs are logged too; CloudTrail's own AWSLogs/ is not (it would log its deliveries).
                data_event_arns=[f"arn:aws:s3:::{n}/" for n in [*data_event_buckets, *dr_buckets]] + [f"arn:aws:s3:::{b.audit}/{AUDIT_EXPORT_PREFIX}"],
                log_group_name=group,
                cloudwatch_retention_days=audit.cloudwatch_retention_days,
                alert_emails=tuple(audit.alert_emails),
                bucket_prefix=prefix,
                depends_on=[bucket.policy, key],
            ),
            opts=child,
        )
        return bucket, key, arn


    def _warehouses(self, a: AnalyticsAccess, data_key: CustomerManagedKey, args: LangfuseAwsTierArgs) -> None:
        """Read-only access to the exports prefix for data warehouses: a role Snowflake's storage integration
        assumes, and an IAM user for BigQuery's transfers (they authenticate with an access key: Google, "Amazon S3
        transfers", prerequisites; the key is created by hand, README)."""
        child = pulumi.ResourceOptions(parent=self)
        exports, prefix = self.buckets.exports, self.prefixes.analytics_exports
        if a.snowflake is not None:
            user_arn, external_id = a.snowflake
            name = f"{args.resource_prefix}-warehouse-snowflake"
            role = aws.iam.Role(
                "warehouse-snowflake", name=name, assume_role_policy=json.dumps(external_id_trust(user_arn, external_id)),
                max_session_duration=3600, tags=READ_ONLY_TAG, opts=child,
            )
            aws.iam.RolePolicy(
                "warehouse-snowflake",
                role=role.id,
                policy=data_key.arn.apply(lambda key: json.dumps(prefix_reader("Snowflake", exports, prefix, key, args.region))),
                opts=child,
            )
            self.warehouse_access["snowflake"] = f"arn:aws:iam::{args.account_id}:role/{name}"
        if a.bigquery:
            name = f"{args.resource_prefix}-warehouse-bigquery"
            user = aws.iam.User("warehouse-bigquery", name=name, tags=READ_ONLY_TAG, opts=child)
            aws.iam.UserPolicy(
                "warehouse-bigquery",
                user=user.name,
                policy=data_key.arn.apply(lambda key: json.dumps(prefix_reader("BigQuery", exports, prefix, key, args.region))),
                opts=child,
            )
            self.warehouse_access["bigquery"] = f"arn:aws:iam::{args.account_id}:user/{name}"

    def _replicate(self, sources: Sequence[Replicated], args: LangfuseAwsTierArgs) -> None:
        """Copy every version of each source to a bucket of its own in the DR region, under that region's key."""
        dr_region = args.disaster_recovery_region
        assert args.disaster_recovery is not None and dr_region is not None
        in_dr = pulumi.ResourceOptions(parent=self, provider=args.disaster_recovery)
        replicas = {s.purpose: f"{args.resource_prefix}-{s.purpose}-{dr_region}" for s in sources}
        # S3 delivers access logs only to a bucket in the same region, so the DR region has its own log bucket.
        dr_logs = f"{args.resource_prefix}-access-logs-{dr_region}"
        SecureBucket(
            "dr-access-logs",
            SecureBucketArgs(
                bucket=dr_logs,
                purpose="access-logs",
                kms_key_arn=None,  # SSE-S3: what server access logging delivers to
                account_id=args.account_id,
                noncurrent_version_days=args.noncurrent_version_days,
                lifecycle=[LifecycleRule("expire-logs", expiration_days=args.access_log_retention_days)],
                log_sources=tuple(replicas.values()),
            ),
            opts=in_dr,
        )
        pairs = []
        for source in sources:
            dr_key = CustomerManagedKey(
                f"dr-{source.purpose}-key",
                CustomerManagedKeyArgs(
                    alias=f"{args.resource_prefix}-{source.purpose}-dr",
                    description=f"{args.resource_prefix}: {source.role} replicas",
                    account_id=args.account_id,
                ),
                opts=in_dr,
            )
            destination = SecureBucket(
                f"dr-{source.purpose}",
                SecureBucketArgs(
                    bucket=replicas[source.purpose],
                    purpose=f"{source.purpose}-replica",
                    kms_key_arn=dr_key.arn,
                    account_id=args.account_id,
                    noncurrent_version_days=args.noncurrent_version_days,
                    lifecycle=source.replica_lifecycle,
                    object_lock_days=source.object_lock_days,
                    object_lock_mode=source.object_lock_mode,
                    bucket_key=source.bucket_keys,
                    log_bucket=dr_logs,
                ),
                opts=in_dr,
            )
            self._replication(source, destination, dr_key, args)
            pairs.append((source, destination))
        self._alert_on_replication(pairs, args)

    def _replication(self, source: Replicated, destination: SecureBucket, dr_key: CustomerManagedKey, args: LangfuseAwsTierArgs) -> None:
        dr_region = args.disaster_recovery_region
        assert dr_region is not None
        role_name = f"{args.resource_prefix}-{source.role}-replication"
        role = aws.iam.Role(
            f"{source.role}-replication",
            name=role_name,
            assume_role_policy=json.dumps(s3_replication_trust(args.account_id, source.bucket.name)),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.iam.RolePolicy(
            f"{source.role}-replication",
            role=role.id,
            policy=pulumi.Output.all(source.key.arn, dr_key.arn).apply(
                lambda keys: json.dumps(
                    replication(
                        source.bucket.name, keys[0], args.region, destination.name, keys[1], dr_region,
                        object_lock=source.object_lock_days is not None, bucket_keys=source.bucket_keys,
                    )
                )
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.s3.BucketReplicationConfig(
            source.purpose,
            bucket=source.bucket.bucket.id,
            role=f"arn:aws:iam::{args.account_id}:role/{role_name}",
            rules=[
                aws.s3.BucketReplicationConfigRuleArgs(
                    id=source.rule_id,
                    status="Enabled",
                    filter=aws.s3.BucketReplicationConfigRuleFilterArgs(prefix=""),
                    delete_marker_replication=aws.s3.BucketReplicationConfigRuleDeleteMarkerReplicationArgs(status="Enabled"),
                    source_selection_criteria=aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaArgs(
                        sse_kms_encrypted_objects=aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaSseKmsEncryptedObjectsArgs(status="Enabled")
                    ),
                    destination=aws.s3.BucketReplicationConfigRuleDestinationArgs(
                        bucket=destination.arn,
                        encryption_configuration=aws.s3.BucketReplicationConfigRuleDestinationEncryptionConfigurationArgs(replica_kms_key_id=dr_key.arn),
                        # Replication metrics (CloudWatch) and S3 Replication Time Control: every object replicated
                        # within 15 minutes or an event says it was not; RTC requires both at 15 minutes (S3 User
                        # Guide, "Meeting compliance requirements with S3 Replication Time Control").
                        metrics=aws.s3.BucketReplicationConfigRuleDestinationMetricsArgs(
                            status="Enabled",
                            event_threshold=aws.s3.BucketReplicationConfigRuleDestinationMetricsEventThresholdArgs(minutes=REPLICATION_MINUTES),
                        ),
                        replication_time=aws.s3.BucketReplicationConfigRuleDestinationReplicationTimeArgs(
                            status="Enabled",
                            time=aws.s3.BucketReplicationConfigRuleDestinationReplicationTimeTimeArgs(minutes=REPLICATION_MINUTES),
                        ),
                    ),
                )
            ],
            # Replication needs versioning on both sides first.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[source.bucket.versioning, destination.versioning, role]),
        )

    def _alert_on_replication(self, pairs: Sequence[tuple[Replicated, SecureBucket]], args: LangfuseAwsTierArgs) -> None:
        """A failing or late replication reaches a person: S3 replication events and two CloudWatch alarms on
        the replication metrics of each replicated bucket publish to one SNS topic, which mails
        `replication_alert_emails`. Prometheus in the cluster sees no S3 metrics, so this path does not go
        through Alertmanager."""
        child = pulumi.ResourceOptions(parent=self)
        topic_name = f"{args.resource_prefix}-backup-replication-alerts"
        # Not encrypted: the messages carry bucket and object names only, and the AWS managed SNS key cannot be
        # used by S3 or CloudWatch as publishers (SNS Developer Guide, "Encryption at rest": key policy for
        # AWS service event sources).
        topic = aws.sns.Topic("backup-replication-alerts", name=topic_name, opts=child)
        alarm_arns = []
        for replicated, destination in pairs:
            source, stem = replicated.bucket, f"{args.resource_prefix}-{replicated.role}-replication"
            dimensions = {"SourceBucket": source.name, "DestinationBucket": destination.name, "RuleId": replicated.rule_id}
            alarms = {
                # S3 User Guide, "Replication metrics": OperationsFailedReplication (count), ReplicationLatency (seconds).
                f"{stem}-failed": ("OperationsFailedReplication", "Sum", 0, "objects failed to replicate"),
                f"{stem}-late": ("ReplicationLatency", "Maximum", REPLICATION_MINUTES * 60, f"replication is more than {REPLICATION_MINUTES} minutes behind"),
            }
            for alarm_name, (metric, statistic, threshold, what) in alarms.items():
                aws.cloudwatch.MetricAlarm(
                    alarm_name,
                    name=alarm_name,
                    alarm_description=f"Replication of {source.name} to {destination.name}: {what}. Runbook: docs/runbooks/backups.md",
                    namespace="AWS/S3",
                    metric_name=metric,
                    dimensions=dimensions,
                    statistic=statistic,
                    period=300,
                    evaluation_periods=1,
                    comparison_operator="GreaterThanThreshold",
                    threshold=threshold,
                    # No data means no replication activity (metrics are emitted while objects replicate), not a failure.
                    treat_missing_data="notBreaching",
                    alarm_actions=[topic.arn],
                    ok_actions=[topic.arn],
                    opts=child,
                )
            alarm_arns += [f"arn:aws:cloudwatch:{args.region}:{args.account_id}:alarm:{name}" for name in alarms]
        sources = [replicated.bucket.name for replicated, _ in pairs]
        policy = aws.sns.TopicPolicy(
            "backup-replication-alerts",
            arn=topic.arn,
            policy=topic.arn.apply(lambda arn: json.dumps(alarm_topic_policy(arn, args.account_id, alarm_arns, sources))),
            opts=child,
        )
        for replicated, _ in pairs:
            aws.s3.BucketNotification(
                replicated.purpose,
                bucket=replicated.bucket.bucket.id,
                topics=[
                    aws.s3.BucketNotificationTopicArgs(
                        topic_arn=topic.arn,
                        # S3 User Guide, "Receiving replication failure events with Amazon S3 Event Notifications".
                        events=[
                            "s3:Replication:OperationFailedReplication",
                            "s3:Replication:OperationMissedThreshold",
                            "s3:Replication:OperationNotTracked",
                        ],
                    )
                ],
                # S3 checks that it may publish when the notification is created.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
            )
        for i, email in enumerate(args.replication_alert_emails):
            aws.sns.TopicSubscription(f"backup-replication-alerts-{i}", topic=topic.arn, protocol="email", endpoint=email, opts=child)


@dataclass(frozen=True)
class Replicated:
    """A bucket copied to the DR region, and how its replica is kept."""

    purpose: str  # backups | audit: names the replica, its key and the replication rule
    role: str  # names the replication role (backup, audit)
    bucket: SecureBucket
    key: CustomerManagedKey
    object_lock_days: int | None
    object_lock_mode: str
    bucket_keys: bool
    replica_lifecycle: Sequence[LifecycleRule] = ()

    @property
    def rule_id(self) -> str:
        return f"copy-{self.purpose}-to-dr-region"
