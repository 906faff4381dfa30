"""Secrets the stack references in Secrets Manager (never copies): which Kubernetes Secret each becomes."""

from __future__ import annotations

from components.common.refs import SecretKeyRef
from components.secrets import ReferencedSecret, SecretValue
from components.tenancy.controller import ControllerKey
from infra.stack_config.base import Credentials, SecretsManagerRef
from infra.stack_config.models import RedisCredentials, StackConfig
from infra.stack_config.tenancy import KeyPairRef

SSO_SECRET = "langfuse-sso"
# The Route's certificate (langfuse.certificate): written by External Secrets or by cert-manager.
ROUTE_TLS_SECRET = "langfuse-web-tls"
LICENSE_SECRET = "langfuse-license"
SLACK_SECRET = "langfuse-slack"
GRAFANA_SSO_SECRET = "langfuse-grafana-sso"
# Without a licence, Langfuse web creates the shared project and its key at start (LANGFUSE_INIT_*), from the same
# Secrets Manager secret the tenant controller hands to every namespace.
INIT_PROJECT_SECRET = "langfuse-init-project"
INIT_USER_SECRET = "langfuse-init-user"
VERIFICATION_SECRET = "langfuse-verification-key"


def referenced_secrets(config: StackConfig) -> list[ReferencedSecret]:
    secrets = []
    if config.sso.enabled and config.sso.client_secret is not None:
        secrets.append(_single(SSO_SECRET, "client-secret", config.sso.client_secret))
    if config.langfuse.license_key is not None:
        secrets.append(_single(LICENSE_SECRET, "license-key", config.langfuse.license_key))
    if config.monitoring.grafana is not None:
        secrets.append(_single(GRAFANA_SSO_SECRET, "client-secret", config.monitoring.grafana.client_secret))
    if config.monitoring.slack is not None:
        secrets.append(_single(SLACK_SECRET, "webhook-url", config.monitoring.slack.webhook))
    certificate = config.langfuse.certificate
    if certificate is not None and certificate.secrets_manager is not None:
        ref = certificate.secrets_manager
        secrets.append(
            ReferencedSecret(
                ROUTE_TLS_SECRET,
                (SecretValue("tls.crt", ref.secrets_manager_name, ref.certificate_property), SecretValue("tls.key", ref.secrets_manager_name, ref.key_property)),
                secret_type="kubernetes.io/tls",
            )
        )
    if shares_one_project(config):
        key, owner = config.tenancy.shared_project_key, config.tenancy.shared_project.owner
        assert key is not None  # StackConfig's validator
        secrets.append(_key_pair(INIT_PROJECT_SECRET, key))
        if owner is not None:
            secrets.append(_single(INIT_USER_SECRET, "password", owner.password))
    verification = config.verification
    if verification.monitor.enabled and verification.project_key is not None:
        secrets.append(_key_pair(VERIFICATION_SECRET, verification.project_key))
    backend = config.backend
    if backend.mode == "external":
        assert backend.postgres and backend.clickhouse and backend.redis
        secrets += [
            _credentials("langfuse-postgres-external", backend.postgres.credentials),
            _credentials("langfuse-clickhouse-external", backend.clickhouse.credentials),
            _redis("langfuse-redis-external", backend.redis.credentials),
        ]
        if backend.redis.sentinel_credentials is not None:
            secrets.append(_redis("langfuse-redis-sentinel-external", backend.redis.sentinel_credentials))
    return secrets


def _key_pair(name: str, key: KeyPairRef) -> ReferencedSecret:
    return ReferencedSecret(
        name,
        (
            SecretValue("public-key", key.secrets_manager_name, key.public_key_property),
            SecretValue("secret-key", key.secrets_manager_name, key.secret_key_property),
        ),
    )


def key_pair(key: KeyPairRef) -> ControllerKey:
    """A key pair of the stack config as the components that read it through External Secrets take it."""
    return ControllerKey(key.secrets_manager_name, key.public_key_property, key.secret_key_property)


def existing_secret_names(config: StackConfig) -> list[str]:
    """Secrets Manager names the External Secrets role may read besides the stack's own."""
    names = {value.secrets_manager_name for secret in referenced_secrets(config) for value in secret.values}
    keys = [tenancy_key(config), config.analytics.exports.organization_key if config.analytics.enabled else None]
    return sorted(names | {key.secrets_manager_name for key in keys if key is not None})


def shares_one_project(config: StackConfig) -> bool:
    """Tenancy without a licence: every namespace gets the key of the one project LANGFUSE_INIT_* creates."""
    return config.tenancy.enabled and config.langfuse.license_key is None


def init_project_keys() -> tuple[SecretKeyRef, SecretKeyRef]:
    return SecretKeyRef(INIT_PROJECT_SECRET, "public-key"), SecretKeyRef(INIT_PROJECT_SECRET, "secret-key")


def init_user_password() -> SecretKeyRef:
    return SecretKeyRef(INIT_USER_SECRET, "password")


def tenancy_key(config: StackConfig) -> KeyPairRef | None:
    """The key the tenant controller acts with: the organisation key with a licence, else the shared project's."""
    tenancy = config.tenancy
    if not tenancy.enabled:
        return None
    return tenancy.organization_key if config.langfuse.license_key is not None else tenancy.shared_project_key


def sso_client_secret() -> SecretKeyRef:
    return SecretKeyRef(SSO_SECRET, "client-secret")


def license_key(config: StackConfig) -> SecretKeyRef | None:
    return SecretKeyRef(LICENSE_SECRET, "license-key") if config.langfuse.license_key is not None else None


def _single(target: str, key: str, ref: SecretsManagerRef) -> ReferencedSecret:
    return ReferencedSecret(target, (SecretValue(key, ref.secrets_manager_name, ref.property),))


def _credentials(target: str, credentials: Credentials) -> ReferencedSecret:
    return ReferencedSecret(
        target,
        (
            SecretValue("username", credentials.secrets_manager_name, credentials.username_property),
            SecretValue("password", credentials.secrets_manager_name, credentials.password_property),
        ),
    )


def _redis(target: str, credentials: RedisCredentials) -> ReferencedSecret:
    values = [SecretValue("password", credentials.secrets_manager_name, credentials.password_property)]
    if credentials.username_property is not None:
        values.append(SecretValue("username", credentials.secrets_manager_name, credentials.username_property))
    return ReferencedSecret(target, tuple(values))


def slack_webhook() -> SecretKeyRef:
    return SecretKeyRef(SLACK_SECRET, "webhook-url")


def grafana_client_secret() -> SecretKeyRef:
    return SecretKeyRef(GRAFANA_SSO_SECRET, "client-secret")


def verification_key() -> tuple[SecretKeyRef, SecretKeyRef]:
    """The round-trip monitor's key (public, secret), from the verification project's referenced secret."""
    return SecretKeyRef(VERIFICATION_SECRET, "public-key"), SecretKeyRef(VERIFICATION_SECRET, "secret-key")
