#!/usr/bin/env bash
# The Observer's bundle size and first-render time (docs/observer.md): a
# simulated deployment with a passport and receipts, then headless chromium
# loading the pages from a fresh browser context each time.
# usage: bench/bench_observer.sh BUILD_DIR [LOADS]   (skips without chromium or playwright-core)
set -uo pipefail
build="$(cd "${1:-build}" && pwd)"
loads="${2:-10}"
root="$(cd "$(dirname "$0")/.." && pwd)"
CHROMIUM="${CHROMIUM:-$(command -v chromium || true)}"
PW="$build/npm-observer/node_modules/playwright-core"
[ -n "$CHROMIUM" ] && [ -d "$PW" ] || { echo "bench_observer: skipped (needs chromium and the observer test's playwright-core: run make test once)"; exit 0; }
echo "bundle (web/, compiled into the verifier):"
printf '| file | bytes | gzip -9 |\n|---|---:|---:|\n'
total=0; gz=0
for f in "$root"/web/*; do
  b=$(wc -c <"$f"); g=$(gzip -9c "$f" | wc -c); total=$((total + b)); gz=$((gz + g))
  printf '| %s | %d | %d |\n' "$(basename "$f")" "$b" "$g"
done
printf '| **total** | **%d** | **%d** |\n\n' "$total" "$gz"

export VERITEE_BIN="$build/veritee"
cd "$root/tests/e2e" || exit 1
. ./lib.sh
. ./gateway_lib.sh
. ./deploy_lib.sh
deploy_sim bench >/dev/null
for i in $(seq 20); do
  "$VT" chat --gateway "http://$GW" --verifier "$V" --environment bench --trust-sim --model echo "bench $i" >/dev/null || true
done
sleep 1
echo "first render, $loads loads each (ms, navigation start to the element):"
printf '| page | p50 | p90 |\n|---|---:|---:|\n'
cp "$root/bench/observer_render.mjs" "$build/npm-observer/"
node "$build/npm-observer/observer_render.mjs" "$V" "$CHROMIUM" "$loads"
