"""The Langfuse ClickHouse user's password and the admin password: generated once into Secrets Manager,
with their SHA-256 for the server's users.xml, materialised into the namespace by External Secrets."""

from __future__ import annotations

import hashlib

import pulumi
import pulumi_random as random

from components.aws.secrets_manager import GeneratedSecret, GeneratedSecretArgs, SecretsManagerSettings
from components.secrets import SecretValue, external_secret

USERNAME = "langfuse"
PROPERTIES = ("username", "password", "password_sha256_hex", "admin_password_sha256_hex")


def clickhouse_credentials(
    name: str, namespace: pulumi.Input[str], secrets: SecretsManagerSettings, store: str, opts: pulumi.ResourceOptions
) -> pulumi.Resource:
    """Secret `name`: username, password (for Langfuse), password_sha256_hex and admin_password_sha256_hex
    (for ClickHouse). Returns the ExternalSecret that makes it."""
    # Alphanumeric: Langfuse's migration script splices the password into a URL query string.
    password = random.RandomPassword(f"{name}-password", length=40, special=False, opts=opts)
    admin = random.RandomPassword(f"{name}-admin-password", length=40, special=False, opts=opts)
    stored = GeneratedSecret(
        "clickhouse",
        GeneratedSecretArgs(
            short_name="clickhouse",
            description="ClickHouse: the Langfuse user's password and SHA-256 hashes for users.xml",
            values={"username": USERNAME, "password": password.result, "admin_password": admin.result},
            derived={
                "password_sha256_hex": lambda v: _sha256(v["password"]),
                "admin_password_sha256_hex": lambda v: _sha256(v["admin_password"]),
            },
            settings=secrets,
        ),
        opts=opts,
    )
    return external_secret(
        name,
        namespace,
        store,
        [SecretValue(prop, stored.name, prop) for prop in PROPERTIES],
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[stored])),
    )


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
