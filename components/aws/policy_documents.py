"""IAM, bucket and key policy documents, as plain functions of plain values (tests and parliament read
them exactly as the program renders them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

Document = dict


def document(*statements: dict) -> Document:
    return {"Version": "2012-10-17", "Statement": list(statements)}


@dataclass(frozen=True)
class S3Grant:
    """Object actions on one prefix of one bucket (and, when list=True, listing that prefix)."""

    bucket: str
    prefix: str  # e.g. "events/"
    actions: tuple[str, ...]
    list: bool = False
    # Barman Cloud first checks the bucket with HeadBucket, which S3 authorises as s3:ListBucket on the bucket
    # with no prefix, so a prefix condition would refuse it.
    list_whole_bucket: bool = False


def s3_access(sid: str, grants: Sequence[S3Grant], kms_key_arn: str) -> Document:
    statements = []
    for i, grant in enumerate(grants):
        statements.append(
            {
                "Sid": f"{sid}Objects{i}",
                "Effect": "Allow",
                "Action": sorted(grant.actions),
                "Resource": f"arn:aws:s3:::{grant.bucket}/{grant.prefix}*",
            }
        )
        if grant.list_whole_bucket:
            statements.append({"Sid": f"{sid}List{i}", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{grant.bucket}"})
        elif grant.list:
            statements.append(
                {
                    "Sid": f"{sid}List{i}",
                    "Effect": "Allow",
                    "Action": "s3:ListBucket",
                    "Resource": f"arn:aws:s3:::{grant.bucket}",
                    "Condition": {"StringLike": {"s3:prefix": [f"{grant.prefix}*"]}},
                }
            )
    writes = any("s3:PutObject" in grant.actions for grant in grants)
    statements.append(
        {
            "Sid": f"{sid}Key",
            "Effect": "Allow",
            # SSE-KMS: writing needs a data key, reading needs to decrypt it.
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"] if writes else ["kms:Decrypt"],
            "Resource": kms_key_arn,
        }
    )
    return document(*statements)


def web_identity_trust(provider_arn: str, issuer: str, namespace: str, service_account: str, audience: str = "sts.amazonaws.com") -> Document:
    """Trust exactly one Kubernetes service account, through the cluster's OIDC provider (ROSA STS). `audience`: the
    projected token's; the pod identity webhook asks for sts.amazonaws.com."""
    return document(
        {
            "Effect": "Allow",
            "Principal": {"Federated": provider_arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {
                    f"{issuer}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                    f"{issuer}:aud": audience,
                }
            },
        }
    )


def secrets_reader(secret_arn_patterns: Sequence[str], kms_key_arn: str, region: str) -> Document:
    return document(
        {
            "Sid": "ReadSecrets",
            "Effect": "Allow",
            "Action": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
            "Resource": sorted(secret_arn_patterns),
        },
        {
            "Sid": "DecryptSecrets",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": kms_key_arn,
            "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}},
        },
    )


def key_policy(account_id: str, *usage: dict) -> Document:
    """The account administers the key through IAM (no wildcard principal anywhere); `usage` adds the
    principals outside IAM policy that must use it (e.g. a service role)."""
    return document(
        {
            "Sid": "AccountAdministersThroughIam",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
            "Action": "kms:*",
            "Resource": "*",  # in a key policy, "*" means this key
        },
        *usage,
    )


# Condition keys S3 sets from an upload's encryption headers (PutObject, CreateMultipartUpload; UploadPart and
# CompleteMultipartUpload carry none: botocore's S3 model, UploadPartRequest has only the SSE-C members).
SSE_HEADER = "s3:x-amz-server-side-encryption"
SSE_KMS_KEY_HEADER = "s3:x-amz-server-side-encryption-aws-kms-key-id"


def _deny_uploads(sid: str, arn: str, condition: dict, exempt: Sequence[str] = ()) -> dict:
    where = {"NotResource": sorted(f"{arn}/{prefix}*" for prefix in exempt)} if exempt else {"Resource": f"{arn}/*"}
    return {"Sid": sid, "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", **where, "Condition": condition}


def upload_encryption_denies(arn: str, kms_key_arn: str | None, exempt: Sequence[str] = ()) -> list[dict]:
    """Refuse an upload only for an encryption header that is present and asks for something else; an upload
    that names none gets the bucket's default (SSE-KMS with kms_key_arn and a bucket key, or SSE-S3).

    IAM evaluates a `...IfExists` operator as true when the key is absent, and a negated operator as true too
    (IAM User Guide, "Condition operators": "...IfExists"), so a Deny on `StringNotEqualsIfExists` refuses every
    upload without the header: multipart parts, access-log delivery, clients that rely on the bucket default.
    `Null: false` (the key is present) limits each Deny to requests that carry the header (same page, "Condition
    operator to check existence of condition keys"). `exempt`: key prefixes a writer of another encryption must
    reach (CloudTrail's digest files, which it encrypts with SSE-S3 whatever the trail's key)."""
    if kms_key_arn is None:
        return [_deny_uploads("DenyOtherEncryption", arn, {"StringNotEquals": {SSE_HEADER: "AES256"}, "Null": {SSE_HEADER: "false"}}, exempt)]
    return [
        _deny_uploads("DenyOtherEncryption", arn, {"StringNotEquals": {SSE_HEADER: "aws:kms"}, "Null": {SSE_HEADER: "false"}}, exempt),
        _deny_uploads("DenyOtherKmsKeys", arn, {"StringNotEquals": {SSE_KMS_KEY_HEADER: kms_key_arn}, "Null": {SSE_KMS_KEY_HEADER: "false"}}, exempt),
        # `aws:kms` without a key id is not "the bucket's key": S3 then uses the AWS managed key aws/s3 (S3 API
        # reference, PutObject, x-amz-server-side-encryption-aws-kms-key-id), outside this key policy and rotation.
        _deny_uploads("DenyAwsManagedKey", arn, {"StringEquals": {SSE_HEADER: "aws:kms"}, "Null": {SSE_KMS_KEY_HEADER: "true"}}, exempt),
    ]


def bucket_policy(
    bucket: str,
    kms_key_arn: str | None,
    log_sources: Sequence[str] = (),
    account_id: str = "",
    extra: Sequence[dict] = (),
    encryption_exempt: Sequence[str] = (),
) -> Document:
    """kms_key_arn None: an SSE-S3 bucket (the access-log buckets: server access logging delivers only to those).
    `extra`: statements of the bucket's own writers (the audit bucket's CloudTrail delivery)."""
    arn = f"arn:aws:s3:::{bucket}"
    statements = [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn, f"{arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        *upload_encryption_denies(arn, kms_key_arn, encryption_exempt),
        *extra,
    ]
    if log_sources:
        statements.append(
            {
                "Sid": "AllowServerAccessLogDelivery",
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{arn}/*",
                "Condition": {
                    "ArnLike": {"aws:SourceArn": sorted(f"arn:aws:s3:::{source}" for source in log_sources)},
                    "StringEquals": {"aws:SourceAccount": account_id},
                },
            }
        )
    return document(*statements)


def s3_replication_trust(account_id: str, source_bucket: str) -> Document:
    """S3 may assume the replication role only to replicate our source bucket: the trust policy AWS gives for
    replication names the account owning the source bucket and its ARN (S3 User Guide, "Setting up permissions
    for live replication", Creating an IAM role). Without them S3 acting for anyone's replication configuration
    that names this role could assume it: the confused deputy (IAM User Guide, "The confused deputy problem")."""
    return document(
        {
            "Effect": "Allow",
            "Principal": {"Service": "s3.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id, "aws:SourceArn": f"arn:aws:s3:::{source_bucket}"}},
        }
    )


def replication(
    source_bucket: str,
    source_key_arn: str,
    source_region: str,
    destination_bucket: str,
    destination_key_arn: str,
    destination_region: str,
    object_lock: bool,
    bucket_keys: bool = True,
) -> Document:
    """What S3 replication of an SSE-KMS bucket needs (S3 User Guide, "Replicating objects created with SSE using
    KMS keys"; "Setting up permissions for live replication"). `bucket_keys`: whether both buckets use S3 Bucket
    Keys (then S3 passes the bucket ARN as encryption context, otherwise the object's)."""
    source, destination = f"arn:aws:s3:::{source_bucket}", f"arn:aws:s3:::{destination_bucket}"
    reads = ["s3:GetObjectVersionAcl", "s3:GetObjectVersionForReplication", "s3:GetObjectVersionTagging"]
    if object_lock:
        # S3 User Guide, "Object Lock considerations" / "Using Object Lock with S3 Replication".
        reads += ["s3:GetObjectLegalHold", "s3:GetObjectRetention"]

    def kms(sid: str, actions: list[str] | str, key: str, region: str, bucket_arn: str) -> dict:
        # Both buckets use S3 Bucket Keys, so S3 passes the *bucket* ARN as encryption context, not the
        # object's (S3 User Guide, "Reducing the cost of SSE-KMS with Amazon S3 Bucket Keys": "S3 Bucket Keys
        # use the bucket ARN as encryption context"; "Amazon S3 Bucket Keys and replication").
        context = (
            {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com", "kms:EncryptionContext:aws:s3:arn": bucket_arn}}
            if bucket_keys
            else {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}, "StringLike": {"kms:EncryptionContext:aws:s3:arn": f"{bucket_arn}/*"}}
        )
        return {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": key, "Condition": context}

    return document(
        {"Sid": "ReadReplicationConfiguration", "Effect": "Allow", "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"], "Resource": source},
        {"Sid": "ReadSourceVersions", "Effect": "Allow", "Action": sorted(reads), "Resource": f"{source}/*"},
        {
            "Sid": "WriteReplicas",
            "Effect": "Allow",
            "Action": ["s3:ReplicateDelete", "s3:ReplicateObject", "s3:ReplicateTags"],
            "Resource": f"{destination}/*",
        },
        kms("DecryptSource", "kms:Decrypt", source_key_arn, source_region, source),
        # With a bucket key on the replicas, S3 also decrypts under the replica key to verify the bucket key
        # ("Amazon S3 Bucket Keys and replication").
        kms("EncryptReplicas", ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"], destination_key_arn, destination_region, destination),
    )


def alarm_topic_policy(topic_arn: str, account_id: str, alarm_arns: Sequence[str], s3_sources: Sequence[str] = ()) -> Document:
    """Who may publish to an alert topic: CloudWatch (the alarms named) and, for replication, S3 (event
    notifications of the source buckets), each only from our resources (SNS Developer Guide, "Amazon SNS topic
    access policies": aws:SourceArn / aws:SourceAccount against the confused deputy)."""
    statements = []
    if s3_sources:
        statements.append(
            {
                "Sid": "S3ReplicationEvents",
                "Effect": "Allow",
                "Principal": {"Service": "s3.amazonaws.com"},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {
                    "ArnEquals": {"aws:SourceArn": sorted(f"arn:aws:s3:::{b}" for b in s3_sources)},
                    "StringEquals": {"aws:SourceAccount": account_id},
                },
            }
        )
    statements.append(
        {
            "Sid": "CloudWatchAlarms",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": sorted(alarm_arns)}, "StringEquals": {"aws:SourceAccount": account_id}},
        }
    )
    return document(*statements)


def ebs_csi_key_usage(csi_driver_role_arn: str) -> list[dict]:
    """Key policy statements that let the cluster's EBS CSI driver create and attach encrypted volumes
    (AWS EBS CSI driver docs, "KMS key policy": it grants EC2 the key for each attached volume)."""
    return [
        {
            "Sid": "EbsCsiDriverUsesKey",
            "Effect": "Allow",
            "Principal": {"AWS": csi_driver_role_arn},
            "Action": [
                "kms:Decrypt",
                "kms:DescribeKey",
                "kms:Encrypt",
                "kms:GenerateDataKeyWithoutPlaintext",
                "kms:ReEncryptFrom",
                "kms:ReEncryptTo",
            ],
            "Resource": "*",  # in a key policy, "*" means this key
        },
        {
            "Sid": "EbsCsiDriverGrantsToEc2",
            "Effect": "Allow",
            "Principal": {"AWS": csi_driver_role_arn},
            "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
            "Resource": "*",
            "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
        },
    ]


# -- audit -------------------------------------------------------------------------------------------------

CLOUDTRAIL = "cloudtrail.amazonaws.com"
# Where CloudTrail writes under a trail's bucket (CloudTrail User Guide, "Finding your CloudTrail log files"):
# log files under AWSLogs/<account>/CloudTrail/, digest files under AWSLogs/<account>/CloudTrail-Digest/.
def cloudtrail_digest_prefix(account_id: str) -> str:
    return f"AWSLogs/{account_id}/CloudTrail-Digest/"


def cloudtrail_delivery(bucket: str, trail_arn: str, account_id: str) -> list[dict]:
    """CloudTrail User Guide, "Amazon S3 bucket policy for CloudTrail": GetBucketAcl on the bucket, PutObject under
    AWSLogs/<account>/ with the canned ACL bucket-owner-full-control (which BucketOwnerEnforced accepts), both only
    for this trail (aws:SourceArn, the page's "security best practice")."""
    arn = f"arn:aws:s3:::{bucket}"
    return [
        {
            "Sid": "AWSCloudTrailAclCheck",
            "Effect": "Allow",
            "Principal": {"Service": CLOUDTRAIL},
            "Action": "s3:GetBucketAcl",
            "Resource": arn,
            "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}},
        },
        {
            "Sid": "AWSCloudTrailWrite",
            "Effect": "Allow",
            "Principal": {"Service": CLOUDTRAIL},
            "Action": "s3:PutObject",
            "Resource": f"{arn}/AWSLogs/{account_id}/*",
            "Condition": {"StringEquals": {"aws:SourceArn": trail_arn, "s3:x-amz-acl": "bucket-owner-full-control"}},
        },
    ]


def deny_overwrites(bucket: str, prefix: str) -> dict:
    """Nobody writes under `prefix` without If-None-Match, so nothing there is ever overwritten (S3 User Guide,
    "Enforce conditional writes on Amazon S3 buckets": condition key s3:if-none-match)."""
    return {
        "Sid": "DenyOverwrites",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{bucket}/{prefix}*",
        "Condition": {"Null": {"s3:if-none-match": "true"}},
    }


def audit_key_usage(account_id: str, region: str, trail_arn: str | None, log_group_arns: Sequence[str]) -> list[dict]:
    """The audit key's users outside IAM policy: CloudTrail encrypting this trail's log files and describing the
    key (CloudTrail User Guide, "Configure AWS KMS key policies for CloudTrail": encrypt with aws:SourceArn and
    kms:EncryptionContext:aws:cloudtrail:arn, describe), and CloudWatch Logs encrypting the log groups named
    (CloudWatch Logs User Guide, "Encrypt log data in CloudWatch Logs using AWS KMS": the regional service principal,
    kms:EncryptionContext:aws:logs:arn). The docs' third CloudTrail statement, decryption for every principal of the
    account (Principal "*"), is left out: the account's root statement already leaves decryption to IAM policies."""
    statements = []
    if trail_arn is not None:
        statements += [
            {
                "Sid": "CloudTrailEncryptsLogs",
                "Effect": "Allow",
                "Principal": {"Service": CLOUDTRAIL},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:SourceArn": trail_arn},
                    "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{account_id}:trail/*"},
                },
            },
            {
                "Sid": "CloudTrailDescribesKey",
                "Effect": "Allow",
                "Principal": {"Service": CLOUDTRAIL},
                "Action": "kms:DescribeKey",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}},
            },
        ]
    if log_group_arns:
        statements.append(
            {
                "Sid": "CloudWatchLogsEncryptsLogGroups",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": ["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
                "Resource": "*",
                # The docs write ArnLike; the encryption context is a string key, and these are exact ARNs.
                "Condition": {"StringEquals": {"kms:EncryptionContext:aws:logs:arn": sorted(log_group_arns)}},
            }
        )
    return statements


def cloudtrail_logs_trust(trail_arn: str, account_id: str) -> Document:
    """CloudTrail assumes the role that writes the trail into CloudWatch Logs, for this trail only (IAM User Guide,
    "The confused deputy problem": aws:SourceArn, aws:SourceAccount)."""
    return document(
        {
            "Effect": "Allow",
            "Principal": {"Service": CLOUDTRAIL},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceArn": trail_arn, "aws:SourceAccount": account_id}},
        }
    )


def cloudtrail_logs_writer(log_group_arn: str, account_id: str) -> Document:
    """CloudTrail User Guide, "Role policy document for CloudTrail to use CloudWatch Logs for monitoring": create
    streams and put events in the trail's log group; CloudTrail names the streams <account>_CloudTrail_<region>."""
    streams = f"{log_group_arn}:log-stream:{account_id}_CloudTrail_*"
    return document(
        {"Sid": "CreateTrailStreams", "Effect": "Allow", "Action": "logs:CreateLogStream", "Resource": streams},
        {"Sid": "PutTrailEvents", "Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": streams},
    )


def audit_export_writer(bucket: str, prefix: str, kms_key_arn: str) -> Document:
    """The audit_logs export: it creates objects under its prefix and nothing else, never over an existing key
    (PutObject only with If-None-Match: S3 User Guide, "Enforce conditional writes", s3:if-none-match), and makes
    the data key SSE-KMS needs (no Decrypt: it reads nothing back)."""
    return document(
        {
            "Sid": "CreateExports",
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::{bucket}/{prefix}*",
            "Condition": {"Null": {"s3:if-none-match": "false"}},
        },
        {"Sid": "ExportKey", "Effect": "Allow", "Action": "kms:GenerateDataKey", "Resource": kms_key_arn},
    )


def log_forwarder(log_group_arns: Sequence[str]) -> Document:
    """The cluster's log collector (Vector's aws_cloudwatch_logs sink, as OpenShift Logging configures it): streams
    and events in the log groups this stack creates, which it therefore never has to create (Red Hat's example
    CredentialsRequest grants logs:* actions on arn:aws:logs:*:*:*; this is those of its actions Vector needs with
    the groups existing, on those groups only)."""
    groups = sorted(log_group_arns)
    return document(
        {
            "Sid": "WriteAuditStreams",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
            "Resource": groups + [f"{arn}:log-stream:*" for arn in groups],
        }
    )
