"""The `langfuse-rosa` command line."""

from __future__ import annotations

import re
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import NoReturn

import click
import yaml
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from infra.offline_plan.diff import DIFF_FILE, diff_plans
from infra.offline_plan.plan import ACCESS_FILE, OBJECTIVES_FILE, PROJECT_ROOT, REACHABILITY_FILE, Plan, build_plan
from infra.offline_plan.render import SUMMARY_FILE
from infra.offline_plan.stack_file import StackFileError, read_stack_file
from infra.restore import clickhouse_restore, postgres_restore
from infra.stack_config import ConfigError, StackConfig
from infra.stack_config.loader import parse_engine_config
from infra.stack_config.reference import reference_markdown
from infra.verify_command import gate_command, round_trip_command, run_verify_module
from policies.rules import ALL_RULES

EXIT_INVALID_PLAN = 1
EXIT_BAD_INPUT = 2


@click.group()
def main() -> None:
    """Langfuse on ROSA: offline plans of the Pulumi stacks."""


@main.command()
@click.option("--stack", required=True, help="Stack name: stacks/Pulumi.<stack>.yaml.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None, help="Output directory [default: plan/<stack>].")
@click.option(
    "--stacks-dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Directory of Pulumi.<stack>.yaml files [default: the project's stacks/].",
)
@click.option(
    "--diff-against",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Another plan's output directory (e.g. main's): print what this plan adds, removes and changes, and write diff.md.",
)
def plan(stack: str, out: Path | None, stacks_dir: Path | None, diff_against: Path | None) -> None:
    """Render the stack's full desired state offline (Pulumi mocks), validate it, and summarise it."""
    console = Console(stderr=False, highlight=False)
    started = time.monotonic()
    if diff_against is not None and not (diff_against / SUMMARY_FILE).is_file():
        _fail(f"--diff-against {diff_against} is not a plan output (no {SUMMARY_FILE})")
    try:
        result = build_plan(stack, stacks_dir)
    except (StackFileError, ConfigError) as error:
        _fail(*_error_lines(error))
    out_dir = out or PROJECT_ROOT / "plan" / stack
    result.write(out_dir)
    _report(console, result, out_dir, time.monotonic() - started)
    if diff_against is not None:
        changes = diff_plans(diff_against, out_dir)
        text = changes.markdown(f"{stack}: changes against {diff_against}")
        (out_dir / DIFF_FILE).write_text(text)
        console.print(escape(text), soft_wrap=True)
    sys.exit(0 if result.ok else EXIT_INVALID_PLAN)


BACKUP_NAME = re.compile(r"^(full-\d{8}|incr-\d{8}T\d{6}Z)$")


@main.group()
def restore() -> None:
    """Render what restores a store from its backups, and print the steps in order."""


def _stack_options(command):
    command = click.option("--stacks-dir", type=click.Path(file_okay=False, exists=True, path_type=Path), default=None, help="[default: stacks/]")(command)
    command = click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None, help="[default: restore/<stack>/<store>]")(command)
    return click.option("--stack", required=True, help="Stack name: stacks/Pulumi.<stack>.yaml.")(command)


@restore.command("postgres")
@_stack_options
@click.option("--target-time", default=None, help="Restore to this time, ISO 8601 with offset (e.g. 2026-11-26T03:45:00+00:00); default: the end of the WAL.")
def restore_postgres(stack: str, out: Path | None, stacks_dir: Path | None, target_time: str | None) -> None:
    """A recovery Cluster from the stack's Barman Cloud backups, to a point in time."""
    when = None
    if target_time is not None:
        try:
            when = datetime.fromisoformat(target_time)
        except ValueError:
            when = None
        if when is None or when.tzinfo is None:
            _fail(f"stack '{stack}': --target-time = {target_time!r} is invalid: an ISO 8601 time with an offset, like 2026-11-26T03:45:00+00:00")
    _restore(stack, out, "postgres", lambda d: postgres_restore(stack, when, d, PROJECT_ROOT), stacks_dir)


@restore.command("clickhouse")
@_stack_options
@click.option("--backup", required=True, help="Backup name under the stack's clickhouse/ prefix: full-YYYYMMDD or incr-YYYYMMDDTHHMMSSZ.")
def restore_clickhouse(stack: str, out: Path | None, stacks_dir: Path | None, backup: str) -> None:
    """A Job restoring one ClickHouse backup into a side database, and how to swap it in."""
    if not BACKUP_NAME.match(backup):
        _fail(f"stack '{stack}': --backup = {backup!r} is invalid: a backup name, full-YYYYMMDD or incr-YYYYMMDDTHHMMSSZ")
    _restore(stack, out, "clickhouse", lambda d: clickhouse_restore(stack, backup, d, PROJECT_ROOT), stacks_dir)


def _error_lines(error: StackFileError | ConfigError) -> list[str]:
    return error.lines if isinstance(error, ConfigError) else [str(error)]


def _fail(*lines: str) -> NoReturn:
    """Bad input: one line per problem on stderr, exit 2, nothing written."""
    errors = Console(stderr=True, highlight=False)
    for line in lines:
        errors.print(f"[bold red]error:[/] {escape(line)}", soft_wrap=True)
    sys.exit(EXIT_BAD_INPUT)


def _restore(stack: str, out: Path | None, store: str, render, stacks_dir: Path | None) -> None:
    console = Console(highlight=False)
    try:
        result = render(stacks_dir or PROJECT_ROOT / "stacks")
    except (StackFileError, ConfigError) as error:
        _fail(*_error_lines(error))
    out_dir = out or PROJECT_ROOT / "restore" / stack / store
    result.write(out_dir)
    console.print(f"Restore {store} of stack {stack}: {len(result.manifests)} manifests (schema-valid) in {out_dir}:")
    for name in result.manifests:
        console.print(f"  {name}")
    if result.stack_change:
        console.print(f"Stack file change (stacks/Pulumi.{stack}.yaml, config):")
        console.print(escape(yaml.safe_dump(result.stack_change, sort_keys=False)).rstrip())
    console.print("Steps, in order:")
    for number, step in enumerate(result.steps, 1):
        console.print(escape(f"{number}. {step}"), soft_wrap=True)


@main.command()
@click.option("--stack", required=True, help="Environment stack name: stacks/Pulumi.<stack>.yaml.")
@click.option("--stacks-dir", type=click.Path(file_okay=False, exists=True, path_type=Path), default=None, help="[default: stacks/]")
@click.option("--url", default=None, help="Langfuse's URL [default: https://<langfuse.hostname>, the stack's Route], e.g. through a tunnel.")
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path), default=None, help="[default: verify/<stack>]")
@click.option("--ca-file", type=click.Path(dir_okay=False, exists=True), default=None, help="CA bundle for Langfuse's certificate [default: certifi's].")
def verify(stack: str, stacks_dir: Path | None, url: str | None, report_dir: Path | None, ca_file: str | None) -> None:
    """Prove the deployed Langfuse works end to end, through Langfuse's SDK: health, readiness, a trace with a
    generation and a score sent and read back within verification.readBackSeconds, its event objects SSE-KMS in the
    events bucket. Writes verify.md and verify.json. Exit 0 passed, 1 a step failed (named), 2 bad input."""
    config = _environment_config(stack, stacks_dir)
    out = report_dir or PROJECT_ROOT / "verify" / stack
    try:
        command = round_trip_command(stack, config, url, str(out), ca_file)
    except ConfigError as error:
        _fail(*error.lines)
    sys.exit(run_verify_module(command))


@main.command()
@click.option("--stack", required=True, help="Environment stack name: stacks/Pulumi.<stack>.yaml.")
@click.option("--project", required=True, help="Name or id of the Langfuse project whose scores gate the release.")
@click.option("--score", required=True, help="Name of the numeric score.")
@click.option("--min", "minimum", required=True, help="The bar the average must reach.")
@click.option("--window", required=True, help="How far back: 30m, 24h, 7d.")
@click.option("--min-count", type=click.IntRange(min=1), default=10, show_default=True, help="Fewer scores than this cannot judge a release.")
@click.option("--key-secret", default=None, help="Secrets Manager secret {publicKey, secretKey} of the project [default: LANGFUSE_PUBLIC_KEY/LANGFUSE_SECRET_KEY].")
@click.option("--stacks-dir", type=click.Path(file_okay=False, exists=True, path_type=Path), default=None, help="[default: stacks/]")
@click.option("--url", default=None, help="Langfuse's URL [default: https://<langfuse.hostname>].")
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path), default=None, help="Also write verify.md and verify.json here.")
@click.option("--ca-file", type=click.Path(dir_okay=False, exists=True), default=None, help="CA bundle for Langfuse's certificate [default: certifi's].")
def gate(
    stack: str, project: str, score: str, minimum: str, window: str, min_count: int, key_secret: str | None,
    stacks_dir: Path | None, url: str | None, report_dir: Path | None, ca_file: str | None,
) -> None:  # fmt: skip
    """Gate a release on evaluation scores: the average of SCORE over WINDOW (Langfuse's v2 metrics) must reach MIN,
    over at least MIN_COUNT scores. Prints what it measured. Exit 0 passed, 1 below the bar or too few scores, 2 bad input."""
    config = _environment_config(stack, stacks_dir)
    report = str(report_dir) if report_dir else None
    command = gate_command(stack, config, project, score, minimum, window, min_count, key_secret, url, report, ca_file)
    sys.exit(run_verify_module(command))


def _environment_config(stack: str, stacks_dir: Path | None) -> StackConfig:
    try:
        config = parse_engine_config(stack, read_stack_file(stacks_dir or PROJECT_ROOT / "stacks", stack).config)
    except (StackFileError, ConfigError) as error:
        _fail(*_error_lines(error))
    if not isinstance(config, StackConfig):
        _fail(f"stack '{stack}': langfuse-rosa:layer is cluster: the cluster layer runs no Langfuse; verify its environment stack")
    return config


@main.command("config-reference")
def config_reference() -> None:
    """Print the stack config reference (the README's table) as Markdown."""
    click.echo(reference_markdown(), nl=False)


def _report(console: Console, result: Plan, out_dir: Path, seconds: float) -> None:
    # One row per top-level component; summary.yaml has the counts per sub-component.
    table = Table(title=f"Stack {result.stack}: desired state", title_justify="left", show_lines=True)
    table.add_column("Component", no_wrap=True)
    table.add_column("Kinds / types (× count)")
    table.add_column("Total", justify="right")
    grouped: dict[str, Counter[str]] = {}
    for component, kinds in result.counts().items():
        grouped.setdefault(component.split("/")[0], Counter()).update(kinds)
    for component, kinds in grouped.items():
        cell = ", ".join(kind if count == 1 else f"{kind} ×{count}" for kind, count in sorted(kinds.items()))
        table.add_row(component, cell, str(sum(kinds.values())))
    console.print(table)
    total = len(result.objects) + len(result.resources)
    console.print(f"{total} resources: {len(result.objects)} Kubernetes objects, {len(result.resources)} other.")

    failures = result.schema_failures
    if failures:
        console.print(f"[bold red]Schema validation failed[/] for {len(failures)} of {len(result.schema_results)} objects:")
        for failure in failures:
            for message in failure.errors:
                console.print(f"  {failure.kind}/{failure.name}: {message}", soft_wrap=True)
    else:
        unvalidated = [r for r in result.schema_results if r.validated_with.startswith("allow-listed")]
        note = f"; {len(unvalidated)} allow-listed without a schema: " + ", ".join(f"{r.kind}/{r.name}" for r in unvalidated) if unvalidated else ""
        console.print(f"[green]Schema validation passed[/] for all {len(result.schema_results)} objects (strict){note}.")
    violations = result.policy_violations
    mandatory = sum(v.mandatory for v in violations)
    if violations:
        colour = "bold red" if mandatory else "yellow"
        console.print(f"[{colour}]Policy violations[/]: {mandatory} mandatory, {len(violations) - mandatory} advisory, by rule:")
        for rule in sorted({v.rule for v in violations}, key=lambda r: r.name):
            found = [v for v in violations if v.rule == rule]
            levels = "/".join(sorted({v.enforcement for v in found}))
            console.print(escape(f"  {rule.name} [{levels}, {rule.severity}]: {rule.description}"), soft_wrap=True)
            for v in found:
                console.print(escape(f"    {v.resource}: {v.message}"), soft_wrap=True)
    else:
        console.print(f"[green]Policy pack passed[/]: {len(ALL_RULES)} rules, as `pulumi preview --policy-pack policies` enforces them.")
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/] {warning}", soft_wrap=True)
    if result.objectives:
        console.print(f"[bold]Recovery objectives[/] (table in {OBJECTIVES_FILE}):")
        for row in result.objectives:
            kept = f"; backups kept {row.retention}" if row.retention != "—" else ""
            console.print(escape(f"  {row.store}, losing {row.failure}: RPO {row.rpo}; RTO {row.rto}{kept}"), soft_wrap=True)
    if result.reachability is not None:
        console.print(
            f"Network reachability: {len(result.reachability.allowed)} allowed (source, destination, port) "
            f"over {len(result.reachability.rows())} pairs, in {out_dir / REACHABILITY_FILE}."
        )
    if result.access is not None:
        access = result.access
        console.print(
            f"AWS access matrix: {len(access.rows)} requests ({access.allowed} allowed, {len(access.rows) - access.allowed} denied) "
            f"against {len(access.documents)} policy documents, in {out_dir / ACCESS_FILE}.",
            soft_wrap=True,
        )
    console.print(f"Written to {out_dir} in {seconds:.1f} s.")


if __name__ == "__main__":
    main()
