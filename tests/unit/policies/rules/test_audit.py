"""The audit rules on a minimal good and bad resource."""

from __future__ import annotations

import json

from tests.unit.policies.rules.rule_checks import check


def test_key_policy_rule():
    key = "aws:kms/key:Key"
    good = {"policy": json.dumps({"Statement": [{"Sid": "Iam", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}]})}
    assert check("kms-key-policy-no-wildcard-principal", key, good) == []
    bad = {"policy": json.dumps({"Statement": [{"Sid": "Anyone", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*"}]})}
    assert check("kms-key-policy-no-wildcard-principal", key, bad) == ["key policy statement Anyone allows any principal (*)."]
    assert check("kms-key-policy-no-wildcard-principal", key, {}) == [
        "KMS key has no explicit key policy (the default grants the account through IAM without review)."
    ]
