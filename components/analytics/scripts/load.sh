#!/bin/bash
# Rendered by langfuse-rosa (components/analytics/loader.py).
set -euo pipefail
sql() { clickhouse-client --config-file "$CLIENT_CONFIG" --host "$CLICKHOUSE_HOST" --port "$CLICKHOUSE_PORT" --query "$1"; }
s3() { clickhouse-local --config-file "$LOCAL_CONFIG" --query "$1"; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Only what S3 still holds can be pending: its lifecycle expires export files after $LOOKBACK_DAYS.
sql "SELECT path FROM @@MANIFESTS@@ WHERE exported_at >= now64(3) - INTERVAL $LOOKBACK_DAYS DAY FORMAT TSV" > "$work/loaded.tsv"
s3 "@@PENDING_MANIFESTS@@ FORMAT TSV" > "$work/pending.tsv"
manifests=0 files=0 skipped=0
while IFS= read -r path; do
  url="$BUCKET_URL/${path#*/}"
  s3 "@@MANIFEST_FILES@@ FORMAT TSV" > "$work/files.tsv"
  listed=0 loaded=0 reasons=""
  while IFS=$'\t' read -r key table format; do
    [ "$table" = "@@TABLE@@" ] || continue
    listed=$((listed + 1))
    reason=""
    if [ "$key" = "@@UNSAFE_KEY@@" ]; then
      reason="$key"
    elif [ -z "$format" ]; then
      reason="$key (a format the loader does not read)"
    fi
    if [ -n "$reason" ]; then
      reasons="$reasons${reasons:+; }$reason"
      continue
    fi
    # Langfuse uploads a run's file even when the window had no rows, and clickhouse-client refuses an INSERT
    # without data: the first byte (read alone, so nothing of the stream is lost) tells an empty file.
    s3 "@@OBSERVATIONS_SELECT@@ FORMAT Native" | {
      dd bs=1 count=1 status=none of="$work/first"
      if [ -s "$work/first" ]; then cat "$work/first" - | sql "@@OBSERVATIONS_INSERT@@"; else cat > /dev/null; fi
    }
    loaded=$((loaded + 1))
  done < "$work/files.tsv"
  if [ "$(wc -l < "$work/files.tsv")" -eq 0 ]; then
    reasons="not a version-@@MANIFEST_VERSION@@ Langfuse manifest"
  fi
  s3 "@@MANIFEST_RECORD@@ FORMAT Native" | sql "INSERT INTO @@MANIFESTS@@ FORMAT Native"
  manifests=$((manifests + 1)) files=$((files + loaded))
  if [ -n "$reasons" ]; then
    skipped=$((skipped + 1))
    echo "manifest $path: skipped $reasons" >&2
  fi
  echo "loaded $path: $loaded of $listed observation files"
done < "$work/pending.tsv"
echo "loader: $manifests manifests ($files files) loaded, $skipped with files skipped"
