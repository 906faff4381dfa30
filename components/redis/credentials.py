"""Passwords for the Redis ACL users and for Sentinel, generated once per stack into one Secret."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.redis.config import LANGFUSE_USER

# Secret key -> environment variable the init scripts read.
PASSWORD_KEYS = {
    "langfuse-password": "LANGFUSE_PASSWORD",
    "replication-password": "REPLICATION_PASSWORD",
    "sentinel-monitor-password": "SENTINEL_MONITOR_PASSWORD",
    "sentinel-password": "SENTINEL_PASSWORD",
}


def redis_credentials(name: str, namespace: pulumi.Input[str], opts: pulumi.ResourceOptions) -> k8s.core.v1.Secret:
    # Alphanumeric: the init scripts substitute them with sed.
    passwords = {key: random.RandomPassword(f"{name}-{key}", length=40, special=False, opts=opts).result for key in PASSWORD_KEYS}
    return k8s.core.v1.Secret(
        name,
        metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace, labels={"app.kubernetes.io/part-of": "langfuse"}),
        type="Opaque",
        string_data={"langfuse-username": LANGFUSE_USER, **passwords},
        opts=opts,
    )
