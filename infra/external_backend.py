"""External mode: the backend contract filled from stack config (managed databases, existing Secrets)."""

from __future__ import annotations

from components.langfuse.backend import (
    CaCertificateRef,
    ClickHouseBackend,
    ConfigMapKeyRef,
    LangfuseBackend,
    PostgresBackend,
    RedisSentinelBackend,
    S3Backend,
    S3Bucket,
    SecretKeyRef,
)
from infra.stack_config import models


def external_backend(config: models.StackConfig) -> LangfuseBackend:
    backend = config.backend
    pg, ch, redis = backend.postgres, backend.clickhouse, backend.redis
    assert pg and ch and redis  # guaranteed for mode external by BackendConfig's validator
    return LangfuseBackend(
        postgres=PostgresBackend(
            host=pg.host,
            port=pg.port,
            database=pg.database,
            username=SecretKeyRef(pg.credentials.secret_name, pg.credentials.username_key),
            password=SecretKeyRef(pg.credentials.secret_name, pg.credentials.password_key),
            server_ca=CaCertificateRef("ConfigMap", pg.server_ca.config_map_name, pg.server_ca.key),
        ),
        clickhouse=ClickHouseBackend(
            host=ch.host,
            http_port=ch.http_port,
            native_port=ch.native_port,
            database=ch.database,
            username=SecretKeyRef(ch.credentials.secret_name, ch.credentials.username_key),
            password=SecretKeyRef(ch.credentials.secret_name, ch.credentials.password_key),
            tls=ch.tls,
            cluster_enabled=ch.cluster_enabled,
        ),
        redis=RedisSentinelBackend(
            master_name=redis.sentinel.master_name,
            sentinels=tuple(redis.sentinel.nodes),
            username=_optional_key(redis.credentials, redis.credentials.username_key),
            password=SecretKeyRef(redis.credentials.secret_name, redis.credentials.password_key),
            sentinel_username=_optional_key(redis.sentinel_credentials, redis.sentinel_credentials and redis.sentinel_credentials.username_key),
            sentinel_password=_optional_key(redis.sentinel_credentials, redis.sentinel_credentials and redis.sentinel_credentials.password_key),
            tls=redis.tls,
        ),
        s3=s3_backend(config),
        trusted_ca_bundle=_config_map(backend.trusted_ca_bundle) if backend.trusted_ca_bundle else None,
    )


def s3_backend(config: models.StackConfig) -> S3Backend:
    s3 = config.backend.s3
    return S3Backend(
        region=s3.region or config.cluster.region,
        events=S3Bucket(s3.buckets.events, s3.prefixes.events),
        media=S3Bucket(s3.buckets.media, s3.prefixes.media),
        exports=S3Bucket(s3.buckets.exports, s3.prefixes.exports),
        kms_key_arn=s3.kms_key_arn,
        web_role_arn=s3.role_arns.web,
        worker_role_arn=s3.role_arns.worker,
    )


def _config_map(ref: models.ConfigMapKeyRef) -> ConfigMapKeyRef:
    return ConfigMapKeyRef(ref.config_map_name, ref.key)


def _optional_key(credentials: models.RedisCredentials | None, key: str | None) -> SecretKeyRef | None:
    if credentials is None or key is None:
        return None
    return SecretKeyRef(credentials.secret_name, key)
