"""Passwords for the Redis ACL users and for Sentinel: generated once into Secrets Manager, materialised
into the namespace by External Secrets."""

from __future__ import annotations

import pulumi
import pulumi_random as random

from components.aws.secrets_manager import GeneratedSecret, GeneratedSecretArgs, SecretsManagerSettings
from components.redis.config import LANGFUSE_USER
from components.secrets import SecretValue, external_secret

# Secret key -> environment variable the init scripts read.
PASSWORD_KEYS = {
    "langfuse-password": "LANGFUSE_PASSWORD",
    "replication-password": "REPLICATION_PASSWORD",
    "sentinel-monitor-password": "SENTINEL_MONITOR_PASSWORD",
    "sentinel-password": "SENTINEL_PASSWORD",
    "monitoring-password": "MONITORING_PASSWORD",
}


def redis_credentials(
    name: str, namespace: pulumi.Input[str], secrets: SecretsManagerSettings, store: str, opts: pulumi.ResourceOptions
) -> pulumi.Resource:
    # Alphanumeric: the init scripts substitute them with sed.
    passwords = {key: random.RandomPassword(f"{name}-{key}", length=40, special=False, opts=opts).result for key in PASSWORD_KEYS}
    stored = GeneratedSecret(
        "redis",
        GeneratedSecretArgs(
            short_name="redis",
            description="Valkey ACL users' and Sentinel's passwords",
            values={"langfuse-username": LANGFUSE_USER, **passwords},
            settings=secrets,
        ),
        opts=opts,
    )
    return external_secret(
        name,
        namespace,
        store,
        [SecretValue(key, stored.name, key) for key in ("langfuse-username", *PASSWORD_KEYS)],
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[stored])),
    )
