"""The Sentinel drill: real redis-server and redis-sentinel processes (Debian's), booted from the
configuration our SentinelRedis component renders, survive losing their master."""

from __future__ import annotations

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
        assert from_secret == {"LANGFUSE_PASSWORD", "REPLICATION_PASSWORD", "SENTINEL_MONITOR_PASSWORD", "SENTINEL_PASSWORD"}


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
