"""The Redis and Sentinel configuration our component renders, and the scripts that finish it at pod start.

Everything static is decided here, in Python, from typed settings. What only the pod knows (its own
address, the current master, passwords from the Secret, file paths) is a @PLACEHOLDER@ filled by the init
scripts with `sed`. The scripts are files in scripts/ (init-functions.sh: what both init scripts share). The
Sentinel drill (tests/redis/) boots real redis-server/redis-sentinel processes from exactly these files, with only
hosts rewritten.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.common.script_files import render_script

# ACL users on the data nodes. Langfuse (ioredis + BullMQ) needs keys, pub/sub channels, Lua scripting,
# INFO (BullMQ's version check) and CLIENT SETNAME; it needs no administration, so @admin and the
# keyspace-wiping commands are denied.
LANGFUSE_USER = "langfuse"
REPLICATION_USER = "replication"
SENTINEL_USER = "sentinel"
MONITORING_USER = "monitoring"
_ACL = {
    LANGFUSE_USER: "~* &* +@all -@admin -flushall -flushdb",
    REPLICATION_USER: "+psync +replconf +ping",
    # What Sentinel needs on the instances it monitors (Redis documentation, "ACL rules for Sentinel").
    SENTINEL_USER: "allchannels +multi +slaveof +ping +exec +subscribe +config|rewrite +role +publish +info "
    "+client|setname +client|kill +script|kill",
    # The metrics exporter: server state only, no key or channel access (its INFO/CONFIG GET/SLOWLOG/LATENCY
    # reads, oliver006/redis_exporter README "Authenticating with Redis").
    MONITORING_USER: "-@all +@connection +info +ping +config|get +client|list +client|setname +slowlog|get +slowlog|len "
    "+latency|latest +memory|stats",
}


@dataclass(frozen=True)
class SentinelSettings:
    master_name: str
    quorum: int
    maxmemory_bytes: int
    # A master that loses all replicas for this long stops accepting writes (min-replicas-to-write), so an
    # isolated master cannot take writes that the failover on the majority side will discard.
    min_replicas_to_write: int = 1
    min_replicas_max_lag_seconds: int = 10
    # Detection + election: ~5 s to S_DOWN, quorum agreement and promotion in about a second more; this
    # keeps a failover within 10 s.
    down_after_ms: int = 5000
    failover_timeout_ms: int = 30000


def redis_conf(s: SentinelSettings) -> str:
    return "\n".join(
        [
            "# Rendered by langfuse-rosa (components/redis/config.py). @PLACEHOLDERS@ are filled by redis-init.sh.",
            "bind @BIND@",
            "protected-mode no",
            # TLS only: the plain-text port is closed.
            "port 0",
            "tls-port @REDIS_PORT@",
            "tls-cert-file @TLS_CERT@",
            "tls-key-file @TLS_KEY@",
            "tls-ca-cert-file @TLS_CA@",
            "tls-auth-clients no",
            "tls-replication yes",
            'tls-protocols "TLSv1.2 TLSv1.3"',
            "dir @DATA_DIR@",
            "aclfile @CONF_DIR@/users.acl",
            # Queues must never be evicted (Langfuse requires noeviction).
            f"maxmemory {s.maxmemory_bytes}",
            "maxmemory-policy noeviction",
            # Persistence: AOF fsync'd every second plus RDB snapshots for fast restarts.
            "appendonly yes",
            "appendfsync everysec",
            "save 3600 1 300 100 60 10000",
            f"min-replicas-to-write {s.min_replicas_to_write}",
            f"min-replicas-max-lag {s.min_replicas_max_lag_seconds}",
            "replica-announce-ip @ANNOUNCE_HOST@",
            "replica-serve-stale-data yes",
            "repl-diskless-sync yes",
            f"masteruser {REPLICATION_USER}",
            "masterauth @REPLICATION_PASSWORD@",
            "",
        ]
    )


def users_acl() -> str:
    lines = ["user default off"]
    placeholders = {
        LANGFUSE_USER: "@LANGFUSE_PASSWORD@",
        REPLICATION_USER: "@REPLICATION_PASSWORD@",
        SENTINEL_USER: "@SENTINEL_MONITOR_PASSWORD@",
        MONITORING_USER: "@MONITORING_PASSWORD@",
    }
    for user, rules in _ACL.items():
        lines.append(f"user {user} on >{placeholders[user]} {rules}")
    return "\n".join(lines) + "\n"


def sentinel_conf(s: SentinelSettings) -> str:
    m = s.master_name
    return "\n".join(
        [
            "# Rendered by langfuse-rosa (components/redis/config.py). @PLACEHOLDERS@ are filled by sentinel-init.sh.",
            "bind @BIND@",
            "protected-mode no",
            "port 0",
            "tls-port @SENTINEL_PORT@",
            "tls-cert-file @TLS_CERT@",
            "tls-key-file @TLS_KEY@",
            "tls-ca-cert-file @TLS_CA@",
            "tls-auth-clients no",
            "tls-replication yes",
            "dir @CONF_DIR@",
            # Clients (Langfuse) and the other sentinels authenticate with this password.
            "requirepass @SENTINEL_PASSWORD@",
            "sentinel sentinel-pass @SENTINEL_PASSWORD@",
            "sentinel resolve-hostnames yes",
            "sentinel announce-hostnames yes",
            "sentinel announce-ip @ANNOUNCE_HOST@",
            f"sentinel monitor {m} @MASTER_HOST@ @REDIS_PORT@ {s.quorum}",
            f"sentinel auth-user {m} {SENTINEL_USER}",
            f"sentinel auth-pass {m} @SENTINEL_MONITOR_PASSWORD@",
            f"sentinel down-after-milliseconds {m} {s.down_after_ms}",
            f"sentinel failover-timeout {m} {s.failover_timeout_ms}",
            f"sentinel parallel-syncs {m} 1",
            "",
        ]
    )


def redis_init_sh(s: SentinelSettings) -> str:
    """Writes $CONF_DIR/redis.conf and users.acl from the templates; decides master or replica."""
    return render_script(__package__, "redis-init.sh", MASTER_NAME=s.master_name)


def sentinel_init_sh(s: SentinelSettings) -> str:
    """Writes $CONF_DIR/sentinel.conf monitoring the current master."""
    return render_script(__package__, "sentinel-init.sh", MASTER_NAME=s.master_name, SENTINEL_USER=SENTINEL_USER)


def probe_grace_seconds(s: SentinelSettings) -> int:
    """How long a replica may be cut off from its master and still count as in sync: Sentinel takes
    down-after-milliseconds to see the master down, and failover-timeout is "the maximum time a failover in progress
    waits for all the replicas to be reconfigured as replicas of the new master" (valkey sentinel.conf, 8.0)."""
    return (s.down_after_ms + s.failover_timeout_ms) // 1000


def probe_sh(s: SentinelSettings) -> str:
    """The liveness, readiness and Sentinel probes (`probe.sh alive|ready|sentinel`)."""
    return render_script(__package__, "probe.sh", MONITORING_USER=MONITORING_USER, PROBE_GRACE_SECONDS=probe_grace_seconds(s))


def rendered_files(s: SentinelSettings) -> dict[str, str]:
    """The ConfigMap's data: templates and scripts."""
    return {
        "redis.conf": redis_conf(s),
        "users.acl": users_acl(),
        "sentinel.conf": sentinel_conf(s),
        "redis-init.sh": redis_init_sh(s),
        "sentinel-init.sh": sentinel_init_sh(s),
        "probe.sh": probe_sh(s),
    }
