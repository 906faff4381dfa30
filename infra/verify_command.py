"""The command lines of `langfuse-rosa verify` and `gate`, from an environment stack's config.

The Pulumi side imports nothing of langfuse_incluster but its contract (tests/test_layering.py), so the CLI
reaches the package's verify code the way a workflow or the image would: `python -m langfuse_incluster.verify`
in a child process, with everything it needs on its command line (derived here from the stack config, as the
program derives it). The command line — not a Python API — is the one contract between the two sides; the SDK,
OpenTelemetry and boto3 (and the SDK's process-wide atexit hook and threads) stay out of the CLI's process; and
the exit code and report files are what the deploy workflow reads either way.
"""

from __future__ import annotations

import subprocess
import sys

from langfuse_incluster import contract

from components.aws.tier import Prefixes, bucket_names, data_key_alias
from infra.stack_config import ConfigError, StackConfig
from infra.stack_config.tenancy import KeyPairRef


def round_trip_command(
    stack: str, config: StackConfig, url: str | None = None, report_dir: str | None = None, ca_file: str | None = None
) -> list[str]:
    """`python -m langfuse_incluster.verify round-trip ...` for the stack: its public URL (as the Route serves it),
    the verification key in Secrets Manager, the events bucket, prefix and key Langfuse writes with."""
    key = _verification_key(stack, config)
    buckets = bucket_names(config.aws.resource_prefix, config.data_tier is not None)
    command = [
        *_module(), "round-trip", "--stack", stack, "--url", url or config.public_url,
        "--key-secret", key.secrets_manager_name, "--public-key-property", key.public_key_property,
        "--secret-key-property", key.secret_key_property, "--region", config.cluster.region,
        "--expect-version", config.langfuse.version, "--read-back-seconds", str(config.verification.read_back_seconds),
        "--events-bucket", buckets.events, "--events-prefix", Prefixes().events,
        "--kms-key-alias", f"alias/{data_key_alias(config.aws.resource_prefix)}",
    ]  # fmt: skip
    return command + _optional(report_dir=report_dir, ca_file=ca_file)


def gate_command(
    stack: str, config: StackConfig, project: str, score: str, minimum: str, window: str, min_count: int,
    key_secret: str | None = None, url: str | None = None, report_dir: str | None = None, ca_file: str | None = None,
) -> list[str]:  # fmt: skip
    """`python -m langfuse_incluster.verify gate ...` against the stack's Langfuse, with the judged project's key
    from LANGFUSE_PUBLIC_KEY/LANGFUSE_SECRET_KEY or a Secrets Manager secret."""
    command = [
        *_module(), "gate", "--stack", stack, "--url", url or config.public_url, "--project", project, "--score", score,
        "--min", minimum, "--window", window, "--min-count", str(min_count),
    ]  # fmt: skip
    if key_secret:
        command += ["--key-secret", key_secret, "--region", config.cluster.region]
    return command + _optional(report_dir=report_dir, ca_file=ca_file)


def _optional(**options: str | None) -> list[str]:
    return [arg for name, value in options.items() if value for arg in (f"--{name.replace('_', '-')}", value)]


def run_verify_module(command: list[str]) -> int:
    """Run the package's verify module; its output and exit code are the command's."""
    try:
        return subprocess.run(command, check=False).returncode
    except KeyboardInterrupt:
        return 130


def _module() -> list[str]:
    return [sys.executable, "-m", contract.VERIFY_MODULE]


def _verification_key(stack: str, config: StackConfig) -> KeyPairRef:
    key = config.verification.project_key
    if key is None:
        raise ConfigError(
            stack,
            [
                f"stack '{stack}': langfuse-rosa:verification.projectKey is not set: verify sends with the key of a verification "
                "project, kept in Secrets Manager ({secretsManagerName, publicKeyProperty, secretKeyProperty})"
            ],
        )
    return key


