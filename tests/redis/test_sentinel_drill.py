"""The Sentinel drill: real redis-server and redis-sentinel processes (Debian's), booted from the
configuration our SentinelRedis component renders, survive losing their master."""

from __future__ import annotations

import re
import shutil

import pytest

from tests.conftest import find
from tests.redis.loopback import REWRITTEN, LoopbackSentinel, failover_drill

FAILOVER_BUDGET_SECONDS = 10


def _cluster(plan, workdir) -> LoopbackSentinel:
    return LoopbackSentinel(
        config_files=find(plan, "ConfigMap", "langfuse-redis-config")["data"],
        stateful_sets={
            "redis": find(plan, "StatefulSet", "langfuse-redis"),
            "sentinel": find(plan, "StatefulSet", "langfuse-sentinel"),
        },
        workdir=workdir,
        master_name="langfuse",
    )


@pytest.fixture
def loopback_sentinel(plans, tmp_path):
    for binary in ("redis-server", "redis-cli"):
        assert shutil.which(binary), f"{binary} is missing: .ci/run installs Debian's redis-server and redis-tools"
    cluster = _cluster(plans["prod"], tmp_path)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


def test_failover_elects_a_new_master_and_keeps_every_acknowledged_write(loopback_sentinel, capsys):
    result = failover_drill(loopback_sentinel)
    with capsys.disabled():
        print(f"\n[sentinel drill] failover in {result.failover_seconds:.2f} s; {result.acknowledged} acknowledged writes")
    assert result.new_master != result.old_master
    assert result.acknowledged == 200  # min-replicas-to-write and WAIT: every write reached a replica
    assert result.lost == []
    assert result.failover_seconds <= FAILOVER_BUDGET_SECONDS


def test_the_drill_rewrites_only_addresses_ports_paths_and_the_cli(plans):
    """Every other environment variable of the StatefulSets reaches the processes as rendered."""
    for name in ("langfuse-redis", "langfuse-sentinel"):
        env = find(plans["prod"], "StatefulSet", name)["spec"]["template"]["spec"]["containers"][0]["env"]
        literal = {e["name"] for e in env if "value" in e}
        assert literal <= REWRITTEN, literal - REWRITTEN
        from_secret = {e["name"] for e in env if "secretKeyRef" in e.get("valueFrom", {})}
        assert from_secret == {"LANGFUSE_PASSWORD", "REPLICATION_PASSWORD", "SENTINEL_MONITOR_PASSWORD", "SENTINEL_PASSWORD", "MONITORING_PASSWORD"}


def test_an_isolated_master_refuses_writes(loopback_sentinel):
    """With both replicas gone, min-replicas-to-write makes the master refuse writes (after the lag window)."""
    import time

    import redis

    loopback_sentinel.wait_settled()
    master_address = loopback_sentinel.master_address()
    master = loopback_sentinel.node_at(master_address)
    for node in loopback_sentinel.nodes:
        if node.role == "redis" and node is not master:
            loopback_sentinel.kill(node)
    client = loopback_sentinel.sentinel().master_for("langfuse", socket_timeout=2)
    deadline = time.monotonic() + 20  # min-replicas-max-lag is 10 s
    while time.monotonic() < deadline:
        try:
            client.set("isolated", "1")
        except redis.exceptions.ReadOnlyError:
            pytest.fail("the master turned read-only instead of refusing with NOREPLICAS")
        except redis.exceptions.ResponseError as error:
            assert "NOREPLICAS" in str(error)
            return
        time.sleep(0.5)
    pytest.fail("the isolated master kept accepting writes")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_metrics_exporter_reads_a_node_as_the_monitoring_user_and_nothing_more(loopback_sentinel, plans):
    """Debian's redis_exporter, run with the sidecar's rendered arguments (address, CA and port rewritten for
    loopback), scrapes a node through the monitoring ACL user; that user cannot read or write keys."""
    import subprocess
    import time
    import urllib.request

    import redis

    exporter = shutil.which("prometheus-redis-exporter")
    assert exporter, "prometheus-redis-exporter is missing: scripts/bootstrap installs Debian's package"
    loopback_sentinel.wait_settled()
    master = loopback_sentinel.node_at(loopback_sentinel.master_address())
    sidecar = next(c for c in find(plans["prod"], "StatefulSet", "langfuse-redis")["spec"]["template"]["spec"]["containers"] if c["name"] == "metrics")
    rendered = dict(arg.lstrip("-").split("=", 1) for arg in sidecar["args"])
    assert rendered["redis.addr"].startswith("rediss://$(POD_NAME).langfuse-redis-headless.") and rendered["redis.user"] == "monitoring"
    port = _free_port()
    args = {
        **rendered,
        "redis.addr": f"rediss://{master.host}:{master.port}",
        "tls-ca-cert-file": str(loopback_sentinel.workdir / "tls" / "ca.crt"),
        "web.listen-address": f"127.0.0.1:{port}",
    }
    password = loopback_sentinel.passwords["MONITORING_PASSWORD"]
    process = subprocess.Popen(
        [exporter, *(f"--{k}={v}" for k, v in args.items())], env={"REDIS_PASSWORD": password}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline, body = time.monotonic() + 15, ""
        while time.monotonic() < deadline and "redis_up 1" not in body:
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read().decode()
            except OSError:
                time.sleep(0.2)
        assert "redis_up 1" in body, body[-2000:]
        assert 'redis_instance_info{' in body and 'role="master"' in body
        maxmemory = int(re.search(r"^maxmemory (\d+)$", loopback_sentinel.config_files["redis.conf"], re.MULTILINE).group(1))
        plain = dict(line.split(" ", 1) for line in body.splitlines() if line and not line.startswith("#") and "{" not in line)
        # What the alert rules divide: memory in use over the limit our config sets.
        assert float(plain["redis_memory_max_bytes"]) == maxmemory and float(plain["redis_memory_used_bytes"]) > 0
        assert "redis_connected_slaves 2" in body
    finally:
        process.kill()
        process.wait(timeout=10)
    monitoring = redis.Redis(host=master.host, port=master.port, username="monitoring", password=password, **loopback_sentinel._tls())
    assert monitoring.info("server")["redis_version"]
    for denied in (lambda: monitoring.get("any"), lambda: monitoring.set("any", "1"), lambda: monitoring.flushall()):
        with pytest.raises(redis.exceptions.NoPermissionError):
            denied()
