"""Environment variables of the Langfuse containers, composed from typed settings.

Every name set here must be one Langfuse v4.16 reads (tests/data/langfuse/env-vars-v4.16.0.txt,
enforced by tests). Secrets are only ever `secretKeyRef`s.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.common.refs import SecretKeyRef
from components.langfuse.backend import ClickHouseBackend, LangfuseBackend, PostgresBackend, RedisSentinelBackend, S3Backend
from components.monitoring.statsd_exporter import StatsdTarget

EnvVar = k8s.core.v1.EnvVarArgs

# Where the CA files are mounted (see volumes.py).
POSTGRES_CA_FILE = "/etc/langfuse/tls/postgres/ca.crt"
TRUSTED_CA_FILE = "/etc/langfuse/tls/trusted/ca-bundle.crt"


@dataclass(frozen=True)
class SsoSettings:
    """Red Hat build of Keycloak (Red Hat SSO) through Langfuse's Keycloak provider."""

    issuer: str  # https://<host>/realms/<realm>
    client_id: str
    client_secret: SecretKeyRef
    display_name: str
    allow_account_linking: bool


@dataclass(frozen=True)
class ProcessSettings:
    """What every Langfuse process (web and worker) is told alike, from the stack's langfuse settings."""

    log_level: str
    telemetry_enabled: bool
    license_key: SecretKeyRef | None  # LANGFUSE_EE_LICENSE_KEY; None: the open-source features only


@dataclass(frozen=True)
class InitUser:
    email: str
    name: str
    password: SecretKeyRef


@dataclass(frozen=True)
class SharedProjectInit:
    """The one organisation, project and key pair Langfuse web creates at start when there is no licence."""

    organization_id: str
    organization_name: str
    project_id: str
    project_name: str
    public_key: SecretKeyRef
    secret_key: SecretKeyRef
    owner: InitUser | None  # None with SSO: password sign-in is off


def value(name: str, val: pulumi.Input[str]) -> EnvVar:
    return EnvVar(name=name, value=val)


def secret(name: str, ref: SecretKeyRef) -> EnvVar:
    return EnvVar(
        name=name,
        value_from=k8s.core.v1.EnvVarSourceArgs(
            secret_key_ref=k8s.core.v1.SecretKeySelectorArgs(name=ref.name, key=ref.key, optional=False)
        ),
    )


def flag(name: str, on: bool) -> EnvVar:
    return value(name, "true" if on else "false")


# Share of the container's memory limit given to the V8 heap. Langfuse's FAQ suggests the whole limit
# (https://langfuse.com/faq/all/self-hosting-javascript-heap-out-of-memory); we keep a quarter for what lives
# outside the heap (Buffers for S3 and ClickHouse I/O, the tokenizer's WebAssembly memory, code, stacks).
# With the heap at 100 %, V8 defers collection until the kernel OOM-kills the container mid-request, and the
# HPA's memory signal reads garbage as load.
HEAP_SHARE_OF_MEMORY_LIMIT = 0.75


def node_options(memory_limit_mib: int) -> EnvVar:
    return value("NODE_OPTIONS", f"--max-old-space-size={int(memory_limit_mib * HEAP_SHARE_OF_MEMORY_LIMIT)}")


def postgres_env(pg: PostgresBackend, pool_size: int) -> list[EnvVar]:
    # The images' entrypoints build DATABASE_URL from these parts, appending DATABASE_ARGS as its query
    # (web/entrypoint.sh, worker/entrypoint.sh, v4.16.0), so the password never has to be spliced into a URL
    # held in a Secret; the web entrypoint sets DIRECT_URL (the schema's directUrl, for migrations) to the same.
    # Prisma's Postgres driver verifies the server only with sslaccept=strict and the CA given in sslcert; its
    # default (accept_invalid_certs) would accept any certificate. connection_limit caps Prisma's pool: its
    # default, num_physical_cpus * 2 + 1, counts the node's CPUs, not the container's (Prisma ORM v6 docs,
    # "Connection pool"; Langfuse 4.16 uses Prisma 6.19 with one client per process, packages/shared/src/db.ts).
    return [
        value("DATABASE_HOST", pulumi.Output.concat(pg.host, ":", str(pg.port))),
        value("DATABASE_NAME", pg.database),
        secret("DATABASE_USERNAME", pg.username),
        secret("DATABASE_PASSWORD", pg.password),
        value("DATABASE_ARGS", f"sslmode=require&sslaccept=strict&sslcert={POSTGRES_CA_FILE}&connection_limit={pool_size}"),
    ]


def clickhouse_env(ch: ClickHouseBackend) -> list[EnvVar]:
    scheme = "https" if ch.tls else "http"
    return [
        value("CLICKHOUSE_URL", pulumi.Output.concat(scheme, "://", ch.host, ":", str(ch.http_port))),
        value("CLICKHOUSE_MIGRATION_URL", pulumi.Output.concat("clickhouse://", ch.host, ":", str(ch.native_port))),
        # Langfuse's migration script adds skip_verify=true when SSL is on (clickhouse/scripts/up.sh):
        # the migration connection is encrypted but not verified. The app's HTTP client verifies.
        flag("CLICKHOUSE_MIGRATION_SSL", ch.tls),
        value("CLICKHOUSE_DB", ch.database),
        secret("CLICKHOUSE_USER", ch.username),
        secret("CLICKHOUSE_PASSWORD", ch.password),
        flag("CLICKHOUSE_CLUSTER_ENABLED", ch.cluster_enabled),
        value("CLICKHOUSE_CLUSTER_NAME", ch.cluster_name),
    ]


def redis_env(redis: RedisSentinelBackend) -> list[EnvVar]:
    env = [
        flag("REDIS_SENTINEL_ENABLED", True),
        value("REDIS_SENTINEL_MASTER_NAME", redis.master_name),
        value("REDIS_SENTINEL_NODES", pulumi.Output.from_input(redis.sentinels).apply(",".join)),
        secret("REDIS_AUTH", redis.password),
        flag("REDIS_TLS_ENABLED", redis.tls),
        flag("REDIS_SENTINEL_TLS_ENABLED", redis.tls),
    ]
    if redis.tls:
        env.append(value("REDIS_TLS_CA_PATH", TRUSTED_CA_FILE))
    if redis.username is not None:
        env.append(secret("REDIS_USERNAME", redis.username))
    if redis.sentinel_username is not None:
        env.append(secret("REDIS_SENTINEL_USERNAME", redis.sentinel_username))
    if redis.sentinel_password is not None:
        env.append(secret("REDIS_SENTINEL_PASSWORD", redis.sentinel_password))
    return env


def s3_env(s3: S3Backend) -> list[EnvVar]:
    # No access keys: the AWS SDK's default chain picks up the web identity token that the pod identity
    # webhook mounts for the service account's IAM role.
    env = [flag("LANGFUSE_S3_BATCH_EXPORT_ENABLED", True)]
    for prefix, target in (
        ("LANGFUSE_S3_EVENT_UPLOAD", s3.events),
        ("LANGFUSE_S3_MEDIA_UPLOAD", s3.media),
        ("LANGFUSE_S3_BATCH_EXPORT", s3.exports),
    ):
        env += [
            value(f"{prefix}_BUCKET", target.bucket),
            value(f"{prefix}_REGION", s3.region),
            value(f"{prefix}_PREFIX", target.prefix),
        ]
        if s3.kms_key_arn is not None:
            env += [value(f"{prefix}_SSE", "aws:kms"), value(f"{prefix}_SSE_KMS_KEY_ID", s3.kms_key_arn)]
    return env


def metrics_env(statsd: StatsdTarget, service: str, version: str) -> list[EnvVar]:
    """dd-trace's DogStatsD client (the only way Langfuse emits metrics) pointed at our statsd_exporter.

    Measured with dd-trace 5.109.0 (Langfuse's pin; tests/monitoring): DD_TRACE_ENABLED=false would silence
    the custom metrics too, so tracing stays on (Langfuse inits dd-trace with plugins off; its traces go
    through OpenTelemetry). The client first POSTs metrics to the agent URL's /dogstatsd/v2/proxy and
    switches to UDP for good on a 404, so the agent URL is the exporter's HTTP port, which answers 404.
    Telemetry and remote configuration, which need a Datadog agent, are off.
    """
    return [
        value("DD_AGENT_HOST", statsd.host),
        value("DD_DOGSTATSD_PORT", str(statsd.port)),
        value("DD_TRACE_AGENT_URL", statsd.agent_url),
        value("DD_SERVICE", service),
        value("DD_ENV", statsd.environment),
        value("DD_VERSION", version),
        flag("DD_INSTRUMENTATION_TELEMETRY_ENABLED", False),
        flag("DD_REMOTE_CONFIGURATION_ENABLED", False),
    ]


def backend_env(backend: LangfuseBackend, postgres_pool_size: int) -> list[EnvVar]:
    return postgres_env(backend.postgres, postgres_pool_size) + clickhouse_env(backend.clickhouse) + redis_env(backend.redis) + s3_env(backend.s3)


def sign_in_env(sso: SsoSettings | None, password_sign_up: bool) -> list[EnvVar]:
    if sso is None:
        # E-mail/password accounts only; sign-up open or closed as the stack says.
        return [flag("AUTH_DISABLE_SIGNUP", not password_sign_up)]
    return [
        value("AUTH_KEYCLOAK_ISSUER", sso.issuer),
        value("AUTH_KEYCLOAK_CLIENT_ID", sso.client_id),
        secret("AUTH_KEYCLOAK_CLIENT_SECRET", sso.client_secret),
        value("AUTH_KEYCLOAK_NAME", sso.display_name),
        flag("AUTH_KEYCLOAK_ALLOW_ACCOUNT_LINKING", sso.allow_account_linking),
        # With SSO on, the only way in is the identity provider. Sign-up stays open: Langfuse creates
        # SSO users on first login, and AUTH_DISABLE_SIGNUP would refuse them too (web/src/server/auth.ts).
        flag("AUTH_DISABLE_USERNAME_PASSWORD", True),
    ]


def init_env(init: SharedProjectInit | None) -> list[EnvVar]:
    """LANGFUSE_INIT_*, read by web at start (web/src/initialize.ts, v4.16.0, run from instrumentation.ts unless
    NEXT_PUBLIC_LANGFUSE_RUN_NEXT_INIT is "false"). ORG_ID gates everything (without it every other INIT variable
    is ignored); PROJECT_ID is needed for the project and its key; PUBLIC_KEY and SECRET_KEY only together (one
    alone is ignored with a warning); USER_EMAIL and USER_PASSWORD only together. Organisation and project are
    upserted by id with `update: {}`, so names apply at creation only. Not set: PROJECT_RETENTION (applied only
    with the data-retention entitlement, Enterprise; this mode has no licence) and ORG_CLOUD_PLAN (Langfuse's CI)."""
    if init is None:
        return []
    env = [
        value("LANGFUSE_INIT_ORG_ID", init.organization_id),
        value("LANGFUSE_INIT_ORG_NAME", init.organization_name),
        value("LANGFUSE_INIT_PROJECT_ID", init.project_id),
        value("LANGFUSE_INIT_PROJECT_NAME", init.project_name),
        secret("LANGFUSE_INIT_PROJECT_PUBLIC_KEY", init.public_key),
        secret("LANGFUSE_INIT_PROJECT_SECRET_KEY", init.secret_key),
    ]
    if init.owner is not None:
        env += [
            value("LANGFUSE_INIT_USER_EMAIL", init.owner.email),
            value("LANGFUSE_INIT_USER_NAME", init.owner.name),
            secret("LANGFUSE_INIT_USER_PASSWORD", init.owner.password),
        ]
    return env


def process_env(
    *, port: int, memory_limit_mib: int, settings: ProcessSettings, salt: SecretKeyRef, encryption_key: SecretKeyRef
) -> list[EnvVar]:
    """What web and worker both need, besides the backend."""
    licence = [secret("LANGFUSE_EE_LICENSE_KEY", settings.license_key)] if settings.license_key is not None else []
    return [
        node_options(memory_limit_mib),
        # Listen on all interfaces; the runtime sets HOSTNAME to the pod name otherwise.
        value("HOSTNAME", "0.0.0.0"),
        value("PORT", str(port)),
        value("NODE_EXTRA_CA_CERTS", TRUSTED_CA_FILE),
        value("LANGFUSE_LOG_LEVEL", settings.log_level),
        value("LANGFUSE_LOG_FORMAT", "json"),
        flag("TELEMETRY_ENABLED", settings.telemetry_enabled),
        secret("SALT", salt),
        secret("ENCRYPTION_KEY", encryption_key),
    ] + licence
