"""Thin kopf handlers over the pure reconcile: build what is known from the object, run one pass, patch
status.langfuse only when it changed, post the pass's events. kopf owns watching, retries and backoff; the
object's status is the memory, so a restart loses nothing."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import kopf
from pydantic import ValidationError

from langfuse_incluster import contract
from langfuse_incluster.budget import effective_budget
from langfuse_incluster.controller.metrics import TenantMetrics
from langfuse_incluster.controller.models import LangfuseSpec, parse_spec, parse_status
from langfuse_incluster.controller.reconcile import Known, LangfuseError, Settings, run_pass

# Steady state costs nothing (status and Secret agree: no Langfuse call, no write), so a short interval is
# cheap; it bounds how late a rotation or the end of an overlap is acted on.
TIMER_INTERVAL_SECONDS = 600.0


@dataclass
class Runtime:
    settings: Settings
    langfuse: object  # LangfuseClient
    secrets: object  # TenantSecrets
    metrics: TenantMetrics


_runtime: Runtime | None = None


def install(runtime: Runtime) -> None:
    global _runtime
    _runtime = runtime


@kopf.on.startup()
def _configure(settings: kopf.OperatorSettings, **_) -> None:
    settings.persistence.finalizer = contract.FINALIZER
    # Our own events say what happened; kopf's per-handler success events would double them.
    settings.posting.level = logging.WARNING


def known_from(body: dict, namespace: str, deleting: bool, now: datetime, settings: Settings | None = None) -> Known:
    meta = body.get("metadata") or {}
    spec_error = None
    try:
        spec = parse_spec(body.get("spec"))
    except ValidationError as error:
        first = error.errors()[0]
        spec_error = f"spec.langfuse.{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
        spec = LangfuseSpec()
    return Known(
        namespace=namespace,
        spec=spec,
        status=parse_status(body.get("status")),
        now=now,
        generation=meta.get("generation"),
        rotate_token=(meta.get("annotations") or {}).get(contract.ROTATE_ANNOTATION),
        deleting=deleting,
        spec_error=spec_error,
        budget=effective_budget(body.get("spec"), settings.default_budget) if settings and settings.default_budget else None,
    )


def reconcile_object(
    body: dict, namespace: str, patch, deleting: bool, runtime: Runtime, now: datetime | None = None, post_event=kopf.event, after_step=None
) -> None:
    known = known_from(body, namespace, deleting, now or datetime.now(UTC), runtime.settings)
    known.secret = runtime.secrets.read(namespace)
    try:
        result = run_pass(known, runtime.settings, runtime.langfuse, runtime.secrets, after_step=after_step)
    except LangfuseError as error:  # transient: 429, 5xx, no answer
        runtime.metrics.errors.labels(namespace).inc()
        raise kopf.TemporaryError(str(error), delay=error.retry_after or 30) from error
    new_status = result.status.to_json()
    if new_status != ((body.get("status") or {}).get("langfuse") or {}):
        patch.setdefault("status", {})["langfuse"] = new_status
    for event in result.events:
        post_event(body, type=event.type, reason=event.reason, message=event.message)
    if deleting:
        runtime.metrics.forget(namespace)
    else:
        runtime.metrics.observe(namespace, result.status, runtime.settings.rotation_for(known.spec))


def _plain(body) -> dict:
    # kopf passes live Mapping views; the reconcile wants plain JSON data.
    return json.loads(json.dumps(body, default=dict))


def _runtime_or_fail() -> Runtime:
    if _runtime is None:
        raise kopf.PermanentError("the controller was started without its runtime (run `python -m langfuse_incluster.controller`)")
    return _runtime


@kopf.on.resume(contract.GROUP, contract.VERSION, contract.PLURAL)
@kopf.on.create(contract.GROUP, contract.VERSION, contract.PLURAL)
@kopf.on.update(contract.GROUP, contract.VERSION, contract.PLURAL)
def on_change(body, namespace, patch, **_) -> None:
    reconcile_object(_plain(body), namespace, patch, deleting=False, runtime=_runtime_or_fail())


@kopf.timer(contract.GROUP, contract.VERSION, contract.PLURAL, interval=TIMER_INTERVAL_SECONDS, initial_delay=60)
def on_timer(body, namespace, patch, **_) -> None:
    reconcile_object(_plain(body), namespace, patch, deleting=False, runtime=_runtime_or_fail())


@kopf.on.delete(contract.GROUP, contract.VERSION, contract.PLURAL)
def on_delete(body, namespace, patch, **_) -> None:
    reconcile_object(_plain(body), namespace, patch, deleting=True, runtime=_runtime_or_fail())
