"""The config reference table (docs/config-reference.md), generated from the models so the two never drift apart."""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from infra.stack_config.cluster_layer import ClusterStackConfig
from infra.stack_config.errors import NAMESPACE
from infra.stack_config.models import StackConfig


def reference_markdown() -> str:
    sections = []
    for title, model in (
        ("Environment stacks (`layer: environment`)", StackConfig),
        ("Cluster layer stacks (`layer: cluster`)", ClusterStackConfig),
    ):
        rows = [f"### {title}", "", "| Key | Type | Default | Meaning |", "| --- | --- | --- | --- |"]
        for top_alias, field in _fields(model):
            _rows(rows, f"{NAMESPACE}:{top_alias}", field)
        sections.append("\n".join(rows) + "\n")
    return "\n".join(sections)


def _fields(model: type[BaseModel]) -> list[tuple[str, FieldInfo]]:
    return [(field.alias or name, field) for name, field in model.model_fields.items()]


def _rows(rows: list[str], key: str, field: FieldInfo, inherited: dict[str, Any] | None = None) -> None:
    """`inherited`: what the enclosing object's default sets, shown where this key is required once the object is
    written but has a value when it is left out (leaving out `cpu` gives request 2, limit 2)."""
    nested = _model_of(field.annotation)
    description = field.description or ((nested.__doc__ or "").strip().split("\n")[0] if nested else "")
    kind = _label(field.metadata) or _type_name(field.annotation)
    default = _default(field)
    leaf = key.rsplit(".", 1)[-1].split(":")[-1]
    if inherited is not None and leaf in inherited and default in ("required", "see below"):
        parent = key.rsplit(".", 1)[0].split(":", 1)[-1]
        default = f"{default}; `{_flow(inherited[leaf])}` when `{parent}` is left out"
    rows.append(f"| `{key}` | {kind}{_bounds(field.metadata)} | {default} | {description} |")
    if nested is not None:
        own = field.default.model_dump(by_alias=True, exclude_none=True) if isinstance(field.default, BaseModel) else None
        passed = (
            own if own is not None else (inherited or {}).get(leaf) if isinstance((inherited or {}).get(leaf), dict) else None
        )
        for alias, sub in _fields(nested):
            separator = "[]." if _is_list(field.annotation) else "."
            _rows(rows, f"{key}{separator}{alias}", sub, passed)


def _flow(value: Any) -> str:
    """A default as a stack file would write it: 2, "500m", {request: "2", limit: "2"}."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if isinstance(value, bool):
        return str(value).lower()
    return f'"{value}"' if isinstance(value, str) else str(value)


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _is_list(annotation: Any) -> bool:
    return typing.get_origin(annotation) is list


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return " \\| ".join(f"`{a}`" for a in typing.get_args(annotation))
    if origin is typing.Annotated:
        base, *meta = typing.get_args(annotation)
        return _label(meta) or _type_name(base)
    if origin in (typing.Union, __import__("types").UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return " \\| ".join(_type_name(a) for a in args)
    if origin is list:
        return f"list of {_type_name(typing.get_args(annotation)[0])}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "object"
    return getattr(annotation, "__name__", str(annotation))


def _default(field: FieldInfo) -> str:
    if field.default is PydanticUndefined:
        return "required"
    if field.default is None:
        return "unset"
    if isinstance(field.default, BaseModel):
        text = _flow(field.default.model_dump(by_alias=True, exclude_none=True))
        return f"`{text}`" if len(text) <= 60 else "see below"
    if isinstance(field.default, bool):
        return f"`{str(field.default).lower()}`"
    return f"`{field.default}`"


_VALIDATOR_LABELS = {
    "_dns_label": "DNS label",
    "_dns_name": "DNS name",
    "_object_name": "object name",
    "_aws_region": "AWS region",
    "_email_address": "email address",
    "_s3_bucket": "S3 bucket name",
    "_iam_role_arn": "IAM role ARN",
    "_kms_key_arn": "KMS key ARN",
    "_https_url": "https URL",
    "_host_port": "host:port",
    "_secret_key_name": "data key",
    "_cpu_quantity": "CPU quantity",
    "_memory_quantity": "memory quantity",
    "_storage_quantity": "size (Mi, Gi)",
    "_environment_namespace": "namespace",
    "_cnpg_schedule": "cron, 6 fields",
    "_cronjob_schedule": "cron, 5 fields",
    "_slack_channel": "Slack channel",
    "_account_id": "AWS account ID",
    "_oidc_provider_arn": "OIDC provider ARN",
    "_secrets_manager_name": "Secrets Manager name",
    "_resource_prefix": "name prefix",
}


def _label(metadata: list[Any]) -> str | None:
    for item in metadata:
        name = getattr(getattr(item, "func", None), "__name__", None)
        if name in _VALIDATOR_LABELS:
            return _VALIDATOR_LABELS[name]
    return None


def _bounds(metadata: list[Any]) -> str:
    low = next((m.ge for m in metadata if hasattr(m, "ge")), None)
    high = next((m.le for m in metadata if hasattr(m, "le")), None)
    return f" {low}–{high}" if low is not None and high is not None else (f" ≥ {low}" if low is not None else "")
