"""AWS's policy evaluation for one request, by an evaluator this project did not write: NCC Group's Principal
Mapper (PyPI `principalmapper`), `local_check_authorization_full` and `resource_policy_authorization`.

What Principal Mapper does, as AWS does ("Policy evaluation logic", IAM User Guide): an explicit Deny in any
policy wins; same account, a resource policy naming the principal suffices, one naming the account defers to
the identity policies; KMS keys and role trust need the key or trust policy to allow (the account's root
statement delegates to IAM); another account needs both sides; condition operators with `...IfExists`, `Null`,
the negated operators' "absent key matches" rule, `ArnLike`, `Bool`, multi-valued keys.

What it does not model, and how the matrix handles it:
- Federated principals (sts:AssumeRoleWithWebIdentity): it only matches AWS and service principals. We select
  the trust statements whose `Principal.Federated` is the cluster's OIDC provider (our code, _federated_trust) and
  let Principal Mapper evaluate their actions and conditions as an identity policy.
- KMS grants, SCPs/RCPs, permission boundaries, session policies, VPC endpoint policies, S3 ACLs and Block Public
  Access: not rendered by this project (none exist, ownership is BucketOwnerEnforced), so not evaluated.
- Resource ARNs match case-insensitively (AWS: case-sensitive object keys): rows use the exact keys writers use.
- It was written for Python <= 3.9 (`from collections import Mapping`); the aliases below are the only patch.

It is unmaintained and AGPL-3.0; the test suite decides every row again with a maintained evaluator,
cloud-copilot's iam-simulate (tests/iam_simulate.py), and fails where the two disagree.
"""

from __future__ import annotations

import collections
import collections.abc
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# principalmapper 1.1.5 imports Mapping/MutableMapping from `collections` (moved to collections.abc in 3.3,
# removed from `collections` in 3.10).
for _name in ("Mapping", "MutableMapping"):
    if not hasattr(collections, _name):
        setattr(collections, _name, getattr(collections.abc, _name))

from principalmapper.common import Node, Policy  # noqa: E402
from principalmapper.querying.local_policy_simulation import (  # noqa: E402
    ResourcePolicyEvalResult,
    policy_has_matching_statement,
    resource_policy_authorization,
)
from principalmapper.querying.query_interface import local_check_authorization_full  # noqa: E402
from principalmapper.util.case_insensitive_dict import CaseInsensitiveDict  # noqa: E402

Document = Mapping[str, Any]


@dataclass(frozen=True)
class Principal:
    """Who sends a request. kind: "role" (an IAM role, in our account or another), "service" (an AWS service
    principal such as logging.s3.amazonaws.com), "web-identity" (a Kubernetes service account's projected token,
    presented to STS for the cluster's OIDC provider)."""

    kind: str
    name: str  # role ARN, service principal, or OIDC provider ARN
    label: str  # how the matrix names it


def account_of(arn: str) -> str:
    return arn.split(":")[4]


def _node(role_arn: str, identity_policies: Sequence[Document]) -> Node:
    # Principal Mapper wants a role's trust policy and a unique id; neither takes part in these checks.
    role_id = "AROA" + hashlib.sha256(role_arn.encode()).hexdigest()[:17].upper()
    policies = [Policy(role_arn, f"inline-{i}", dict(doc)) for i, doc in enumerate(identity_policies)]
    return Node(role_arn, role_id, policies, [], {"Version": "2012-10-17", "Statement": []}, None, 0, False, False, None, False, {})


def _federated_trust(trust: Document, provider_arn: str) -> dict[str, Any]:
    statements = trust.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    return {"Version": "2012-10-17", "Statement": [s for s in statements if (s.get("Principal") or {}).get("Federated") == provider_arn]}


def is_allowed(
    principal: Principal,
    action: str,
    resource: str,
    context: Mapping[str, str],
    identity_policies: Sequence[Document],
    resource_policy: Document | None,
    resource_account: str,
) -> bool:
    """AWS's decision for one request (True: allowed)."""
    keys = dict(context)
    if principal.kind == "role":
        return local_check_authorization_full(
            _node(principal.name, identity_policies),
            action,
            resource,
            keys,
            dict(resource_policy) if resource_policy is not None else None,
            resource_account if resource_policy is not None else None,
        )
    if resource_policy is None:
        return False  # a service principal acts only where a resource policy lets it
    if principal.kind == "service":
        result = resource_policy_authorization(principal.name, resource_account, dict(resource_policy), action, resource, keys)
        return result is ResourcePolicyEvalResult.SERVICE_MATCH
    if principal.kind == "web-identity":
        trust, keys = _federated_trust(resource_policy, principal.name), CaseInsensitiveDict(keys)
        if policy_has_matching_statement(trust, "Deny", action, resource, keys):
            return False
        return policy_has_matching_statement(trust, "Allow", action, resource, keys)
    raise ValueError(f"unknown principal kind {principal.kind!r}")
