"""Crash-and-resume: the reconcile is killed after any step (the status of an unfinished pass is lost, as it
is when kopf's pod dies before patching), then resumes. Whatever the crash points, the end state has one
project for the namespace, exactly the keys the status names (no duplicate, no orphan), and a Secret whose
key Langfuse accepts — or, off-boarded, no key and no Secret."""

from __future__ import annotations

import itertools
from datetime import timedelta

from conftest import Clock, MemorySecrets, Tenant, make_runtime
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langfuse_incluster import contract
from langfuse_incluster.controller.reconcile import METADATA_MANAGED_BY, key_note
from standin_langfuse import StandInLangfuse


class Crash(Exception):
    pass


def _killer(after: int):
    steps = itertools.count(1)

    def after_step(action):
        if next(steps) >= after:
            raise Crash(action)

    return after_step


SCENARIOS = ("onboard", "rotate-by-age", "rotate-by-annotation", "change-retention", "disable", "delete", "delete-with-policy")

_server = StandInLangfuse()
_url = _server.start()
_namespaces = itertools.count()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scenario=st.sampled_from(SCENARIOS), crashes=st.lists(st.integers(min_value=1, max_value=8), min_size=1, max_size=3))
def test_killed_after_any_step_the_reconcile_resumes_to_a_clean_end_state(scenario, crashes):
    clock = Clock()
    _server.clock = clock
    _server.url = _url
    secrets = MemorySecrets()
    runtime = make_runtime(_server, secrets, clock)
    namespace = f"project-{next(_namespaces):04d}"
    t = Tenant(namespace, runtime, clock, spec={"enabled": True, "retentionDays": 30})
    deleting = False
    if scenario != "onboard":
        t.reconcile()
        match scenario:
            case "rotate-by-age":
                clock.advance(timedelta(days=31))
            case "rotate-by-annotation":
                t.annotations[contract.ROTATE_ANNOTATION] = "now"
            case "change-retention":
                t.set_spec(enabled=True, retentionDays=90)
            case "disable":
                t.set_spec(enabled=False)
            case "delete":
                deleting = True
            case "delete-with-policy":
                t.set_spec(enabled=True, retentionDays=30, deletionPolicy="Delete")
                deleting = True
    for after in crashes:
        try:
            t.reconcile(deleting=deleting, after_step=_killer(after))
        except Crash:
            pass
    t.reconcile(deleting=deleting)
    t.reconcile(deleting=deleting)  # settled: a further pass changes nothing
    writes = len(_server.writes())
    t.reconcile(deleting=deleting)
    assert len(_server.writes()) == writes

    ours = [p for p in _server.projects.values() if p.metadata == {"managedBy": METADATA_MANAGED_BY, "namespace": namespace}]
    live = [p for p in ours if not p.deleted]
    keys = {k.id for k in _server.keys.values() if k.note == key_note(namespace)}
    assert len(ours) == 1
    if deleting or scenario == "disable":
        assert keys == set() and namespace not in secrets.objects
        assert len(live) == (0 if scenario == "delete-with-policy" else 1)
        return
    [project] = live
    assert t.status["projectId"] == project.id
    assert keys == {t.status["currentKey"]["id"], *(k["id"] for k in t.status.get("retiringKeys", []))}
    assert len(keys) <= 2 and (len(keys) == 1 or scenario.startswith("rotate"))
    data = secrets.objects[namespace]["stringData"]
    assert data[contract.PUBLIC_KEY] == t.status["currentKey"]["publicKey"]
    assert _server.authenticates(data[contract.PUBLIC_KEY], data[contract.SECRET_KEY])
    assert project.retention_days == (90 if scenario == "change-retention" else 30)
    assert _server.violations == []
