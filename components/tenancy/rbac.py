"""The controller's ClusterRole: read ProjectSettings everywhere (and patch them: kopf's finalizer and
bookkeeping annotations, and status.langfuse), write only Secrets named langfuse-keys, post Events.
kopf's own needs are from its docs/deployment-rbac.yaml (CRD and namespace discovery)."""

from __future__ import annotations

from langfuse_incluster import contract


def cluster_role_rules() -> list[dict]:
    return [
        # kopf: runtime observation of CRDs and namespaces.
        {"apiGroups": ["apiextensions.k8s.io"], "resources": ["customresourcedefinitions"], "verbs": ["list", "watch"]},
        {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["list", "watch"]},
        {"apiGroups": [contract.GROUP], "resources": [contract.PLURAL], "verbs": ["get", "list", "watch", "patch"]},
        {"apiGroups": [contract.GROUP], "resources": [f"{contract.PLURAL}/status"], "verbs": ["get", "patch"]},
        # resourceNames cannot restrict create: the ValidatingAdmissionPolicy does (admission.py).
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["create"]},
        {"apiGroups": [""], "resources": ["secrets"], "resourceNames": [contract.SECRET_NAME], "verbs": ["get", "update", "patch", "delete"]},
        {"apiGroups": ["", "events.k8s.io"], "resources": ["events"], "verbs": ["create", "patch"]},
    ]
