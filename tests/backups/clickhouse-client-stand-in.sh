#!/bin/bash
query=""
while [ $# -gt 0 ]; do case "$1" in --query) query="$2"; shift 2;; *) shift;; esac; done
echo "$query" >> "$STORE/queries"
name=$(sed -nE "s|.* TO S3\('[^']*/([^/']+)'\).*|\1|p" <<<"$query")
base=$(sed -nE "s|.*base_backup = S3\('[^']*/([^/']+)'\).*|\1|p" <<<"$query")
[ -n "$name" ] || { echo "unexpected query: $query" >&2; exit 2; }
[ -z "$base" ] || [ -e "$STORE/$base" ] || { echo "Backup $base not found" >&2; exit 1; }
[ ! -e "$STORE/$name" ] || { echo "Backup $name already exists" >&2; exit 1; }
echo "$base" > "$STORE/$name"
