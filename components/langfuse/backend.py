"""The backend contract: everything the Langfuse tier needs to reach its stores.

One typed value, whoever produces it. External mode builds it from stack config (managed databases and
existing Secrets); the in-cluster data tier will build the same value from the resources it creates.
Credentials are never values here, only references to Kubernetes Secrets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from components.common.refs import CaCertificateRef, ConfigMapKeyRef, SecretKeyRef


@dataclass(frozen=True)
class PostgresBackend:
    host: pulumi.Input[str]
    port: int
    database: str
    username: SecretKeyRef
    password: SecretKeyRef
    # PEM of the CA that signed the server certificate. Prisma checks the server against it
    # (sslmode=require + sslaccept=strict + sslcert); there is no non-verifying mode in this contract.
    server_ca: CaCertificateRef


@dataclass(frozen=True)
class ClickHouseBackend:
    host: pulumi.Input[str]
    http_port: int
    native_port: int
    database: str
    username: SecretKeyRef
    password: SecretKeyRef
    tls: bool
    # True for a replicated cluster named `cluster_name`: Langfuse's migrations then use
    # ReplicatedMergeTree and `ON CLUSTER`. Langfuse supports one shard only.
    cluster_enabled: bool
    cluster_name: str = "default"


@dataclass(frozen=True)
class RedisSentinelBackend:
    master_name: str
    sentinels: pulumi.Input[Sequence[str]]  # "host:port", the format REDIS_SENTINEL_NODES takes
    username: SecretKeyRef | None
    password: SecretKeyRef
    sentinel_username: SecretKeyRef | None
    sentinel_password: SecretKeyRef | None
    tls: bool


@dataclass(frozen=True)
class S3Bucket:
    bucket: pulumi.Input[str]
    prefix: str


@dataclass(frozen=True)
class S3Backend:
    region: str
    events: S3Bucket
    media: S3Bucket
    exports: S3Bucket
    kms_key_arn: pulumi.Input[str] | None
    # IAM roles assumed through the pod identity webhook (eks.amazonaws.com/role-arn) on ROSA STS.
    web_role_arn: pulumi.Input[str] | None
    worker_role_arn: pulumi.Input[str] | None


@dataclass(frozen=True)
class LangfuseBackend:
    postgres: PostgresBackend
    clickhouse: ClickHouseBackend
    redis: RedisSentinelBackend
    s3: S3Backend
    # CA bundle Node.js trusts in addition to its own (NODE_EXTRA_CA_CERTS) and Redis TLS verifies with:
    # ClickHouse, Redis, the SSO issuer. None means the cluster's trusted bundle, injected by OpenShift.
    trusted_ca_bundle: ConfigMapKeyRef | None
