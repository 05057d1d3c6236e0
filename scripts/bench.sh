#!/usr/bin/env bash
# make bench: every benchmark in bench/, each printing ours next to its limit
# measured in the same run.  Timing never decides a test; this only reports.
set -euo pipefail
build="${1:-build}"
root="$(cd "$(dirname "$0")/.." && pwd)"
export VERITEE_VECTORS="${VERITEE_VECTORS:-$root/../shared/vectors}"
export VERITEE_PCS_STANDIN="${VERITEE_PCS_STANDIN:-$root/tests/e2e/pcs_standin.py}"
# bench_pii: PII scanning (Hyperscan) next to a PCRE2 JIT loop over the same patterns.
for b in "$build"/bench/bench_*; do
  [ -x "$b" ] || continue
  echo "== $(basename "$b")"
  "$b" "${BENCH_SECS:-3}"
  echo
done
# The gateway proxy against nginx and the bare upstream (skips when wrk or nginx is missing).
if [ -x "$root/bench/bench_gateway.sh" ]; then
  echo "== bench_gateway"
  "$root/bench/bench_gateway.sh" "$build" "${BENCH_SECS:-3}"
  echo
fi
# New connections/s while thousands of others stay open, against nginx.
if [ -x "$root/bench/bench_accept.sh" ]; then
  echo "== bench_accept"
  "$root/bench/bench_accept.sh" "$build" "${BENCH_SECS:-3}"
  echo
fi
# External auditors: one trivial auditor in the chain next to the built-ins alone.
if [ -x "$root/bench/bench_auditors.sh" ]; then
  echo "== bench_auditors"
  "$root/bench/bench_auditors.sh" "$build" "${BENCH_SECS:-3}"
  echo
fi
# The Observer dashboard: bundle size and first render in headless chromium.
if [ -x "$root/bench/bench_observer.sh" ]; then
  echo "== bench_observer"
  "$root/bench/bench_observer.sh" "$build" 10
  echo
fi
# The verifier on PostgreSQL: log appends and passports (skips without PostgreSQL's server).
if [ -x "$root/bench/bench_pg.sh" ]; then
  echo "== bench_pg"
  "$root/bench/bench_pg.sh" "$build" "${BENCH_SECS:-3}"
  echo
fi
# Passports per second over HTTP at 32 connections, beside the in-process verify rate.
if [ -x "$root/bench/bench_passport.sh" ]; then
  echo "== bench_passport"
  "$root/bench/bench_passport.sh" "$build" "${BENCH_SECS:-3}" 32
  echo
fi
