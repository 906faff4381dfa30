"""The one Langfuse client: the Python SDK's `langfuse.api` (Fern-generated from Langfuse's OpenAPI spec),
with an organisation-scoped key (per-project mode) or the shared project's key (shared mode).

Endpoints (Langfuse v4.16.0, web/src/pages/api/public/...; all but the last need an organisation key and the
admin-api entitlement, else 403):
- GET /api/public/organizations/projects            the organisation's projects (with metadata)
- POST /api/public/projects {name, retention, metadata}   201; 409 on a duplicate name
- PUT /api/public/projects/{id} {name, retention}
- DELETE /api/public/projects/{id}                  202, deleted asynchronously
- GET/POST /api/public/projects/{id}/apiKeys, DELETE .../apiKeys/{keyId}
- GET /api/public/projects (a project-scoped key: its own project; every edition)

Two calls bypass the SDK's response model, not its transport: v4.16 answers POST and PUT /projects with
{id, name, metadata, retentionDays?} (ee/features/admin-api/server/projects/createProject.ts, projectById/index.ts),
while the SDK's `Project` model (langfuse 4.18.0, api/projects/types/project.py) requires `organization`, so
`projects.create`/`update` raise a pydantic error on a successful answer. They go through the SDK's own
httpx client (same base URL, auth, headers and retries) and are parsed here.
"""

from __future__ import annotations

import httpx
from langfuse.api import LangfuseAPI
from langfuse.api.core.api_error import ApiError

from langfuse_incluster.controller.reconcile import KeyView, LangfuseError, ProjectView, SharedProject


class LangfuseClient:
    def __init__(self, base_url: str, public_key: str, secret_key: str, timeout: float = 30, max_retries: int = 2) -> None:
        self._api = LangfuseAPI(base_url=base_url.rstrip("/"), username=public_key, password=secret_key, timeout=timeout)
        self._public_key, self._secret_key = public_key, secret_key
        self._options = {"max_retries": max_retries}
        self._shared: SharedProject | None = None

    def list_projects(self) -> tuple[ProjectView, ...]:
        answer = self._call(self._api.organizations.get_organization_projects, request_options=self._options)
        return tuple(ProjectView(p.id, p.name, dict(p.metadata or {})) for p in answer.projects)

    def create_project(self, name: str, retention: int, metadata: dict) -> ProjectView:
        body = self._unparsed("POST", "api/public/projects", {"name": name, "retention": retention, "metadata": metadata})
        return ProjectView(body["id"], body["name"], dict(body.get("metadata") or {}))

    def set_retention(self, project_id: str, name: str, retention: int) -> None:
        self._unparsed("PUT", f"api/public/projects/{project_id}", {"name": name, "retention": retention})

    def delete_project(self, project_id: str) -> None:
        self._call(self._api.projects.delete, project_id, request_options=self._options)

    def list_keys(self, project_id: str) -> tuple[KeyView, ...]:
        answer = self._call(self._api.projects.get_api_keys, project_id, request_options=self._options)
        return tuple(KeyView(k.id, k.public_key, k.note) for k in answer.api_keys)

    def create_key(self, project_id: str, public_key: str, secret_key: str, note: str) -> str:
        answer = self._call(
            self._api.projects.create_api_key, project_id, note=note, public_key=public_key, secret_key=secret_key, request_options=self._options
        )
        return answer.id

    def delete_key(self, project_id: str, key_id: str) -> None:
        self._call(self._api.projects.delete_api_key, project_id, key_id, request_options=self._options)

    def shared_project(self) -> SharedProject:
        """Shared mode: the key is the LANGFUSE_INIT_* project's own; it reads its project (every edition). Read once."""
        if self._shared is None:
            answer = self._call(self._api.projects.get, request_options=self._options)
            if len(answer.data) != 1:
                raise LangfuseError(403, "the shared key is not a project-scoped key (GET /api/public/projects gave no single project)")
            project = answer.data[0]
            self._shared = SharedProject(project.id, project.name, project.retention_days, self._public_key, self._secret_key)
        return self._shared

    def _call(self, method, *args, **kwargs):
        try:
            return method(*args, **kwargs)
        except ApiError as error:
            raise error_from_answer(error.status_code or 0, error.body, error.headers or {}) from error
        except httpx.HTTPError as error:
            raise LangfuseError(0, f"no answer: {error}") from error

    def _unparsed(self, method: str, path: str, body: dict) -> dict:
        try:
            response = self._api._client_wrapper.httpx_client.request(path, method=method, json=body, request_options=self._options)
        except httpx.HTTPError as error:
            raise LangfuseError(0, f"no answer: {error}") from error
        try:
            parsed = response.json()
        except ValueError:
            parsed = response.text
        if not 200 <= response.status_code < 300:
            raise error_from_answer(response.status_code, parsed, dict(response.headers))
        return parsed


def error_from_answer(status: int, body, headers: dict) -> LangfuseError:
    message = body.get("message") or body.get("error") if isinstance(body, dict) else str(body)
    retry_after = None
    value = {k.lower(): v for k, v in headers.items()}.get("retry-after")
    if value is not None and str(value).strip().isdigit():
        retry_after = float(value)
    return LangfuseError(status, str(message or body), retry_after)
