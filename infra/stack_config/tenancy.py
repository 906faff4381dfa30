"""The tenant controller's settings: one Langfuse project and key pair per platform project namespace."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from infra.stack_config.base import Model, SecretsManagerRef
from infra.stack_config.types import DataKey, DnsLabel, EmailAddress, SecretsManagerName

_DIGEST_REF = re.compile(r"^[a-z0-9][a-z0-9.\-]*(:[0-9]+)?(/[a-z0-9._\-]+)+@sha256:[0-9a-f]{64}$")


def _image_digest(v: str) -> str:
    if not _DIGEST_REF.match(v):
        raise ValueError("must be an image pinned by digest, registry/repository@sha256:<64 hex> (the build workflow prints it)")
    return v


ImageDigest = Annotated[str, AfterValidator(_image_digest)]


class KeyPairRef(Model):
    """A Langfuse key pair kept in an existing Secrets Manager secret (referenced, never copied)."""

    secrets_manager_name: SecretsManagerName = Field(description="name of the secret in Secrets Manager")
    public_key_property: DataKey = Field(default="publicKey", description="JSON property of the public key (pk-lf-...)")
    secret_key_property: DataKey = Field(default="secretKey", description="JSON property of the secret key (sk-lf-...)")


class BudgetConfig(Model):
    """A monthly LLM spend budget (ProjectSettings.spec.langfuse.budget overrides it per project)."""

    monthly_usd: float = Field(default=1000, gt=0, le=10_000_000, description="budget per calendar month (UTC) in USD")
    thresholds: list[int] = Field(
        default=[50, 80, 100], min_length=1, max_length=10,
        description="percentages of the budget that alert, ascending; below 100 warn, 100 and above are critical",
    )
    high_cost_usd: float = Field(default=10, gt=0, le=1_000_000, description="one trace or session costing more than this in a day alerts")

    @field_validator("thresholds")
    @classmethod
    def _ascending(cls, thresholds: list[int]) -> list[int]:
        if any(not 1 <= t <= 1000 for t in thresholds) or thresholds != sorted(set(thresholds)):
            raise ValueError("must be percentages from 1 to 1000, strictly ascending, e.g. [50, 80, 100]")
        return thresholds


class UsageConfig(Model):
    """Cost and usage per project: the usage exporter, its alerts and dashboard, the weekly Slack summary."""

    enabled: bool = Field(default=True, description="with tenancy: deploy the usage exporter and the weekly summary")
    default_budget: BudgetConfig = Field(default=BudgetConfig(), description="the budget of projects that set none")
    poll_interval_seconds: int = Field(
        default=300, ge=60, le=3600,
        description="one v2 metrics query per project per interval (usage every 2nd, top traces / sessions every 4th)",
    )
    poll_concurrency: int = Field(default=4, ge=1, le=32, description="queries in flight at once")
    top_n: int = Field(default=5, ge=1, le=50, description="the most expensive traces and sessions exported per project")
    error_rate_jump: float = Field(
        default=3.0, ge=1.5, le=100, description="alert when a project's error rate today exceeds this many times its last 7 days'",
    )
    summary_schedule: str = Field(
        default="0 8 * * 1", pattern=r"^\S+ \S+ \S+ \S+ \S+$", description="cron schedule (UTC) of the weekly summary (default Monday 08:00)",
    )


class SharedProjectOwner(Model):
    """The one e-mail/password user Langfuse makes OWNER of the shared organisation at start (LANGFUSE_INIT_USER_*)."""

    email: EmailAddress = Field(description="the owner's e-mail address (their sign-in name)")
    name: str = Field(default="Langfuse administrator", min_length=1, max_length=100, description="the owner's display name")
    password: SecretsManagerRef = Field(description="the owner's initial password, in Secrets Manager")


class SharedProjectConfig(Model):
    """The organisation and project Langfuse creates at start from LANGFUSE_INIT_* when there is no licence.
    Langfuse creates each by id once and never renames it (web/src/initialize.ts, v4.16.0: upsert, update {}); a
    new project id after the first start makes a new, empty project and moves the key to it."""

    organization_id: DnsLabel = Field(default="ambient-code-platform", description="the organisation's id (set once, never changed)")
    organization_name: str = Field(default="Ambient Code Platform", min_length=1, max_length=100, description="the organisation's name, at creation")
    project_id: DnsLabel = Field(default="ambient-code-platform-shared", description="the shared project's id (set once, never changed)")
    project_name: str = Field(
        default="ambient-code-platform", min_length=3, max_length=60, description="the shared project's name, at creation (3-60 characters, as the API allows)"
    )
    owner: SharedProjectOwner | None = Field(
        default=None, description="without SSO: an e-mail/password owner of the organisation; with SSO none (password sign-in is off)"
    )


class TenancyConfig(Model):
    enabled: bool = Field(default=False, description="deploy the tenant controller (keys in every enabled ProjectSettings namespace)")
    image: ImageDigest | None = Field(default=None, description="the controller image, by digest (.github/workflows/tenant-controller-image.yml)")
    organization_key: KeyPairRef | None = Field(
        default=None, description="with langfuse.licenseKey: an organisation-scoped key (created in the UI) to create projects and keys"
    )
    shared_project_key: KeyPairRef | None = Field(
        default=None, description="without a licence: the key of the one project LANGFUSE_INIT_* created, handed to every namespace"
    )
    shared_project: SharedProjectConfig = Field(
        default=SharedProjectConfig(), description="without a licence: the organisation and project LANGFUSE_INIT_* creates (sharedProjectKey is its key)"
    )
    rotation_days: int = Field(default=30, ge=1, le=365, description="a new key every N days")
    rotation_overlap_hours: int = Field(default=48, ge=1, le=720, description="how long a replaced key keeps working (running sessions)")
    deletion_policy: Literal["Retain", "Delete"] = Field(
        default="Retain", description="off-boarding default: Retain keeps a namespace's Langfuse project and data, Delete deletes it"
    )
    usage: UsageConfig = Field(default=UsageConfig(), description="cost and usage per project: budgets, alerts, dashboard, weekly summary")

    @model_validator(mode="after")
    def _image_when_enabled(self) -> TenancyConfig:
        if self.enabled and self.image is None:
            raise ValueError("image is required when tenancy is enabled")
        return self
