#!/usr/bin/env bash
# Gateway proxy throughput and added latency, in one run, next to its peers:
#   direct  wrk -> echo upstream
#   nginx   wrk -> nginx (proxy_pass, keepalive upstream) -> echo upstream
#   gateway wrk -> veritee gateway -> echo upstream (pass-through hooks)
#   audited wrk -> veritee gateway with every auditor on (PII request+response, policy,
#                  artifact, execution) and a signed receipt per response, under a
#                  mock-platform passport from a local verifier -> echo upstream
# Beside each: the proxy's CPU per request (and the verifier's per receipt) in the c64 run.
# Small chat requests (POST, ~150 B body, ~330 B reply).  Throughput: wrk -t2 -c64;
# latency: wrk -t1 -c1 (p50/p99), added latency = proxy minus direct.
# usage: bench/bench_gateway.sh BUILD_DIR [SECONDS]
set -euo pipefail
build="${1:-build}"
secs="${2:-${BENCH_SECS:-5}}"
for tool in wrk nginx; do
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || { echo "bench_gateway: skipped ($tool not installed)"; exit 0; }
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
VT="$build/veritee"
ECHO_BIN="$build/veritee-echo-upstream"
[ -x "$VT" ] && [ -x "$ECHO_BIN" ] || { echo "bench_gateway: build first ($VT, $ECHO_BIN)"; exit 1; }
T=$(mktemp -d)
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$T"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0; sleep 0.05; done; return 1; }

EP=$(free_port); NP=$(free_port); GP=$(free_port)
"$ECHO_BIN" --listen "127.0.0.1:$EP" --threads 1 >/dev/null 2>&1 & PIDS="$PIDS $!"
"$VT" gateway --listen-plain "127.0.0.1:$GP" --upstream "http://127.0.0.1:$EP" --threads 1 >/dev/null 2>"$T/gw.err" & PIDS="$PIDS $!"; G_PID=$!
mkdir -p "$T/ngx/logs"
cat >"$T/ngx/nginx.conf" <<NGX
worker_processes 1;
daemon off;
pid $T/ngx/nginx.pid;
error_log $T/ngx/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $T/ngx/body; proxy_temp_path $T/ngx/proxy;
  fastcgi_temp_path $T/ngx/fcgi; uwsgi_temp_path $T/ngx/uwsgi; scgi_temp_path $T/ngx/scgi;
  upstream echo { server 127.0.0.1:$EP; keepalive 128; }
  server {
    listen 127.0.0.1:$NP;
    location / {
      proxy_pass http://echo;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
NGX
"$NGINX" -p "$T/ngx" -c "$T/ngx/nginx.conf" -e "$T/ngx/logs/error.log" 2>/dev/null & PIDS="$PIDS $!"; N_PID=$!
# The audited gateway needs a passport: a verifier, an environment made from the
# gateway's own boot measurements, then the gateway under the mock platform.
export VERITEE_STATE="$T/state"
VP=$(free_port); AP=$(free_port)
echo benchtoken0123456789abcdef >"$T/admin"
chmod 600 "$T/admin"
"$VT" verifier --listen "127.0.0.1:$VP" --offline --admin-token-file "$T/admin" --trust-sim --state "$T/state" >/dev/null 2>"$T/v.err" & PIDS="$PIDS $!"; V_PID=$!
head -c 100000 /dev/urandom >"$T/model.bin"
MD=$("$VT" measure --json "$T/model.bin" | jq -r .root)
cat >"$T/g.json" <<JSON
{"upstream":"http://127.0.0.1:$EP","verifier":"http://127.0.0.1:$VP","environment":"bench","models":["$T/model.bin"],
 "auditors":[{"name":"pii","phases":["request","response"],"actions":{"email":"redact","card":"redact","ssn":"block","secret":"block","ip":"annotate"}},
             {"name":"policy","blocked_terms":["forbidden-term"],"max_input_bytes":65536},
             {"name":"artifact","reference_digests":["$MD"]},{"name":"execution"}]}
JSON
wait_port "$VP" || { echo "bench_gateway: verifier did not start"; cat "$T/v.err"; exit 1; }
"$VT" gateway --config "$T/g.json" --measure-only >"$T/log.json"
jq '{allow_simulated:true, components:{model:[.events[]|select(.component=="model")|.digest],
     auditors:[.events[]|select(.component=="auditor")|.digest], runtime:[.events[]|select(.component=="runtime")|.digest],
     config:[.events[]|select(.component=="config")|.digest]}}' "$T/log.json" |
  curl -sf -o /dev/null -X PUT -H "Authorization: Bearer $(cat "$T/admin")" -d @- "http://127.0.0.1:$VP/v1/environments/bench"
"$VT" gateway --config "$T/g.json" --listen-plain "127.0.0.1:$AP" --threads 1 --platform mock >/dev/null 2>"$T/ga.err" & PIDS="$PIDS $!"; A_PID=$!
for p in $EP $NP $GP $AP; do wait_port "$p" || { echo "bench_gateway: port $p did not open"; cat "$T/gw.err"; exit 1; }; done

cat >"$T/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"echo","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"What is the capital of France?"}]}'
LUA
. "$(dirname "$0")/lib.sh" # ticks, HZ
# run PORT [PID...] -> "rps p99_c64 p50_c1 p99_c1 cpu_us_per_request side_cpu_us_per_request
# side_cpu_us_to_drain drain_s": CPU of the PIDs during the c64 run, and of $SIDE_PID (the
# verifier) over the same window.  With $QUEUE_PROM (the gateway's receipts.prom), it then
# waits until the gateway's receipt queue is empty: the verifier falls behind during the run
# (the queue absorbs it), so its CPU per receipt counted to the drain is its real cost.
queued() { sed -n 's/^veritee_gateway_receipts_queued //p' "$QUEUE_PROM" 2>/dev/null; }
run() {
  local port=$1 thr lat t0 t1 s0 s1 s2 n w0 drain=0
  shift
  t0=$(ticks "$@"); s0=$(ticks ${SIDE_PID:-})
  thr=$(wrk -t2 -c64 -d"${secs}s" --latency -s "$T/post.lua" "http://127.0.0.1:$port/v1/chat/completions")
  t1=$(ticks "$@"); s1=$(ticks ${SIDE_PID:-}); s2=$s1
  if [ -n "${QUEUE_PROM:-}" ]; then
    w0=$(date +%s%N)
    for _ in $(seq 1200); do sleep 0.1; [ "$(find "$QUEUE_PROM" -newermt "@$((w0 / 1000000000))" 2>/dev/null)" ] &&
      [ "$(queued)" = 0 ] && break; done
    s2=$(ticks "$SIDE_PID"); drain=$(awk -v a="$w0" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
  fi
  lat=$(wrk -t1 -c1 -d"${secs}s" --latency -s "$T/post.lua" "http://127.0.0.1:$port/v1/chat/completions")
  echo "$thr" | grep -q "Non-2xx" && { echo "bench_gateway: errors through port $port" >&2; echo "$thr" >&2; }
  rps=$(echo "$thr" | awk '/Requests\/sec/ {print $2}')
  tp99=$(echo "$thr" | awk '$1=="99%" {print $2}')
  p50=$(echo "$lat" | awk '$1=="50%" {print $2}')
  p99=$(echo "$lat" | awk '$1=="99%" {print $2}')
  n=$(echo "$thr" | awk '/requests in/ {print $1}')
  per() { awk -v t="$1" -v hz="$HZ" -v n="$n" 'BEGIN { printf "%.0f", (n > 0 ? t * 1e6 / hz / n : 0) }'; }
  echo "$rps $tp99 $p50 $p99 $(per $((t1 - t0))) $(per $((s1 - s0))) $(per $((s2 - s0))) $drain"
}
to_us() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us$/,"",v); print v+0 } else if (v ~ /ms$/) { sub(/ms$/,"",v); print v*1000 } else if (v ~ /s$/) { sub(/s$/,"",v); print v*1000000 } else print v }'; }

NW_PIDS=$(pgrep -P "$N_PID" | tr '\n' ' ') # nginx's worker does the proxying
read -r d_rps d_tp99 d_p50 d_p99 d_cpu _ < <(run "$EP")
read -r n_rps n_tp99 n_p50 n_p99 n_cpu _ < <(run "$NP" $NW_PIDS)
read -r g_rps g_tp99 g_p50 g_p99 g_cpu _ < <(run "$GP" "$G_PID")
read -r a_rps a_tp99 a_p50 a_p99 a_cpu v_cpu v_all drain < <(SIDE_PID=$V_PID QUEUE_PROM="$T/state/metrics/receipts.prom" run "$AP" "$A_PID")
d50=$(to_us "$d_p50"); d99=$(to_us "$d_p99")
printf '%-30s %12s %14s %12s %12s %14s\n' "path (1 loop each)" "req/s c64" "p99 c64" "p50 c1" "p99 c1" "added p50 c1"
printf '%-30s %12s %14s %12s %12s %14s\n' "direct to echo upstream" "$d_rps" "$d_tp99" "$d_p50" "$d_p99" "-"
printf '%-30s %12s %14s %12s %12s %11.0fus\n' "nginx proxy_pass keepalive" "$n_rps" "$n_tp99" "$n_p50" "$n_p99" "$(awk -v a="$(to_us "$n_p50")" -v b="$d50" 'BEGIN{print a-b}')"
printf '%-30s %12s %14s %12s %12s %11.0fus\n' "veritee gateway" "$g_rps" "$g_tp99" "$g_p50" "$g_p99" "$(awk -v a="$(to_us "$g_p50")" -v b="$d50" 'BEGIN{print a-b}')"
printf '%-30s %12s %14s %12s %12s %11.0fus\n' "gateway, auditors + receipts" "$a_rps" "$a_tp99" "$a_p50" "$a_p99" "$(awk -v a="$(to_us "$a_p50")" -v b="$d50" 'BEGIN{print a-b}')"
echo
echo "CPU per request during the c64 runs (utime+stime over requests answered):"
printf '  nginx worker %s us, gateway pass-through %s us, gateway audited %s us, verifier %s us per receipt\n' \
  "$n_cpu" "$g_cpu" "$a_cpu" "$v_cpu"
printf '  the verifier to the end of the receipt queue (%s s after the run): %s us per receipt\n' "$drain" "$v_all"
awk -v r="$a_rps" -v s="$secs" -v d="$drain" 'BEGIN { printf "audited requests/s with every receipt logged (run + drain): %.0f\n", r*s/(s+d) }'

awk -v g="$a_rps" -v n="$n_rps" 'BEGIN { printf "audited gateway throughput / nginx: %.0f%%\n", 100*g/n }'
awk -v g="$g_rps" -v n="$n_rps" 'BEGIN { printf "gateway throughput / nginx: %.0f%% (goal >= 100%%)\n", 100*g/n }'
awk -v a="$(to_us "$g_p50")" -v b="$d50" 'BEGIN { printf "gateway added p50 latency: %.0f us (goal <= 200 us)\n", a-b }'

# Streamed chat, one word per SSE event (the echo stand-in splits the answer into words), a
# 64-word answer per stream, two ways:
#  - paced, as models really stream: BENCH_STREAMS concurrent streams (default 512), each at
#    BENCH_RATE events/s (default 100, a fast model), so the question is whether the gateway
#    keeps up with the upstream;
#  - burst: 64 streams whose upstream writes every event at once, so the gateway's CPU per
#    event is the bound (the worst case, not how models stream).
# Events/s = streams/s x events per stream (counted from one real stream), direct vs through
# the pass-through gateway and the gateway with every auditor; the gateways' CPU per event.
words=$(printf 'word%d ' $(seq 64))
streams="${BENCH_STREAMS:-512}"; rate="${BENCH_RATE:-100}"
mklua() {
  cat >"$T/$1.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"$2","stream":true,"messages":[{"role":"user","content":"$words"}]}'
LUA
}
mklua burst echo
mklua paced "echo-rate-$rate"
body=$(sed -n "s/^wrk.body = '\(.*\)'$/\1/p" "$T/burst.lua")
ev=$(curl -sN -H 'Content-Type: application/json' -d "$body" "http://127.0.0.1:$EP/v1/chat/completions" | grep -c '^data:')
ev_gw=$(curl -sN -H 'Content-Type: application/json' -d "$body" "http://127.0.0.1:$AP/v1/chat/completions" | grep -c '^data:')
# srun LUA CONNS PORT EVENTS [PID...] -> "events/s cpu_us_per_event" (CPU of the PIDs)
srun() {
  local lua=$1 c=$2 port=$3 e=$4 out t0 t1 n
  shift 4
  t0=$(ticks "$@")
  out=$(wrk -t2 -c"$c" -d"${secs}s" -s "$T/$lua.lua" "http://127.0.0.1:$port/v1/chat/completions")
  t1=$(ticks "$@")
  n=$(echo "$out" | awk '/requests in/ {print $1}')
  echo "$out" | awk -v e="$e" -v t=$((t1 - t0)) -v hz="$HZ" -v n="$n" \
    '/Requests\/sec/ { printf "%.0f %.1f\n", $2 * e, (n > 0 ? t * 1e6 / hz / (n * e) : 0) }'
}
echo
printf '%-34s %14s %14s %14s %14s\n' "streamed chat, events/s" "paced" "CPU/event" "burst" "CPU/event"
for path in "direct to echo upstream:$EP:$ev:" "veritee gateway (pass-through):$GP:$ev:$G_PID" \
            "gateway, auditors + receipt event:$AP:$ev_gw:$A_PID"; do
  IFS=: read -r name port e pid <<<"$path"
  read -r p_ev p_cpu < <(srun paced "$streams" "$port" "$e" $pid)
  read -r b_ev b_cpu < <(srun burst 64 "$port" "$e" $pid)
  [ -n "$pid" ] || { p_cpu=-; b_cpu=-; }
  printf '%-34s %14s %14s %14s %14s\n' "$name" "$p_ev" "$p_cpu" "$b_ev" "$b_cpu"
  case "$port" in "$EP") pd=$p_ev bd=$b_ev ;; "$AP") pa=$p_ev ba=$b_ev ;; esac
done
echo "(paced: $streams streams at $rate events/s each; burst: 64 streams, all events at once; CPU in us)"
awk -v a="$pa" -v d="$pd" -v b="$ba" -v e="$bd" 'BEGIN {
  printf "audited streamed events/s / upstream alone: paced %.0f%% (goal >= 80%%), burst %.0f%%\n", 100*a/d, 100*b/e }'
