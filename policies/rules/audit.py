"""Audit: data buckets log access to a log bucket, keep versions, lock backups where the environment asks;
key policies name their principals; IAM grants name their actions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .base import Config, Rule, Setting, Subject, as_list, dig, policy_document, purpose, statements
from .encryption import buckets, for_bucket

LOGGING = "aws:s3/bucketLogging:BucketLogging"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
OBJECT_LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"


def default_retention(locks: Mapping[str, list[Subject]], bucket: Any) -> tuple[int, str]:
    """(days, mode) of the default retention that `bucket`'s object lock configuration (of `locks`, by bucket) sets;
    (0, "") without one. A default retention gives Days or Years (S3 API Reference, DefaultRetention); a year
    counts as 365 days."""
    lock = next(iter(locks.get(bucket, [])), None)
    retention = (dig(lock.props, "rule", "defaultRetention") or {}) if lock else {}
    return int(retention.get("days") or 0) + 365 * int(retention.get("years") or 0), str(retention.get("mode") or "")


def access_logging(subjects: Sequence[Subject], config: Config) -> list[tuple[str, str]]:
    logging = for_bucket(subjects, LOGGING)
    names = {b.props.get("bucket") for b in buckets(subjects)}
    targets = {entry.props.get("targetBucket") for entries in logging.values() for entry in entries}
    problems = []
    for bucket in buckets(subjects):
        name = bucket.props.get("bucket")
        if name in targets:
            continue  # a log bucket; logging it into itself would log its own log deliveries
        entries = logging.get(name, [])
        if not entries:
            problems.append((bucket.label, f"bucket {name} does not log access (no BucketLogging)."))
        elif entries[0].props.get("targetBucket") not in names:
            problems.append((bucket.label, f"bucket {name} logs to {entries[0].props.get('targetBucket')}, which this stack does not manage."))
    return problems


def versioning(subjects: Sequence[Subject], config: Config) -> list[tuple[str, str]]:
    versioned = {
        name for name, entries in for_bucket(subjects, VERSIONING).items()
        if any((e.props.get("versioningConfiguration") or {}).get("status") == "Enabled" for e in entries)
    }
    return [
        (b.label, f"bucket {b.props.get('bucket')} does not keep object versions (BucketVersioning Enabled).")
        for b in buckets(subjects)
        if b.props.get("bucket") not in versioned
    ]


def backup_object_lock(subjects: Sequence[Subject], config: Config) -> list[tuple[str, str]]:
    if not config["requireObjectLock"]:
        return []
    locks = for_bucket(subjects, OBJECT_LOCK)
    problems = []
    for bucket in buckets(subjects):
        if purpose(bucket) not in ("backups", "backups-replica"):
            continue
        name = bucket.props.get("bucket")
        days, _ = default_retention(locks, name)
        if bucket.props.get("objectLockEnabled") is not True or days < config["minObjectLockDays"]:
            problems.append((bucket.label, f"backup bucket {name} has no object lock of at least {config['minObjectLockDays']} days."))
    return problems


def key_policy_principals(resource_type: str, props: Mapping[str, Any], config: Config) -> list[str]:
    if resource_type != "aws:kms/key:Key":
        return []
    if props.get("policy") is None:
        return ["KMS key has no explicit key policy (the default grants the account through IAM without review)."]
    problems = []
    for statement in statements(policy_document(props.get("policy"))):
        if statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        principals = as_list(principal.get("AWS")) if isinstance(principal, Mapping) else as_list(principal)
        if "*" in principals:
            problems.append(f"key policy statement {statement.get('Sid', '?')} allows any principal (*).")
    return problems


_IAM_POLICIES = {
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/policy:Policy": "policy",
    "aws:iam/userPolicy:UserPolicy": "policy",
    "aws:iam/groupPolicy:GroupPolicy": "policy",
}


def iam_no_wildcards(resource_type: str, props: Mapping[str, Any], config: Config) -> list[str]:
    documents = []
    if resource_type in _IAM_POLICIES:
        documents.append(policy_document(props.get(_IAM_POLICIES[resource_type])))
    elif resource_type == "aws:iam/role:Role":
        documents += [policy_document(p.get("policy")) for p in props.get("inlinePolicies") or [] if p.get("policy")]
    problems = []
    for document in documents:
        for statement in statements(document):
            if statement.get("Effect") != "Allow":
                continue
            sid = statement.get("Sid", "?")
            if "NotAction" in statement:
                problems.append(f"statement {sid} allows NotAction (everything but a list).")
            wild = [a for a in as_list(statement.get("Action")) if "*" in a]
            if wild:
                problems.append(f"statement {sid} allows wildcard actions {wild}.")
            if "*" in as_list(statement.get("Resource")):
                problems.append(f"statement {sid} allows its actions on every resource (*).")
    return problems


RULES: tuple[Rule, ...] = (
    Rule(
        name="s3-access-logging",
        theme="audit",
        description="Every bucket logs access to a log bucket of the stack (log buckets themselves excepted).",
        severity="medium",
        enforcement="mandatory",
        remediation="Add a BucketLogging targeting the stack's access-log bucket (SecureBucket's log_bucket).",
        stack_check=access_logging,
    ),
    Rule(
        name="s3-versioning",
        theme="audit",
        description="Every bucket keeps object versions, so an overwrite or delete can be traced and undone.",
        severity="medium",
        enforcement="mandatory",
        remediation="Add a BucketVersioning with status Enabled.",
        stack_check=versioning,
    ),
    Rule(
        name="backup-bucket-object-lock",
        theme="audit",
        description="Backup buckets (tag langfuse-rosa:purpose backups or backups-replica) have object lock with a default retention, where the environment requires it.",
        severity="high",
        enforcement="mandatory",
        remediation="Create the bucket with objectLockEnabled and add a BucketObjectLockConfiguration (aws.objectLockDays).",
        stack_check=backup_object_lock,
        settings=(
            Setting("requireObjectLock", "boolean", True, "whether backup buckets must be object-locked"),
            Setting("minObjectLockDays", "integer", 30, "shortest acceptable default retention"),
        ),
    ),
    Rule(
        name="kms-key-policy-no-wildcard-principal",
        theme="audit",
        description="KMS key policies are explicit and never allow a wildcard principal.",
        severity="critical",
        enforcement="mandatory",
        remediation="Name the principals (the account root for IAM delegation, service principals with a source condition).",
        check=key_policy_principals,
    ),
    Rule(
        name="iam-no-wildcard-actions",
        theme="audit",
        description="IAM policies grant named actions on named resources: no wildcard action, no NotAction, no Resource *.",
        severity="high",
        enforcement="mandatory",
        remediation="List the actions the workload calls and the ARNs it calls them on (components.aws.policy_documents).",
        check=iam_no_wildcards,
    ),
)
