#!/bin/bash
# Rendered by langfuse-rosa. PostgreSQL's restore_command: ask the wal-server sidecar for WAL file $1 and move it
# to $2; exit 1 when the archive has no such file (the end of the WAL), recording any other failure.
set -u
wal="$WORKDIR/wal"
: > "$wal/$1.want"
for _ in $(seq 1 6000); do
  if [ -f "$wal/$1" ]; then exec mv "$wal/$1" "$2"; fi
  if [ -f "$wal/$1.rc" ]; then
    code=$(cat "$wal/$1.rc")
    rm -f "$wal/$1.rc"
    [ "$code" = 1 ] || echo "barman-cloud-wal-restore $1 exited $code" >> "$WORKDIR/wal-errors"
    exit 1
  fi
  sleep 0.1
done
echo "no answer for $1 within 10 minutes" >> "$WORKDIR/wal-errors"
exit 1
