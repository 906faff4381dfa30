"""SecureBucket: an S3 bucket with every control a data bucket needs, each as its own resource (the
pulumi-aws v7 model): SSE-KMS with bucket keys (SSE-S3 for access-log buckets), public access blocked,
owner-enforced ownership, versioning, a TLS-only policy refusing uploads that ask for another encryption,
server access logging, lifecycle rules, optional object lock."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.aws.contract import PURPOSE_TAG
from components.aws.policy_documents import bucket_policy


@dataclass(frozen=True)
class LifecycleRule:
    id: str
    prefix: str = ""
    transition_to_ia_days: int | None = None
    expiration_days: int | None = None


@dataclass(frozen=True)
class SecureBucketArgs:
    bucket: str
    purpose: str  # tag langfuse-rosa:purpose (events, media, exports, backups, backups-replica, access-logs)
    # None: SSE-S3. Only for server access-log buckets: S3 delivers access logs only to a target bucket whose
    # default encryption is SSE-S3; SSE-KMS targets are not supported (S3 User Guide, "Enabling Amazon S3 server
    # access logging", awsdocs/amazon-s3-userguide doc_source/enable-server-access-logging.md).
    kms_key_arn: pulumi.Input[str] | None
    account_id: str
    noncurrent_version_days: int
    lifecycle: Sequence[LifecycleRule] = field(default_factory=tuple)
    log_bucket: str | None = None  # where its server access logs go; None for the log bucket itself
    log_sources: Sequence[str] = field(default_factory=tuple)  # buckets that log into this one
    object_lock_days: int | None = None
    # GOVERNANCE: nobody deletes a locked version without the bypass permission, which no role here has. COMPLIANCE:
    # nobody at all, the root user included, until the retention ends (S3 User Guide, "Object Lock": retention modes).
    object_lock_mode: str = "GOVERNANCE"
    bucket_key: bool = True  # S3 Bucket Keys with SSE-KMS (fewer KMS calls; the encryption context is then the bucket ARN)
    policy_statements: Sequence[dict] = field(default_factory=tuple)  # its own writers' statements (CloudTrail delivery)
    encryption_exempt: Sequence[str] = field(default_factory=tuple)  # key prefixes written with another encryption


class SecureBucket(pulumi.ComponentResource):
    name: str
    arn: str
    bucket: aws.s3.Bucket
    versioning: aws.s3.BucketVersioning
    policy: aws.s3.BucketPolicy

    def __init__(self, name: str, args: SecureBucketArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("langfuse-rosa:aws:SecureBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.name = args.bucket
        self.arn = f"arn:aws:s3:::{args.bucket}"
        self.bucket = aws.s3.Bucket(
            name,
            bucket=args.bucket,
            object_lock_enabled=args.object_lock_days is not None,
            # The policy pack finds backup buckets by this tag (object lock where the environment requires it).
            tags={PURPOSE_TAG: args.purpose},
            force_destroy=False,
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        bucket_id = self.bucket.id
        aws.s3.BucketOwnershipControls(
            name, bucket=bucket_id, rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"), opts=child
        )
        public_access = aws.s3.BucketPublicAccessBlock(
            name,
            bucket=bucket_id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        self.versioning = aws.s3.BucketVersioning(
            name, bucket=bucket_id, versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"), opts=child
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            name, bucket=bucket_id, rules=[_encryption(args.kms_key_arn, args.bucket_key)], opts=child
        )
        self.policy = aws.s3.BucketPolicy(
            name,
            bucket=bucket_id,
            policy=pulumi.Output.from_input(args.kms_key_arn).apply(
                lambda key: json.dumps(
                    bucket_policy(args.bucket, key, args.log_sources, args.account_id, args.policy_statements, args.encryption_exempt)
                )
            ),
            # The public access block must exist first, or S3 may judge the Deny-with-"*" policy public.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access]),
        )
        if args.log_bucket is not None:
            aws.s3.BucketLogging(name, bucket=bucket_id, target_bucket=args.log_bucket, target_prefix=f"{args.bucket}/", opts=child)
        aws.s3.BucketLifecycleConfiguration(
            name,
            bucket=bucket_id,
            rules=[_abort_uploads_and_old_versions(args.noncurrent_version_days)] + [_rule(rule) for rule in args.lifecycle],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.versioning]),
        )
        if args.object_lock_days is not None:
            aws.s3.BucketObjectLockConfiguration(
                name,
                bucket=bucket_id,
                # Every new version is locked for that long; the lock then expires by itself.
                rule=aws.s3.BucketObjectLockConfigurationRuleArgs(
                    default_retention=aws.s3.BucketObjectLockConfigurationRuleDefaultRetentionArgs(
                        mode=args.object_lock_mode, days=args.object_lock_days
                    )
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.versioning]),
            )
        self.register_outputs({"bucket": args.bucket})


def _encryption(kms_key_arn: pulumi.Input[str] | None, bucket_key: bool) -> aws.s3.BucketServerSideEncryptionConfigurationRuleArgs:
    if kms_key_arn is None:
        return aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
            apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                sse_algorithm="AES256"
            ),
        )
    return aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
        apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
            sse_algorithm="aws:kms", kms_master_key_id=kms_key_arn
        ),
        # One data key per bucket instead of per object: far fewer KMS calls, same key.
        bucket_key_enabled=bucket_key,
    )


def _abort_uploads_and_old_versions(noncurrent_days: int) -> aws.s3.BucketLifecycleConfigurationRuleArgs:
    return aws.s3.BucketLifecycleConfigurationRuleArgs(
        id="abort-incomplete-uploads-and-expire-old-versions",
        status="Enabled",
        filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
        abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(days_after_initiation=7),
        noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(noncurrent_days=noncurrent_days),
    )


def _rule(rule: LifecycleRule) -> aws.s3.BucketLifecycleConfigurationRuleArgs:
    return aws.s3.BucketLifecycleConfigurationRuleArgs(
        id=rule.id,
        status="Enabled",
        filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=rule.prefix),
        transitions=(
            [aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(days=rule.transition_to_ia_days, storage_class="STANDARD_IA")]
            if rule.transition_to_ia_days
            else None
        ),
        expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=rule.expiration_days) if rule.expiration_days else None,
    )
