"""Kubernetes Secrets materialised from AWS Secrets Manager by the External Secrets Operator."""

from components.secrets.external_secret import SecretValue, external_secret
from components.secrets.referenced import ReferencedSecret, ReferencedSecrets, ReferencedSecretsArgs
from components.secrets.store import AwsSecretStore, AwsSecretStoreArgs

__all__ = [
    "AwsSecretStore",
    "AwsSecretStoreArgs",
    "ReferencedSecret",
    "ReferencedSecrets",
    "ReferencedSecretsArgs",
    "SecretValue",
    "external_secret",
]
