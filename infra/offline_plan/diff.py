"""Compare two offline plans (e.g. a pull request's and main's): which objects were added, removed or changed,
and for a changed one which fields, as paths with the old and new value. Reads only the plan directories
(every file is YAML or Markdown), so any two plans compare, whatever produced them.

What makes the diff reviewable:
- an object is a Kubernetes manifest (one file each) or one entry of `resources/<package>.yaml`, keyed by its
  type and name, so adding a resource shows as that resource added, never as every later entry shifted;
- list items are matched by their natural key where every item has one (containers, env, ports, volumes by
  `name`; IAM policy statements by `Sid`; lifecycle rules by `id`), so a path reads
  `containers[name=langfuse-web].env[name=AWS_REGION].value`, whatever the item's position;
- a string holding a JSON document (IAM, bucket and key policies travel as JSON strings in the inputs) is
  parsed and compared field by field (`policy<json>.Statement[Sid=DenyInsecureTransport].Effect`);
- a multi-line string (configuration files in ConfigMaps) is compared line by line, and a long value shows
  the part that differs, never a prefix that looks the same on both sides.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from infra.offline_plan.plan import PLAN_README
from infra.offline_plan.render import SUMMARY_FILE

MAX_VALUE = 100
MAX_TEXT_LINES = 60
DIFF_FILE = "diff.md"
# Files that restate the objects (counts, the reading guide): the objects themselves carry every change.
_NOT_COMPARED = (SUMMARY_FILE, DIFF_FILE, PLAN_README)
# Natural keys of list items, in order of preference: the first one every item of both lists has, unique.
NATURAL_KEYS = ("name", "Sid", "id", "mountPath", "containerPort", "key")


@dataclass(frozen=True)
class FieldChange:
    path: str
    before: Any
    after: Any

    def describe(self) -> str:
        if self.path in ("+", "-"):  # a line of a Markdown file
            return f"{self.path} " + str(self.after if self.path == "+" else self.before).replace("`", "'")
        before, after = _pair(self.before, self.after)
        return f"{self.path}: {before} -> {after}"


@dataclass(frozen=True)
class PlanDiff:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, list[FieldChange]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def markdown(self, title: str) -> str:
        lines = [f"### {title}", ""]
        if self.empty:
            return "\n".join([*lines, "No change to the desired state.", ""])
        lines.append(f"{len(self.added)} added, {len(self.removed)} removed, {len(self.changed)} changed.")
        lines += ["", *(f"- added `{f}`" for f in self.added), *(f"- removed `{f}`" for f in self.removed)]
        for path, changes in self.changed.items():
            lines.append(f"- changed `{path}`")
            lines += [f"  - `{c.describe()}`" for c in changes]
        return "\n".join(lines) + "\n"


_ABSENT = object()


def _scalar(value: Any) -> str:
    if value is _ABSENT:
        return "(absent)"
    text = yaml.safe_dump(value, default_flow_style=True, width=1_000_000).strip()
    return text.removesuffix("\n...").removesuffix("...").strip().replace("`", "'")


def _pair(before: Any, after: Any) -> tuple[str, str]:
    """Both values as short text; two long texts keep what differs between them (with a little context)."""
    old, new = _scalar(before), _scalar(after)
    if len(old) <= MAX_VALUE and len(new) <= MAX_VALUE:
        return old, new
    start = 0
    while start < min(len(old), len(new)) and old[start] == new[start]:
        start += 1
    end = 0
    while end < min(len(old), len(new)) - start and old[-1 - end] == new[-1 - end]:
        end += 1
    start = max(0, start - 20)
    end = max(0, end - 20)
    return _window(old, start, end), _window(new, start, end)


def _window(text: str, start: int, end: int) -> str:
    middle = text[start : len(text) - end]
    if len(middle) > MAX_VALUE:
        middle = middle[:MAX_VALUE] + "…"
    return ("…" if start else "") + middle + ("…" if end else "")


def _json_document(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return _ABSENT
    return _ABSENT


def _fields(before: Any, after: Any, path: str = "") -> list[FieldChange]:
    if before == after:
        return []
    if isinstance(before, dict) and isinstance(after, dict):
        changes: list[FieldChange] = []
        for key in sorted(set(before) | set(after), key=str):
            changes += _fields(before.get(key, _ABSENT), after.get(key, _ABSENT), f"{path}.{key}" if path else str(key))
        return changes
    if isinstance(before, list) and isinstance(after, list):
        return _list_fields(before, after, path)
    old_doc, new_doc = _json_document(before), _json_document(after)
    if old_doc is not _ABSENT and new_doc is not _ABSENT:
        return _fields(old_doc, new_doc, f"{path}<json>")
    if isinstance(before, str) and isinstance(after, str) and ("\n" in before or "\n" in after):
        return _line_changes(before, after, path)
    return [FieldChange(path, before, after)]


def _natural_key(before: list[Any], after: list[Any]) -> str | None:
    items = before + after
    if not items or not all(isinstance(item, dict) for item in items):
        return None
    for key in NATURAL_KEYS:
        if all(key in item and isinstance(item[key], str | int) for item in items):
            if len({item[key] for item in before}) == len(before) and len({item[key] for item in after}) == len(after):
                return key
    return None


def _list_fields(before: list[Any], after: list[Any], path: str) -> list[FieldChange]:
    key = _natural_key(before, after)
    if key is not None:
        old = {item[key]: item for item in before}
        new = {item[key]: item for item in after}
        order = [k for k in (item[key] for item in before)] + [k for k in (item[key] for item in after) if k not in old]
        return [c for k in order for c in _fields(old.get(k, _ABSENT), new.get(k, _ABSENT), f"{path}[{key}={k}]")]
    if len(before) == len(after):
        return [c for i, (b, a) in enumerate(zip(before, after, strict=True)) for c in _fields(b, a, f"{path}[{i}]")]
    # Unkeyed lists of different length: align equal items, compare the rest position by position.
    canonical = (
        [json.dumps(v, sort_keys=True, default=str) for v in before],
        [json.dumps(v, sort_keys=True, default=str) for v in after],
    )
    changes: list[FieldChange] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, *canonical, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        for offset in range(max(i2 - i1, j2 - j1)):
            old = before[i1 + offset] if i1 + offset < i2 else _ABSENT
            new = after[j1 + offset] if j1 + offset < j2 else _ABSENT
            changes += _fields(old, new, f"{path}[{j1 + offset if new is not _ABSENT else i1 + offset}]")
    return changes


def _line_changes(before: str, after: str, path: str) -> list[FieldChange]:
    old, new = before.splitlines(), after.splitlines()
    changes = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag != "equal":
            where = f"{path} line {j1 + 1}" if j2 > j1 else f"{path} line {i1 + 1}"
            changes.append(
                FieldChange(where, "\n".join(old[i1:i2]) if i2 > i1 else _ABSENT, "\n".join(new[j1:j2]) if j2 > j1 else _ABSENT)
            )
    return changes


class PlanReadError(ValueError):
    """A folder given as a plan is not one a plan run wrote. One line."""


def check_plan_folder(directory: Path) -> None:
    """A folder a plan run wrote: its summary.yaml is a plan's summary (a mapping naming the stack and its resources)."""
    summary = directory / SUMMARY_FILE
    if not summary.is_file():
        raise PlanReadError(f"{directory} is not a plan output (no {SUMMARY_FILE})")
    try:
        document = yaml.load(summary.read_bytes(), Loader=yaml.CSafeLoader)
    except (OSError, yaml.YAMLError):
        document = None
    if not (isinstance(document, dict) and isinstance(document.get("stack"), str) and isinstance(document.get("resources"), dict)):
        raise PlanReadError(f"{directory} is not a plan output ({SUMMARY_FILE} is not a plan's summary: no stack and resources)")


def _plan_texts(directory: Path) -> dict[str, str]:
    check_plan_folder(directory)
    texts = {}
    for path in sorted(directory.rglob("*")):
        name = str(path.relative_to(directory))
        if not path.is_file() or name in _NOT_COMPARED:
            continue
        try:
            texts[name] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise PlanReadError(
                f"{directory} is not a readable plan: {name}: {getattr(error, 'strerror', None) or 'not UTF-8 text'}"
            ) from None
    return texts


def _parse(directory: Path | None, name: str, text: str) -> Any:
    try:
        return yaml.load(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        raise PlanReadError(f"{directory} is not a readable plan: {name} is not valid YAML") from None


def _objects(directory: Path | None, name: str, text: str) -> dict[str, Any]:
    """The objects one plan file holds: a manifest is one object (its file names it); `resources/*.yaml` holds one
    per entry, named `<file>: <type> <name>`."""
    document = _parse(directory, name, text)
    if (
        name.startswith("resources/")
        and isinstance(document, list)
        and all(isinstance(e, dict) and "type" in e and "name" in e for e in document)
    ):
        return {f"{name}: {entry['type']} {entry['name']}": entry for entry in document}
    return {name: document}


def diff_plans(base: Path, head: Path | Mapping[str, str]) -> PlanDiff:
    """`head` is another plan folder, or the files of a plan about to be written (Plan.files())."""
    old_texts = _plan_texts(base)
    new_texts = _plan_texts(head) if isinstance(head, Path) else {k: v for k, v in head.items() if k not in _NOT_COMPARED}
    head_dir = head if isinstance(head, Path) else None
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    text_changes: dict[str, list[FieldChange]] = {}
    for name in sorted(set(old_texts) | set(new_texts)):
        before, after = old_texts.get(name), new_texts.get(name)
        if before == after:
            continue
        if not name.endswith(".yaml"):
            if before is None:
                new[name] = after
            elif after is None:
                old[name] = before
            else:
                text_changes[name] = _text_changes(before, after)
            continue
        if before is not None:
            old.update(_objects(base, name, before))
        if after is not None:
            new.update(_objects(head_dir, name, after))
    result = PlanDiff(added=sorted(set(new) - set(old)), removed=sorted(set(old) - set(new)))
    for name in sorted((set(old) & set(new)) | set(text_changes)):
        changes = text_changes.get(name) or _fields(old[name], new[name])
        if changes:
            result.changed[name] = changes
    return result


def _text_changes(before: str, after: str) -> list[FieldChange]:
    """A Markdown file (matrices, tables): its removed and added lines."""
    changes = []
    for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0):
        if line.startswith(("---", "+++", "@@")):
            continue
        changes.append(FieldChange("+", _ABSENT, line[1:]) if line.startswith("+") else FieldChange("-", line[1:], _ABSENT))
        if len(changes) == MAX_TEXT_LINES:
            changes.append(FieldChange("(more lines)", _ABSENT, "see the file itself"))
            break
    return changes
