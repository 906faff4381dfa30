"""Langfuse's scheduled blob exports, configured through the blob-storage integration API against the stand-in
(every request and response checked against Langfuse's OpenAPI spec): by the controller for each project it
creates, and by the Job for the shared project."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Tenant, make_runtime
from langfuse_incluster import contract
from langfuse_incluster.blob_exports import ExportTarget, target_from_environment
from langfuse_incluster.blob_exports.__main__ import configure
from langfuse_incluster.controller.reconcile import LangfuseError
from standin_blob_storage import integrations
from test_written_objects import SCHEMA, _pruned

from infra.offline_plan.validation import SchemaCatalog

ROOT = Path(__file__).resolve().parents[2]
TARGET = ExportTarget("acme-langfuse-prod-exports", "eu-west-1", "analytics/", "hourly")
EXPORT_PATH = "/api/public/integrations/blob-storage"


@pytest.fixture
def exporting(standin, secrets, clock):
    runtime = make_runtime(standin, secrets, clock, export=TARGET)
    return lambda namespace="project-foo", **spec: Tenant(namespace, runtime, clock, spec={"enabled": True, **spec})


def _export_calls(standin) -> list[tuple[str, str, int]]:
    return [(c.method, c.path, c.status) for c in standin.calls if c.path.startswith(EXPORT_PATH)]


def test_a_new_project_is_exported_as_parquet_by_the_worker_s_own_role(standin, exporting):
    foo = exporting()
    foo.reconcile()
    project_id = foo.status["projectId"]
    integration = integrations(standin)[project_id]
    assert integration.history == [{
        "projectId": project_id, "type": "S3", "bucketName": "acme-langfuse-prod-exports", "region": "eu-west-1", "prefix": "analytics/",
        "exportFrequency": "hourly", "enabled": True, "forcePathStyle": False, "fileType": "PARQUET", "exportMode": "FULL_HISTORY",
        "exportSource": "OBSERVATIONS_V2",
    }]
    # No access key: Langfuse uses the worker's default AWS credential chain (its IAM role).
    assert integration.body["accessKeyId"] is None and integration.body["endpoint"] is None
    assert _export_calls(standin) == [("PUT", EXPORT_PATH, 200)]
    condition = foo.condition("ExportsConfigured")
    assert (condition["status"], condition["reason"]) == ("True", "Configured")
    assert condition["message"] == f"Langfuse exports project {project_id}: PARQUET hourly into s3://acme-langfuse-prod-exports/analytics/<projectId>/"
    assert foo.condition("Ready")["status"] == "True"
    assert ("Normal", "ExportConfigured") in [(t, r) for t, r, _ in foo.events]


def test_once_accepted_nothing_is_called_until_the_target_changes(standin, secrets, clock, exporting):
    foo = exporting()
    foo.reconcile()
    calls = len(standin.calls)
    foo.reconcile()
    assert len(standin.calls) == calls
    daily = ExportTarget(TARGET.bucket, TARGET.region, TARGET.prefix, "daily")
    foo.runtime = make_runtime(standin, secrets, clock, export=daily)
    foo.reconcile()
    assert _export_calls(standin)[-1] == ("PUT", EXPORT_PATH, 200)
    assert integrations(standin)[foo.status["projectId"]].body["exportFrequency"] == "daily"


def test_a_refused_export_is_its_own_condition_and_the_keys_stay_ready(standin, secrets, clock):
    no_slash = ExportTarget(TARGET.bucket, TARGET.region, "analytics", TARGET.frequency)  # Langfuse wants "" or ".../"
    foo = Tenant("project-foo", make_runtime(standin, secrets, clock, export=no_slash), clock, spec={"enabled": True})
    foo.reconcile()
    exported = foo.condition("ExportsConfigured")
    assert (exported["status"], exported["reason"]) == ("False", "ExportRefused")
    assert exported["message"] == "Langfuse refused the blob export: Langfuse answered 400: Invalid request data"
    assert foo.condition("Ready")["status"] == "True" and "exportConfig" not in foo.status
    assert ("Warning", "ExportRefused") in [(t, r) for t, r, _ in foo.events]
    assert integrations(standin) == {}
    foo.runtime = make_runtime(standin, secrets, clock, export=TARGET)
    foo.reconcile()  # the next pass tries again, with the corrected target
    assert foo.condition("ExportsConfigured")["status"] == "True"


def test_off_boarding_removes_the_export_the_controller_configured(standin, exporting):
    foo = exporting()
    foo.reconcile()
    project_id = foo.status["projectId"]
    foo.set_spec(enabled=False)
    foo.reconcile()
    assert project_id not in integrations(standin)
    assert ("DELETE", f"{EXPORT_PATH}/{project_id}", 200) in _export_calls(standin)
    assert "exportConfig" not in foo.status and not [c for c in foo.status["conditions"] if c["type"] == "ExportsConfigured"]
    assert standin.projects[project_id].deleted is False  # Retain: only what the controller configured goes


def test_the_written_status_validates_against_the_extended_crd_and_nothing_is_pruned(standin, exporting):
    foo = exporting()
    foo.reconcile()
    result = SchemaCatalog(ROOT / "schemas", allowlist={}).validate(foo.body())
    assert result.errors == (), result.errors
    assert _pruned(foo.body()["status"], SCHEMA["properties"]["status"]) == []


def test_in_shared_mode_the_controller_leaves_the_export_to_the_job(standin, secrets, clock):
    project = standin.add_project("Provisioned Project")
    key = standin.add_key(project.id)
    runtime = make_runtime(standin, secrets, clock, mode="shared", key=(key.public_key, key.secret_key), export=TARGET)
    Tenant("project-foo", runtime, clock, spec={"enabled": True}).reconcile()
    assert _export_calls(standin) == []


def _job_env(standin, shared_key, org_key) -> dict[str, str]:
    return {
        contract.ENV_LANGFUSE_API_URL: standin.url,
        contract.ENV_SHARED_PUBLIC_KEY: shared_key[0], contract.ENV_SHARED_SECRET_KEY: shared_key[1],
        contract.ENV_ORG_PUBLIC_KEY: org_key[0], contract.ENV_ORG_SECRET_KEY: org_key[1],
        contract.ENV_EXPORT_BUCKET: TARGET.bucket, contract.ENV_EXPORT_REGION: TARGET.region,
        contract.ENV_EXPORT_PREFIX: TARGET.prefix, contract.ENV_EXPORT_FREQUENCY: TARGET.frequency,
    }


def test_the_job_configures_the_shared_project_once(standin):
    standin.plan = "oss"  # no licence: blob exports are on every edition
    project = standin.add_project("Provisioned Project")
    key = standin.add_key(project.id)
    env = _job_env(standin, (key.public_key, key.secret_key), standin.org_key)
    assert configure(env) == f"project Provisioned Project ({project.id}) now exports {TARGET.describe()}"
    assert integrations(standin)[project.id].history == [TARGET.request(project.id)]
    assert configure(env) == f"project Provisioned Project ({project.id}) already exports {TARGET.describe()}"
    assert [m for m, _, _ in _export_calls(standin)] == ["GET", "PUT", "GET"]


def test_the_job_refuses_a_project_key_where_the_organisation_key_belongs(standin):
    project = standin.add_project("Provisioned Project")
    key = standin.add_key(project.id)
    with pytest.raises(LangfuseError, match="Organization-scoped API key required for this operation."):
        configure(_job_env(standin, (key.public_key, key.secret_key), (key.public_key, key.secret_key)))
    assert integrations(standin) == {}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({contract.ENV_EXPORT_BUCKET: "b"}, "LANGFUSE_EXPORT_REGION, LANGFUSE_EXPORT_PREFIX, LANGFUSE_EXPORT_FREQUENCY required with LANGFUSE_EXPORT_BUCKET"),
        ({contract.ENV_EXPORT_BUCKET: "b", contract.ENV_EXPORT_REGION: "r", contract.ENV_EXPORT_PREFIX: "analytics", contract.ENV_EXPORT_FREQUENCY: "hourly"},
         "LANGFUSE_EXPORT_PREFIX='analytics' must end with '/'"),
        ({contract.ENV_EXPORT_BUCKET: "b", contract.ENV_EXPORT_REGION: "r", contract.ENV_EXPORT_PREFIX: "a/", contract.ENV_EXPORT_FREQUENCY: "minutely"},
         "LANGFUSE_EXPORT_FREQUENCY='minutely'; allowed: every_20_minutes, hourly, daily, weekly"),
    ],
)
def test_bad_export_settings_stop_the_process_with_one_line(env, message):
    with pytest.raises(SystemExit, match=message.replace("(", r"\(").replace(")", r"\)")):
        target_from_environment(env)
    assert target_from_environment({}) is None
