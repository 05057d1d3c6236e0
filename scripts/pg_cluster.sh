# A throwaway PostgreSQL cluster (temp dir, Unix socket only, a free port) for the
# tests and benchmarks that need one.  Sourced:
#   pg_cluster_start [FSYNC]   starts it; sets PG_URL and PG_DIR; FSYNC "on" (durable, for
#                              benchmarks) or "off" (default, for tests).  Returns non-zero
#                              with the reason in PG_WHY when it cannot (no server
#                              binaries, initdb or start failed).
#   pg_cluster_db NAME         creates database NAME; prints its URL.
#   pg_cluster_restart         restarts the server (every client connection is lost).
#   pg_cluster_stop            stops it and removes its files.
# Runs the server as "nobody" when started as root (PostgreSQL refuses root).
PG_URL="" PG_DIR="" PG_WHY=""
_pg_bin="" _pg_as=()

pg_cluster_start() {
  local fsync="${1:-off}" port
  _pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  if [ -z "$_pg_bin" ] || [ ! -x "$_pg_bin/initdb" ]; then
    PG_WHY="PostgreSQL server binaries (initdb) not installed (scripts/install-deps)"; return 1; fi
  PG_DIR=$(mktemp -d /tmp/veritee-pg-XXXXXX)
  _pg_as=()
  if [ "$(id -u)" -eq 0 ]; then
    command -v runuser >/dev/null || { PG_WHY="running as root without runuser"; rm -rf "$PG_DIR"; return 1; }
    chown nobody "$PG_DIR"; _pg_as=(runuser -u nobody --)
  fi
  port=$(( 20000 + RANDOM % 20000 ))
  if ! "${_pg_as[@]}" "$_pg_bin/initdb" -D "$PG_DIR/data" -A trust -U veritee >"$PG_DIR/initdb.log" 2>&1; then
    PG_WHY="initdb failed: $(tail -3 "$PG_DIR/initdb.log")"; return 1; fi
  if ! "${_pg_as[@]}" "$_pg_bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/pg.log" -w \
       -o "-k $PG_DIR -p $port -c listen_addresses='' -c fsync=$fsync" start >/dev/null 2>&1; then
    PG_WHY="PostgreSQL did not start: $(tail -3 "$PG_DIR/pg.log")"; return 1; fi
  PG_URL="postgresql:///postgres?host=$PG_DIR&port=$port&user=veritee"
}

pg_cluster_db() {
  local port
  port=$(sed -n 's/.*port=\([0-9]*\).*/\1/p' <<<"$PG_URL")
  "${_pg_as[@]}" "$_pg_bin/createdb" -h "$PG_DIR" -p "$port" -U veritee "$1" || return 1
  echo "${PG_URL/\/postgres?//$1?}"
}

pg_cluster_restart() {
  "${_pg_as[@]}" "$_pg_bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/pg.log" -w -m fast restart >/dev/null 2>&1
}

pg_cluster_stop() {
  [ -n "$PG_DIR" ] || return 0
  [ -d "$PG_DIR/data" ] && "${_pg_as[@]}" "$_pg_bin/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1
  rm -rf "$PG_DIR"
  PG_DIR="" PG_URL=""
}
