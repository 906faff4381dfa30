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
