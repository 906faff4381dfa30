"""The admission policy's CEL, evaluated by cel-python (Google's CEL, a Python implementation we did not
write) on the admission requests the API server would send: the tenant controller may write langfuse-keys
and nothing else, and never a ProjectSettings' spec; nobody else is affected."""

from __future__ import annotations

import celpy
import pytest
from langfuse_incluster import contract

from components.tenancy import admission

CONTROLLER = admission.service_account_username("langfuse", contract.CONTROLLER_NAME)
OURS = {contract.MANAGED_BY_LABEL: contract.CONTROLLER_NAME}


def _evaluate(expression: str, request: dict, obj: dict | None, old: dict | None) -> bool:
    env = celpy.Environment()
    program = env.program(env.compile(expression))
    activation = {"request": celpy.json_to_cel(request), "object": celpy.json_to_cel(obj), "oldObject": celpy.json_to_cel(old)}
    return bool(program.evaluate(activation))


def _admit(username: str, resource: str, operation: str, obj: dict | None, old: dict | None = None) -> str | None:
    """None when admitted, else the message of the first failed validation (as the API server reports it)."""
    spec = admission.policy_spec(CONTROLLER)
    rule_resources = {r for rule in spec["matchConstraints"]["resourceRules"] for r in rule["resources"] if operation in rule["operations"]}
    if resource not in rule_resources:
        return None
    request = {"userInfo": {"username": username}, "resource": {"resource": resource}, "operation": operation}
    if not all(_evaluate(c["expression"], request, obj, old) for c in spec["matchConditions"]):
        return None
    for validation in spec["validations"]:
        if not _evaluate(validation["expression"], request, obj, old):
            return validation["message"]
    return None


def _secret(name: str, labels: dict | None = None) -> dict:
    return {"metadata": {"name": name, "namespace": "project-foo", **({"labels": labels} if labels is not None else {})}}


def test_the_controller_may_create_update_and_delete_langfuse_keys():
    for operation, obj, old in (("CREATE", _secret("langfuse-keys", OURS), None), ("UPDATE", _secret("langfuse-keys", OURS), _secret("langfuse-keys", OURS)),
                                ("DELETE", None, _secret("langfuse-keys", OURS))):
        assert _admit(CONTROLLER, "secrets", operation, obj, old) is None


@pytest.mark.parametrize("name", ["ambient-admin-langfuse-secret", "runner-secrets", "langfuse-keys-2"])
def test_the_controller_may_create_no_other_secret(name):
    assert _admit(CONTROLLER, "secrets", "CREATE", _secret(name, OURS)) == "the Langfuse tenant controller may write only Secrets named langfuse-keys"


def test_the_controller_may_not_delete_another_secret():
    assert "only Secrets named langfuse-keys" in _admit(CONTROLLER, "secrets", "DELETE", None, _secret("runner-secrets"))


@pytest.mark.parametrize("labels", [None, {}, {contract.MANAGED_BY_LABEL: "someone-else"}])
def test_a_langfuse_keys_secret_without_the_controller_s_label_is_refused(labels):
    assert "must carry app.kubernetes.io/managed-by" in _admit(CONTROLLER, "secrets", "CREATE", _secret("langfuse-keys", labels))


def test_the_controller_may_patch_status_but_not_spec_of_projectsettings():
    old = {"metadata": {"name": "projectsettings"}, "spec": {"groupAccess": [{"groupName": "a", "role": "admin"}]}}
    with_status = {**old, "status": {"langfuse": {"projectId": "p"}}}
    assert _admit(CONTROLLER, contract.PLURAL, "UPDATE", with_status, old) is None
    changed = {**old, "spec": {"groupAccess": [{"groupName": "a", "role": "view"}]}}
    assert "never its spec" in _admit(CONTROLLER, contract.PLURAL, "UPDATE", changed, old)


def test_other_users_are_not_matched():
    assert _admit("system:serviceaccount:ambient:operator", "secrets", "CREATE", _secret("anything")) is None
    assert _admit(admission.service_account_username("other-ns", contract.CONTROLLER_NAME), "secrets", "CREATE", _secret("x")) is None
