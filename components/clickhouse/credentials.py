"""The Langfuse ClickHouse user's password, generated once, and its SHA-256 for the server's users.xml."""

from __future__ import annotations

import hashlib

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

USERNAME = "langfuse"


def clickhouse_credentials(
    name: str, namespace: pulumi.Input[str], opts: pulumi.ResourceOptions
) -> k8s.core.v1.Secret:
    """Secret `name` with username, password (for Langfuse) and password_sha256_hex (for ClickHouse)."""
    # Alphanumeric: Langfuse's migration script splices the password into a URL query string.
    password = random.RandomPassword(f"{name}-password", length=40, special=False, opts=opts)
    admin = random.RandomPassword(f"{name}-admin-password", length=40, special=False, opts=opts)
    return k8s.core.v1.Secret(
        name,
        metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace, labels={"app.kubernetes.io/part-of": "langfuse"}),
        type="Opaque",
        string_data={
            "username": USERNAME,
            "password": password.result,
            "password_sha256_hex": password.result.apply(_sha256),
            "admin_password_sha256_hex": admin.result.apply(_sha256),
        },
        opts=opts,
    )


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
