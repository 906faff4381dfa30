"""Every IAM policy document the program renders (role policies, trust policies, bucket policies, key
policies), checked by parliament with its community auditors: no finding above LOW unless suppressed here
with the reason."""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)  # parliament still imports pkg_resources
    import parliament
    from parliament import analyze_policy_string, enhance_finding, override_config

from tests.conftest import CLUSTER_STACKS, STACKS

SEVERITIES = ["MUTE", "INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL"]
# The community auditors' findings are unknown to parliament's own config until their override is loaded
# (what `parliament --include-community-auditors` does).
override_config(str(Path(parliament.__file__).parent / "community_auditors" / "config_override.yaml"))


@dataclass(frozen=True)
class Suppression:
    issue: str
    document: str  # "trust" | "key" | "role" | "bucket"
    detail: str  # regex the finding's detail must match
    reason: str


SUPPRESSED = (
    Suppression(
        "MALFORMED", "trust", "Statement contains neither Resource nor NotResource",
        "a role's trust policy names no Resource (IAM rejects one); parliament reads every document as an identity policy",
    ),
    Suppression(
        "UNKNOWN_FEDERATION_SOURCE", "trust", r"^arn:aws:iam::\d{12}:oidc-provider/oidc\.op1\.openshiftapps\.com/\w+$",
        "parliament knows SAML providers and four public identity providers only; the cluster's IAM OIDC provider "
        "is the documented principal for IAM roles for service accounts (ROSA STS)",
    ),
    Suppression(
        "UNKNOWN_CONDITION_FOR_ACTION", "key", r"^Unknown condition kms:EncryptionContext:aws:logs:arn for action kms:Describe(Key|CustomKeyStores)$",
        "the CloudWatch Logs statement is AWS's own (CloudWatch Logs User Guide, \"Encrypt log data in CloudWatch Logs using AWS "
        "KMS\"): its kms:Describe* matches DescribeKey and DescribeCustomKeyStores, which carry no encryption context, so under "
        "that condition they are not granted; CloudWatch Logs needs only the cryptographic actions",
    ),
    Suppression(
        "PERMISSIONS_MANAGEMENT_ACTIONS", "key", "",
        "kms:* for the account root is AWS's default key policy statement: it lets IAM policies govern the key; "
        "without it the key can become unmanageable. No role here is granted kms:* through IAM.",
    ),
)


@dataclass(frozen=True)
class Finding:
    stack: str
    resource: str
    document: str
    issue: str
    severity: str
    detail: str


def _documents(plan) -> list[tuple[str, str, str]]:
    """(resource, kind of document, JSON) for every policy document among the plan's AWS resources."""
    kinds = {":RolePolicy": "role", ":BucketPolicy": "bucket", ":Key": "key", ":TopicPolicy": "topic"}
    documents = []
    for r in plan.resources:
        if r.type.endswith(":Role"):
            documents.append((f"{r.type}/{r.name}", "trust", r.inputs["assumeRolePolicy"]))
        for suffix, kind in kinds.items():
            if r.type.endswith(suffix):
                documents.append((f"{r.type}/{r.name}", kind, r.inputs["policy"]))
    return documents


def _findings(plans) -> list[Finding]:
    found = []
    for stack in STACKS + CLUSTER_STACKS + ("external",):
        for resource, kind, text in _documents(plans[stack]):
            policy = analyze_policy_string(text, include_community_auditors=True)
            for raw in policy.findings:
                finding = enhance_finding(raw)
                detail = finding.detail if isinstance(finding.detail, str) else json.dumps(finding.detail)
                found.append(Finding(stack, resource, kind, finding.issue, finding.severity, detail))
    return found


def _suppression(finding: Finding) -> Suppression | None:
    return next(
        (s for s in SUPPRESSED if s.issue == finding.issue and s.document == finding.document and re.search(s.detail, finding.detail)),
        None,
    )


@pytest.fixture(scope="module")
def findings(plans) -> list[Finding]:
    return _findings(plans)


def test_every_rendered_policy_document_is_analysed(plans):
    documents = [d for stack in STACKS + CLUSTER_STACKS for d in _documents(plans[stack])]
    kinds = [kind for _, kind, _ in documents]
    # dev + staging: 6 roles, 5 buckets, 2 keys each; prod adds replication, the DR buckets and their key; 3 EBS keys.
    # dev, staging: six workloads and CloudTrail's CloudWatch Logs role; prod also the two replication roles; each
    # cluster layer its log collector.
    assert kinds.count("trust") == kinds.count("role") == 7 + 7 + 9 + 3
    assert kinds.count("bucket") == 6 + 6 + 9
    assert kinds.count("key") == 3 + 3 + 5 + 3 * 2
    assert kinds.count("topic") == 1 + 1 + 2  # the audit alerts everywhere, prod's replication alerts


def test_parliament_finds_nothing_above_low_that_is_not_suppressed_with_a_reason(findings):
    serious = [f for f in findings if SEVERITIES.index(f.severity) > SEVERITIES.index("LOW") or f.issue == "MALFORMED"]
    unexplained = [f for f in serious if _suppression(f) is None]
    assert unexplained == []


def test_each_suppression_is_still_needed(findings):
    used = {_suppression(f) for f in findings} - {None}
    assert used == set(SUPPRESSED)


def test_parliament_does_fire_on_a_wildcard_grant():
    # The check is live: the same call reports what our role policies must never contain.
    policy = analyze_policy_string(
        json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]}),
        include_community_auditors=True,
    )
    issues = {enhance_finding(f).issue for f in policy.findings}
    assert {"RESOURCE_STAR", "PERMISSIONS_MANAGEMENT_ACTIONS"} <= issues
