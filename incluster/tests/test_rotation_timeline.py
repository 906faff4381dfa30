"""Rotation on a controlled clock: 100 days, the controller's timer every hour, rotation every 30 days and a
48-hour overlap. After every single step of every pass, and at every tick, the Secret holds a key Langfuse
accepts; old keys go only after the overlap; the exported key age never outlives rotation by more than a tick."""

from __future__ import annotations

from datetime import datetime, timedelta

from langfuse_incluster import contract
from langfuse_incluster.controller.reconcile import key_note
from prometheus_client import generate_latest


def _secret_key_is_valid(standin, secrets, namespace) -> bool:
    data = secrets.objects[namespace]["stringData"]
    return standin.authenticates(data[contract.PUBLIC_KEY], data[contract.SECRET_KEY])


def _key_age(runtime, namespace) -> float:
    for line in generate_latest(runtime.metrics.registry).decode().splitlines():
        if line.startswith(f'{contract.KEY_AGE_METRIC}{{{contract.TENANT_LABEL}="{namespace}"}}'):
            return float(line.split()[-1])
    raise AssertionError("no key age exported")


def test_at_every_instant_the_secret_holds_a_valid_key(standin, secrets, tenant, runtime, clock):
    foo = tenant("project-foo")
    foo.reconcile()
    tick, checks, rotations, seen_current = timedelta(hours=1), 0, 0, {foo.status["currentKey"]["id"]}

    def check_after_step(action):
        nonlocal checks
        checks += 1
        assert _secret_key_is_valid(standin, secrets, "project-foo"), f"no valid key after {action}"

    for _ in range(100 * 24):
        clock.advance(tick)
        foo.reconcile(after_step=check_after_step)
        assert _secret_key_is_valid(standin, secrets, "project-foo")
        current = foo.status["currentKey"]
        if current["id"] not in seen_current:
            seen_current.add(current["id"])
            rotations += 1
        ours = {k.id for k in standin.keys.values() if k.note == key_note("project-foo")}
        assert ours == {current["id"], *(k["id"] for k in foo.status.get("retiringKeys", []))}
        for retired in foo.status.get("retiringKeys", []):  # deleted at the first tick after the overlap
            assert clock.now - datetime.fromisoformat(retired["retiredAt"]) < timedelta(hours=48)
        assert len(ours) <= 2
        assert _key_age(runtime, "project-foo") <= timedelta(days=30).total_seconds() + tick.total_seconds()
    assert rotations == 3  # days 30, 60 and 90
    assert checks >= rotations * 3  # list, create, write Secret, delete old: each step checked


def test_an_old_key_survives_the_whole_overlap(standin, secrets, tenant, clock):
    foo = tenant("project-foo")
    foo.reconcile()
    first = foo.status["currentKey"]["id"]
    clock.advance(timedelta(days=30))
    foo.reconcile()
    assert foo.status["currentKey"]["id"] != first and first in standin.keys
    clock.advance(timedelta(hours=47, minutes=59))
    foo.reconcile()
    assert first in standin.keys  # sessions started with the old key still work
    clock.advance(timedelta(minutes=1))
    foo.reconcile()
    assert first not in standin.keys
