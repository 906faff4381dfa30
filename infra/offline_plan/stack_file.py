"""Reading `stacks/Pulumi.<stack>.yaml` into the config map the Pulumi engine would hand the program.

The YAML is read as Pulumi reads it (pulumi_yaml); the values become the text the engine passes to the Python
language host (PULUMI_CONFIG: every value a string, objects and non-string scalars as Go JSON), so the program's
config loader sees the same strings offline and under `pulumi up`.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.offline_plan.pulumi_yaml import GoTime, YamlError, decode_text, load

PROJECT = "langfuse-rosa"
# Offline there is no secrets provider to decrypt `secure:` values with, so the program sees this
# placeholder, marked secret, as it would see the decrypted value under `pulumi up`.
SECRET_PLACEHOLDER = "[secret]"
# The fields of Pulumi's ProjectStack (sdk/go/common/workspace/project.go). Pulumi ignores any other top-level
# key, so a misspelt `confg:` would leave the stack without config: refused here instead. `environment:` imports
# Pulumi ESC environments, whose values the offline plan cannot read: refused too.
STACK_FILE_KEYS = ("config", "secretsprovider", "encryptedkey", "encryptionsalt")
# Pulumi's stack names (sdk/go/common/tokens/stack_name.go, ParseStackName): 1-100 of these characters.
STACK_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


class StackFileError(Exception):
    """The stack file is missing or is not a Pulumi stack file. The message is one line."""


@dataclass(frozen=True)
class StackFile:
    stack: str
    config: dict[str, str]  # "namespace:key" -> value as the engine passes it (objects JSON-encoded)
    secret_keys: list[str]
    secrets_provider: str | None = None  # `secretsprovider:` as `pulumi stack init --secrets-provider` wrote it


def check_stack_name(stack: str) -> None:
    if not STACK_NAME.match(stack):
        raise StackFileError(
            f"stack {stack!r} is not a stack name Pulumi accepts: 1-100 letters, digits, '-', '_' and '.'"
        )


def known_stacks(stacks_dir: Path) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in stacks_dir.glob("Pulumi.*.yaml") if p.is_file())


def read_stack_file(stacks_dir: Path, stack: str) -> StackFile:
    check_stack_name(stack)
    path = stacks_dir / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        raise StackFileError(
            f"stack '{stack}': no stack file {path} (known stacks: {', '.join(known_stacks(stacks_dir)) or 'none'})"
        )
    try:
        document = load(decode_text(path.read_bytes()))
    except YamlError as error:
        raise StackFileError(f"stack '{stack}': {path.name} {error}") from None
    except OSError as error:
        raise StackFileError(f"stack '{stack}': cannot read {path}: {error.strerror}") from None
    provider = document.get("secretsprovider") if isinstance(document, dict) else None
    return StackFile(stack, *engine_config(stack, path.name, document), secrets_provider=provider if isinstance(provider, str) else None)


def engine_config(stack: str, file_name: str, document: Any) -> tuple[dict[str, str], list[str]]:
    """A decoded stack file -> (config as the engine passes it, secret keys)."""
    if document is None:  # an empty file: Pulumi reads no config
        return {}, []
    if not isinstance(document, dict):
        raise StackFileError(f"stack '{stack}': {file_name} must be a mapping with a `config:` mapping, not {_kind(document)}")
    for key in document:
        if key not in STACK_FILE_KEYS:
            hint = "Pulumi ESC environments cannot be read by the offline plan" if key == "environment" else "Pulumi would ignore it"
            raise StackFileError(f"stack '{stack}': {file_name}: top-level key {key!r} is not allowed ({hint}); allowed: {', '.join(STACK_FILE_KEYS)}")
    raw_config = document.get("config")
    if raw_config is None:
        return {}, []
    if not isinstance(raw_config, dict):
        raise StackFileError(f"stack '{stack}': {file_name}: `config:` must be a mapping of keys, not {_kind(raw_config)}")

    config: dict[str, str] = {}
    written_as: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in raw_config.items():
        full_key = _config_key(stack, file_name, key)
        if full_key in config:
            raise StackFileError(f"stack '{stack}': {file_name}: {key!r} and {written_as[full_key]!r} are the same key {full_key}")
        written_as[full_key] = key
        plain, is_secret = _reveal(value)
        try:
            config[full_key] = engine_text(plain)
        except _Unrepresentable as error:
            raise StackFileError(
                f"stack '{stack}': {full_key}{error.path} = {error.value} is invalid: .nan and .inf cannot be passed to a Pulumi program "
                "(Pulumi's JSON encoding refuses them)"
            ) from None
        if is_secret:
            secret_keys.append(full_key)
    return config, secret_keys


def _config_key(stack: str, file_name: str, key: str) -> str:
    # sdk/go/common/resource/config/key.go ParseKey: <namespace>:<name>, or the old <namespace>:config:<name>;
    # a key without a namespace is the project's (loaders.go stackConfigNamespacedWithProject).
    parts = key.split(":")
    if len(parts) == 1:
        return f"{PROJECT}:{key}"
    if len(parts) == 2:
        return key
    if len(parts) == 3 and parts[1] == "config" and parts[0] and parts[2]:
        return f"{parts[0]}:{parts[2]}"
    raise StackFileError(f"stack '{stack}': {file_name}: config key {key!r} is not <namespace>:<name>, like {PROJECT}:environment")


def engine_text(value: Any) -> str:
    """A config value as the engine hands it to the language host: strings as they are, the rest as Go JSON."""
    if value is None:
        return ""  # Pulumi reads a key without a value as "" (and warns)
    if isinstance(value, str):
        return value
    if isinstance(value, GoTime):
        return value.go_string
    return json.dumps(_go_json(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class _Unrepresentable(ValueError):
    def __init__(self, path: str, value: float) -> None:
        self.path, self.value = path, (".nan" if math.isnan(value) else ("-.inf" if value < 0 else ".inf"))
        super().__init__(path)


def _go_json(value: Any, path: str = "") -> Any:
    """What json.loads gives back from Go's encoding/json output for this value."""
    if isinstance(value, dict):
        return {k: _go_json(v, f"{path}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_go_json(v, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, GoTime):
        return value.go_string
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise _Unrepresentable(path, value)
        # Go writes floats in [1e-6, 1e21) without an exponent, and integral ones without a point: 2.0 -> 2.
        if value == 0 or (1e-6 <= abs(value) < 1e21 and value.is_integer()):
            return int(value)
    return value


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, (str, GoTime)):
        return "a string"
    return "a number" if isinstance(value, (int, float)) and not isinstance(value, bool) else f"{json.dumps(value)}"


def _reveal(value: Any) -> tuple[Any, bool]:
    """Replace `{secure: <ciphertext>}` leaves by the placeholder; report whether any was found."""
    if isinstance(value, dict):
        if set(value) == {"secure"} and isinstance(value["secure"], str):  # config/object.go isSecureValue
            return SECRET_PLACEHOLDER, True
        found = False
        out = {}
        for k, v in value.items():
            out[k], secret = _reveal(v)
            found = found or secret
        return out, found
    if isinstance(value, list):
        pairs = [_reveal(v) for v in value]
        return [p for p, _ in pairs], any(s for _, s in pairs)
    return value, False
