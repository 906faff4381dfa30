"""PostgreSQL point-in-time recovery, for real, on the Barman Cloud Plugin's configuration: a local PostgreSQL
(Debian) archives its WAL and takes a base backup with Barman Cloud's own commands (PyPI barman[cloud] at the pin
in tests/backups/barman/, the Barman the plugin's v0.14.0 sidecar ships) into moto's S3 server, with the flags
the plugin derives from prod's rendered ObjectStore; the backup is then restored by prod's restore-drill scripts
(the Barman side and the PostgreSQL side as two processes, as the drill pod's two images run them) into a new
data directory, to a time between two writes, and the data must be exactly what it was at that time."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest

from tests.conftest import find, project_path
from tests.local_servers import free_port, moto_server

PG_BIN = Path("/usr/lib/postgresql/15/bin")
BUCKET = "drill-backups"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "drill", "AWS_SECRET_ACCESS_KEY": "drill", "AWS_DEFAULT_REGION": "eu-west-1"}


def _as_postgres(command: list[str]) -> list[str]:
    # The server refuses to run as root; the archive/restore commands run as whoever runs the server.
    return ["setpriv", "--reuid=postgres", "--regid=postgres", "--clear-groups", *command] if os.geteuid() == 0 else command


@dataclass(frozen=True)
class BarmanSettings:
    """The barman-cloud flags the plugin's sidecar uses for a Cluster that archives into an ObjectStore, derived as
    cloudnative-pg/barman-cloud does at the commit plugin v0.14.0 pins (950b0f57): barman-cloud-wal-archive gets
    `--<wal.compression> -e <wal.encryption>` (pkg/archiver/command.go), barman-cloud-backup `--user postgres
    --<data.compression> --encryption <data.encryption> --jobs <data.jobs>` (pkg/backup/backup.go), both
    `--cloud-provider aws-s3` for S3 credentials (pkg/command/commandbuilder.go), then the destination and the
    serverName, which is the Cluster's plugin parameter (the plugin's internal/cnpgi/operator/config)."""

    destination_prefix: str
    server_name: str
    wal_flags: tuple[str, ...]
    data_flags: tuple[str, ...]
    cloud_flags: tuple[str, ...]

    @classmethod
    def from_plan(cls, cluster: dict, stores: dict[str, dict]) -> BarmanSettings:
        (archiver,) = [p for p in cluster["spec"]["plugins"] if p["name"] == "barman-cloud.cloudnative-pg.io" and p["isWALArchiver"]]
        configuration = stores[archiver["parameters"]["barmanObjectName"]]["spec"]["configuration"]
        wal, data = configuration["wal"], configuration["data"]
        assert "s3Credentials" in configuration
        return cls(
            destination_prefix=configuration["destinationPath"].split("/", 3)[3],
            server_name=archiver["parameters"]["serverName"],
            wal_flags=(f"--{wal['compression']}", "-e", wal["encryption"], *wal.get("archiveAdditionalCommandArgs", [])),
            data_flags=(
                "--user", "postgres", f"--{data['compression']}", "--encryption", data["encryption"], "--jobs", str(data["jobs"]),
                *data.get("additionalCommandArgs", []),
            ),
            cloud_flags=("--cloud-provider", "aws-s3"),
        )


@pytest.fixture
def workdir():
    """A directory the server's user owns (pytest's own temporary directories are private to the test user)."""
    path = Path(tempfile.mkdtemp(prefix="pg-drill-"))
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")
    yield path
    for log in sorted(path.glob("*/log-*")):
        print(f"--- {log.name}\n{log.read_text()[-3000:]}")
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def s3():
    with moto_server() as endpoint:
        client = boto3.client("s3", endpoint_url=endpoint, **{k.lower(): v for k, v in CREDENTIALS.items() if k != "AWS_DEFAULT_REGION"}, region_name="eu-west-1")
        client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        yield endpoint, client


class Postgres:
    def __init__(self, directory: Path, port: int, env: dict[str, str]) -> None:
        self.data, self.port, self.env = directory / "data", port, env
        self.socket_dir = directory

    def run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(_as_postgres(list(command)), env=self.env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0 or not check, f"{command[0]}: {result.stderr}"
        return result

    def start(self) -> None:
        self.run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-w", "-t", "60", "-l", str(self.data.parent / f"log-{self.port}"), "start")

    def stop(self) -> None:
        self.run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)

    def sql(self, query: str) -> str:
        result = self.run(str(PG_BIN / "psql"), "-h", str(self.socket_dir), "-p", str(self.port), "-d", "postgres", "-Atqc", query)
        return result.stdout.strip()


def _append(server: Postgres, settings: dict[str, str]) -> None:
    with open(server.data / "postgresql.auto.conf", "a") as conf:
        conf.writelines(f"{k} = {v}\n" for k, v in settings.items())


def _venv_tool(name: str) -> str:
    path = project_path(".tools", "barman", "bin", name)
    assert path.exists(), f"{name} is missing: scripts/bootstrap installs Barman Cloud into .tools/barman"
    return str(path)


def test_point_in_time_restore_from_barman_cloud_returns_exactly_the_data_of_that_time(plans, s3, workdir):
    if not PG_BIN.exists():
        pytest.fail("PostgreSQL is missing: scripts/bootstrap installs Debian's postgresql package")
    endpoint, client = s3
    plan = plans["prod"]
    cluster = find(plan, "Cluster", "langfuse-postgres")
    stores = {o.name: o.manifest for o in plan.objects if o.kind == "ObjectStore"}
    barman = BarmanSettings.from_plan(cluster, stores)
    # The backups bucket's key, named on every upload (aws:kms alone would mean the AWS managed key aws/s3).
    (sse,) = [r for r in plan.resources if r.type.endswith(":BucketServerSideEncryptionConfiguration") and r.inputs["bucket"].endswith("-backups")]
    kms_key = sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"]
    key = f"--sse-kms-key-id={kms_key}"
    assert barman.wal_flags == ("--gzip", "-e", "aws:kms", key)
    assert barman.data_flags == ("--user", "postgres", "--gzip", "--encryption", "aws:kms", "--jobs", "2", key)
    destination = f"s3://{BUCKET}/{barman.destination_prefix}"
    cloud = (*barman.cloud_flags, "--endpoint-url", endpoint)
    env = {**os.environ, **CREDENTIALS, "PGUSER": "postgres"}
    parameters = cluster["spec"]["postgresql"]["parameters"]

    primary = Postgres(workdir / "primary", free_port(), env)
    primary.run("mkdir", str(primary.data.parent))
    primary.run(str(PG_BIN / "initdb"), "-D", str(primary.data), "-U", "postgres", "--data-checksums")
    archive = " ".join([_venv_tool("barman-cloud-wal-archive"), *barman.wal_flags, *cloud, destination, barman.server_name, "%p"])
    settings = {
        "port": str(primary.port),
        "listen_addresses": "''",
        "unix_socket_directories": f"'{primary.socket_dir}'",
        "wal_level": "replica",
        "archive_mode": "on",
        "archive_command": f"'{archive}'",
        # The stack's RPO and connection settings, as rendered. A recovering server must allow at least the
        # primary's max_connections (pg_control records it): the drill reads it back from the restored copy.
        "archive_timeout": f"'{parameters['archive_timeout']}'",
        "max_connections": parameters["max_connections"],
        "superuser_reserved_connections": parameters["superuser_reserved_connections"],
    }
    assert int(parameters["max_connections"]) > 100  # above PostgreSQL's default, which a clean config would use
    _append(primary, settings)
    primary.start()
    try:
        primary.sql("CREATE TABLE traces (id int PRIMARY KEY, phase text NOT NULL)")
        primary.sql("INSERT INTO traces SELECT g, 'before backup' FROM generate_series(1, 100) g")
        backup = primary.run(
            _venv_tool("barman-cloud-backup"), *barman.data_flags, *cloud, "-h", str(primary.socket_dir), "-p", str(primary.port),
            destination, barman.server_name,
        )  # fmt: skip
        assert backup.returncode == 0, backup.stderr
        primary.sql("INSERT INTO traces SELECT g, 'after backup' FROM generate_series(101, 150) g")
        time.sleep(1.1)
        target = primary.sql("SELECT clock_timestamp()")
        time.sleep(1.1)
        primary.sql("INSERT INTO traces SELECT g, 'too late' FROM generate_series(151, 200) g")
        primary.sql("DELETE FROM traces WHERE id <= 10")
        # Close the segment holding the last writes, as archive_timeout would, and wait for it to be archived.
        segment = primary.sql("SELECT pg_walfile_name(pg_current_wal_lsn())")
        primary.sql("SELECT pg_switch_wal()")
        deadline = time.monotonic() + 60
        while primary.sql("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver") < segment:
            assert time.monotonic() < deadline, primary.sql("SELECT * FROM pg_stat_archiver")
            time.sleep(0.5)
    finally:
        primary.stop()

    # What reached S3: gzip'd WAL and data, SSE-KMS on every object.
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=BUCKET)["Contents"]]
    wals = [k for k in keys if "/wals/" in k]
    assert wals and all(k.endswith(".gz") for k in wals if not k.endswith(".backup"))
    assert any(k.endswith("data.tar.gz") for k in keys)
    heads = [client.head_object(Bucket=BUCKET, Key=k) for k in keys]
    assert {(h.get("ServerSideEncryption"), h.get("SSEKMSKeyId")) for h in heads} == {("aws:kms", kms_key)}

    # Restore with the restore-drill prod ships, once to the target time, once to the end of the WAL.
    drill = find(plan, "CronJob", "langfuse-postgres-restore-drill")["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    rendered_env = {e["name"]: e["value"] for e in drill["containers"][0]["env"]}
    assert rendered_env["WAL_RESTORE_PARALLEL"] == str(stores["langfuse-postgres-backups"]["spec"]["configuration"]["wal"]["maxParallel"])
    scripts = workdir / "scripts"
    scripts.mkdir()
    for name, text in find(plan, "ConfigMap", "langfuse-postgres-restore-drill")["data"].items():
        (scripts / name).write_text(text)
    drill_env = {
        **env,
        **rendered_env,
        "PATH": f"{project_path('.tools', 'barman', 'bin')}:{env['PATH']}",
        "DESTINATION": destination,
        "SERVER_NAME": barman.server_name,
        "BARMAN_CLOUD_ARGS": " ".join(cloud),
        "PG_BIN": str(PG_BIN),
    }
    point_in_time = _drill(drill, scripts, workdir / "pitr", {**drill_env, "TARGET_TIME": target})
    # Everything committed before the target time, nothing after: the late inserts and the delete are gone.
    assert "postgres public.traces 150" in point_in_time.stdout, point_in_time.stdout
    latest = _drill(drill, scripts, workdir / "latest", drill_env)
    assert "postgres public.traces 190" in latest.stdout and "restore drill passed: 1 tables read" in latest.stdout
    print(f"\n[postgres drill] {_recovered(point_in_time)} to {target}; {_recovered(latest)} to the end of the WAL")


def _recovered(result: subprocess.CompletedProcess[str]) -> str:
    return next(line for line in result.stdout.splitlines() if line.startswith("recovered in"))


def _drill(pod: dict, scripts: Path, workdir: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The drill pod's containers as local processes, in the pod's order: the init container restores the base
    backup, the wal-server sidecar runs while the main container recovers and reads. The images' interpreters are
    replaced by the local ones (Barman's Python from .tools/barman, bash); commands and arguments are the rendered
    ones."""
    subprocess.run(_as_postgres(["mkdir", str(workdir)]), check=True)
    env = {**env, "WORKDIR": str(workdir), "PORT": str(free_port())}
    python = str(project_path(".tools", "barman", "bin", "python3"))

    def local(container: dict) -> list[str]:
        command = [python if part == "/venv/bin/python3" else part for part in container["command"]]
        return [str(scripts / Path(part).name) if part.startswith("/scripts/") else part for part in command]

    (base, server), (main,) = drill_containers(pod)
    restored = subprocess.run(_as_postgres(local(base)), env=env, capture_output=True, text=True, timeout=300)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    sidecar = subprocess.Popen(_as_postgres(local(server)), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        result = subprocess.run(_as_postgres(local(main)), env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
        assert sidecar.wait(timeout=30) == 0  # it stops once the drill is finished
    finally:
        sidecar.kill()
    return subprocess.CompletedProcess(result.args, 0, restored.stdout + result.stdout, result.stderr)


def drill_containers(pod: dict) -> tuple[tuple[dict, dict], tuple[dict]]:
    init = {c["name"]: c for c in pod["initContainers"]}
    assert init["wal-server"]["restartPolicy"] == "Always" and "restartPolicy" not in init["restore-base-backup"]
    return (init["restore-base-backup"], init["wal-server"]), tuple(pod["containers"])
