"""The audit rules on a minimal good and bad resource."""

from __future__ import annotations

import json

from components.aws.contract import PURPOSE_TAG
from policies.rules import Subject
from tests.unit.policies.rules.rule_checks import check, stack_check


def test_key_policy_rule():
    key = "aws:kms/key:Key"
    good = {"policy": json.dumps({"Statement": [{"Sid": "Iam", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}]})}
    assert check("kms-key-policy-no-wildcard-principal", key, good) == []
    bad = {"policy": json.dumps({"Statement": [{"Sid": "Anyone", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*"}]})}
    assert check("kms-key-policy-no-wildcard-principal", key, bad) == ["key policy statement Anyone allows any principal (*)."]
    assert check("kms-key-policy-no-wildcard-principal", key, {}) == [
        "KMS key has no explicit key policy (the default grants the account through IAM without review)."
    ]


def test_backup_object_lock_counts_a_retention_in_years():
    """A default retention gives Days or Years (S3 API Reference, DefaultRetention): one year clears a 30-day floor."""
    bucket = Subject("aws:s3/bucket:Bucket", "backups", {"bucket": "b", "objectLockEnabled": True, "tags": {PURPOSE_TAG: "backups"}})

    def lock(retention):
        return Subject("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "lock",
                       {"bucket": "b", "rule": {"defaultRetention": {"mode": "COMPLIANCE", **retention}}})

    assert stack_check("backup-bucket-object-lock", [bucket, lock({"years": 1})]) == []
    assert stack_check("backup-bucket-object-lock", [bucket, lock({"days": 30})]) == []
    assert stack_check("backup-bucket-object-lock", [bucket, lock({"days": 7})]) == [
        ("Bucket/backups", "backup bucket b has no object lock of at least 30 days.")
    ]
