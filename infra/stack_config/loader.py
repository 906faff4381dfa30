"""Reading the stack's configuration from Pulumi and validating it into a `StackConfig`.

The same function runs under `pulumi up` (config from the engine) and under the offline plan (config
from the stack file, set by the runner): one code path.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config
from pydantic import ValidationError

from infra.stack_config.cluster_layer import ClusterStackConfig
from infra.stack_config.connections import budget_errors
from infra.stack_config.errors import NAMESPACE, ConfigError, config_key, describe_errors
from infra.stack_config.models import StackConfig

# `layer` picks the schema: environment stacks (Langfuse and its data tier) or the cluster layer
# (operators and storage, applied first).
LAYERS: dict[str, type[StackConfig] | type[ClusterStackConfig]] = {"environment": StackConfig, "cluster": ClusterStackConfig}


def load_stack_config() -> StackConfig | ClusterStackConfig:
    """The current stack's config. Raises ConfigError (one line per bad value) before anything is created."""
    return parse_engine_config(pulumi.get_stack(), _all_config())


def parse_engine_config(stack: str, config: Mapping[str, Any]) -> StackConfig | ClusterStackConfig:
    """A stack's config from the engine's key/value form ("langfuse-rosa:key" -> value, objects JSON-encoded),
    e.g. a stack file read outside a Pulumi run."""
    return parse_stack_config(stack, _namespace_values(config))


def parse_stack_config(stack: str, values: Mapping[str, Any]) -> StackConfig | ClusterStackConfig:
    layer = values.get("layer", "environment")
    model = LAYERS.get(layer) if isinstance(layer, str) else None
    if model is None:
        allowed = " or ".join(repr(name) for name in LAYERS)
        raise ConfigError(stack, [f"stack '{stack}': {config_key(('layer',))} = {layer!r} is invalid: input should be {allowed}"])
    try:
        config = model.model_validate(dict(values))
    except ValidationError as error:
        raise ConfigError(stack, describe_errors(stack, error, model)) from None
    if isinstance(config, StackConfig) and (problems := budget_errors(stack, config)):
        raise ConfigError(stack, problems)
    return config


def _all_config() -> dict[str, Any]:
    # The engine hands config to the program either through PULUMI_CONFIG or through set_all_config;
    # Pulumi's Config class reads single keys only, so merge both sources to see every key (and reject
    # unknown ones).
    merged = dict(runtime_config.get_config_env())
    merged.update(runtime_config.CONFIG.get())
    return merged


def _namespace_values(config: Mapping[str, Any]) -> dict[str, Any]:
    prefix = f"{NAMESPACE}:"
    return {key[len(prefix):]: _decode(raw) for key, raw in config.items() if key.startswith(prefix)}


def _decode(raw: Any) -> Any:
    # Structured values arrive JSON-encoded; plain strings stay strings.
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw
    return raw
