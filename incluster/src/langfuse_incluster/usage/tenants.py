"""The projects whose usage is watched, read from Kubernetes: every ProjectSettings with spec.langfuse.enabled
whose tenant controller reports Ready (so langfuse-keys exists), with its budget. Per-project mode queries
each project with the key in its own langfuse-keys Secret (re-read only when status.langfuse.currentKey
changes); shared mode queries the one shared project with its key, filtered by the namespace's tag."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from kubernetes import client
from kubernetes.client.rest import ApiException

from langfuse_incluster import contract
from langfuse_incluster.budget import BudgetDefaults, EffectiveBudget, effective_budget
from langfuse_incluster.usage.queries import namespace_tag


@dataclass(frozen=True)
class Tenant:
    namespace: str
    project_id: str | None  # the Langfuse project (links to traces and sessions)
    public_key: str
    secret_key: str = field(repr=False)
    budget: EffectiveBudget
    tag: str | None = None  # shared mode: only traces tagged namespace:<ns>


def _ready(status: dict) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])


class KubernetesTenants:
    def __init__(
        self, custom: client.CustomObjectsApi, core: client.CoreV1Api, mode: str, defaults: BudgetDefaults,
        shared_key: tuple[str, str] | None = None,
    ) -> None:
        if mode == "shared" and shared_key is None:
            raise ValueError("shared mode needs the shared project's key")
        self._custom, self._core, self._mode, self._defaults, self._shared_key = custom, core, mode, defaults, shared_key
        self._keys: dict[str, tuple[str, str, str]] = {}  # namespace -> (public key in status, public, secret)

    def list(self, namespace: str | None = None) -> tuple[Tenant, ...]:
        if namespace is None:
            answer = self._custom.list_cluster_custom_object(contract.GROUP, contract.VERSION, contract.PLURAL)
        else:
            answer = self._custom.list_namespaced_custom_object(contract.GROUP, contract.VERSION, namespace, contract.PLURAL)
        tenants = []
        for item in answer.get("items", []):
            spec, status = item.get("spec") or {}, ((item.get("status") or {}).get("langfuse") or {})
            ns = item["metadata"]["namespace"]
            if not (spec.get("langfuse") or {}).get("enabled") or not _ready(status):
                continue
            key = self._shared_key if self._mode == "shared" else self._project_key(ns, status)
            if key is None:
                continue
            tenants.append(
                Tenant(
                    namespace=ns, project_id=status.get("projectId"), public_key=key[0], secret_key=key[1],
                    budget=effective_budget(spec, self._defaults), tag=namespace_tag(ns) if self._mode == "shared" else None,
                )
            )
        return tuple(sorted(tenants, key=lambda t: t.namespace))

    def _project_key(self, namespace: str, status: dict) -> tuple[str, str] | None:
        current = (status.get("currentKey") or {}).get("publicKey")
        cached = self._keys.get(namespace)
        if cached is not None and cached[0] == current:
            return cached[1], cached[2]
        try:
            secret = self._core.read_namespaced_secret(contract.SECRET_NAME, namespace)
        except ApiException as error:
            if error.status in (403, 404):
                return None
            raise
        data = {k: base64.b64decode(v).decode() for k, v in (secret.data or {}).items()}
        public, secret_key = data.get(contract.PUBLIC_KEY), data.get(contract.SECRET_KEY)
        if not public or not secret_key:
            return None
        self._keys[namespace] = (current, public, secret_key)
        return public, secret_key
