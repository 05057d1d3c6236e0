#!/usr/bin/env bash
# New connections per second while many other connections stay open: the gateway's connection
# guard (src/lib/http/connguard.c) against nginx (one worker), both answering a local health
# check with `Connection: close`, same run.  For each count of held connections (kept-alive,
# idle after one request, from bench/hold_conns.py), wrk -t1 -c16 opens, asks and closes;
# beside the rate: each server's CPU per new connection.  A per-connection cost that grows with
# the held count shows as a falling rate and a rising CPU column.
# usage: bench/bench_accept.sh BUILD_DIR [SECONDS] [HELD...]   (default held: 0 1000 4000)
set -euo pipefail
build="${1:-build}"; secs="${2:-${BENCH_SECS:-5}}"
shift $(( $# > 2 ? 2 : $# ))
held=("$@"); [ ${#held[@]} -gt 0 ] || held=(0 1000 4000)
root="$(cd "$(dirname "$0")/.." && pwd)"
for tool in wrk nginx; do
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || { echo "bench_accept: skipped ($tool not installed)"; exit 0; }
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
VT="$build/veritee"; ECHO_BIN="$build/veritee-echo-upstream"
[ -x "$VT" ] && [ -x "$ECHO_BIN" ] || { echo "bench_accept: build first ($VT)"; exit 1; }
T=$(mktemp -d); PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$T"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$1/healthz" && return 0; sleep 0.05; done; return 1; }
. "$(dirname "$0")/lib.sh" # ticks, HZ

EP=$(free_port); GP=$(free_port); NP=$(free_port)
"$ECHO_BIN" --listen "127.0.0.1:$EP" --threads 1 >/dev/null 2>&1 & PIDS="$PIDS $!"
"$VT" gateway --listen-plain "127.0.0.1:$GP" --upstream "http://127.0.0.1:$EP" --threads 1 >/dev/null 2>"$T/gw.err" &
G_PID=$!; PIDS="$PIDS $G_PID"
mkdir -p "$T/ngx/logs"
cat >"$T/ngx/nginx.conf" <<NGX
worker_processes 1;
daemon off;
pid $T/ngx/nginx.pid;
error_log $T/ngx/logs/error.log error;
events { worker_connections 16384; }
http {
  access_log off;
  client_body_temp_path $T/ngx/body; proxy_temp_path $T/ngx/proxy;
  fastcgi_temp_path $T/ngx/fcgi; uwsgi_temp_path $T/ngx/uwsgi; scgi_temp_path $T/ngx/scgi;
  keepalive_timeout 300s;
  server { listen 127.0.0.1:$NP; location /healthz { return 200 '{"status":"ok"}'; } }
}
NGX
"$NGINX" -p "$T/ngx" -c "$T/ngx/nginx.conf" -e "$T/ngx/logs/error.log" 2>/dev/null & N_PID=$!; PIDS="$PIDS $N_PID"
wait_port "$GP" && wait_port "$NP" || { echo "bench_accept: servers did not start"; cat "$T/gw.err"; exit 1; }
NW_PID=$(pgrep -P "$N_PID" | head -1)

# one PORT PID HELD -> "rate cpu_us_per_connection"
one() {
  local port=$1 pid=$2 n=$3 hp="" t0 t1 out
  if [ "$n" -gt 0 ]; then
    python3 "$root/bench/hold_conns.py" "$port" "$n" >"$T/hold.out" 2>&1 & hp=$!
    for _ in $(seq 1 600); do grep -q '^held' "$T/hold.out" 2>/dev/null && break; sleep 0.05; done
    grep -q '^held' "$T/hold.out" || { echo "bench_accept: could not hold $n connections: $(cat "$T/hold.out")" >&2; kill "$hp"; echo "- -"; return; }
  fi
  t0=$(ticks "$pid")
  out=$(wrk -t1 -c16 -d"${secs}s" -H 'Connection: close' "http://127.0.0.1:$port/healthz")
  t1=$(ticks "$pid")
  [ -n "$hp" ] && { kill "$hp" 2>/dev/null; wait "$hp" 2>/dev/null || true; sleep 0.5; }
  echo "$out" | awk -v t=$((t1 - t0)) -v hz="$HZ" '/requests in/ {n = $1} /Requests\/sec/ {r = $2}
    END { printf "%.0f %.1f\n", r, (n > 0 ? t * 1e6 / hz / n : 0) }'
}
printf '%-28s %14s %14s %16s %16s\n' "held connections" "gateway conn/s" "nginx conn/s" "gateway CPU/conn" "nginx CPU/conn"
for n in "${held[@]}"; do
  read -r g gc < <(one "$GP" "$G_PID" "$n")
  read -r x xc < <(one "$NP" "$NW_PID" "$n")
  printf '%-28s %14s %14s %14sus %14sus\n' "$n" "$g" "$x" "$gc" "$xc"
done
