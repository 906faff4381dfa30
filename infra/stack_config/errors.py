"""Turning validation failures into one line per bad value: stack, key, bad value, what is allowed."""

from __future__ import annotations

import difflib
import re
from typing import Any

import pulumi
from pydantic import BaseModel, ValidationError
from pydantic.alias_generators import to_camel
from pydantic.fields import FieldInfo

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


def config_key(loc: tuple[Any, ...], model: type[BaseModel] | None = None) -> str:
    """('langfuse', 'web', 'replicas', 'min') -> 'langfuse-rosa:langfuse.web.replicas.min'.

    Parts are shown as the user wrote them. Only a field's Python name (pydantic reports defaults validated in
    place under it) becomes its camelCase key; a key the model does not know is never renamed.
    """
    if not loc:
        return f"{NAMESPACE} config"
    head, *rest = _user_names(loc, model)
    path = "".join(_key_part(p) for p in rest)
    return f"{NAMESPACE}:{head}{path}"


def _key_part(part: Any) -> str:
    return f"[{part}]" if isinstance(part, int) else f".{part}"


def _user_names(loc: tuple[Any, ...], model: type[BaseModel] | None) -> list[Any]:
    names: list[Any] = []
    current = model
    for part in loc:
        if isinstance(part, int) or current is None:
            names.append(part)
            continue
        fields = current.model_fields
        by_alias = {f.alias or name: f for name, f in fields.items()}
        if part in by_alias:
            names.append(part)
            current = _first_model(by_alias[part].annotation)
        elif part in fields:
            names.append(fields[part].alias or part)
            current = _first_model(fields[part].annotation)
        else:
            names.append(part)
            current = None
    return names


# pydantic's wording where it speaks of Python types, by error type.
_PLAIN_MESSAGES = {
    "int_type": "must be a whole number, like 3",
    "int_parsing": "must be a whole number, like 3",
    "int_from_float": "must be a whole number, like 3",
    "bool_type": "must be true or false",
    "string_type": "must be text (quote it in YAML)",
    "list_type": "must be a list, like [a, b]",
    "float_type": "must be a number",
}


def _line(stack: str, error: dict[str, Any], model: type[BaseModel]) -> str:
    # Errors raised inside an Annotated/union member append the member's type to the location.
    raw = tuple(p for p in error["loc"] if not (isinstance(p, str) and ("[" in p or p in ("str", "int", "bool", "function-after"))))
    kind = error["type"]
    # An unknown key is the user's own, even when it happens to be a field's Python name (log_level).
    loc = tuple(_user_names(raw[:-1], model)) + raw[-1:] if kind == "extra_forbidden" else tuple(_user_names(raw, model))
    if kind == "extra_forbidden" and loc:
        key = config_key(loc[:-1], model) + _key_part(loc[-1]) if len(loc) > 1 else f"{NAMESPACE}:{loc[0]}"
    else:
        key = config_key(loc, model)
    if kind == "missing":
        description = _field_description(model, loc)
        return f"stack '{stack}': {key} is required but not set" + (f" ({description})" if description else "")
    if kind == "extra_forbidden":
        allowed = _allowed_keys(model, loc[:-1])
        problem = "is not a known key" + _did_you_mean(loc[-1] if loc else "", allowed)
        problem += f"; allowed here: {', '.join(allowed)}" if allowed else ""
        if loc and isinstance(loc[-1], str) and _SECRET_LIKE.search(loc[-1]):
            problem += "; secret values never go in stack config: put them in AWS Secrets Manager and reference the secret by name"
        return f"stack '{stack}': {key} {problem}"
    message = _plain_message(kind, str(error["msg"]), model, loc)
    bad = error.get("input")
    if bad is None and kind == "value_error":
        problem = message  # a value missing only in this context ("is required when ...")
    elif bad is None:
        problem = f"is null: {message}" + ("; remove the key for its default" if _has_default(model, loc) else "")
    elif bad == "" and len(loc) == 1:
        problem = f"is empty (Pulumi reads a key without a value as \"\"): {message}"
    elif isinstance(bad, (dict, list)):
        problem = f"is invalid: {message}"
    else:
        problem = f"= {_show(bad)} is invalid: {message}"
    return f"stack '{stack}': {key} {problem}"


def _plain_message(kind: str, text: str, model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        allowed = _allowed_keys(model, loc)
        return "must be a mapping of keys" + (f" ({', '.join(allowed)})" if allowed else "")
    if kind.startswith(("datetime_", "date_", "timezone_")):
        return "must be an ISO 8601 time with an offset, like 2026-11-26T03:45:00+00:00"
    if kind in _PLAIN_MESSAGES:
        return _PLAIN_MESSAGES[kind]
    text = text.removeprefix("Value error, ")
    return text[0].lower() + text[1:]


def _did_you_mean(key: Any, allowed: list[str]) -> str:
    if not isinstance(key, str) or not allowed:
        return ""
    camel = to_camel(key) if "_" in key else key
    if camel != key and camel in allowed:
        return f" (keys are camelCase: did you mean {camel}?)"
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.75)
    return f" (did you mean {close[0]}?)" if close else ""


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _has_default(model: type[BaseModel], loc: tuple[Any, ...]) -> bool:
    field = _field_at(model, loc)
    return field is not None and not field.is_required()


def _field_at(model: type[BaseModel], loc: tuple[Any, ...]) -> FieldInfo | None:
    parent = _model_at(model, loc[:-1])
    if parent is None or not loc:
        return None
    return next((f for name, f in parent.model_fields.items() if (f.alias or name) == loc[-1]), None)


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
    field = _field_at(model, loc)
    return field.description if field else None
