"""Who can do what to which AWS resource: every request the catalogue (access_requests.py) says reaches the
stack's buckets, keys, roles and topics, evaluated against the policies this plan renders (bucket, key,
trust, role and topic policies) by an IAM evaluator we did not write (iam_evaluator.py).

The policies come from the plan's resources only; the requests from the plan's workloads and configuration
(which role a pod runs as, the headers its S3 client is configured to send). Expected outcomes are not
here: tests/test_access_matrix.py asserts them row by row.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from infra.offline_plan.iam_evaluator import Document, Principal, account_of, is_allowed
from infra.offline_plan.render import RenderedResource


@dataclass(frozen=True)
class Request:
    """One request a writer sends (or must not get through), with the request context AWS evaluates."""

    id: str  # stable across stacks: what the test's expectations are keyed by
    writer: str
    principal: Principal
    action: str
    resource: str
    context: Mapping[str, str]
    source: str  # where the request's shape comes from (the writer's source file, AWS's documentation)
    # For principals outside the plan (another account's admin, the cluster's CSI driver role): their IAM policies.
    identity_policies: tuple[Document, ...] = ()


@dataclass(frozen=True)
class Row:
    """One request's decision and exactly what it was decided on, so a second evaluator can decide the same."""

    request: Request
    allowed: bool
    documents: tuple[str, ...]  # the rendered policy documents the decision read
    identity_policies: tuple[Document, ...]  # the principal's: the request's own, then its rendered role policies
    resource_policy: Document | None
    resource_account: str


@dataclass(frozen=True)
class PolicyIndex:
    """Every policy document the plan renders, by what it governs."""

    account: str
    buckets: dict[str, Document] = field(default_factory=dict)  # bucket name -> bucket policy
    keys: dict[str, tuple[str, Document]] = field(default_factory=dict)  # key ARN -> (resource name, key policy)
    trust: dict[str, Document] = field(default_factory=dict)  # role ARN -> trust policy
    role_policies: dict[str, list[tuple[str, Document]]] = field(default_factory=dict)  # role or user ARN -> inline policies
    topics: dict[str, Document] = field(default_factory=dict)  # topic ARN -> topic policy

    def documents(self) -> list[str]:
        return sorted(
            [f"bucket policy {b}" for b in self.buckets]
            + [f"key policy {name}" for name, _ in self.keys.values()]
            + [f"trust policy {arn.rsplit('/', 1)[1]}" for arn in self.trust]
            + [f"{_kind(arn)} policy {name}" for arn, policies in self.role_policies.items() for name, _ in policies]
            + [f"topic policy {arn.rsplit(':', 1)[1]}" for arn in self.topics]
        )

    def resource_policy(self, resource: str) -> tuple[str, Document] | None:
        service = resource.split(":")[2]
        if service == "s3":
            bucket = resource.split(":::", 1)[1].split("/", 1)[0]
            return (f"bucket policy {bucket}", self.buckets[bucket]) if bucket in self.buckets else None
        if service == "kms":
            return (f"key policy {self.keys[resource][0]}", self.keys[resource][1]) if resource in self.keys else None
        if service == "iam":
            return (f"trust policy {resource.rsplit('/', 1)[1]}", self.trust[resource]) if resource in self.trust else None
        if service == "sns":
            return (f"topic policy {resource.rsplit(':', 1)[1]}", self.topics[resource]) if resource in self.topics else None
        return None  # Secrets Manager: this project sets no resource policies on secrets

    def resource_account(self, resource: str) -> str:
        return self.account if resource.startswith("arn:aws:s3:::") else account_of(resource)


def policy_index(resources: Sequence[RenderedResource], account: str) -> PolicyIndex:
    index = PolicyIndex(account)
    roles = {r.inputs["name"]: r for r in resources if r.type == "aws:iam/role:Role"}
    users = {r.inputs["name"]: r for r in resources if r.type == "aws:iam/user:User"}
    for r in resources:
        if r.type == "aws:s3/bucketPolicy:BucketPolicy":
            index.buckets[r.inputs["bucket"]] = _json(r.inputs["policy"])
        elif r.type == "aws:kms/key:Key":
            index.keys[_arn(r)] = (r.name, _json(r.inputs["policy"]))
        elif r.type == "aws:iam/role:Role":
            index.trust[_arn(r)] = _json(r.inputs["assumeRolePolicy"])
        elif r.type == "aws:iam/rolePolicy:RolePolicy":
            index.role_policies.setdefault(_arn(roles[r.inputs["role"]]), []).append((r.name, _json(r.inputs["policy"])))
        elif r.type == "aws:iam/userPolicy:UserPolicy":
            index.role_policies.setdefault(_arn(users[r.inputs["user"]]), []).append((r.name, _json(r.inputs["policy"])))
        elif r.type == "aws:sns/topicPolicy:TopicPolicy":
            index.topics[r.inputs["arn"]] = _json(r.inputs["policy"])
    return index


def _kind(arn: str) -> str:
    return "user" if ":user/" in arn else "role"


def _arn(resource: RenderedResource) -> str:
    assert resource.arn, f"{resource.type} {resource.name}: the plan recorded no ARN"
    return resource.arn


def _json(value: Any) -> Document:
    return json.loads(value) if isinstance(value, str) else value


def evaluate(request: Request, index: PolicyIndex) -> Row:
    principal = request.principal
    documents = []
    identity: list[Document] = list(request.identity_policies)
    if principal.kind in ("role", "user"):
        for name, doc in index.role_policies.get(principal.name, []):
            documents.append(f"{principal.kind} policy {name}")
            identity.append(doc)
    found = index.resource_policy(request.resource)
    if found is not None:
        documents.append(found[0])
    resource_policy = found[1] if found else None
    account = index.resource_account(request.resource)
    allowed = is_allowed(principal, request.action, request.resource, request.context, identity, resource_policy, account)
    return Row(request, allowed, tuple(documents), tuple(identity), resource_policy, account)


@dataclass(frozen=True)
class AccessMatrix:
    rows: tuple[Row, ...]
    documents: tuple[str, ...]  # every policy document the plan renders

    @property
    def allowed(self) -> int:
        return sum(row.allowed for row in self.rows)

    def uncovered(self) -> list[str]:
        """Documents no row's decision read."""
        read = {d for row in self.rows for d in row.documents}
        return [d for d in self.documents if d not in read]

    def markdown(self, stack: str) -> str:
        uncovered = self.uncovered()
        lines = [
            f"# AWS access matrix: {stack}",
            "",
            "Every request that reaches this stack's buckets, keys, roles and topics (and those that must not get through),",
            "evaluated against the policies this plan renders by Principal Mapper (infra/offline_plan/iam_evaluator.py).",
            f"{len(self.rows)} requests, {self.allowed} allowed, {len(self.rows) - self.allowed} denied; "
            f"{len(self.documents)} policy documents, each read by at least one decision"
            + ("." if not uncovered else f" except: {', '.join(uncovered)}."),
            "",
            "| request | principal | action | resource | request context | decision | policies read | source |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for row in self.rows:
            r = row.request
            context = "<br>".join(f"`{k}={v}`" for k, v in sorted(r.context.items())) or "—"
            lines.append(
                f"| {r.id} | {r.principal.label} | `{r.action}` | `{r.resource}` | {context} | "
                f"{'**allow**' if row.allowed else 'deny'} | {'; '.join(row.documents) or '—'} | {r.source} |"
            )
        return "\n".join(lines) + "\n"


def access_matrix(requests: Sequence[Request], index: PolicyIndex) -> AccessMatrix:
    return AccessMatrix(tuple(evaluate(r, index) for r in requests), tuple(index.documents()))
