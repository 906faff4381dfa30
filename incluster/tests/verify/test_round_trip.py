"""The round trip through the real Langfuse SDK against the stand-in Langfuse and moto's S3: the success path,
each step's failure with its message, and a slow ingestion that still passes the bound."""

from __future__ import annotations

import json
import re
import socket

import pytest
from langfuse_incluster.verify.connection import LangfuseConnection
from langfuse_incluster.verify.errors import NOT_ON_PLAN
from langfuse_incluster.verify.round_trip import COST, MODEL, SCORE_NAME, USAGE, RoundTrip, RoundTripSettings
from standin_ingestion import EventBucketWriter


def _settings(bucket=None, read_back: float = 10, version: str | None = "4.16.0") -> RoundTripSettings:
    return RoundTripSettings("round trip of dev", read_back, version, bucket)


def _failure(report) -> tuple[str, str]:
    assert not report.ok
    return report.failed.name, report.failed.detail


def test_the_round_trip_passes_every_step_and_proves_the_event_objects(langfuse, connection, aws, event_bucket, tmp_path):
    trip = RoundTrip(connection, _settings(event_bucket))
    report = trip.run()
    assert report.ok, report.headline()
    assert [s.name for s in report.steps] == ["health", "readiness", "authenticate", "ingest", "read-back", "event-objects"]
    assert all(s.seconds >= 0 for s in report.steps)
    facts = report.facts
    assert facts["version"] == "4.16.0" and facts["project id"] == langfuse.project.id
    assert re.fullmatch(r"[0-9a-f]{32}", facts["trace id"]) and re.fullmatch(r"[0-9a-f]{32}", facts["score id"])
    # What Langfuse stored is what the SDK sent: the generation with its model, tokens and cost; the score.
    (generation,) = [o.record for o in langfuse.ingestion.observations if o.record["type"] == "GENERATION"]
    assert generation["traceId"] == facts["trace id"] and generation["providedModelName"] == MODEL
    assert generation["usageDetails"] == {**USAGE, "total": 15} and generation["costDetails"]["input"] == COST["input"]
    (score,) = [s.record for s in langfuse.ingestion.scores]
    assert (score["name"], score["value"], score["traceId"]) == (SCORE_NAME, 1.0, facts["trace id"])
    # The event objects at the key layout Langfuse v4.16 writes, each SSE-KMS under the stack's key.
    keys, prefix = facts["event objects"].split(", "), event_bucket.prefix
    assert keys[0].startswith(f"{prefix}{langfuse.project.id}/score/{facts['score id']}/") and keys[0].endswith(".json")
    assert all(re.fullmatch(rf"{prefix}otel/{langfuse.project.id}/\d{{4}}/\d\d/\d\d/\d\d/\d\d/[0-9a-f-]{{36}}\.json", k) for k in keys[1:])
    head = aws.client("s3").head_object(Bucket=event_bucket.name, Key=keys[0])
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", aws.key_arn)
    # The SDK exported binary OTLP with its own headers; the score went through the ingestion API.
    posts = [c for c in langfuse.calls if c.method == "POST"]
    assert [(c.path, c.status) for c in posts] == [("/api/public/otel/v1/traces", 200), ("/api/public/ingestion", 207)]
    report.write(tmp_path)
    document = json.loads((tmp_path / "verify.json").read_text())
    assert document["ok"] is True and document["failedStep"] is None and len(document["steps"]) == 6
    markdown = (tmp_path / "verify.md").read_text()
    assert markdown.startswith("### ✅ round trip of dev") and "| read-back | passed |" in markdown


def test_a_slow_ingestion_within_the_bound_passes_and_is_measured(langfuse, connection):
    langfuse.ingestion.delay = 1.5
    trip = RoundTrip(connection, _settings(read_back=6))
    report = trip.run()
    assert report.ok, report.headline()
    assert 1.5 <= trip.queryable_seconds < 6
    assert report.facts["ingestion to queryable (s)"] >= 1.5
    read_back = report.steps[-1]
    assert read_back.name == "read-back" and read_back.seconds >= 1.5 and "(bound 6 s)" in read_back.detail


def test_a_stuck_worker_fails_the_read_back_at_the_bound(langfuse, connection):
    langfuse.ingestion.stuck = True
    trip = RoundTrip(connection, _settings(read_back=1))
    step, detail = _failure(trip.run())
    assert step == "read-back"
    assert re.fullmatch(
        r"trace [0-9a-f]{32} is not readable within 1 s: the generation and the score not found \(0 observations, 0 scores so far\); "
        r"the worker may be stuck, or ClickHouse or Redis broken",
        detail,
    ), detail
    assert trip.queryable_seconds == float("inf")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_url_fails_the_health_step_in_one_line():
    url = f"http://127.0.0.1:{_closed_port()}"
    connection = LangfuseConnection(url, "pk-lf-nobody", "sk-lf-nobody", timeout=2, max_retries=0)
    try:
        report = RoundTrip(connection, _settings()).run()
    finally:
        connection.close()
    step, detail = _failure(report)
    assert step == "health" and detail.startswith(f"{url} is unreachable: ") and "\n" not in detail
    assert [s.name for s in report.steps] == ["health"]


@pytest.mark.parametrize(
    "setup, step, message",
    [
        pytest.param(lambda i: setattr(i, "healthy", False), "health", "GET /api/public/health answered 503 (Database not available)", id="unhealthy"),
        pytest.param(lambda i: setattr(i, "version", "4.15.0"), "health",
                     "Langfuse 4.15.0 answers at {url}, but the stack deploys 4.16.0: the rollout has not finished, or another release serves this host",
                     id="old-version"),
        pytest.param(lambda i: setattr(i, "draining", True), "readiness",
                     "GET /api/public/ready answered 500 (SIGTERM / SIGINT received, shutting down)", id="draining"),
        pytest.param(lambda i: i.refuse("/api/public/otel/v1/traces", 403, {"message": "Ingestion suspended: Usage threshold exceeded. Please upgrade your plan."}),
                     "ingest", "POST /api/public/otel/v1/traces (the trace) answered 403 (Ingestion suspended: Usage threshold exceeded. Please upgrade your plan.)",
                     id="otel-refused"),
        pytest.param(lambda i: i.refuse("/api/public/ingestion", 207, {"successes": [], "errors": [{"id": "e1", "status": 400, "message": "Invalid request data"}]}),
                     "ingest", "POST /api/public/ingestion (the score) answered 400 (Invalid request data)", id="score-rejected"),
        pytest.param(lambda i: i.refuse("/api/public/v2/observations", 403, {"error": NOT_ON_PLAN}), "read-back",
                     f"reading the trace back answered 403 ({NOT_ON_PLAN}): this needs a Langfuse licence whose plan includes the feature (langfuse.licenseKey)",
                     id="licence-missing"),
        pytest.param(lambda i: i.refuse("/api/public/v2/observations", 404, {"message": "The observations v2 API is only available in a Langfuse v4 write mode. Learn more at: https://langfuse.com/docs/v4"}),
                     "read-back", "reading the trace back answered 404 (The observations v2 API is only available in a Langfuse v4 write mode. Learn more at: https://langfuse.com/docs/v4)",
                     id="v2-reads-off"),
    ],
)  # fmt: skip
def test_each_failing_step_is_named_with_langfuse_s_answer(langfuse, connection, setup, step, message):
    setup(langfuse.ingestion)
    report = RoundTrip(connection, _settings()).run()
    assert _failure(report) == (step, message.format(url=langfuse.url))
    assert report.steps[-1].name == step and all(s.ok for s in report.steps[:-1])


def test_a_wrong_key_fails_authentication_with_the_401(langfuse):
    connection = LangfuseConnection(langfuse.url, langfuse.key.public_key, "sk-lf-not-the-secret", max_retries=0)
    try:
        report = RoundTrip(connection, _settings()).run()
    finally:
        connection.close()
    assert _failure(report) == (
        "authenticate",
        "GET /api/public/projects answered 401 (Invalid credentials): Langfuse does not accept the key; is it a live key of the verification project?",
    )


def test_an_organisation_key_is_not_a_verification_key(langfuse):
    connection = LangfuseConnection(langfuse.url, *langfuse.org_key, max_retries=0)
    try:
        report = RoundTrip(connection, _settings()).run()
    finally:
        connection.close()
    assert _failure(report) == ("authenticate", "GET /api/public/projects answered 403 (Invalid API key. Are you using an organization key?)")


def test_event_objects_not_under_the_stack_s_key_fail(langfuse, connection, aws, event_bucket):
    b = event_bucket
    langfuse.ingestion.bucket = EventBucketWriter(aws.client("s3"), b.name, b.prefix, "aws:kms", aws.other_key_arn)
    step, detail = _failure(RoundTrip(connection, _settings(b)).run())
    assert step == "event-objects"
    assert re.fullmatch(
        rf"s3://{b.name}/{b.prefix}{langfuse.project.id}/score/[0-9a-f]{{32}}/[0-9a-f]{{32}}\.json is encrypted with aws:kms under "
        rf"{re.escape(aws.other_key_arn)}, not SSE-KMS under the stack's key {b.kms_key_alias} \({re.escape(aws.key_arn)}\)",
        detail,
    ), detail


def test_event_objects_with_sse_s3_fail(langfuse, connection, aws, event_bucket):
    langfuse.ingestion.bucket = EventBucketWriter(aws.client("s3"), event_bucket.name, event_bucket.prefix, "AES256", None)
    step, detail = _failure(RoundTrip(connection, _settings(event_bucket)).run())
    assert step == "event-objects" and " is encrypted with AES256, not SSE-KMS under the stack's key " in detail


def test_missing_event_objects_fail(langfuse, connection, event_bucket):
    langfuse.ingestion.bucket = None  # web writes no events to this bucket
    step, detail = _failure(RoundTrip(connection, _settings(event_bucket)).run())
    assert step == "event-objects"
    assert re.fullmatch(
        rf"no event object of the score under s3://{event_bucket.name}/{event_bucket.prefix}{langfuse.project.id}/score/[0-9a-f]{{32}}/: Langfuse did not write the score's event",
        detail,
    ), detail


def test_an_identity_without_access_to_the_key_fails_in_one_line(langfuse, connection, event_bucket):
    missing = type(event_bucket)(event_bucket.name, event_bucket.prefix, "alias/not-the-stack-s", event_bucket.region)
    step, detail = _failure(RoundTrip(connection, _settings(missing)).run())
    assert step == "event-objects" and detail.startswith("AWS refused DescribeKey: NotFoundException (")


def test_the_stand_in_refuses_an_export_the_spec_refuses(langfuse):
    """The OTel route's validation is live: OTLP/JSON with attributes as an object (not a list) is refused."""
    import httpx

    body = {"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "ab" * 16, "spanId": "cd" * 8, "attributes": {"k": "v"}}]}]}]}
    answer = httpx.post(f"{langfuse.url}/api/public/otel/v1/traces", json=body, auth=(langfuse.key.public_key, langfuse.key.secret_key))
    assert answer.status_code == 400 and "does not match Langfuse's OpenAPI spec" in answer.json()["message"]
    langfuse.violations.clear()
