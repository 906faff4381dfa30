"""One run of the export: the window after the watermark, its rows as gzip'd JSON Lines in one new object, then
the watermark moved to the window's end.

Exactly once, across crashes: the window's end is written to the state (`pending`) before anything is exported,
so a run that dies after its upload retries the same window, whose key then exists (the upload, conditional on
If-None-Match, is refused) and the watermark moves on. The window ends `lag` before now: a row is visible to
this read only once its transaction commits, and Langfuse stamps created_at when the insert runs, so a window
must not close on transactions still open.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

DEFAULT_LAG = timedelta(minutes=15)


@dataclass(frozen=True)
class State:
    watermark: datetime | None  # every row created at or before it is exported; None: nothing yet
    pending: datetime | None = None  # the end of a window being exported


class StateStore(Protocol):
    def read(self) -> State: ...
    def write(self, state: State) -> None: ...


class Source(Protocol):
    def rows(self, after: datetime | None, until: datetime) -> Iterable[Mapping[str, Any]]: ...


class Sink(Protocol):
    def create(self, key: str, body: bytes) -> bool:
        """Store `body` under `key` unless the key exists; False when it did."""
        ...


@dataclass(frozen=True)
class RunResult:
    key: str
    rows: int
    created: bool  # False: the window had been uploaded by a run that died before moving the watermark
    watermark: datetime


def _stamp(moment: datetime | None) -> str:
    return "beginning" if moment is None else moment.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")


def object_key(prefix: str, after: datetime | None, until: datetime) -> str:
    return f"{prefix}{until.astimezone(UTC):%Y/%m/%d}/audit_logs-{_stamp(after)}-{_stamp(until)}.jsonl.gz"


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        # Prisma's timestamp(3) columns hold UTC without a zone.
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, bytes):
        # psycopg hands back types it has no loader for (Langfuse's enum AuditLogRecordType) as their text, encoded.
        return value.decode()
    return value


def encode(rows: Iterable[Mapping[str, Any]]) -> tuple[bytes, int]:
    """The rows as gzip'd JSON Lines, compressed as they stream from the cursor: only the compressed object is
    held (the first run's window is the whole table). wbits 31: a gzip stream with mtime 0, as gzip.compress(...,
    mtime=0) writes it, so the same rows always give the same bytes."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunks, count = [], 0
    for row in rows:
        line = json.dumps({k: _json(v) for k, v in row.items()}, sort_keys=True, ensure_ascii=False) + "\n"
        chunks.append(compressor.compress(line.encode()))
        count += 1
    chunks.append(compressor.flush())
    return b"".join(chunks), count


def run_once(source: Source, sink: Sink, state: StateStore, prefix: str, now: datetime, lag: timedelta = DEFAULT_LAG) -> RunResult:
    current = state.read()
    until = current.pending
    if until is None:
        until = (now - lag).astimezone(UTC).replace(microsecond=(now.microsecond // 1000) * 1000)
        if current.watermark is not None and until <= current.watermark:
            return RunResult("", 0, False, current.watermark)
        state.write(State(current.watermark, until))
    body, count = encode(source.rows(current.watermark, until))
    key = object_key(prefix, current.watermark, until)
    created = sink.create(key, body)
    state.write(State(until, None))
    return RunResult(key, count, created, until)
