"""The stand-in's usage endpoints (registered into standin_langfuse.StandInLangfuse through `extensions`):
GET /api/public/v2/metrics and GET /api/public/models, over observations and model definitions the tests add.
Ours, so it holds itself to Langfuse v4.16.0's contract: the core validates every request and response
against the OpenAPI spec; the spec only says `query` is a string, so the query object is validated here
against the server's own rules (langfuse/langfuse, tag v4.16.0), messages verbatim where the server has one:

- MetricsQueryObjectV2 (web/src/features/public-api/types/metrics.ts): as a JSON Schema below; the server's
  zod errors become 400 with the first problem;
- the v2 `observations` view (packages/shared/src/features/query/dataModel.ts, eventsObservationsView): the
  dimension and measure names, which dimensions are high-cardinality, measure types (valid aggregations:
  every one for numbers, count/uniq otherwise, types.ts getValidAggregationsForMeasureType);
- validateQuery (packages/shared/src/features/query/validateQuery.ts): high-cardinality dimensions need
  config.row_limit and an orderBy `desc` on a measure, and no timeDimension;
- queryBuilder.ts: array dimensions (tags) filter only as arrayOptions (hasAny / hasAll / none), time buckets
  (`day`: toDate, YYYY-MM-DD), answer names (`<aggregation>_<measure>`, `time_dimension`), orderBy fields,
  the default order, the server's default row_limit of 100 (web/src/pages/api/public/v2/metrics.ts).
  Not mirrored: WITH FILL (zero rows for empty buckets, only without an orderBy), histograms, scores views.
- a project key only: an organisation key answers 403 (createAuthedProjectAPIRoute.ts).
- models (web/src/pages/api/public/models/index.ts, publicApiModelService.ts): the built-in definitions and
  the project's own, paginated (limit 1..100, default 50).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

import jsonschema
from standin_langfuse import StandInExtension, _iso, _json

AGGREGATIONS = ["sum", "avg", "count", "max", "min", "p50", "p75", "p90", "p95", "p99", "histogram", "uniq"]
OPERATORS = {  # packages/shared/src/interfaces/filters.ts filterOperators
    "datetime": [">", "<", ">=", "<="],
    "string": ["=", "contains", "does not contain", "starts with", "ends with"],
    "stringOptions": ["any of", "none of"],
    "categoryOptions": ["any of", "none of"],
    "arrayOptions": ["any of", "none of", "all of"],
    "number": ["=", ">", "<", ">=", "<="],
    "stringObject": ["=", "contains", "does not contain", "starts with", "ends with"],
    "numberObject": ["=", ">", "<", ">=", "<="],
    "boolean": ["=", "<>"],
    "null": ["is null", "is not null"],
}
QUERY_SCHEMA = {
    "type": "object",
    "required": ["view", "metrics", "fromTimestamp", "toTimestamp"],
    "properties": {
        "view": {"enum": ["observations", "scores-numeric", "scores-categorical", "scores-boolean"]},
        "dimensions": {"type": "array", "items": {"type": "object", "required": ["field"], "properties": {"field": {"type": "string"}}}},
        "metrics": {
            "type": "array",
            "items": {
                "type": "object", "required": ["measure", "aggregation"],
                "properties": {"measure": {"type": "string"}, "aggregation": {"enum": AGGREGATIONS}},
            },
        },
        "filters": {
            "type": "array",
            "items": {"type": "object", "required": ["column", "type", "operator", "value"], "properties": {"type": {"enum": list(OPERATORS)}}},
        },
        "timeDimension": {
            "anyOf": [{"type": "null"}, {"type": "object", "required": ["granularity"],
                                         "properties": {"granularity": {"enum": ["auto", "minute", "hour", "day", "week", "month"]}}}]
        },
        "fromTimestamp": {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$"},
        "toTimestamp": {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$"},
        "orderBy": {
            "anyOf": [{"type": "null"}, {"type": "array", "items": {
                "type": "object", "required": ["field", "direction"],
                "properties": {"field": {"type": "string"}, "direction": {"enum": ["asc", "desc"]}}}}]
        },
        "config": {
            "type": "object",
            "properties": {"bins": {"type": "integer", "minimum": 1, "maximum": 100}, "row_limit": {"type": "integer", "minimum": 1, "maximum": 1000}},
        },
    },
}
# The v2 observations view: dimension -> (type, highCardinality); measure -> type.
DIMENSIONS = {
    "id": ("string", True), "traceId": ("string", True), "environment": ("string", False), "parentObservationId": ("string", True),
    "isRootObservation": ("boolean", False), "type": ("string", False), "name": ("string", False), "level": ("string", False),
    "version": ("string", False), "userId": ("string", True), "sessionId": ("string", True), "tags": ("string[]", False),
    "release": ("string", False), "traceName": ("string", False), "traceRelease": ("string", False), "traceVersion": ("string", False),
    "providedModelName": ("string", False), "promptName": ("string", False), "promptVersion": ("string", False),
    "startTimeMonth": ("string", False), "toolNames": ("arrayString", False), "calledToolNames": ("arrayString", False),
    "costType": ("string", False), "usageType": ("string", False), "experimentName": ("string", True),
    "experimentDatasetId": ("string", True), "experimentId": ("string", True),
}
MEASURES = {
    "count": "integer", "traceId": "string", "uniqueUserIds": "string", "uniqueSessionIds": "string", "latency": "integer",
    "streamingLatency": "integer", "inputTokens": "integer", "outputTokens": "integer", "totalTokens": "integer",
    "outputTokensPerSecond": "decimal", "tokensPerSecond": "decimal", "inputCost": "decimal", "outputCost": "decimal",
    "totalCost": "decimal", "timeToFirstToken": "integer", "countScores": "integer", "toolDefinitions": "integer",
    "toolCalls": "integer", "costByType": "decimal", "usageByType": "integer",
}
SUPPORTED_MEASURES = {"count", "traceId", "inputTokens", "outputTokens", "totalTokens", "totalCost"}  # what the stand-in computes
DEFAULT_ROW_LIMIT = 100


class InvalidRequest(Exception):
    pass


def query_object(text: str) -> dict:
    """The `query` parameter as metrics.ts parses it (JSON, then MetricsQueryObjectV2), whatever the view."""
    try:
        query = json.loads(text)
    except ValueError:
        raise InvalidRequest("Invalid JSON in query parameter") from None
    try:
        jsonschema.validate(query, QUERY_SCHEMA)
    except jsonschema.ValidationError as error:
        raise InvalidRequest(f"Invalid request data: {'.'.join(str(p) for p in error.absolute_path)}: {error.message}") from None
    if _time(query["fromTimestamp"]) >= _time(query["toTimestamp"]):
        raise InvalidRequest("fromTimestamp must be before toTimestamp")
    return query


@dataclass(frozen=True)
class Observation:
    project_id: str
    trace_id: str
    start_time: datetime
    model: str | None = None
    level: str = "DEFAULT"
    cost_usd: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    session_id: str | None = None
    trace_name: str | None = None
    tags: tuple[str, ...] = ()

    def value(self, measure: str):
        return {
            "count": 1, "traceId": self.trace_id, "inputTokens": self.input_tokens, "outputTokens": self.output_tokens,
            "totalTokens": self.input_tokens + self.output_tokens, "totalCost": self.cost_usd,
        }[measure]

    def dimension(self, name: str):
        return {
            "traceId": self.trace_id, "sessionId": self.session_id, "traceName": self.trace_name, "providedModelName": self.model,
            "level": self.level, "tags": list(self.tags),
        }[name]


@dataclass(frozen=True)
class ModelDefinition:
    name: str
    match_pattern: str
    prices: dict[str, float]
    project_id: str | None = None  # None: built in


@dataclass
class UsageEndpoints(StandInExtension):
    observations: list[Observation] = field(default_factory=list)
    models: list[ModelDefinition] = field(default_factory=list)
    failing_projects: set[str] = field(default_factory=set)  # their metrics queries answer 500
    queries: list[dict] = field(default_factory=list)  # every query object received, in order

    def handle(self, standin, request, scope, parts):
        match (request.method, parts):
            case ("GET", ["v2", "metrics"]):
                if scope[0] != "project":
                    return _json(403, {"message": "Access denied - insufficient permissions for this endpoint"})
                try:
                    query = self._parse(request.args.get("query", ""))
                except InvalidRequest as error:
                    return _json(400, {"message": str(error)})
                self.queries.append(query)
                if scope[1] in self.failing_projects:
                    return _json(500, {"message": "Internal Server Error"})
                return _json(200, {"data": self.evaluate(scope[1], query)})
            case ("GET", ["models"]):
                if scope[0] != "project":
                    return _json(403, {"message": "Access denied - insufficient permissions for this endpoint"})
                return self._list_models(scope[1], request.args)
        return None

    # --- the query object -----------------------------------------------------------------------------------

    def _parse(self, text: str) -> dict:
        query = query_object(text)
        if query["view"] != "observations":
            raise InvalidRequest(f"the stand-in serves only the observations view, not {query['view']}")
        dimensions = [d["field"] for d in query.get("dimensions") or []]
        for name in dimensions:
            if name not in DIMENSIONS:
                raise InvalidRequest(f"Invalid dimension {name}. Must be one of {','.join(DIMENSIONS)}")
        for metric in query["metrics"]:
            measure, aggregation = metric["measure"], metric["aggregation"]
            if measure not in MEASURES:
                raise InvalidRequest(f"Invalid metric {measure}. Must be one of {','.join(MEASURES)}")
            valid = AGGREGATIONS if MEASURES[measure] in ("integer", "decimal", "number") else ["count", "uniq"]
            if aggregation not in valid:
                raise InvalidRequest(
                    f'Aggregation "{aggregation}" is not valid for measure "{measure}" (type: {MEASURES[measure]}). Valid aggregations: {", ".join(valid)}'
                )
            if measure not in SUPPORTED_MEASURES or aggregation not in ("sum", "count", "uniq", "max", "min"):
                raise InvalidRequest(f"the stand-in does not compute {aggregation}_{measure}")
        for f in query.get("filters") or []:
            if f["operator"] not in OPERATORS[f["type"]]:
                raise InvalidRequest(f"Invalid request data: filters: operator {f['operator']!r} is not one of {OPERATORS[f['type']]}")
            kind = DIMENSIONS.get(f["column"], (None,))[0]
            if kind is None:
                raise InvalidRequest(f"Invalid filter column {f['column']}. Must be one of {','.join(DIMENSIONS)} or start_time")
            if kind in ("string[]", "arrayString") and f["type"] != "arrayOptions":
                raise InvalidRequest(
                    f"Invalid filter for field '{f['column']}': Filter type '{f['type']}' is not supported for dimension type '{kind}'. Expected 'arrayOptions'."
                )
            if f["type"] == "arrayOptions" and not isinstance(f["value"], list):
                raise InvalidRequest(f"Invalid filter for field '{f['column']}': arrayOptions type requires an array of values, not '{type(f['value']).__name__}'.")
        self._validate_cardinality(query, dimensions)
        self._order_by(query, dimensions)  # raises on an unknown field
        return query

    def _validate_cardinality(self, query: dict, dimensions: list[str]) -> None:
        high = [d for d in dimensions if DIMENSIONS[d][1]]
        if not high:
            return
        names = ", ".join(high)
        if query.get("timeDimension"):
            raise InvalidRequest(
                f"High cardinality dimension(s) '{names}' cannot be used with timeDimension. Time series queries with high cardinality "
                "dimensions produce unbounded result sets."
            )
        desc = [o for o in query.get("orderBy") or [] if o["direction"] == "desc"]
        if (query.get("config") or {}).get("row_limit") is None or not desc:
            raise InvalidRequest(
                f"High cardinality dimension(s) '{names}' require both 'config.row_limit' and 'orderBy' with direction 'desc' on a measure field."
            )
        measures = [m["measure"] for m in query["metrics"]]
        invalid = [o["field"] for o in desc if not any(o["field"] == m or o["field"].endswith(f"_{m}") for m in measures)]
        if invalid:
            raise InvalidRequest(
                f"High cardinality dimension(s) '{names}' require 'orderBy' with direction 'desc' on a measure field. "
                f"'{', '.join(invalid)}' {'is' if len(invalid) == 1 else 'are'} not a measure in this query."
            )

    def _order_by(self, query: dict, dimensions: list[str]) -> list[tuple[str, str]]:
        metrics = [f"{m['aggregation']}_{m['measure']}" for m in query["metrics"]]
        order = query.get("orderBy")
        if not order:
            if query.get("timeDimension"):
                return [("time_dimension", "asc")]
            return [(metrics[0], "desc")] if metrics else [(dimensions[0], "asc")] if dimensions else []
        for item in order:
            if item["field"] == "time_dimension" and query.get("timeDimension"):
                continue
            if item["field"] in dimensions or item["field"] in metrics:
                continue
            raise InvalidRequest(f"Invalid orderBy field: {item['field']}. Must be one of the dimension or metric fields.")
        return [(item["field"], item["direction"]) for item in order]

    # --- evaluation --------------------------------------------------------------------------------------------

    def evaluate(self, project_id: str, query: dict) -> list[dict]:
        start, end = _time(query["fromTimestamp"]), _time(query["toTimestamp"])
        dimensions = [d["field"] for d in query.get("dimensions") or []]
        granularity = (query.get("timeDimension") or {}).get("granularity")
        if granularity not in (None, "day", "hour"):
            raise AssertionError(f"the stand-in buckets by day or hour only, not {granularity}")
        groups: dict[tuple, list[Observation]] = defaultdict(list)
        for o in self._of_project(project_id):
            if not start <= o.start_time <= end or not all(_passes(o, f) for f in query.get("filters") or []):
                continue
            key = tuple(json.dumps(o.dimension(d)) for d in dimensions)
            if granularity is not None:
                moment = o.start_time.astimezone(UTC)
                key += (moment.date().isoformat() if granularity == "day" else _iso(moment.replace(minute=0, second=0, microsecond=0)),)
            groups[key].append(o)
        rows = []
        for key, members in groups.items():
            row = {d: json.loads(v) for d, v in zip(dimensions, key, strict=False)}
            if granularity is not None:
                row["time_dimension"] = key[-1]
            for metric in query["metrics"]:
                values = [o.value(metric["measure"]) for o in members]
                aggregate = {"sum": sum, "max": max, "min": min, "count": len, "uniq": lambda v: len(set(v))}[metric["aggregation"]](values)
                row[f"{metric['aggregation']}_{metric['measure']}"] = round(aggregate, 12) if isinstance(aggregate, float) else aggregate
            rows.append(row)
        for name, direction in reversed(self._order_by(query, dimensions)):
            rows.sort(key=lambda r: (r.get(name) is None, r.get(name) if r.get(name) is not None else 0), reverse=direction == "desc")
        return rows[: (query.get("config") or {}).get("row_limit") or DEFAULT_ROW_LIMIT]

    def _of_project(self, project_id: str) -> list[Observation]:
        """The project's observations (an index rebuilt when observations were added: ClickHouse reads by project too)."""
        if getattr(self, "_indexed", -1) != len(self.observations):
            index: dict[str, list[Observation]] = defaultdict(list)
            for o in self.observations:
                index[o.project_id].append(o)
            self._index, self._indexed = index, len(self.observations)
        return self._index.get(project_id, [])

    def _list_models(self, project_id: str, args):
        try:
            page, limit = int(args.get("page", 1)), int(args.get("limit", 50))
        except ValueError:
            return _json(400, {"message": "Invalid request data"})
        if page < 1 or not 1 <= limit <= 100:
            return _json(400, {"message": "Invalid request data: limit must be between 1 and 100, page at least 1"})
        visible = [m for m in self.models if m.project_id in (None, project_id)]
        chunk = visible[(page - 1) * limit : page * limit]
        created = _iso(datetime(2026, 1, 1, tzinfo=UTC))
        data = [
            {
                "id": f"model-{m.name}", "modelName": m.name, "matchPattern": m.match_pattern, "startDate": None, "unit": "TOKENS",
                "inputPrice": m.prices.get("input"), "outputPrice": m.prices.get("output"), "totalPrice": m.prices.get("total"),
                "tokenizerId": None, "tokenizerConfig": None, "isLangfuseManaged": m.project_id is None, "createdAt": created,
                "prices": {k: {"price": v} for k, v in m.prices.items()},
                "pricingTiers": [{"id": f"tier-{m.name}", "name": "Standard", "isDefault": True, "priority": 0, "conditions": [], "prices": dict(m.prices)}],
            }
            for m in chunk
        ]
        pages = max(1, -(-len(visible) // limit))
        return _json(200, {"data": data, "meta": {"page": page, "limit": limit, "totalItems": len(visible), "totalPages": pages}})


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _passes(o: Observation, f: dict) -> bool:
    value = o.dimension(f["column"])
    match f["type"], f["operator"]:
        case "arrayOptions", "any of":
            return any(v in value for v in f["value"])
        case "arrayOptions", "all of":
            return all(v in value for v in f["value"])
        case "arrayOptions", "none of":
            return not any(v in value for v in f["value"])
        case "null", "is null":
            return value in (None, "")
        case "null", "is not null":
            return value not in (None, "")
        case "string", "=":
            return value == f["value"]
        case "stringOptions", "any of":
            return value in f["value"]
        case "stringOptions", "none of":
            return value not in f["value"]
    raise AssertionError(f"the stand-in does not evaluate the filter {f}")
