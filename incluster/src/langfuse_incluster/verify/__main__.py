"""`python -m langfuse_incluster.verify round-trip|gate ...`: what `langfuse-rosa verify` and `gate` run (in a
child process, with the arguments they derive from the stack config), and what a workflow may run itself.

Exit codes (contract.EXIT_*): 0 passed; 1 a step or the gate failed (one line on stderr naming it, the report
written); 2 bad input (one line, nothing run).
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

from langfuse_incluster import contract
from langfuse_incluster.verify.bucket import EventBucket
from langfuse_incluster.verify.connection import LangfuseConnection
from langfuse_incluster.verify.errors import StepFailed
from langfuse_incluster.verify.gate import GateSettings, parse_window, run_gate
from langfuse_incluster.verify.keys import KeyPair, SecretsManagerKey, key_from_environment
from langfuse_incluster.verify.report import Report, StepResult
from langfuse_incluster.verify.round_trip import RoundTrip, RoundTripSettings


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, not argparse's usage block
        print(f"error: {message}", file=sys.stderr)
        sys.exit(contract.EXIT_BAD_INPUT)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=f"python -m {contract.VERIFY_MODULE}", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    common = _Parser(add_help=False)
    common.add_argument("--url", required=True, help="Langfuse's public URL, https://<host>")
    common.add_argument("--stack", default=None, help="the stack's name, for messages and the report's title")
    common.add_argument("--key-secret", default=None, help="Secrets Manager secret with the key (default: LANGFUSE_PUBLIC_KEY/SECRET_KEY)")
    common.add_argument("--public-key-property", default=contract.KEY_SECRET_PUBLIC_PROPERTY)
    common.add_argument("--secret-key-property", default=contract.KEY_SECRET_SECRET_PROPERTY)
    common.add_argument("--region", default=None, help="AWS region of the secret and the events bucket")
    common.add_argument("--ca-file", default=None, help="CA bundle to verify Langfuse's certificate with (default: certifi's)")
    common.add_argument("--report-dir", type=Path, default=None, help=f"write {contract.VERIFY_REPORT_MARKDOWN} and {contract.VERIFY_REPORT_JSON} here")

    trip = commands.add_parser("round-trip", parents=[common], help="health, readiness, a trace sent and read back, its event objects")
    trip.add_argument("--expect-version", default=None, help="the Langfuse version the stack deploys")
    trip.add_argument("--read-back-seconds", type=float, default=120.0, help="bound on ingestion-to-queryable")
    trip.add_argument("--events-bucket", default=None)
    trip.add_argument("--events-prefix", default=None)
    trip.add_argument("--kms-key-alias", default=None, help="alias/<name> of the key the event objects must be encrypted with")

    gate = commands.add_parser("gate", parents=[common], help="fail when a score's average over a window is below a bar")
    gate.add_argument("--project", required=True, help="name or id of the project the key belongs to")
    gate.add_argument("--score", required=True)
    gate.add_argument("--min", dest="minimum", required=True, help="the bar the average must reach")
    gate.add_argument("--window", required=True, help="how far back: 30m, 24h, 7d")
    gate.add_argument("--min-count", type=int, default=10, help="fewer scores than this cannot judge a release")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    who = f"stack '{args.stack}': " if args.stack else ""
    _check_url(who, args.url)
    # The SDK and OpenTelemetry log a refused export themselves; the report says which step it failed and why.
    for name in ("opentelemetry", "langfuse"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    if args.command == "round-trip":
        return _round_trip(args, who)
    return _gate(args, who)


def _round_trip(args: argparse.Namespace, who: str) -> int:
    bucket_args = (args.events_bucket, args.events_prefix, args.kms_key_alias)
    if any(a is not None for a in bucket_args) and not all(a is not None for a in bucket_args):
        _bad_input(f"{who}--events-bucket, --events-prefix and --kms-key-alias go together")
    if (args.key_secret or any(bucket_args)) and not args.region:
        _bad_input(f"{who}--region is required with --key-secret and the events bucket")
    if not 1 <= args.read_back_seconds <= 3600:
        _bad_input(f"{who}--read-back-seconds = {args.read_back_seconds:g} is invalid: 1 to 3600")
    title = f"Langfuse round trip of {args.stack}" if args.stack else "Langfuse round trip"
    settings = RoundTripSettings(
        title=title,
        read_back_seconds=args.read_back_seconds,
        expected_version=args.expect_version,
        bucket=EventBucket(args.events_bucket, args.events_prefix, args.kms_key_alias, args.region) if args.events_bucket else None,
    )
    report = Report(title, args.url.rstrip("/"), datetime.now(UTC))
    key = _key(args, who, report)
    if key is not None:
        connection = LangfuseConnection(args.url, key.public_key, key.secret_key, ca_file=args.ca_file)
        try:
            RoundTrip(connection, settings).run(report)
        finally:
            connection.close()
    return _finish(report, args.report_dir, who)


def _gate(args: argparse.Namespace, who: str) -> int:
    window = parse_window(args.window)
    if window is None:
        _bad_input(f"{who}--window = {args.window!r} is invalid: a duration like 30m, 24h or 7d")
    try:
        minimum = float(args.minimum)
    except ValueError:
        minimum = math.nan
    if not math.isfinite(minimum):
        _bad_input(f"{who}--min = {args.minimum!r} is invalid: a number, the bar the average must reach")
    if args.min_count < 1:
        _bad_input(f"{who}--min-count = {args.min_count} is invalid: at least 1")
    if args.key_secret and not args.region:
        _bad_input(f"{who}--region is required with --key-secret")
    title = f"Score gate {args.score} of {args.project}" + (f" ({args.stack})" if args.stack else "")
    report = Report(title, args.url.rstrip("/"), datetime.now(UTC))
    key = _key(args, who, report)
    if key is not None:
        settings = GateSettings(args.project, args.score, minimum, window, args.min_count)
        connection = LangfuseConnection(args.url, key.public_key, key.secret_key, ca_file=args.ca_file)
        started = time.monotonic()
        try:
            result = run_gate(connection, settings)
            report.steps.append(StepResult("gate", result.passed, time.monotonic() - started, result.line()))
            report.facts = {"scores": result.count, "average": result.average, "bar": minimum, "window": args.window}
        except StepFailed as failure:
            report.steps.append(StepResult("gate", False, time.monotonic() - started, str(failure)))
        finally:
            connection.close()
    return _finish(report, args.report_dir, who)


def _key(args: argparse.Namespace, who: str, report: Report) -> KeyPair | None:
    """The key, as the report's first step when it comes from Secrets Manager."""
    if not args.key_secret:
        key = key_from_environment()
        if key is None:
            _bad_input(f"{who}no Langfuse key: set {contract.ENV_PUBLIC_KEY} and {contract.ENV_SECRET_KEY}, or pass --key-secret")
        return key
    source = SecretsManagerKey(args.key_secret, args.region, args.public_key_property, args.secret_key_property)
    started = time.monotonic()
    try:
        key = source.read()
    except StepFailed as failure:
        report.steps.append(StepResult("key", False, time.monotonic() - started, str(failure)))
        return None
    report.steps.append(StepResult("key", True, time.monotonic() - started, f"from Secrets Manager {args.key_secret}"))
    return key


def _finish(report: Report, report_dir: Path | None, who: str) -> int:
    for step in report.steps:
        print(f"{'ok  ' if step.ok else 'FAIL'} {step.name:<14} {step.seconds:7.2f} s  {step.detail}", flush=True)
    if report_dir is not None:
        report.write(report_dir)
    if report.ok:
        print(report.headline())
        return 0
    print(f"error: {who}{report.headline()}", file=sys.stderr)
    return contract.EXIT_FAILED


def _check_url(who: str, url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        _bad_input(f"{who}--url = {url!r} is invalid: http(s)://<host>")


def _bad_input(message: str) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    sys.exit(contract.EXIT_BAD_INPUT)


if __name__ == "__main__":
    sys.exit(main())
