"""The tenant controller of an environment stack, from its tenancy config (parsed once, passed down)."""

from __future__ import annotations

import pulumi

from components.analytics.exports_job import ExportSettings
from components.tenancy import TenantController, TenantControllerArgs
from components.tenancy.controller import ControllerKey
from infra.secret_references import tenancy_key
from infra.stack_config import StackConfig


def deploy_tenancy(
    config: StackConfig, namespace: str, store: str, public_host: str, exports: ExportSettings | None, opts: pulumi.ResourceOptions
) -> TenantController | None:
    tenancy, key = config.tenancy, tenancy_key(config)
    if not tenancy.enabled:
        return None
    assert tenancy.image is not None and key is not None  # TenancyConfig's and StackConfig's validators
    mode = "per-project" if config.langfuse.license_key is not None else "shared"
    return TenantController(
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
            # Each project it creates exports into the analytics prefix; the shared project's is a Job's (infra/analytics.py).
            export_env=exports.env() if exports is not None and mode == "per-project" else None,
        ),
        opts=opts,
    )
