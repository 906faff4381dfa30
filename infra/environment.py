"""An environment stack: the AWS tier, the namespace and its secret store, the data tier (or the external
stores), then Langfuse."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.analytics.cluster import AnalyticsCluster
from components.aws.tier import LangfuseAwsTier
from components.clickhouse.contract import HTTPS_PORT as CLICKHOUSE_HTTPS_PORT
from components.common.dns import service_fqdn
from components.data_tier import LangfuseDataTier
from components.langfuse.app import LangfuseApp, LangfuseAppArgs
from components.langfuse.backend import LangfuseBackend
from components.langfuse.environment import ProcessSettings, SsoSettings
from components.langfuse.images import langfuse_images
from components.langfuse.namespace import LangfuseNamespace, LangfuseNamespaceArgs
from components.langfuse.web import RouteSettings
from components.langfuse.web.certificate import IssuedCertificate, RouteCertificate
from components.langfuse.worker.queue_scaling import QueueScaling
from components.monitoring.alert_routing import AlertRouting, AlertRoutingArgs
from components.monitoring.grafana import GrafanaSso, LangfuseGrafana, LangfuseGrafanaArgs
from components.monitoring.probes import EndpointProbes, EndpointProbesArgs
from components.monitoring.prometheus_rule import LangfuseAlerts, LangfuseAlertsArgs
from components.monitoring.statsd_exporter import LangfuseMetricsExporter, LangfuseMetricsExporterArgs
from components.network.isolation import NamespaceIsolation, NamespaceIsolationArgs
from components.network.langfuse_flows import langfuse_flows
from components.secrets import AwsSecretStore, AwsSecretStoreArgs, ReferencedSecrets, ReferencedSecretsArgs
from infra.alerts import deployed_alerts
from infra.analytics import (
    deploy_analytics,
    deploy_analytics_dashboards,
    deploy_shared_project_export,
    export_settings,
)
from infra.audit import deploy_audit_export
from infra.aws_tier import deploy_aws_tier, s3_backend
from infra.data_tier import data_tier_args
from infra.external_backend import external_backend
from infra.network import langfuse_network
from infra.ordering import after
from infra.secret_references import (
    ROUTE_TLS_SECRET,
    grafana_client_secret,
    license_key,
    referenced_secrets,
    shares_one_project,
    slack_webhook,
    sso_client_secret,
)
from infra.sizing import process_sizing
from infra.stack_config import StackConfig
from infra.tenancy import deploy_tenancy, shared_project_init, usage_reported
from infra.verification import deploy_round_trip_monitor


def deploy_environment(config: StackConfig, opts: pulumi.ResourceOptions) -> None:
    """The steps in dependency order; each deploys one concern and returns what later steps need."""
    _warn_without_sso(config)
    aws_tier = deploy_aws_tier(config, opts)
    namespace = _namespace(config, opts)
    # Isolation first: nothing in the namespace runs before its traffic is confined to the flows it needs.
    isolation = _isolation(config, namespace, after(opts, namespace))
    # The store's role and its policy must exist before External Secrets first reads through it.
    store = _secret_store(config, namespace, aws_tier, after(opts, namespace, isolation, aws_tier))
    referenced = _referenced_secrets(config, namespace, store, after(opts, namespace, store))
    certificate = _route_certificate(config, namespace, referenced, after(opts, namespace, isolation))
    metrics = _metrics_exporter(config, namespace, after(opts, namespace, isolation))
    stores = _stores(config, namespace, aws_tier, store, after(opts, namespace, store))
    analytics = deploy_analytics(
        config, config.langfuse.namespace, namespace.service_ca_bundle, aws_tier, store.name, after(opts, namespace, store)
    )
    app = _langfuse(config, namespace, stores.backend, aws_tier, store, metrics, certificate, after(opts, namespace, store, *referenced))
    _probes(config, namespace, stores, analytics, after(opts, namespace, isolation))
    _alerts(config, after(opts, namespace, isolation))
    grafana = _grafana(config, namespace, after(opts, namespace, *referenced))
    if grafana is not None and analytics is not None:
        deploy_analytics_dashboards(config.langfuse.namespace, analytics, namespace.service_ca_bundle, after(opts, grafana, analytics))
    _alert_routing(config, namespace, after(opts, namespace, *referenced))
    deploy_audit_export(config, aws_tier, stores.backend, opts=after(opts, namespace, isolation, store))
    _tenancy(config, aws_tier, store, after(opts, namespace, isolation, store, app))
    deploy_round_trip_monitor(
        config,
        config.langfuse.namespace,
        config.public_url,
        namespace.trusted_ca_bundle,
        opts=after(opts, namespace, isolation, *referenced, app),
    )
    pulumi.export("langfuseUrl", app.url)


def _warn_without_sso(config: StackConfig) -> None:
    if config.environment != "dev" and not config.sso.enabled:
        pulumi.log.warn(f"{config.environment}: SSO is off, so users sign in to Langfuse with e-mail and password")


def _namespace(config: StackConfig, opts: pulumi.ResourceOptions) -> LangfuseNamespace:
    return LangfuseNamespace(
        "namespace",
        LangfuseNamespaceArgs(name=config.langfuse.namespace, pod_security_version=f"v{config.cluster.kubernetes_version}"),
        opts=opts,
    )


def _isolation(config: StackConfig, namespace: LangfuseNamespace, opts: pulumi.ResourceOptions) -> NamespaceIsolation:
    return NamespaceIsolation(
        "network", NamespaceIsolationArgs(namespace=namespace.name, flows=langfuse_flows(langfuse_network(config))), opts=opts
    )


def _secret_store(
    config: StackConfig, namespace: LangfuseNamespace, aws_tier: LangfuseAwsTier, opts: pulumi.ResourceOptions
) -> AwsSecretStore:
    return AwsSecretStore(
        "secret-store",
        AwsSecretStoreArgs(
            namespace=namespace.name, region=config.cluster.region, role_arn=aws_tier.role_arns.external_secrets
        ),
        opts=opts,
    )


def _referenced_secrets(
    config: StackConfig, namespace: LangfuseNamespace, store: AwsSecretStore, opts: pulumi.ResourceOptions
) -> list[ReferencedSecrets]:
    """The Secrets Manager secrets the stack file names (licence, SSO, external stores...), as Kubernetes Secrets."""
    references = referenced_secrets(config)
    if not references:
        return []
    return [
        ReferencedSecrets(
            "referenced-secrets", ReferencedSecretsArgs(namespace=namespace.name, store=store.name, secrets=references), opts=opts
        )
    ]


def _route_certificate(
    config: StackConfig, namespace: LangfuseNamespace, referenced: list[ReferencedSecrets], opts: pulumi.ResourceOptions
) -> pulumi.Resource | None:
    """What writes the Secret of langfuse.certificate (None: the router's wildcard certificate): cert-manager's
    Certificate from the issuer, or the ExternalSecret of the Secrets Manager entry."""
    certificate = config.langfuse.certificate
    if certificate is None:
        return None
    if certificate.issuer is not None:
        issued = IssuedCertificate(ROUTE_TLS_SECRET, config.public_host, certificate.issuer.kind, certificate.issuer.name)
        return RouteCertificate("route-certificate", issued, namespace.name, config.langfuse.version, opts)
    return referenced[0] if certificate.secrets_manager is not None else None


def _metrics_exporter(config: StackConfig, namespace: LangfuseNamespace, opts: pulumi.ResourceOptions) -> LangfuseMetricsExporter:
    return LangfuseMetricsExporter(
        "metrics",
        LangfuseMetricsExporterArgs(
            namespace=namespace.name,
            environment=config.environment,
            replicas=config.monitoring.exporter_replicas,
        ),
        opts=opts,
    )


@dataclass(frozen=True)
class Stores:
    """What the stores step hands on: the backend contract, and the endpoints the probes check (in-cluster only)."""

    backend: LangfuseBackend
    https_endpoints: list[pulumi.Output[str]]
    tls_endpoints: pulumi.Output[list[str]] | None


def _stores(
    config: StackConfig,
    namespace: LangfuseNamespace,
    aws_tier: LangfuseAwsTier,
    store: AwsSecretStore,
    opts: pulumi.ResourceOptions,
) -> Stores:
    """In-cluster mode: the data tier; external mode: the managed stores the stack file names."""
    s3 = s3_backend(config, aws_tier)
    if config.backend.mode != "in-cluster":
        return Stores(external_backend(config, s3), [], None)
    data_tier = LangfuseDataTier(
        "data", data_tier_args(config, namespace.name, namespace.service_ca_bundle, aws_tier, store.name, s3), opts=opts
    )
    return Stores(data_tier.backend, data_tier.https_endpoints, data_tier.tls_endpoints)


def _langfuse(
    config: StackConfig,
    namespace: LangfuseNamespace,
    backend: LangfuseBackend,
    aws_tier: LangfuseAwsTier,
    store: AwsSecretStore,
    metrics: LangfuseMetricsExporter,
    certificate_source: pulumi.Resource | None,
    opts: pulumi.ResourceOptions,
) -> LangfuseApp:
    lf = config.langfuse
    return LangfuseApp(
        "langfuse",
        LangfuseAppArgs(
            namespace=namespace.name,
            secrets=aws_tier.secrets,
            store=store.name,
            default_trusted_ca_bundle=namespace.trusted_ca_bundle,
            version=lf.version,
            images=langfuse_images(lf.version, lf.image_registry),
            web=process_sizing(lf.web),
            worker=process_sizing(lf.worker),
            route=RouteSettings(
                hostname=config.public_host,
                **lf.route.model_dump(),
                certificate_secret=ROUTE_TLS_SECRET if lf.certificate is not None else None,
                certificate_source=certificate_source,
            ),
            sso=_sso(config),
            password_sign_up=lf.password_sign_up,
            backend=backend,
            process=ProcessSettings(log_level=lf.log_level, telemetry_enabled=lf.telemetry, license_key=license_key(config)),
            protect_secrets=lf.protect_secrets,
            statsd=metrics.target,
            worker_queue_scaling=(
                QueueScaling(
                    namespace=lf.namespace,
                    waiting_jobs_per_replica=lf.worker.queue_scaling.waiting_jobs_per_replica,
                    service_ca=namespace.service_ca_bundle,
                )
                if lf.worker.queue_scaling.enabled
                else None
            ),
            shared_project=shared_project_init(config),
        ),
        opts=opts,
    )


def _probes(
    config: StackConfig,
    namespace: LangfuseNamespace,
    stores: Stores,
    analytics: AnalyticsCluster | None,
    opts: pulumi.ResourceOptions,
) -> None:
    service_urls = stores.https_endpoints
    if analytics is not None:
        service_urls = [
            *service_urls,
            pulumi.Output.concat("https://", service_fqdn(analytics.service_host, config.langfuse.namespace), f":{CLICKHOUSE_HTTPS_PORT}/ping"),
        ]
    EndpointProbes(
        "probes",
        EndpointProbesArgs(
            namespace=namespace.name,
            replicas=config.monitoring.exporter_replicas,
            trusted_ca_bundle=namespace.trusted_ca_bundle,
            service_ca_bundle=namespace.service_ca_bundle,
            public_urls=[f"{config.public_url}/api/public/health"],
            service_urls=service_urls,
            tls_endpoints=stores.tls_endpoints,
        ),
        opts=opts,
    )


def _alerts(config: StackConfig, opts: pulumi.ResourceOptions) -> None:
    """The alerts of what this stack deploys, each owner's (infra/alerts.py)."""
    LangfuseAlerts(
        "alerts",
        LangfuseAlertsArgs(
            namespace=config.langfuse.namespace,
            alerts=deployed_alerts(config, config.public_url),
            runbook_base_url=config.monitoring.runbook_base_url,
        ),
        opts=opts,
    )


def _grafana(config: StackConfig, namespace: LangfuseNamespace, opts: pulumi.ResourceOptions) -> LangfuseGrafana | None:
    grafana = config.monitoring.grafana
    if grafana is None or config.sso.issuer is None:
        return None
    return LangfuseGrafana(
        "grafana",
        LangfuseGrafanaArgs(
            namespace=config.langfuse.namespace,
            hostname=grafana.hostname or f"grafana-{config.langfuse.namespace}.{config.cluster.apps_domain}",
            sso=GrafanaSso(
                issuer=config.sso.issuer,
                client_id=grafana.client_id,
                client_secret=grafana_client_secret(),
                admin_group=grafana.admin_group,
            ),
            service_ca_bundle=namespace.service_ca_bundle,
            replicas=1,
            usage_dashboard=usage_reported(config),
        ),
        opts=opts,
    )


def _alert_routing(config: StackConfig, namespace: LangfuseNamespace, opts: pulumi.ResourceOptions) -> None:
    slack = config.monitoring.slack
    if slack is None:
        return
    AlertRouting(
        "alert-routing",
        AlertRoutingArgs(
            namespace=namespace.name,
            webhook=slack_webhook(),
            critical_channel=slack.critical_channel,
            warning_channel=slack.warning_channel,
        ),
        opts=opts,
    )


def _tenancy(config: StackConfig, aws_tier: LangfuseAwsTier, store: AwsSecretStore, opts: pulumi.ResourceOptions) -> None:
    """The tenant controller, and in shared-project mode the export of the one project."""
    exports = export_settings(config, aws_tier)
    deploy_tenancy(config, config.langfuse.namespace, store.name, config.public_url, exports, opts=opts)
    if exports is not None and shares_one_project(config):
        deploy_shared_project_export(config, config.langfuse.namespace, store.name, exports, opts)




def _sso(config: StackConfig) -> SsoSettings | None:
    sso = config.sso
    if not sso.enabled:
        return None
    assert sso.issuer and sso.client_id  # guaranteed by SsoConfig's validator
    return SsoSettings(
        issuer=sso.issuer,
        client_id=sso.client_id,
        client_secret=sso_client_secret(),
        display_name=sso.display_name,
        allow_account_linking=sso.allow_account_linking,
    )
