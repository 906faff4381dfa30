"""References to keys of Kubernetes Secrets and ConfigMaps in the Langfuse namespace: how one component hands
another a credential or a CA certificate without the value ever passing through the program. A leaf: the
standard library only (Pulumi's types are named for the type checker, not imported)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import pulumi


@dataclass(frozen=True)
class SecretKeyRef:
    """A key of a Kubernetes Secret in the Langfuse namespace."""

    name: pulumi.Input[str]
    key: pulumi.Input[str]


@dataclass(frozen=True)
class ConfigMapKeyRef:
    """A key of a ConfigMap in the Langfuse namespace (used for CA certificates)."""

    name: pulumi.Input[str]
    key: pulumi.Input[str]


@dataclass(frozen=True)
class CaCertificateRef:
    """A PEM CA certificate held in a ConfigMap or a Secret of the Langfuse namespace."""

    kind: Literal["ConfigMap", "Secret"]
    name: pulumi.Input[str]
    key: pulumi.Input[str]
