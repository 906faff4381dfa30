"""The tenant controller's settings: one Langfuse project and key pair per platform project namespace."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from infra.stack_config.base import Model
from infra.stack_config.types import DataKey, SecretsManagerName

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


class TenancyConfig(Model):
    enabled: bool = Field(default=False, description="deploy the tenant controller (keys in every enabled ProjectSettings namespace)")
    image: ImageDigest | None = Field(default=None, description="the controller image, by digest (.github/workflows/tenant-controller-image.yml)")
    organization_key: KeyPairRef | None = Field(
        default=None, description="with langfuse.licenseKey: an organisation-scoped key (created in the UI) to create projects and keys"
    )
    shared_project_key: KeyPairRef | None = Field(
        default=None, description="without a licence: the key of the one project LANGFUSE_INIT_* created, handed to every namespace"
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
