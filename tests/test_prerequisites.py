"""`plan` says what must exist before the first `pulumi up`, derived from the stack's config: every Secrets
Manager entry with its region and JSON keys, the OIDC provider (or the EBS CSI role), the state bucket and the
secrets key."""

from __future__ import annotations

import subprocess
import sys

import yaml

from infra.offline_plan.plan import PREREQUISITES_FILE, PROJECT_ROOT, build_plan
from tests.conftest import project_path


def _rows(plan) -> dict[str, tuple[str, str]]:
    return {item.what: (item.where, item.detail) for item in plan.prerequisites}


def test_prod_lists_each_referenced_secret_with_region_and_keys_and_its_oidc_provider(plans, stack_files):
    rows = _rows(plans["prod"])
    config = stack_files["prod"]
    secret_names = {
        config["langfuse-rosa:langfuse"]["licenseKey"]["secretsManagerName"]: "license-key",
        config["langfuse-rosa:sso"]["clientSecret"]["secretsManagerName"]: "client-secret",
        config["langfuse-rosa:monitoring"]["grafana"]["clientSecret"]["secretsManagerName"]: "client-secret",
        config["langfuse-rosa:monitoring"]["slack"]["webhook"]["secretsManagerName"]: "webhook-url",
        config["langfuse-rosa:verification"]["projectKey"]["secretsManagerName"]: "publicKey`, `secretKey",
    }
    listed = {
        what.removeprefix("Secrets Manager secret "): detail
        for what, (_, detail) in rows.items()
        if what.startswith("Secrets Manager secret ")
    }
    assert set(listed) == set(secret_names)
    for name, key in secret_names.items():
        assert rows[f"Secrets Manager secret {name}"][0] == "account 777788889999, eu-west-1"
        assert listed[name].startswith(f"a JSON object with the keys `{key}` ")
    assert f"IAM OIDC provider {config['langfuse-rosa:aws']['oidcProviderArn']}" in rows
    assert any(what.startswith("S3 bucket for Pulumi state") for what in rows)


def test_external_mode_lists_the_store_credentials_with_their_properties_and_the_ca_config_map(plans):
    rows = _rows(plans["external"])
    assert rows["Secrets Manager secret rds!cluster-5c1f0e9a-7b3d-4e2a-9f6c-1a2b3c4d5e6f"][1].startswith(
        "a JSON object with the keys `password`, `username` "
    )
    assert rows["Secrets Manager secret acme/valkey/langfuse-dev"][1].startswith(
        "a JSON object with the keys `password`, `username` "
    )
    assert any(what.startswith("ConfigMap ") for what in rows)


def test_dev_references_only_its_verification_key_and_the_cluster_layer_needs_its_csi_role_and_oidc_provider(plans, stack_files):
    (secret,) = [(what, detail) for what, (_, detail) in _rows(plans["dev"]).items() if what.startswith("Secrets Manager")]
    assert secret[0] == "Secrets Manager secret acme-langfuse-dev/langfuse-verification-key"
    assert "(read by `langfuse-rosa verify`: an API key of a project made in Langfuse's UI once it runs" in secret[1]
    role = stack_files["cluster-prod"]["langfuse-rosa:storage"]["csiDriverRoleArn"]
    rows = _rows(plans["cluster-prod"])
    assert f"IAM role {role}" in rows
    provider = stack_files["cluster-prod"]["langfuse-rosa:aws"]["oidcProviderArn"]
    assert rows[f"IAM OIDC provider {provider}"][1].endswith("the audit log collector's role trusts it")


def test_the_secrets_key_comes_from_the_stack_file_once_pulumi_stack_init_wrote_it(tmp_path):
    stacks = tmp_path / "stacks"
    stacks.mkdir()
    document = yaml.safe_load(project_path("stacks", "Pulumi.cluster-dev.yaml").read_text())
    (stacks / "Pulumi.cluster-dev.yaml").write_text(yaml.safe_dump(document))
    before = _rows(build_plan("cluster-dev", stacks))
    assert before["KMS key alias/pulumi-langfuse-rosa"][1].startswith(
        "the stack file has no secrets provider yet: `pulumi stack init cluster-dev --secrets-provider 'awskms://alias/pulumi-langfuse-rosa?region=eu-west-1'`"
    )
    document["secretsprovider"] = "awskms://alias/pulumi-langfuse-rosa?region=eu-west-1"
    document["encryptedkey"] = "AQICAHh..."
    (stacks / "Pulumi.cluster-dev.yaml").write_text(yaml.safe_dump(document))
    after = _rows(build_plan("cluster-dev", stacks))
    assert "KMS key of the stack's secrets provider awskms://alias/pulumi-langfuse-rosa?region=eu-west-1" in after


def test_the_cli_prints_the_list_and_writes_the_table(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "infra.cli", "plan", "--stack", "prod", "--out", str(tmp_path / "plan")],
        capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Before the first `pulumi up`, these must exist (table in prerequisites.md):" in result.stdout
    assert "  - Secrets Manager secret acme/sso/langfuse-prod (account 777788889999, eu-west-1)" in result.stdout
    assert (tmp_path / "plan" / PREREQUISITES_FILE).read_text().startswith("# Before the first `pulumi up` of prod")
