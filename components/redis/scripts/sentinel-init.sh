#!/bin/sh
# Rendered by langfuse-rosa. Writes $CONF_DIR/sentinel.conf monitoring the current master: the one the other
# sentinels know, else the node that reports the master role, else (first boot) the first node.
set -eu
MASTER_NAME=@@MASTER_NAME@@

. ./init-functions.sh

ordinal="${POD_NAME##*-}"
self=$(nth "$ordinal" "$SENTINEL_NODES")
master=$(ask_sentinels "$SENTINEL_NODES" "$self")
if [ -z "$master" ]; then
  for r in $REDIS_NODES; do
    role=$(REDISCLI_AUTH="$SENTINEL_MONITOR_PASSWORD" timeout 3 "$REDIS_CLI" --tls --cacert "$TLS_CA" --no-auth-warning       --user @@SENTINEL_USER@@ -h "$r" -p "$REDIS_PORT" ROLE 2>/dev/null | head -n 1) || true
    if [ "$role" = "master" ]; then master="$r"; break; fi
  done
fi
if [ -z "$master" ]; then master=$(nth 0 "$REDIS_NODES"); fi
render sentinel.conf sentinel.conf
echo "sentinel-init: $self monitors $MASTER_NAME at $master"
