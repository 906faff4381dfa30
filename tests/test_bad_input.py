"""Bad input never crashes the CLI, never slips through, and never destroys a previous plan.

The promise, for any stack file and any command line: exit 0 with a complete plan, exit 1 naming a policy rule
(or the schema failure), or exit 2 with one line per problem naming the stack and what is allowed, with nothing
written and the previous output untouched. Never a traceback.

Two property tests (hypothesis) mutate the seven real stack files and the command line and run the real CLI
entry point in-process (click's runner: the same `main` the console script calls); a fixed list below covers each
class of failure of issue 14 by name. The property tests print their seed on failure; rerun one with
BAD_INPUT_SEED=<seed>.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, seed, settings
from hypothesis import strategies as st

from infra.cli import main
from infra.offline_plan.pulumi_yaml import decode_text, load
from infra.offline_plan.stack_file import StackFileError, read_stack_file
from infra.stack_config import ConfigError
from infra.stack_config.loader import parse_engine_config
from policies.rules import ALL_RULES
from tests.conftest import CLUSTER_STACKS, EXAMPLE_STACKS_DIR, STACKS, project_path

SEED = int(os.environ.get("BAD_INPUT_SEED") or random.SystemRandom().randrange(2**32))
BASES = {stack: project_path("stacks", f"Pulumi.{stack}.yaml") for stack in STACKS + CLUSTER_STACKS}
BASES["external"] = EXAMPLE_STACKS_DIR / "Pulumi.external.yaml"
# Cases whose config is valid run the whole plan (0.4-2.5 s each); past this many seconds of them, the property
# tests keep drawing only cases that the CLI refuses, so each stays within its budget.
FULL_PLAN_SECONDS = 18.0
CASES: Counter[str] = Counter()


# -- running the CLI and checking the promise -------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str
    exception: BaseException | None


def run_cli(*args: str) -> Outcome:
    result = CliRunner().invoke(main, list(args), catch_exceptions=True)
    exception = result.exception if not isinstance(result.exception, SystemExit) else None
    return Outcome(result.exit_code, result.stdout, result.stderr, exception)


def tree(folder: Path) -> dict[str, str]:
    """Every file under `folder` (and the folder's siblings' names), hashed: what "untouched" compares."""
    if not folder.exists():
        return {}
    files = {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}
    return {**files, "(siblings)": ",".join(sorted(p.name for p in folder.parent.iterdir()))}


def assert_promise(outcome: Outcome, out_dir: Path, before: dict[str, str], stack: str | None = None) -> str:
    """The outcome keeps the promise; returns which of the three it was."""
    assert outcome.exception is None, f"crashed: {outcome.exception!r}"
    assert "Traceback" not in outcome.stdout + outcome.stderr
    assert outcome.code in (0, 1, 2), outcome
    if outcome.code == 2:
        lines = outcome.stderr.splitlines()
        assert lines and outcome.stdout == "", outcome
        for line in lines:
            assert line.startswith("error: ") and len(line) > len("error: ") + 10, line
            if stack is not None:
                assert f"stack '{stack}'" in line, line
        assert tree(out_dir) == before, "bad input changed the output folder"
        return "refused"
    assert outcome.stderr == "", outcome.stderr
    summary = load((out_dir / "summary.yaml").read_text())
    assert summary["stack"] == stack if stack else True
    written = {str(p.relative_to(out_dir)) for p in out_dir.rglob("*") if p.is_file()}
    assert {f"resources/{name}" for name in ("providers.yaml",)} <= written or not summary["resources"]["otherResources"]
    assert not [p for p in out_dir.parent.iterdir() if p.name.startswith(f".{out_dir.name}.")], "a temporary folder was left behind"
    if outcome.code == 1:
        assert any(rule.name in outcome.stdout for rule in ALL_RULES) or "Schema validation failed" in outcome.stdout
    return "planned" if outcome.code == 0 else "policy"


# -- stack files: a YAML writer that can also write what a careless hand writes ---------------------------------


@dataclass(frozen=True)
class Raw:
    """A scalar written exactly as given (plain), e.g. yes, 0777, 2026-01-01T00:00:00Z."""

    text: str


@dataclass(frozen=True)
class Twice:
    """A mapping entry written twice (a duplicate key)."""

    first: Any
    second: Any


def emit(value: Any, indent: int = 0) -> list[str]:
    pad = " " * indent
    if isinstance(value, dict) and value:
        lines = []
        for key, item in value.items():
            entries = [item.first, item.second] if isinstance(item, Twice) else [item]
            for entry in entries:
                head = f"{pad}{json.dumps(key)}:"
                lines += [f"{head} {_scalar(entry)}"] if _is_leaf(entry) else [head, *emit(entry, indent + 2)]
        return lines
    if isinstance(value, list) and value:
        lines = []
        for item in value:
            lines += [f"{pad}- {_scalar(item)}"] if _is_leaf(item) else [f"{pad}-", *emit(item, indent + 2)]
        return lines
    return [pad + _scalar(value)]


def _is_leaf(value: Any) -> bool:
    return not isinstance(value, (dict, list)) or not value


def _scalar(value: Any) -> str:
    if isinstance(value, Raw):
        return value.text
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return json.dumps(value)  # JSON is YAML: strings double-quoted (control characters escaped), numbers and booleans plain


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


def at(document: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        document = document[part]
    return document


WELL_FORMED = st.one_of(
    st.sampled_from([
        None, True, False, 0, -1, 1.5, 2.0, "", " ", "yes", "on", "0777", "1e3", "[bold]red[/bold]", "rosa:fire:dev", ":fire:",
        "a\nb", "x" * 300, [], {}, [1, "x"], {"x": 1}, {"secure": "v1:abc"}, {"secure": 3}, "eu-west-4", "0Gi", "0m", "kube-system",
        "0 3 * * *", "61 * * * * *", "@daily", "TZ=UTC 0 5 * * 6", "#Pager", "arn:aws:iam::999999999999:role/x",
    ]),
    # Plain scalars that yaml.v3 and YAML 1.1 read differently, or that Pulumi cannot pass on.
    st.sampled_from(["yes", "on", "off", "y", "0777", "0o17", "0x1F", "1_000", "1:20", ".inf", "-.inf", ".nan", "~", "2026-01-01",
                     "2026-01-01T00:00:00Z", "2026-02-30", "1e400", "18446744073709551616", "+5", "!!str 1"]).map(Raw),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.text(max_size=12),
)  # fmt: skip
# Scalars that break the YAML itself, or use what the offline plan refuses to guess at (tags, anchors).
ODD_VALUES = st.one_of(WELL_FORMED, st.sampled_from(["!!int 1", "&a 1", "*nope", "[1, 2", "{a: 1", "'unclosed", "- x", "a: b", "|", "%", "@x", "`x`"]).map(Raw))


def _misspellings(key: str) -> st.SearchStrategy[str]:
    snake = re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower()
    options = [key[:i] + key[i + 1 :] for i in range(len(key))] + [key + key[-1:], key.upper(), snake, key + "s", key.replace("e", "ee", 1)]
    return st.sampled_from([o for o in options if o and o != key])


@st.composite
def mutated_stack_file(draw: st.DrawFn) -> tuple[str, bytes, str | None]:
    """(stack, file bytes, text the refusal must contain or None)."""
    stack = draw(st.sampled_from(sorted(BASES)))
    original = BASES[stack].read_bytes()
    document = load(decode_text(original))
    kind = draw(st.sampled_from(["set", "set", "delete", "unknown-key", "namespace", "duplicate", "text", "text", "whole"]))
    CASES[f"stack file: {kind}"] += 1
    expect = None
    if kind in ("set", "delete", "duplicate"):
        path = draw(st.sampled_from(paths(document)))
        parent, last = at(document, path[:-1]), path[-1]
        if kind == "set":
            parent[last] = draw(ODD_VALUES)
        elif kind == "delete":
            del parent[last]
        elif isinstance(parent, dict):
            parent[last] = Twice(parent[last], draw(st.sampled_from(["x", 1, True, None, {"a": 1}])))
            expect = "set twice"
    elif kind == "unknown-key":
        mappings = [p for p in [(), *paths(document)] if isinstance(at(document, p), dict) and at(document, p) and set(at(document, p)) != {"secure"}]
        path = draw(st.sampled_from(mappings))
        mapping = at(document, path)
        key = draw(st.one_of(_misspellings(draw(st.sampled_from(sorted(mapping)))), st.from_regex(r"[a-z][a-zA-Z_]{0,12}", fullmatch=True)))
        assume(key not in mapping and f"langfuse-rosa:{key}" not in mapping and key.split(":")[-1] not in {k.split(":")[-1] for k in mapping})
        mapping[key] = draw(WELL_FORMED)
        expect = key.split(":")[-1]
    elif kind == "namespace":
        key = draw(st.sampled_from(sorted(document["config"])))
        namespace = draw(_misspellings("langfuse-rosa").filter(lambda n: ":" not in n))
        document["config"][f"{namespace}:{key.split(':', 1)[1]}"] = document["config"].pop(key)
        expect = namespace
    elif kind == "whole":
        document = draw(st.sampled_from([[document], "config", 3, None, {"config": [1]}, {"confg": document["config"]}, {"config": document["config"], "environment": ["x"]}]))
    text = "\n".join(emit(document)) + "\n" if document is not None else ""
    data = text.encode()
    if kind == "text":
        data = original
        damage = draw(st.sampled_from(["insert", "delete", "truncate", "tab", "bytes", "bom", "crlf", "line"]))
        at_byte = draw(st.integers(min_value=0, max_value=len(data)))
        data = {
            "insert": lambda: data[:at_byte] + draw(st.sampled_from([b":", b"-", b" ", b"\n", b"{", b"[", b"'", b'"', b"&", b"*", b"!", b"#", b"|"])) + data[at_byte:],
            "delete": lambda: data[:at_byte] + data[at_byte + 1 :],
            "truncate": lambda: data[:at_byte],
            "tab": lambda: data[:at_byte] + b"\t" + data[at_byte:],
            "bytes": lambda: data[:at_byte] + b"\xff\xfe\xc3" + data[at_byte:],
            "bom": lambda: b"\xef\xbb\xbf" + data,
            "crlf": lambda: data.replace(b"\n", b"\r\n"),
            "line": lambda: data[:at_byte] + b"\n" + draw(st.text(max_size=20)).encode() + b"\n" + data[at_byte:],
        }[damage]()
    return stack, data, expect


def _needs_full_plan(stacks_dir: Path, stack: str) -> bool:
    """Whether the CLI will get past the config (then it runs the whole program, which costs seconds)."""
    try:
        parse_engine_config(stack, read_stack_file(stacks_dir, stack).config)
    except (StackFileError, ConfigError):
        return False
    except Exception:  # the CLI must cope with it; let it show
        return True
    return True


@dataclass
class _Budget:
    """Seconds spent on cases that ran a whole plan, in one property test."""

    spent: float = 0.0


@pytest.fixture(scope="module")
def previous_plans(tmp_path_factory) -> Path:
    """A plan output to stand for "the previous plan" (the smallest stack's, for speed)."""
    folder = tmp_path_factory.mktemp("previous") / "plan"
    assert run_cli("plan", "--stack", "cluster-dev", "--out", str(folder)).code == 0
    return folder


def _with_seed(test) -> None:
    try:
        seed(SEED)(test)()
    except BaseException as error:
        raise AssertionError(f"{error}\n\nproperty test seed: BAD_INPUT_SEED={SEED}") from error


def test_any_mutated_stack_file_keeps_the_promise(tmp_path_factory, previous_plans):
    work = tmp_path_factory.mktemp("case")
    (work / "stacks").mkdir()
    out = work / "out" / "plan"
    shutil.copytree(previous_plans, out)
    previous = tree(out)
    budget = _Budget()

    @settings(max_examples=180, deadline=None, database=None, suppress_health_check=list(HealthCheck), print_blob=True)
    @given(case=mutated_stack_file())
    def check(case: tuple[str, bytes, str | None]) -> None:
        stack, data, expect = case
        for old in (work / "stacks").iterdir():
            old.unlink()
        (work / "stacks" / f"Pulumi.{stack}.yaml").write_bytes(data)
        if tree(out) != previous:  # a case before planned over it
            shutil.rmtree(out)
            shutil.copytree(previous_plans, out)
        full = _needs_full_plan(work / "stacks", stack)
        assume(not full or budget.spent < FULL_PLAN_SECONDS)
        started = time.monotonic()
        before = tree(out)
        outcome = run_cli("plan", "--stack", stack, "--stacks-dir", str(work / "stacks"), "--out", str(out))
        if full:
            budget.spent += time.monotonic() - started
        result = assert_promise(outcome, out, before, stack)
        CASES[f"stack file outcome: {result}"] += 1
        if expect is not None:
            assert result == "refused" and expect in outcome.stderr, (expect, outcome)

    _with_seed(check)
    print(dict(CASES))


# -- the command line --------------------------------------------------------------------------------------------

STACK_NAMES = st.one_of(
    st.sampled_from(["dev", "cluster-dev", "external", "qa", "", "x/../dev", "../stacks/Pulumi.dev", "rosa:fire:dev", "[bold]dev", "a" * 101, "dev.", "DEV"]),
    st.text(max_size=8),
)
NOW = datetime.now(UTC)
TIMES = st.sampled_from([
    (NOW - timedelta(days=1)).isoformat(), (NOW + timedelta(days=1)).isoformat(), (NOW - timedelta(days=400)).isoformat(),
    "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "2026-02-30T00:00:00+00:00", "yesterday", "", "2026-11-26 03:45",
])  # fmt: skip
BACKUPS = st.sampled_from(["full-20261122", "full-20260230", "incr-20261126T031700Z", "incr-20261126T251700Z", "full-29991231", "latest", "", "full-2026112"])


@st.composite
def command_line(draw: st.DrawFn, places: dict[str, Path]) -> list[str]:
    command = draw(st.sampled_from([["plan"]] * 3 + [["restore", "postgres"]] * 2 + [["restore", "clickhouse"]] * 2 + [["config-reference"], ["nope"], []]))
    args = list(command)
    CASES[f"command: {' '.join(command) or '(none)'}"] += 1
    if draw(st.booleans()) or command[:1] != ["config-reference"]:
        args += ["--stack", draw(STACK_NAMES)] if draw(st.integers(0, 9)) else []
    options = {
        "--out": st.sampled_from(["fresh", "previous", "not-a-plan", "a-file", "under-a-file", "inside-previous", "corrupt-plan"]).map(lambda k: str(places[k])),
        "--stacks-dir": st.sampled_from([str(project_path("stacks")), str(EXAMPLE_STACKS_DIR), str(places["missing"]), str(places["a-file"])]),
        "--diff-against": st.sampled_from(["previous", "not-a-plan", "corrupt-plan", "missing", "inside-previous"]).map(lambda k: str(places[k])),
        "--target-time": TIMES,
        "--backup": BACKUPS,
        "--bogus": st.just("x"),
    }
    for option in draw(st.lists(st.sampled_from(sorted(options)), max_size=3, unique=True)):
        args += [option] if draw(st.integers(0, 9)) == 0 else [option, draw(options[option])]
    return args


def test_any_command_line_keeps_the_promise(tmp_path, previous_plans):
    places = {name: tmp_path / name for name in ("fresh", "not-a-plan", "missing", "a-file", "corrupt-plan")}
    places["previous"] = tmp_path / "previous"
    places["inside-previous"] = places["previous"] / "nested"
    places["under-a-file"] = places["a-file"] / "plan"

    def make() -> None:
        for name in ("fresh", "previous", "not-a-plan", "corrupt-plan", "a-file"):
            shutil.rmtree(places[name], ignore_errors=True) if places[name].is_dir() else places[name].unlink(missing_ok=True)
        shutil.copytree(previous_plans, places["previous"])
        shutil.copytree(previous_plans, places["corrupt-plan"])
        next(places["corrupt-plan"].rglob("*.yaml")).write_bytes(b"{ not: [yaml")
        places["not-a-plan"].mkdir()
        (places["not-a-plan"] / "precious.txt").write_text("keep me")
        places["a-file"].write_text("a file")

    make()
    pristine = {name: tree(places[name]) for name in places}
    budget = _Budget()

    def reset() -> None:
        if any(tree(places[name]) != pristine[name] for name in ("fresh", "previous", "corrupt-plan")):  # a plan was written
            make()

    @settings(max_examples=130, deadline=None, database=None, suppress_health_check=list(HealthCheck), print_blob=True)
    @given(args=command_line(places))
    def check(args: list[str]) -> None:
        reset()
        heavy = args[:1] in (["plan"], ["restore"]) and "--bogus" not in args
        assume(not heavy or budget.spent < FULL_PLAN_SECONDS)
        befores = {name: tree(places[name]) for name in ("previous", "not-a-plan", "corrupt-plan")}
        started = time.monotonic()
        outcome = run_cli(*args)
        budget.spent += (time.monotonic() - started) if heavy else 0
        assert outcome.exception is None, f"crashed: {outcome.exception!r}"
        assert "Traceback" not in outcome.stdout + outcome.stderr
        assert outcome.code in (0, 1, 2), outcome
        CASES[f"command outcome: {outcome.code}"] += 1
        if outcome.code == 2:
            assert outcome.stderr.startswith("error: ") and outcome.stdout == ""
            assert all(line.startswith("error: ") for line in outcome.stderr.splitlines())
            assert {name: tree(places[name]) for name in befores} == befores
        assert (places["not-a-plan"] / "precious.txt").read_text() == "keep me"
        assert places["a-file"].read_text() == "a file"

    _with_seed(check)
    print(dict(CASES))


# -- the fixed list: each class of failure in issue 14 -----------------------------------------------------------


def _dev_document() -> dict[str, Any]:
    return load(decode_text(BASES["dev"].read_bytes()))


def _plan(tmp_path: Path, stack: str, text: str | bytes, out: Path | None = None) -> Outcome:
    stacks = tmp_path / "stacks"
    stacks.mkdir(exist_ok=True)
    (stacks / f"Pulumi.{stack}.yaml").write_bytes(text.encode() if isinstance(text, str) else text)
    return run_cli("plan", "--stack", stack, "--stacks-dir", str(stacks), "--out", str(out or tmp_path / "out"))


def _dev_with(change) -> str:
    document = _dev_document()
    change(document["config"])
    return "\n".join(emit(document)) + "\n"


def _set(*path: str, value: Any):
    def change(config: dict[str, Any]) -> None:
        target = config[f"langfuse-rosa:{path[0]}"]
        for part in path[1:-1]:
            target = target[part]
        target[path[-1]] = value

    return change


DEV_FILE = "Pulumi.dev.yaml"
REFUSED = [
    # Tracebacks before: the file's shape and encoding.
    pytest.param(b"- config: {}\n", f"stack 'dev': {DEV_FILE} must be a mapping with a `config:` mapping, not a list", id="top-level-list"),
    pytest.param(b"just text\n", f"stack 'dev': {DEV_FILE} must be a mapping with a `config:` mapping, not a string", id="top-level-scalar"),
    pytest.param(b"config:\n  langfuse-rosa:environment: d\xe9v\n", f"stack 'dev': {DEV_FILE} line 2: byte 0xe9 is not UTF-8: save the file as UTF-8", id="not-utf8"),
    pytest.param(b"config:\n  1: dev\n", f"stack 'dev': {DEV_FILE} line 2: key '1' is not a string: Pulumi reads only string keys (quote it)", id="non-string-key"),
    pytest.param(
        _dev_with(_set("dataTier", "postgres", "recovery", value={"sourceServerName": "langfuse-postgres", "targetTime": Raw("2026-01-01T00:00:00Z")})),
        "stack 'dev': langfuse-rosa:dataTier.postgres.recovery.targetTime = '2026-01-01 00:00:00 +0000 UTC' is invalid: an unquoted "
        "YAML timestamp, which Pulumi hands the program as Go time text: quote the value in the stack file",
        id="unquoted-timestamp",
    ),
    pytest.param(
        _dev_with(_set("cluster", "kubeContext", value=Raw("2026-01-01"))),
        "stack 'dev': langfuse-rosa:cluster.kubeContext = '2026-01-01 00:00:00 +0000 UTC' is invalid: an unquoted YAML timestamp, "
        "which Pulumi hands the program as Go time text: quote the value in the stack file",
        id="unquoted-date-in-a-text-field",
    ),
    # Accepted but wrong before.
    pytest.param(
        "\n".join(emit(_dev_document())).replace('"langfuse-rosa:environment": "dev"', '"langfuse-rosa:environment": "dev"\n  "langfuse-rosa:environment": "prod"') + "\n",
        f"stack 'dev': {DEV_FILE} line 3: key 'langfuse-rosa:environment' is set twice (first at line 2): Pulumi refuses duplicate keys",
        id="duplicate-key",
    ),
    pytest.param(
        _dev_with(lambda c: c.update({"environment": "dev"})),
        f"stack 'dev': {DEV_FILE}: 'environment' and 'langfuse-rosa:environment' are the same key langfuse-rosa:environment",
        id="same-key-with-and-without-namespace",
    ),
    pytest.param(
        _dev_with(_set("langfuse", "telemetry", value=Raw("yes"))),
        "stack 'dev': langfuse-rosa:langfuse.telemetry = 'yes' is invalid: must be true or false",
        id="yaml-1.1-boolean-is-a-string",
    ),
    pytest.param(
        _dev_with(lambda c: c.update({"langfuse-rossa:environment": c.pop("langfuse-rosa:environment")})),
        "stack 'dev': langfuse-rossa:environment is not read by anything: did you mean langfuse-rosa:? (the AWS and Kubernetes "
        "providers are explicit, configured from langfuse-rosa:cluster and langfuse-rosa:aws, so aws: and kubernetes: keys would be ignored)",
        id="misspelt-namespace",
    ),
    pytest.param(
        _dev_with(lambda c: c.update({"aws:region": "eu-west-1"})),
        "stack 'dev': aws:region is not read by anything: keys of this project go under langfuse-rosa: (the AWS and Kubernetes "
        "providers are explicit, configured from langfuse-rosa:cluster and langfuse-rosa:aws, so aws: and kubernetes: keys would be ignored)",
        id="provider-namespace-read-by-nothing",
    ),
    pytest.param(
        "confg:\n  langfuse-rosa:environment: dev\n",
        f"stack 'dev': {DEV_FILE}: top-level key 'confg' is not allowed (Pulumi would ignore it); allowed: config, secretsprovider, encryptedkey, encryptionsalt",
        id="misspelt-config-section",
    ),
    pytest.param(
        _dev_with(_set("cluster", "region", value="eu-wset-1")),
        "stack 'dev': langfuse-rosa:cluster.region = 'eu-wset-1' is invalid: must be an AWS region, like eu-west-1 (did you mean eu-west-1?)",
        id="region-that-does-not-exist",
    ),
    pytest.param(
        _dev_with(_set("langfuse", "web", "cpu", value={"request": "0", "limit": "1"})),
        "stack 'dev': langfuse-rosa:langfuse.web.cpu.request = '0' is invalid: must be more than zero, like '500m' or '2'",
        id="zero-cpu",
    ),
    pytest.param(
        _dev_with(_set("dataTier", "redis", "memory", value="0Mi")),
        "stack 'dev': langfuse-rosa:dataTier.redis.memory = '0Mi' is invalid: must be more than zero, like '4Gi' or '1536Mi'",
        id="zero-memory",
    ),
    pytest.param(
        _dev_with(_set("dataTier", "postgres", "storage", value="0Gi")),
        "stack 'dev': langfuse-rosa:dataTier.postgres.storage = '0Gi' is invalid: must be a size in Mi or Gi, more than zero, like '20Gi'",
        id="zero-storage",
    ),
    pytest.param(
        _dev_with(_set("langfuse", "namespace", value="openshift-monitoring")),
        "stack 'dev': langfuse-rosa:langfuse.namespace = 'openshift-monitoring' is invalid: must not be default, openshift, "
        "openshift-* or kube-*: those namespaces belong to the cluster",
        id="reserved-namespace",
    ),
    pytest.param(
        _dev_with(_set("dataTier", "postgres", "backup", value={"schedule": "0 3 * * *"})),
        "stack 'dev': langfuse-rosa:dataTier.postgres.backup.schedule = '0 3 * * *' is invalid: must be six cron fields, seconds "
        "first (CloudNativePG's format), like '0 0 3 * * *' for 03:00 daily; found 5",
        id="cnpg-schedule-with-five-fields",
    ),
    pytest.param(
        _dev_with(_set("dataTier", "postgres", "backup", value={"schedule": "0 0 25 * * *"})),
        "stack 'dev': langfuse-rosa:dataTier.postgres.backup.schedule = '0 0 25 * * *' is invalid: hour field '25' is out of range 0-23",
        id="cnpg-schedule-out-of-range",
    ),
    pytest.param(
        _dev_with(_set("dataTier", "restoreDrillSchedule", value="every saturday")),
        "stack 'dev': langfuse-rosa:dataTier.restoreDrillSchedule = 'every saturday' is invalid: must be five cron fields (minute hour "
        "day-of-month month day-of-week), like '0 5 * * 6' for 05:00 on Saturdays; found 2",
        id="cronjob-schedule-nonsense",
    ),
    pytest.param(
        _dev_with(_set("dataTier", "restoreDrillSchedule", value="0 5 30 2 *")),
        "stack 'dev': langfuse-rosa:dataTier.restoreDrillSchedule = '0 5 30 2 *' is invalid: never fires: no date matches its "
        "day-of-month, month and day-of-week fields",
        id="cronjob-schedule-that-never-fires",
    ),
    # Misleading messages before.
    pytest.param(
        _dev_with(_set("langfuse", "log_level", value="debug")),
        "stack 'dev': langfuse-rosa:langfuse.log_level is not a known key (keys are camelCase: did you mean logLevel?); allowed here: "
        "certificate, hostname, imageRegistry, licenseKey, logLevel, namespace, passwordSignUp, protectSecrets, route, telemetry, version, web, worker",
        id="snake-case-key-under-its-own-name",
    ),
    pytest.param(
        _dev_with(_set("cluster", "name", value="rosa:fire:dev [bold]x[/bold]")),
        "stack 'dev': langfuse-rosa:cluster.name = 'rosa:fire:dev [bold]x[/bold]' is invalid: must be a DNS-1123 label: lower-case "
        "letters, digits and '-', at most 63 characters",
        id="markup-and-emoji-codes-echoed-as-written",
    ),
    pytest.param(
        _dev_with(_set("langfuse", "web", "replicas", value={"min": None, "max": 2})),
        "stack 'dev': langfuse-rosa:langfuse.web.replicas.min is null: must be a whole number, like 3",
        id="null-named-as-null",
    ),
    pytest.param(
        _dev_with(_set("monitoring", "slack", value={"webhook": {"secretsManagerName": "acme/slack", "property": "url"}, "criticalChannel": "pager", "warningChannel": "#w"})),
        "stack 'dev': langfuse-rosa:monitoring.slack.criticalChannel = 'pager' is invalid: must be a Slack channel name with its '#', "
        "lower-case letters, digits, '-' and '_', like #langfuse-pager",
        id="slack-channel-by-example",
    ),
]  # fmt: skip


@pytest.mark.parametrize("text, error", REFUSED)
def test_each_class_of_bad_stack_file_is_refused_in_one_line(tmp_path, text, error):
    out = tmp_path / "out"
    outcome = _plan(tmp_path, "dev", text, out)
    assert (outcome.code, outcome.stderr.splitlines(), outcome.stdout) == (2, [f"error: {error}"], "")
    assert not out.exists()


def test_the_cluster_layer_csi_role_must_be_in_the_stack_s_account(tmp_path):
    text = BASES["cluster-dev"].read_text().replace("arn:aws:iam::111122223333:role/", "arn:aws:iam::999999999999:role/")
    outcome = _plan(tmp_path, "cluster-dev", text)
    assert outcome.stderr.splitlines() == [
        "error: stack 'cluster-dev': langfuse-rosa:storage is invalid: csiDriverRoleArn is in account 999999999999, not 111122223333 "
        "(aws.accountId): the key policy would trust another account's role"
    ]


@pytest.mark.parametrize(
    "name, accepted",
    [("dev", True), ("prod.eu_1-a", True), ("a" * 100, True), ("a" * 101, False), ("", False), ("org/proj/dev", False), ("../dev", False), ("dév", False)],
)
def test_stack_names_follow_pulumi_s_rule(name, accepted):
    outcome = run_cli("plan", "--stack", name, "--stacks-dir", str(project_path("examples")))
    assert outcome.code == 2
    assert ("is not a stack name Pulumi accepts" in outcome.stderr) is not accepted


# -- output safety --------------------------------------------------------------------------------------------------


def test_out_equal_to_or_inside_diff_against_is_refused_and_the_base_kept(previous_plans, tmp_path):
    base = tmp_path / "base"
    shutil.copytree(previous_plans, base)
    before = tree(base)
    for out in (base, base / "nested"):
        outcome = run_cli("plan", "--stack", "cluster-dev", "--out", str(out), "--diff-against", str(base))
        assert outcome.code == 2 and "overlap" in outcome.stderr, outcome
    assert tree(base) == before


def test_a_corrupt_plan_given_to_diff_against_is_one_line_and_nothing_is_written(previous_plans, tmp_path):
    base = tmp_path / "base"
    shutil.copytree(previous_plans, base)
    victim = sorted(base.rglob("*.yaml"))[1]
    victim.write_bytes(b"\xff\xfe not text")
    out = tmp_path / "out"
    outcome = run_cli("plan", "--stack", "cluster-dev", "--out", str(out), "--diff-against", str(base))
    assert outcome.stderr.splitlines() == [f"error: --diff-against {base} is not a readable plan: {victim.relative_to(base)}: not UTF-8 text"]
    assert not out.exists()


def test_an_existing_folder_that_is_no_plan_is_refused_not_wiped(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    outcome = run_cli("plan", "--stack", "cluster-dev", "--out", str(out))
    assert outcome.stderr.splitlines() == [
        f"error: --out {out} exists and holds something other than an earlier output (no summary.yaml): choose another --out"
    ]
    assert (out / "notes.txt").read_text() == "mine"


def test_an_out_under_a_file_is_one_line(tmp_path):
    (tmp_path / "file").write_text("x")
    outcome = run_cli("restore", "clickhouse", "--stack", "dev", "--backup", "full-20261122", "--out", str(tmp_path / "file" / "out"))
    assert outcome.stderr.splitlines() == [f"error: --out {tmp_path / 'file' / 'out'}: {tmp_path / 'file'} is a file, not a folder: choose another --out"]


def _in_a_small_mount(tmp_path: Path, mount_options: str, command: str) -> subprocess.CompletedProcess[str]:
    """Run `command` with tmp_path/mnt a fresh tmpfs (in a private mount namespace: real ENOSPC / EROFS)."""
    (tmp_path / "mnt").mkdir()
    script = f"set -e; mount -t tmpfs -o {mount_options} tmpfs {tmp_path}/mnt; {command}"
    return subprocess.run(["unshare", "--mount", "sh", "-c", script], capture_output=True, text=True, timeout=120, cwd=project_path())


def test_a_full_disk_keeps_the_previous_plan_and_leaves_nothing_half_written(previous_plans, tmp_path):
    # What the copy takes on tmpfs: whole pages per file and folder, not bytes.
    size = sum(p.stat().st_blocks * 512 for p in previous_plans.rglob("*")) + 4096
    cli = f"{sys.executable} -m infra.cli plan --stack dev --out {tmp_path}/mnt/plan"
    # The dev plan is larger than cluster-dev's: it cannot fit beside it.
    result = _in_a_small_mount(
        tmp_path, f"size={size + 200 * 1024}", f"cp -r {previous_plans} {tmp_path}/mnt/plan; {cli} || echo exit=$?; "
        f"ls -a {tmp_path}/mnt; grep '^stack:' {tmp_path}/mnt/plan/summary.yaml",
    )  # fmt: skip
    assert result.stderr.splitlines() == [f"error: --out cannot write {tmp_path}/mnt/plan: No space left on device; nothing was changed"], result.stderr
    assert result.stdout.splitlines() == ["exit=2", ".", "..", "plan", "stack: cluster-dev"]


def test_a_read_only_out_is_one_line(tmp_path):
    result = _in_a_small_mount(tmp_path, "ro,size=64k", f"{sys.executable} -m infra.cli plan --stack cluster-dev --out {tmp_path}/mnt/plan || echo exit=$?")
    assert result.stderr.splitlines() == [f"error: --out cannot write {tmp_path}/mnt/plan: Read-only file system; nothing was changed"]
    assert result.stdout.strip() == "exit=2"


def test_a_second_plan_replaces_the_first_whole(previous_plans, tmp_path):
    out = tmp_path / "plan"
    shutil.copytree(previous_plans, out)
    (out / "kubernetes" / "stale.yaml").write_text("from an older program\n")
    assert run_cli("plan", "--stack", "cluster-dev", "--out", str(out)).code == 0
    assert tree(out) == {**tree(previous_plans), "(siblings)": "plan"}


# -- restore input -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, error",
    [
        (["postgres", "--stack", "cluster-dev"], "stack 'cluster-dev' is a cluster-layer stack (langfuse-rosa:layer = cluster): it runs "
         "operators, not stores; restore an environment stack (langfuse-rosa:layer = environment)"),
        (["postgres", "--stack", "dev", "--target-time", "2999-01-01T00:00:00+00:00"], "stack 'dev': --target-time = '2999-01-01T00:00:00+00:00' "
         "is invalid: it is in the future (now is {now}Z): no WAL exists to replay up to it"),
        (["postgres", "--stack", "dev", "--target-time", "0001-01-01T00:00:00+01:00"], "stack 'dev': --target-time = '0001-01-01T00:00:00+01:00' "
         "is invalid: out of range, not a time the backups can hold"),
        (["postgres", "--stack", "dev", "--target-time", "2020-01-01T00:00:00+00:00"], "stack 'dev': --target-time = '2020-01-01T00:00:00+00:00' "
         "is invalid: older than the recovery window of 7 days (dataTier.postgres.backup.retentionDays): the earliest time that can be restored is about {oldest}Z"),
        (["clickhouse", "--stack", "dev", "--backup", "full-20260230"], "stack 'dev': --backup = 'full-20260230' is invalid: its date is not a real "
         "date and time (YYYYMMDD, HHMMSS in UTC)"),
        (["clickhouse", "--stack", "dev", "--backup", "incr-20261126T256100Z"], "stack 'dev': --backup = 'incr-20261126T256100Z' is invalid: its date "
         "is not a real date and time (YYYYMMDD, HHMMSS in UTC)"),
        (["clickhouse", "--stack", "dev", "--backup", "full-29990101"], "stack 'dev': --backup = 'full-29990101' is invalid: its date is in the "
         "future, so no such backup exists yet"),
    ],
)  # fmt: skip
def test_bad_restore_input_is_refused_in_one_line(args, error, tmp_path):
    outcome = run_cli("restore", *args, "--out", str(tmp_path / "out"))
    now = datetime.now(UTC)
    expected = error.format(now=f"{now:%Y-%m-%dT%H:%M}", oldest=f"{now - timedelta(days=7):%Y-%m-%dT%H:%M}")
    assert (outcome.code, outcome.stderr.splitlines()) == (2, [f"error: {expected}"])
    assert not (tmp_path / "out").exists()


def test_a_folder_whose_summary_is_not_a_plan_s_is_refused_before_planning(tmp_path):
    base = tmp_path / "base"
    base.mkdir()
    (base / "summary.yaml").write_text("garbage\n")
    out = tmp_path / "out"
    outcome = run_cli("plan", "--stack", "cluster-dev", "--out", str(out), "--diff-against", str(base))
    assert outcome.code == 2
    assert outcome.stderr.splitlines() == [
        f"error: --diff-against {base} is not a plan output (summary.yaml is not a plan's summary: no stack and resources)"
    ]
    assert not out.exists()
