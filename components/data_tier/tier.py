"""LangfuseDataTier: PostgreSQL, ClickHouse and Redis Sentinel in the Langfuse namespace, and the backend
contract (components/langfuse/backend.py) that points Langfuse at them."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.clickhouse.contract import HTTPS_PORT, NATIVE_SECURE_PORT
from components.clickhouse.installation import ClickHouseCluster, ClickHouseClusterArgs
from components.common.dns import service_fqdn
from components.common.refs import CaCertificateRef, ConfigMapKeyRef, SecretKeyRef
from components.langfuse.backend import ClickHouseBackend, LangfuseBackend, PostgresBackend, RedisSentinelBackend, S3Backend
from components.postgres.cluster import PostgresCluster, PostgresClusterArgs
from components.postgres.contract import PORT as POSTGRES_PORT
from components.redis.sentinel import SentinelRedis, SentinelRedisArgs


@dataclass(frozen=True)
class LangfuseDataTierArgs:
    namespace: pulumi.Input[str]
    service_ca_bundle: ConfigMapKeyRef
    postgres: PostgresClusterArgs
    clickhouse: ClickHouseClusterArgs
    redis: SentinelRedisArgs
    s3: S3Backend


class LangfuseDataTier(pulumi.ComponentResource):
    backend: LangfuseBackend
    https_endpoints: list[pulumi.Output[str]]  # what the blackbox probes check (TLS and certificate expiry)
    tls_endpoints: pulumi.Output[list[str]]

    def __init__(self, name: str, args: LangfuseDataTierArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("langfuse-rosa:data:LangfuseDataTier", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        postgres = PostgresCluster("postgres", args.postgres, opts=child)
        clickhouse = ClickHouseCluster("clickhouse", args.clickhouse, opts=child)
        redis = SentinelRedis("redis", args.redis, opts=child)

        def in_namespace(host: str) -> pulumi.Output[str]:
            return service_fqdn(host, args.namespace)

        self.backend = LangfuseBackend(
            postgres=PostgresBackend(
                host=in_namespace(postgres.rw_service),
                port=POSTGRES_PORT,
                database=args.postgres.database,
                username=SecretKeyRef(postgres.app_secret, "username"),
                password=SecretKeyRef(postgres.app_secret, "password"),
                server_ca=CaCertificateRef("Secret", postgres.ca_secret, "ca.crt"),
            ),
            clickhouse=ClickHouseBackend(
                host=in_namespace(clickhouse.service_host),
                http_port=HTTPS_PORT,
                native_port=NATIVE_SECURE_PORT,
                database="default",
                username=SecretKeyRef(clickhouse.credentials_secret, "username"),
                password=SecretKeyRef(clickhouse.credentials_secret, "password"),
                tls=True,
                cluster_enabled=True,
            ),
            redis=RedisSentinelBackend(
                master_name=args.redis.settings.master_name,
                sentinels=redis.sentinel_nodes,
                username=SecretKeyRef(redis.credentials_secret, "langfuse-username"),
                password=SecretKeyRef(redis.credentials_secret, "langfuse-password"),
                sentinel_username=None,
                sentinel_password=SecretKeyRef(redis.credentials_secret, "sentinel-password"),
                tls=True,
            ),
            s3=args.s3,
            # Every in-cluster server certificate here comes from OpenShift's service CA.
            trusted_ca_bundle=args.service_ca_bundle,
        )
        self.https_endpoints = [pulumi.Output.concat("https://", in_namespace(clickhouse.service_host), f":{HTTPS_PORT}/ping")]
        self.tls_endpoints = pulumi.Output.all(redis.data_nodes, redis.sentinel_nodes).apply(lambda nodes: nodes[0] + nodes[1])
        self.register_outputs({})
