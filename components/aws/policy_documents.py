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


def web_identity_trust(provider_arn: str, issuer: str, namespace: str, service_account: str) -> Document:
    """Trust exactly one Kubernetes service account, through the cluster's OIDC provider (ROSA STS)."""
    return document(
        {
            "Effect": "Allow",
            "Principal": {"Federated": provider_arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {
                    f"{issuer}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                    f"{issuer}:aud": "sts.amazonaws.com",
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


def log_delivery_key_usage(account_id: str) -> dict:
    """Key policy statement: S3 server access log delivery writes into an SSE-KMS log bucket with this key."""
    return {
        "Sid": "AllowServerAccessLogDelivery",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "kms:GenerateDataKey",
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
    }


def bucket_policy(bucket: str, kms_key_arn: str | None, log_sources: Sequence[str] = (), account_id: str = "") -> Document:
    arn = f"arn:aws:s3:::{bucket}"
    statements = [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn, f"{arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ]
    if kms_key_arn is not None:
        statements += [
            {
                # Uploads that ask for anything but SSE-KMS are refused; uploads that ask for nothing get the
                # bucket's default, SSE-KMS with this key.
                "Sid": "DenyNonKmsUploads",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": f"{arn}/*",
                "Condition": {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}},
            },
            {
                "Sid": "DenyOtherKmsKeys",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": f"{arn}/*",
                "Condition": {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption-aws-kms-key-id": kms_key_arn}},
            },
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


def s3_service_trust() -> Document:
    return document({"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sts:AssumeRole"})


def replication(source_bucket: str, source_key_arn: str, source_region: str, destination_bucket: str, destination_key_arn: str, destination_region: str) -> Document:
    """What S3 replication of an SSE-KMS bucket needs (AWS S3 user guide, "Replicating encrypted objects")."""
    source, destination = f"arn:aws:s3:::{source_bucket}", f"arn:aws:s3:::{destination_bucket}"
    return document(
        {"Sid": "ReadReplicationConfiguration", "Effect": "Allow", "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"], "Resource": source},
        {
            "Sid": "ReadSourceVersions",
            "Effect": "Allow",
            "Action": ["s3:GetObjectVersionAcl", "s3:GetObjectVersionForReplication", "s3:GetObjectVersionTagging"],
            "Resource": f"{source}/*",
        },
        {
            "Sid": "WriteReplicas",
            "Effect": "Allow",
            "Action": ["s3:ReplicateDelete", "s3:ReplicateObject", "s3:ReplicateTags"],
            "Resource": f"{destination}/*",
        },
        {
            "Sid": "DecryptSource",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": source_key_arn,
            "Condition": {"StringLike": {"kms:ViaService": f"s3.{source_region}.amazonaws.com", "kms:EncryptionContext:aws:s3:arn": f"{source}/*"}},
        },
        {
            "Sid": "EncryptReplicas",
            "Effect": "Allow",
            "Action": ["kms:Encrypt", "kms:GenerateDataKey"],
            "Resource": destination_key_arn,
            "Condition": {"StringLike": {"kms:ViaService": f"s3.{destination_region}.amazonaws.com", "kms:EncryptionContext:aws:s3:arn": f"{destination}/*"}},
        },
    )


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
