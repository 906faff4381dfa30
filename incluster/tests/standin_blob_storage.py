"""The stand-in Langfuse's blob-storage integration endpoints (scheduled exports), registered by
standin_langfuse.StandInLangfuse: GET/PUT /api/public/integrations/blob-storage and GET/DELETE .../{id}.

Ours, like the rest of the stand-in: openapi-core checks every request and response against Langfuse's spec
before and after these handlers run. Behaviour mirrors Langfuse v4.16.0 (messages verbatim):
web/src/pages/api/public/integrations/blob-storage/index.ts and [id].ts (organisation key, the
`scheduled-blob-exports` entitlement every self-hosted plan has, 404 "Project not found" for a project of
another organisation, the project id as the integration's id), web/src/features/public-api/types/
blob-storage-integrations.ts (the zod schema: strict, prefix empty or ending in "/", exportStartDate with
FROM_CUSTOM_DATE, compressed defaulting to true), web/src/features/blobstorage-integration/service.ts (host
credentials only for self-hosted S3; FULL_HISTORY keeps no start date; a changed exportMode resets
lastSyncAt), withMiddlewares.ts (errors as {message, error}), and the default write mode events_only, in which
a legacy source is refused (web/src/features/analytics-integrations/server/exportSource.ts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

REQUEST_KEYS = {
    "projectId", "type", "bucketName", "endpoint", "region", "accessKeyId", "secretAccessKey", "prefix", "exportFrequency", "enabled",
    "forcePathStyle", "fileType", "exportMode", "exportStartDate", "compressed", "exportSource", "exportFieldGroups",
}
ORG_KEY_REQUIRED = "Organization-scoped API key required for this operation."


@dataclass
class Integration:
    body: dict
    created_at: datetime
    updated_at: datetime
    last_sync_at: datetime | None = None
    history: list[dict] = field(default_factory=list)  # every accepted PUT body, in order


def integrations(standin) -> dict[str, Integration]:
    """The stand-in's integrations, by project id."""
    return standin.__dict__.setdefault("blob_storage_integrations", {})


def handle(standin, method: str, rest: list[str], scope, body: dict, json):
    """Answer a request under /api/public/integrations/blob-storage (rest: the path after it), or None."""
    if scope[0] != "organization":
        return json(403, {"message": ORG_KEY_REQUIRED, "error": "ForbiddenError"})
    match (method, rest):
        case ("GET", []):
            return json(200, {"data": [_response(p, i) for p, i in integrations(standin).items() if _in_org(standin, p)]})
        case ("PUT", []):
            return _upsert(standin, body, json)
        case ("GET", [project_id]):
            found = integrations(standin).get(project_id)
            if found is None or not _in_org(standin, project_id):
                return json(404, {"message": "Blob storage integration not found", "error": "LangfuseNotFoundError"})
            b = found.body
            return json(200, {
                "id": project_id, "projectId": project_id, "syncStatus": "idle" if b["enabled"] else "disabled", "enabled": b["enabled"],
                "lastSyncAt": _iso(found.last_sync_at), "nextSyncAt": None, "lastError": None, "lastErrorAt": None,
            })
        case ("DELETE", [project_id]):
            if project_id not in integrations(standin) or not _in_org(standin, project_id):
                return json(404, {"message": "Blob storage integration not found", "error": "LangfuseNotFoundError"})
            del integrations(standin)[project_id]
            return json(200, {"message": "Blob storage integration successfully deleted"})
    return None


def _in_org(standin, project_id: str) -> bool:
    project = standin.projects.get(project_id)
    return project is not None and not project.deleted


def _upsert(standin, body: dict, json):
    issues = [f"Unrecognized key: {k}" for k in sorted(set(body) - REQUEST_KEYS)]  # z.object(...).strict()
    prefix = body.get("prefix") or ""
    if prefix and not prefix.endswith("/"):
        issues.append("Prefix must be empty or end with a forward slash")
    if body.get("exportMode") == "FROM_CUSTOM_DATE" and not body.get("exportStartDate"):
        issues.append("exportStartDate is required when exportMode is FROM_CUSTOM_DATE")
    if issues:
        return json(400, {"message": "Invalid request data", "error": [{"message": m} for m in issues]})
    project_id = body["projectId"]
    if not _in_org(standin, project_id):
        return json(404, {"message": "Project not found", "error": "LangfuseNotFoundError"})
    if body.get("exportSource") in ("LEGACY_TRACES_OBSERVATIONS", "LEGACY_TRACES_AND_ENRICHED_OBSERVATIONS"):
        # events_only (the v4 default write mode) no longer writes the legacy tables.
        return json(400, {"message": "The selected export source is not available on this deployment", "error": "InvalidRequestError"})
    if body.get("type") != "S3" and not body.get("accessKeyId"):
        return json(400, {"message": "Access Key ID and Secret Access Key are required", "error": "InvalidRequestError"})
    now = standin.clock()
    existing = integrations(standin).get(project_id)
    stored = {
        "projectId": project_id, "type": body["type"], "bucketName": body["bucketName"], "endpoint": body.get("endpoint") or None,
        "region": body["region"], "accessKeyId": body.get("accessKeyId") or None, "prefix": prefix,
        "exportFrequency": body["exportFrequency"], "enabled": body["enabled"], "forcePathStyle": body["forcePathStyle"],
        "fileType": body.get("fileType") or "PARQUET", "exportMode": body["exportMode"],
        "exportStartDate": body.get("exportStartDate") if body["exportMode"] == "FROM_CUSTOM_DATE" else None,
        "compressed": body.get("compressed", True),
        # Omitted on update: kept; on create (self-hosted, events_only): OBSERVATIONS_V2.
        "exportSource": body.get("exportSource") or (existing.body["exportSource"] if existing else "OBSERVATIONS_V2"),
        "exportFieldGroups": body.get("exportFieldGroups"),
    }
    if existing is None:
        existing = integrations(standin)[project_id] = Integration(stored, now, now)
    else:
        if existing.body["exportMode"] != stored["exportMode"]:
            existing.last_sync_at = None
        existing.body, existing.updated_at = stored, now
    existing.history.append(dict(body))
    return json(200, _response(project_id, existing))


def _response(project_id: str, integration: Integration) -> dict:
    return {
        "id": project_id, **integration.body, "nextSyncAt": None, "lastSyncAt": _iso(integration.last_sync_at), "lastError": None,
        "lastErrorAt": None, "createdAt": _iso(integration.created_at), "updatedAt": _iso(integration.updated_at),
    }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")
