"""docs/bootstrap.md, run as written: its bash blocks in one shell, in us-east-1 and in eu-west-1, against stand-ins
of `aws`, `rosa`, `oc` and `pulumi` that record every call (no cloud here; ours, and they accept anything, so the
assertions below are what checks the calls). What is real: the shell, the templating of the IAM documents, parliament
on every document the commands pass to AWS, `langfuse-rosa new-stack` and `plan` on the files it writes."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from infra.offline_plan.stack_file import read_stack_file
from infra.stack_config.loader import parse_engine_config
from tests.conftest import project_path

with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)  # parliament still imports pkg_resources
    from parliament import analyze_policy_string, enhance_finding

GUIDE = project_path("docs", "bootstrap.md").read_text()
BLOCKS = re.findall(r"^```bash\n(.*?)^```", GUIDE, re.MULTILINE | re.DOTALL)
OIDC_URL = "https://oidc.op1.openshiftapps.com/2e9lenkmbpkojog2k1euo2mqase12l51"

# Stand-ins: each logs its argv (and the content of every file:// argument) as one JSON line, and answers what the
# guide reads back from it, as the real tool prints it (rosa: its describe output, `OIDC Endpoint URL: ... (Managed)`).
STUB = (
    r"""#!/usr/bin/env python3
import json, os, sys
tool, args = os.path.basename(sys.argv[0]), sys.argv[1:]
files = {a: open(a[len("file://"):]).read() for a in args if a.startswith("file://")}
with open(os.environ["STUB_LOG"], "a") as log:
    log.write(json.dumps({"tool": tool, "args": args, "files": files}) + "\n")
account, region = os.environ.get("ACCOUNT", ""), os.environ.get("REGION", "")
if tool == "aws" and args[:2] == ["kms", "create-key"]:
    print(f"arn:aws:kms:{region}:{account}:key/1234abcd-12ab-34cd-56ef-1234567890ab")
elif tool == "rosa" and args[:2] == ["describe", "cluster"]:
    if "-o" in args:
        print(json.dumps({"openshift_version": "4.19.7", "api": {"url": "https://api.rosa-prod.ab12.p1.openshiftapps.com:443"}}))
    else:
        print("Name:                       rosa-prod\nOperator IAM Roles:\n"
              f" - arn:aws:iam::{account}:role/rosa-prod-a1b2-openshift-image-registry-installer-cloud-credentials\n"
              f" - arn:aws:iam::{account}:role/rosa-prod-a1b2-openshift-cluster-csi-drivers-ebs-cloud-credentials\n"
              "State:                      ready\n"
              "OIDC Endpoint URL:          """
    + OIDC_URL
    + r""" (Managed)")
elif tool == "oc" and args[:2] == ["config", "current-context"]:
    print("default/api-rosa-prod-ab12-p1-openshiftapps-com:443/cluster-admin")
elif tool == "oc" and args[:2] == ["get", "ingresses.config"]:
    print("apps.rosa-prod.ab12.p1.openshiftapps.com", end="")
elif tool == "oc" and args[:2] == ["get", "endpoints"]:
    print("10.0.1.10 10.0.2.10", end="")
elif tool == "pulumi" and args[:2] == ["stack", "init"]:
    # What `pulumi stack init --secrets-provider` does to the stack file (stackConfigDir: stacks).
    with open(f"stacks/Pulumi.{args[2]}.yaml", "a") as stack_file:
        stack_file.write(f"secretsprovider: {args[args.index('--secrets-provider') + 1]}\nencryptedkey: AQICAHh0c3R1Yg==\n")
"""
)


@pytest.fixture(scope="module")
def guide_runs(tmp_path_factory) -> dict[str, list[dict]]:
    """Every call the guide makes, per region it ran in. Runs in a copy of the project whose stacks/ is empty, so
    new-stack and plan write there (infra/ is copied: the project root is where its files are)."""
    runs = {}
    for region in ("us-east-1", "eu-west-1"):
        root = tmp_path_factory.mktemp(f"project-{region}")
        shutil.copytree(project_path("infra"), root / "infra", ignore=shutil.ignore_patterns("__pycache__"))
        for shared in ("components", "policies", "schemas", "scripts", "docs", "incluster", ".venv", "Pulumi.yaml"):
            (root / shared).symlink_to(project_path(shared))
        (root / "stacks").mkdir()
        bin_dir = root / "stub-bin"
        bin_dir.mkdir()
        for tool in ("aws", "rosa", "oc", "pulumi"):
            (bin_dir / tool).write_text(STUB.replace("#!/usr/bin/env python3", f"#!{sys.executable}", 1))
            (bin_dir / tool).chmod(0o755)
        log = root / "calls.jsonl"
        # The guide's blocks in order, as one session; the region is the one thing changed after block 0.
        script = "set -euo pipefail\n" + BLOCKS[0] + f"\nexport REGION={region} AWS_REGION={region}\n" + "\n".join(BLOCKS[1:])
        environment = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "STUB_LOG": str(log), "PYTHONPATH": str(root)}
        result = subprocess.run(["bash", "-c", script], cwd=root, env=environment, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        runs[region] = [json.loads(line) for line in log.read_text().splitlines()]
        runs[f"{region}:root"] = root  # type: ignore[assignment]
    return runs


def _calls(calls: list[dict], tool: str, *prefix: str) -> list[list[str]]:
    return [c["args"] for c in calls if c["tool"] == tool and c["args"][: len(prefix)] == list(prefix)]


def test_the_guide_has_its_blocks():
    assert len(BLOCKS) == 4 and BLOCKS[0].lstrip().startswith("export ACCOUNT=")


def test_the_state_bucket_gets_a_location_constraint_except_in_us_east_1(guide_runs):
    (east,) = _calls(guide_runs["us-east-1"], "aws", "s3api", "create-bucket")
    (west,) = _calls(guide_runs["eu-west-1"], "aws", "s3api", "create-bucket")
    assert "--create-bucket-configuration" not in east and east[east.index("--region") + 1] == "us-east-1"
    assert west[west.index("--create-bucket-configuration") + 1] == "LocationConstraint=eu-west-1"


def test_every_kms_command_names_the_region(guide_runs):
    kms = _calls(guide_runs["eu-west-1"], "aws", "kms")
    assert [c[1] for c in kms] == ["create-key", "enable-key-rotation", "create-alias"]
    assert all(c[c.index("--region") + 1] == "eu-west-1" for c in kms)
    (alias,) = _calls(guide_runs["eu-west-1"], "aws", "kms", "create-alias")
    assert alias[alias.index("--alias-name") + 1] == "alias/pulumi-langfuse-rosa"


def _documents(calls: list[dict]) -> dict[str, dict]:
    return {arg: json.loads(text) for c in calls for arg, text in c["files"].items()}


def test_the_state_bucket_gets_its_tls_only_policy(guide_runs):
    (call,) = [c for c in guide_runs["eu-west-1"] if c["args"][:2] == ["s3api", "put-bucket-policy"]]
    (policy,) = call["files"].values()
    (statement,) = json.loads(policy)["Statement"]
    assert statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert statement["Resource"] == [
        "arn:aws:s3:::acme-pulumi-state-111122223333",
        "arn:aws:s3:::acme-pulumi-state-111122223333/*",
    ]


def test_both_roles_are_created_with_their_templated_trust_and_policy(guide_runs):
    calls = guide_runs["eu-west-1"]
    created = {c[c.index("--role-name") + 1] for c in _calls(calls, "aws", "iam", "create-role")}
    policies = {c[c.index("--role-name") + 1] for c in _calls(calls, "aws", "iam", "put-role-policy")}
    assert created == policies == {"langfuse-rosa-ci-preview", "langfuse-rosa-ci-deploy"}
    documents = _documents(calls)
    assert documents, "no IAM document reached aws"
    text = json.dumps(documents)
    assert "${" not in text
    deploy_trust = next(d for arg, d in documents.items() if arg.endswith("deploy-role-trust.json"))
    assert (
        deploy_trust["Statement"][0]["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"]
        == "repo:acme/langfuse-rosa:environment:production"
    )
    assert "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab" in text  # the key create-key printed


def test_every_document_the_guide_passes_to_aws_passes_parliament(guide_runs):
    from tests.workflows.test_ci_iam import SEVERITIES, _suppressed

    for arg, document in _documents(guide_runs["us-east-1"] + guide_runs["eu-west-1"]).items():
        name = Path(arg).name
        for raw in analyze_policy_string(json.dumps(document), include_community_auditors=True).findings:
            finding = enhance_finding(raw)
            serious = SEVERITIES.index(finding.severity) > SEVERITIES.index("LOW") or finding.issue == "MALFORMED"
            assert not serious or _suppressed(name, finding.issue), (name, finding.issue, finding.detail)


def test_the_cluster_s_stacks_come_from_what_rosa_and_oc_print(guide_runs):
    root = guide_runs["eu-west-1:root"]
    stacks = root / "stacks"
    environment = parse_engine_config("prod", read_stack_file(stacks, "prod").config)
    assert environment.aws.oidc_provider_arn == f"arn:aws:iam::111122223333:oidc-provider/{OIDC_URL.removeprefix('https://')}"
    assert environment.cluster.openshift_version == "4.19" and environment.network.api_server.cidrs == [
        "10.0.1.10/32",
        "10.0.2.10/32",
    ]
    cluster = parse_engine_config("cluster-prod", read_stack_file(stacks, "cluster-prod").config)
    assert (
        cluster.storage.csi_driver_role_arn
        == "arn:aws:iam::111122223333:role/rosa-prod-a1b2-openshift-cluster-csi-drivers-ebs-cloud-credentials"
    )
    assert cluster.aws.oidc_provider_arn == environment.aws.oidc_provider_arn  # the audit log collector's role trusts it
    assert read_stack_file(stacks, "prod").secrets_provider == "awskms://alias/pulumi-langfuse-rosa?region=eu-west-1"
    login = _calls(guide_runs["eu-west-1"], "pulumi", "login")
    assert login == [["login", "s3://acme-pulumi-state-111122223333?region=eu-west-1&awssdk=v2"]]
    assert (
        "KMS key of the stack's secrets provider awskms://alias/pulumi-langfuse-rosa?region=eu-west-1"
        in (root / "plan" / "prod" / "prerequisites.md").read_text()
    )
