"""External mode: the backend contract filled from stack config (managed databases, existing Secrets)."""

from __future__ import annotations

from components.common.refs import CaCertificateRef, ConfigMapKeyRef, SecretKeyRef
from components.langfuse.backend import ClickHouseBackend, LangfuseBackend, PostgresBackend, RedisSentinelBackend, S3Backend
from infra.stack_config import models


def external_backend(config: models.StackConfig, s3: S3Backend) -> LangfuseBackend:
    backend = config.backend
    pg, ch, redis = backend.postgres, backend.clickhouse, backend.redis
    assert pg and ch and redis  # guaranteed for mode external by BackendConfig's validator
    # Credentials arrive through External Secrets under these names (infra/secret_references.py).
    return LangfuseBackend(
        postgres=PostgresBackend(
            host=pg.host,
            port=pg.port,
            database=pg.database,
            username=SecretKeyRef("langfuse-postgres-external", "username"),
            password=SecretKeyRef("langfuse-postgres-external", "password"),
            server_ca=CaCertificateRef("ConfigMap", pg.server_ca.config_map_name, pg.server_ca.key),
        ),
        clickhouse=ClickHouseBackend(
            host=ch.host,
            http_port=ch.http_port,
            native_port=ch.native_port,
            database=ch.database,
            username=SecretKeyRef("langfuse-clickhouse-external", "username"),
            password=SecretKeyRef("langfuse-clickhouse-external", "password"),
            tls=ch.tls,
            cluster_enabled=ch.cluster_enabled,
        ),
        redis=RedisSentinelBackend(
            master_name=redis.sentinel.master_name,
            sentinels=tuple(redis.sentinel.nodes),
            username=SecretKeyRef("langfuse-redis-external", "username") if redis.credentials.username_property else None,
            password=SecretKeyRef("langfuse-redis-external", "password"),
            sentinel_username=(
                SecretKeyRef("langfuse-redis-sentinel-external", "username")
                if redis.sentinel_credentials and redis.sentinel_credentials.username_property
                else None
            ),
            sentinel_password=SecretKeyRef("langfuse-redis-sentinel-external", "password") if redis.sentinel_credentials else None,
            tls=redis.tls,
        ),
        s3=s3,
        trusted_ca_bundle=(
            ConfigMapKeyRef(backend.trusted_ca_bundle.config_map_name, backend.trusted_ca_bundle.key) if backend.trusted_ca_bundle else None
        ),
    )
