"""A stand-in for Langfuse v4.16's project and API-key endpoints, served over HTTP on loopback. It is ours
(no Langfuse server runs here), so it checks itself against Langfuse's published contract: openapi-core
validates every request against Langfuse's OpenAPI spec (langfuse_openapi/, copied from Langfuse v4.16.0) and
answers 400 for one the spec refuses; every response it sends is validated too, and any violation is
recorded for the tests to fail on.

Behaviour mirrors the v4.16.0 handlers (messages verbatim): web/src/pages/api/public/projects/index.ts,
[projectId]/index.ts, [projectId]/apiKeys/index.ts and [apiKeyId].ts, organizations/projects/index.ts, and
ee/features/admin-api/server/projects/... (name 3-60, retention 0 or >= 3, 409 on duplicates, preset key
prefixes, the admin-api and data-retention entitlements).

Where the server and its spec disagree, the stand-in answers as the server does and the spec is amended in
`_amend` (each amendment cites the server code); the amended spec is still what validates.
"""

from __future__ import annotations

import base64
import copy
import functools
import itertools
import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import yaml
from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

SPEC_FILE = Path(__file__).parent / "langfuse_openapi" / "public-api-v4.16.0.yml"
ENTITLEMENTS = {  # web/src/features/entitlements/constants/entitlements.ts (self-hosted plans)
    "self-hosted:enterprise": {"admin-api", "data-retention"},
    "self-hosted:pro": set(),
    "oss": set(),
}
ORG_KEY_REQUIRED = "Invalid API key. Organization-scoped API key required for this operation."
NOT_ON_PLAN = "This feature is not available on your current plan."


@functools.cache
def langfuse_openapi(amendments: tuple[Callable[[dict], None], ...] = ()) -> OpenAPI:
    spec = _amend(yaml.load(SPEC_FILE.read_text(), Loader=yaml.CSafeLoader))
    for amend in amendments:
        amend(spec)
    return OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None))  # the spec itself uses `const` (OpenAPI 3.1)


def _amend(spec: dict) -> dict:
    spec = copy.deepcopy(spec)
    paths, schemas = spec["paths"], spec["components"]["schemas"]
    any_json = {"description": "", "content": {"application/json": {"schema": {}}}}
    # createProject.ts and projectById/index.ts answer {id, name, metadata, retentionDays?}: no organization,
    # and POST answers 201 (the spec says 200 with Project, whose `organization` is required).
    schemas["ProjectWithoutOrganization"] = {**copy.deepcopy(schemas["Project"]), "required": ["id", "name", "metadata"]}
    without_org = {"description": "", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ProjectWithoutOrganization"}}}}
    paths["/api/public/projects"]["post"]["responses"]["201"] = without_org
    paths["/api/public/projects/{projectId}"]["put"]["responses"]["200"] = without_org
    # apiKeys/index.ts: `res.status(201).json(apiKeyMeta)` (the spec says 200).
    api_keys = paths["/api/public/projects/{projectId}/apiKeys"]["post"]["responses"]
    api_keys["201"] = api_keys["200"]
    # 409 on a duplicate project name (createProject.ts) or preset key (apiKeys/index.ts); 429 from a rate
    # limiter in front; 500 on a server error. None is in the spec.
    for path, method in (("/api/public/projects", "post"), ("/api/public/projects/{projectId}/apiKeys", "post")):
        paths[path][method]["responses"]["409"] = any_json
    for operations in paths.values():
        for operation in operations.values():
            if isinstance(operation, dict) and "responses" in operation:
                operation["responses"].setdefault("429", any_json)
                operation["responses"].setdefault("500", any_json)
    return spec


@dataclass
class Project:
    id: str
    name: str
    metadata: dict
    retention_days: int | None
    created_at: datetime
    deleted: bool = False


@dataclass
class ApiKey:
    id: str
    project_id: str
    public_key: str
    secret_key: str
    note: str | None
    created_at: datetime


@dataclass
class Call:
    method: str
    path: str
    status: int


class StandInExtension:
    """What an extension of the stand-in may provide; every hook defaults to doing nothing."""

    @staticmethod
    def amend_spec(spec: dict) -> None:
        """Amend Langfuse's OpenAPI spec where v4.16 answers otherwise (cite the server code)."""

    def prepare(self, request: Request) -> Request:
        return request

    def route(self, standin: StandInLangfuse, request: Request) -> Response | None:
        return None

    def handle(self, standin: StandInLangfuse, request: Request, scope, parts: list[str]) -> Response | None:
        return None


@dataclass
class StandInLangfuse:
    plan: str = "self-hosted:enterprise"
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    rate_limit: tuple[int, float] | None = None  # (requests, seconds): beyond that, 429 with Retry-After
    org_id: str = "org-platform"
    org_key: tuple[str, str] = ("pk-lf-org", "sk-lf-org")
    # Endpoints kept in modules of their own (standin_ingestion.Ingestion, standin_usage.UsageEndpoints), each a
    # StandInExtension: its spec amendments, a request hook before validation, and routes before the built-in ones
    # (`route`) or after the stand-in has authenticated the caller (`handle`).
    extensions: tuple = ()

    def __post_init__(self) -> None:
        self.openapi = langfuse_openapi(tuple(type(e).amend_spec for e in self.extensions))
        self.projects: dict[str, Project] = {}
        self.keys: dict[str, ApiKey] = {}
        self.calls: list[Call] = []
        self.violations: list[str] = []
        self.injected: deque[int] = deque()
        self._recent: deque[float] = deque()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server = None

    # --- test controls -----------------------------------------------------------------------------------

    def add_project(self, name: str, retention_days: int | None = None, metadata: dict | None = None) -> Project:
        project = Project(self._id("proj"), name, metadata or {}, retention_days, self.clock())
        self.projects[project.id] = project
        return project

    def add_key(self, project_id: str, note: str | None = "Provisioned API Key") -> ApiKey:
        key = ApiKey(self._id("key"), project_id, f"pk-lf-{uuid.uuid4()}", f"sk-lf-{uuid.uuid4()}", note, self.clock())
        self.keys[key.id] = key
        return key

    def fail_next(self, *statuses: int) -> None:
        self.injected.extend(statuses)

    def authenticates(self, public_key: str | None, secret_key: str | None) -> bool:
        """Would Langfuse accept this pair for ingestion (a live project key)?"""
        return any(
            k.public_key == public_key and k.secret_key == secret_key and not self.projects[k.project_id].deleted for k in self.keys.values()
        )

    def keys_of(self, project_id: str) -> list[ApiKey]:
        return [k for k in self.keys.values() if k.project_id == project_id]

    def writes(self) -> list[Call]:
        return [c for c in self.calls if c.method != "GET"]

    # --- serving -------------------------------------------------------------------------------------------

    def start(self) -> str:
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        with self._lock:
            response = self._handle(request)
            self.calls.append(Call(request.method, request.path, response.status_code))
            result = self.openapi.unmarshal_response(WerkzeugOpenAPIRequest(request), WerkzeugOpenAPIResponse(response))
            if result.errors:
                self.violations.append(f"response {request.method} {request.path} {response.status_code}: {result.errors}")
        return response(environ, start_response)

    def _handle(self, request: Request) -> Response:
        for extension in self.extensions:
            request = extension.prepare(request)
        checked = self.openapi.unmarshal_request(WerkzeugOpenAPIRequest(request))
        if checked.errors:
            self.violations.append(f"request {request.method} {request.path}: {checked.errors}")
            return _json(400, {"message": f"request does not match Langfuse's OpenAPI spec: {checked.errors[0]}"})
        if self.injected:
            status = self.injected.popleft()
            return _json(status, {"message": "injected"}, {"Retry-After": "0"} if status == 429 else None)
        if self.rate_limit is not None:
            limit, window = self.rate_limit
            now = time.monotonic()
            while self._recent and self._recent[0] < now - window:
                self._recent.popleft()
            if len(self._recent) >= limit:
                return _json(429, {"message": "Rate limit exceeded"}, {"Retry-After": "1"})
            self._recent.append(now)
        for extension in self.extensions:
            answer = extension.route(self, request)
            if answer is not None:
                return answer
        scope = self._scope(request.headers.get("Authorization", ""))
        if scope is None:
            return _json(401, {"message": "Invalid credentials"})
        body = request.get_json(silent=True) or {}
        parts = request.path.strip("/").split("/")[2:]  # after api/public
        match (request.method, parts):
            case ("GET", ["projects"]):
                return self._own_project(scope)
            case ("GET", ["organizations", "projects"]):
                return self._org_only(scope) or self._list_projects()
            case ("POST", ["projects"]):
                return self._org_only(scope) or self._create_project(body)
            case ("PUT", ["projects", project_id]):
                return self._org_only(scope) or self._live(project_id) or self._update_project(project_id, body)
            case ("DELETE", ["projects", project_id]):
                return self._org_only(scope) or self._live(project_id) or self._delete_project(project_id)
            case ("GET", ["projects", project_id, "apiKeys"]):
                return self._org_only(scope) or self._exists(project_id) or self._list_keys(project_id)
            case ("POST", ["projects", project_id, "apiKeys"]):
                return self._org_only(scope) or self._exists(project_id) or self._create_key(project_id, body)
            case ("DELETE", ["projects", project_id, "apiKeys", key_id]):
                return self._org_only(scope) or self._exists(project_id) or self._delete_key(project_id, key_id)
        for extension in self.extensions:
            response = extension.handle(self, request, scope, parts)
            if response is not None:
                return response
        return _json(405, {"message": "Method not allowed"})

    # --- the handlers ------------------------------------------------------------------------------------

    def _scope(self, header: str):
        if not header.startswith("Basic "):
            return None
        public, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        if (public, secret) == self.org_key:
            return ("organization", None)
        key = next((k for k in self.keys.values() if k.public_key == public and k.secret_key == secret), None)
        return ("project", key.project_id) if key is not None else None

    def _org_only(self, scope) -> Response | None:
        if scope[0] != "organization":
            return _json(403, {"message": ORG_KEY_REQUIRED})
        if "admin-api" not in ENTITLEMENTS[self.plan]:
            return _json(403, {"error": NOT_ON_PLAN})
        return None

    def _exists(self, project_id: str) -> Response | None:
        # The apiKeys routes look the project up by id and organisation only (not deletedAt).
        if project_id not in self.projects:
            return _json(404, {"message": "Project not found or you don't have access to it"})
        return None

    def _live(self, project_id: str) -> Response | None:
        project = self.projects.get(project_id)
        if project is None or project.deleted:
            return _json(404, {"message": "Project not found or you don't have access to it"})
        return None

    def _own_project(self, scope) -> Response:
        if scope[0] != "project":
            return _json(403, {"message": "Invalid API key. Are you using an organization key?"})
        project = self.projects[scope[1]]
        return _json(200, {"data": [{**self._project_json(project), "organization": {"id": self.org_id, "name": "Platform"}}]})

    def _list_projects(self) -> Response:
        projects = [
            {"id": p.id, "name": p.name, "metadata": p.metadata, "createdAt": _iso(p.created_at), "updatedAt": _iso(p.created_at)}
            for p in self.projects.values()
            if not p.deleted
        ]
        return _json(200, {"projects": projects})

    def _check_name_and_retention(self, body: dict) -> Response | None:
        name = body.get("name")
        if not isinstance(name, str) or not 3 <= len(name) <= 60 or "<" in name or ">" in name:
            return _json(400, {"message": "Invalid project name. Should be between 3 and 60 characters."})
        retention = body.get("retention")
        if retention is not None:
            if not isinstance(retention, int) or not (retention == 0 or retention >= 3):
                return _json(400, {"message": "Invalid retention value. Must be 0 or at least 3 days."})
            if retention > 0 and "data-retention" not in ENTITLEMENTS[self.plan]:
                return _json(403, {"message": "The data-retention entitlement is required to set a non-zero retention period."})
        return None

    def _create_project(self, body: dict) -> Response:
        refused = self._check_name_and_retention(body)
        if refused is not None:
            return refused
        if any(p.name == body["name"] and not p.deleted for p in self.projects.values()):
            return _json(409, {"message": "A project with this name already exists in your organization"})
        project = self.add_project(body["name"], body.get("retention"), body.get("metadata") or {})
        return _json(201, self._project_json(project))

    def _update_project(self, project_id: str, body: dict) -> Response:
        refused = self._check_name_and_retention(body)
        if refused is not None:
            return refused
        project = self.projects[project_id]
        project.name = body["name"]
        if body.get("retention") is not None:
            project.retention_days = body["retention"]
        return _json(200, self._project_json(project))

    def _delete_project(self, project_id: str) -> Response:
        self.projects[project_id].deleted = True
        for key in self.keys_of(project_id):
            del self.keys[key.id]
        return _json(202, {"success": True, "message": "Project deletion has been initiated and is being processed asynchronously"})

    def _list_keys(self, project_id: str) -> Response:
        keys = [
            {
                "id": k.id, "createdAt": _iso(k.created_at), "expiresAt": None, "lastUsedAt": None, "note": k.note,
                "publicKey": k.public_key, "displaySecretKey": _display(k.secret_key),
            }
            for k in sorted(self.keys_of(project_id), key=lambda k: k.created_at)
        ]
        return _json(200, {"apiKeys": keys})

    def _create_key(self, project_id: str, body: dict) -> Response:
        public, secret = body.get("publicKey"), body.get("secretKey")
        if public or secret:
            if not public or not secret:
                return _json(400, {"message": "Both publicKey and secretKey must be provided together when specifying predefined keys"})
            if not public.startswith("pk-lf-"):
                return _json(400, {"message": "publicKey must start with 'pk-lf-'"})
            if not secret.startswith("sk-lf-"):
                return _json(400, {"message": "secretKey must start with 'sk-lf-'"})
            if any(k.public_key == public or k.secret_key == secret for k in self.keys.values()):
                return _json(409, {"message": "API key with the provided publicKey or secretKey already exists"})
        else:
            public, secret = f"pk-lf-{uuid.uuid4()}", f"sk-lf-{uuid.uuid4()}"
        key = ApiKey(self._id("key"), project_id, public, secret, body.get("note"), self.clock())
        self.keys[key.id] = key
        return _json(
            201,
            {"id": key.id, "createdAt": _iso(key.created_at), "note": key.note, "publicKey": public, "secretKey": secret, "displaySecretKey": _display(secret)},
        )

    def _delete_key(self, project_id: str, key_id: str) -> Response:
        key = self.keys.get(key_id)
        if key is None or key.project_id != project_id:
            return _json(404, {"message": "API key not found"})
        del self.keys[key_id]
        return _json(200, {"success": True})

    def _project_json(self, project: Project) -> dict:
        out = {"id": project.id, "name": project.name, "metadata": project.metadata}
        if project.retention_days:  # "Do not add if null or 0"
            out["retentionDays"] = project.retention_days
        return out

    def _id(self, prefix: str) -> str:
        return f"{prefix}-{next(self._ids):05d}"


def _json(status: int, body: dict, headers: dict | None = None) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json", headers=headers)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _display(secret: str) -> str:
    return secret[:6] + "..." + secret[-4:]
