"""The secret flow against moto's AWS server: the Secrets Manager entries are created exactly as the program
declares them (name, description, KMS key, tags, the generated JSON), the pre-existing ones as the README
tells a platform team to create them, and every ExternalSecret the program renders is then resolved the way
External Secrets resolves it (GetSecretValue, then the JSON property). A renamed property, a secret under
another name or a role that may not read it breaks this test."""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from pulumi.runtime import rpc

from infra.offline_plan.plan import PROJECT_ROOT
from infra.offline_plan.recorder import Registration
from infra.offline_plan.runner import run_program
from tests.conftest import EXAMPLE_STACKS_DIR, STACKS
from tests.local_servers import moto_server

# Stands in for values a platform team puts into Secrets Manager before the first `pulumi up`.
FIXTURE_VALUE = "fixture-not-a-real-secret"


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


def _account_session(endpoint: str, region: str, role_arn: str) -> boto3.Session:
    """Credentials in the stack's account: moto, like AWS, puts what they create in the role's account."""
    sts = boto3.client("sts", endpoint_url=endpoint, region_name=region, aws_access_key_id="testing", aws_secret_access_key="testing")
    credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName="langfuse-rosa-test")["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )


def _plain(value: Any) -> Any:
    if rpc.is_rpc_secret(value):
        return _plain(rpc.unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _of_type(registrations: list[Registration], type_token: str) -> list[Registration]:
    return [r for r in registrations if r.type == type_token]


def _declared_secrets(registrations: list[Registration]) -> list[dict[str, Any]]:
    """Each generated secret as the program declares it: Secret inputs plus its SecretVersion's string."""
    versions = {r.parent: _plain(r.inputs) for r in _of_type(registrations, "aws:secretsmanager/secretVersion:SecretVersion")}
    return [
        {**_plain(secret.inputs), "secretString": versions[secret.parent]["secretString"]}
        for secret in _of_type(registrations, "aws:secretsmanager/secret:Secret")
    ]


def _remote_refs(registrations: list[Registration]) -> list[tuple[str, str, str, str]]:
    """(ExternalSecret, Secret key, Secrets Manager name, property) for every value External Secrets fetches."""
    refs = []
    for external in _of_type(registrations, "kubernetes:external-secrets.io/v1:ExternalSecret"):
        spec = _plain(external.inputs)["spec"]
        for item in spec["data"]:
            refs.append((spec["target"]["name"], item["secretKey"], item["remoteRef"]["key"], item["remoteRef"]["property"]))
    return refs


def _provider_inputs(registrations: list[Registration], name: str) -> dict[str, Any]:
    (provider,) = [r for r in registrations if r.type == "pulumi:providers:aws" and r.name == name]
    return _plain(provider.inputs)


def _external_secrets_policy(registrations: list[Registration]) -> dict[str, Any]:
    (policy,) = [r for r in _of_type(registrations, "aws:iam/rolePolicy:RolePolicy") if r.inputs["role"].endswith("-external-secrets")]
    return json.loads(policy.inputs["policy"])


@pytest.mark.parametrize("stack", STACKS + ("external",))
def test_every_external_secret_resolves_against_secrets_manager_as_declared(moto_endpoint, stack):
    stacks_dir = EXAMPLE_STACKS_DIR if stack == "external" else PROJECT_ROOT / "stacks"
    registrations = run_program(PROJECT_ROOT, stack, stacks_dir).registrations
    provider = _provider_inputs(registrations, "aws")
    region = provider["region"]
    tags = json.loads(provider["defaultTags"])["tags"]
    (account,) = json.loads(provider["allowedAccountIds"])
    session = _account_session(moto_endpoint, region, f"arn:aws:iam::{account}:role/platform-admin")
    secretsmanager = session.client("secretsmanager", endpoint_url=moto_endpoint)
    kms = session.client("kms", endpoint_url=moto_endpoint)

    # The program's own secrets, created the way it declares them; each declared key gets a moto key.
    keys: dict[str, str] = {}
    declared = _declared_secrets(registrations)
    assert len(declared) == {"external": 1, "staging": 4}.get(stack, 5)  # dev and prod: the analytics cluster's users too
    for secret in declared:
        if secret["kmsKeyId"] not in keys:
            keys[secret["kmsKeyId"]] = kms.create_key(Description=f"stands in for {secret['kmsKeyId']}")["KeyMetadata"]["Arn"]
        secretsmanager.create_secret(
            Name=secret["name"],
            Description=secret["description"],
            KmsKeyId=keys[secret["kmsKeyId"]],
            SecretString=secret["secretString"],
            Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
        )
    own_names = {secret["name"] for secret in declared}

    # The secrets the stack only references, as the README asks a platform team to create them.
    refs = _remote_refs(registrations)
    referenced: dict[str, dict[str, str]] = {}
    for _, _, name, prop in refs:
        if name not in own_names:
            referenced.setdefault(name, {})[prop] = FIXTURE_VALUE
    for name, document in referenced.items():
        secretsmanager.create_secret(Name=name, SecretString=json.dumps(document))

    # External Secrets: GetSecretValue, then the property of the JSON document.
    resolved = {}
    for target, key, name, prop in refs:
        document = json.loads(secretsmanager.get_secret_value(SecretId=name)["SecretString"])
        assert prop in document, f"{target}.{key}: {name} has no property {prop}"
        assert isinstance(document[prop], str) and document[prop], f"{target}.{key}: empty"
        resolved[(target, key)] = document[prop]
    expected_targets = {"langfuse-app-secrets"} if stack != "external" else set()
    if stack != "external":
        expected_targets |= {"langfuse-postgres-owner", "langfuse-clickhouse", "langfuse-redis-auth"}
    assert expected_targets <= {target for target, _ in resolved}
    if stack != "external":
        assert len(resolved[("langfuse-app-secrets", "ENCRYPTION_KEY")]) == 64  # 256 bits as hex, what Langfuse requires
        int(resolved[("langfuse-app-secrets", "ENCRYPTION_KEY")], 16)

    # Everything External Secrets reads, its role may read, and nothing of another stack's prefix.
    policy = _external_secrets_policy(registrations)
    (readable,) = [s["Resource"] for s in policy["Statement"] if "secretsmanager:GetSecretValue" in s["Action"]]
    for name in {name for _, _, name, _ in refs}:
        arn = secretsmanager.describe_secret(SecretId=name)["ARN"]
        assert any(fnmatch.fnmatchcase(arn, pattern) for pattern in readable), f"{arn} is not readable by {readable}"
    assert not any(fnmatch.fnmatchcase(f"arn:aws:secretsmanager:{region}:000000000000:secret:other/app-AbCdEf", p) for p in readable)

    # Stored as declared: encrypted with the stack's secrets key, tagged with the stack.
    for secret in declared:
        described = secretsmanager.describe_secret(SecretId=secret["name"])
        assert described["KmsKeyId"] == keys[secret["kmsKeyId"]]
        assert {t["Key"]: t["Value"] for t in described["Tags"]} == tags
        (decrypt,) = [s for s in policy["Statement"] if s["Action"] == "kms:Decrypt"]
        assert decrypt["Resource"] == secret["kmsKeyId"]
