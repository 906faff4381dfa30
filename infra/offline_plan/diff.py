"""Compare two offline plans (e.g. a pull request's and main's): which objects were added, removed or changed,
and for a changed one which fields, as dotted paths with the old and new value. Reads only the plan
directories (every file is YAML or Markdown), so any two plans compare, whatever produced them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from infra.offline_plan.render import SUMMARY_FILE

MAX_VALUE = 80
DIFF_FILE = "diff.md"


@dataclass(frozen=True)
class FieldChange:
    path: str
    before: Any
    after: Any

    def describe(self) -> str:
        return f"{self.path}: {_short(self.before)} -> {_short(self.after)}"


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


def _short(value: Any) -> str:
    text = "(absent)" if value is _ABSENT else yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
    text = text.removesuffix("\n...").removesuffix("...").strip()
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


_ABSENT = object()


def _fields(before: Any, after: Any, path: str = "") -> list[FieldChange]:
    if isinstance(before, dict) and isinstance(after, dict):
        changes: list[FieldChange] = []
        for key in sorted(set(before) | set(after), key=str):
            sub = f"{path}.{key}" if path else str(key)
            changes += _fields(before.get(key, _ABSENT), after.get(key, _ABSENT), sub)
        return changes
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [c for i, (b, a) in enumerate(zip(before, after, strict=True)) for c in _fields(b, a, f"{path}[{i}]")]
    return [] if before == after else [FieldChange(path, before, after)]


class PlanReadError(ValueError):
    """A folder given as a plan is not one a plan run wrote. One line."""


def _plan_texts(directory: Path) -> dict[str, str]:
    # The summary restates counts and the matrices; the objects themselves carry the change.
    if not (directory / SUMMARY_FILE).is_file():
        raise PlanReadError(f"{directory} is not a plan output (no {SUMMARY_FILE})")
    texts = {}
    for path in sorted(directory.rglob("*")):
        if not path.is_file() or path.name in (SUMMARY_FILE, DIFF_FILE):
            continue
        name = str(path.relative_to(directory))
        try:
            texts[name] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise PlanReadError(f"{directory} is not a readable plan: {name}: {getattr(error, 'strerror', None) or 'not UTF-8 text'}") from None
    return texts


def _parse(directory: Path, name: str, text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        raise PlanReadError(f"{directory} is not a readable plan: {name} is not valid YAML") from None


def diff_plans(base: Path, head: Path | Mapping[str, str]) -> PlanDiff:
    """`head` is another plan folder, or the files of a plan about to be written (Plan.files())."""
    old = _plan_texts(base)
    new = _plan_texts(head) if isinstance(head, Path) else {k: v for k, v in head.items() if k not in (SUMMARY_FILE, DIFF_FILE)}
    result = PlanDiff(added=sorted(set(new) - set(old)), removed=sorted(set(old) - set(new)))
    for name in sorted(set(old) & set(new)):
        before, after = old[name], new[name]
        if before == after:
            continue
        if name.endswith(".yaml"):
            changes = _fields(_parse(base, name, before), yaml.safe_load(after))
        else:
            changes = [FieldChange("(text)", f"{len(before.splitlines())} lines", f"{len(after.splitlines())} lines")]
        result.changed[name] = changes
    return result
