"""ProjectSettings.spec.langfuse (the user's intent) and status.langfuse (what the controller observed), as
typed models whose JSON matches the CRD extension in components/tenancy (tests validate one against the
other)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True, extra="ignore")

    def to_json(self) -> dict:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class LangfuseSpec(_Model):
    enabled: bool = False
    project_id: str | None = None  # adopt this existing project instead of creating one
    retention_days: int | None = Field(default=None, ge=0)  # None: leave the project's retention alone
    rotation_days: int | None = Field(default=None, ge=1, le=365)  # None: the controller's default
    deletion_policy: Literal["Retain", "Delete"] | None = None  # None: the controller's default (Retain)


class KeyStatus(_Model):
    id: str
    public_key: str
    project_id: str
    created_at: datetime
    retired_at: datetime | None = None  # set when a newer key replaced it in the Secret


class Condition(_Model):
    type: Literal["Ready", "Isolated", "RetentionApplied", "Budget"]
    status: Literal["True", "False", "Unknown"]
    reason: str
    message: str
    last_transition_time: datetime


class LangfuseStatus(_Model):
    project_id: str | None = None
    project_name: str | None = None
    project_created: bool = False  # by this controller (only such a project may ever be deleted by policy)
    retention_days: int | None = None  # as last set or seen
    isolated: bool | None = None
    current_key: KeyStatus | None = None  # the key in langfuse-keys
    retiring_keys: tuple[KeyStatus, ...] = ()  # replaced, deleted once the overlap has passed
    rotate_token: str | None = None  # the last value of the rotate annotation acted on
    observed_generation: int | None = None
    conditions: tuple[Condition, ...] = ()


def parse_spec(body_spec: dict | None) -> LangfuseSpec:
    return LangfuseSpec.model_validate((body_spec or {}).get("langfuse") or {})


def parse_status(body_status: dict | None) -> LangfuseStatus:
    return LangfuseStatus.model_validate((body_status or {}).get("langfuse") or {})
