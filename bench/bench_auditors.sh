#!/usr/bin/env bash
# The cost of an external auditor in the gateway's chain, in one run:
#   built-ins  wrk -> gateway (pii on request+response, policy) -> echo upstream
#   external   the same gateway config plus one trivial external auditor (bench/auditor_trivial,
#              sdk/c: allows everything) on the request phase, over its Unix socket
# Small chat requests (~150 B).  wrk -t2 -c64 (64 concurrent exchanges): throughput and p50;
# wrk -t1 -c1: p50 alone.  Added latency per call = external minus built-ins.  No verifier:
# the gateways run --allow-unverified (no receipts), so only the auditors differ.  Beside them,
# the call itself at c64: the gateway's own histogram of each call (request sent to answer read,
# <state>/metrics/auditors.prom), its p50 and p90 over the c64 run.
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
"$VT" gateway --config "$T/b.json" --listen-plain "127.0.0.1:$BP" --threads 1 --allow-unverified >/dev/null 2>"$T/gb.err" &
PIDS="$PIDS $!"
"$VT" gateway --config "$T/x.json" --listen-plain "127.0.0.1:$XP" --threads 1 --allow-unverified >/dev/null 2>"$T/gx.err" &
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
# The trivial auditor's cumulative call histogram now, as "le count" lines (the file is rewritten
# every second: wait for a fresh one).
hist() {
  sleep 1.2
  sed -n 's/^veritee_gateway_auditor_call_seconds_bucket{auditor="trivial",le="\([^"]*\)"} \([0-9]*\)$/\1 \2/p' \
    "$VERITEE_STATE/metrics/auditors.prom"
}
# QUANTILE BEFORE AFTER: the quantile of the calls between two snapshots, linear within a bucket.
quantile() {
  python3 - "$1" "$2" "$3" <<'PY'
import sys
q = float(sys.argv[1])
def load(p):
    return [(float(l.split()[0]) if l.split()[0] != "+Inf" else float("inf"), int(l.split()[1])) for l in open(p) if l.strip()]
a, b = load(sys.argv[2]), load(sys.argv[3])
d = [(le, cb - ca) for (le, ca), (_, cb) in zip(a, b)]
total = d[-1][1]
if total == 0:
    print("-"); sys.exit()
want, lo, prev = q * total, 0.0, 0
for le, c in d:
    if c >= want:
        hi = le if le != float("inf") else lo
        print("%.0f" % (1e6 * (lo + (hi - lo) * (want - prev) / max(c - prev, 1))))
        break
    lo, prev = le, c
PY
}
read -r b_rps b_p64 b_p1 < <(run "$BP")
hist >"$T/h0"
thr=$(wrk -t2 -c64 -d"${secs}s" --latency -s "$T/post.lua" "http://127.0.0.1:$XP/v1/chat/completions")
hist >"$T/h1"
call_p50=$(quantile 0.5 "$T/h0" "$T/h1"); call_p90=$(quantile 0.9 "$T/h0" "$T/h1")
calls=$(awk 'NR==FNR { a[$1] = $2; next } $1 == "+Inf" { print $2 - a[$1] }' "$T/h0" "$T/h1")
read -r x_rps x_p64 x_p1 < <(run "$XP")
printf '%-44s %10s %12s %12s\n' "gateway (1 loop), chat requests" "req/s c64" "p50 c64" "p50 c1"
printf '%-44s %10s %10.0fus %10.0fus\n' "built-ins only (pii, policy)" "$b_rps" "$b_p64" "$b_p1"
printf '%-44s %10s %10.0fus %10.0fus\n' "built-ins + 1 trivial external (request)" "$x_rps" "$x_p64" "$x_p1"
awk -v a="$x_p1" -v b="$b_p1" 'BEGIN { printf "added p50 per external call, c1: %.0f us\n", a-b }'
awk -v a="$x_p64" -v b="$b_p64" 'BEGIN { printf "added p50 per external call, c64: %.0f us (goal <= 200 us)\n", a-b }'
awk -v x="$x_rps" -v b="$b_rps" 'BEGIN { printf "throughput with the external auditor / built-ins only: %.0f%% (goal >= 70%%)\n", 100*x/b }'
echo "the call itself at c64 (gateway histogram, $calls calls): p50 ${call_p50} us, p90 ${call_p90} us (goal: p50 <= 200 us)"
