"""Reading `stacks/Pulumi.<stack>.yaml` into the config map the Pulumi engine would hand the program."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

PROJECT = "langfuse-rosa"
# Offline there is no secrets provider to decrypt `secure:` values with, so the program sees this
# placeholder, marked secret, as it would see the decrypted value under `pulumi up`.
SECRET_PLACEHOLDER = "[secret]"


class StackFileError(Exception):
    """The stack file is missing or is not a Pulumi stack file. The message is one line."""


@dataclass(frozen=True)
class StackFile:
    stack: str
    config: dict[str, str]  # "namespace:key" -> value as the engine passes it (objects JSON-encoded)
    secret_keys: list[str]


def known_stacks(stacks_dir: Path) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in stacks_dir.glob("Pulumi.*.yaml"))


def read_stack_file(stacks_dir: Path, stack: str) -> StackFile:
    path = stacks_dir / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        raise StackFileError(
            f"stack '{stack}': no stack file {path} (known stacks: {', '.join(known_stacks(stacks_dir)) or 'none'})"
        )
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise StackFileError(f"stack '{stack}': {path.name} is not valid YAML{where}") from None
    raw_config = document.get("config") or {}
    if not isinstance(document, dict) or not isinstance(raw_config, dict):
        raise StackFileError(f"stack '{stack}': {path.name} must be a mapping with a `config:` mapping")

    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, val in raw_config.items():
        full_key = key if ":" in key else f"{PROJECT}:{key}"
        plain, is_secret = _reveal(val)
        config[full_key] = plain if isinstance(plain, str) else json.dumps(plain)
        if is_secret:
            secret_keys.append(full_key)
    return StackFile(stack=stack, config=config, secret_keys=secret_keys)


def _reveal(value: Any) -> tuple[Any, bool]:
    """Replace `{secure: ...}` leaves by the placeholder; report whether any was found."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:
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
