"""LangfuseApp: the whole Langfuse application tier in one namespace, given a backend contract."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.aws.secrets_manager import SecretsManagerSettings
from components.common.refs import ConfigMapKeyRef
from components.common.service_account import service_account
from components.langfuse.app_secrets import LangfuseAppSecrets, LangfuseAppSecretsArgs
from components.langfuse.backend import LangfuseBackend
from components.langfuse.contract import MIGRATION_SERVICE_ACCOUNT, WEB_SERVICE_ACCOUNT, WORKER_SERVICE_ACCOUNT
from components.langfuse.environment import ProcessSettings, SharedProjectInit, SsoSettings
from components.langfuse.images import LangfuseImages
from components.langfuse.migration import LangfuseMigration, LangfuseMigrationArgs
from components.langfuse.process import LangfuseProcessArgs, Sizing
from components.langfuse.web import LangfuseWeb, LangfuseWebArgs, RouteSettings
from components.langfuse.worker import LangfuseWorker
from components.langfuse.worker.queue_scaling import QueueScaling
from components.monitoring.statsd_exporter import StatsdTarget


@dataclass(frozen=True)
class LangfuseAppArgs:
    namespace: pulumi.Input[str]
    secrets: SecretsManagerSettings  # where Langfuse's generated secrets are kept
    store: str  # SecretStore they come through
    # Used when the backend brings no bundle of its own: the cluster's trusted CA bundle.
    default_trusted_ca_bundle: ConfigMapKeyRef
    version: str
    images: LangfuseImages
    web: Sizing
    worker: Sizing
    route: RouteSettings
    sso: SsoSettings | None
    password_sign_up: bool
    backend: LangfuseBackend
    process: ProcessSettings  # handed to web and worker as it is
    protect_secrets: bool
    statsd: StatsdTarget | None = None
    worker_queue_scaling: QueueScaling | None = None  # None: the worker scales on CPU and memory only
    shared_project: SharedProjectInit | None = None  # tenancy without a licence: web creates it at start


class LangfuseApp(pulumi.ComponentResource):
    url: pulumi.Output[str]

    def __init__(self, name: str, args: LangfuseAppArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("langfuse-rosa:langfuse:LangfuseApp", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        backend = args.backend
        namespace = args.namespace
        accounts = [
            service_account(WEB_SERVICE_ACCOUNT, namespace, backend.s3.web_role_arn, child),
            service_account(WORKER_SERVICE_ACCOUNT, namespace, backend.s3.worker_role_arn, child),
            service_account(MIGRATION_SERVICE_ACCOUNT, namespace, None, child),
        ]
        in_namespace = pulumi.ResourceOptions(parent=self, depends_on=accounts)
        secrets = LangfuseAppSecrets(
            "app-secrets",
            LangfuseAppSecretsArgs(namespace=namespace, secrets=args.secrets, store=args.store, protect=args.protect_secrets),
            opts=child,
        )
        migration = LangfuseMigration(
            "migration",
            LangfuseMigrationArgs(
                namespace=namespace,
                version=args.version,
                web_image=args.images.web,
                service_account_name=MIGRATION_SERVICE_ACCOUNT,
                backend=backend,
            ),
            opts=in_namespace,
        )

        def process(image: str, service_account: str, sizing: Sizing) -> LangfuseProcessArgs:
            return LangfuseProcessArgs(
                namespace=namespace,
                version=args.version,
                image=image,
                service_account_name=service_account,
                sizing=sizing,
                backend=backend,
                trusted_ca_bundle=backend.trusted_ca_bundle or args.default_trusted_ca_bundle,
                salt=secrets.salt,
                encryption_key=secrets.encryption_key,
                settings=args.process,
                statsd=args.statsd,
            )

        web = LangfuseWeb(
            "web",
            LangfuseWebArgs(
                process=process(args.images.web, WEB_SERVICE_ACCOUNT, args.web),
                route=args.route,
                nextauth_secret=secrets.nextauth_secret,
                sso=args.sso,
                password_sign_up=args.password_sign_up,
                shared_project=args.shared_project,
            ),
            rollout_after=[migration.job],
            opts=in_namespace,
        )
        LangfuseWorker(
            "worker",
            process(args.images.worker, WORKER_SERVICE_ACCOUNT, args.worker),
            queue_scaling=args.worker_queue_scaling,
            rollout_after=[migration.job],
            opts=in_namespace,
        )
        self.url = web.url
        self.register_outputs({"url": self.url})
