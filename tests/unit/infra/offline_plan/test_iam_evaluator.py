"""The IAM evaluator the access matrix runs (Principal Mapper) decides conditions as AWS documents them."""

from __future__ import annotations

from infra.offline_plan.iam_evaluator import Principal, is_allowed

ALLOW, DENY = True, False


def test_the_evaluator_applies_ifexists_and_null_as_aws_documents():
    """IAM User Guide, condition operators: ...IfExists is true when the key is absent; Null false means present."""
    role = Principal("role", "arn:aws:iam::111122223333:role/writer", "writer")
    allow = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"}]}

    def deny(condition):
        return {"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*", "Condition": condition}]}

    if_exists = deny({"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}})
    guarded = deny({"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}, "Null": {"s3:x-amz-server-side-encryption": "false"}})
    for policy, absent, right, wrong in ((if_exists, DENY, ALLOW, DENY), (guarded, ALLOW, ALLOW, DENY)):
        for context, outcome in (({}, absent), ({"s3:x-amz-server-side-encryption": "aws:kms"}, right),
                                 ({"s3:x-amz-server-side-encryption": "AES256"}, wrong)):
            assert is_allowed(role, "s3:PutObject", "arn:aws:s3:::b/k", context, [allow], policy, "111122223333") is outcome, (policy, context)
