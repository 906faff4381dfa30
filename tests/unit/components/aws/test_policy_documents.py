"""The policy document builders, decided request by request by the IAM evaluator the access matrix uses (Principal
Mapper, which this project did not write): what each builder promises, for any bucket, key or service account,
without planning a stack (the matrix then checks the documents each stack renders)."""

from __future__ import annotations

import pytest

from components.aws.policy_documents import (
    S3Grant,
    audit_export_writer,
    bucket_policy,
    external_id_trust,
    s3_access,
    web_identity_trust,
)
from infra.offline_plan.iam_evaluator import Principal, is_allowed

ACCOUNT = "111122223333"
KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/0b6c2f5e-3f1a-4a57-9d0e-2c1a7e5b9d10"
OTHER_KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/aaaaaaaa-3f1a-4a57-9d0e-2c1a7e5b9d10"
WRITER = Principal("role", f"arn:aws:iam::{ACCOUNT}:role/writer", "writer")
TLS = {"aws:SecureTransport": "true"}
PUT_ANYWHERE = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::*"}]}
SSE, SSE_KEY = "s3:x-amz-server-side-encryption", "s3:x-amz-server-side-encryption-aws-kms-key-id"


def _upload(policy: dict, headers: dict[str, str], key: str = "events/a.json") -> bool:
    """An upload by a writer whose own policy allows it, with these encryption headers (as condition keys)."""
    return is_allowed(WRITER, "s3:PutObject", f"arn:aws:s3:::b/{key}", {**TLS, **headers}, [PUT_ANYWHERE], policy, ACCOUNT)


@pytest.mark.parametrize(
    "headers, allowed",
    [
        ({}, True),  # the bucket's default encryption applies: multipart parts and log delivery send no header
        ({SSE: "aws:kms", SSE_KEY: KEY}, True),
        ({SSE: "aws:kms", SSE_KEY: OTHER_KEY}, False),
        ({SSE: "aws:kms"}, False),  # S3 would use the AWS managed key aws/s3
        ({SSE: "AES256"}, False),
    ],
)
def test_an_sse_kms_bucket_refuses_only_an_upload_that_asks_for_another_encryption(headers, allowed):
    assert _upload(bucket_policy("b", KEY), headers) is allowed


@pytest.mark.parametrize("headers, allowed", [({}, True), ({SSE: "AES256"}, True), ({SSE: "aws:kms", SSE_KEY: KEY}, False)])
def test_an_sse_s3_bucket_takes_sse_s3_uploads_only(headers, allowed):
    assert _upload(bucket_policy("b", None), headers) is allowed


def test_an_exempt_prefix_takes_sse_s3_while_the_rest_of_the_bucket_refuses_it():
    policy = bucket_policy("b", KEY, encryption_exempt=[f"AWSLogs/{ACCOUNT}/CloudTrail-Digest/"])
    assert _upload(policy, {SSE: "AES256"}, f"AWSLogs/{ACCOUNT}/CloudTrail-Digest/d.json.gz") is True
    assert _upload(policy, {SSE: "AES256"}, f"AWSLogs/{ACCOUNT}/CloudTrail/l.json.gz") is False


def test_every_bucket_refuses_plain_http():
    for policy in (bucket_policy("b", KEY), bucket_policy("b", None)):
        assert is_allowed(WRITER, "s3:PutObject", "arn:aws:s3:::b/k", {"aws:SecureTransport": "false"}, [PUT_ANYWHERE], policy, ACCOUNT) is False


def test_server_access_logs_are_delivered_only_for_the_named_buckets_of_the_account():
    policy = bucket_policy("logs", None, log_sources=["events"], account_id=ACCOUNT)
    logging = Principal("service", "logging.s3.amazonaws.com", "S3 log delivery")

    def deliver(source: str, account: str) -> bool:
        context = {**TLS, "aws:SourceArn": f"arn:aws:s3:::{source}", "aws:SourceAccount": account}
        return is_allowed(logging, "s3:PutObject", "arn:aws:s3:::logs/events/2026", context, [], policy, ACCOUNT)

    assert (deliver("events", ACCOUNT), deliver("someone-else", ACCOUNT), deliver("events", "999999999999")) == (True, False, False)


def test_an_s3_grant_reaches_its_prefix_lists_only_it_and_a_reader_gets_no_data_key():
    reader = s3_access("Read", [S3Grant("b", "exports/", ("s3:GetObject",), list=True)], KEY)

    def may(action: str, resource: str, **context: str) -> bool:
        return is_allowed(WRITER, action, resource, {**TLS, **context}, [reader], None, ACCOUNT)

    assert may("s3:GetObject", "arn:aws:s3:::b/exports/x.parquet") is True
    assert may("s3:GetObject", "arn:aws:s3:::b/events/x.json") is False
    assert may("s3:ListBucket", "arn:aws:s3:::b", **{"s3:prefix": "exports/p1/"}) is True
    assert may("s3:ListBucket", "arn:aws:s3:::b", **{"s3:prefix": "events/"}) is False
    assert (may("kms:Decrypt", KEY), may("kms:GenerateDataKey", KEY)) == (True, False)
    writer = s3_access("Write", [S3Grant("b", "events/", ("s3:PutObject",))], KEY)
    assert is_allowed(WRITER, "kms:GenerateDataKey", KEY, TLS, [writer], None, ACCOUNT) is True


def test_a_web_identity_trust_admits_exactly_one_service_account_with_the_sts_audience():
    provider = f"arn:aws:iam::{ACCOUNT}:oidc-provider/oidc.example.com/abc"
    trust = web_identity_trust(provider, "oidc.example.com/abc", "langfuse", "langfuse-web")
    token = Principal("web-identity", provider, "pod token")

    def assume(namespace: str, account: str, audience: str = "sts.amazonaws.com") -> bool:
        claims = {"oidc.example.com/abc:sub": f"system:serviceaccount:{namespace}:{account}", "oidc.example.com/abc:aud": audience}
        return is_allowed(token, "sts:AssumeRoleWithWebIdentity", f"arn:aws:iam::{ACCOUNT}:role/web", claims, [], trust, ACCOUNT)

    assert assume("langfuse", "langfuse-web") is True
    assert (assume("langfuse", "default"), assume("other", "langfuse-web"), assume("langfuse", "langfuse-web", "openshift")) == (False, False, False)


def test_an_external_id_trust_needs_the_external_id():
    principal = "arn:aws:iam::999999999999:user/snowflake"
    trust = external_id_trust(principal, "ACME_SFCRole=2_abc")
    user = Principal("role", principal, "Snowflake")

    def assume(**context: str) -> bool:
        allow = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}
        return is_allowed(user, "sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/warehouse", context, [allow], trust, ACCOUNT)

    assert (assume(**{"sts:ExternalId": "ACME_SFCRole=2_abc"}), assume(**{"sts:ExternalId": "guess"}), assume()) == (True, False, False)


def test_the_audit_export_writes_only_new_objects_under_its_prefix_and_reads_nothing():
    writer = audit_export_writer("audit", "audit-logs/", KEY)

    def may(action: str, resource: str, **context: str) -> bool:
        return is_allowed(WRITER, action, resource, {**TLS, **context}, [writer], None, ACCOUNT)

    assert may("s3:PutObject", "arn:aws:s3:::audit/audit-logs/2026/x.jsonl", **{"s3:if-none-match": "*"}) is True
    assert may("s3:PutObject", "arn:aws:s3:::audit/audit-logs/2026/x.jsonl") is False  # an overwrite
    assert may("s3:PutObject", "arn:aws:s3:::audit/AWSLogs/x", **{"s3:if-none-match": "*"}) is False
    assert (may("s3:GetObject", "arn:aws:s3:::audit/audit-logs/2026/x.jsonl"), may("kms:Decrypt", KEY)) == (False, False)
