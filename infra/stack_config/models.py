"""The stack configuration schema: every key a `stacks/Pulumi.<stack>.yaml` may set, with defaults.

Keys are camelCase under the `langfuse-rosa:` namespace (e.g. `langfuse-rosa:langfuse` holds an object
with `web.replicas.min`). Unknown keys are errors, so a typo never silently falls back to a default.
Secrets are never values here: only names of Kubernetes Secrets and their keys.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic.alias_generators import to_camel

from components.langfuse.images import DEFAULT_REGISTRY, SUPPORTED_VERSIONS
from infra.stack_config.types import (
    AwsRegion,
    CpuQuantity,
    DataKey,
    DnsLabel,
    DnsName,
    HostPort,
    HttpsUrl,
    IamRoleArn,
    KmsKeyArn,
    MemoryQuantity,
    ObjectName,
    S3BucketName,
    cpu_millicores,
    memory_mib,
)

LangfuseVersion = Literal[SUPPORTED_VERSIONS]  # type: ignore[valid-type]


class Model(BaseModel):
    # strict: YAML already types values (a quoted "3" is not a replica count, `true` is not 1).
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=False, frozen=True, strict=True)


class SecretKeyRef(Model):
    """A key of an existing Kubernetes Secret in the Langfuse namespace."""

    secret_name: ObjectName = Field(description="name of the Secret")
    key: DataKey = Field(description="key inside the Secret")


class ConfigMapKeyRef(Model):
    config_map_name: ObjectName = Field(description="name of the ConfigMap")
    key: DataKey = Field(description="key inside the ConfigMap")


class Credentials(Model):
    """An existing Secret holding a username and a password."""

    secret_name: ObjectName = Field(description="name of the Secret holding the credentials")
    username_key: DataKey = "username"
    password_key: DataKey = "password"


# -- cluster and environment ------------------------------------------------------------------------


class ClusterConfig(Model):
    name: DnsLabel = Field(description="ROSA cluster name, as in `rosa list clusters`")
    region: AwsRegion = Field(description="AWS region of the cluster")
    kube_context: str = Field(
        min_length=1, description="kubeconfig context of the cluster; pins the stack to it so prod never deploys to dev"
    )
    apps_domain: DnsName = Field(description="the cluster's default ingress domain (apps.<cluster>.<id>.p1.openshiftapps.com)")


class OperatorsConfig(Model):
    """How OLM operators of the data tier upgrade (consumed by the data tier)."""

    install_plan_approval: Literal["Automatic", "Manual"] = "Manual"


class DisasterRecoveryConfig(Model):
    """Cross-region copies of backups (consumed by the AWS and backup tiers)."""

    enabled: bool = False
    region: AwsRegion | None = Field(default=None, validate_default=True, description="AWS region that receives the copies")

    @field_validator("region")
    @classmethod
    def _region_when_enabled(cls, region: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("enabled") and region is None:
            raise ValueError("is required when disasterRecovery.enabled is true")
        return region


# -- Langfuse ---------------------------------------------------------------------------------------


class Replicas(Model):
    min: int = Field(ge=1, le=50, description="autoscaler floor")
    max: int = Field(ge=1, le=100, description="autoscaler ceiling")

    @field_validator("max")
    @classmethod
    def _not_below_min(cls, maximum: int, info: ValidationInfo) -> int:
        if "min" in info.data and maximum < info.data["min"]:
            raise ValueError(f"must be at least min ({info.data['min']})")
        return maximum


class Cpu(Model):
    request: CpuQuantity
    limit: CpuQuantity

    @field_validator("limit")
    @classmethod
    def _not_below_request(cls, limit: str, info: ValidationInfo) -> str:
        request = info.data.get("request")
        if request is not None and cpu_millicores(limit) < cpu_millicores(request):
            raise ValueError(f"must be at least request ({request})")
        return limit


class WorkloadConfig(Model):
    replicas: Replicas
    cpu: Cpu = Cpu(request="2", limit="2")
    # Request and limit. Langfuse's minimum for production is 2 CPU / 4 GiB per container
    # (https://langfuse.com/self-hosting/configuration/scaling).
    memory: MemoryQuantity = "4Gi"
    # Langfuse recommends adding instances above 50 % CPU.
    target_cpu_utilization: int = Field(default=50, ge=10, le=95)
    target_memory_utilization: int = Field(default=80, ge=10, le=95)

    @field_validator("memory")
    @classmethod
    def _enough_memory(cls, memory: str) -> str:
        if memory_mib(memory) < 1024:
            raise ValueError("must be at least 1Gi, the least Langfuse starts with")
        return memory


class RouteConfig(Model):
    timeout_seconds: int = Field(default=120, ge=30, le=600, description="router timeout for one request")
    hsts_max_age_seconds: int = Field(default=31536000, ge=300)
    hsts_include_subdomains: bool = True
    hsts_preload: bool = False


class LangfuseConfig(Model):
    namespace: DnsLabel = "langfuse"
    version: LangfuseVersion = "4.16.0"
    image_registry: DnsName = Field(default=DEFAULT_REGISTRY, description="registry or mirror serving langfuse/* images")
    hostname: DnsName = Field(description="public host name of the Langfuse UI and API")
    log_level: Literal["trace", "debug", "info", "warn", "error", "fatal"] = "info"
    telemetry: bool = Field(default=False, description="send anonymous usage statistics to Langfuse")
    password_sign_up: bool = Field(
        default=False, description="without SSO: let anyone who reaches the URL create an account (dev only, typically)"
    )
    web: WorkloadConfig
    worker: WorkloadConfig
    route: RouteConfig = RouteConfig()
    protect_secrets: bool = Field(
        default=True, description="protect SALT and ENCRYPTION_KEY from `pulumi destroy`; they can never be regenerated"
    )


class SsoConfig(Model):
    """Red Hat SSO (Red Hat build of Keycloak). When enabled, password sign-in is turned off."""

    enabled: bool = False
    issuer: HttpsUrl | None = Field(
        default=None, validate_default=True, description="Keycloak realm URL, https://<sso-host>/realms/<realm>"
    )
    client_id: str | None = Field(default=None, min_length=1, validate_default=True, description="OIDC client ID")
    client_secret: SecretKeyRef | None = Field(
        default=None, validate_default=True, description="Secret reference {secretName, key} holding the OIDC client secret"
    )
    display_name: str = "Red Hat SSO"
    allow_account_linking: bool = False

    @field_validator("issuer", "client_id", "client_secret")
    @classmethod
    def _required_when_enabled(cls, value: object, info: ValidationInfo) -> object:
        if info.data.get("enabled") and value is None:
            raise ValueError("is required when sso.enabled is true")
        return value

    @field_validator("issuer")
    @classmethod
    def _keycloak_realm(cls, issuer: str | None) -> str | None:
        if issuer is not None and "/realms/" not in issuer:
            raise ValueError("must be a Keycloak realm URL, https://<sso-host>/realms/<realm>")
        return issuer


# -- Backend (external mode) --------------------------------------------------------------------------


class PostgresConfig(Model):
    host: DnsName
    port: int = Field(default=5432, ge=1, le=65535)
    database: str = Field(default="langfuse", min_length=1, max_length=63)
    credentials: Credentials = Field(description="Secret reference {secretName, usernameKey, passwordKey}")
    server_ca: ConfigMapKeyRef = Field(description="ConfigMap key holding the PEM CA of the server certificate")


class ClickHouseConfig(Model):
    host: DnsName
    http_port: int = Field(default=8443, ge=1, le=65535)
    native_port: int = Field(default=9440, ge=1, le=65535)
    database: str = Field(default="default", min_length=1)
    tls: bool = True
    cluster_enabled: bool = Field(default=True, description="replicated cluster named `default` (one shard)")
    credentials: Credentials = Field(description="Secret reference {secretName, usernameKey, passwordKey}")


class SentinelConfig(Model):
    master_name: str = Field(default="mymaster", min_length=1)
    nodes: list[HostPort] = Field(min_length=1, description="sentinel addresses, host:port")


class RedisCredentials(Model):
    secret_name: ObjectName
    username_key: DataKey | None = Field(default=None, description="ACL user; unset means the default user")
    password_key: DataKey = "password"


class RedisConfig(Model):
    sentinel: SentinelConfig
    credentials: RedisCredentials
    sentinel_credentials: RedisCredentials | None = None
    tls: bool = True


class S3Buckets(Model):
    events: S3BucketName
    media: S3BucketName
    exports: S3BucketName


class S3Prefixes(Model):
    events: str = "events/"
    media: str = "media/"
    exports: str = "exports/"


class ServiceAccountRoles(Model):
    web: IamRoleArn | None = None
    worker: IamRoleArn | None = None


class S3Config(Model):
    region: AwsRegion | None = Field(default=None, description="bucket region; defaults to cluster.region")
    buckets: S3Buckets
    prefixes: S3Prefixes = S3Prefixes()
    kms_key_arn: KmsKeyArn | None = Field(default=None, description="CMK for SSE-KMS on every object Langfuse writes")
    role_arns: ServiceAccountRoles = ServiceAccountRoles()


class BackendConfig(Model):
    mode: Literal["external"] = Field(
        default="external", description="external: managed databases reached through existing Secrets"
    )
    postgres: PostgresConfig
    clickhouse: ClickHouseConfig
    redis: RedisConfig
    s3: S3Config
    trusted_ca_bundle: ConfigMapKeyRef | None = Field(
        default=None, description="extra CAs for ClickHouse, Redis and SSO; default: the cluster's trusted bundle"
    )


class StackConfig(Model):
    environment: Literal["dev", "staging", "prod"] = Field(description="dev, staging or prod: sets environment-wide defaults")
    cluster: ClusterConfig = Field(description="the ROSA cluster: {name, region, kubeContext, appsDomain}")
    operators: OperatorsConfig = OperatorsConfig()
    disaster_recovery: DisasterRecoveryConfig = DisasterRecoveryConfig()
    langfuse: LangfuseConfig = Field(description="the Langfuse deployment: {hostname, web, worker, ...}")
    sso: SsoConfig = SsoConfig()
    backend: BackendConfig = Field(description="the stores Langfuse uses: {postgres, clickhouse, redis, s3}")

    @field_validator("disaster_recovery")
    @classmethod
    def _dr_elsewhere(cls, dr: DisasterRecoveryConfig, info: ValidationInfo) -> DisasterRecoveryConfig:
        cluster = info.data.get("cluster")
        if dr.enabled and cluster is not None and dr.region == cluster.region:
            raise ValueError(f"region {dr.region} must differ from cluster.region, or the copy shares the primary's fate")
        return dr
