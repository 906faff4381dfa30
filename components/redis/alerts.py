"""Redis's alerts (Valkey behind Sentinel): the master, its replicas, memory against maxmemory. Metric names:
redis_exporter beside each data node, declared beside the PodMonitor (sentinel.py, EXPORTED_SERIES)."""

from __future__ import annotations

from components.monitoring.alert import Alert, in_namespace


def redis_alerts(*, namespace: str) -> list[Alert]:
    ns = in_namespace(namespace)
    return [
        Alert(
            "RedisNoMaster", "critical", f'absent(redis_instance_info{{{ns},role="master"}})', "1m",
            "No Redis master",
            "No data node reports the master role: Langfuse cannot enqueue or process jobs.",
            "redis", "redis",
        ),
        Alert(
            # min-replicas-to-write 1: a master with no replica in sync refuses writes (NOREPLICAS) after 10 s. Its
            # readiness does not say so (the probes leave that to this alert; docs/decisions.md, "Redis probes").
            "RedisMasterWithoutReplica", "critical",
            f'max by (pod) (redis_connected_slaves{{{ns}}} and on (pod) redis_instance_info{{{ns},role="master"}}) < 1', "2m",
            "Redis master {{ $labels.pod }} has no replica",
            "No replica is connected to the master: it refuses writes (min-replicas-to-write), so Langfuse cannot "
            "enqueue, and a failover now would have nothing to promote.",
            "redis", "redis",
        ),
        Alert(
            "RedisSplitBrain", "critical", f'count(redis_instance_info{{{ns},role="master"}}) > 1', "2m",
            "More than one Redis master",
            "{{ $value }} data nodes report the master role; writes to the wrong one will be lost when Sentinel converges.",
            "redis", "redis",
        ),
        Alert(
            "RedisMemoryNearLimit", "warning",
            f"max by (pod) (redis_memory_used_bytes{{{ns}}} / redis_memory_max_bytes{{{ns}}}) > 0.85", "10m",
            "Redis {{ $labels.pod }} uses {{ $value | humanizePercentage }} of maxmemory",
            "With noeviction, Redis refuses writes at the limit and ingestion stops. Drain the backlog or raise "
            "dataTier.redis.memory.",
            "redis", "redis",
        ),
        Alert(
            "RedisMemoryAtLimit", "critical",
            f"max by (pod) (redis_memory_used_bytes{{{ns}}} / redis_memory_max_bytes{{{ns}}}) > 0.95", "2m",
            "Redis {{ $labels.pod }} is at maxmemory",
            "Redis is about to refuse writes (noeviction): Langfuse cannot enqueue.",
            "redis", "redis",
        ),
    ]
