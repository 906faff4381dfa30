#!/bin/sh
# Rendered by langfuse-rosa. Probes of the local server over TLS.
#   probe.sh alive     a data node answers PING, also while it loads its dataset (LOADING) or has lost its master
#                      (MASTERDOWN): restarting it then would only make recovery slower
#   probe.sh ready     a data node answers PONG and, as a replica, is in sync with its master, or has been cut off from
#                      it for less than a Sentinel failover takes (@@PROBE_GRACE_SECONDS@@ s), so a failover never flips it
#   probe.sh sentinel  Sentinel answers PING
# Data nodes are asked as the monitoring ACL user, which may PING and read INFO and nothing else.
set -eu
mode=${1:-ready}
if [ "$mode" = sentinel ]; then
  reply=$(REDISCLI_AUTH="$SENTINEL_PASSWORD" "$REDIS_CLI" --tls --cacert "$TLS_CA" --no-auth-warning     -h "$LOCAL_ADDRESS" -p "$SENTINEL_PORT" PING)
  [ "$reply" = PONG ]
  exit
fi
node() {
  REDISCLI_AUTH="$MONITORING_PASSWORD" "$REDIS_CLI" --tls --cacert "$TLS_CA" --no-auth-warning     --user @@MONITORING_USER@@ -h "$LOCAL_ADDRESS" -p "$REDIS_PORT" "$@"
}
reply=$(node PING)
if [ "$mode" = alive ]; then
  case "$reply" in
    PONG | LOADING* | MASTERDOWN*) exit 0 ;;
    *) echo "no answer: $reply"; exit 1 ;;
  esac
fi
[ "$reply" = PONG ] || { echo "not serving: $reply"; exit 1; }
info=$(node INFO replication | tr -d '')
field() { printf '%s
' "$info" | sed -n "s/^$1://p"; }
[ "$(field role)" = slave ] || exit 0
[ "$(field master_link_status)" = up ] && [ "$(field master_sync_in_progress)" = 0 ] && exit 0
# -1: not synced once since it became a replica (a new pod, or one pointed at a master that is gone).
down=$(field master_link_down_since_seconds)
[ "${down:--1}" -ge 0 ] && [ "$down" -lt @@PROBE_GRACE_SECONDS@@ ] && exit 0
echo "replica of $(field master_host) out of sync: link $(field master_link_status), down ${down:--1} s"
exit 1
