"""The controller's settings, read once from its environment (the Deployment in components/tenancy sets it)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta

from langfuse_incluster import contract
from langfuse_incluster.blob_exports import target_from_environment
from langfuse_incluster.budget import defaults_from_environment
from langfuse_incluster.controller.reconcile import Settings
from langfuse_incluster.environment import Environment


@dataclass(frozen=True)
class ControllerSettings:
    reconcile: Settings
    api_url: str
    public_key: str  # the organisation key (per-project) or the shared project's key (shared)
    secret_key: str = field(repr=False)


def from_environment(env: dict[str, str] | None = None) -> ControllerSettings:
    env = dict(os.environ if env is None else env)
    environment = Environment("langfuse-tenant-controller", env)
    need = environment.need
    mode = need(contract.ENV_MODE)
    if mode not in contract.MODES:
        raise SystemExit(f"langfuse-tenant-controller: {contract.ENV_MODE}={mode!r}; allowed: {', '.join(contract.MODES)}")
    policy = env.get(contract.ENV_DELETION_POLICY, "Retain")
    if policy not in contract.DELETION_POLICIES:
        raise SystemExit(f"langfuse-tenant-controller: {contract.ENV_DELETION_POLICY}={policy!r}; allowed: {', '.join(contract.DELETION_POLICIES)}")
    key_names = (contract.ENV_ORG_PUBLIC_KEY, contract.ENV_ORG_SECRET_KEY) if mode == "per-project" else (contract.ENV_SHARED_PUBLIC_KEY, contract.ENV_SHARED_SECRET_KEY)
    return ControllerSettings(
        reconcile=Settings(
            mode=mode,  # type: ignore[arg-type]
            public_host=need(contract.ENV_PUBLIC_HOST),
            # The bounds of tenancy.rotationDays / rotationOverlapHours (infra/stack_config/tenancy.py).
            rotation=timedelta(days=environment.integer(contract.ENV_ROTATION_DAYS, "30", 1, 365)),
            overlap=timedelta(hours=environment.integer(contract.ENV_ROTATION_OVERLAP_HOURS, "48", 1, 720)),
            deletion_policy=policy,  # type: ignore[arg-type]
            # Set when the usage exporter is deployed: the controller reports the budget that applies.
            default_budget=defaults_from_environment(env) if contract.ENV_DEFAULT_BUDGET_USD in env else None,
            # Shared mode: the one project's export is the environment stack's Job's (blob_exports), not ours.
            export=target_from_environment(env) if mode == "per-project" else None,
        ),
        api_url=need(contract.ENV_LANGFUSE_API_URL),
        public_key=need(key_names[0]),
        secret_key=need(key_names[1]),
    )
