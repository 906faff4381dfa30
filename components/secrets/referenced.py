"""ReferencedSecrets: Secrets that already exist in Secrets Manager (the SSO client secret, a licence key,
managed databases' credentials), referenced by name from config and never copied into the stack."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from components.secrets.external_secret import SecretValue, external_secret


@dataclass(frozen=True)
class ReferencedSecret:
    target: str  # the Kubernetes Secret External Secrets writes
    values: tuple[SecretValue, ...]
    secret_type: str | None = None  # e.g. kubernetes.io/tls; None: Opaque


@dataclass(frozen=True)
class ReferencedSecretsArgs:
    namespace: pulumi.Input[str]
    store: str
    secrets: Sequence[ReferencedSecret]


class ReferencedSecrets(pulumi.ComponentResource):
    def __init__(self, name: str, args: ReferencedSecretsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("langfuse-rosa:secrets:ReferencedSecrets", name, None, opts)
        for secret in args.secrets:
            external_secret(
                secret.target, args.namespace, args.store, secret.values, opts=pulumi.ResourceOptions(parent=self), secret_type=secret.secret_type
            )
        self.register_outputs({"secrets": [s.target for s in args.secrets]})
