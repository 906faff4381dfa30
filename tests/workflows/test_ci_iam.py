"""The IAM documents of the bootstrap guide (docs/ci/, templates rendered by scripts/render-ci-iam with the guide's
example values): parliament, with its community auditors, finds nothing above LOW that is not suppressed here with
the reason; and the trust policies say who may assume them."""

from __future__ import annotations

import json
import re
import runpy
import warnings
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)  # parliament still imports pkg_resources
    import parliament
    from parliament import analyze_policy_string, enhance_finding, override_config

from tests.conftest import project_path

override_config(str(Path(parliament.__file__).parent / "community_auditors" / "config_override.yaml"))
SEVERITIES = ["MUTE", "INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL"]
DOCUMENTS = sorted(project_path("docs", "ci").glob("*.json"))
# The values docs/bootstrap.md's first block sets, and the key ARN its `aws kms create-key` prints there.
EXAMPLE = {
    "ACCOUNT": "111122223333", "REGION": "eu-west-1", "REPOSITORY": "acme/langfuse-rosa", "DEPLOY_ENVIRONMENT": "production",
    "STATE_BUCKET": "acme-pulumi-state-111122223333", "ENV_PREFIX": "acme-langfuse", "CLUSTER_PREFIX": "acme-rosa",
    "STATE_KEY_ARN": "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
}  # fmt: skip
_render = runpy.run_path(str(project_path("scripts", "render-ci-iam")))["render"]
RENDERED = _render(EXAMPLE)
# (issue, file pattern, reason)
SUPPRESSED = (
    ("MALFORMED", r"-trust\.json$", "a trust policy names no Resource (IAM rejects one); parliament reads it as an identity policy"),
    ("UNKNOWN_FEDERATION_SOURCE", r"-trust\.json$", "GitHub's OIDC provider is the documented principal for GitHub Actions; parliament does not know it"),
    (
        "PERMISSIONS_MANAGEMENT_ACTIONS", r"^deploy-role-policy\.json$",
        "the deploy role writes the workloads' IAM roles and the buckets' policies: that is what the stacks declare. "
        "Its reach is bounded by the name prefixes and by its trust policy (the production Environment only)",
    ),
    (
        "RESOURCE_POLICY_PRIVILEGE_ESCALATION", r"^deploy-role-policy\.json$",
        "same: the deploy role sets bucket policies (TLS-only, KMS-only) and lifecycle rules; of objects it writes none and reads "
        "only the events bucket's (HEAD, as `langfuse-rosa verify` checks their encryption)",
    ),
)  # fmt: skip


def _findings() -> list[tuple[str, str, str, str]]:
    found = []
    for name, text in RENDERED.items():
        for raw in analyze_policy_string(text, include_community_auditors=True).findings:
            finding = enhance_finding(raw)
            found.append((name, finding.issue, finding.severity, str(finding.detail)))
    return found


def _suppressed(name: str, issue: str) -> bool:
    return any(issue == s_issue and re.search(pattern, name) for s_issue, pattern, _ in SUPPRESSED)


def test_the_guide_s_five_documents_are_analysed():
    names = ["deploy-role-policy.json", "deploy-role-trust.json", "preview-role-policy.json", "preview-role-trust.json", "state-bucket-policy.json"]
    assert [p.name for p in DOCUMENTS] == names and list(RENDERED) == names
    assert not any("${" in text for text in RENDERED.values())


def test_the_templates_take_the_account_and_repository_and_refuse_a_bad_or_missing_value():
    other = _render({
        **EXAMPLE, "ACCOUNT": "444455556666", "REPOSITORY": "other/fork", "DEPLOY_ENVIRONMENT": "staging",
        "STATE_BUCKET": "other-pulumi-state-444455556666", "STATE_KEY_ARN": EXAMPLE["STATE_KEY_ARN"].replace("111122223333", "444455556666"),
    })  # fmt: skip
    assert "111122223333" not in "".join(other.values())
    assert json.loads(other["deploy-role-trust.json"])["Statement"][0]["Condition"]["StringEquals"][
        "token.actions.githubusercontent.com:sub"
    ] == "repo:other/fork:environment:staging"
    with pytest.raises(ValueError, match=r"^ACCOUNT = '4444' is not a 12-digit AWS account ID$"):
        _render({**EXAMPLE, "ACCOUNT": "4444"})
    with pytest.raises(ValueError, match=r"^REPOSITORY is not set"):
        _render({k: v for k, v in EXAMPLE.items() if k != "REPOSITORY"})


def test_parliament_finds_nothing_above_low_that_is_not_suppressed_with_a_reason():
    findings = _findings()
    serious = [f for f in findings if SEVERITIES.index(f[2]) > SEVERITIES.index("LOW") or f[1] == "MALFORMED"]
    assert [f for f in serious if not _suppressed(f[0], f[1])] == []
    assert {(issue) for _, issue, _, _ in serious} == {s[0] for s in SUPPRESSED}  # each suppression is still needed


def test_parliament_would_flag_a_wildcard_deploy_role():
    wildcard = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]})
    issues = {enhance_finding(f).issue for f in analyze_policy_string(wildcard, include_community_auditors=True).findings}
    assert "RESOURCE_STAR" in issues or "PERMISSIONS_MANAGEMENT_ACTIONS" in issues


def _subjects(name: str) -> list[str]:
    statement = json.loads(RENDERED[name])["Statement"][0]
    conditions = {k: v for op in statement["Condition"].values() for k, v in op.items()}
    subjects = conditions["token.actions.githubusercontent.com:sub"]
    assert conditions["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
    return subjects if isinstance(subjects, list) else [subjects]


@pytest.mark.parametrize("name, allowed", [
    ("deploy-role-trust.json", ["repo:acme/langfuse-rosa:environment:production"]),
    ("preview-role-trust.json", ["repo:acme/langfuse-rosa:pull_request", "repo:acme/langfuse-rosa:ref:refs/heads/main"]),
])  # fmt: skip
def test_only_this_repository_s_named_contexts_may_assume_the_roles(name, allowed):
    assert _subjects(name) == allowed
    assert not any("*" in s for s in _subjects(name))


def test_the_preview_role_cannot_change_anything_but_its_lock():
    policy = json.loads(RENDERED["preview-role-policy.json"])
    writes = [
        (a, s["Resource"]) for s in policy["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
        if not re.match(r"^[a-z0-9]+:(Get|List|Describe)", a) and a != "kms:Decrypt"
    ]  # fmt: skip
    assert writes == [("s3:PutObject", "arn:aws:s3:::acme-pulumi-state-111122223333/.pulumi/locks/*"), ("s3:DeleteObject", "arn:aws:s3:::acme-pulumi-state-111122223333/.pulumi/locks/*")]
