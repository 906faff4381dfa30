"""The tenant controller's settings: one Langfuse project and key pair per platform project namespace."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

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

    @model_validator(mode="after")
    def _image_when_enabled(self) -> TenancyConfig:
        if self.enabled and self.image is None:
            raise ValueError("image is required when tenancy is enabled")
        return self
