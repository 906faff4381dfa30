"""The encryption rules on a minimal good and bad resource."""

from __future__ import annotations

from tests.unit.policies.rules.rule_checks import KEY_ARN, check


def test_key_rotation_rule():
    assert check("kms-key-rotation", "aws:kms/key:Key", {"enableKeyRotation": True}) == []
    assert check("kms-key-rotation", "aws:kms/key:Key", {"enableKeyRotation": False}) == ["KMS key does not rotate (enableKeyRotation is not true)."]
    assert check("kms-key-rotation", "aws:kms/key:Key", {"customerMasterKeySpec": "RSA_2048"}) == []  # AWS cannot rotate it


def test_secrets_manager_cmk_rule():
    secret = "aws:secretsmanager/secret:Secret"
    assert check("secrets-manager-cmk", secret, {"name": "p/app", "kmsKeyId": KEY_ARN}) == []
    assert check("secrets-manager-cmk", secret, {"name": "p/app"}) == [
        "secret p/app is encrypted with the AWS-managed key, not a customer-managed one."
    ]
