#!/bin/sh
# Rendered by langfuse-rosa. Writes $CONF_DIR/redis.conf and users.acl; decides master or replica:
# the master the sentinels report if any sentinel answers, else (first boot) the first node.
set -eu
MASTER_NAME=@@MASTER_NAME@@

. ./init-functions.sh

ordinal="${POD_NAME##*-}"
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
