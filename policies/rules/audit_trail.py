"""Audit: the CloudTrail trail. It exists and logs the S3 object reads and writes of every data bucket, it
records management events (KMS and Secrets Manager included) in every region, its log files are validated,
and it delivers into an object-locked bucket of the stack under a customer-managed key.

Which events a trail logs is decided as CloudTrail decides it, from its selectors (CloudTrail User Guide,
"Logging data events" and "Logging management events"): an advanced event selector logs an event when every
one of its field selectors holds (within one field selector, each operator holds: any value for Equals,
StartsWith, EndsWith; none for NotEquals, NotStartsWith, NotEndsWith); a trail logs an event when one of its
selectors does. Basic event selectors (readWriteType, includeManagementEvents, excludeManagementEventSources,
dataResources) are read too, for trails made that way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .audit import OBJECT_LOCK, default_retention
from .base import Config, Rule, Subject, as_list, purpose
from .encryption import SSE_CONFIGURATION, buckets, customer_managed, for_bucket

TRAIL = "aws:cloudtrail/trail:Trail"
# Buckets the trail does not log object events of: the log buckets (their deliveries would feed the trail,
# which would feed them) and the audit buckets (CloudTrail would log its own deliveries).
LOG_PURPOSES = ("access-logs", "audit", "audit-replica")
MANAGEMENT_SOURCES = ("kms.amazonaws.com", "secretsmanager.amazonaws.com")
Event = Mapping[str, str]


def trails(subjects: Sequence[Subject]) -> list[Subject]:
    return [s for s in subjects if s.type == TRAIL and s.props.get("enableLogging") is not False]


def _field_holds(selector: Mapping[str, Any], value: str) -> bool:
    def values(key: str) -> list[str]:
        return [str(v) for v in as_list(selector.get(key))]

    if values("equals") and value not in values("equals"):
        return False
    if values("startsWiths") and not any(value.startswith(v) for v in values("startsWiths")):
        return False
    if values("endsWiths") and not any(value.endswith(v) for v in values("endsWiths")):
        return False
    if value in values("notEquals"):
        return False
    if any(value.startswith(v) for v in values("notStartsWiths")):
        return False
    return not any(value.endswith(v) for v in values("notEndsWiths"))


def _basic_logs(selector: Mapping[str, Any], event: Event) -> bool:
    read_write = selector.get("readWriteType") or "All"
    if read_write != "All" and (read_write == "ReadOnly") != (event["readOnly"] == "true"):
        return False
    if event["eventCategory"] == "Management":
        return selector.get("includeManagementEvents", True) is not False and event["eventSource"] not in as_list(
            selector.get("excludeManagementEventSources")
        )
    for resource in selector.get("dataResources") or []:
        if resource.get("type") != event.get("resources.type"):
            continue
        # "arn:aws:s3" alone means every bucket; "arn:aws:s3:::bucket/" (or a prefix under it) those objects.
        if any(v in ("arn:aws:s3", "arn:aws:s3:::") or event.get("resources.ARN", "").startswith(v) for v in as_list(resource.get("values"))):
            return True
    return False


def logs(trail: Subject, event: Event) -> bool:
    """Whether `trail` logs `event` (fields: eventCategory, eventSource, readOnly, resources.type, resources.ARN)."""
    advanced = trail.props.get("advancedEventSelectors") or []
    if advanced:
        return any(
            all(_field_holds(field, event.get(str(field.get("field")), "")) for field in selector.get("fieldSelectors") or [])
            for selector in advanced
        )
    basic = trail.props.get("eventSelectors")
    if basic is None:
        # No selectors at all: CloudTrail logs management events, read and write, and no data events.
        return event["eventCategory"] == "Management"
    return any(_basic_logs(selector, event) for selector in basic)


def object_event(bucket: str, read_only: bool) -> Event:
    return {
        "eventCategory": "Data",
        "eventSource": "s3.amazonaws.com",
        "readOnly": "true" if read_only else "false",
        "resources.type": "AWS::S3::Object",
        "resources.ARN": f"arn:aws:s3:::{bucket}/x",
    }


def management_event(source: str, read_only: bool) -> Event:
    return {"eventCategory": "Management", "eventSource": source, "readOnly": "true" if read_only else "false"}


def covers_buckets(subjects: Sequence[Subject], config: Config) -> list[tuple[str, str]]:
    found = trails(subjects)
    data = [b for b in buckets(subjects) if purpose(b) not in LOG_PURPOSES]
    if not found:
        return [("stack", "no CloudTrail trail: nothing records who reads or changes the stack's data and keys.")] if data else []
    problems = []
    for bucket in data:
        name = bucket.props.get("bucket")
        missing = [kind for kind, read in (("reads", True), ("writes", False)) if not any(logs(t, object_event(name, read)) for t in found)]
        if missing:
            problems.append((bucket.label, f"no trail logs the object {' and '.join(missing)} of bucket {name} (S3 data events)."))
    return problems


def management_events(subjects: Sequence[Subject], config: Config) -> list[tuple[str, str]]:
    problems = []
    for trail in trails(subjects):
        if trail.props.get("isMultiRegionTrail") is not True:
            problems.append((trail.label, "the trail records one region only (isMultiRegionTrail is not true)."))
        for source in MANAGEMENT_SOURCES:
            missing = [kind for kind, read in (("read", True), ("write", False)) if not logs(trail, management_event(source, read))]
            if missing:
                problems.append((trail.label, f"the trail does not log {' and '.join(missing)} management events of {source}."))
    return problems


def log_file_validation(resource_type: str, props: Mapping[str, Any], config: Config) -> list[str]:
    if resource_type != TRAIL or props.get("enableLogFileValidation") is True:
        return []
    return ["log file validation is off (enableLogFileValidation): a changed or deleted log file would go unnoticed."]


def trail_bucket(subjects: Sequence[Subject], config: Config) -> list[tuple[str, str]]:
    by_name = {b.props.get("bucket"): b for b in buckets(subjects)}
    locks, encryption = for_bucket(subjects, OBJECT_LOCK), for_bucket(subjects, SSE_CONFIGURATION)
    problems = []
    for trail in trails(subjects):
        name = trail.props.get("s3BucketName")
        if not customer_managed(trail.props.get("kmsKeyId")):
            problems.append((trail.label, "the trail's log files are not encrypted with a customer-managed KMS key (kmsKeyId)."))
        bucket = by_name.get(name)
        if bucket is None:
            problems.append((trail.label, f"the trail delivers to {name}, which this stack does not manage: its lock cannot be checked."))
            continue
        if bucket.props.get("objectLockEnabled") is not True or default_retention(locks, name)[0] == 0:
            problems.append((trail.label, f"the trail's bucket {name} has no object lock with a default retention: its log files can be deleted."))
        rules = (next(iter(encryption.get(name, [])), None) or Subject("", "", {})).props.get("rules") or [{}]
        default = rules[0].get("applyServerSideEncryptionByDefault") or {}
        if default.get("sseAlgorithm") not in ("aws:kms", "aws:kms:dsse") or not customer_managed(default.get("kmsMasterKeyId")):
            problems.append((trail.label, f"the trail's bucket {name} does not default to SSE-KMS with a customer-managed key."))
    return problems


RULES: tuple[Rule, ...] = (
    Rule(
        name="cloudtrail-covers-buckets",
        theme="audit",
        description="A CloudTrail trail logs the object reads and writes (S3 data events) of every bucket but the log and audit buckets.",
        severity="high",
        enforcement="mandatory",
        remediation="Add the bucket's ARN prefix (arn:aws:s3:::<bucket>/) to the trail's data event selector (components.aws.audit_trail).",
        stack_check=covers_buckets,
    ),
    Rule(
        name="cloudtrail-management-events",
        theme="audit",
        description="Every trail records management events, read and write, in every region; KMS and Secrets Manager events are not excluded.",
        severity="high",
        enforcement="mandatory",
        remediation="Keep an eventCategory Management selector without an eventSource exclusion or readOnly filter, and isMultiRegionTrail true.",
        stack_check=management_events,
    ),
    Rule(
        name="cloudtrail-log-file-validation",
        theme="audit",
        description="Every trail has log file validation on: signed hourly digests prove a log file was not changed or deleted.",
        severity="high",
        enforcement="mandatory",
        remediation="Set enableLogFileValidation on the trail.",
        check=log_file_validation,
    ),
    Rule(
        name="cloudtrail-bucket-locked-and-encrypted",
        theme="audit",
        description="Every trail encrypts with a customer-managed key and delivers into a bucket of the stack with object lock and SSE-KMS under a CMK.",
        severity="high",
        enforcement="mandatory",
        remediation="Deliver to the stack's audit bucket (SecureBucket with object_lock_days) and set the trail's kmsKeyId to the audit key.",
        stack_check=trail_bucket,
    ),
)
