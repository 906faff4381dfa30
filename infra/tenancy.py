"""The tenant controller of an environment stack, from its tenancy config (parsed once, passed down)."""

from __future__ import annotations

import pulumi

from components.analytics.exports_job import ExportSettings
from components.langfuse.environment import InitUser, SharedProjectInit
from components.tenancy import TenantController, TenantControllerArgs, UsageReporting, UsageReportingArgs
from components.tenancy.controller import KEY_SECRET
from components.tenancy.usage import DefaultBudget
from infra.ordering import after
from infra.secret_references import (
    init_project_keys,
    init_user_password,
    key_pair,
    shares_one_project,
    slack_webhook,
    tenancy_key,
)
from infra.stack_config import StackConfig


def shared_project_init(config: StackConfig) -> SharedProjectInit | None:
    """Without a licence, the project every namespace shares, created by Langfuse web at start."""
    if not shares_one_project(config):
        return None
    shared, (public_key, secret_key) = config.tenancy.shared_project, init_project_keys()
    owner = shared.owner
    return SharedProjectInit(
        organization_id=shared.organization_id,
        organization_name=shared.organization_name,
        project_id=shared.project_id,
        project_name=shared.project_name,
        public_key=public_key,
        secret_key=secret_key,
        owner=InitUser(owner.email, owner.name, init_user_password()) if owner is not None else None,
    )


def usage_reported(config: StackConfig) -> bool:
    """The usage exporter runs (deploy_tenancy): cost and usage per project, their alerts and dashboard."""
    return config.tenancy.enabled and config.tenancy.usage.enabled


def deploy_tenancy(
    config: StackConfig, namespace: str, store: str, public_host: str, exports: ExportSettings | None, opts: pulumi.ResourceOptions
) -> TenantController | None:
    tenancy, key = config.tenancy, tenancy_key(config)
    if not tenancy.enabled:
        return None
    assert tenancy.image is not None and key is not None  # TenancyConfig's and StackConfig's validators
    usage = tenancy.usage
    budget = DefaultBudget(usage.default_budget.monthly_usd, tuple(usage.default_budget.thresholds), usage.default_budget.high_cost_usd)
    mode = "shared" if shares_one_project(config) else "per-project"
    controller = TenantController(
        "tenancy",
        TenantControllerArgs(
            namespace=namespace,
            image=tenancy.image,
            # With a licence key the controller creates a project per namespace (admin-api); a key without
            # that entitlement answers 403, which the controller reports — it never falls back silently.
            mode=mode,
            public_host=public_host,
            key=key_pair(key),
            store=store,
            rotation_days=tenancy.rotation_days,
            rotation_overlap_hours=tenancy.rotation_overlap_hours,
            deletion_policy=tenancy.deletion_policy,
            default_budget=budget if usage.enabled else None,
            # Each project it creates exports into the analytics prefix; the shared project's is a Job's (infra/analytics.py).
            export_env=exports.env() if exports is not None and mode == "per-project" else None,
        ),
        opts=opts,
    )
    if usage.enabled:
        UsageReporting(
            "usage",
            UsageReportingArgs(
                namespace=namespace,
                image=tenancy.image,
                mode=mode,
                ui_url=public_host,
                default_budget=budget,
                poll_interval_seconds=usage.poll_interval_seconds,
                poll_concurrency=usage.poll_concurrency,
                top_n=usage.top_n,
                summary_schedule=usage.summary_schedule,
                shared_key_secret=KEY_SECRET,
                slack_webhook=slack_webhook() if config.monitoring.slack is not None else None,
            ),
            opts=after(opts, controller),
        )
    return controller
