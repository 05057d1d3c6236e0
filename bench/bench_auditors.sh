#!/usr/bin/env bash
# The cost of an external auditor in the gateway's chain, in one run:
#   built-ins  wrk -> gateway (pii on request+response, policy) -> echo upstream
#   external   the same gateway config plus one trivial external auditor (bench/auditor_trivial,
#              sdk/c: allows everything) on the request phase, over its Unix socket
# Small chat requests (~150 B).  wrk -t2 -c64 (64 concurrent exchanges): throughput and p50;
# wrk -t1 -c1: p50 alone.  Added latency per call = external minus built-ins.  No verifier:
# the gateways run --allow-unverified (no receipts), so only the auditors differ.
# usage: bench/bench_auditors.sh BUILD_DIR [SECONDS]
set -euo pipefail
build="${1:-build}"
secs="${2:-${BENCH_SECS:-5}}"
command -v wrk >/dev/null || { echo "bench_auditors: skipped (wrk not installed)"; exit 0; }
VT="$build/veritee"
ECHO_BIN="$build/veritee-echo-upstream"
AUD="$build/bench/auditor_trivial"
[ -x "$VT" ] && [ -x "$ECHO_BIN" ] && [ -x "$AUD" ] || { echo "bench_auditors: build first"; exit 1; }
T=$(mktemp -d /tmp/vtbench-XXXXXX)
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$T"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0; sleep 0.05; done; return 1; }
export VERITEE_STATE="$T/state"

EP=$(free_port); BP=$(free_port); XP=$(free_port)
"$ECHO_BIN" --listen "127.0.0.1:$EP" --threads 1 >/dev/null 2>&1 & PIDS="$PIDS $!"
"$AUD" "$T/a.sock" >/dev/null 2>"$T/aud.err" & PIDS="$PIDS $!"
builtins='{"name":"pii","phases":["request","response"]},{"name":"policy","blocked_terms":["forbidden-term"]}'
cat >"$T/b.json" <<JSON
{"upstream":"http://127.0.0.1:$EP","auditors":[$builtins]}
JSON
cat >"$T/x.json" <<JSON
{"upstream":"http://127.0.0.1:$EP","auditors":[$builtins,
 {"name":"trivial","kind":"external","version":"1.0.0","phases":["request"],"socket":"$T/a.sock",
  "executable":"$(readlink -f "$AUD")","timeout_ms":1000}]}
JSON
"$VT" gateway --config "$T/b.json" --listen "127.0.0.1:$BP" --threads 1 --allow-unverified >/dev/null 2>"$T/gb.err" &
PIDS="$PIDS $!"
"$VT" gateway --config "$T/x.json" --listen "127.0.0.1:$XP" --threads 1 --allow-unverified >/dev/null 2>"$T/gx.err" &
PIDS="$PIDS $!"
for p in $EP $BP $XP; do wait_port "$p" || { echo "bench_auditors: port $p did not open"; cat "$T"/g*.err; exit 1; }; done
cat >"$T/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"echo","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"What is the capital of France?"}]}'
LUA
to_us() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us$/,"",v); print v+0 } else if (v ~ /ms$/) { sub(/ms$/,"",v); print v*1000 } else if (v ~ /s$/) { sub(/s$/,"",v); print v*1000000 } else print v }'; }
run() { # PORT -> "rps p50_c64 p50_c1"
  local thr lat
  thr=$(wrk -t2 -c64 -d"${secs}s" --latency -s "$T/post.lua" "http://127.0.0.1:$1/v1/chat/completions")
  lat=$(wrk -t1 -c1 -d"${secs}s" --latency -s "$T/post.lua" "http://127.0.0.1:$1/v1/chat/completions")
  echo "$thr" | grep -q "Non-2xx" && { echo "bench_auditors: errors through port $1" >&2; echo "$thr" >&2; }
  echo "$(echo "$thr" | awk '/Requests\/sec/ {print $2}') $(to_us "$(echo "$thr" | awk '$1=="50%" {print $2}')") $(to_us "$(echo "$lat" | awk '$1=="50%" {print $2}')")"
}
read -r b_rps b_p64 b_p1 < <(run "$BP")
read -r x_rps x_p64 x_p1 < <(run "$XP")
printf '%-44s %10s %12s %12s\n' "gateway (1 loop), chat requests" "req/s c64" "p50 c64" "p50 c1"
printf '%-44s %10s %10.0fus %10.0fus\n' "built-ins only (pii, policy)" "$b_rps" "$b_p64" "$b_p1"
printf '%-44s %10s %10.0fus %10.0fus\n' "built-ins + 1 trivial external (request)" "$x_rps" "$x_p64" "$x_p1"
awk -v a="$x_p1" -v b="$b_p1" 'BEGIN { printf "added p50 per external call, c1: %.0f us\n", a-b }'
awk -v a="$x_p64" -v b="$b_p64" 'BEGIN { printf "added p50 per external call, c64: %.0f us (goal <= 200 us)\n", a-b }'
awk -v x="$x_rps" -v b="$b_rps" 'BEGIN { printf "throughput with the external auditor / built-ins only: %.0f%% (goal >= 70%%)\n", 100*x/b }'
