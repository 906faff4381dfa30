"""What a round trip observed: one result per step (passed or the one-line reason it failed, and its time),
the facts worth keeping (trace id, version, ingestion-to-queryable seconds), rendered as Markdown for a
workflow's job summary and as JSON for machines."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from langfuse_incluster import contract


@dataclass(frozen=True)
class StepResult:
    name: str
    ok: bool
    seconds: float
    detail: str  # what the step observed, or why it failed (one line)


@dataclass
class Report:
    title: str
    url: str
    started_at: datetime
    steps: list[StepResult] = field(default_factory=list)
    facts: dict[str, object] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(step.ok for step in self.steps)

    @property
    def failed(self) -> StepResult | None:
        return next((step for step in self.steps if not step.ok), None)

    @property
    def seconds(self) -> float:
        return sum(step.seconds for step in self.steps)

    def headline(self) -> str:
        if self.ok:
            return f"{self.title}: passed, {len(self.steps)} steps in {self.seconds:.1f} s"
        failed = self.failed
        assert failed is not None
        return f"{self.title}: failed at step {failed.name}: {failed.detail}"

    def markdown(self) -> str:
        mark = "✅" if self.ok else "❌"
        lines = [
            f"### {mark} {self.title}",
            "",
            f"{self.url}, started {self.started_at.isoformat(timespec='seconds')}: "
            + ("passed." if self.ok else f"**failed at step `{self.failed.name}`**."),  # type: ignore[union-attr]
            "",
            "| step | result | seconds | detail |",
            "| --- | --- | ---: | --- |",
        ]
        for step in self.steps:
            detail = step.detail.replace("|", "\\|")
            lines.append(f"| {step.name} | {'passed' if step.ok else '**failed**'} | {step.seconds:.2f} | {detail} |")
        if self.facts:
            lines += ["", "| fact | value |", "| --- | --- |"]
            lines += [f"| {key} | {value} |" for key, value in self.facts.items()]
        return "\n".join(lines) + "\n"

    def as_json(self) -> str:
        document = {
            "title": self.title,
            "url": self.url,
            "startedAt": self.started_at.isoformat(),
            "ok": self.ok,
            "failedStep": self.failed.name if self.failed else None,
            "seconds": round(self.seconds, 3),
            "steps": [asdict(step) | {"seconds": round(step.seconds, 3)} for step in self.steps],
            "facts": self.facts,
        }
        return json.dumps(document, indent=2, sort_keys=False) + "\n"

    def write(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / contract.VERIFY_REPORT_MARKDOWN).write_text(self.markdown())
        (directory / contract.VERIFY_REPORT_JSON).write_text(self.as_json())
