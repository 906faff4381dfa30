"""ExternalSecret: one Kubernetes Secret, each key read from a property of a Secrets Manager secret."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

# How often External Secrets re-reads Secrets Manager: a rotated value reaches the Secret within this.
REFRESH_INTERVAL = "1h"


@dataclass(frozen=True)
class SecretValue:
    key: str  # key in the Kubernetes Secret
    secrets_manager_name: pulumi.Input[str]
    property: str  # JSON property of the Secrets Manager secret


def external_secret(
    target: str,
    namespace: pulumi.Input[str],
    store: str,
    values: Sequence[SecretValue],
    opts: pulumi.ResourceOptions,
    secret_type: str | None = None,
) -> k8s.apiextensions.CustomResource:
    """An ExternalSecret that owns the Secret `target` (deleting it deletes the Secret)."""
    spec_target: dict = {"name": target, "creationPolicy": "Owner", "deletionPolicy": "Retain"}
    if secret_type is not None:
        spec_target["template"] = {"type": secret_type}
    return k8s.apiextensions.CustomResource(
        target,
        api_version="external-secrets.io/v1",
        kind="ExternalSecret",
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=target,
            namespace=namespace,
            labels={"app.kubernetes.io/part-of": "langfuse"},
            # pulumi-kubernetes (≥ 4.18) waits for ESO's Ready condition, so nothing that mounts the Secret is
            # created before the Secret exists.
            annotations={"pulumi.com/waitFor": "condition=Ready"},
        ),
        spec={
            "refreshInterval": REFRESH_INTERVAL,
            "secretStoreRef": {"name": store, "kind": "SecretStore"},
            "target": spec_target,
            "data": [
                {"secretKey": v.key, "remoteRef": {"key": v.secrets_manager_name, "property": v.property}} for v in values
            ],
        },
        opts=opts,
    )
