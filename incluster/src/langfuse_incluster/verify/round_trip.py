"""The round trip: health and readiness; the key's project; a trace with a generation (model, tokens, cost) and
a score sent through the SDK; the same trace read back through the public API within a bound; optionally the
event objects in the events bucket (bucket.py). Each step is timed; the first that fails ends the run.

Read paths (Langfuse v4.16.0, default LANGFUSE_MIGRATION_V4_WRITE_MODE=events_only): GET /api/public/traces/{id}
and /api/public/v2/scores answer 404 in that mode (`rejectInEventsOnlyMode: true`,
web/src/features/public-api/server/createAuthedProjectAPIRoute.ts), so the trace is read back where v4 serves
it: GET /api/public/v2/observations?traceId= (the SDK's `api.observations.get_many`) and
GET /api/public/v3/scores?traceId= (`api.scores_v3.get_many_v3`).
"""

from __future__ import annotations

import json
import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from langfuse_incluster.verify.bucket import EventBucket, check_event_objects
from langfuse_incluster.verify.connection import INGESTION_PATH, OTEL_TRACES_PATH, Answer, LangfuseConnection
from langfuse_incluster.verify.errors import StepFailed, from_call, langfuse_message, refused, unreachable
from langfuse_incluster.verify.report import Report, StepResult

# What the round trip sends: a model name no price table knows (so Langfuse keeps the cost we state), the
# tokens and the cost; the score is the platform's own check.
MODEL = "langfuse-rosa-round-trip"
USAGE = {"input": 12, "output": 3}
COST = {"input": 0.00012, "output": 0.00003}
SCORE_NAME = "langfuse-rosa-round-trip"
READ_FIELDS = "core,basic,model,usage"
STEPS = ("health", "readiness", "authenticate", "ingest", "read-back", "event-objects")


@dataclass(frozen=True)
class RoundTripSettings:
    title: str
    read_back_seconds: float
    expected_version: str | None = None
    bucket: EventBucket | None = None  # None: the events bucket is not checked (the monitor has no AWS role)


@dataclass
class Sent:
    trace_id: str = ""
    generation_id: str = ""
    score_id: str = ""
    project_id: str = ""
    exported_from: datetime | None = None
    exported_until: datetime | None = None
    flushed_at: float = 0.0  # monotonic


class RoundTrip:
    def __init__(
        self,
        connection: LangfuseConnection,
        settings: RoundTripSettings,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.connection, self.settings = connection, settings
        self.clock, self.sleep, self.now = clock, sleep, now
        self.sent = Sent()
        self._measured: dict[str, object] = {}
        self.queryable_seconds: float | None = None  # flush done -> readable; inf past the bound; None if not reached

    def run(self, report: Report | None = None) -> Report:
        """The steps, appended to `report` (which may hold earlier ones, e.g. fetching the key)."""
        self.sent, self._measured, self.queryable_seconds = Sent(), {}, None
        report = report or Report(self.settings.title, self.connection.url, self.now())
        steps = {name: getattr(self, name.replace("-", "_")) for name in STEPS}
        if self.settings.bucket is None:
            del steps["event-objects"]
        for name, step in steps.items():
            started = self.clock()
            try:
                detail, ok = step(), True
            except StepFailed as failure:
                detail, ok = str(failure), False
            report.steps.append(StepResult(name, ok, self.clock() - started, detail))
            if not ok:
                break
        report.facts |= self.facts
        return report

    @property
    def facts(self) -> dict[str, object]:
        s = self.sent
        found = {"project id": s.project_id, "trace id": s.trace_id, "generation id": s.generation_id, "score id": s.score_id}
        return {k: v for k, v in found.items() if v} | self._measured

    # -- the steps ---------------------------------------------------------------------------------------------

    def health(self) -> str:
        try:
            answer = self.connection.api.health.health(request_options=self.connection.request_options)
        except Exception as error:  # from_call re-raises what is not Langfuse's answer or its absence
            raise from_call("GET /api/public/health", self.connection, error) from None
        expected = self.settings.expected_version
        if expected is not None and answer.version != expected:
            raise StepFailed(
                f"Langfuse {answer.version} answers at {self.connection.url}, but the stack deploys {expected}: "
                "the rollout has not finished, or another release serves this host"
            )
        self._measured["version"] = answer.version
        return f"{answer.status}, Langfuse {answer.version}"

    def readiness(self) -> str:
        # Not in the SDK nor in the OpenAPI spec: web/src/pages/api/public/ready.ts (200 OK; 500 once SIGTERM
        # is received, while the web pod drains; 503 when the check itself fails).
        path = "/api/public/ready"
        try:
            response = self.connection.http.get(f"{self.connection.url}{path}")
        except httpx.TransportError as error:
            raise unreachable(self.connection.url, error) from None
        if response.status_code != 200:
            raise refused(f"GET {path}", response.status_code, response.text)
        return langfuse_message(response.text)

    def authenticate(self) -> str:
        try:
            projects = self.connection.api.projects.get(request_options=self.connection.request_options).data
        except Exception as error:
            raise from_call("GET /api/public/projects", self.connection, error) from None
        if len(projects) != 1:
            raise StepFailed(f"the key sees {len(projects)} projects: verification needs a project-scoped key (pk-lf-...) of one project")
        self.sent.project_id = projects[0].id
        return f"project {projects[0].name} ({projects[0].id})"

    def ingest(self) -> str:
        langfuse, answers = self.connection.langfuse, self.connection.answers
        mark = answers.mark()
        self.sent.exported_from = self.now()
        with langfuse.start_as_current_observation(name="langfuse-rosa round trip", as_type="span", input={"check": self.settings.title}) as root:
            self.sent.trace_id = root.trace_id
            with langfuse.start_as_current_observation(
                name="generation", as_type="generation", model=MODEL, usage_details=USAGE, cost_details=COST, input="ping", output="pong"
            ) as generation:
                self.sent.generation_id = generation.id
        self.sent.score_id = uuid.uuid4().hex
        langfuse.create_score(name=SCORE_NAME, value=1.0, trace_id=self.sent.trace_id, score_id=self.sent.score_id, data_type="NUMERIC")
        langfuse.flush()
        self.sent.flushed_at = self.clock()
        self.sent.exported_until = self.now()
        spans = self._accepted(mark, OTEL_TRACES_PATH, "the trace")
        score = self._accepted(mark, INGESTION_PATH, "the score")
        errors = _json(score.body).get("errors") or []
        if errors:
            error = errors[0]
            raise refused(f"POST {INGESTION_PATH} (the score)", int(error.get("status") or 400), error)
        return (
            f"trace {self.sent.trace_id}: a span and a generation ({MODEL}, {sum(USAGE.values())} tokens, "
            f"{sum(COST.values()):.5f} USD) answered {spans.status}; score {SCORE_NAME} answered {score.status}"
        )

    def read_back(self) -> str:
        bound = self.settings.read_back_seconds
        deadline, delay = self.sent.flushed_at + bound, 0.25
        while True:
            generation, score, seen = self._read()
            if generation is not None and score is not None:
                latency = self.queryable_seconds = self.clock() - self.sent.flushed_at
                self._measured["ingestion to queryable (s)"] = round(latency, 2)
                self._measured["read-back bound (s)"] = bound
                return f"generation and score readable {latency:.1f} s after the flush (bound {bound:g} s)"
            remaining = deadline - self.clock()
            if remaining <= 0:
                self.queryable_seconds = math.inf
                self._measured["ingestion to queryable (s)"] = f"over {bound:g}"
                missing = " and ".join(w for w, got in (("the generation", generation), ("the score", score)) if got is None)
                raise StepFailed(
                    f"trace {self.sent.trace_id} is not readable within {bound:g} s: {missing} not found ({seen}); "
                    "the worker may be stuck, or ClickHouse or Redis broken"
                )
            self.sleep(min(delay, remaining))
            delay = min(delay * 1.5, 5.0)

    def event_objects(self) -> str:
        assert self.settings.bucket is not None and self.sent.exported_from and self.sent.exported_until
        found = check_event_objects(
            self.settings.bucket, self.sent.project_id, self.sent.score_id, self.sent.exported_from, self.sent.exported_until
        )
        self._measured["event objects"] = ", ".join(found.keys)
        return found.detail

    # -- helpers -------------------------------------------------------------------------------------------------

    def _accepted(self, mark: int, path: str, sent: str) -> Answer:
        """The answer to what the SDK posted to `path` since `mark`, when Langfuse accepted it."""
        what = f"POST {path} ({sent})"
        received = self.connection.answers.since(mark, path)
        if not received:
            raise StepFailed(f"{what}: the SDK sent nothing to {self.connection.url}")
        last = received[-1]  # the transports retry 429, 5xx and failed connections; the last attempt is the outcome
        if last.status == 0:
            raise StepFailed(f"{what} got no answer from {self.connection.url}: {last.body}")
        if not 200 <= last.status < 300:
            raise refused(what, last.status, last.body)
        return last

    def _read(self):
        api, s = self.connection.api, self.sent
        try:
            options = self.connection.request_options
            observations = api.observations.get_many(trace_id=s.trace_id, fields=READ_FIELDS, request_options=options).data
            scores = api.scores_v3.get_many_v3(trace_id=s.trace_id, request_options=options).data
        except Exception as error:
            raise from_call("reading the trace back", self.connection, error) from None
        generation = next((o for o in observations if o.id == s.generation_id), None)
        if generation is not None:
            _same_generation(generation)
        score = next((x for x in scores if x.id == s.score_id), None)
        if score is not None and (score.name != SCORE_NAME or score.value != 1.0):
            raise StepFailed(f"score {s.score_id} reads back as {score.name}={score.value}, sent {SCORE_NAME}=1.0")
        return generation, score, f"{len(observations)} observations, {len(scores)} scores so far"


def provided_model(observation) -> str | None:
    """Langfuse v4.16.0 serves the model as `providedModelName` (web/src/features/public-api/types/observations.ts,
    the `model` field group); langfuse 4.18.0's ObservationV2 calls the field `model` and keeps the served name
    as an extra field (its models allow extras)."""
    return (observation.model_extra or {}).get("providedModelName") or observation.model


def _same_generation(generation) -> None:
    usage = {k: generation.usage_details.get(k) for k in USAGE} if generation.usage_details else {}
    cost = {k: generation.cost_details.get(k) for k in COST} if generation.cost_details else {}
    same_cost = all(cost.get(k) is not None and math.isclose(cost[k], v, rel_tol=1e-6) for k, v in COST.items())
    same_total = generation.total_cost is not None and math.isclose(generation.total_cost, sum(COST.values()), rel_tol=1e-6)
    model = provided_model(generation)
    if generation.type != "GENERATION" or model != MODEL or usage != USAGE or not same_cost or not same_total:
        raise StepFailed(
            f"generation {generation.id} reads back as {generation.type} {model}, usage {usage}, cost {cost} "
            f"(total {generation.total_cost}); sent GENERATION {MODEL}, usage {USAGE}, cost {COST}"
        )


def _json(body: str) -> dict:
    try:
        parsed = json.loads(body)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}
