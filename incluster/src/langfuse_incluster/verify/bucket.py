"""The round trip's event objects in the events bucket, each encrypted with SSE-KMS under the stack's data key
(boto3: ListObjectsV2 and HeadObject, which needs s3:GetObject but no kms:Decrypt; KMS DescribeKey to resolve
the key's alias to the ARN S3 reports).

Where Langfuse v4.16.0's web writes them (relative to LANGFUSE_S3_EVENT_UPLOAD_PREFIX):
- a score sent to POST /api/public/ingestion: `<projectId>/score/<scoreId>/<eventId>.json`
  (packages/shared/src/server/ingestion/processEventBatch.ts with eventBucketPath.ts `buildEventBucketPrefix`;
  `safeBlobKeySegment` leaves a 32-hex score id as it is). The score id is ours, so this key is exact.
- a span batch sent to POST /api/public/otel/v1/traces: `otel/<projectId>/<yyyy>/<mm>/<dd>/<hh>/<mm>/<uuid>.json`
  (packages/shared/src/server/otel/OtelIngestionProcessor.ts `publishToOtelIngestionQueue`, the web pod's clock,
  UTC in Langfuse's images). The name carries no trace id and reading the body would need kms:Decrypt, so the
  check takes the batches written in the minutes of our export, in the verification project.
boto3 is imported here only: the in-cluster monitor, which has no AWS role, never runs this check.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from langfuse_incluster.verify.errors import StepFailed

# The runner's and the web pod's clocks, and S3's LastModified (set when the upload completes), differ a little.
CLOCK_SLACK = timedelta(seconds=60)


@dataclass(frozen=True)
class EventBucket:
    name: str
    prefix: str  # LANGFUSE_S3_EVENT_UPLOAD_PREFIX, e.g. "events/"
    kms_key_alias: str  # alias/<resourcePrefix>-data
    region: str


@dataclass(frozen=True)
class EventObjects:
    keys: tuple[str, ...]
    detail: str


def check_event_objects(bucket: EventBucket, project_id: str, score_id: str, exported_from: datetime, exported_until: datetime) -> EventObjects:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    s3, kms = boto3.client("s3", region_name=bucket.region), boto3.client("kms", region_name=bucket.region)
    try:
        key_arn = kms.describe_key(KeyId=bucket.kms_key_alias)["KeyMetadata"]["Arn"]
        score_prefix = f"{bucket.prefix}{project_id}/score/{score_id}/"
        score_keys = [o["Key"] for o in _list(s3, bucket.name, score_prefix)]
        if not score_keys:
            raise StepFailed(f"no event object of the score under s3://{bucket.name}/{score_prefix}: Langfuse did not write the score's event")
        earliest, latest = exported_from - CLOCK_SLACK, exported_until + CLOCK_SLACK
        batch_keys = [
            o["Key"]
            for minute in _minutes(earliest, latest)
            for o in _list(s3, bucket.name, f"{bucket.prefix}otel/{project_id}/{minute:%Y/%m/%d/%H/%M}/")
            if earliest <= o["LastModified"] <= latest
        ]
        if not batch_keys:
            raise StepFailed(
                f"no span batch under s3://{bucket.name}/{bucket.prefix}otel/{project_id}/ written between "
                f"{earliest:%H:%M:%S} and {latest:%H:%M:%S} UTC: Langfuse did not write the trace's event"
            )
        for key in score_keys + batch_keys:
            head = s3.head_object(Bucket=bucket.name, Key=key)
            encryption, key_id = head.get("ServerSideEncryption"), head.get("SSEKMSKeyId")
            if encryption != "aws:kms" or key_id != key_arn:
                raise StepFailed(
                    f"s3://{bucket.name}/{key} is encrypted with {encryption or 'nothing'}{f' under {key_id}' if key_id else ''}, "
                    f"not SSE-KMS under the stack's key {bucket.kms_key_alias} ({key_arn})"
                )
    except ClientError as error:
        details = error.response.get("Error", {})
        raise StepFailed(f"AWS refused {error.operation_name}: {details.get('Code')} ({details.get('Message')})") from None
    except BotoCoreError as error:
        raise StepFailed(f"AWS could not be asked: {error}") from None
    keys = tuple(score_keys + batch_keys)
    return EventObjects(
        keys,
        f"the score's event and {len(batch_keys)} span batch(es) in s3://{bucket.name}/{bucket.prefix}, SSE-KMS under {bucket.kms_key_alias}",
    )


def _list(s3, bucket: str, prefix: str) -> Iterator[dict]:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        yield from page.get("Contents", [])


def _minutes(earliest: datetime, latest: datetime) -> Iterator[datetime]:
    minute = earliest.replace(second=0, microsecond=0)
    while minute <= latest:
        yield minute
        minute += timedelta(minutes=1)
