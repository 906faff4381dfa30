"""Langfuse's scheduled blob export of one project into the exports bucket, as this project configures it:
what to PUT to /api/public/integrations/blob-storage, and whether an existing integration already says it.

Facts from Langfuse v4.16.0 (langfuse/langfuse, tag v4.16.0):
- PUT/GET/DELETE /api/public/integrations/blob-storage[/{id}] take an organisation-scoped key and the
  `scheduled-blob-exports` entitlement, which every self-hosted plan has (web/src/pages/api/public/integrations/
  blob-storage/index.ts; web/src/features/entitlements/constants/entitlements.ts, selfHostedAllPlansEntitlements).
  The integration's id is its project's id.
- Without accessKeyId/secretAccessKey a self-hosted S3 integration uses the host's credentials
  (web/src/features/blobstorage-integration/service.ts, canUseHostCredentials): the worker's default AWS
  credential chain, here its web identity (packages/shared/src/server/services/StorageService.ts). It sends no
  SSE header (worker handleBlobStorageIntegrationProjectJob.ts: "KMS SSE is not supported"), so the bucket's
  default encryption applies.
- The worker writes `{prefix}{projectId}/{table}/{maxTimestamp}.{ext}` and, last, the manifest
  `{prefix}{projectId}/manifests/{maxTimestamp}.json` (worker src/features/blobstorage/manifest.ts). With source
  OBSERVATIONS_V2 the tables are `observations_v2` and `scores`; PARQUET files end in `.parquet` (no gzip).
- In the default events_only write mode the source must be OBSERVATIONS_V2 (worker src/features/
  exportWriteModeGuard.ts); it is set explicitly, never left to the deployment's default.
- FULL_HISTORY starts from the project's oldest row and catches up one window at a time; changing exportMode
  later resets lastSyncAt (service.ts), so it is never changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from langfuse_incluster import contract

FILE_TYPE = "PARQUET"
SOURCE = "OBSERVATIONS_V2"
MODE = "FULL_HISTORY"


@dataclass(frozen=True)
class ExportTarget:
    bucket: str
    region: str
    prefix: str  # ends with "/"
    frequency: str

    def request(self, project_id: str) -> dict:
        """The PUT body (CreateBlobStorageIntegrationRequest): no keys, so the worker's own role writes."""
        return {
            "projectId": project_id,
            "type": "S3",
            "bucketName": self.bucket,
            "region": self.region,
            "prefix": self.prefix,
            "exportFrequency": self.frequency,
            "enabled": True,
            "forcePathStyle": False,
            "fileType": FILE_TYPE,
            "exportMode": MODE,
            "exportSource": SOURCE,
        }

    def matches(self, integration: Mapping) -> bool:
        """Does an integration (BlobStorageIntegrationResponse) already export as this target asks?"""
        wanted = self.request(str(integration.get("projectId")))
        same = all(integration.get(k) == v for k, v in wanted.items() if k != "projectId")
        return same and not integration.get("accessKeyId") and not integration.get("endpoint")

    def describe(self) -> str:
        return f"{FILE_TYPE} {self.frequency} into s3://{self.bucket}/{self.prefix}<projectId>/"

    def digest(self) -> str:
        """What status.langfuse records once Langfuse has accepted this target (the controller PUTs on a change)."""
        return f"s3://{self.bucket}/{self.prefix} {self.region} {self.frequency} {FILE_TYPE} {SOURCE} {MODE}"


def target_from_environment(env: Mapping[str, str]) -> ExportTarget | None:
    """The export target the Deployment or Job sets; None when exports are off (no bucket)."""
    bucket = env.get(contract.ENV_EXPORT_BUCKET, "")
    if not bucket:
        return None
    values = {name: env.get(name, "") for name in (contract.ENV_EXPORT_REGION, contract.ENV_EXPORT_PREFIX, contract.ENV_EXPORT_FREQUENCY)}
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise SystemExit(f"langfuse-incluster: {', '.join(missing)} required with {contract.ENV_EXPORT_BUCKET}")
    frequency, prefix = values[contract.ENV_EXPORT_FREQUENCY], values[contract.ENV_EXPORT_PREFIX]
    if frequency not in contract.EXPORT_FREQUENCIES:
        raise SystemExit(f"langfuse-incluster: {contract.ENV_EXPORT_FREQUENCY}={frequency!r}; allowed: {', '.join(contract.EXPORT_FREQUENCIES)}")
    if not prefix.endswith("/"):
        # Langfuse refuses it: "Prefix must be empty or end with a forward slash" (blob-storage-integrations.ts).
        raise SystemExit(f"langfuse-incluster: {contract.ENV_EXPORT_PREFIX}={prefix!r} must end with '/'")
    return ExportTarget(bucket, values[contract.ENV_EXPORT_REGION], prefix, frequency)
