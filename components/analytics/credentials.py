"""The analytics cluster's users: a password each, generated once into Secrets Manager (one JSON secret), the
servers' users.xml fed their SHA-256 and every client its own Secret (username, password), through External
Secrets. Each client gets the least it needs (components/analytics/cluster.py grants)."""

from __future__ import annotations

import hashlib

import pulumi
import pulumi_random as random

from components.aws.secrets_manager import GeneratedSecret, GeneratedSecretArgs, SecretsManagerSettings
from components.secrets import SecretValue, external_secret

# admin: the schema Job and backups; loader: inserts; grafana: the dashboards; metrics: the freshness scrape.
USERS = ("admin", "loader", "grafana", "metrics")
HASHES_SECRET = "analytics-clickhouse-users"  # the servers' password hashes


def client_secret(user: str) -> str:
    return f"analytics-clickhouse-{user}"


def analytics_credentials(
    namespace: pulumi.Input[str], secrets: SecretsManagerSettings, store: str, opts: pulumi.ResourceOptions
) -> list[pulumi.Resource]:
    """The ExternalSecrets: HASHES_SECRET (`<user>_password_sha256_hex`) and client_secret(user) for each user."""
    # Alphanumeric, like the serving cluster's: passwords travel in HTTP basic auth and client config.
    passwords = {user: random.RandomPassword(f"analytics-clickhouse-{user}-password", length=40, special=False, opts=opts) for user in USERS}
    stored = GeneratedSecret(
        "analytics-clickhouse",
        GeneratedSecretArgs(
            short_name="analytics-clickhouse",
            description="The analytics ClickHouse: each user's password and its SHA-256 for users.xml",
            values={**{f"{u}_username": u for u in USERS}, **{f"{u}_password": p.result for u, p in passwords.items()}},
            derived={f"{u}_password_sha256_hex": (lambda v, u=u: hashlib.sha256(v[f"{u}_password"].encode()).hexdigest()) for u in USERS},
            settings=secrets,
        ),
        opts=opts,
    )
    after = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[stored]))
    made = [
        external_secret(
            HASHES_SECRET, namespace, store, [SecretValue(f"{u}_password_sha256_hex", stored.name, f"{u}_password_sha256_hex") for u in USERS], after
        )
    ]
    for user in USERS:
        made.append(
            external_secret(
                client_secret(user),
                namespace,
                store,
                [SecretValue("username", stored.name, f"{user}_username"), SecretValue("password", stored.name, f"{user}_password")],
                after,
            )
        )
    return made
