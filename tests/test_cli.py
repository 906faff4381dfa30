"""The command line a platform engineer meets first: -h and --version, whole help texts, a missing --stack that
lists the stacks, and `new-stack`, whose files load with the real config loader and plan cleanly."""

from __future__ import annotations

import subprocess
import sys

import pytest

from infra.cli import STACKS_DIR_HELP
from infra.new_stack import oidc_provider_arn
from infra.offline_plan.plan import PROJECT_ROOT, build_plan
from infra.offline_plan.stack_file import read_stack_file
from infra.stack_config.cluster_layer import ClusterStackConfig
from infra.stack_config.loader import parse_engine_config
from infra.stack_config.models import StackConfig


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "infra.cli", *args], capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT
    )


def test_h_and_version():
    short, long = _cli("-h"), _cli("--help")
    assert short.returncode == long.returncode == 0 and short.stdout == long.stdout
    assert _cli("--version").stdout.strip() == "langfuse-rosa 0.1.0"
    assert _cli("restore", "postgres", "-h").returncode == 0


def test_help_texts_are_whole_sentences_never_cut():
    listing = _cli("--help").stdout
    assert "..." not in listing.split("Commands:")[1]
    words = " ".join(listing.split())
    assert "Print the JSON Schema of a stack file (schemas/stack- config.schema.json), generated from the config models." in words
    for command in (["plan"], ["restore", "postgres"], ["restore", "clickhouse"], ["new-stack"], ["usage"], ["verify"], ["gate"]):
        text = " ".join(_cli(*command, "--help").stdout.split())
        assert STACKS_DIR_HELP in text, command  # one wording everywhere
    restore = " ".join(_cli("restore", "clickhouse", "--help").stdout.split())
    assert "Output folder for the manifests to apply and steps.md [default: restore/<stack>/<store>]" in restore


GATE = ["gate", "--project", "p", "--score", "s", "--min", "0.8", "--window", "24h"]


@pytest.mark.parametrize(
    "command", [["plan"], ["restore", "postgres"], ["restore", "clickhouse", "--backup", "full-20260101"], ["usage"], ["verify"], GATE]
)
def test_a_missing_stack_lists_the_known_stacks(command):
    result = _cli(*command)
    assert result.returncode == 2
    assert result.stderr.startswith(
        f"error: {' '.join(command[:2]) if command[0] == 'restore' else command[0]}: --stack is required: one of cluster-dev, cluster-prod, "
        "cluster-staging, dev, prod, staging (the Pulumi.<stack>.yaml files in "
    )


def test_the_oidc_provider_arn_is_the_endpoint_url_without_its_scheme():
    assert oidc_provider_arn("111122223333", "https://oidc.op1.openshiftapps.com/2f8k1c9q\n") == (
        "arn:aws:iam::111122223333:oidc-provider/oidc.op1.openshiftapps.com/2f8k1c9q"
    )
    assert oidc_provider_arn("111122223333", "https://oidc.op1.openshiftapps.com/2e9lenkm (Managed)") == (
        "arn:aws:iam::111122223333:oidc-provider/oidc.op1.openshiftapps.com/2e9lenkm"
    )
    assert oidc_provider_arn("111122223333", "https://rh-oidc.s3.us-east-1.amazonaws.com/1a2b3c/ (Classic)") == (
        "arn:aws:iam::111122223333:oidc-provider/rh-oidc.s3.us-east-1.amazonaws.com/1a2b3c"
    )


COMMON = (
    "--account-id", "123456789012", "--region", "us-east-1", "--cluster-name", "rosa-qa", "--kube-context", "default/api-rosa-qa:6443/admin",
    "--apps-domain", "apps.rosa-qa.ab12.p1.openshiftapps.com", "--api-server-cidr", "10.0.0.0/16",
)  # fmt: skip


def test_new_stack_writes_files_the_real_loader_reads_and_that_plan_cleanly(tmp_path):
    stacks = tmp_path / "stacks"
    stacks.mkdir()
    for env in ("dev", "staging", "prod"):
        result = _cli("new-stack", f"qa-{env}", "--environment", env, *COMMON, "--resource-prefix", f"acme-qa-{env}",
                      "--oidc-endpoint-url", "https://oidc.op1.openshiftapps.com/2abc", "--stacks-dir", str(stacks))  # fmt: skip
        assert result.returncode == 0, result.stderr
        config = parse_engine_config(f"qa-{env}", read_stack_file(stacks, f"qa-{env}").config)
        assert isinstance(config, StackConfig) and config.environment == env
        assert config.aws.oidc_provider_arn == "arn:aws:iam::123456789012:oidc-provider/oidc.op1.openshiftapps.com/2abc"
        assert config.verification.project_key.secrets_manager_name == f"acme-qa-{env}/langfuse-verification-key"
    result = _cli("new-stack", "cluster-qa", "--layer", "cluster", "--environment", "prod", *COMMON, "--resource-prefix", "acme-rosa-qa",
                  "--csi-driver-role-arn", "arn:aws:iam::123456789012:role/rosa-qa-openshift-cluster-csi-drivers-ebs-cloud-credentials",
                  "--oidc-endpoint-url", "https://oidc.op1.openshiftapps.com/2abc", "--stacks-dir", str(stacks))  # fmt: skip
    assert result.returncode == 0, result.stderr
    cluster = parse_engine_config("cluster-qa", read_stack_file(stacks, "cluster-qa").config)
    assert isinstance(cluster, ClusterStackConfig) and cluster.audit.namespaces == ["langfuse-prod"]
    assert cluster.aws.oidc_provider_arn == "arn:aws:iam::123456789012:oidc-provider/oidc.op1.openshiftapps.com/2abc"
    for stack in ("qa-prod", "cluster-qa"):
        plan = build_plan(stack, stacks)
        assert plan.ok, (stack, plan.schema_failures, plan.policy_violations)
    assert (
        (stacks / "Pulumi.qa-dev.yaml")
        .read_text()
        .startswith("# yaml-language-server: $schema=../schemas/stack-config.schema.json\n#")
    )


def test_new_stack_refuses_bad_values_and_existing_files_and_writes_nothing(tmp_path):
    bad = _cli("new-stack", "qa", "--environment", "dev", *COMMON[:1], "12345", *COMMON[2:], "--resource-prefix", "acme-qa",
               "--oidc-endpoint-url", "https://oidc.op1.openshiftapps.com/2abc", "--stacks-dir", str(tmp_path))  # fmt: skip
    assert bad.returncode == 2
    assert bad.stderr.strip().startswith(
        "error: stack 'qa': langfuse-rosa:aws.accountId = '12345' is invalid: must be a 12-digit AWS account ID"
    )
    assert list(tmp_path.iterdir()) == []
    missing = _cli(
        "new-stack", "qa", "--environment", "dev", *COMMON, "--resource-prefix", "acme-qa", "--stacks-dir", str(tmp_path)
    )
    assert missing.returncode == 2 and "--oidc-endpoint-url is required: the OIDC Endpoint URL" in missing.stderr
    existing = _cli("new-stack", "dev", "--environment", "dev", *COMMON, "--resource-prefix", "acme-qa",
                    "--oidc-endpoint-url", "https://oidc.op1.openshiftapps.com/2abc")  # fmt: skip
    assert existing.returncode == 2 and "exists already" in existing.stderr


def test_new_stack_writes_a_value_as_given_so_the_loader_judges_it_never_a_cut_or_split_one(tmp_path):
    # Unquoted, `#` would cut the prefix to a valid 'acme-qa' and ', ' would make two CIDRs: both silently accepted.
    oidc = ("--oidc-endpoint-url", "https://oidc.op1.openshiftapps.com/2abc", "--stacks-dir", str(tmp_path))
    comment = _cli("new-stack", "qa", "--environment", "dev", *COMMON, "--resource-prefix", "acme-qa #x", *oidc)
    assert comment.returncode == 2
    assert comment.stderr.startswith("error: stack 'qa': langfuse-rosa:aws.resourcePrefix = 'acme-qa #x' is invalid: must be")
    joined = _cli("new-stack", "qa", "--environment", "dev", *COMMON, "--api-server-cidr", "10.0.0.2/32, 10.9.0.0/16",
                  "--resource-prefix", "acme-qa", *oidc)  # fmt: skip
    assert joined.returncode == 2
    assert "langfuse-rosa:network.apiServer.cidrs[1] = '10.0.0.2/32, 10.9.0.0/16' is invalid" in joined.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_ci_plan_summary_of_a_refused_plan_says_so_instead_of_a_traceback(tmp_path):
    # pull-request.yml runs it after the plan whatever its exit code; a refused plan (exit 2) writes no folder.
    summary = subprocess.run([sys.executable, "scripts/plan-summary", str(tmp_path / "dev")], capture_output=True, text=True, cwd=PROJECT_ROOT)
    assert summary.returncode == 0 and summary.stderr == ""
    assert summary.stdout.startswith("## dev\n\nNo plan written: the plan refused its input")
