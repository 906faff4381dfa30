"""LangfuseWeb: the web Deployment, its Service, autoscaler, disruption budget and Route."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from components.common.refs import SecretKeyRef
from components.langfuse.contract import WEB_PORT, WEB_SERVICE
from components.langfuse.environment import SharedProjectInit, SsoSettings, flag, init_env, secret, sign_in_env, value
from components.langfuse.process import LangfuseProcessArgs, workload_spec
from components.langfuse.volumes import scratch
from components.langfuse.web.route import RouteSettings, route
from components.langfuse.workload import LangfuseWorkload, Probes
from components.langfuse.workload.spec import http_probe

# Langfuse web keeps serving for 110 s after SIGTERM while it fails readiness (web/src/utils/shutdown.ts,
# v4.16.0), so in-flight requests finish and the router stops sending new ones. The grace period must
# outlast that, or the kubelet kills it mid-drain.
DRAIN_SECONDS = 110
TERMINATION_GRACE_SECONDS = DRAIN_SECONDS + 20


@dataclass(frozen=True)
class LangfuseWebArgs:
    process: LangfuseProcessArgs
    route: RouteSettings
    nextauth_secret: SecretKeyRef
    sso: SsoSettings | None
    password_sign_up: bool
    shared_project: SharedProjectInit | None = None  # tenancy without a licence: created at start


class LangfuseWeb(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        args: LangfuseWebArgs,
        rollout_after: Sequence[pulumi.Resource] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("langfuse-rosa:langfuse:LangfuseWeb", name, None, opts)
        spec = workload_spec(
            args.process,
            name=WEB_SERVICE,
            component="web",
            port=WEB_PORT,
            probes=Probes(
                # Up to 5 minutes to start before liveness takes over.
                startup=http_probe("/api/public/health", "http", period=5, failures=60),
                liveness=http_probe("/api/public/health", "http", period=10, failures=3),
                # /ready turns 500 as soon as SIGTERM arrives, taking the pod out of the Service.
                readiness=http_probe("/api/public/ready", "http", period=5, failures=2),
            ),
            termination_grace_period_seconds=TERMINATION_GRACE_SECONDS,
            extra_env=[
                value("NEXTAUTH_URL", f"https://{args.route.hostname}"),
                secret("NEXTAUTH_SECRET", args.nextauth_secret),
                # Migrations run once per version in LangfuseMigration, never in serving pods.
                flag("LANGFUSE_AUTO_POSTGRES_MIGRATION_DISABLED", True),
                flag("LANGFUSE_AUTO_CLICKHOUSE_MIGRATION_DISABLED", True),
            ]
            + sign_in_env(args.sso, args.password_sign_up)
            + init_env(args.shared_project),
            # Next.js writes its image and fetch cache under .next/cache; the rest of the filesystem is read-only.
            extra_mounts=scratch("next-cache", "/app/web/.next/cache", "512Mi"),
        )
        workload = LangfuseWorkload(
            "workload", spec, args.process.namespace, with_service=True, rollout_after=rollout_after, opts=pulumi.ResourceOptions(parent=self)
        )
        assert workload.service is not None
        self.route = route(
            WEB_SERVICE, args.route, args.process.namespace, workload.service.metadata.name, args.process.version, pulumi.ResourceOptions(parent=self)
        )
        self.url = pulumi.Output.from_input(f"https://{args.route.hostname}")
        self.register_outputs({"url": self.url})
