"""The Sentinel drill: real redis-server and redis-sentinel processes (Debian's), booted from the
configuration our SentinelRedis component renders, survive losing their master."""

from __future__ import annotations

import re
import shutil
import time

import pytest
import redis

from components.redis.sentinel import EXPORTED_SERIES
from tests.conftest import find
from tests.redis.loopback import REWRITTEN, LoopbackSentinel, ProbeWatch, failover_drill

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
    """The data nodes' rendered liveness and readiness probes run back to back all through the drill: the two
    survivors never fail either (no flapping while Sentinel fails over), the killed master fails liveness, and
    once it is booted again it rejoins as a replica and turns ready when it has synced."""
    loopback_sentinel.wait_settled()  # both replicas in sync
    with ProbeWatch(loopback_sentinel) as watch:
        result = failover_drill(loopback_sentinel)
        old = loopback_sentinel.node_at(result.old_master)
        rebooted = time.monotonic()
        loopback_sentinel.boot(old)
        loopback_sentinel.wait_settled()
        deadline = time.monotonic() + 30
        while not any(s.ok for s in watch.of(old.pod_name, "readiness", after=rebooted)) and time.monotonic() < deadline:
            time.sleep(0.2)
    with capsys.disabled():
        during = len(watch.of(old.pod_name, "liveness", result.killed_at, result.recovered_at))
        print(f"\n[sentinel drill] failover in {result.failover_seconds:.2f} s; {result.acknowledged} acknowledged writes; "
              f"{len(watch.samples)} probe runs, {during} per probe and pod during the failover")  # fmt: skip
    assert result.new_master != result.old_master
    assert result.acknowledged == 200  # min-replicas-to-write and WAIT: every write reached a replica
    assert result.lost == []
    assert result.failover_seconds <= FAILOVER_BUDGET_SECONDS

    survivors = [n.pod_name for n in loopback_sentinel.nodes if n.role == "redis" and n is not old]
    for pod in survivors:
        for kind in ("liveness", "readiness"):
            samples = watch.of(pod, kind)
            assert len(watch.of(pod, kind, result.killed_at, result.recovered_at)) >= 3, "too few probe runs during the failover"
            assert all(s.ok for s in samples), (pod, kind, [s.output for s in samples if not s.ok])
    # Probes that returned before the kill (one that straddles it may see the server go away mid-probe).
    before_kill = [s for s in watch.of(old.pod_name, "readiness") if s.finished < result.killed_at]
    assert before_kill and all(s.ok for s in before_kill), [(round(result.killed_at - s.started, 2), s.output) for s in before_kill if not s.ok]
    assert not any(s.ok for s in watch.of(old.pod_name, "liveness", after=result.killed_at + 0.1, before=rebooted))
    rejoined = [s for s in watch.of(old.pod_name, "readiness", after=rebooted) if s.ok]
    assert rejoined, "the old master did not turn ready again after rejoining"
    password = loopback_sentinel.passwords["MONITORING_PASSWORD"]
    replication = redis.Redis(host=old.host, port=old.port, username="monitoring", password=password, **loopback_sentinel._tls()).info("replication")
    assert replication["role"] == "slave" and (replication["master_host"], replication["master_port"]) == result.new_master


def test_a_replica_that_cannot_sync_turns_unready_but_stays_alive(loopback_sentinel):
    """Readiness reflects replication, liveness only that the server answers. With every sentinel gone and the
    master killed, the replicas stay ready for the failover window (they were in sync moments ago); a replica
    that restarts now finds no sentinel, follows the first node, which is the dead master, and never syncs:
    it answers (alive) but is not ready."""
    loopback_sentinel.wait_settled()
    master = loopback_sentinel.node_at(loopback_sentinel.master_address())
    redis_nodes = [n for n in loopback_sentinel.nodes if n.role == "redis"]
    assert master is redis_nodes[0]  # first boot: the first node is the master
    for node in loopback_sentinel.nodes:
        if node.role == "sentinel" or node is master:
            loopback_sentinel.kill(node)
    cut_off, restarted = redis_nodes[1], redis_nodes[2]
    assert loopback_sentinel.probe(cut_off, "readiness").returncode == 0
    loopback_sentinel.kill(restarted)
    loopback_sentinel.boot(restarted)
    assert loopback_sentinel.probe(restarted, "liveness").returncode == 0
    ready = loopback_sentinel.probe(restarted, "readiness")
    assert ready.returncode == 1 and f"replica of {master.host} out of sync: link down, down -1 s" in ready.stdout, ready


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
        # Every series the PodMonitor is declared to bring in (what the alerts read) is one this exporter serves.
        served = {line.split("{")[0].split(" ")[0] for line in body.splitlines() if line and not line.startswith("#")}
        assert EXPORTED_SERIES.series <= served, EXPORTED_SERIES.series - served
    finally:
        process.kill()
        process.wait(timeout=10)
    monitoring = redis.Redis(host=master.host, port=master.port, username="monitoring", password=password, **loopback_sentinel._tls())
    assert monitoring.info("server")["redis_version"]
    for denied in (lambda: monitoring.get("any"), lambda: monitoring.set("any", "1"), lambda: monitoring.flushall()):
        with pytest.raises(redis.exceptions.NoPermissionError):
            denied()
