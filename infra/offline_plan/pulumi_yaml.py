"""YAML as Pulumi reads a stack file, so the offline plan sees the values `pulumi up` hands the program.

Pulumi (sdk/go/common/workspace/loaders.go, LoadProjectStackBytes) strips a UTF-8 byte-order mark, decodes the
file with gopkg.in/yaml.v3 (v3.0.1, pinned in pulumi's sdk/go.mod) into `any`, refuses non-string keys at any
depth (SimplifyMarshalledValue), and turns each config value into text (sdk/go/common/resource/config:
object.go unmarshalObject / MarshalString, plaintext.go marshalText): strings as they are, other scalars and
objects as Go JSON. yaml.v3 is not YAML 1.1 (PyYAML) and not quite YAML 1.2 core either; what differs is how
a plain (unquoted) scalar resolves, ported here from yaml.v3's resolve.go:

- booleans are only true/True/TRUE/false/False/FALSE (`yes`, `on`, `no`, `off`, `y` stay strings);
- null is ``, `~`, null/Null/NULL; a top-level config key with no value reaches the program as "" (Pulumi
  warns: checkForEmptyConfig), a null inside an object stays null;
- integers: Go strconv.ParseInt with base prefixes (0x, 0o, 0b, and a leading 0 for octal: `0777` is 511),
  underscores dropped, then uint64, then floats of the YAML form; `1:20` stays a string (no sexagesimal);
- `.inf`/`.nan` are floats, which Go's JSON encoder refuses, so Pulumi cannot hand them to a program;
- an unquoted timestamp (2026-01-01, 2026-01-01T00:00:00Z, ...) becomes a Go time.Time, which Pulumi's config
  turns into Go's time.String() text ("2026-01-01 00:00:00 +0000 UTC", the zone name depending on the
  deploying machine's local zone); the stack config loader refuses that text wherever it appears;
- a duplicate key is an error ("mapping key already defined"), not last-one-wins.

PyYAML supplies the syntax (tokens, events, nodes: both it and yaml.v3 descend from libyaml) but none of its
YAML 1.1 resolution. What yaml.v3 would read in a way this module does not reproduce is refused rather than
guessed: explicit tags other than !!str, merge keys (<<), more than one document, text that is not UTF-8.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

STR_TAG = "tag:yaml.org,2002:str"
_PLAIN = "plain"  # our marker for an untagged plain scalar, resolved below as yaml.v3 would
MAX_VALUES = 100_000  # aliases expand; yaml.v3 refuses documents that alias their way to huge sizes


class YamlError(ValueError):
    """Text Pulumi would refuse, or read in a way the offline plan cannot reproduce. One line, no stack name."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.line = line
        super().__init__(f"line {line}: {message}" if line else message)


@dataclass(frozen=True)
class GoTime:
    """An unquoted YAML timestamp, as yaml.v3 decodes it (a time.Time)."""

    text: str  # as written
    go_string: str  # time.String(), as Pulumi passes it on (on a machine whose local zone is UTC)


class _Loader(Reader, Scanner, Parser, Composer, BaseResolver):
    def __init__(self, text: str) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        BaseResolver.__init__(self)

    def resolve(self, kind: type[Node], value: Any, implicit: Any) -> str:
        if kind is ScalarNode and implicit[0]:
            return _PLAIN
        return {ScalarNode: STR_TAG, SequenceNode: "tag:yaml.org,2002:seq", MappingNode: "tag:yaml.org,2002:map"}[kind]

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        event = self.peek_event()
        tag = getattr(event, "tag", None)
        if tag is not None and not (tag == STR_TAG and isinstance(event, yaml.ScalarEvent)):
            shown = tag.replace("tag:yaml.org,2002:", "!!")
            raise YamlError(f"explicit YAML tag {shown} is not supported in a stack file (only !!str): write the value plainly", _line(event))
        return super().compose_node(parent, index)


def _line(item: Any) -> int | None:
    mark = getattr(item, "start_mark", None)
    return mark.line + 1 if mark is not None else None


def decode_text(data: bytes) -> str:
    """Bytes of a stack file -> text: UTF-8, with the byte-order mark Pulumi strips (readFileStripUTF8BOM)."""
    try:
        return data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise YamlError(f"byte 0x{data[error.start]:02x} is not UTF-8: save the file as UTF-8", line) from None


def load(text: str) -> Any:
    """The document as yaml.v3 decodes it into `any`: dicts with str keys, lists, str, int, float, bool, None, GoTime."""
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as error:
        problem = error.problem or error.context or "not valid YAML"
        if "expected a single document" in str(error):
            problem = "holds more than one YAML document: Pulumi reads a stack file as one"
        mark = error.problem_mark or error.context_mark
        raise YamlError(f"not valid YAML: {problem}", mark.line + 1 if mark else None) from None
    except yaml.YAMLError as error:  # the reader's refusals (control characters) carry no problem_mark
        raise YamlError(f"not valid YAML: {error}".splitlines()[0]) from None
    if node is None:
        return None
    return _Builder().value(node)


class _Builder:
    def __init__(self) -> None:
        self.count = 0
        self.active: set[int] = set()

    def value(self, node: Node) -> Any:
        self.count += 1
        if self.count > MAX_VALUES:
            raise YamlError(f"expands (through aliases) to more than {MAX_VALUES} values", _line(node))
        if id(node) in self.active:
            raise YamlError("an anchor's value contains an alias to itself", _line(node))
        if isinstance(node, ScalarNode):
            return resolve_plain(node.value) if node.tag == _PLAIN else node.value
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [self.value(item) for item in node.value]
            return self.mapping(node)
        finally:
            self.active.discard(id(node))

    def mapping(self, node: MappingNode) -> dict[str, Any]:
        result: dict[str, Any] = {}
        lines: dict[str, int | None] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.tag == _PLAIN and key_node.value == "<<":
                raise YamlError("merge keys (<<) are not supported in a stack file: write the keys out", _line(key_node))
            key = self.value(key_node) if isinstance(key_node, ScalarNode) else None
            if not isinstance(key, str):
                shown = key_node.value if isinstance(key_node, ScalarNode) else "a list or mapping"
                raise YamlError(f"key {shown!r} is not a string: Pulumi reads only string keys (quote it)", _line(key_node))
            if key in result:
                raise YamlError(f"key {key!r} is set twice (first at line {lines[key]}): Pulumi refuses duplicate keys", _line(key_node))
            lines[key] = _line(key_node)
            result[key] = self.value(value_node)
        return result


# -- yaml.v3 resolve.go, for untagged plain scalars ----------------------------------------------------------

_RESOLVE_MAP: dict[str, Any] = {
    **dict.fromkeys(("true", "True", "TRUE"), True),
    **dict.fromkeys(("false", "False", "FALSE"), False),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), None),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf),
}
_YAML_STYLE_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_DOT_FLOAT = re.compile(r"^\.[0-9]+([eE][-+]?[0-9]+)?$")  # what Go's ParseFloat takes after a leading '.'
_INT64 = (-(2**63), 2**63 - 1)


def resolve_plain(text: str) -> Any:
    if text in _RESOLVE_MAP:
        return _RESOLVE_MAP[text]
    hint = text[:1]
    if hint == ".":
        return float(text) if _DOT_FLOAT.match(text) else text
    if not (hint.isascii() and (hint.isdigit() or hint in "+-")):
        return text  # yaml.v3's 'M' hint (y, n, t, f, o, ~) is fully covered by the map above
    stamp = go_timestamp(text)
    if stamp is not None:
        return stamp
    plain = text.replace("_", "")
    number = _go_parse_int(plain)
    if number is not None and _INT64[0] <= number <= _INT64[1]:
        return number
    if number is not None and 0 <= number < 2**64 and plain[:1] != "+":  # ParseUint: no sign
        return number
    if _YAML_STYLE_FLOAT.match(plain):
        value = float(plain)
        if not math.isinf(value):  # Go's ParseFloat reports overflow as an error: the text stays a string
            return value
    return text


def _go_parse_int(text: str) -> int | None:
    """strconv.ParseInt(text, 0, ...) without the range check: sign, then 0x/0o/0b or a leading 0 (octal)."""
    sign, digits = (text[0], text[1:]) if text[:1] in ("+", "-") else ("", text)
    base = 10
    lowered = digits[:2].lower()
    if lowered in ("0x", "0o", "0b"):
        base, digits = {"0x": 16, "0o": 8, "0b": 2}[lowered], digits[2:]
    elif digits.startswith("0") and len(digits) > 1:
        base, digits = 8, digits[1:]
    alphabet = "0123456789abcdef"[:base]
    if not digits or any(c not in alphabet for c in digits.lower()):
        return None
    value = int(digits, base)
    return -value if sign == "-" else value


# yaml.v3 tries Go's time.Parse with these layouts (resolve.go allowedTimestampFormats): month, day, hour, minute
# and second of one or two digits, an optional fraction after '.' or ',', then Z or +hh:mm (T/t forms), nothing
# (space form: any run of spaces), or nothing at all after the date.
_DATE = r"(?P<y>\d{4})-(?P<mo>\d{1,2})-(?P<d>\d{1,2})"
_TIME = r"(?P<h>\d{1,2}):(?P<mi>\d{1,2}):(?P<s>\d{1,2})(?:[.,](?P<f>\d+))?"
_TIMESTAMP_FORMS = (
    re.compile(rf"^{_DATE}[Tt]{_TIME}(?P<z>Z|[+-]\d\d:\d\d)$"),
    re.compile(rf"^{_DATE} +{_TIME}$"),
    re.compile(rf"^{_DATE}$"),
)


def go_timestamp(text: str) -> GoTime | None:
    for form in _TIMESTAMP_FORMS:
        match = form.match(text)
        if match:
            return _go_time(text, match.groupdict())
    return None


def _go_time(text: str, parts: dict[str, str | None]) -> GoTime | None:
    year, month, day = int(parts["y"] or 0), int(parts["mo"] or 0), int(parts["d"] or 0)
    hour, minute, second = (int(parts.get(k) or 0) for k in ("h", "mi", "s"))
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    if not (1 <= month <= 12 and 1 <= day <= days[month - 1] and hour < 24 and minute < 60 and second < 60):
        return None  # time.Parse refuses it: yaml.v3 then reads the text as a string
    zone = parts.get("z") or "Z"
    if zone != "Z" and (int(zone[1:3]) > 24 or int(zone[4:6]) > 60):
        return None
    fraction = (parts.get("f") or "")[:9].rstrip("0")
    clock = f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}:{second:02d}" + (f".{fraction}" if fraction else "")
    offset = "+0000" if zone == "Z" else zone[0] + zone[1:3] + zone[4:6]
    name = "UTC" if offset in ("+0000", "-0000") else offset
    return GoTime(text=text, go_string=f"{clock} {'+0000' if name == 'UTC' else offset} {name}")
