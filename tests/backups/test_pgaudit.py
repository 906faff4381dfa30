"""pgaudit with prod's rendered settings, in Debian's real PostgreSQL and pgaudit (postgresql-15-pgaudit): DDL and
role/privilege changes are logged, a parameterised INSERT's values are not. The server gets what CloudNativePG does
with those parameters (docs, "PostgreSQL Configuration", managed extensions): pgaudit in shared_preload_libraries
and the extension created in the database. A control turns parameter logging on and sees the value appear, so the
absence above is the settings' doing."""

from __future__ import annotations

import psycopg
import pytest

from tests.backups.test_postgres_pitr import PG_BIN, Postgres, _append, workdir  # noqa: F401 (fixture)
from tests.conftest import find
from tests.local_servers import free_port

SECRET = "s3cr3t-user-data-7f1c"


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def test_rendered_pgaudit_settings_log_ddl_and_grants_and_never_parameters(plans, workdir):  # noqa: F811
    if not (PG_BIN.parent / "lib" / "pgaudit.so").exists():
        pytest.fail("pgaudit is missing: scripts/bootstrap installs Debian's postgresql-15-pgaudit")
    parameters = find(plans["prod"], "Cluster", "langfuse-postgres")["spec"]["postgresql"]["parameters"]
    audit = {k: v for k, v in parameters.items() if k.startswith("pgaudit.")}
    assert audit == {"pgaudit.log": "ddl, role", "pgaudit.log_parameter": "off", "pgaudit.log_relation": "off"}

    server = Postgres(workdir / "pg", free_port(), {"PATH": "/usr/bin:/bin", "PGUSER": "postgres"})
    server.run("mkdir", str(server.data.parent))
    server.run(str(PG_BIN / "initdb"), "-D", str(server.data), "-U", "postgres", "-A", "trust")
    log = server.data.parent / f"log-{server.port}"
    _append(server, {
        "port": str(server.port), "listen_addresses": "''", "unix_socket_directories": _quoted(str(server.socket_dir)),
        "shared_preload_libraries": "'pgaudit'", **{k: _quoted(v) for k, v in audit.items()},
    })  # fmt: skip
    server.start()
    try:
        server.sql("CREATE EXTENSION pgaudit")
        with psycopg.connect(host=str(server.socket_dir), port=server.port, user="postgres", dbname="postgres", autocommit=True) as db:
            db.execute("CREATE TABLE traces (id int PRIMARY KEY, input text)")
            db.execute("CREATE ROLE analyst NOLOGIN")
            db.execute("GRANT SELECT ON traces TO analyst")
            # Extended protocol: the value travels as a bound parameter, as Prisma sends Langfuse's.
            db.execute("INSERT INTO traces VALUES (%s, %s)", (1, SECRET), prepare=True)
            db.execute("SELECT input FROM traces WHERE id = %s", (1,))
            logged = log.read_text()
            # pgaudit's CSV: class, command, object type and name, statement, parameter ("<not logged>": log_parameter off).
            assert 'AUDIT: SESSION,1,1,DDL,CREATE TABLE,TABLE,public.traces,"CREATE TABLE traces (id int PRIMARY KEY, input text)",<not logged>' in logged
            assert "AUDIT: SESSION,2,1,ROLE,CREATE ROLE,,,CREATE ROLE analyst NOLOGIN,<not logged>" in logged
            assert "AUDIT: SESSION,3,1,ROLE,GRANT,TABLE,,GRANT SELECT ON traces TO analyst,<not logged>" in logged
            assert SECRET not in logged and ",WRITE," not in logged and ",READ," not in logged

            # Control: with writes and their parameters logged, the same INSERT does show the value.
            db.execute("ALTER SYSTEM SET pgaudit.log = 'ddl, role, write'")
            db.execute("ALTER SYSTEM SET pgaudit.log_parameter = on")
            db.execute("SELECT pg_reload_conf()")
        with psycopg.connect(host=str(server.socket_dir), port=server.port, user="postgres", dbname="postgres", autocommit=True) as db:
            db.execute("INSERT INTO traces VALUES (%s, %s)", (2, SECRET), prepare=True)
        assert SECRET in log.read_text()
    finally:
        server.stop()
