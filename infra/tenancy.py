"""The tenant controller of an environment stack, from its tenancy config (parsed once, passed down)."""

from __future__ import annotations

import pulumi

from components.tenancy import TenantController, TenantControllerArgs, UsageReporting, UsageReportingArgs
from components.tenancy.controller import KEY_SECRET, ControllerKey
from components.tenancy.usage import DefaultBudget
from infra.secret_references import slack_webhook, tenancy_key
from infra.stack_config import StackConfig


def deploy_tenancy(config: StackConfig, namespace: str, store: str, public_host: str, opts: pulumi.ResourceOptions) -> TenantController | None:
    tenancy, key = config.tenancy, tenancy_key(config)
    if not tenancy.enabled:
        return None
    assert tenancy.image is not None and key is not None  # TenancyConfig's and StackConfig's validators
    usage = tenancy.usage
    budget = DefaultBudget(usage.default_budget.monthly_usd, tuple(usage.default_budget.thresholds), usage.default_budget.high_cost_usd)
    mode = "per-project" if config.langfuse.license_key is not None else "shared"
    controller = TenantController(
        "tenancy",
        TenantControllerArgs(
            namespace=namespace,
            image=tenancy.image,
            # With a licence key the controller creates a project per namespace (admin-api); a key without
            # that entitlement answers 403, which the controller reports — it never falls back silently.
            mode=mode,
            public_host=public_host,
            key=ControllerKey(key.secrets_manager_name, key.public_key_property, key.secret_key_property),
            store=store,
            rotation_days=tenancy.rotation_days,
            rotation_overlap_hours=tenancy.rotation_overlap_hours,
            deletion_policy=tenancy.deletion_policy,
            default_budget=budget if usage.enabled else None,
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
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[controller])),
        )
    return controller
