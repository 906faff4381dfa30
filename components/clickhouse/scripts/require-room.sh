require_room() {
  local need=$(( $3 + $3 / 5 ))
  if [ "$2" -lt "$need" ]; then
    echo "refusing to restore $1: it needs $need bytes ($3 and a 5th more), the volume has $2 free" >&2
    exit 1
  fi
  echo "$1: needs $need bytes, the volume has $2 free"
}
