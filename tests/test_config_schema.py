"""The published JSON Schema of a stack file: generated from the config models (kept current here), every committed
stack file validates against it, and the bad ones a person writes fail it."""

from __future__ import annotations

import copy
import json

import jsonschema
import pytest

from infra.offline_plan.pulumi_yaml import decode_text, load
from infra.stack_config.json_schema import SCHEMA_PATH, stack_file_schema, stack_file_schema_text
from tests.conftest import project_path

STACK_FILES = [
    *sorted(project_path("stacks").glob("Pulumi.*.yaml")),
    project_path("examples", "stacks", "Pulumi.external.yaml"),
    project_path("tests", "data", "stacks", "Pulumi.tenancy.yaml"),
]


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(project_path(*SCHEMA_PATH).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _document(path) -> dict:
    # As Pulumi reads it (yaml.v3 semantics), not as PyYAML would.
    return load(decode_text(path.read_bytes()))


def test_the_committed_schema_is_generated_from_the_models():
    assert project_path(*SCHEMA_PATH).read_text() == stack_file_schema_text(), (
        "run scripts/regenerate-readme (or .venv/bin/langfuse-rosa config-schema > schemas/stack-config.schema.json)"
    )


@pytest.mark.parametrize("path", STACK_FILES, ids=lambda p: p.name)
def test_every_committed_stack_file_validates(validator, path):
    assert [e.message for e in validator.iter_errors(_document(path))] == []


def _errors(validator, document) -> list[str]:
    """Every error, with those inside anyOf branches (an optional object is `X or null`)."""
    found = []
    pending = list(validator.iter_errors(document))
    while pending:
        error = pending.pop()
        if error.context:
            pending += error.context
        else:
            found.append(f"{'/'.join(map(str, error.absolute_path))}: {error.message}")
    return sorted(found)


def test_bad_stack_files_fail(validator):
    dev = _document(project_path("stacks", "Pulumi.dev.yaml"))
    cluster = _document(project_path("stacks", "Pulumi.cluster-dev.yaml"))

    typo = copy.deepcopy(dev)
    typo["config"]["langfuse-rosa:langfuse"]["web"]["replicas"]["maximum"] = 3
    assert any("'maximum' was unexpected" in e for e in _errors(validator, typo))

    old = copy.deepcopy(dev)
    old["config"]["langfuse-rosa:cluster"]["openshiftVersion"] = "4.17"
    assert "config/langfuse-rosa:cluster/openshiftVersion: '4.17' is not one of ['4.18', '4.19', '4.20']" in _errors(
        validator, old
    )

    quoted = copy.deepcopy(dev)
    quoted["config"]["langfuse-rosa:dataTier"]["postgres"]["instances"] = "2"
    assert "config/langfuse-rosa:dataTier/postgres/instances: '2' is not of type 'integer'" in _errors(validator, quoted)

    account = copy.deepcopy(dev)
    account["config"]["langfuse-rosa:aws"]["accountId"] = 111122223333
    assert _errors(validator, account) == ["config/langfuse-rosa:aws/accountId: 111122223333 is not of type 'string'"]
    assert _errors(validator, dev) == []

    # The cluster layer has its own keys: an environment's key there is refused, and so is a missing one.
    mixed = copy.deepcopy(cluster)
    mixed["config"]["langfuse-rosa:langfuse"] = dev["config"]["langfuse-rosa:langfuse"]
    del mixed["config"]["langfuse-rosa:storage"]
    assert any("'langfuse-rosa:langfuse' was unexpected" in e for e in _errors(validator, mixed))
    assert any("'langfuse-rosa:storage' is a required property" in e for e in _errors(validator, mixed))

    assert any("'confg' was unexpected" in e for e in _errors(validator, {"confg": dev["config"]}))


def test_object_defaults_are_in_the_schema():
    schema = stack_file_schema()
    web = schema["$defs"]["WorkloadConfig"]["properties"]
    assert web["cpu"]["default"] == {"request": "2", "limit": "2"} and web["memory"]["default"] == "4Gi"


def test_the_config_reference_shows_what_leaving_out_an_object_gives():
    from infra.stack_config.reference import reference_markdown

    reference = reference_markdown()
    assert '| `langfuse-rosa:langfuse.web.cpu` | object | `{request: "2", limit: "2"}` |' in reference
    assert (
        '| `langfuse-rosa:langfuse.web.cpu.request` | CPU quantity | required; `"2"` when `langfuse.web.cpu` is left out |'
        in reference
    )
