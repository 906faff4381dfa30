"""A real ClickHouse engine for the rendered scripts: chdb (ClickHouse 26.x in-process, the clickhouse-local
engine) behind a `clickhouse-client` on PATH, against moto's S3.

The scripts run unchanged under bash; their `clickhouse-client --query ...` reaches the engine in the test
process through a Unix socket, and what the engine answers is what the script reads. Differences from the
servers, each deliberate and said where it applies:
- chdb has no cluster and no Keeper, so `ON CLUSTER '<name>'` is stripped before a statement runs (the
  engine records every statement as the script sent it, and as it ran);
- for the same reason Replicated*MergeTree tables stay read-only in it (measured: TABLE_IS_READ_ONLY), so
  the Langfuse table under test is taken from its clustered migration with the Replicated engine replaced
  by the local one (tests/data/langfuse/clickhouse);
- chdb's `default` database has no stored engine (SHOW CREATE DATABASE prints none), which RESTORE ... AS
  rejects as a different definition; a server's is Atomic, so the test recreates it Atomic first;
- one chdb engine lives in a process at a time: the serving side and the drill's own server are opened one
  after the other, each with its own data directory and configuration;
- `INSERT ... FORMAT Native` with rows on the client's stdin (how the analytics loader streams clickhouse-local's
  output into the cluster) runs as `INSERT ... SELECT * FROM file(<those rows>, 'Native')`; `clickhouse-local`
  is the same client (chdb *is* clickhouse-local's engine), so both commands reach the one engine;
- `rewrite`, when given, maps a statement before it runs (the analytics tests read a Distributed table's one
  local table: chdb has no server port, so a cluster's shards are never local to it).
"""

from __future__ import annotations

import os
import re
import socket
import stat
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import chdb

ON_CLUSTER = re.compile(r"\s+ON CLUSTER '[^']*'")
NATIVE_INSERT = re.compile(r"^(INSERT INTO .*?)\s*FORMAT Native\s*$", re.DOTALL)
CLIENT = """#!{python} -S
# clickhouse-client (and clickhouse-local) for the tests: sends --query, and for an INSERT ... FORMAT Native the
# rows on stdin, to the chdb engine of the test process.
import os, socket, sys
query = sys.argv[sys.argv.index("--query") + 1].encode()
rows = sys.stdin.buffer.read() if query.startswith(b"INSERT") and query.rstrip().endswith(b"FORMAT Native") else b""
s = socket.socket(socket.AF_UNIX)
s.connect(os.environ["CHDB_SOCKET"])
s.sendall(str(len(query)).encode() + b"\\n" + query + rows)
s.shutdown(socket.SHUT_WR)
answer = b"".join(iter(lambda: s.recv(65536), b""))
code, _, out = answer.partition(b"\\n")
(sys.stdout if code == b"0" else sys.stderr).buffer.write(out)
sys.exit(int(code))
"""


@dataclass
class Engine:
    connection: Any  # chdb.connect(...)
    sent: list[str] = field(default_factory=list)  # as the scripts sent them
    ran: list[str] = field(default_factory=list)  # as the engine ran them

    def query(self, sql: str, fmt: str = "TSV") -> str:
        return self.query_bytes(sql, fmt).decode()

    def query_bytes(self, sql: str, fmt: str = "TSV") -> bytes:
        self.ran.append(sql)
        return self.connection.query(sql, fmt).bytes()

    def rows(self, sql: str) -> list[list[str]]:
        return [line.split("\t") for line in self.query(sql).splitlines()]


@contextmanager
def chdb_engine(workdir: Path, config: str, rewrite: Callable[[str], str] = lambda sql: sql) -> Iterator[Engine]:
    """An engine on `workdir/data` with `config` (a ClickHouse config file's text) loaded, serving the
    client at `workdir/engine.sock`."""
    workdir.mkdir(parents=True, exist_ok=True)
    config_file = workdir / "config.xml"
    config_file.write_text(config)
    engine = Engine(chdb.connect(f"{workdir / 'data'}?config-file={config_file}"))
    sock_path = workdir / "engine.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(sock_path))
    server.listen()
    lock = threading.Lock()

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                received = b"".join(iter(lambda c=conn: c.recv(65536), b""))
                length, _, rest = received.partition(b"\n")
                sql, rows = rest[: int(length)].decode(), rest[int(length) :]
                with lock:
                    engine.sent.append(sql)
                    try:
                        statement = rewrite(ON_CLUSTER.sub("", sql))
                        if rows:
                            rows_file = workdir / "rows.native"
                            rows_file.write_bytes(rows)
                            statement = NATIVE_INSERT.sub(lambda m, f=rows_file: f"{m.group(1)} SELECT * FROM file('{f}', 'Native')", statement)
                        answer = b"0\n" + engine.query_bytes(statement)
                    except Exception as error:  # the engine's own message, as clickhouse-client prints it
                        answer = b"1\n" + str(error).encode() + b"\n"
                conn.sendall(answer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield engine
    finally:
        server.close()
        thread.join(timeout=5)
        sock_path.unlink(missing_ok=True)
        engine.connection.close()


def client_env(bin_dir: Path, workdir: Path) -> dict[str, str]:
    """The environment that puts the chdb-backed clickhouse-client (and clickhouse-local) first on PATH."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    for name in ("clickhouse-client", "clickhouse-local"):
        client = bin_dir / name
        client.write_text(CLIENT.format(python=sys.executable))
        client.chmod(client.stat().st_mode | stat.S_IXUSR)
    return {"PATH": f"{bin_dir}:{os.environ['PATH']}", "CHDB_SOCKET": str(workdir / "engine.sock")}
