"""The ValidatingAdmissionPolicy that finishes what RBAC cannot: RBAC cannot restrict `create` by name
(resourceNames do not apply to create), so the controller may create any Secret as far as RBAC goes. This
policy refuses every Secret write by the controller's service account except to langfuse-keys carrying the
controller's label, and any change of a ProjectSettings' spec by it. admissionregistration.k8s.io/v1: GA in
Kubernetes 1.30 (OpenShift 4.18 runs 1.31). Its CEL is tested with cel-python (tests/tenancy)."""

from __future__ import annotations

from langfuse_incluster import contract

POLICY_NAME = "langfuse-tenant-controller-writes"

VALIDATIONS = (
    (
        "request.resource.resource != 'secrets' || "
        f"(request.operation == 'DELETE' ? oldObject.metadata.name : object.metadata.name) == '{contract.SECRET_NAME}'",
        f"the Langfuse tenant controller may write only Secrets named {contract.SECRET_NAME}",
    ),
    (
        "request.resource.resource != 'secrets' || request.operation == 'DELETE' || "
        f"(has(object.metadata.labels) && '{contract.MANAGED_BY_LABEL}' in object.metadata.labels && "
        f"object.metadata.labels['{contract.MANAGED_BY_LABEL}'] == '{contract.CONTROLLER_NAME}')",
        f"a Secret the Langfuse tenant controller writes must carry {contract.MANAGED_BY_LABEL}: {contract.CONTROLLER_NAME}",
    ),
    (
        f"request.resource.resource != '{contract.PLURAL}' || object.spec == oldObject.spec",
        "the Langfuse tenant controller may change a ProjectSettings' metadata and status, never its spec",
    ),
)


def service_account_username(namespace: str, service_account: str) -> str:
    return f"system:serviceaccount:{namespace}:{service_account}"


def match_condition(username: str) -> str:
    return f"request.userInfo.username == '{username}'"


def policy_spec(username: str) -> dict:
    return {
        "failurePolicy": "Fail",
        "matchConstraints": {
            "resourceRules": [
                {"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE", "DELETE"], "resources": ["secrets"]},
                {"apiGroups": [contract.GROUP], "apiVersions": [contract.VERSION], "operations": ["UPDATE"], "resources": [contract.PLURAL]},
            ]
        },
        "matchConditions": [{"name": "tenant-controller-only", "expression": match_condition(username)}],
        "validations": [{"expression": expression, "message": message} for expression, message in VALIDATIONS],
    }


def binding_spec() -> dict:
    return {"policyName": POLICY_NAME, "validationActions": ["Deny"]}
