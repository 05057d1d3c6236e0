#!/usr/bin/env bash
# Passports per second over HTTP at 32 connections, beside the in-process verify
# rate of the same evidence (bench/passport_load.c).  A verifier on SQLite in a
# temp dir (--trust-sim), an environment that accepts the TDX simulator.
# usage: bench/bench_passport.sh BUILD_DIR [SECONDS] [CONNS]
set -euo pipefail
build="${1:-build}"
secs="${2:-${BENCH_SECS:-5}}"
conns="${3:-32}"
VT="$build/veritee"
LOAD="$build/bench/passport_load"
[ -x "$VT" ] && [ -x "$LOAD" ] || { echo "bench_passport: build first ($VT, $LOAD)"; exit 1; }
T=$(mktemp -d)
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$T"; }
trap cleanup EXIT
export VERITEE_STATE="$T/state"
echo benchtoken0123456789abcdef >"$T/admin"
chmod 600 "$T/admin"
"$VT" verifier --listen 127.0.0.1:0 --offline --admin-token-file "$T/admin" --trust-sim --quiet \
  --rate 100000 --max-per-client 256 ${BENCH_VERIFIER_ARGS:-} >"$T/v.out" 2>"$T/v.err" &
PID=$!
for _ in $(seq 100); do grep -q listening "$T/v.out" 2>/dev/null && break; sleep 0.05; done
V="http://$(grep -o '127\.0\.0\.1:[0-9]*' "$T/v.out" | head -1)"
"$VT" env create bench --verifier "$V" --admin-token-file "$T/admin" --allow-simulated --min-tcb any >/dev/null
echo "| measurement | per second | vs limit |"
echo "|---|---:|---:|"
cpu() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
c0=$(cpu)
"$LOAD" "$V" bench "$T/state" "$conns" "$secs" | tee "$T/load.out"
c1=$(cpu)
# The client (the simulator making fresh evidence for every nonce) shares the 2 cores and
# bounds the HTTP rate; the verifier's own CPU per passport says what it could serve.
n=$(awk -F'|' '/passports over HTTP/ {print $3}' "$T/load.out")
limit=$(awk -F'|' '/in-process verify/ {print $3}' "$T/load.out")
awk -v n="$n" -v s="$secs" -v c="$((c1 - c0))" -v hz="$(getconf CLK_TCK)" -v lim="$limit" 'BEGIN {
  total = n * s; cs = c / hz
  if (total > 0 && cs > 0)
    printf "| verifier CPU per passport: %.1f ms, i.e. passports per verifier core-second | %.0f | %.0f%% |\n", 1000 * cs / total, total / cs, 100 * (total / cs) / lim
}'
