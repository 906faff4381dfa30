"""The tenant controller of an environment stack, from its tenancy config (parsed once, passed down)."""

from __future__ import annotations

import pulumi

from components.tenancy import TenantController, TenantControllerArgs
from components.tenancy.controller import ControllerKey
from infra.secret_references import tenancy_key
from infra.stack_config import StackConfig


def deploy_tenancy(config: StackConfig, namespace: str, store: str, public_host: str, opts: pulumi.ResourceOptions) -> TenantController | None:
    tenancy, key = config.tenancy, tenancy_key(config)
    if not tenancy.enabled:
        return None
    assert tenancy.image is not None and key is not None  # TenancyConfig's and StackConfig's validators
    return TenantController(
        "tenancy",
        TenantControllerArgs(
            namespace=namespace,
            image=tenancy.image,
            # With a licence key the controller creates a project per namespace (admin-api); a key without
            # that entitlement answers 403, which the controller reports — it never falls back silently.
            mode="per-project" if config.langfuse.license_key is not None else "shared",
            public_host=public_host,
            key=ControllerKey(key.secrets_manager_name, key.public_key_property, key.secret_key_property),
            store=store,
            rotation_days=tenancy.rotation_days,
            rotation_overlap_hours=tenancy.rotation_overlap_hours,
            deletion_policy=tenancy.deletion_policy,
        ),
        opts=opts,
    )
