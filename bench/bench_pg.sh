#!/usr/bin/env bash
# The verifier on PostgreSQL: log appends (bench_log with BENCH_LOG_DB, beside a plain
# libpq insert loop) and passports over HTTP (bench_passport.sh with --db), on a
# throwaway local cluster with fsync on (scripts/pg_cluster.sh).  Skips when the
# PostgreSQL server binaries are missing.
# usage: bench/bench_pg.sh BUILD_DIR [SECONDS]
set -euo pipefail
build="${1:-build}"
secs="${2:-${BENCH_SECS:-5}}"
root="$(cd "$(dirname "$0")/.." && pwd)"
. "$root/scripts/pg_cluster.sh"
trap pg_cluster_stop EXIT
[ -x "$build/bench/bench_log" ] || { echo "bench_pg: build first ($build/bench/bench_log)"; exit 1; }
pg_cluster_start on || { echo "bench_pg: skipped: $PG_WHY"; exit 0; }
# The log benchmark in a database of its own (its origin differs from the verifier's).
db=$(pg_cluster_db benchlog)
BENCH_SECS="$secs" BENCH_LOG_DB="$db" "$build/bench/bench_log" 2>/dev/null
echo
echo "== passports over HTTP on PostgreSQL"
BENCH_VERIFIER_ARGS="--db $PG_URL" "$root/bench/bench_passport.sh" "$build" "$secs"
