"""Where the AWS side of an environment lives, and the knobs of its buckets and secrets."""

from __future__ import annotations

from pydantic import Field, ValidationInfo, field_validator

from infra.stack_config.base import Model
from infra.stack_config.types import AwsAccountId, OidcProviderArn, ResourcePrefix, oidc_account


class AwsConfig(Model):
    """The environment's AWS account. Buckets, keys, roles and secrets are named from resourcePrefix."""

    account_id: AwsAccountId = Field(description="account the stack may change (the AWS provider refuses any other)")
    oidc_provider_arn: OidcProviderArn = Field(description="the ROSA cluster's IAM OIDC provider (IAM roles for service accounts)")
    resource_prefix: ResourcePrefix = Field(description="prefix of bucket, role, key alias and secret names, e.g. acme-langfuse-prod")
    object_lock_days: int | None = Field(
        default=None, ge=1, le=3650, description="backups bucket: object lock (governance) retention; unset = no object lock"
    )
    access_log_retention_days: int = Field(default=365, ge=30, le=3650, description="how long S3 access logs are kept")
    noncurrent_version_days: int = Field(default=30, ge=1, le=3650, description="how long overwritten or deleted objects are kept")
    secret_recovery_days: int = Field(default=30, ge=7, le=30, description="Secrets Manager recovery window after a delete")

    _same_account = field_validator("oidc_provider_arn")(classmethod(lambda cls, arn, info: provider_in_account(arn, info)))


def provider_in_account(arn: str, info: ValidationInfo) -> str:
    account = info.data.get("account_id")
    if account is not None and oidc_account(arn) != account:
        raise ValueError(f"must be in account {account} (aws.accountId): roles trust a provider of their own account")
    return arn
