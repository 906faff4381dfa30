"""statsd_exporter's documented mapping semantics, for the subset our mapping uses, so a test can turn the
DogStatsD lines Langfuse's real client sends into the Prometheus series the exporter would serve.

The exporter binary itself is in no registry this project can install from (not PyPI, Debian or npm), so
this follows its documentation (prometheus/statsd_exporter README, "Metric Mapping and Configuration"):
- a line is `name:value|type[|@rate][|#tag:value,...]`, DogStatsD tags become labels; other sections (like
  dd-trace's container field `|c:...`) carry no label;
- c -> counter (values add up), g -> gauge (last value), d/h/ms -> observer (histogram with the defaults'
  buckets);
- glob mappings: `*` matches one dot-separated component, `$n` is the n-th match; the first mapping that
  matches (in file order) wins; `match_metric_type` restricts a mapping to counter, gauge or observer;
  `action: drop` discards; mapping labels are added to the tag labels.
Patterns with a `*` inside a component, or other match types, are refused rather than guessed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

_TYPES = {"c": "counter", "g": "gauge", "d": "observer", "h": "observer", "ms": "observer"}
_LABEL = re.compile(r"[^a-zA-Z0-9_]")


@dataclass(frozen=True)
class Sample:
    name: str
    value: float
    type: str  # counter | gauge | observer
    tags: dict[str, str]


def parse_line(line: str) -> Sample:
    name_value, type_code, *sections = line.split("|")
    name, value = name_value.rsplit(":", 1)
    tags: dict[str, str] = {}
    for section in sections:
        if section.startswith("#"):
            for tag in section[1:].split(","):
                key, _, val = tag.partition(":")
                tags[_LABEL.sub("_", key)] = val
    return Sample(name, float(value), _TYPES[type_code], tags)


def _glob_match(pattern: str, name: str) -> list[str] | None:
    pattern_parts, name_parts = pattern.split("."), name.split(".")
    if len(pattern_parts) != len(name_parts):
        return None
    captured = []
    for p, n in zip(pattern_parts, name_parts, strict=True):
        if p == "*":
            captured.append(n)
        elif "*" in p:
            raise ValueError(f"unsupported glob component {p!r} in {pattern!r}")
        elif p != n:
            return None
    return captured


def _substitute(template: str, captured: list[str]) -> str:
    return re.sub(r"\$(\d+)", lambda m: captured[int(m.group(1)) - 1], template)


class Exporter:
    """The series an exporter with `config` would serve after receiving `lines`."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.mappings = config["mappings"]
        self.buckets = config["defaults"]["histogram_options"]["buckets"]
        for mapping in self.mappings:
            if mapping.get("match_type", "glob") not in ("glob", "regex"):
                raise ValueError(f"unsupported match_type in {mapping}")
        self.series: dict[tuple[str, tuple[tuple[str, str], ...]], float] = defaultdict(float)

    def receive(self, line: str) -> None:
        sample = parse_line(line)
        for mapping in self.mappings:
            if mapping.get("match_metric_type") not in (None, sample.type):
                continue
            if mapping.get("match_type") == "regex":
                if not re.search(mapping["match"], sample.name):
                    continue
                captured: list[str] = []
            else:
                found = _glob_match(mapping["match"], sample.name)
                if found is None:
                    continue
                captured = found
            if mapping.get("action") == "drop":
                return
            labels = dict(sample.tags)
            labels.update({k: _substitute(v, captured) for k, v in (mapping.get("labels") or {}).items()})
            self._record(_substitute(mapping["name"], captured), sample, labels)
            return
        raise AssertionError(f"no mapping (not even the final drop) matched {sample.name}")

    def _record(self, name: str, sample: Sample, labels: dict[str, str]) -> None:
        key = tuple(sorted(labels.items()))
        if sample.type == "counter":
            self.series[(name, key)] += sample.value
        elif sample.type == "gauge":
            self.series[(name, key)] = sample.value
        else:
            for bound in self.buckets:
                if sample.value <= bound:
                    self.series[(f"{name}_bucket", tuple(sorted({**labels, "le": str(bound)}.items())))] += 1
            self.series[(f"{name}_bucket", tuple(sorted({**labels, "le": "+Inf"}.items())))] += 1
            self.series[(f"{name}_sum", key)] += sample.value
            self.series[(f"{name}_count", key)] += 1

    def value(self, name: str, **labels: str) -> float | None:
        """The value of the one series `name` whose labels include `labels`."""
        matches = [v for (n, key), v in self.series.items() if n == name and labels.items() <= dict(key).items()]
        assert len(matches) <= 1, f"{name}{labels} matches {len(matches)} series"
        return matches[0] if matches else None

    def names(self) -> set[str]:
        return {name for name, _ in self.series}
