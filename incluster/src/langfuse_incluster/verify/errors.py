"""Why a step failed, in one line: Langfuse's own answer (status and message) and what it means for the person
running the verification — an unreachable URL, a key Langfuse does not accept, a feature the licence lacks."""

from __future__ import annotations

import json

import httpx
import pydantic
import requests
from langfuse.api.core.api_error import ApiError

# Langfuse v4.16.0 answers this 403 where an endpoint needs an entitlement the instance's licence lacks
# (web/src/pages/api/admin/..., ee/features/admin-api/...; the plans are in
# web/src/features/entitlements/constants/entitlements.ts).
NOT_ON_PLAN = "This feature is not available on your current plan."


class StepFailed(Exception):
    """A step's one-line reason for failing."""


def langfuse_message(body: object) -> str:
    """The message of one of Langfuse's answers ({message}, {error} or {status}), else the body itself, short."""
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return body.strip()[:200] or "no body"
    if isinstance(body, dict):
        for key in ("message", "error", "status"):  # health.ts and ready.ts answer {status, version}
            if isinstance(body.get(key), str):
                return body[key]
    return json.dumps(body)[:200] if body not in (None, "") else "no body"


def refused(what: str, status: int, body: object) -> StepFailed:
    message = langfuse_message(body)
    if status == 401:
        return StepFailed(f"{what} answered 401 ({message}): Langfuse does not accept the key; is it a live key of the verification project?")
    if status == 403 and NOT_ON_PLAN in message:
        return StepFailed(f"{what} answered 403 ({message}): this needs a Langfuse licence whose plan includes the feature (langfuse.licenseKey)")
    return StepFailed(f"{what} answered {status} ({message})")


def unreachable(url: str, error: Exception) -> StepFailed:
    reason = str(error).strip() or type(error).__name__
    return StepFailed(f"{url} is unreachable: {reason}")


def from_call(what: str, connection, error: Exception) -> StepFailed:
    """A failed SDK call on a LangfuseConnection: Langfuse's answer, or no answer at all."""
    if isinstance(error, ApiError):
        body = error.body
        if body in (None, ""):  # some SDK errors drop the body (e.g. health's 503); the recorded answer has it
            answered = [a for a in connection.answers.since(0) if a.status == error.status_code]
            body = answered[-1].body if answered else None
        return refused(what, error.status_code or 0, body)
    if isinstance(error, httpx.TransportError | requests.ConnectionError):
        return unreachable(connection.url, error)
    if isinstance(error, pydantic.ValidationError):
        return StepFailed(f"{what}: the answer does not match the SDK's model of Langfuse's API: {error.errors()[0]['msg']} at {error.errors()[0]['loc']}")
    raise error
