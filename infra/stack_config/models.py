"""The stack configuration schema: every key a `stacks/Pulumi.<stack>.yaml` may set, with defaults.

Keys are camelCase under the `langfuse-rosa:` namespace (e.g. `langfuse-rosa:langfuse` holds an object
with `web.replicas.min`). Unknown keys are errors, so a typo never silently falls back to a default.
Secrets are never values here: only names of Kubernetes Secrets and their keys.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from components.langfuse.images import DEFAULT_REGISTRY, SUPPORTED_VERSIONS
from infra.stack_config.analytics import AnalyticsConfig
from infra.stack_config.audit import AuditConfig
from infra.stack_config.aws import AwsConfig
from infra.stack_config.base import (
    SUPPORTED_OPENSHIFT,
    ClusterConfig,
    ConfigMapKeyRefConfig,
    Cpu,
    Credentials,
    Model,
    SecretsManagerRef,
)
from infra.stack_config.data_tier import DataTierConfig
from infra.stack_config.monitoring import MonitoringConfig
from infra.stack_config.network import NetworkConfig
from infra.stack_config.tenancy import TenancyConfig
from infra.stack_config.types import (
    AwsRegion,
    DataKey,
    DnsName,
    EmailAddress,
    EnvironmentNamespace,
    HostPort,
    HttpsUrl,
    MemoryQuantity,
    ObjectName,
    SecretsManagerName,
    cpu_millicores,
    memory_mib,
)
from infra.stack_config.verification import VerificationConfig

LangfuseVersion = Literal[SUPPORTED_VERSIONS]  # type: ignore[valid-type]
# Releases whose default feature set serves Route.spec.tls.externalCertificate (openshift/api features/features.go,
# RouteExternalCertificate: TechPreviewNoUpgrade only on release-4.18, Default from release-4.19).
ROUTE_EXTERNAL_CERTIFICATE = tuple(v for v in SUPPORTED_OPENSHIFT if v != "4.18")


def under_wildcard(hostname: str, apps_domain: str) -> bool:
    """The router's default certificate is *.<appsDomain>: it covers exactly one label below the domain."""
    first, _, rest = hostname.partition(".")
    return rest == apps_domain and bool(first)


# -- cluster and environment ------------------------------------------------------------------------


class DisasterRecoveryConfig(Model):
    """Cross-region copies of backups (consumed by the AWS and backup tiers)."""

    enabled: bool = Field(default=False, description="copy backups to a second region")
    region: AwsRegion | None = Field(default=None, validate_default=True, description="AWS region that receives the copies")
    alert_emails: list[EmailAddress] = Field(
        default=[],
        validate_default=True,
        description="who hears of a failing or late replication (SNS email subscriptions; a Slack channel's email address works)",
    )

    @field_validator("region")
    @classmethod
    def _region_when_enabled(cls, region: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("enabled") and region is None:
            raise ValueError("is required when disasterRecovery.enabled is true")
        return region

    @field_validator("alert_emails")
    @classmethod
    def _someone_hears_of_failures(cls, emails: list[str], info: ValidationInfo) -> list[str]:
        if info.data.get("enabled") and not emails:
            raise ValueError("needs at least one address when disasterRecovery.enabled is true: a failing replication must reach a person")
        return emails


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


class WorkloadConfig(Model):
    replicas: Replicas = Field(description="autoscaling bounds {min, max}")
    cpu: Cpu = Field(default=Cpu(request="2", limit="2"), description="CPU request and limit")
    # Request and limit. Langfuse's minimum for production is 2 CPU / 4 GiB per container
    # (https://langfuse.com/self-hosting/configuration/scaling).
    memory: MemoryQuantity = Field(default="4Gi", description="memory request and limit; also sets Node.js --max-old-space-size")
    # Langfuse recommends adding instances above 50 % CPU.
    target_cpu_utilization: int = Field(default=50, ge=10, le=95, description="HPA CPU target, % of request")
    target_memory_utilization: int = Field(default=80, ge=10, le=95, description="HPA memory target, % of request")
    postgres_pool_size: int | None = Field(
        default=None, ge=1, le=100, description="PostgreSQL connections per pod (Prisma's connection_limit); default 2 × CPU limit + 1"
    )

    @property
    def effective_postgres_pool_size(self) -> int:
        # Prisma's own default, num_physical_cpus * 2 + 1, applied to the container's CPU limit instead of the
        # node's cores (Prisma ORM v6 docs, "Connection pool").
        if self.postgres_pool_size is not None:
            return self.postgres_pool_size
        return 2 * -(-cpu_millicores(self.cpu.limit) // 1000) + 1

    @field_validator("memory")
    @classmethod
    def _enough_memory(cls, memory: str) -> str:
        if memory_mib(memory) < 1024:
            raise ValueError("must be at least 1Gi, the least Langfuse starts with")
        return memory


class QueueScalingConfig(Model):
    """Scale the worker on Langfuse's ingestion backlog as well as CPU and memory (Custom Metrics Autoscaler)."""

    enabled: bool = Field(default=True, description="scale the worker on the ingestion backlog (needs the cluster layer's KEDA)")
    waiting_jobs_per_replica: int = Field(
        default=2000, ge=10, le=1_000_000, description="backlog one worker replica is expected to clear; replicas = backlog / this"
    )


class WorkerConfig(WorkloadConfig):
    queue_scaling: QueueScalingConfig = Field(default=QueueScalingConfig(), description="backlog-driven autoscaling")


class RouteConfig(Model):
    # The fields of components/langfuse/web/route.py's RouteSettings, which the program builds from these by name.
    timeout_seconds: int = Field(default=120, ge=30, le=600, description="router timeout for one request")
    hsts_max_age_seconds: int = Field(default=31536000, ge=300, description="Strict-Transport-Security max-age")
    hsts_include_subdomains: bool = Field(default=True, description="HSTS includeSubDomains")
    hsts_preload: bool = Field(default=False, description="HSTS preload (only once the domain is on the preload list)")


class CertificateIssuerRef(Model):
    """A cert-manager issuer that exists on the cluster (e.g. an ACME ClusterIssuer solving DNS-01 on Route 53)."""

    kind: Literal["ClusterIssuer", "Issuer"] = Field(default="ClusterIssuer", description="ClusterIssuer, or an Issuer in the namespace")
    name: ObjectName = Field(description="the issuer's name (`oc get clusterissuer`)")


class TlsSecretsManagerRef(Model):
    """A certificate and key kept in an existing Secrets Manager secret (PEM), referenced, never copied."""

    secrets_manager_name: SecretsManagerName = Field(description="name of the secret in Secrets Manager")
    certificate_property: DataKey = Field(default="tls.crt", description="JSON property of the PEM certificate chain (leaf first)")
    key_property: DataKey = Field(default="tls.key", description="JSON property of the PEM private key")


class CertificateConfig(Model):
    """Where the certificate of langfuse.hostname comes from: exactly one of issuer and secretsManager. It lands in the
    Secret langfuse-web-tls, which the Route references (spec.tls.externalCertificate, OpenShift 4.19 and later)."""

    issuer: CertificateIssuerRef | None = Field(default=None, description="cert-manager issues and renews it: {kind, name} of an existing issuer")
    secrets_manager: TlsSecretsManagerRef | None = Field(
        default=None, description="or it is kept in Secrets Manager: {secretsManagerName, certificateProperty, keyProperty}"
    )

    @field_validator("secrets_manager")
    @classmethod
    def _exactly_one(cls, secrets_manager: TlsSecretsManagerRef | None, info: ValidationInfo) -> TlsSecretsManagerRef | None:
        issuer = info.data.get("issuer")
        if (issuer is None) == (secrets_manager is None) and "issuer" in info.data:
            raise ValueError("set exactly one of certificate.issuer and certificate.secretsManager")
        return secrets_manager


class LangfuseConfig(Model):
    namespace: EnvironmentNamespace = Field(default="langfuse", description="namespace of the app tier (created by the stack); not default, openshift-* or kube-*")
    version: LangfuseVersion = Field(default="4.16.0", description="Langfuse release; images are pinned by digest per release")
    image_registry: DnsName = Field(default=DEFAULT_REGISTRY, description="registry or mirror serving langfuse/* images")
    hostname: DnsName | None = Field(
        default=None,
        description="public host name of the UI and API; default <namespace>.<cluster.appsDomain>, under the router's wildcard certificate; another name needs certificate and a DNS record (README: custom hostname)",
    )
    certificate: CertificateConfig | None = Field(
        default=None, description="the certificate of a hostname outside the router's wildcard: cert-manager or Secrets Manager"
    )
    log_level: Literal["trace", "debug", "info", "warn", "error", "fatal"] = Field(default="info", description="LANGFUSE_LOG_LEVEL")
    telemetry: bool = Field(default=False, description="send anonymous usage statistics to Langfuse")
    password_sign_up: bool = Field(
        default=False, description="without SSO: let anyone who reaches the URL create an account (dev only, typically)"
    )
    web: WorkloadConfig = Field(description="the UI and API pods")
    worker: WorkerConfig = Field(description="the queue-processing pods")
    route: RouteConfig = Field(default=RouteConfig(), description="the HTTPS Route in front of web")
    license_key: SecretsManagerRef | None = Field(default=None, description="Langfuse Enterprise licence key, if any")
    protect_secrets: bool = Field(
        default=True, description="protect SALT and ENCRYPTION_KEY from `pulumi destroy`; they can never be regenerated"
    )


class SsoConfig(Model):
    """Red Hat SSO (Red Hat build of Keycloak). When enabled, password sign-in is turned off."""

    enabled: bool = Field(default=False, description="sign in through Keycloak only")
    issuer: HttpsUrl | None = Field(
        default=None, validate_default=True, description="Keycloak realm URL, https://<sso-host>/realms/<realm>"
    )
    client_id: str | None = Field(default=None, min_length=1, validate_default=True, description="OIDC client ID")
    client_secret: SecretsManagerRef | None = Field(
        default=None, validate_default=True, description="Secrets Manager reference {secretsManagerName, property} to the OIDC client secret"
    )
    display_name: str = Field(default="Red Hat SSO", description="label of the sign-in button")
    allow_account_linking: bool = Field(
        default=False, description="link an SSO login to an existing account with the same e-mail"
    )

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
    """PostgreSQL ≥ 15, reached over verified TLS."""

    host: DnsName = Field(description="server host name (must match its certificate)")
    port: int = Field(default=5432, ge=1, le=65535, description="server port")
    database: str = Field(default="langfuse", min_length=1, max_length=63, description="database Langfuse owns")
    credentials: Credentials = Field(description="Secrets Manager secret {secretsManagerName, usernameProperty, passwordProperty}")
    server_ca: ConfigMapKeyRefConfig = Field(description="ConfigMap key holding the PEM CA of the server certificate")
    connection_budget: int = Field(
        ge=1,
        le=100_000,
        description="connections Langfuse may hold at once: the server's max_connections less its reserved slots and other clients' share",
    )


class ClickHouseConfig(Model):
    """ClickHouse ≥ 25.12, one shard."""

    host: DnsName = Field(description="server host name")
    http_port: int = Field(default=8443, ge=1, le=65535, description="HTTP(S) port the app queries")
    native_port: int = Field(default=9440, ge=1, le=65535, description="native-protocol port migrations use")
    database: str = Field(default="default", min_length=1, description="database name")
    tls: bool = Field(default=True, description="HTTPS and native TLS")
    cluster_enabled: bool = Field(default=True, description="replicated cluster named `default` (one shard)")
    credentials: Credentials = Field(description="Secrets Manager secret {secretsManagerName, usernameProperty, passwordProperty}")


class SentinelConfig(Model):
    master_name: str = Field(default="mymaster", min_length=1, description="name the sentinels monitor the master under")
    nodes: list[HostPort] = Field(min_length=1, description="sentinel addresses, host:port")


class RedisCredentials(Model):
    secrets_manager_name: SecretsManagerName = Field(description="name of the secret in Secrets Manager")
    username_property: DataKey | None = Field(default=None, description="JSON property of the ACL user; unset means the default user")
    password_property: DataKey = Field(default="password", description="JSON property of the password")


class RedisConfig(Model):
    """Redis/Valkey ≥ 7 with maxmemory-policy noeviction, behind Sentinel."""

    sentinel: SentinelConfig = Field(description="the sentinels {masterName, nodes}")
    credentials: RedisCredentials = Field(description="Secret with the data nodes' ACL user and password")
    sentinel_credentials: RedisCredentials | None = Field(default=None, description="Secret for the sentinels, when they require auth")
    tls: bool = Field(default=True, description="TLS to data nodes and sentinels")


class BackendConfig(Model):
    mode: Literal["in-cluster", "external"] = Field(
        default="in-cluster",
        description="in-cluster: the stores run in the cluster (dataTier); external: managed stores reached through existing Secrets",
    )
    postgres: PostgresConfig | None = Field(default=None, validate_default=True, description="external PostgreSQL ≥ 15")
    clickhouse: ClickHouseConfig | None = Field(
        default=None, validate_default=True, description="external ClickHouse ≥ 25.12, one shard"
    )
    redis: RedisConfig | None = Field(default=None, validate_default=True, description="external Redis/Valkey ≥ 7 behind Sentinel")
    trusted_ca_bundle: ConfigMapKeyRefConfig | None = Field(
        default=None, description="external mode: extra CAs for ClickHouse, Redis and SSO; default: the cluster's trusted bundle"
    )

    @field_validator("postgres", "clickhouse", "redis")
    @classmethod
    def _external_stores_match_mode(cls, store: object, info: ValidationInfo) -> object:
        mode = info.data.get("mode")
        if mode == "external" and store is None:
            raise ValueError("is required when backend.mode is external")
        if mode == "in-cluster" and store is not None:
            raise ValueError("must not be set when backend.mode is in-cluster (the data tier provides it; see dataTier)")
        return store


class StackConfig(Model):
    """An environment stack: Langfuse and (in-cluster mode) its data tier, in one namespace."""

    layer: Literal["environment"] = Field(default="environment", description="environment (this table) or cluster (see below)")
    environment: Literal["dev", "staging", "prod"] = Field(description="the environment's tier: dev, staging or prod")
    cluster: ClusterConfig = Field(description="the ROSA cluster: {name, region, kubeContext, appsDomain}")
    disaster_recovery: DisasterRecoveryConfig = Field(default=DisasterRecoveryConfig(), description="cross-region backup copies")
    langfuse: LangfuseConfig = Field(description="the Langfuse deployment: {web, worker, hostname, ...}")
    sso: SsoConfig = Field(default=SsoConfig(), description="sign-in through Red Hat SSO")
    aws: AwsConfig = Field(description="the environment's AWS account: buckets, keys, IAM roles, Secrets Manager")
    monitoring: MonitoringConfig = Field(default=MonitoringConfig(), description="metrics, alerts and dashboards")
    backend: BackendConfig = Field(description="the stores Langfuse uses: {mode, and in external mode postgres, clickhouse, redis}")
    data_tier: DataTierConfig | None = Field(
        default=None, validate_default=True, description="in-cluster mode: PostgreSQL, ClickHouse and Redis Sentinel run by this stack"
    )
    network: NetworkConfig = Field(description="egress of the namespace: {apiServer, httpsEgressCidrs, ...}; in-cluster flows are derived")
    tenancy: TenancyConfig = Field(default=TenancyConfig(), description="the tenant controller: a Langfuse project and keys per platform project")
    verification: VerificationConfig = Field(
        default=VerificationConfig(), description="`langfuse-rosa verify` after each deploy, and the round-trip monitor in the cluster"
    )
    audit: AuditConfig = Field(default=AuditConfig(), description="CloudTrail, the audit bucket and its retention, pgaudit, Langfuse's audit_logs export")
    analytics: AnalyticsConfig = Field(
        default=AnalyticsConfig(), description="a sharded ClickHouse for dashboards and warehouses, loaded from Langfuse's exports"
    )

    @field_validator("langfuse")
    @classmethod
    def _hostname_has_a_certificate(cls, langfuse: LangfuseConfig, info: ValidationInfo) -> LangfuseConfig:
        cluster = info.data.get("cluster")
        if cluster is None:
            return langfuse
        if langfuse.certificate is not None and langfuse.hostname is None:
            raise ValueError("certificate is for langfuse.hostname, which is not set (the default name is under the router's wildcard certificate)")
        if langfuse.hostname is not None and langfuse.certificate is None and not under_wildcard(langfuse.hostname, cluster.apps_domain):
            raise ValueError(
                f"hostname {langfuse.hostname} is not covered by the router's wildcard certificate (*.{cluster.apps_domain}): set "
                "langfuse.certificate (a cert-manager issuer or a Secrets Manager secret), or browsers get a certificate for another name"
            )
        if langfuse.certificate is not None and cluster.openshift_version not in ROUTE_EXTERNAL_CERTIFICATE:
            raise ValueError(
                f"certificate needs cluster.openshiftVersion {' or '.join(ROUTE_EXTERNAL_CERTIFICATE)}: the Route reads the certificate "
                f"from its Secret through spec.tls.externalCertificate, generally available from OpenShift 4.19 (Technology Preview in "
                f"{cluster.openshift_version}, which ROSA cannot enable)"
            )
        return langfuse

    @property
    def public_host(self) -> str:
        """Where the Route serves Langfuse's UI and API: langfuse.hostname, by default under the cluster's apps domain."""
        return self.langfuse.hostname or f"{self.langfuse.namespace}.{self.cluster.apps_domain}"

    @property
    def public_url(self) -> str:
        return f"https://{self.public_host}"

    @field_validator("data_tier")
    @classmethod
    def _data_tier_matches_mode(cls, data_tier: DataTierConfig | None, info: ValidationInfo) -> DataTierConfig | None:
        backend = info.data.get("backend")
        if backend is not None and backend.mode == "in-cluster" and data_tier is None:
            raise ValueError("is required when backend.mode is in-cluster")
        if backend is not None and backend.mode == "external" and data_tier is not None:
            raise ValueError("must not be set when backend.mode is external")
        return data_tier

    @field_validator("monitoring")
    @classmethod
    def _grafana_signs_in_through_sso(cls, monitoring: MonitoringConfig, info: ValidationInfo) -> MonitoringConfig:
        sso = info.data.get("sso")
        if monitoring.grafana is not None and sso is not None and not sso.enabled:
            raise ValueError("grafana needs sso.enabled: Grafana signs in through the same SSO realm")
        return monitoring

    @field_validator("network")
    @classmethod
    def _external_backend_reachable(cls, network: NetworkConfig, info: ValidationInfo) -> NetworkConfig:
        backend = info.data.get("backend")
        if backend is not None and backend.mode == "external" and not network.external_backend_cidrs:
            raise ValueError("externalBackendCidrs is required when backend.mode is external: the stores' addresses for egress")
        return network

    @field_validator("tenancy")
    @classmethod
    def _tenancy_key_matches_licence(cls, tenancy: TenancyConfig, info: ValidationInfo) -> TenancyConfig:
        langfuse = info.data.get("langfuse")
        if not tenancy.enabled or langfuse is None:
            return tenancy
        # Projects and keys by API need the admin-api entitlement (Enterprise licence); without it, one shared project.
        if langfuse.license_key is not None and tenancy.organization_key is None:
            raise ValueError("organizationKey is required with langfuse.licenseKey: the controller creates a project per namespace")
        if langfuse.license_key is None and tenancy.shared_project_key is None:
            raise ValueError("sharedProjectKey is required without langfuse.licenseKey: every namespace gets the shared project's key")
        owner = tenancy.shared_project.owner
        if owner is not None and langfuse.license_key is not None:
            raise ValueError("sharedProject.owner applies only without langfuse.licenseKey: with a licence there is no shared project")
        sso = info.data.get("sso")
        if owner is not None and sso is not None and sso.enabled:
            # With SSO, Langfuse refuses password sign-in (AUTH_DISABLE_USERNAME_PASSWORD, components/langfuse/environment.py):
            # the owner could never sign in, and a standing password beside SSO is a second way in to keep rotated.
            raise ValueError("sharedProject.owner must not be set when sso.enabled is true: password sign-in is off with SSO")
        return tenancy

    @field_validator("analytics")
    @classmethod
    def _analytics_topology(cls, analytics: AnalyticsConfig, info: ValidationInfo) -> AnalyticsConfig:
        if not analytics.enabled:
            return analytics
        backend, tenancy, langfuse = info.data.get("backend"), info.data.get("tenancy"), info.data.get("langfuse")
        if backend is not None and backend.mode != "in-cluster":
            raise ValueError("enabled needs backend.mode in-cluster: the analytics cluster's backups go to the stack's backups bucket")
        if info.data.get("environment") == "prod" and (analytics.shards < 2 or analytics.replicas < 2):
            raise ValueError(
                f"needs at least 2 shards and 2 replicas in prod (has {analytics.shards} x {analytics.replicas}): a shard per node's "
                "share of the history, and a replica to survive losing one; 1 x 1 is for dev"
            )
        shared = tenancy is not None and tenancy.enabled and langfuse is not None and langfuse.license_key is None
        if shared and analytics.exports.organization_key is None:
            raise ValueError(
                "exports.organizationKey is required with tenancy in shared mode: the blob-storage integration API takes an "
                "organisation-scoped key, and the shared project's key is a project key"
            )
        return analytics

    @field_validator("disaster_recovery")
    @classmethod
    def _dr_elsewhere(cls, dr: DisasterRecoveryConfig, info: ValidationInfo) -> DisasterRecoveryConfig:
        cluster = info.data.get("cluster")
        if dr.enabled and cluster is not None and dr.region == cluster.region:
            raise ValueError(f"region {dr.region} must differ from cluster.region, or the copy shares the primary's fate")
        return dr
