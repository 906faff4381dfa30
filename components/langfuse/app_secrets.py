"""Langfuse's own secrets (NEXTAUTH_SECRET, SALT, ENCRYPTION_KEY): generated once per stack into Secrets
Manager, materialised into the namespace by External Secrets.

SALT and ENCRYPTION_KEY can never change without losing data (API keys are hashed with SALT, stored LLM
credentials are encrypted with ENCRYPTION_KEY), so their generators and the Secrets Manager secret are
protected where the stack says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_random as random

from components.aws.secrets_manager import GeneratedSecret, GeneratedSecretArgs, SecretsManagerSettings
from components.common.refs import SecretKeyRef
from components.secrets import SecretValue, external_secret

SECRET_NAME = "langfuse-app-secrets"
KEYS = ("NEXTAUTH_SECRET", "SALT", "ENCRYPTION_KEY")


@dataclass(frozen=True)
class LangfuseAppSecretsArgs:
    namespace: pulumi.Input[str]
    secrets: SecretsManagerSettings
    store: str
    protect: bool


class LangfuseAppSecrets(pulumi.ComponentResource):
    nextauth_secret: SecretKeyRef
    salt: SecretKeyRef
    encryption_key: SecretKeyRef

    def __init__(self, name: str, args: LangfuseAppSecretsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("langfuse-rosa:langfuse:LangfuseAppSecrets", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        keep = pulumi.ResourceOptions(parent=self, protect=args.protect)
        nextauth = random.RandomPassword("nextauth-secret", length=64, special=False, opts=child)
        salt = random.RandomPassword("salt", length=64, special=False, opts=keep)
        # Langfuse requires 256 bits as 64 hex characters (web/src/env.mjs). RandomBytes, unlike RandomId,
        # keeps the value out of the resource ID and marks it secret.
        encryption_key = random.RandomBytes("encryption-key", length=32, opts=keep)
        stored = GeneratedSecret(
            "app",
            GeneratedSecretArgs(
                short_name="app",
                description="Langfuse NEXTAUTH_SECRET, SALT and ENCRYPTION_KEY (SALT and ENCRYPTION_KEY must never change)",
                values={"NEXTAUTH_SECRET": nextauth.result, "SALT": salt.result, "ENCRYPTION_KEY": encryption_key.hex},
                settings=args.secrets,
                protect=args.protect,
            ),
            opts=child,
        )
        external_secret(
            SECRET_NAME,
            args.namespace,
            args.store,
            [SecretValue(key, stored.name, key) for key in KEYS],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[stored]),
        )
        self.nextauth_secret = SecretKeyRef(SECRET_NAME, "NEXTAUTH_SECRET")
        self.salt = SecretKeyRef(SECRET_NAME, "SALT")
        self.encryption_key = SecretKeyRef(SECRET_NAME, "ENCRYPTION_KEY")
        self.register_outputs({"secret": SECRET_NAME})
