"""The tenant controller of an environment stack, from its tenancy config (parsed once, passed down)."""

from __future__ import annotations

import pulumi

from components.langfuse.environment import InitUser, SharedProjectInit
from components.tenancy import TenantController, TenantControllerArgs
from components.tenancy.controller import ControllerKey
from infra.secret_references import init_project_keys, init_user_password, shares_one_project, tenancy_key
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
            mode="shared" if shares_one_project(config) else "per-project",
            public_host=public_host,
            key=ControllerKey(key.secrets_manager_name, key.public_key_property, key.secret_key_property),
            store=store,
            rotation_days=tenancy.rotation_days,
            rotation_overlap_hours=tenancy.rotation_overlap_hours,
            deletion_policy=tenancy.deletion_policy,
        ),
        opts=opts,
    )
