"""`langfuse-rosa verify` and `gate` from the Pulumi side: the command lines they hand the in-cluster package,
derived from the stack config as the program derives the same names (URL, bucket, prefix, key alias), and their
bad input. (The round trip itself, through the SDK against the stand-in, is in incluster/tests/verify.)"""

from __future__ import annotations

import subprocess
import sys

import yaml
from langfuse_incluster import contract

from infra.offline_plan.stack_file import read_stack_file
from infra.stack_config.loader import parse_engine_config
from infra.verify_command import gate_command, round_trip_command
from tests.conftest import find, project_path


def _config(stack: str):
    return parse_engine_config(stack, read_stack_file(project_path("stacks"), stack).config)


def test_the_round_trip_of_dev_checks_what_the_program_deploys(plans):
    command = round_trip_command("dev", _config("dev"), report_dir="verify/dev")
    assert command[:3] == [sys.executable, "-m", contract.VERIFY_MODULE]
    args = dict(zip(command[4::2], command[5::2], strict=True))
    assert command[3] == "round-trip" and args == {
        "--stack": "dev",
        "--url": "https://langfuse-dev.apps.rosa-dev.x7k2.p1.openshiftapps.com",
        "--key-secret": "acme-langfuse-dev/langfuse-verification-key",
        "--public-key-property": "publicKey",
        "--secret-key-property": "secretKey",
        "--region": "eu-west-1",
        "--expect-version": "4.16.0",
        "--read-back-seconds": "120",
        "--events-bucket": "acme-langfuse-dev-events",
        "--events-prefix": "events/",
        "--kms-key-alias": "alias/acme-langfuse-dev-data",
        "--report-dir": "verify/dev",
    }
    # The same names as the rendered program: the Route's host, web's event-upload bucket and prefix, the key's alias.
    plan = plans["dev"]
    assert args["--url"] == f"https://{find(plan, 'Route', 'langfuse-web')['spec']['host']}"
    web_env = {e["name"]: e.get("value") for e in find(plan, "Deployment", "langfuse-web")["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert (web_env["LANGFUSE_S3_EVENT_UPLOAD_BUCKET"], web_env["LANGFUSE_S3_EVENT_UPLOAD_PREFIX"]) == (args["--events-bucket"], args["--events-prefix"])
    aliases = [r.inputs["name"] for r in plan.resources if r.type == "aws:kms/alias:Alias"]
    assert args["--kms-key-alias"] in aliases


def test_prod_is_verified_at_its_own_hostname():
    command = round_trip_command("prod", _config("prod"))
    assert command[command.index("--url") + 1] == "https://langfuse.example.com" and "--report-dir" not in command
    assert command[command.index("--events-bucket") + 1] == "acme-langfuse-prod-events"


def test_the_gate_takes_the_project_s_key_from_the_environment_or_secrets_manager():
    command = gate_command("staging", _config("staging"), "release-evals", "helpfulness", "0.8", "24h", 20)
    assert command[3:] == ["gate", "--stack", "staging", "--url", "https://langfuse.staging.example.com", "--project", "release-evals",
                           "--score", "helpfulness", "--min", "0.8", "--window", "24h", "--min-count", "20"]  # fmt: skip
    with_secret = gate_command("staging", _config("staging"), "p", "s", "0.8", "24h", 20, key_secret="acme/evals-key")
    assert with_secret[-4:] == ["--key-secret", "acme/evals-key", "--region", "eu-west-1"]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "infra.cli", *args], capture_output=True, text=True, cwd=project_path(), timeout=120)


def test_a_stack_without_a_verification_key_is_bad_input(tmp_path):
    document = yaml.safe_load(project_path("stacks", "Pulumi.dev.yaml").read_text())
    del document["config"]["langfuse-rosa:verification"]
    (tmp_path / "Pulumi.dev.yaml").write_text(yaml.safe_dump(document))
    result = _cli("verify", "--stack", "dev", "--stacks-dir", str(tmp_path), "--report-dir", str(tmp_path / "out"))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: stack 'dev': langfuse-rosa:verification.projectKey is not set: verify sends with the key of a verification project, "
        "kept in Secrets Manager ({secretsManagerName, publicKeyProperty, secretKeyProperty})"
    ]
    assert not (tmp_path / "out").exists()


def test_the_cluster_layer_has_nothing_to_verify():
    result = _cli("verify", "--stack", "cluster-dev")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: stack 'cluster-dev': langfuse-rosa:layer is cluster: the cluster layer runs no Langfuse; verify its environment stack"
    ]
