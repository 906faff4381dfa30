"""What a long-running Langfuse process (web or worker) is given, whichever it is."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.common.quantities import memory_mib
from components.common.refs import ConfigMapKeyRef, SecretKeyRef
from components.common.resources import Resources
from components.langfuse.backend import LangfuseBackend
from components.langfuse.environment import EnvVar, ProcessSettings, backend_env, metrics_env, process_env
from components.langfuse.volumes import Mounts, postgres_ca, tmp, trusted_ca
from components.langfuse.workload import Autoscaling, Probes, WorkloadSpec
from components.monitoring.statsd_exporter import StatsdTarget


@dataclass(frozen=True)
class Sizing:
    resources: Resources
    autoscaling: Autoscaling
    postgres_pool_size: int  # Prisma's connection_limit in each pod


@dataclass(frozen=True)
class LangfuseProcessArgs:
    namespace: pulumi.Input[str]
    version: str
    image: str
    service_account_name: str
    sizing: Sizing
    backend: LangfuseBackend
    trusted_ca_bundle: ConfigMapKeyRef
    salt: SecretKeyRef
    encryption_key: SecretKeyRef
    settings: ProcessSettings
    statsd: StatsdTarget | None = None  # where metrics go; None sends none


def workload_spec(
    args: LangfuseProcessArgs,
    *,
    name: str,
    component: str,
    port: int,
    probes: Probes,
    termination_grace_period_seconds: int,
    extra_env: list[EnvVar] | None = None,
    extra_mounts: Mounts | None = None,
) -> WorkloadSpec:
    """The WorkloadSpec of web or worker: shared env and mounts, plus what only that process needs."""
    mounts = _shared_mounts(args) + (extra_mounts or Mounts([], []))
    return WorkloadSpec(
        name=name,
        component=component,
        version=args.version,
        image=args.image,
        container_port=port,
        service_account_name=args.service_account_name,
        env=_shared_env(args, port) + _metrics_env(args, name) + (extra_env or []),
        volumes=mounts.volumes,
        volume_mounts=mounts.volume_mounts,
        probes=probes,
        resources=args.sizing.resources,
        autoscaling=args.sizing.autoscaling,
        termination_grace_period_seconds=termination_grace_period_seconds,
    )


def _shared_env(args: LangfuseProcessArgs, port: int) -> list[EnvVar]:
    return process_env(
        port=port,
        memory_limit_mib=memory_mib(args.sizing.resources.memory),
        settings=args.settings,
        salt=args.salt,
        encryption_key=args.encryption_key,
    ) + backend_env(args.backend, args.sizing.postgres_pool_size)


def _metrics_env(args: LangfuseProcessArgs, service: str) -> list[EnvVar]:
    return metrics_env(args.statsd, service, args.version) if args.statsd is not None else []


def _shared_mounts(args: LangfuseProcessArgs) -> Mounts:
    return tmp() + trusted_ca(args.trusted_ca_bundle) + postgres_ca(args.backend.postgres.server_ca)
