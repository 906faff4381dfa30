"""Every object the controller writes validates as the offline plan validates: the langfuse-keys Secrets
against Kubernetes' own schemas (kubernetes-validate, strict, every supported version), and ProjectSettings
carrying the status the controller patched against the extended CRD (schemas/crds/vteam.ambient-code)."""

from __future__ import annotations

import copy
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import Tenant, make_runtime
from langfuse_incluster import contract

from infra.offline_plan.validation import SchemaCatalog

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def catalog() -> SchemaCatalog:
    return SchemaCatalog(ROOT / "schemas", allowlist={})


def _statuses_of_every_kind(standin, secrets, clock, tenant) -> list[Tenant]:
    ready, rotated, refused, disabled = tenant("project-ready", retentionDays=30), tenant("project-rotated"), tenant("ab"), tenant("project-off")
    for t in (ready, rotated, refused, disabled):
        t.reconcile()
    rotated.annotations[contract.ROTATE_ANNOTATION] = "1"
    rotated.reconcile()
    disabled.set_spec(enabled=False)
    disabled.reconcile()
    shared_project = standin.add_project("Provisioned Project")
    shared_key = standin.add_key(shared_project.id)
    runtime = make_runtime(standin, secrets, clock, mode="shared", key=(shared_key.public_key, shared_key.secret_key))
    shared = Tenant("project-shared", runtime, clock, spec={"enabled": True, "retentionDays": 14})
    shared.reconcile()
    clock.advance(timedelta(days=1))
    return [ready, rotated, refused, disabled, shared]


def test_every_secret_and_status_the_controller_writes_validates(catalog, standin, secrets, clock, tenant):
    tenants = _statuses_of_every_kind(standin, secrets, clock, tenant)
    assert len(secrets.writes) >= 4
    for manifest in secrets.writes:
        result = catalog.validate(manifest)
        assert result.errors == () and result.validated_with.startswith("kubernetes 1.31.0"), result
    for t in tenants:
        result = catalog.validate(t.body())
        assert result.errors == (), (t.namespace, result.errors)
        assert result.validated_with == "schemas/crds/vteam.ambient-code/projectsettings_v1alpha1.json"


def test_the_extended_crd_refuses_what_the_controller_must_never_write(catalog, standin, secrets, clock, tenant):
    t = tenant("project-ready")
    t.reconcile()
    body = t.body()
    bad_condition = copy.deepcopy(body)
    bad_condition["status"]["langfuse"]["conditions"][0]["status"] = "Maybe"
    unknown_field = copy.deepcopy(body)
    unknown_field["status"]["langfuse"]["currentKey"]["secretKey"] = "sk-lf-never-in-status"
    bad_spec = copy.deepcopy(body)
    bad_spec["spec"]["langfuse"]["deletionPolicy"] = "Purge"
    assert any("'Maybe' is not one of" in e for e in catalog.validate(bad_condition).errors)
    assert catalog.validate(bad_spec).errors
    assert _pruned(unknown_field["status"], SCHEMA["properties"]["status"]) == ["status.langfuse.currentKey.secretKey"]


SCHEMA = __import__("json").loads((ROOT / "schemas/crds/vteam.ambient-code/projectsettings_v1alpha1.json").read_text())


def _pruned(value, schema, where="status") -> list[str]:
    """Fields the API server would prune (structural schemas drop what they do not declare)."""
    if isinstance(value, dict) and "properties" in schema:
        found = []
        for key, item in value.items():
            if key not in schema["properties"]:
                found.append(f"{where}.{key}")
            else:
                found += _pruned(item, schema["properties"][key], f"{where}.{key}")
        return found
    if isinstance(value, list) and "items" in schema:
        return [f for item in value for f in _pruned(item, schema["items"], where)]
    return []


def test_nothing_the_controller_writes_would_be_pruned(standin, secrets, clock, tenant):
    for t in _statuses_of_every_kind(standin, secrets, clock, tenant):
        assert _pruned(t.body()["status"], SCHEMA["properties"]["status"]) == []
        assert _pruned(t.body()["spec"], SCHEMA["properties"]["spec"], "spec") == []
