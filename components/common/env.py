"""Container environment variables that reference a key of a Secret (the value never passes through the program)."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s


def secret_env(name: str, secret: pulumi.Input[str], key: pulumi.Input[str]) -> k8s.core.v1.EnvVarArgs:
    selector = k8s.core.v1.SecretKeySelectorArgs(name=secret, key=key)
    return k8s.core.v1.EnvVarArgs(name=name, value_from=k8s.core.v1.EnvVarSourceArgs(secret_key_ref=selector))
