sql() { clickhouse-client --config-file "$CLIENT_CONFIG" --host "$CLICKHOUSE_HOST" --port "$CLICKHOUSE_PORT" --query "$1"; }
