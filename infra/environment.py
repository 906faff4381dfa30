"""An environment stack: the AWS tier, the namespace and its secret store, the data tier (or the external
stores), then Langfuse."""

from __future__ import annotations

import pulumi

from components.aws.secrets_manager import SecretsManagerSettings
from components.data_tier import LangfuseDataTier
from components.langfuse.app import LangfuseApp, LangfuseAppArgs
from components.langfuse.backend import ConfigMapKeyRef, LangfuseBackend
from components.langfuse.environment import SsoSettings
from components.langfuse.images import langfuse_images
from components.langfuse.namespace import LangfuseNamespace, LangfuseNamespaceArgs
from components.langfuse.process import Sizing
from components.langfuse.web import RouteSettings
from components.langfuse.worker.queue_scaling import QueueScaling
from components.langfuse.workload import Autoscaling, Resources
from components.monitoring.alert_routing import AlertRouting, AlertRoutingArgs
from components.monitoring.grafana import GrafanaSso, LangfuseGrafana, LangfuseGrafanaArgs
from components.monitoring.probes import EndpointProbes, EndpointProbesArgs
from components.monitoring.prometheus_rule import LangfuseAlerts, LangfuseAlertsArgs
from components.monitoring.statsd_exporter import LangfuseMetricsExporter, LangfuseMetricsExporterArgs, StatsdTarget
from components.network import NamespaceIsolation, NamespaceIsolationArgs
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
from infra.secret_references import (
    grafana_client_secret,
    license_key,
    referenced_secrets,
    shares_one_project,
    slack_webhook,
    sso_client_secret,
)
from infra.stack_config import StackConfig
from infra.stack_config.models import WorkloadConfig
from infra.stack_config.types import cpu_millicores, memory_mib
from infra.tenancy import deploy_tenancy, shared_project_init, usage_reported
from infra.verification import deploy_round_trip_monitor


def deploy_environment(config: StackConfig, opts: pulumi.ResourceOptions) -> None:
    if config.environment != "dev" and not config.sso.enabled:
        pulumi.log.warn(f"{config.environment}: SSO is off, so users sign in to Langfuse with e-mail and password")
    aws_tier = deploy_aws_tier(config, opts)
    namespace = LangfuseNamespace(
        "namespace",
        LangfuseNamespaceArgs(name=config.langfuse.namespace, pod_security_version=f"v{config.cluster.kubernetes_version}"),
        opts=opts,
    )
    in_namespace = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[namespace]))
    # Isolation first: nothing in the namespace runs before its traffic is confined to the flows it needs.
    isolation = NamespaceIsolation(
        "network", NamespaceIsolationArgs(namespace=namespace.name, flows=langfuse_flows(langfuse_network(config))), opts=in_namespace
    )
    in_namespace = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[namespace, isolation]))
    # The store's role and its policy must exist before External Secrets first reads through it.
    store = AwsSecretStore(
        "secret-store",
        AwsSecretStoreArgs(namespace=namespace.name, region=config.cluster.region, role_arn=aws_tier.role_arns["external-secrets"]),
        opts=pulumi.ResourceOptions.merge(in_namespace, pulumi.ResourceOptions(depends_on=[namespace, aws_tier])),
    )
    with_store = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[namespace, store]))
    references = referenced_secrets(config)
    referenced = [
        ReferencedSecrets("referenced-secrets", ReferencedSecretsArgs(namespace=namespace.name, store=store.name, secrets=references), opts=with_store)
    ] if references else []
    metrics = LangfuseMetricsExporter(
        "metrics",
        LangfuseMetricsExporterArgs(
            namespace=namespace.name,
            environment=config.environment,
            replicas=config.monitoring.exporter_replicas,
            zone_spread=_exporter_zone_spread(config),
        ),
        opts=in_namespace,
    )
    s3 = s3_backend(config, aws_tier)
    service_urls: list[pulumi.Output[str]] = []
    tls_endpoints = None
    if config.backend.mode == "in-cluster":
        data_tier = LangfuseDataTier(
            "data",
            data_tier_args(config, namespace.name, namespace.service_ca_bundle, aws_tier, store.name, s3),
            opts=with_store,
        )
        backend = data_tier.backend
        service_urls, tls_endpoints = data_tier.https_endpoints, data_tier.tls_endpoints
    else:
        backend = external_backend(config, s3)
    analytics = deploy_analytics(config, config.langfuse.namespace, namespace.service_ca_bundle, aws_tier, store.name, with_store)
    if analytics is not None:
        service_urls = [*service_urls, pulumi.Output.concat("https://", analytics.service_host, f".{config.langfuse.namespace}.svc:8443/ping")]
    app = LangfuseApp(
        "langfuse",
        app_args(
            config, namespace.name, namespace.trusted_ca_bundle, backend, aws_tier.secrets, store.name, metrics.target, namespace.service_ca_bundle
        ),
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[namespace, store, *referenced])),
    )
    EndpointProbes(
        "probes",
        EndpointProbesArgs(
            namespace=namespace.name,
            replicas=config.monitoring.exporter_replicas,
            zone_spread=_exporter_zone_spread(config),
            trusted_ca_bundle=namespace.trusted_ca_bundle,
            service_ca_bundle=namespace.service_ca_bundle,
            public_urls=[f"https://{hostname(config)}/api/public/health"],
            service_urls=service_urls,
            tls_endpoints=tls_endpoints,
        ),
        opts=in_namespace,
    )
    LangfuseAlerts(
        "alerts",
        LangfuseAlertsArgs(
            namespace=config.langfuse.namespace,
            alerts=deployed_alerts(config, f"https://{hostname(config)}"),
            runbook_base_url=config.monitoring.runbook_base_url,
        ),
        opts=in_namespace,
    )
    grafana = config.monitoring.grafana
    if grafana is not None and config.sso.issuer is not None:
        instance = LangfuseGrafana(
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
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[namespace, *referenced])),
        )
        if analytics is not None:
            deploy_analytics_dashboards(
                config, config.langfuse.namespace, analytics, namespace.service_ca_bundle,
                pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[instance, analytics])),
            )
    slack = config.monitoring.slack
    if slack is not None:
        AlertRouting(
            "alert-routing",
            AlertRoutingArgs(
                namespace=namespace.name, webhook=slack_webhook(), critical_channel=slack.critical_channel, warning_channel=slack.warning_channel
            ),
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[namespace, *referenced])),
        )
    deploy_audit_export(config, aws_tier, backend, opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[namespace, isolation, store])))
    exports = export_settings(config, aws_tier)
    after_app = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[namespace, isolation, store, app]))
    deploy_tenancy(config, config.langfuse.namespace, store.name, f"https://{hostname(config)}", exports, opts=after_app)
    if exports is not None and shares_one_project(config):
        deploy_shared_project_export(config, config.langfuse.namespace, store.name, exports, after_app)
    deploy_round_trip_monitor(
        config, config.langfuse.namespace, f"https://{hostname(config)}", namespace.trusted_ca_bundle,
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[namespace, isolation, *referenced, app])),
    )
    pulumi.export("langfuseUrl", app.url)


def hostname(config: StackConfig) -> str:
    lf = config.langfuse
    return lf.hostname or f"{lf.namespace}.{config.cluster.apps_domain}"


def _exporter_zone_spread(config: StackConfig) -> str:
    # A single exporter replica (dev) has nothing to spread; a hard constraint would only block scheduling.
    return "DoNotSchedule" if config.monitoring.exporter_replicas > 1 else "ScheduleAnyway"


def app_args(
    config: StackConfig,
    namespace: pulumi.Input[str],
    trusted_ca_bundle: ConfigMapKeyRef,
    backend: LangfuseBackend,
    secrets: SecretsManagerSettings,
    store: str,
    statsd: StatsdTarget,
    service_ca_bundle: ConfigMapKeyRef,
) -> LangfuseAppArgs:
    lf = config.langfuse
    return LangfuseAppArgs(
        namespace=namespace,
        secrets=secrets,
        store=store,
        license_key=license_key(config),
        default_trusted_ca_bundle=trusted_ca_bundle,
        version=lf.version,
        images=langfuse_images(lf.version, lf.image_registry),
        web=_sizing(lf.web),
        worker=_sizing(lf.worker),
        route=RouteSettings(
            hostname=hostname(config),
            timeout_seconds=lf.route.timeout_seconds,
            hsts_max_age_seconds=lf.route.hsts_max_age_seconds,
            hsts_include_subdomains=lf.route.hsts_include_subdomains,
            hsts_preload=lf.route.hsts_preload,
        ),
        sso=_sso(config),
        password_sign_up=lf.password_sign_up,
        backend=backend,
        log_level=lf.log_level,
        telemetry_enabled=lf.telemetry,
        protect_secrets=lf.protect_secrets,
        statsd=statsd,
        worker_queue_scaling=(
            QueueScaling(
                namespace=lf.namespace,
                waiting_jobs_per_replica=lf.worker.queue_scaling.waiting_jobs_per_replica,
                service_ca=service_ca_bundle,
            )
            if lf.worker.queue_scaling.enabled
            else None
        ),
        shared_project=shared_project_init(config),
    )


def _sizing(workload: WorkloadConfig) -> Sizing:
    return Sizing(
        resources=Resources(
            cpu_request_millicores=cpu_millicores(workload.cpu.request),
            cpu_limit_millicores=cpu_millicores(workload.cpu.limit),
            memory_mib=memory_mib(workload.memory),
        ),
        autoscaling=Autoscaling(
            min_replicas=workload.replicas.min,
            max_replicas=workload.replicas.max,
            target_cpu_utilization=workload.target_cpu_utilization,
            target_memory_utilization=workload.target_memory_utilization,
        ),
        postgres_pool_size=workload.effective_postgres_pool_size,
    )


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
