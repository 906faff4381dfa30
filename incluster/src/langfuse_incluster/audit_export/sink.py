"""The audit bucket: one PutObject per window, only if the key is new (If-None-Match: *), SSE-KMS under the
audit key named explicitly (the bucket policy refuses any other)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError


class S3Sink:
    def __init__(self, client: Any, bucket: str, kms_key_id: str) -> None:
        self.client, self.bucket, self.kms_key_id = client, bucket, kms_key_id

    def create(self, key: str, body: bytes) -> bool:
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body,
                IfNoneMatch="*",
                ContentType="application/x-ndjson",
                ContentEncoding="gzip",
                ServerSideEncryption="aws:kms",
                SSEKMSKeyId=self.kms_key_id,
            )
        except ClientError as error:
            # S3 answers 412 Precondition Failed when the key exists (S3 User Guide, "Conditional writes").
            if error.response.get("Error", {}).get("Code") in ("PreconditionFailed", "412"):
                return False
            raise
        return True
