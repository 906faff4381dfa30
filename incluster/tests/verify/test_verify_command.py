"""`langfuse-rosa verify` and `gate` as a person or the deploy workflow runs them: the stack's config gives the
secret, bucket, key alias, version and bound; the package's module runs in a child process against the stand-in
and moto; exit codes, the one-line errors and the report files are the contract. Bad input to the module itself
is checked in process."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from langfuse_incluster import contract
from langfuse_incluster.verify.__main__ import main

ROOT = Path(__file__).resolve().parents[3]
CLI = str(Path(sys.executable).parent / "langfuse-rosa")
DEV_SECRET = "acme-langfuse-dev/langfuse-verification-key"  # stacks/Pulumi.dev.yaml: verification.projectKey


def _put_secret(aws, value: dict) -> None:
    sm = aws.client("secretsmanager")
    try:
        sm.put_secret_value(SecretId=DEV_SECRET, SecretString=json.dumps(value))
    except sm.exceptions.ResourceNotFoundException:
        sm.create_secret(Name=DEV_SECRET, SecretString=json.dumps(value))


def _run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)


def test_verify_of_the_dev_stack_passes_and_writes_its_report(langfuse, aws, event_bucket, tmp_path):
    _put_secret(aws, {"publicKey": langfuse.key.public_key, "secretKey": langfuse.key.secret_key})
    result = _run("verify", "--stack", "dev", "--url", langfuse.url, "--report-dir", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[:2] for line in lines[:-1]] == [
        ["ok", "key"], ["ok", "health"], ["ok", "readiness"], ["ok", "authenticate"], ["ok", "ingest"], ["ok", "read-back"], ["ok", "event-objects"],
    ]  # fmt: skip
    assert lines[-1].startswith("Langfuse round trip of dev: passed, 7 steps in ")
    report = json.loads((tmp_path / contract.VERIFY_REPORT_JSON).read_text())
    assert report["ok"] and report["facts"]["read-back bound (s)"] == 120 and report["facts"]["version"] == "4.16.0"
    assert (tmp_path / contract.VERIFY_REPORT_MARKDOWN).read_text().startswith("### ✅ Langfuse round trip of dev")


def test_verify_exits_1_naming_the_failed_step_in_one_line(langfuse, aws, tmp_path):
    _put_secret(aws, {"publicKey": langfuse.key.public_key, "secretKey": "sk-lf-revoked"})
    result = _run("verify", "--stack", "dev", "--url", langfuse.url, "--report-dir", str(tmp_path))
    assert result.returncode == contract.EXIT_FAILED
    assert result.stderr.splitlines() == [
        "error: stack 'dev': Langfuse round trip of dev: failed at step authenticate: GET /api/public/projects answered 401 "
        "(Invalid credentials): Langfuse does not accept the key; is it a live key of the verification project?"
    ]
    assert json.loads((tmp_path / contract.VERIFY_REPORT_JSON).read_text())["failedStep"] == "authenticate"
    assert "| authenticate | **failed** |" in (tmp_path / contract.VERIFY_REPORT_MARKDOWN).read_text()


def test_a_missing_secret_fails_the_key_step(aws, tmp_path, capsys):
    code = main(["round-trip", "--stack", "dev", "--url", "https://langfuse.example.com", "--key-secret", "acme-langfuse-dev/nothing-here",
                 "--region", "eu-west-1", "--report-dir", str(tmp_path)])  # fmt: skip
    assert code == contract.EXIT_FAILED
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("error: stack 'dev': Langfuse round trip of dev: failed at step key: Secrets Manager refused GetSecretValue "
                           "of acme-langfuse-dev/nothing-here: ResourceNotFoundException (")  # fmt: skip


def test_gate_passes_and_fails_with_the_exit_code_and_the_measured_line(langfuse, monkeypatch, capsys):
    now = datetime.now(UTC)
    for value in [0.9] * 10:
        langfuse.ingestion.add_score(langfuse.project.id, "helpfulness", value, now - timedelta(minutes=5))
    keys = {contract.ENV_PUBLIC_KEY: langfuse.key.public_key, contract.ENV_SECRET_KEY: langfuse.key.secret_key}
    args = ("gate", "--stack", "dev", "--url", langfuse.url, "--project", "verification", "--score", "helpfulness", "--window", "24h")
    for name, value in keys.items():
        monkeypatch.setenv(name, value)
    assert main([*args, "--min", "0.8"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ok   gate") and "10 scores, average 0.9; bar 0.8 over at least 10 scores: passed" in out
    below = _run(*args, "--min", "0.95", env={"PATH": "/usr/bin:/bin", **keys})
    assert below.returncode == contract.EXIT_FAILED
    (line,) = below.stderr.splitlines()
    assert line.startswith("error: stack 'dev': Score gate helpfulness of verification (dev): failed at step gate: score helpfulness in project verification since ")
    assert line.endswith(": 10 scores, average 0.9; bar 0.95 over at least 10 scores: below the bar")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["round-trip", "--url", "langfuse.example.com"], "--url = 'langfuse.example.com' is invalid: http(s)://<host>"),
        (["round-trip", "--stack", "dev", "--url", "https://h", "--events-bucket", "b"], "stack 'dev': --events-bucket, --events-prefix and --kms-key-alias go together"),
        (["round-trip", "--url", "https://h", "--key-secret", "s"], "--region is required with --key-secret and the events bucket"),
        (["round-trip", "--url", "https://h", "--read-back-seconds", "0"], "--read-back-seconds = 0 is invalid: 1 to 3600"),
        (["round-trip", "--url", "https://h"], f"no Langfuse key: set {contract.ENV_PUBLIC_KEY} and {contract.ENV_SECRET_KEY}, or pass --key-secret"),
        (["gate", "--stack", "dev", "--url", "https://h", "--project", "p", "--score", "s", "--min", "0.8", "--window", "1 day"],
         "stack 'dev': --window = '1 day' is invalid: a duration like 30m, 24h or 7d"),
        (["gate", "--url", "https://h", "--project", "p", "--score", "s", "--min", "nan", "--window", "1d"], "--min = 'nan' is invalid: a number, the bar the average must reach"),
        (["gate", "--url", "https://h", "--project", "p", "--score", "s", "--window", "1d"], "the following arguments are required: --min"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_exit_2(argv, message, capsys, monkeypatch, tmp_path):
    monkeypatch.delenv(contract.ENV_PUBLIC_KEY, raising=False)
    monkeypatch.delenv(contract.ENV_SECRET_KEY, raising=False)
    with pytest.raises(SystemExit) as exited:
        main([*argv, "--report-dir", str(tmp_path / "out")])
    assert exited.value.code == contract.EXIT_BAD_INPUT
    assert capsys.readouterr().err.splitlines() == [f"error: {message}"]
    assert not (tmp_path / "out").exists()
