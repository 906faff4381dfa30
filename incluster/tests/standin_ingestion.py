"""The stand-in's ingestion and read paths (ours, like the rest of standin_langfuse.py: no Langfuse server runs
here), registered into StandInLangfuse as an extension. What it mirrors, from Langfuse v4.16.0:

- GET /api/public/health and /ready (web/src/pages/api/public/health.ts, ready.ts): 200 {status, version};
  health 503 when unhealthy, ready 500 once SIGTERM is received.
- POST /api/public/otel/v1/traces (web/src/pages/api/public/otel/v1/traces/index.ts): a project key; binary
  protobuf (what the SDK's OTLP exporter sends) or JSON, gzip; ids required; the batch uploaded to the events
  bucket at `<prefix>otel/<projectId>/<yyyy/mm/dd/hh/mm>/<uuid>.json` with the SSE headers Langfuse is given
  (OtelIngestionProcessor.ts), then queued: the "worker" makes the observations readable `delay` seconds later,
  or never when `stuck`.
- POST /api/public/ingestion (ingestion.ts, processEventBatch.ts): 207 {successes, errors}; in events_only mode
  only score-create and sdk-log pass; each score's events uploaded to `<prefix><projectId>/score/<id>/<eventId>.json`.
- GET /api/public/v2/observations, /api/public/v3/scores, and /api/public/v2/metrics for the `scores-numeric`
  view only (other views fall through to whoever registers them): what the worker has made readable.

Validation against the spec: a protobuf body is decoded with OpenTelemetry's own proto classes and checked
in its OTLP/JSON form (ids hex, enums as numbers: the form the spec's application/json schema describes,
which is also what the server turns protobuf into) — so the spec judges exactly what the SDK sent.
"""

from __future__ import annotations

import base64
import gzip
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from standin_langfuse import StandInExtension
from standin_usage import InvalidRequest, query_object
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

OTEL_PATH = "/api/public/otel/v1/traces"
ANY_JSON = {"description": "", "content": {"application/json": {"schema": {}}}}
OK = {"description": "", "content": {"application/json": {"schema": {"type": "object", "required": ["status", "version"],
                                                                     "properties": {"status": {"type": "string"}, "version": {"type": "string"}}}}}}


def amend_spec(spec: dict) -> None:
    paths = spec["paths"]
    # ready.ts is served but not in the spec.
    paths["/api/public/ready"] = {"get": {"operationId": "health_ready", "parameters": [], "responses": {"200": OK, "500": ANY_JSON, "503": ANY_JSON}}}
    # health.ts answers 503 with {status, version}; the spec's 503 has no content.
    paths["/api/public/health"]["get"]["responses"]["503"] = ANY_JSON
    # The OTel route answers 400 {error} (parse and id failures) and 401 {message}; both are in the spec as any JSON.


@dataclass(frozen=True)
class EventBucketWriter:
    """Langfuse's S3 event upload as configured by LANGFUSE_S3_EVENT_UPLOAD_* (boto3 against moto)."""

    client: Any
    bucket: str
    prefix: str
    sse: str | None = "aws:kms"
    kms_key_id: str | None = None

    def put(self, key: str, body: object) -> None:
        extra: dict[str, str] = {}
        if self.sse:
            extra["ServerSideEncryption"] = self.sse
        if self.kms_key_id:
            extra["SSEKMSKeyId"] = self.kms_key_id
        self.client.put_object(Bucket=self.bucket, Key=f"{self.prefix}{key}", Body=json.dumps(body).encode(), ContentType="application/json", **extra)


@dataclass
class Readable:
    ready_at: float
    record: dict
    project_id: str


@dataclass
class Ingestion(StandInExtension):
    version: str = "4.16.0"
    delay: float = 0.0  # seconds from acceptance to readable: the worker and ClickHouse
    stuck: bool = False  # the worker never processes the queue
    healthy: bool = True
    draining: bool = False  # web received SIGTERM
    bucket: EventBucketWriter | None = None
    clock: Callable[[], float] = time.monotonic
    refusals: dict[str, tuple[int, dict]] = field(default_factory=dict)  # path -> the answer every request gets
    observations: list[Readable] = field(default_factory=list)
    scores: list[Readable] = field(default_factory=list)
    uploads: list[str] = field(default_factory=list)

    amend_spec = staticmethod(amend_spec)

    # --- hooks of StandInLangfuse --------------------------------------------------------------------------

    def prepare(self, request: Request) -> Request:
        if request.method != "POST" or request.path != OTEL_PATH or "protobuf" not in (request.content_type or ""):
            return request
        body = request.get_data()
        if "gzip" in request.headers.get("Content-Encoding", ""):
            body = gzip.decompress(body)
        message = ExportTraceServiceRequest()
        try:
            message.ParseFromString(body)
        except Exception:  # the server answers 400 for any parse failure
            request.environ["standin.otlp"] = None
            return request
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in ("content-type", "content-length", "content-encoding")]
        as_json = EnvironBuilder(path=request.path, method="POST", headers=headers, json=otlp_json(message)).get_environ()
        as_json["standin.otlp"] = "protobuf"
        return Request(as_json)

    def route(self, standin, request: Request) -> Response | None:
        path = request.path
        if path in self.refusals:
            status, body = self.refusals[path]
            return _json(status, body)
        if (request.method, path) == ("GET", "/api/public/health"):
            return _json(200 if self.healthy else 503, {"status": "OK" if self.healthy else "Database not available", "version": self.version})
        if (request.method, path) == ("GET", "/api/public/ready"):
            if self.draining:
                return _json(500, {"status": "SIGTERM / SIGINT received, shutting down", "version": self.version})
            return _json(200, {"status": "OK", "version": self.version})
        handlers = {
            ("POST", OTEL_PATH): self._otel,
            ("POST", "/api/public/ingestion"): self._ingestion,
            ("GET", "/api/public/v2/observations"): self._observations,
            ("GET", "/api/public/v3/scores"): self._scores,
            ("GET", "/api/public/v2/metrics"): self._metrics,
        }
        handler = handlers.get((request.method, path))
        if handler is None:
            return None
        scope = standin._scope(request.headers.get("Authorization", ""))
        if scope is None:
            return _json(401, {"message": "Invalid credentials"})
        if scope[0] != "project":  # an organisation key: ingestion.ts, else createAuthedProjectAPIRoute.ts
            if path == "/api/public/ingestion":
                return _json(401, {"error": "UnauthorizedError", "message": "Missing projectId in scope. Are you using an organization key?"})
            return _json(403, {"message": "Access denied - insufficient permissions for this endpoint"})
        return handler(request, scope[1])

    # --- test controls -----------------------------------------------------------------------------------

    def add_score(self, project_id: str, name: str, value: float, timestamp: datetime, data_type: str = "NUMERIC") -> None:
        self.scores.append(Readable(0.0, _score_record(project_id, uuid.uuid4().hex, name, value, data_type, timestamp), project_id))

    def refuse(self, path: str, status: int, body: dict) -> None:
        self.refusals[path] = (status, body)

    # --- the handlers ------------------------------------------------------------------------------------

    def _otel(self, request: Request, project_id: str) -> Response:
        if request.environ.get("standin.otlp", "") is None:
            return _json(400, {"error": "Failed to parse OTel Protobuf Trace"})
        resource_spans = (request.get_json(silent=True) or {}).get("resourceSpans") or []
        if not resource_spans:
            return _json(200, {})
        spans = [(scope, span) for rs in resource_spans for scope in rs.get("scopeSpans") or [] for span in scope.get("spans") or []]
        if any(not span.get("traceId") or not span.get("spanId") for _, span in spans):
            return _json(400, {"error": f"Invalid OTLP trace export: {len(spans)} span(s) cannot be processed"})
        if self.bucket is not None:
            key = f"otel/{project_id}/{datetime.now(UTC):%Y/%m/%d/%H/%M}/{uuid.uuid4()}.json"
            self.bucket.put(key, resource_spans)
            self.uploads.append(key)
        ready_at = self._ready_at()
        for _, span in spans:
            self.observations.append(Readable(ready_at, _observation(project_id, span), project_id))
        return _json(200, {})

    def _ingestion(self, request: Request, project_id: str) -> Response:
        successes, errors = [], []
        for event in (request.get_json(silent=True) or {}).get("batch") or []:
            if event.get("type") not in ("score-create", "sdk-log"):  # LANGFUSE_MIGRATION_V4_WRITE_MODE=events_only
                errors.append({"id": event.get("id", "unknown"), "status": 400, "message": "Event type not accepted",
                               "error": f"Event type \"{event.get('type')}\" is not accepted by /api/public/ingestion when LANGFUSE_MIGRATION_V4_WRITE_MODE is events_only."})
                continue
            if event["type"] == "score-create":
                body = event["body"]
                if self.bucket is not None:
                    key = f"{project_id}/score/{body['id']}/{event['id']}.json"
                    self.bucket.put(key, [event])
                    self.uploads.append(key)
                record = _score_record(
                    project_id, body["id"], body["name"], body["value"], body.get("dataType") or "NUMERIC", _parse(event["timestamp"]), body.get("traceId")
                )
                self.scores.append(Readable(self._ready_at(), record, project_id))
            successes.append({"id": event["id"], "status": 201})
        return _json(207, {"successes": successes, "errors": errors})

    def _observations(self, request: Request, project_id: str) -> Response:
        groups = {"core", *(request.args.get("fields") or "basic").split(",")}
        trace_id = request.args.get("traceId")
        found = [r.record for r in self._readable(self.observations, project_id) if trace_id in (None, r.record["traceId"])]
        return _json(200, {"data": [_fields(o, groups) for o in found], "meta": {}})

    def _scores(self, request: Request, project_id: str) -> Response:
        trace_id = request.args.get("traceId")
        found = [r.record for r in self._readable(self.scores, project_id) if trace_id in (None, r.record["traceId"])]
        return _json(200, {"data": [{k: v for k, v in s.items() if k != "traceId"} for s in found], "meta": {"limit": 50}})

    def _metrics(self, request: Request, project_id: str) -> Response | None:
        # The query object is held to the server's MetricsQueryObjectV2 like the usage endpoints' (standin_usage).
        try:
            query = query_object(request.args.get("query", ""))
        except InvalidRequest as error:
            return _json(400, {"message": str(error)})
        if query["view"] != "scores-numeric":
            return None
        since, until = _parse(query["fromTimestamp"]), _parse(query["toTimestamp"])
        rows = [r.record for r in self._readable(self.scores, project_id) if r.record["dataType"] in ("NUMERIC", "BOOLEAN")]
        rows = [s for s in rows if since <= _parse(s["timestamp"]) < until]
        for f in query.get("filters") or []:
            if (f.get("column"), f.get("operator"), f.get("type")) != ("name", "=", "string"):
                return _json(400, {"message": f"the stand-in filters only on name: {f}"})
            rows = [s for s in rows if s["name"] == f["value"]]
        values = [float(s["value"]) for s in rows]
        out: dict[str, Any] = {}
        for metric in query["metrics"]:
            measure, aggregation = metric["measure"], metric["aggregation"]
            if (measure, aggregation) == ("count", "count"):
                out["count_count"] = str(len(values))  # ClickHouse quotes UInt64 in JSON
            elif (measure, aggregation) == ("value", "avg"):
                out["avg_value"] = sum(values) / len(values) if values else None  # avg of nothing: nan, written as null
            else:
                return _json(400, {"message": f"the stand-in computes avg(value) and count(count) only: {metric}"})
        return _json(200, {"data": [out]})

    def _ready_at(self) -> float:
        return float("inf") if self.stuck else self.clock() + self.delay

    def _readable(self, items: list[Readable], project_id: str) -> list[Readable]:
        now = self.clock()
        return [r for r in items if r.project_id == project_id and r.ready_at <= now]


def otlp_json(message: ExportTraceServiceRequest) -> dict:
    """The OTLP/JSON form of a protobuf export: ids hex, enums as numbers, int values as numbers."""
    document = MessageToDict(message, use_integers_for_enums=True)
    for resource_spans in document.get("resourceSpans", []):
        _int_values(resource_spans.get("resource", {}).get("attributes", []))
        for scope_spans in resource_spans.get("scopeSpans", []):
            _int_values(scope_spans.get("scope", {}).get("attributes", []))
            for span in scope_spans.get("spans", []):
                for key in ("traceId", "spanId", "parentSpanId"):
                    if key in span:
                        span[key] = base64.b64decode(span[key]).hex()
                _int_values(span.get("attributes", []))
    return document


def _int_values(attributes: list[dict]) -> None:
    for attribute in attributes:
        value = attribute.get("value", {})
        if "intValue" in value:
            value["intValue"] = int(value["intValue"])


def _attributes(span: dict) -> dict[str, Any]:
    found = {}
    for a in span.get("attributes", []):
        value = a.get("value", {})
        found[a["key"]] = next(iter(value.values()), None)
    return found


def _observation(project_id: str, span: dict) -> dict:
    """What the worker makes of a span (packages/shared/src/server/otel/OtelIngestionProcessor.ts), for the
    fields the v2 observations endpoint returns."""
    attributes = _attributes(span)
    usage = json.loads(attributes.get("langfuse.observation.usage_details") or "null")
    cost = json.loads(attributes.get("langfuse.observation.cost_details") or "null")
    if usage:
        usage = {**usage, "total": sum(usage.values())}
    if cost:
        cost = {**cost, "total": sum(cost.values())}
    return {
        "id": span["spanId"],
        "traceId": span["traceId"],
        "startTime": _iso_nanos(span["startTimeUnixNano"]),
        "endTime": _iso_nanos(span["endTimeUnixNano"]),
        "projectId": project_id,
        "parentObservationId": span.get("parentSpanId") or None,
        "type": str(attributes.get("langfuse.observation.type") or "span").upper(),
        "name": span.get("name"),
        "level": "DEFAULT",
        "environment": "default",
        "providedModelName": attributes.get("langfuse.observation.model.name"),
        "usageDetails": usage,
        "costDetails": cost,
        "totalCost": cost["total"] if cost else None,
        # "Enrichment fields (always present on v2 responses)", null unless the model field group matches a model.
        "modelId": None, "inputPrice": None, "outputPrice": None, "totalPrice": None,
    }


GROUPS = {
    "core": ("id", "traceId", "startTime", "endTime", "projectId", "parentObservationId", "type"),
    "basic": ("name", "level", "environment"),
    "model": ("providedModelName",),
    "usage": ("usageDetails", "costDetails", "totalCost"),
}


ALWAYS = ("modelId", "inputPrice", "outputPrice", "totalPrice")


def _fields(observation: dict, groups: set[str]) -> dict:
    return {k: observation[k] for g in groups for k in GROUPS.get(g, ())} | {k: observation[k] for k in ALWAYS}


def _score_record(project_id: str, score_id: str, name: str, value: float, data_type: str, timestamp: datetime, trace_id: str | None = None) -> dict:
    at = _iso(timestamp)
    return {
        "id": score_id, "projectId": project_id, "name": name, "value": value, "dataType": data_type, "source": "API",
        "timestamp": at, "environment": "default", "createdAt": at, "updatedAt": at, "traceId": trace_id,
    }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _iso_nanos(nanos: str) -> str:
    return _iso(datetime.fromtimestamp(int(nanos) / 1e9, UTC))


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _json(status: int, body: dict) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")
