cycle_full() { local day=$(( $1 / 86400 )); echo "full-$(date -u -d "@$(( (day - day % FULL_EVERY_DAYS) * 86400 ))" +%Y%m%d)"; }
base_of() { local t=${1#incr-}; cycle_full "$(date -u -d "${t:0:8} ${t:9:2}:${t:11:2}:${t:13:2}" +%s)"; }
