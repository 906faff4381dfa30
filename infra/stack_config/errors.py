"""Turning validation failures into one line per bad value: stack, key, bad value, what is allowed."""

from __future__ import annotations

import re
from typing import Any

import pulumi
from pydantic import BaseModel, ValidationError

NAMESPACE = "langfuse-rosa"
_SECRET_LIKE = re.compile(r"(password|secret|token|apikey|api_key|privatekey|licen[cs]ekey)$", re.IGNORECASE)


class ConfigError(pulumi.RunError):
    """Invalid stack configuration. Raised before any resource is registered.

    A RunError, so `pulumi up`/`preview` print the message without a traceback.
    """

    def __init__(self, stack: str, lines: list[str]) -> None:
        self.stack = stack
        self.lines = lines
        super().__init__("\n".join(lines))


def describe_errors(stack: str, error: ValidationError, model: type[BaseModel]) -> list[str]:
    return [_line(stack, e, model) for e in error.errors(include_url=False)]


def config_key(loc: tuple[Any, ...]) -> str:
    """('langfuse', 'web', 'replicas', 'min') -> 'langfuse-rosa:langfuse.web.replicas.min'."""
    if not loc:
        return f"{NAMESPACE} config"
    head, *rest = (_camel(p) for p in loc)
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in rest)
    return f"{NAMESPACE}:{head}{path}"


def _camel(part: Any) -> Any:
    # Locations name fields by alias, except for defaults validated in place, which carry the field name.
    if not isinstance(part, str) or "_" not in part:
        return part
    first, *others = part.split("_")
    return first + "".join(word.capitalize() for word in others)


def _line(stack: str, error: dict[str, Any], model: type[BaseModel]) -> str:
    # Errors raised inside an Annotated/union member append the member's type to the location.
    loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and ("[" in p or p in ("str", "int", "bool", "function-after"))))
    key = config_key(loc)
    kind = error["type"]
    if kind == "missing":
        description = _field_description(model, loc)
        problem = "is required but not set" + (f" ({description})" if description else "")
    elif kind == "extra_forbidden":
        allowed = _allowed_keys(model, loc[:-1])
        problem = "is not a known key" + (f"; allowed here: {', '.join(allowed)}" if allowed else "")
        if loc and isinstance(loc[-1], str) and _SECRET_LIKE.search(loc[-1]):
            problem += "; secret values never go in stack config: put them in AWS Secrets Manager and reference the secret by name"
    else:
        message = str(error["msg"]).removeprefix("Value error, ")
        message = message[0].lower() + message[1:]
        bad = error.get("input")
        if bad is None:
            problem = message  # a value that is missing only in this context ("is required when ...")
        elif isinstance(bad, (dict, list)):
            problem = f"is invalid: {message}"
        else:
            problem = f"= {_show(bad)} is invalid: {message}"
    return f"stack '{stack}': {key} {problem}"


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    current: type[BaseModel] | None = model
    for part in loc:
        if current is None or isinstance(part, int):
            continue
        field = next((f for name, f in current.model_fields.items() if (f.alias or name) == part), None)
        if field is None:
            return None
        current = _first_model(field.annotation)
    return current


def _first_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _first_model(arg)
        if found is not None:
            return found
    return None


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    at = _model_at(model, loc)
    return sorted(f.alias or name for name, f in at.model_fields.items()) if at else []


def _field_description(model: type[BaseModel], loc: tuple[Any, ...]) -> str | None:
    parent = _model_at(model, loc[:-1])
    if parent is None or not loc:
        return None
    field = next((f for name, f in parent.model_fields.items() if (f.alias or name) == loc[-1]), None)
    return field.description if field else None
