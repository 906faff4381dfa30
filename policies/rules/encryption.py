"""Encryption at rest: S3 with customer-managed KMS keys and bucket keys, rotating keys, Secrets Manager on
the CMK, an encrypted StorageClass and every volume on one, encrypted database backups.

pulumi-aws v7 models a bucket's encryption as a separate resource, so the bucket rule looks at the whole
stack and links each bucket to its configuration by bucket name.

One exception, because AWS allows nothing else: a server access-log bucket (tag langfuse-rosa:purpose
access-logs) defaults to SSE-S3. S3 delivers access logs only to a target bucket whose default encryption is
SSE-S3; SSE-KMS targets are not supported (S3 User Guide, "Enabling Amazon S3 server access logging"), so a
CMK there means the bucket never receives a log. The rule then checks that, instead of a CMK.

And one exception to bucket keys: the audit buckets (purpose audit, audit-replica). CloudTrail's key policy
conditions (CloudTrail User Guide, "Configure AWS KMS key policies for CloudTrail") name the trail in the
encryption context that S3 passes per object; a bucket key makes S3 pass the bucket ARN instead. Without one,
CloudTrail's KMS calls cost nothing ("How AWS CloudTrail uses AWS KMS").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .base import Config, Rule, Setting, Subject, dig, is_kubernetes, purpose

BUCKET = "aws:s3/bucket:Bucket"
ACCESS_LOGS = "access-logs"
WITHOUT_BUCKET_KEY = ("audit", "audit-replica")
SSE_CONFIGURATION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
# Keys AWS manages: encrypted, but not under the key policy and rotation we control.
_AWS_MANAGED = ("alias/aws/",)


def buckets(subjects: Sequence[Subject]) -> list[Subject]:
    return [s for s in subjects if s.type == BUCKET]


def for_bucket(subjects: Sequence[Subject], resource_type: str) -> dict[str, list[Subject]]:
    """Configuration resources of `resource_type`, by the bucket name they configure."""
    found: dict[str, list[Subject]] = {}
    for s in subjects:
        if s.type == resource_type:
            found.setdefault(s.props.get("bucket"), []).append(s)
    return found


def customer_managed(key: Any) -> bool:
    return bool(key) and not str(key).startswith(_AWS_MANAGED) and ":alias/aws/" not in str(key)


def bucket_encrypted_with_cmk(subjects: Sequence[Subject], config: Config) -> list[tuple[str, str]]:
    configurations = for_bucket(subjects, SSE_CONFIGURATION)
    problems = []
    for bucket in buckets(subjects):
        name = bucket.props.get("bucket")
        found = configurations.get(name, [])
        if not found:
            problems.append((bucket.label, f"bucket {name} has no server-side encryption configuration."))
            continue
        for rule in found[0].props.get("rules") or []:
            default = rule.get("applyServerSideEncryptionByDefault") or {}
            if purpose(bucket) == ACCESS_LOGS:
                if default.get("sseAlgorithm") != "AES256":
                    problems.append(
                        (bucket.label, f"bucket {name} receives server access logs, which S3 delivers only to SSE-S3 (AES256) buckets, "
                         f"not {default.get('sseAlgorithm')!r}.")
                    )
                continue
            if default.get("sseAlgorithm") not in ("aws:kms", "aws:kms:dsse"):
                problems.append((bucket.label, f"bucket {name} defaults to {default.get('sseAlgorithm')!r}, not SSE-KMS."))
            elif not customer_managed(default.get("kmsMasterKeyId")):
                problems.append((bucket.label, f"bucket {name} is encrypted with an AWS-managed key, not a customer-managed one."))
            if rule.get("bucketKeyEnabled") is not True and purpose(bucket) not in WITHOUT_BUCKET_KEY:
                problems.append((bucket.label, f"bucket {name} does not use an S3 bucket key."))
    return problems


def key_rotation(resource_type: str, props: Mapping[str, Any], config: Config) -> list[str]:
    if resource_type != "aws:kms/key:Key":
        return []
    if (props.get("customerMasterKeySpec") or props.get("keySpec") or "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT":
        return []  # AWS rotates only symmetric keys
    if props.get("enableKeyRotation") is not True:
        return ["KMS key does not rotate (enableKeyRotation is not true)."]
    return []


def secrets_manager_cmk(resource_type: str, props: Mapping[str, Any], config: Config) -> list[str]:
    if resource_type != "aws:secretsmanager/secret:Secret":
        return []
    if not customer_managed(props.get("kmsKeyId")):
        return [f"secret {props.get('name')} is encrypted with the AWS-managed key, not a customer-managed one."]
    return []


def storage_class_encrypted(resource_type: str, props: Mapping[str, Any], config: Config) -> list[str]:
    if not is_kubernetes(resource_type, "StorageClass") or props.get("provisioner") != "ebs.csi.aws.com":
        return []
    parameters = props.get("parameters") or {}
    problems = []
    if parameters.get("encrypted") != "true":
        problems.append("EBS StorageClass does not set encrypted: \"true\".")
    if not customer_managed(parameters.get("kmsKeyId")):
        problems.append("EBS StorageClass has no customer-managed kmsKeyId.")
    return problems


def volume_claims(subject: Subject) -> list[tuple[str, Any]]:
    """(what, storageClassName) of every volume claim a resource makes, directly or through an operator."""
    props, kind = subject.props, subject.type.rsplit(":", 1)[-1]
    if not subject.type.startswith("kubernetes:"):
        return []
    if kind == "PersistentVolumeClaim":
        return [("claim", dig(props, "spec", "storageClassName"))]
    if kind == "StatefulSet":
        return [(f"volumeClaimTemplate {dig(t, 'metadata', 'name')}", dig(t, "spec", "storageClassName")) for t in dig(props, "spec", "volumeClaimTemplates") or []]
    if kind == "Cluster" and subject.type.startswith("kubernetes:postgresql.cnpg.io/"):
        return [(part, dig(props, "spec", part, "storageClass")) for part in ("storage", "walStorage") if dig(props, "spec", part) is not None]
    if kind in ("ClickHouseInstallation", "ClickHouseKeeperInstallation"):
        templates = dig(props, "spec", "templates", "volumeClaimTemplates") or []
        return [(f"volumeClaimTemplate {t.get('name')}", dig(t, "spec", "storageClassName")) for t in templates]
    return []


def volumes_on_encrypted_class(subjects: Sequence[Subject], config: Config) -> list[tuple[str, str]]:
    allowed = set(config["encryptedStorageClasses"])
    allowed |= {dig(s.props, "metadata", "name") for s in subjects if is_kubernetes(s.type, "StorageClass") and not storage_class_encrypted(s.type, s.props, config)}
    return [
        (s.label, f"{what} uses storage class {cls!r}, not one of the encrypted classes {sorted(allowed)}.")
        for s in subjects
        for what, cls in volume_claims(s)
        if cls not in allowed
    ]


def database_backups_encrypted(resource_type: str, props: Mapping[str, Any], config: Config) -> list[str]:
    # The Barman Cloud Plugin's ObjectStore, and (deprecated) CloudNativePG's in-tree barmanObjectStore: the same
    # barman-cloud configuration schema.
    if is_kubernetes(resource_type, "ObjectStore") and resource_type.startswith("kubernetes:barmancloud.cnpg.io/"):
        store, where = dig(props, "spec", "configuration"), "ObjectStore spec.configuration"
    elif is_kubernetes(resource_type, "Cluster") and resource_type.startswith("kubernetes:postgresql.cnpg.io/"):
        store, where = dig(props, "spec", "backup", "barmanObjectStore"), "barmanObjectStore"
    else:
        return []
    if store is None:
        return []  # whether there is a backup at all is the backups theme's rule
    problems = []
    # `-e aws:kms` without --sse-kms-key-id encrypts with the AWS managed key aws/s3 (S3 API reference,
    # PutObject), not a key of ours: the rule wants both.
    for part, args_key in (("wal", "archiveAdditionalCommandArgs"), ("data", "additionalCommandArgs")):
        if dig(store, part, "encryption") != "aws:kms":
            problems.append(f"PostgreSQL {part} backups are not encrypted with SSE-KMS ({where}.{part}.encryption).")
        elif not any(str(arg).startswith("--sse-kms-key-id=") for arg in dig(store, part, args_key) or []):
            problems.append(
                f"PostgreSQL {part} backups name no KMS key ({where}.{part}.{args_key} --sse-kms-key-id): "
                "S3 would use the AWS managed key aws/s3."
            )
    return problems


RULES: tuple[Rule, ...] = (
    Rule(
        name="s3-bucket-encrypted-with-cmk",
        theme="encryption-at-rest",
        description="Every S3 bucket has a server-side encryption configuration: SSE-KMS with a customer-managed key and an S3 bucket key "
        "(audit buckets without one: CloudTrail's key policy names the trail in the per-object encryption context); "
        "access-log buckets SSE-S3, the only encryption S3 server access logging delivers to.",
        severity="high",
        enforcement="mandatory",
        remediation="Use components.aws.bucket.SecureBucket, or add a BucketServerSideEncryptionConfiguration with sseAlgorithm aws:kms, the CMK's ARN and bucketKeyEnabled.",
        stack_check=bucket_encrypted_with_cmk,
    ),
    Rule(
        name="kms-key-rotation",
        theme="encryption-at-rest",
        description="Symmetric KMS keys rotate their key material.",
        severity="medium",
        enforcement="mandatory",
        remediation="Set enableKeyRotation: true (components.aws.kms.CustomerManagedKey does).",
        check=key_rotation,
    ),
    Rule(
        name="secrets-manager-cmk",
        theme="encryption-at-rest",
        description="Secrets Manager secrets are encrypted with a customer-managed KMS key.",
        severity="medium",
        enforcement="mandatory",
        remediation="Set kmsKeyId to the stack's secrets key (components.aws.secrets_manager.GeneratedSecret does).",
        check=secrets_manager_cmk,
    ),
    Rule(
        name="storage-class-encrypted",
        theme="encryption-at-rest",
        description="EBS StorageClasses encrypt volumes with a customer-managed KMS key.",
        severity="high",
        enforcement="mandatory",
        remediation="Set parameters.encrypted \"true\" and parameters.kmsKeyId to the cluster layer's EBS key.",
        check=storage_class_encrypted,
    ),
    Rule(
        name="volumes-on-encrypted-storage-class",
        theme="encryption-at-rest",
        description="Every persistent volume claim (direct, StatefulSet template, CloudNativePG, ClickHouse) names an encrypted storage class.",
        severity="high",
        enforcement="mandatory",
        remediation="Set the claim's storage class to the cluster layer's encrypted class (dataTier.storageClass).",
        stack_check=volumes_on_encrypted_class,
        settings=(
            Setting("encryptedStorageClasses", "array", ["langfuse-gp3-encrypted"], "StorageClasses (made by the cluster layer) known to encrypt with a CMK"),
        ),
    ),
    Rule(
        name="database-backups-encrypted",
        theme="encryption-at-rest",
        description="PostgreSQL WAL archives and base backups are encrypted with SSE-KMS under a named key (not aws/s3).",
        severity="high",
        enforcement="mandatory",
        remediation="Set the ObjectStore's spec.configuration.wal.encryption and .data.encryption to aws:kms, and pass "
        "--sse-kms-key-id=<key ARN> in wal.archiveAdditionalCommandArgs and data.additionalCommandArgs.",
        check=database_backups_encrypted,
    ),
)

