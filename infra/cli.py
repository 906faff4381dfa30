"""The `langfuse-rosa` command line."""

from __future__ import annotations

import time

_STARTED = time.perf_counter()  # before the imports below, which `plan --profile` counts

import atexit
import contextlib
import gc
import re
import sys
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
from infra.offline_plan.plan import OBJECTIVES_FILE, PROJECT_ROOT, REACHABILITY_FILE, Plan, build_plan
from infra.offline_plan.profile import PlanProfile
from infra.offline_plan.render import SUMMARY_FILE
from infra.offline_plan.stack_file import StackFileError
from infra.restore import clickhouse_restore, postgres_restore
from infra.stack_config import ConfigError
from infra.stack_config.reference import reference_markdown
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
@click.option("--profile", is_flag=True, help="Also print the time of each phase (imports, program, validation, ...).")
def plan(stack: str, out: Path | None, stacks_dir: Path | None, diff_against: Path | None, profile: bool) -> None:
    """Render the stack's full desired state offline (Pulumi mocks), validate it, and summarise it."""
    console = Console(stderr=False, highlight=False)
    started = time.monotonic()
    if diff_against is not None and not (diff_against / SUMMARY_FILE).is_file():
        _fail(f"--diff-against {diff_against} is not a plan output (no {SUMMARY_FILE})")
    phases = PlanProfile(startup_imports=time.perf_counter() - _STARTED)
    try:
        with phases.counting_imports() if profile else contextlib.nullcontext():
            result = build_plan(stack, stacks_dir, profile=phases)
    except (StackFileError, ConfigError) as error:
        _fail(*_error_lines(error))
    out_dir = out or PROJECT_ROOT / "plan" / stack
    result.write(out_dir)
    _report(console, result, out_dir, time.monotonic() - started)
    if profile:
        _print_profile(console, phases, time.perf_counter() - _STARTED)
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
    console.print(f"Written to {out_dir} in {seconds:.1f} s.")


def _print_profile(console: Console, profile: PlanProfile, total: float) -> None:
    table = Table(title="Where the time went (wall clock, this process)", title_justify="left")
    table.add_column("Phase", no_wrap=True)
    table.add_column("Seconds", justify="right")
    table.add_column("Share", justify="right")
    rows = profile.rows()
    rows.append(("other (stack file, terminal output)", total - sum(seconds for _, seconds in rows)))
    for phase, seconds in rows:
        label = f"{phase} ({profile.modules_imported} modules during the plan)" if phase == "imports" else phase
        table.add_row(label, f"{seconds:.2f}", f"{seconds / total:.0%}")
    table.add_row("total (exit not included)", f"{total:.2f}", "100%")
    console.print(table)


def run() -> None:
    """The `langfuse-rosa` process. Nearly all it allocates lives until it exits, and its memory goes back to
    the operating system then: the cyclic garbage collector would only rescan it, while the plan runs and
    once more, object by object, on the way out (measured on prod: 1.2 s of a 3.0 s plan). So no collection
    in this process, and at exit everything is frozen out of the interpreter's final one. In-process
    callers (tests through click's runner) call `main` and keep their collector."""
    gc.disable()
    atexit.register(gc.freeze)
    main()


if __name__ == "__main__":
    run()
