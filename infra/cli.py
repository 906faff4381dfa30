"""The `langfuse-rosa` command line.

Bad input ends in exit 2 with one line on stderr (what, and what is allowed) and nothing written; a plan that
breaks a mandatory policy rule or a schema ends in exit 1; otherwise exit 0. Outputs are swapped in whole.
"""

from __future__ import annotations

import time

_STARTED = time.perf_counter()  # before the imports below, which `plan --profile` counts

import atexit
import contextlib
import gc
import importlib.metadata
import re
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

import click
import yaml
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from components.platform.openshift_support import SUPPORTED as SUPPORTED_OPENSHIFT
from infra.new_stack import NewStack
from infra.new_stack import render as render_new_stack
from infra.offline_plan.compliance import ComplianceReport
from infra.offline_plan.diff import DIFF_FILE, PlanReadError, check_plan_folder, diff_plans
from infra.offline_plan.plan import (
    ACCESS_FILE,
    COMPLIANCE_FILE,
    OBJECTIVES_FILE,
    PREREQUISITES_FILE,
    PROJECT_ROOT,
    REACHABILITY_FILE,
    Plan,
    build_plan,
)
from infra.offline_plan.profile import PlanProfile
from infra.offline_plan.pulumi_yaml import YamlError, decode_text, load
from infra.offline_plan.render import SUMMARY_FILE, OutputError, write_files
from infra.offline_plan.stack_file import StackFileError, check_stack_name, engine_config, known_stacks, read_stack_file
from infra.restore import STEPS_FILE, clickhouse_restore, environment_config, postgres_restore
from infra.stack_config import ConfigError, StackConfig
from infra.stack_config.json_schema import stack_file_schema_text
from infra.stack_config.loader import parse_engine_config
from infra.stack_config.reference import reference_markdown
from infra.verify_command import gate_command, round_trip_command, run_verify_module
from policies.rules import ALL_RULES

EXIT_INVALID_PLAN = 1
EXIT_BAD_INPUT = 2


def _console(stderr: bool = False) -> Console:
    # emoji=False: rich's `escape` stops [markup] but not :emoji: codes, and echoed values (rosa:fire:dev) must
    # print as written.
    return Console(stderr=stderr, highlight=False, emoji=False)


class _OneLineErrors(click.Group):
    """Usage errors (a missing or unknown option, a bad value) as one line too, not click's usage block; and a
    command list that shows each command's whole first sentence (click cuts it to fit 80 columns)."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.short_help or (command.help or "").strip().split("\n\n")[0].replace("\n", " ")))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().main(*args, standalone_mode=False, **kwargs)
        except click.UsageError as error:
            command = error.ctx.command_path if error.ctx else "langfuse-rosa"
            _fail(f"{error.format_message()} (see {command} --help)")
        except click.exceptions.Abort:
            _fail("aborted")


def _stack_name(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None  # a missing --stack is reported by _required_stack, which knows --stacks-dir
    try:
        check_stack_name(value)
    except StackFileError as error:
        _fail(str(error))
    return value


def _required_stack(stack: str | None, stacks_dir: Path | None, command: str) -> str:
    """`--stack` is required; its absence gets the stacks there are to choose from."""
    if stack is None:
        folder = stacks_dir or PROJECT_ROOT / "stacks"
        stacks = known_stacks(folder)
        _fail(f"{command}: --stack is required: one of {', '.join(stacks) or '(none yet)'} (the Pulumi.<stack>.yaml files in {folder})")
    return stack


# One wording for the options every command that reads a stack shares.
STACK_HELP = "Stack name: the stack file Pulumi.<stack>.yaml in --stacks-dir."
STACKS_DIR_HELP = "Folder of the Pulumi.<stack>.yaml stack files [default: the project's stacks/]."


def _stack_option(command):
    return click.option("--stack", default=None, callback=_stack_name, help=STACK_HELP)(command)


def _stacks_dir_option(command):
    return click.option("--stacks-dir", type=click.Path(file_okay=False, exists=True, path_type=Path), default=None, help=STACKS_DIR_HELP)(command)


def _version() -> str:
    try:
        return importlib.metadata.version("langfuse-rosa")
    except importlib.metadata.PackageNotFoundError:  # run from a checkout without the package installed
        return "unknown"


@click.group(cls=_OneLineErrors, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 120})
@click.version_option(_version(), "--version", "-V", prog_name="langfuse-rosa", message="%(prog)s %(version)s")
def main() -> None:
    """Langfuse on ROSA: offline plans of the Pulumi stacks, restores, new stack files, and checks of a deployed Langfuse."""


@main.command()
@_stack_option
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Output folder [default: plan/<stack>]; replaced whole once the plan is complete, refused if it holds anything but an earlier plan.",
)
@_stacks_dir_option
@click.option(
    "--diff-against",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Another plan's output directory (e.g. main's): print what this plan adds, removes and changes, and write diff.md.",
)
@click.option("--profile", is_flag=True, help="Also print the time of each phase (imports, program, validation, ...).")
def plan(stack: str | None, out: Path | None, stacks_dir: Path | None, diff_against: Path | None, profile: bool) -> None:
    """Render the stack's full desired state offline (Pulumi mocks), validate it, and summarise it.

    Writes one file per Kubernetes object, the other resources' inputs, the AWS access matrix, network
    reachability, recovery objectives, what must exist before the first `pulumi up`, and a README.md saying where
    to start. Exit 0: valid; 1: a schema or a mandatory policy fails; 2: bad input (nothing written)."""
    stack = _required_stack(stack, stacks_dir, "plan")
    console = _console()
    started = time.monotonic()
    out_dir = (out or PROJECT_ROOT / "plan" / stack).absolute()
    if diff_against is not None:
        _check_diff_base(diff_against.absolute(), out_dir)
    phases = PlanProfile(startup_imports=time.perf_counter() - _STARTED)
    try:
        with phases.counting_imports() if profile else contextlib.nullcontext():
            result = build_plan(stack, stacks_dir, profile=phases)
    except (StackFileError, ConfigError) as error:
        _fail(*_error_lines(error))
    files = result.files()
    text = None
    if diff_against is not None:
        try:
            text = diff_plans(diff_against, files).markdown(f"{stack}: changes against {diff_against}")
        except PlanReadError as error:
            _fail(f"--diff-against {error}")
        files[DIFF_FILE] = text
    with phases.phase("write"):
        _write(out_dir, files, SUMMARY_FILE)
    _report(console, result, out_dir, time.monotonic() - started)
    if profile:
        _print_profile(console, phases, time.perf_counter() - _STARTED)
    if text is not None:
        console.print(Text(text), soft_wrap=True)
    sys.exit(0 if result.ok else EXIT_INVALID_PLAN)


def _check_diff_base(base: Path, out_dir: Path) -> None:
    try:
        check_plan_folder(base)
    except PlanReadError as error:
        _fail(f"--diff-against {error}")
    real_base, real_out = base.resolve(), out_dir.resolve()
    if real_base == real_out or real_out.is_relative_to(real_base) or real_base.is_relative_to(real_out):
        _fail(f"--diff-against {base} and --out {out_dir} overlap: writing the plan would replace the plan it is compared with; choose another --out")


def _write(out_dir: Path, files: dict[str, str], marker: str) -> None:
    try:
        write_files(out_dir, files, marker)
    except OutputError as error:
        _fail(f"--out {error}")


# clickhouse-backup's names (components/clickhouse/backup.py): full-<date> and incr-<date>T<time>Z, UTC.
BACKUP_NAME = re.compile(r"^(full-(\d{8})|incr-(\d{8}T\d{6})Z)$")


@main.group(cls=_OneLineErrors)
def restore() -> None:
    """Render what restores a store from its backups, and print the steps in order."""


def _stack_options(command):
    command = _stacks_dir_option(command)
    command = click.option(
        "--out",
        type=click.Path(path_type=Path),
        default=None,
        help="Output folder for the manifests to apply and steps.md [default: restore/<stack>/<store>]; replaced whole, "
        "refused if it holds anything but an earlier restore output.",
    )(command)
    return _stack_option(command)


@restore.command("postgres")
@_stack_options
@click.option("--target-time", default=None, help="Restore to this time, ISO 8601 with offset (e.g. 2026-11-26T03:45:00+00:00); default: the end of the WAL.")
def restore_postgres(stack: str | None, out: Path | None, stacks_dir: Path | None, target_time: str | None) -> None:
    """A recovery Cluster from the stack's Barman Cloud backups, to a point in time."""
    stack = _required_stack(stack, stacks_dir, "restore postgres")
    stacks_dir = stacks_dir or PROJECT_ROOT / "stacks"
    config = _environment(stack, stacks_dir)
    when = None
    if target_time is not None:
        when = _target_time(stack, target_time, config.data_tier.postgres.backup.retention_days)
    _restore(stack, out, "postgres", lambda: postgres_restore(stack, when, stacks_dir, PROJECT_ROOT))


def _target_time(stack: str, text: str, retention_days: int) -> datetime:
    prefix = f"stack '{stack}': --target-time = {text!r} is invalid"
    try:
        when = datetime.fromisoformat(text)
        if when.tzinfo is None:
            raise ValueError
        when = when.astimezone(UTC)
    except ValueError:
        _fail(f"{prefix}: an ISO 8601 time with an offset, like 2026-11-26T03:45:00+00:00")
    except OverflowError:
        _fail(f"{prefix}: out of range, not a time the backups can hold")
    now = datetime.now(UTC)
    oldest = now - timedelta(days=retention_days)
    if when > now:
        _fail(f"{prefix}: it is in the future (now is {now:%Y-%m-%dT%H:%M}Z): no WAL exists to replay up to it")
    if when < oldest:
        _fail(
            f"{prefix}: older than the recovery window of {retention_days} days (dataTier.postgres.backup.retentionDays): "
            f"the earliest time that can be restored is about {oldest:%Y-%m-%dT%H:%M}Z"
        )
    return when


@restore.command("clickhouse")
@_stack_options
@click.option("--backup", required=True, help="Backup name under the stack's clickhouse/ prefix: full-YYYYMMDD or incr-YYYYMMDDTHHMMSSZ.")
def restore_clickhouse(stack: str | None, out: Path | None, stacks_dir: Path | None, backup: str) -> None:
    """A Job restoring one ClickHouse backup into a side database, and how to swap it in."""
    stack = _required_stack(stack, stacks_dir, "restore clickhouse")
    stacks_dir = stacks_dir or PROJECT_ROOT / "stacks"
    _check_backup_name(stack, backup)
    _environment(stack, stacks_dir)
    _restore(stack, out, "clickhouse", lambda: clickhouse_restore(stack, backup, stacks_dir, PROJECT_ROOT))


def _check_backup_name(stack: str, backup: str) -> None:
    prefix = f"stack '{stack}': --backup = {backup!r} is invalid"
    match = BACKUP_NAME.match(backup)
    if not match:
        _fail(f"{prefix}: a backup name, full-YYYYMMDD or incr-YYYYMMDDTHHMMSSZ")
    try:
        when = datetime.strptime(match.group(2), "%Y%m%d") if match.group(2) else datetime.strptime(match.group(3), "%Y%m%dT%H%M%S")
    except ValueError:
        _fail(f"{prefix}: its date is not a real date and time (YYYYMMDD, HHMMSS in UTC)")
    if when.replace(tzinfo=UTC) > datetime.now(UTC):
        _fail(f"{prefix}: its date is in the future, so no such backup exists yet")


def _environment(stack: str, stacks_dir: Path):
    try:
        return environment_config(stack, stacks_dir)
    except (StackFileError, ConfigError) as error:
        _fail(*_error_lines(error))


def _error_lines(error: StackFileError | ConfigError) -> list[str]:
    return error.lines if isinstance(error, ConfigError) else [str(error)]


def _fail(*lines: str) -> NoReturn:
    """Bad input: one line per problem on stderr, exit 2, nothing written."""
    errors = _console(stderr=True)
    for line in lines:
        errors.print(Text("error:", style="bold red") + Text(" " + " ".join(line.split("\n"))), soft_wrap=True)
    sys.exit(EXIT_BAD_INPUT)


def _restore(stack: str, out: Path | None, store: str, render) -> None:
    console = _console()
    try:
        result = render()
    except (StackFileError, ConfigError) as error:
        _fail(*_error_lines(error))
    out_dir = (out or PROJECT_ROOT / "restore" / stack / store).absolute()
    _write(out_dir, result.files(), STEPS_FILE)
    console.print(Text(f"Restore {store} of stack {stack}: {len(result.manifests)} manifests (schema-valid) in {out_dir}:"), soft_wrap=True)
    for name in result.manifests:
        console.print(Text(f"  {name}"))
    if result.stack_change:
        console.print(f"Stack file change (stacks/Pulumi.{stack}.yaml, config):")
        console.print(Text(yaml.safe_dump(result.stack_change, sort_keys=False).rstrip()))
    console.print(f"Steps, in order (also in {STEPS_FILE}):")
    for number, step in enumerate(result.steps, 1):
        console.print(Text(f"{number}. {step}"), soft_wrap=True)


@main.command("new-stack")
@click.argument("stack", callback=_stack_name)
@click.option("--layer", type=click.Choice(["environment", "cluster"]), default="environment", show_default=True, help="An environment stack (Langfuse) or its cluster layer (operators, storage).")
@click.option("--environment", type=click.Choice(["dev", "staging", "prod"]), required=True, help="The tier: sets sizes, spreading and approvals as the policy pack expects of it.")
@click.option("--account-id", required=True, help="The AWS account of the cluster (`rosa describe cluster`: AWS Account).")
@click.option("--region", required=True, help="The cluster's AWS region (`rosa describe cluster`: Region).")
@click.option("--cluster-name", required=True, help="The ROSA cluster's name (`rosa list clusters`).")
@click.option("--openshift-version", default=SUPPORTED_OPENSHIFT[-1], show_default=True, help=f"The cluster's OpenShift minor: {', '.join(SUPPORTED_OPENSHIFT)}.")
@click.option("--kube-context", required=True, help="The kubeconfig context of the cluster (`oc config current-context` after `oc login`).")
@click.option("--apps-domain", required=True, help="The cluster's apps domain (`oc get ingresses.config cluster -o jsonpath='{.spec.domain}'`).")
@click.option("--api-server-cidr", "api_server_cidrs", multiple=True, required=True, help="An address of `oc get endpoints kubernetes -n default`, as a CIDR (repeatable).")
@click.option("--resource-prefix", required=True, help="Prefix of every AWS name the stack creates (globally unique for buckets), e.g. acme-langfuse-dev.")
@click.option("--oidc-endpoint-url", default=None, help="The `OIDC Endpoint URL` of `rosa describe cluster` (the provider ARN is derived from it; the stack's roles trust it).")
@click.option("--csi-driver-role-arn", default=None, help="Cluster layer: the EBS CSI driver's operator role (`rosa list operator-roles`).")
@_stacks_dir_option
def new_stack(stack: str, layer: str, stacks_dir: Path | None, oidc_endpoint_url: str | None, csi_driver_role_arn: str | None, **values: Any) -> None:
    """Write a commented stack file for a new environment or cluster layer, checked by the real config loader.

    Refuses to overwrite an existing stack file; prints the file's path and the next steps."""
    folder = (stacks_dir or PROJECT_ROOT / "stacks").absolute()
    path = folder / f"Pulumi.{stack}.yaml"
    if path.exists():
        _fail(f"new-stack: {path} exists already: choose another stack name (or edit that file)")
    if oidc_endpoint_url is None:
        _fail("new-stack: --oidc-endpoint-url is required: the OIDC Endpoint URL `rosa describe cluster` prints (the stack's roles trust that provider)")
    if layer == "cluster" and csi_driver_role_arn is None:
        _fail("new-stack: --csi-driver-role-arn is required for a cluster layer stack: `rosa list operator-roles` names it")
    spec = NewStack(
        stack=stack,
        layer=layer,
        oidc_endpoint_url=oidc_endpoint_url,
        csi_driver_role_arn=csi_driver_role_arn if layer == "cluster" else None,
        api_server_cidrs=tuple(values.pop("api_server_cidrs")),
        **values,
    )
    text = render_new_stack(spec)
    try:
        document = load(decode_text(text.encode()))
        parse_engine_config(stack, engine_config(stack, path.name, document)[0])
    except (StackFileError, ConfigError, YamlError) as error:
        _fail(*(_error_lines(error) if not isinstance(error, YamlError) else [f"new-stack: {error}"]))
    _write_new_file(path, text)
    console = _console()
    console.print(Text(f"Wrote {path}."), soft_wrap=True)
    console.print(Text(f"Next: .venv/bin/langfuse-rosa plan --stack {stack}" + (f" --stacks-dir {folder}" if stacks_dir else "") + "; then the README's First deployment."), soft_wrap=True)


def _write_new_file(path: Path, text: str) -> None:
    """Write a new file whole (a temporary file renamed into place), or nothing."""
    temporary = path.with_name(f".{path.name}.new")
    try:
        temporary.write_text(text)
        temporary.replace(path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        _fail(f"new-stack: cannot write {path}: {error.strerror}; nothing was written")


@main.command()
@_stack_option
@click.option("--project", default=None, help="One platform project namespace [default: every enabled project].")
@click.option("--since", default=None, help="Start of the window: Nd (e.g. 7d) or YYYY-MM-DD [default: the first of the month, UTC].")
@click.option("--context", "kube_context", default=None, help="The kubeconfig context of the cluster [default: the stack's cluster.kubeContext].")
@click.option("--kubeconfig", default=None, help="The kubeconfig file [default: $KUBECONFIG or ~/.kube/config].")
@click.option("--langfuse-url", default=None, help="Langfuse's URL [default: https://<the stack's Langfuse hostname>].")
@_stacks_dir_option
def usage(stack: str | None, project: str | None, since: str | None, kube_context: str | None, kubeconfig: str | None,
          langfuse_url: str | None, stacks_dir: Path | None) -> None:  # fmt: skip
    """Print cost and usage per platform project, from Langfuse (keys read from the cluster with your kubeconfig)."""
    from infra.usage_report import UsageInputError, check_langfuse_url, parse_since, tenants_from_cluster, usage_rows

    stack = _required_stack(stack, stacks_dir, "usage")
    config = _environment_config(stack, stacks_dir, "report the usage of")
    now = datetime.now(UTC)
    try:
        start = parse_since(since, now)
        if langfuse_url is not None:
            check_langfuse_url(langfuse_url)
        tenants = tenants_from_cluster(config, kube_context, kubeconfig, project)
    except UsageInputError as error:
        _fail(f"stack '{stack}': {error}")
    if project is not None and not tenants:
        _fail(f"stack '{stack}': --project = {project!r} has no ProjectSettings with spec.langfuse.enabled and a Ready tenant")
    rows = usage_rows(tenants, langfuse_url or config.public_url, start, now)
    table = Table(title=f"Stack {stack}: LLM cost per project since {start.isoformat()} (UTC)", title_justify="left")
    for column in ("Project", "Since", "Today", "Month", "Budget", "Used", "Forecast", "Tokens", "Traces", "Errors today", "Top models"):
        table.add_column(column, justify="left" if column in ("Project", "Top models") else "right")
    for r in rows:
        if r.error:
            table.add_row(escape(r.namespace), *["-"] * 9, escape(r.error))
            continue
        table.add_row(
            escape(r.namespace), f"${r.since_usd:,.2f}", f"${r.today_usd:,.2f}", f"${r.month_usd:,.2f}", f"${r.budget_usd:,.0f}",
            f"{r.month_usd / r.budget_usd:.0%}", f"${r.forecast_usd:,.2f}", f"{r.tokens:,.0f}", f"{r.traces:,.0f}", f"{r.errors_today:,.0f}",
            escape(", ".join(f"{m} ${c:,.2f}" for m, c in r.top_models)),
        )
    Console(highlight=False, width=200).print(table)


URL_HELP = "Langfuse's URL, e.g. through a tunnel [default: https://<langfuse.hostname>, the stack's Route]."
CA_FILE_HELP = "CA bundle for Langfuse's certificate [default: certifi's]."


@main.command()
@_stack_option
@_stacks_dir_option
@click.option("--url", default=None, help=URL_HELP)
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path), default=None, help="Folder for verify.md and verify.json [default: verify/<stack>].")
@click.option("--ca-file", type=click.Path(dir_okay=False, exists=True), default=None, help=CA_FILE_HELP)
def verify(stack: str | None, stacks_dir: Path | None, url: str | None, report_dir: Path | None, ca_file: str | None) -> None:
    """Prove the deployed Langfuse works end to end, through Langfuse's SDK.

    Health, readiness, a trace with a generation and a score sent and read back within verification.readBackSeconds,
    its event objects SSE-KMS in the events bucket. Writes verify.md and verify.json. Exit 0: passed; 1: a step
    failed (named); 2: bad input."""
    stack = _required_stack(stack, stacks_dir, "verify")
    config = _environment_config(stack, stacks_dir, "verify")
    out = report_dir or PROJECT_ROOT / "verify" / stack
    try:
        command = round_trip_command(stack, config, url, str(out), ca_file)
    except ConfigError as error:
        _fail(*error.lines)
    sys.exit(run_verify_module(command))


@main.command()
@_stack_option
@click.option("--project", required=True, help="Name or id of the Langfuse project whose scores gate the release.")
@click.option("--score", required=True, help="Name of the numeric score.")
@click.option("--min", "minimum", required=True, help="The bar the average must reach.")
@click.option("--window", required=True, help="How far back: 30m, 24h, 7d.")
@click.option("--min-count", type=click.IntRange(min=1), default=10, show_default=True, help="Fewer scores than this cannot judge a release.")
@click.option("--key-secret", default=None, help="Secrets Manager secret {publicKey, secretKey} of the project [default: LANGFUSE_PUBLIC_KEY/LANGFUSE_SECRET_KEY].")
@_stacks_dir_option
@click.option("--url", default=None, help=URL_HELP)
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path), default=None, help="Also write verify.md and verify.json to this folder.")
@click.option("--ca-file", type=click.Path(dir_okay=False, exists=True), default=None, help=CA_FILE_HELP)
def gate(
    stack: str | None, project: str, score: str, minimum: str, window: str, min_count: int, key_secret: str | None,
    stacks_dir: Path | None, url: str | None, report_dir: Path | None, ca_file: str | None,
) -> None:  # fmt: skip
    """Gate a release on evaluation scores: the average of a score over a window must reach a bar.

    The average of SCORE over WINDOW (Langfuse's v2 metrics) must reach MIN, over at least MIN_COUNT scores. Prints
    what it measured. Exit 0: passed; 1: below the bar or too few scores; 2: bad input."""
    stack = _required_stack(stack, stacks_dir, "gate")
    config = _environment_config(stack, stacks_dir, "gate")
    report = str(report_dir) if report_dir else None
    command = gate_command(stack, config, project, score, minimum, window, min_count, key_secret, url, report, ca_file)
    sys.exit(run_verify_module(command))


def _environment_config(stack: str, stacks_dir: Path | None, action: str) -> StackConfig:
    """An environment stack's config (the commands that talk to a deployed Langfuse); a cluster layer is bad input."""
    try:
        config = parse_engine_config(stack, read_stack_file(stacks_dir or PROJECT_ROOT / "stacks", stack).config)
    except (StackFileError, ConfigError) as error:
        _fail(*_error_lines(error))
    if not isinstance(config, StackConfig):
        _fail(f"stack '{stack}': langfuse-rosa:layer is cluster: the cluster layer runs no Langfuse; {action} its environment stack")
    return config


@main.command("config-reference")
def config_reference() -> None:
    """Print the stack config reference (docs/config-reference.md's table) as Markdown."""
    click.echo(reference_markdown(), nl=False)


@main.command("config-schema")
def config_schema() -> None:
    """Print the JSON Schema of a stack file (schemas/stack-config.schema.json), generated from the config models."""
    click.echo(stack_file_schema_text(), nl=False)


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
                console.print(Text(f"  {failure.kind}/{failure.name}: {message}"), soft_wrap=True)
    else:
        unvalidated = [r for r in result.schema_results if r.validated_with.startswith("allow-listed")]
        note = f"; {len(unvalidated)} allow-listed without a schema: " + ", ".join(f"{r.kind}/{r.name}" for r in unvalidated) if unvalidated else ""
        console.print(f"[green]Schema validation passed[/] for all {len(result.schema_results)} objects (strict){escape(note)}.")
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
        console.print(Text("warning:", style="yellow") + Text(f" {warning}"), soft_wrap=True)
    if result.objectives:
        console.print(f"[bold]Recovery objectives[/] (table in {OBJECTIVES_FILE}):")
        for row in result.objectives:
            kept = f"; backups kept {row.retention}" if row.retention != "—" else ""
            console.print(escape(f"  {row.store}, losing {row.failure}: RPO {row.rpo}; RTO {row.rto}{kept}"), soft_wrap=True)
    if result.reachability is not None:
        console.print(
            f"Network reachability: {len(result.reachability.allowed)} allowed (source, destination, port) "
            f"over {len(result.reachability.rows())} pairs, in {escape(str(out_dir / REACHABILITY_FILE))}."
        )
    if result.access is not None:
        access = result.access
        console.print(
            f"AWS access matrix: {len(access.rows)} requests ({access.allowed} allowed, {len(access.rows) - access.allowed} denied) "
            f"against {len(access.documents)} policy documents, in {escape(str(out_dir / ACCESS_FILE))}.",
            soft_wrap=True,
        )
    if result.compliance is not None:
        _print_compliance(console, result.compliance, out_dir)
    if result.prerequisites:
        console.print(f"[bold]Before the first `pulumi up`[/], these must exist (table in {PREREQUISITES_FILE}):")
        for item in result.prerequisites:
            console.print(Text(f"  - {item.what} ({item.where})"), soft_wrap=True)
    console.print(Text(f"Written to {out_dir} in {seconds:.1f} s."))


def _print_compliance(console: Console, report: ComplianceReport, out_dir: Path) -> None:
    # One line per store; compliance-report.md has every column in full.
    table = Table(title=f"Compliance report (in full in {out_dir / COMPLIANCE_FILE})", title_justify="left")
    for column in ("Store", "Region", "At rest", "Retention", "Readers", "Audited by"):
        table.add_column(column, no_wrap=True, overflow="ellipsis")
    for row in report.stores:
        table.add_row(row.store, row.region, row.at_rest.split(" (", 1)[0], row.retention, str(len(row.readers)), row.audited.split(" (", 1)[0])
    console.print(table)
    console.print(escape("Projects: " + "; ".join(f"{setting}: {value}" for setting, value in report.projects)), soft_wrap=True)


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
