"""The tenant controller against the stand-in Langfuse (every request and response checked against Langfuse's
OpenAPI spec): onboarding, licence modes, errors, bad input, off-boarding."""

from __future__ import annotations

from datetime import timedelta

import kopf
import pytest
from conftest import PUBLIC_HOST, Tenant, make_runtime
from langfuse_incluster import contract
from langfuse_incluster.controller.reconcile import METADATA_MANAGED_BY, key_note


def _our_keys(standin, namespace):
    return [k for k in standin.keys.values() if k.note == key_note(namespace)]


def test_a_new_project_namespace_gets_its_own_project_and_key_in_two_calls(standin, secrets, tenant):
    foo = tenant("project-foo", retentionDays=30)
    foo.reconcile()
    [project] = standin.projects.values()
    assert (project.name, project.retention_days) == ("project-foo", 30)
    assert project.metadata == {"managedBy": METADATA_MANAGED_BY, "namespace": "project-foo"}
    [key] = _our_keys(standin, "project-foo")
    secret = secrets.objects["project-foo"]["stringData"]
    assert (secret[contract.PUBLIC_KEY], secret[contract.HOST], secret[contract.BASE_URL]) == (key.public_key, PUBLIC_HOST, PUBLIC_HOST)
    assert standin.authenticates(secret[contract.PUBLIC_KEY], secret[contract.SECRET_KEY])
    assert foo.status["projectId"] == project.id and foo.status["currentKey"]["id"] == key.id
    assert foo.condition("Ready")["status"] == "True" and foo.condition("Isolated")["status"] == "True"
    assert [(c.method, c.path) for c in standin.calls] == [("POST", "/api/public/projects"), ("POST", f"/api/public/projects/{project.id}/apiKeys")]
    assert ("Normal", "ProjectCreated") in [(t, r) for t, r, _ in foo.events]
    assert "sk-lf-" not in str(foo.status) and all("sk-lf-" not in m for _, _, m in foo.events)


def test_steady_state_costs_no_call_and_no_write(standin, secrets, tenant):
    foo = tenant()
    foo.reconcile()
    calls, patches, writes = len(standin.calls), foo.patches, len(secrets.writes)
    foo.reconcile()
    foo.reconcile()
    assert (len(standin.calls), foo.patches, len(secrets.writes)) == (calls, patches, writes)


def test_without_the_admin_api_entitlement_langfuse_answers_403_and_nothing_is_created(standin, secrets, tenant):
    standin.plan = "self-hosted:pro"  # a langfuse_pro_ licence: no admin-api
    foo = tenant()
    foo.reconcile()
    assert standin.projects == {} and secrets.objects == {}
    ready = foo.condition("Ready")
    assert (ready["status"], ready["reason"]) == ("False", "Forbidden")
    assert "This feature is not available on your current plan." in ready["message"]
    assert ("Warning", "Forbidden") in [(t, r) for t, r, _ in foo.events]


def test_a_project_left_by_a_crash_is_adopted_after_the_409(standin, secrets, tenant):
    leftover = standin.add_project("project-foo", metadata={"managedBy": METADATA_MANAGED_BY, "namespace": "project-foo"})
    foo = tenant()
    foo.reconcile()
    assert [c.status for c in standin.calls][:2] == [409, 200]
    assert len(standin.projects) == 1 and foo.status["projectId"] == leftover.id
    assert foo.condition("Ready")["status"] == "True"


def test_a_foreign_project_with_the_namespace_s_name_is_not_taken(standin, secrets, tenant):
    standin.add_project("project-foo", metadata={"owner": "someone"})
    foo = tenant()
    foo.reconcile()
    assert foo.condition("Ready")["reason"] == "ProjectNameTaken" and secrets.objects == {}
    assert standin.writes() == [standin.calls[0]]  # the refused create only


def test_429_and_5xx_are_retried_by_kopf_with_backoff(standin, secrets, tenant):
    foo = tenant()
    standin.fail_next(429)
    with pytest.raises(kopf.TemporaryError) as raised:
        foo.reconcile()
    assert raised.value.delay == 30  # Retry-After: 0 gives kopf's default delay, never a hot loop
    standin.fail_next(500)
    with pytest.raises(kopf.TemporaryError):
        foo.reconcile()
    assert foo.status == {}
    foo.reconcile()
    assert len(standin.projects) == 1 and len(_our_keys(standin, "project-foo")) == 1


def test_the_sdk_s_own_retries_absorb_a_passing_429(standin, secrets, clock):
    runtime = make_runtime(standin, secrets, clock)
    runtime.langfuse._options = {"max_retries": 2}
    standin.fail_next(429)
    foo = Tenant("project-foo", runtime, clock, spec={"enabled": True})
    foo.reconcile()
    assert [c.status for c in standin.calls] == [429, 201, 201]


def test_shared_mode_hands_out_the_shared_project_s_key_and_says_it_is_not_isolated(standin, secrets, clock):
    standin.plan = "oss"
    shared = standin.add_project("Provisioned Project", retention_days=None)
    shared_key = standin.add_key(shared.id)  # as LANGFUSE_INIT_PROJECT_PUBLIC_KEY / _SECRET_KEY create it
    runtime = make_runtime(standin, secrets, clock, mode="shared", key=(shared_key.public_key, shared_key.secret_key))
    foo = Tenant("project-foo", runtime, clock, spec={"enabled": True, "retentionDays": 30})
    bar = Tenant("project-bar", runtime, clock, spec={"enabled": True})
    foo.reconcile()
    bar.reconcile()
    for t in (foo, bar):
        assert secrets.objects[t.namespace]["stringData"][contract.PUBLIC_KEY] == shared_key.public_key
        assert (t.status["isolated"], t.status["projectId"]) == (False, shared.id)
        isolated = t.condition("Isolated")
        assert (isolated["status"], isolated["reason"]) == ("False", "NoEnterpriseLicence")
        assert t.condition("Ready")["status"] == "True"
    retention = foo.condition("RetentionApplied")
    assert (retention["status"], retention["reason"]) == ("False", "RetentionNotEntitled")
    assert "Enterprise" in retention["message"] and ("Warning", "RetentionNotEntitled") in [(t, r) for t, r, _ in foo.events]
    assert standin.writes() == [] and len(standin.calls) == 1  # one read of the shared project, cached
    assert len(standin.projects) == 1


def test_disabling_removes_keys_and_secret_but_keeps_the_project(standin, secrets, tenant):
    foo = tenant()
    foo.reconcile()
    foo.set_spec(enabled=False)
    foo.reconcile()
    assert _our_keys(standin, "project-foo") == [] and "project-foo" not in secrets.objects
    [project] = standin.projects.values()
    assert not project.deleted and foo.status["projectId"] == project.id
    assert foo.condition("Ready")["reason"] == "Disabled" and "kept" in foo.condition("Ready")["message"]
    foo.set_spec(enabled=True)  # back on: the same project, a new key
    foo.reconcile()
    assert len(standin.projects) == 1 and len(_our_keys(standin, "project-foo")) == 1


def test_deleting_projectsettings_removes_keys_and_secret_and_deletes_the_project_only_by_policy(standin, secrets, tenant):
    foo, bar = tenant("project-foo"), tenant("project-bar", deletionPolicy="Delete")
    foo.reconcile()
    bar.reconcile()
    foo.reconcile(deleting=True)
    bar.reconcile(deleting=True)
    assert secrets.objects == {} and _our_keys(standin, "project-foo") == _our_keys(standin, "project-bar") == []
    by_name = {p.name: p for p in standin.projects.values()}
    assert not by_name["project-foo"].deleted and by_name["project-bar"].deleted


def test_a_key_added_by_a_person_is_never_deleted(standin, secrets, tenant):
    foo = tenant()
    foo.reconcile()
    human = standin.add_key(foo.status["projectId"], note="my laptop")
    foo.reconcile(deleting=True)
    assert list(standin.keys) == [human.id]


@pytest.mark.parametrize(
    ("namespace", "spec", "reason", "needle"),
    [
        ("ab", {}, "InvalidProjectName", "3-60 characters"),
        ("p" * 61, {}, "InvalidProjectName", "3-60 characters"),
        ("project-foo", {"retentionDays": 1}, "InvalidRetention", "0 (keep forever) or at least 3 days"),
        ("project-foo", {"retentionDays": 2}, "InvalidRetention", "at least 3 days"),
        ("project-foo", {"projectId": "proj-unknown"}, "ProjectNotFound", "organisation key can see"),
        ("project-foo", {"rotationDays": 0}, "InvalidSpec", "rotationDays"),
    ],
)
def test_bad_input_is_a_condition_and_an_event_and_changes_nothing(standin, secrets, tenant, namespace, spec, reason, needle):
    t = tenant(namespace, **spec)
    t.reconcile()
    ready = t.condition("Ready")
    assert (ready["status"], ready["reason"]) == ("False", reason) and needle in ready["message"]
    assert [(ty, r) for ty, r, _ in t.events] == [("Warning", reason)]
    assert standin.writes() == [] and secrets.objects == {}


def test_bad_input_on_a_working_tenant_deletes_nothing(standin, secrets, tenant):
    foo = tenant()
    foo.reconcile()
    before_keys, before_secret = dict(standin.keys), dict(secrets.objects)
    for spec in ({"enabled": True, "retentionDays": 2}, {"enabled": True, "projectId": "proj-unknown"}):
        foo.set_spec(**spec)
        foo.reconcile()
        assert foo.condition("Ready")["status"] == "False"
        assert standin.keys == before_keys and secrets.objects == before_secret and standin.authenticates(
            before_secret["project-foo"]["stringData"][contract.PUBLIC_KEY], before_secret["project-foo"]["stringData"][contract.SECRET_KEY]
        )


def test_a_foreign_langfuse_keys_secret_is_left_alone(standin, secrets, tenant):
    secrets.put_foreign("project-foo")
    foo = tenant()
    foo.reconcile()
    assert foo.condition("Ready")["reason"] == "SecretConflict" and ("Warning", "SecretConflict") in [(t, r) for t, r, _ in foo.events]
    assert secrets.objects["project-foo"]["stringData"][contract.PUBLIC_KEY] == "pk-lf-someone-elses"
    assert standin.calls == []
    foo.reconcile(deleting=True)
    assert "project-foo" in secrets.objects  # not ours: never deleted


def test_adopting_an_existing_project_and_changing_retention(standin, secrets, tenant):
    existing = standin.add_project("team-observability", retention_days=7)
    foo = tenant(projectId=existing.id, retentionDays=14)
    foo.reconcile()
    assert len(standin.projects) == 1 and foo.status["projectId"] == existing.id and existing.retention_days == 14
    assert foo.condition("RetentionApplied")["status"] == "True"
    foo.set_spec(enabled=True, projectId=existing.id, retentionDays=90)
    foo.reconcile()
    assert existing.retention_days == 90 and [c.method for c in standin.writes()][-1] == "PUT"


def test_the_rotate_annotation_rotates_now_and_keeps_the_old_key_for_the_overlap(standin, secrets, tenant, clock):
    foo = tenant()
    foo.reconcile()
    first = foo.status["currentKey"]
    foo.annotations[contract.ROTATE_ANNOTATION] = "2026-09-01T10:00"
    foo.reconcile()
    second = foo.status["currentKey"]
    assert second["id"] != first["id"] and [k["id"] for k in foo.status["retiringKeys"]] == [first["id"]]
    assert {k.id for k in _our_keys(standin, "project-foo")} == {first["id"], second["id"]}
    foo.reconcile()
    assert foo.status["currentKey"]["id"] == second["id"]  # acted on once
    clock.advance(timedelta(hours=49))
    foo.reconcile()
    assert {k.id for k in _our_keys(standin, "project-foo")} == {second["id"]} and foo.status.get("retiringKeys", []) == []
