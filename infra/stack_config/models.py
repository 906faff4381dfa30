"""The stack configuration schema: every key a `stacks/Pulumi.<stack>.yaml` may set, with defaults.

Keys are camelCase under the `langfuse-rosa:` namespace (e.g. `langfuse-rosa:langfuse` holds an object
with `web.replicas.min`). Unknown keys are errors, so a typo never silently falls back to a default.
Secrets are never values here: only names of Kubernetes Secrets and their keys.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
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
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=False, frozen=True)


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
    region: AwsRegion | None = Field(default=None, description="AWS region that receives the copies")

    @model_validator(mode="after")
    def _region_when_enabled(self) -> DisasterRecoveryConfig:
        if self.enabled and self.region is None:
            raise ValueError("region is required when enabled is true")
        return self


# -- Langfuse ---------------------------------------------------------------------------------------


class Replicas(Model):
    min: int = Field(ge=1, le=50, description="autoscaler floor")
    max: int = Field(ge=1, le=100, description="autoscaler ceiling")

    @model_validator(mode="after")
    def _ordered(self) -> Replicas:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        return self


class Cpu(Model):
    request: CpuQuantity
    limit: CpuQuantity

    @model_validator(mode="after")
    def _ordered(self) -> Cpu:
        if cpu_millicores(self.request) > cpu_millicores(self.limit):
            raise ValueError(f"request ({self.request}) must not exceed limit ({self.limit})")
        return self


class WorkloadConfig(Model):
    replicas: Replicas
    cpu: Cpu = Cpu(request="2", limit="2")
    # Request and limit. Langfuse's minimum for production is 2 CPU / 4 GiB per container
    # (https://langfuse.com/self-hosting/configuration/scaling).
    memory: MemoryQuantity = "4Gi"
    # Langfuse recommends adding instances above 50 % CPU.
    target_cpu_utilization: int = Field(default=50, ge=10, le=95)
    target_memory_utilization: int = Field(default=80, ge=10, le=95)

    @model_validator(mode="after")
    def _enough_memory(self) -> WorkloadConfig:
        if memory_mib(self.memory) < 1024:
            raise ValueError(f"memory {self.memory} is below the 1Gi Langfuse needs to start")
        return self


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
    issuer: HttpsUrl | None = Field(default=None, description="realm URL, https://<sso-host>/realms/<realm>")
    client_id: str | None = Field(default=None, min_length=1)
    client_secret: SecretKeyRef | None = None
    display_name: str = "Red Hat SSO"
    allow_account_linking: bool = False

    @model_validator(mode="after")
    def _complete_when_enabled(self) -> SsoConfig:
        if self.enabled:
            missing = [alias for alias, val in (("issuer", self.issuer), ("clientId", self.client_id), ("clientSecret", self.client_secret)) if val is None]
            if missing:
                raise ValueError(f"{', '.join(missing)} required when enabled is true")
            if "/realms/" not in (self.issuer or ""):
                raise ValueError("issuer must be a Keycloak realm URL, https://<sso-host>/realms/<realm>")
        return self


# -- Backend (external mode) --------------------------------------------------------------------------


class PostgresConfig(Model):
    host: DnsName
    port: int = Field(default=5432, ge=1, le=65535)
    database: str = Field(default="langfuse", min_length=1, max_length=63)
    credentials: Credentials
    server_ca: ConfigMapKeyRef = Field(description="ConfigMap key holding the PEM CA of the server certificate")


class ClickHouseConfig(Model):
    host: DnsName
    http_port: int = Field(default=8443, ge=1, le=65535)
    native_port: int = Field(default=9440, ge=1, le=65535)
    database: str = Field(default="default", min_length=1)
    tls: bool = True
    cluster_enabled: bool = Field(default=True, description="replicated cluster named `default` (one shard)")
    credentials: Credentials


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
    environment: Literal["dev", "staging", "prod"]
    cluster: ClusterConfig
    operators: OperatorsConfig = OperatorsConfig()
    disaster_recovery: DisasterRecoveryConfig = DisasterRecoveryConfig()
    langfuse: LangfuseConfig
    sso: SsoConfig = SsoConfig()
    backend: BackendConfig

    @model_validator(mode="after")
    def _dr_elsewhere(self) -> StackConfig:
        if self.disaster_recovery.enabled and self.disaster_recovery.region == self.cluster.region:
            raise ValueError(f"disasterRecovery.region must differ from cluster.region ({self.cluster.region})")
        return self
