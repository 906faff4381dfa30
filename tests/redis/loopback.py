"""A Sentinel deployment on loopback, booted from the files our SentinelRedis component renders.

What the pods get from Kubernetes is given here instead, and only that: each pod's host (a loopback
address: 127.0.0.11-13 for data nodes, 127.0.0.21-23 for sentinels), ports, file locations, the redis-cli
binary name and the passwords (generated per run). The ConfigMap's templates and init scripts, the
StatefulSets' environment variable names and container commands are used as rendered.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import secrets
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from redis.sentinel import Sentinel

REDIS_HOSTS = ("127.0.0.11", "127.0.0.12", "127.0.0.13")
SENTINEL_HOSTS = ("127.0.0.21", "127.0.0.22", "127.0.0.23")
# Unusual ports, so a Redis already running on this machine does not collide.
REDIS_PORT = 16379
SENTINEL_PORT = 36379
# Environment the drill supplies itself: addresses, ports, paths, the CLI binary. Everything else the
# StatefulSets set must come from the rendered manifests.
REWRITTEN = {
    "REDIS_NODES", "SENTINEL_NODES", "BIND_ADDRESS", "LOCAL_ADDRESS", "REDIS_PORT", "SENTINEL_PORT",
    "TEMPLATE_DIR", "CONF_DIR", "DATA_DIR", "TLS_CERT", "TLS_KEY", "TLS_CA", "REDIS_CLI",
}  # fmt: skip
BINARIES = {"valkey-server": "redis-server", "valkey-cli": "redis-cli"}


@dataclass
class Node:
    role: str  # redis | sentinel
    ordinal: int
    host: str
    port: int
    root: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def pod_name(self) -> str:
        return f"langfuse-{self.role}-{self.ordinal}"


@dataclass
class LoopbackSentinel:
    """Boot with start(), drive with the client helpers, always stop()."""

    config_files: dict[str, str]  # the ConfigMap's data
    stateful_sets: dict[str, dict[str, Any]]  # role -> rendered StatefulSet manifest
    workdir: Path
    master_name: str
    passwords: dict[str, str] = field(default_factory=dict)
    nodes: list[Node] = field(default_factory=list)

    def start(self) -> None:
        self._write_tls()
        self.nodes = [Node("redis", i, h, REDIS_PORT, self.workdir / f"redis-{i}") for i, h in enumerate(REDIS_HOSTS)]
        self.nodes += [Node("sentinel", i, h, SENTINEL_PORT, self.workdir / f"sentinel-{i}") for i, h in enumerate(SENTINEL_HOSTS)]
        for node in self.nodes:  # data nodes first, in ordinal order, as the StatefulSet (OrderedReady) does
            self.boot(node)

    def stop(self) -> None:
        for node in self.nodes:
            if node.process and node.process.poll() is None:
                node.process.kill()
                node.process.wait(timeout=10)

    # -- one pod ------------------------------------------------------------------------------------------

    def boot(self, node: Node) -> None:
        templates, conf, data = _dirs(node)
        for directory in (templates, conf, data):
            directory.mkdir(parents=True, exist_ok=True)
        for name, text in self.config_files.items():
            (templates / name).write_text(text)
        env = self._env(node, templates, conf, data)
        stateful_set = self.stateful_sets[node.role]["spec"]["template"]["spec"]
        init, main = stateful_set["initContainers"][0], stateful_set["containers"][0]
        subprocess.run(self._command(init["command"], templates, conf), env=env, check=True, capture_output=True, timeout=60)
        log = open(node.root / "server.log", "wb")  # noqa: SIM115 - closed with the process
        node.process = subprocess.Popen(self._command(main["command"], templates, conf), env=env, stdout=log, stderr=log)
        self._wait_ping(node)

    def probe(self, node: Node, kind: str) -> subprocess.CompletedProcess[str]:
        """Run the container's rendered `kind` probe (startup | liveness | readiness) in the node's environment, as
        the kubelet would (exit 0: success)."""
        container = self.stateful_sets[node.role]["spec"]["template"]["spec"]["containers"][0]
        templates, conf, data = _dirs(node)
        command = self._command(container[f"{kind}Probe"]["exec"]["command"], templates, conf)
        timeout = container[f"{kind}Probe"]["timeoutSeconds"]
        try:
            return subprocess.run(command, env=self._env(node, templates, conf, data), capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return subprocess.CompletedProcess(command, 124, "", f"timed out after {timeout} s")

    def kill(self, node: Node) -> None:
        assert node.process is not None
        node.process.send_signal(signal.SIGKILL)
        node.process.wait(timeout=10)

    def _env(self, node: Node, templates: Path, conf: Path, data: Path) -> dict[str, str]:
        env = {"PATH": os.environ["PATH"]}
        container = self.stateful_sets[node.role]["spec"]["template"]["spec"]["containers"][0]
        given = {
            "REDIS_NODES": " ".join(REDIS_HOSTS),
            "SENTINEL_NODES": " ".join(SENTINEL_HOSTS),
            "BIND_ADDRESS": node.host,
            "LOCAL_ADDRESS": node.host,
            "REDIS_PORT": str(REDIS_PORT),
            "SENTINEL_PORT": str(SENTINEL_PORT),
            "TEMPLATE_DIR": str(templates),
            "CONF_DIR": str(conf),
            "DATA_DIR": str(data),
            "TLS_CERT": str(self.workdir / "tls" / "tls.crt"),
            "TLS_KEY": str(self.workdir / "tls" / "tls.key"),
            "TLS_CA": str(self.workdir / "tls" / "ca.crt"),
            "REDIS_CLI": "redis-cli",
        }
        for variable in container["env"]:
            name = variable["name"]
            if name in REWRITTEN:
                env[name] = given[name]
            elif "value" in variable:
                env[name] = variable["value"]
            elif "fieldRef" in variable.get("valueFrom", {}):
                assert variable["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name", name
                env[name] = node.pod_name
            else:  # a password from the Secret
                env[name] = self.passwords.setdefault(name, secrets.token_hex(20))
        return env

    def _command(self, command: list[str], templates: Path, conf: Path) -> list[str]:
        out = []
        for part in command:
            part = BINARIES.get(part, part)
            part = part.replace("/etc/redis-templates", str(templates)).replace("/run/redis", str(conf))
            out.append(part)
        return out

    def _wait_ping(self, node: Node, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self._raw(node).ping():
                    return
            except redis.RedisError:
                time.sleep(0.1)
        raise TimeoutError(f"{node.pod_name} did not answer; see {node.root / 'server.log'}")

    # -- clients ------------------------------------------------------------------------------------------

    def _tls(self) -> dict[str, Any]:
        return {"ssl": True, "ssl_ca_certs": str(self.workdir / "tls" / "ca.crt"), "socket_timeout": 2, "socket_connect_timeout": 2}

    def _raw(self, node: Node) -> redis.Redis:
        if node.role == "sentinel":
            return redis.Redis(host=node.host, port=node.port, password=self.passwords["SENTINEL_PASSWORD"], **self._tls())
        return redis.Redis(
            host=node.host, port=node.port, username="replication", password=self.passwords["REPLICATION_PASSWORD"], **self._tls()
        )

    def sentinel(self) -> Sentinel:
        """A client that discovers the master through Sentinel, as Langfuse (ioredis) does."""
        return Sentinel(
            [(h, SENTINEL_PORT) for h in SENTINEL_HOSTS],
            sentinel_kwargs={"password": self.passwords["SENTINEL_PASSWORD"], **self._tls()},
            username="langfuse",
            password=self.passwords["LANGFUSE_PASSWORD"],
            **self._tls(),
        )

    def master_address(self) -> tuple[str, int] | None:
        for node in self.nodes:
            if node.role != "sentinel" or node.process is None or node.process.poll() is not None:
                continue
            try:
                address = self._raw(node).execute_command("SENTINEL", "get-master-addr-by-name", self.master_name)
            except redis.RedisError:
                continue
            if address:
                return address[0].decode(), int(address[1])
        return None

    def wait_settled(self, timeout: float = 60) -> None:
        """Until every sentinel sees the master, both replicas in sync with it, and the two other sentinels."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(self._settled(node) for node in self.nodes if node.role == "sentinel"):
                return
            time.sleep(0.5)
        raise TimeoutError("the sentinels did not converge")

    def _settled(self, node: Node) -> bool:
        try:
            client = self._raw(node)
            replicas = client.execute_command("SENTINEL", "replicas", self.master_name)
            sentinels = client.execute_command("SENTINEL", "sentinels", self.master_name)
        except redis.RedisError:
            return False
        linked = [_field(r, "master-link-status") == "ok" for r in replicas]
        return len(replicas) == len(REDIS_HOSTS) - 1 and all(linked) and len(sentinels) == len(SENTINEL_HOSTS) - 1

    def node_at(self, address: tuple[str, int]) -> Node:
        return next(n for n in self.nodes if n.role == "redis" and (n.host, n.port) == address)

    # -- TLS ----------------------------------------------------------------------------------------------

    def _write_tls(self) -> None:
        """A CA and one server certificate for every loopback address, as the service CA issues per Service."""
        directory = self.workdir / "tls"
        if directory.exists():
            shutil.rmtree(directory)
        directory.mkdir(parents=True)
        now = datetime.datetime.now(datetime.UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "drill service CA")])
        ca = (
            x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(ca_key, hashes.SHA256())
        )  # fmt: skip
        key = ec.generate_private_key(ec.SECP256R1())
        sans = [x509.IPAddress(ipaddress.ip_address(h)) for h in REDIS_HOSTS + SENTINEL_HOSTS + ("127.0.0.1",)]
        cert = (
            x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "drill")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .sign(ca_key, hashes.SHA256())
        )  # fmt: skip
        (directory / "ca.crt").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        (directory / "tls.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        (directory / "tls.key").write_bytes(
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        )


def _dirs(node: Node) -> tuple[Path, Path, Path]:
    """A pod's mounts: the ConfigMap's templates, the rendered configuration, the data volume."""
    return node.root / "templates", node.root / "conf", node.root / "data"


def _field(entry: Any, name: str) -> str | None:
    """A field of a SENTINEL replicas entry, whether redis-py parsed it into a dict or left it flat."""
    if isinstance(entry, dict):
        value = entry.get(name, entry.get(name.encode()))
    else:
        value = dict(zip(entry[::2], entry[1::2], strict=True)).get(name.encode())
    return value.decode() if isinstance(value, bytes) else value


@dataclass(frozen=True)
class ProbeSample:
    started: float  # time.monotonic() when the probe began
    pod: str
    kind: str  # liveness | readiness
    ok: bool
    output: str
    finished: float = float("inf")  # time.monotonic() when it returned


class ProbeWatch:
    """Runs every data node's rendered liveness and readiness probes over and over, in a thread, as the kubelet
    would (every period, but here back to back), and records each result."""

    def __init__(self, cluster: LoopbackSentinel) -> None:
        self.cluster = cluster
        self.samples: list[ProbeSample] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ProbeWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            for node in [n for n in self.cluster.nodes if n.role == "redis"]:
                for kind in ("liveness", "readiness"):
                    started = time.monotonic()
                    result = self.cluster.probe(node, kind)
                    self.samples.append(
                        ProbeSample(started, node.pod_name, kind, result.returncode == 0, result.stdout + result.stderr, time.monotonic())
                    )

    def of(self, pod: str, kind: str, after: float = float("-inf"), before: float = float("inf")) -> list[ProbeSample]:
        return [s for s in self.samples if s.pod == pod and s.kind == kind and after <= s.started < before]


@dataclass(frozen=True)
class DrillResult:
    old_master: tuple[str, int]
    new_master: tuple[str, int]
    failover_seconds: float
    acknowledged: int
    lost: list[str]
    killed_at: float  # time.monotonic() of the kill
    recovered_at: float  # ... of the first write through Sentinel to the new master


def failover_drill(cluster: LoopbackSentinel, writes: int = 200) -> DrillResult:
    """Write through Sentinel (each write acknowledged by a replica with WAIT), kill the master, measure until
    a write succeeds again through Sentinel, then read back every acknowledged key."""
    cluster.wait_settled()
    sentinel = cluster.sentinel()
    master = sentinel.master_for(cluster.master_name, socket_timeout=2)
    acknowledged: dict[str, str] = {}
    for i in range(writes):
        key, value = f"drill:{i}", secrets.token_hex(8)
        master.set(key, value)
        if master.execute_command("WAIT", 1, 1000) >= 1:
            acknowledged[key] = value
    old = cluster.master_address()
    assert old is not None
    cluster.kill(cluster.node_at(old))
    killed_at = time.monotonic()
    while True:
        if time.monotonic() - killed_at > 60:
            raise TimeoutError("no new master within 60 s")
        address = cluster.master_address()
        if address and address != old:
            try:
                fresh = cluster.sentinel().master_for(cluster.master_name, socket_timeout=2)
                fresh.set("drill:after-failover", "1")
                break
            except redis.RedisError:
                pass
        time.sleep(0.05)
    recovered_at = time.monotonic()
    lost = [key for key, value in acknowledged.items() if (fresh.get(key) or b"").decode() != value]
    return DrillResult(old, address, recovered_at - killed_at, len(acknowledged), lost, killed_at, recovered_at)
