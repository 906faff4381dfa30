"""What a long-running Langfuse process (web or worker) is given, whichever it is."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.langfuse.backend import ConfigMapKeyRef, LangfuseBackend, SecretKeyRef
from components.langfuse.environment import EnvVar, backend_env, process_env
from components.langfuse.volumes import Mounts, postgres_ca, tmp, trusted_ca
from components.langfuse.workload import Autoscaling, Resources


@dataclass(frozen=True)
class Sizing:
    resources: Resources
    autoscaling: Autoscaling


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
    log_level: str
    telemetry_enabled: bool


def shared_env(args: LangfuseProcessArgs, port: int) -> list[EnvVar]:
    return process_env(
        port=port,
        memory_limit_mib=args.sizing.resources.memory_mib,
        log_level=args.log_level,
        telemetry_enabled=args.telemetry_enabled,
        salt=args.salt,
        encryption_key=args.encryption_key,
    ) + backend_env(args.backend)


def shared_mounts(args: LangfuseProcessArgs) -> Mounts:
    return tmp() + trusted_ca(args.trusted_ca_bundle) + postgres_ca(args.backend.postgres.server_ca)
