"""The JSON Schema of a stack file (`stacks/Pulumi.<stack>.yaml`), generated from the config models, for editors'
completion and checking (`# yaml-language-server: $schema=...`) and any tool that validates YAML against a schema.
Committed as schemas/stack-config.schema.json; a test keeps it current and validates every stack file with it.

The loader (infra/stack_config/loader.py) stays the authority: its checks across fields (a quorum below a majority,
connection budgets, ...) have no JSON Schema form, and its messages are what a wrong value gets."""

from __future__ import annotations

import json
from typing import Any

from pydantic.json_schema import models_json_schema

from infra.stack_config.cluster_layer import ClusterStackConfig
from infra.stack_config.errors import NAMESPACE
from infra.stack_config.models import StackConfig

SCHEMA_PATH = ("schemas", "stack-config.schema.json")
SCHEMA_ID = "https://github.com/acme/langfuse-rosa/schemas/stack-config.schema.json"


def stack_file_schema() -> dict[str, Any]:
    (keys, schema) = models_json_schema(
        [(StackConfig, "validation"), (ClusterStackConfig, "validation")], by_alias=True, ref_template="#/$defs/{model}"
    )
    definitions = schema["$defs"]
    environment, cluster = (
        definitions.pop(keys[(model, "validation")]["$ref"].rsplit("/", 1)[1]) for model in (StackConfig, ClusterStackConfig)
    )
    config = {
        "if": {"properties": {f"{NAMESPACE}:layer": {"const": "cluster"}}, "required": [f"{NAMESPACE}:layer"]},
        "then": _namespaced(cluster),
        "else": _namespaced(environment),
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "langfuse-rosa stack file",
        "description": "stacks/Pulumi.<stack>.yaml: an environment stack (layer: environment, the default) or a cluster layer stack (layer: cluster). Generated from infra/stack_config (langfuse-rosa config-schema).",
        "type": "object",
        "properties": {
            "config": {"type": "object", **config},
            # Written by `pulumi stack init --secrets-provider ...` (Pulumi's ProjectStack fields).
            "secretsprovider": {
                "type": "string",
                "description": "the stack's secrets provider, e.g. awskms://alias/pulumi-langfuse-rosa?region=eu-west-1",
            },
            "encryptedkey": {"type": "string"},
            "encryptionsalt": {"type": "string"},
        },
        "additionalProperties": False,
        "$defs": definitions,
    }


def _namespaced(model_schema: dict[str, Any]) -> dict[str, Any]:
    """A top-level model's schema with its keys as a stack file writes them: `langfuse-rosa:<key>`."""
    return {
        "description": model_schema.get("description", ""),
        "properties": {f"{NAMESPACE}:{key}": value for key, value in model_schema["properties"].items()},
        "required": [f"{NAMESPACE}:{key}" for key in model_schema.get("required", [])],
        "additionalProperties": False,
    }


def stack_file_schema_text() -> str:
    return json.dumps(stack_file_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
