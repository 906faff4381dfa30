"""Langfuse's own secrets (NEXTAUTH_SECRET, SALT, ENCRYPTION_KEY), generated once per stack.

Values live only in Pulumi's encrypted state and in one Kubernetes Secret; the offline plan shows them
redacted. SALT and ENCRYPTION_KEY can never change without losing data (API keys are hashed with SALT,
stored LLM credentials are encrypted with ENCRYPTION_KEY), so their generators are protected where the
stack says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.langfuse.backend import SecretKeyRef

SECRET_NAME = "langfuse-app-secrets"


@dataclass(frozen=True)
class LangfuseAppSecretsArgs:
    namespace: pulumi.Input[str]
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

        secret = k8s.core.v1.Secret(
            SECRET_NAME,
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=SECRET_NAME, namespace=args.namespace, labels={"app.kubernetes.io/part-of": "langfuse"}
            ),
            type="Opaque",
            string_data={
                "NEXTAUTH_SECRET": nextauth.result,
                "SALT": salt.result,
                "ENCRYPTION_KEY": encryption_key.hex,
            },
            opts=child,
        )
        self.nextauth_secret = SecretKeyRef(secret.metadata.name, "NEXTAUTH_SECRET")
        self.salt = SecretKeyRef(secret.metadata.name, "SALT")
        self.encryption_key = SecretKeyRef(secret.metadata.name, "ENCRYPTION_KEY")
        self.register_outputs({"secret": secret.metadata.name})
