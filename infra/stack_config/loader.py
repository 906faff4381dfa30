"""Reading the stack's configuration from Pulumi and validating it into a `StackConfig`.

The same function runs under `pulumi up` (config from the engine) and under the offline plan (config
from the stack file, set by the runner): one code path.
"""

from __future__ import annotations

import difflib
import json
import re
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
    _refuse_other_namespaces(stack, config)
    return parse_stack_config(stack, _namespace_values(config))


def parse_stack_config(stack: str, values: Mapping[str, Any]) -> StackConfig | ClusterStackConfig:
    layer = values.get("layer", "environment")
    model = LAYERS.get(layer) if isinstance(layer, str) else None
    if model is None:
        allowed = " or ".join(repr(name) for name in LAYERS)
        raise ConfigError(stack, [f"stack '{stack}': {config_key(('layer',))} = {layer!r} is invalid: input should be {allowed}"])
    go_times = [f"stack '{stack}': {config_key(path)} = {text!r} is invalid: {GO_TIME_HINT}" for path, text in _go_times(values)]
    if go_times:
        raise ConfigError(stack, go_times)
    try:
        config = model.model_validate(dict(values))
    except ValidationError as error:
        raise ConfigError(stack, describe_errors(stack, error, model)) from None
    if isinstance(config, StackConfig) and (problems := budget_errors(stack, config)):
        raise ConfigError(stack, problems)
    return config


# Pulumi turns an unquoted YAML timestamp into Go's time.String() text (sdk/go/common/resource/config/object.go,
# unmarshalObject: `case time.Time: newObject(v.String())`), whose zone name depends on the deploying machine.
# No key of this project takes that form, so wherever it appears it was meant as something else.
_GO_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? [+-]\d{4} \S+$")
GO_TIME_HINT = "an unquoted YAML timestamp, which Pulumi hands the program as Go time text: quote the value in the stack file"


def _go_times(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], str]]:
    if isinstance(value, str):
        return [(path, value)] if _GO_TIME.match(value) else []
    if isinstance(value, Mapping):
        return [found for key, item in value.items() for found in _go_times(item, (*path, key))]
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in _go_times(item, (*path, index))]
    return []


# The program's AWS and Kubernetes providers are explicit (infra/program.py), and Pulumi configures only default
# providers from `<package>:` keys (docs/architecture/providers/default.md in pulumi/pulumi); the random
# provider, the only default one, has no settings. So any namespace but the project's is read by nothing.
def _refuse_other_namespaces(stack: str, config: Mapping[str, Any]) -> None:
    lines = []
    for key in sorted(config):
        namespace = key.split(":", 1)[0] if ":" in key else ""
        if namespace == NAMESPACE:
            continue
        close = difflib.get_close_matches(namespace, [NAMESPACE], n=1, cutoff=0.6)
        hint = f"did you mean {NAMESPACE}:?" if close else f"keys of this project go under {NAMESPACE}:"
        lines.append(
            f"stack '{stack}': {key} is not read by anything: {hint} (the AWS and Kubernetes providers are explicit, "
            f"configured from {NAMESPACE}:cluster and {NAMESPACE}:aws, so aws: and kubernetes: keys would be ignored)"
        )
    if lines:
        raise ConfigError(stack, lines)


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
