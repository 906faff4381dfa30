"""The audit export's object: gzip'd JSON Lines, compressed while the rows stream, the same bytes for the same rows."""

from __future__ import annotations

import gzip
import json
from datetime import datetime

from langfuse_incluster.audit_export.export import encode


def test_streamed_rows_give_the_one_shot_gzip_of_their_json_lines():
    rows = [{"id": f"a{i}", "action": "create", "created_at": datetime(2026, 1, 1, 12, 0, i % 60), "after": {"note": "x" * i}} for i in range(500)]
    body, count = encode(iter(rows))
    lines = [json.loads(line) for line in gzip.decompress(body).decode().splitlines()]
    assert count == 500 and [line["id"] for line in lines] == [row["id"] for row in rows]
    assert lines[1]["created_at"] == "2026-01-01T12:00:01.000Z"
    assert body == gzip.compress(gzip.decompress(body), mtime=0) == encode(iter(rows))[0]
    assert encode(iter([])) == (gzip.compress(b"", mtime=0), 0)
