"""What the Redis settings derive: the replica probe's grace from Sentinel's timings, in the probe as rendered and in
the Sentinel configuration it has to agree with."""

from __future__ import annotations

from components.redis.config import SentinelSettings, probe_grace_seconds, probe_sh, sentinel_conf


def test_a_replica_counts_as_in_sync_for_as_long_as_a_failover_takes():
    default = SentinelSettings(master_name="langfuse", quorum=2, maxmemory_bytes=1)
    slower = SentinelSettings(master_name="langfuse", quorum=2, maxmemory_bytes=1, down_after_ms=7500, failover_timeout_ms=60000)
    assert (probe_grace_seconds(default), probe_grace_seconds(slower)) == (35, 67)
    for settings, grace in ((default, 35), (slower, 67)):
        conf = sentinel_conf(settings)
        assert f"sentinel down-after-milliseconds langfuse {settings.down_after_ms}\n" in conf
        assert f"sentinel failover-timeout langfuse {settings.failover_timeout_ms}\n" in conf
        probe = probe_sh(settings)
        assert f'[ "$down" -lt {grace} ] && exit 0\n' in probe and f"({grace} s)" in probe
