"""The Redis and Sentinel configuration our component renders, and the scripts that finish it at pod start.

Everything static is decided here, in Python, from typed settings. What only the pod knows (its own
address, the current master, passwords from the Secret, file paths) is a @PLACEHOLDER@ filled by the init
scripts with `sed`. The Sentinel drill (tests/redis/) boots real redis-server/redis-sentinel processes from
exactly these files, with only hosts rewritten.
"""

from __future__ import annotations

from dataclasses import dataclass

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


# Shared by both init scripts: fill the placeholders of a template into a file.
_RENDER = r"""
render() {
  sed -e "s|@ANNOUNCE_HOST@|$self|g" \
      -e "s|@MASTER_HOST@|${master:-}|g" \
      -e "s|@BIND@|$BIND_ADDRESS|g" \
      -e "s|@REDIS_PORT@|$REDIS_PORT|g" \
      -e "s|@SENTINEL_PORT@|$SENTINEL_PORT|g" \
      -e "s|@TLS_CERT@|$TLS_CERT|g" \
      -e "s|@TLS_KEY@|$TLS_KEY|g" \
      -e "s|@TLS_CA@|$TLS_CA|g" \
      -e "s|@DATA_DIR@|$DATA_DIR|g" \
      -e "s|@CONF_DIR@|$CONF_DIR|g" \
      -e "s|@LANGFUSE_PASSWORD@|$LANGFUSE_PASSWORD|g" \
      -e "s|@REPLICATION_PASSWORD@|$REPLICATION_PASSWORD|g" \
      -e "s|@SENTINEL_MONITOR_PASSWORD@|$SENTINEL_MONITOR_PASSWORD|g" \
      -e "s|@SENTINEL_PASSWORD@|$SENTINEL_PASSWORD|g" \
      -e "s|@MONITORING_PASSWORD@|$MONITORING_PASSWORD|g" \
      "$TEMPLATE_DIR/$1" > "$CONF_DIR/$2"
  chmod 600 "$CONF_DIR/$2"
}

# nth N "a b c": the Nth word (0-based).
nth() {
  n=$1; shift
  for word in $1; do
    if [ "$n" -eq 0 ]; then echo "$word"; return; fi
    n=$((n - 1))
  done
}

# Ask the sentinels in "$1" (skipping "$2") for the current master; prints its host or nothing.
ask_sentinels() {
  for s in $1; do
    [ "$s" = "${2:-}" ] && continue
    host=$(REDISCLI_AUTH="$SENTINEL_PASSWORD" timeout 3 "$REDIS_CLI" --tls --cacert "$TLS_CA" --no-auth-warning \
      -h "$s" -p "$SENTINEL_PORT" SENTINEL get-master-addr-by-name "$MASTER_NAME" 2>/dev/null | head -n 1) || true
    if [ -n "$host" ]; then echo "$host"; return; fi
  done
}
"""


def redis_init_sh(s: SentinelSettings) -> str:
    return f"""#!/bin/sh
# Rendered by langfuse-rosa. Writes $CONF_DIR/redis.conf and users.acl; decides master or replica:
# the master the sentinels report if any sentinel answers, else (first boot) the first node.
set -eu
MASTER_NAME={s.master_name}
{_RENDER}
ordinal="${{POD_NAME##*-}}"
self=$(nth "$ordinal" "$REDIS_NODES")
first=$(nth 0 "$REDIS_NODES")
master=$(ask_sentinels "$SENTINEL_NODES")
if [ -z "$master" ]; then master="$first"; fi
render redis.conf redis.conf
render users.acl users.acl
if [ "$master" != "$self" ]; then
  echo "replicaof $master $REDIS_PORT" >> "$CONF_DIR/redis.conf"
  echo "redis-init: $self starts as a replica of $master"
else
  echo "redis-init: $self starts as master"
fi
"""


def sentinel_init_sh(s: SentinelSettings) -> str:
    return f"""#!/bin/sh
# Rendered by langfuse-rosa. Writes $CONF_DIR/sentinel.conf monitoring the current master: the one the other
# sentinels know, else the node that reports the master role, else (first boot) the first node.
set -eu
MASTER_NAME={s.master_name}
{_RENDER}
ordinal="${{POD_NAME##*-}}"
self=$(nth "$ordinal" "$SENTINEL_NODES")
master=$(ask_sentinels "$SENTINEL_NODES" "$self")
if [ -z "$master" ]; then
  for r in $REDIS_NODES; do
    role=$(REDISCLI_AUTH="$SENTINEL_MONITOR_PASSWORD" timeout 3 "$REDIS_CLI" --tls --cacert "$TLS_CA" --no-auth-warning \
      --user {SENTINEL_USER} -h "$r" -p "$REDIS_PORT" ROLE 2>/dev/null | head -n 1) || true
    if [ "$role" = "master" ]; then master="$r"; break; fi
  done
fi
if [ -z "$master" ]; then master=$(nth 0 "$REDIS_NODES"); fi
render sentinel.conf sentinel.conf
echo "sentinel-init: $self monitors $MASTER_NAME at $master"
"""


def probe_grace_seconds(s: SentinelSettings) -> int:
    """How long a replica may be cut off from its master and still count as in sync: Sentinel takes
    down-after-milliseconds to see the master down, and failover-timeout is "the maximum time a failover in progress
    waits for all the replicas to be reconfigured as replicas of the new master" (valkey sentinel.conf, 8.0)."""
    return (s.down_after_ms + s.failover_timeout_ms) // 1000


def probe_sh(s: SentinelSettings) -> str:
    return f"""#!/bin/sh
# Rendered by langfuse-rosa. Probes of the local server over TLS.
#   probe.sh alive     a data node answers PING, also while it loads its dataset (LOADING) or has lost its master
#                      (MASTERDOWN): restarting it then would only make recovery slower
#   probe.sh ready     a data node answers PONG and, as a replica, is in sync with its master, or has been cut off from
#                      it for less than a Sentinel failover takes ({probe_grace_seconds(s)} s), so a failover never flips it
#   probe.sh sentinel  Sentinel answers PING
# Data nodes are asked as the monitoring ACL user, which may PING and read INFO and nothing else.
set -eu
mode=${{1:-ready}}
if [ "$mode" = sentinel ]; then
  reply=$(REDISCLI_AUTH="$SENTINEL_PASSWORD" "$REDIS_CLI" --tls --cacert "$TLS_CA" --no-auth-warning \
    -h "$LOCAL_ADDRESS" -p "$SENTINEL_PORT" PING)
  [ "$reply" = PONG ]
  exit
fi
node() {{
  REDISCLI_AUTH="$MONITORING_PASSWORD" "$REDIS_CLI" --tls --cacert "$TLS_CA" --no-auth-warning \
    --user {MONITORING_USER} -h "$LOCAL_ADDRESS" -p "$REDIS_PORT" "$@"
}}
reply=$(node PING)
if [ "$mode" = alive ]; then
  case "$reply" in
    PONG | LOADING* | MASTERDOWN*) exit 0 ;;
    *) echo "no answer: $reply"; exit 1 ;;
  esac
fi
[ "$reply" = PONG ] || {{ echo "not serving: $reply"; exit 1; }}
info=$(node INFO replication | tr -d '\r')
field() {{ printf '%s\n' "$info" | sed -n "s/^$1://p"; }}
[ "$(field role)" = slave ] || exit 0
[ "$(field master_link_status)" = up ] && [ "$(field master_sync_in_progress)" = 0 ] && exit 0
# -1: not synced once since it became a replica (a new pod, or one pointed at a master that is gone).
down=$(field master_link_down_since_seconds)
[ "${{down:--1}}" -ge 0 ] && [ "$down" -lt {probe_grace_seconds(s)} ] && exit 0
echo "replica of $(field master_host) out of sync: link $(field master_link_status), down ${{down:--1}} s"
exit 1
"""


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
