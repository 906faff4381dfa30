"""Langfuse's audit_logs, read from PostgreSQL in created_at order (its index audit_logs_created_at_idx)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row


def _naive_utc(moment: datetime) -> datetime:
    # created_at is timestamp(3) without time zone, in UTC (Prisma's DateTime).
    return moment.astimezone(UTC).replace(tzinfo=None)


class PostgresAuditLogs:
    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo

    def rows(self, after: datetime | None, until: datetime) -> Iterator[Mapping[str, Any]]:
        query = "SELECT * FROM audit_logs WHERE created_at <= %(until)s" + ("" if after is None else " AND created_at > %(after)s")
        parameters = {"until": _naive_utc(until), "after": _naive_utc(after) if after else None}
        with psycopg.connect(self.conninfo, row_factory=dict_row) as connection, connection.transaction():
            # A named (server-side) cursor streams the window instead of holding it in memory at once.
            with connection.cursor(name="audit_logs_export") as cursor:
                cursor.execute(query + " ORDER BY created_at, id", parameters)
                yield from cursor
