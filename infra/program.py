"""The Pulumi program: read the stack's config once, then compose the components in dependency order.

Both runners execute exactly this: `pulumi up`/`preview` through infra/__main__.py, and the offline plan
(`langfuse-rosa plan`) through the same file under Pulumi's mocks.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.data_tier import LangfuseDataTier
from components.langfuse.app import LangfuseApp, LangfuseAppArgs
from components.langfuse.backend import ConfigMapKeyRef, LangfuseBackend, SecretKeyRef
from components.langfuse.environment import SsoSettings
from components.langfuse.images import langfuse_images
from components.langfuse.namespace import LangfuseNamespace, LangfuseNamespaceArgs
from components.langfuse.process import Sizing
from components.langfuse.web import RouteSettings
from components.langfuse.workload import Autoscaling, Resources
from infra.cluster_layer import deploy_cluster_layer
from infra.data_tier import data_tier_args
from infra.external_backend import external_backend
from infra.stack_config import StackConfig, load_stack_config
from infra.stack_config.cluster_layer import ClusterStackConfig
from infra.stack_config.models import WorkloadConfig
from infra.stack_config.types import cpu_millicores, memory_mib


def main() -> None:
    config = load_stack_config()
    # One provider pinned to the stack's kube context: a stack never deploys to whatever cluster the ambient
    # kubeconfig happens to point at.
    cluster = k8s.Provider("rosa", context=config.cluster.kube_context, enable_server_side_apply=True)
    opts = pulumi.ResourceOptions(providers=[cluster])
    pulumi.export("cluster", config.cluster.name)
    if isinstance(config, ClusterStackConfig):
        deploy_cluster_layer(config, opts)
    else:
        deploy_environment(config, opts)


def deploy_environment(config: StackConfig, opts: pulumi.ResourceOptions) -> None:
    if config.environment != "dev" and not config.sso.enabled:
        pulumi.log.warn(f"{config.environment}: SSO is off, so users sign in to Langfuse with e-mail and password")
    namespace = LangfuseNamespace(
        "namespace",
        LangfuseNamespaceArgs(name=config.langfuse.namespace, pod_security_version=f"v{config.cluster.kubernetes_version}"),
        opts=opts,
    )
    in_namespace = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[namespace]))
    if config.backend.mode == "in-cluster":
        data_tier = LangfuseDataTier("data", data_tier_args(config, namespace.name, namespace.service_ca_bundle), opts=in_namespace)
        backend = data_tier.backend
    else:
        backend = external_backend(config)
    app = LangfuseApp(
        "langfuse", app_args(config, namespace.name, namespace.trusted_ca_bundle, backend), opts=in_namespace
    )
    pulumi.export("langfuseUrl", app.url)


def app_args(
    config: StackConfig, namespace: pulumi.Input[str], trusted_ca_bundle: ConfigMapKeyRef, backend: LangfuseBackend
) -> LangfuseAppArgs:
    lf = config.langfuse
    return LangfuseAppArgs(
        namespace=namespace,
        default_trusted_ca_bundle=trusted_ca_bundle,
        version=lf.version,
        images=langfuse_images(lf.version, lf.image_registry),
        web=_sizing(lf.web),
        worker=_sizing(lf.worker),
        route=RouteSettings(
            hostname=lf.hostname or f"{lf.namespace}.{config.cluster.apps_domain}",
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
    )


def _sso(config: StackConfig) -> SsoSettings | None:
    sso = config.sso
    if not sso.enabled:
        return None
    assert sso.issuer and sso.client_id and sso.client_secret  # guaranteed by SsoConfig's validator
    return SsoSettings(
        issuer=sso.issuer,
        client_id=sso.client_id,
        client_secret=SecretKeyRef(sso.client_secret.secret_name, sso.client_secret.key),
        display_name=sso.display_name,
        allow_account_linking=sso.allow_account_linking,
    )
