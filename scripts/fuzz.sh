#!/usr/bin/env bash
# Runs every libFuzzer target for a bounded time.  Seeds come from the simulator
# (always) and from the real vectors (when present); nothing is committed.
set -euo pipefail
build="$1"; secs="${2:-60}"
root="$(cd "$(dirname "$0")/.." && pwd)"
vectors="${VERITEE_VECTORS:-$root/../shared/vectors}"
work="$root/fuzz/corpus-run"
mkdir -p "$work"
export VERITEE_STATE="$work/state"

seed_dir() { mkdir -p "$work/$1"; echo "$work/$1"; }

# Seeds: simulated quotes and collateral, and the real ones when available.
q=$(seed_dir quote); c=$(seed_dir collateral)
for f in "$root"/fuzz/seeds/*; do [ -f "$f" ] && cp "$f" "$q/"; done
if [ -d "$vectors/tdx" ]; then
  i=0
  for f in "$vectors"/tdx/*/quote.bin; do i=$((i+1)); cp "$f" "$q/real-$i.bin"; done
  for f in "$vectors"/tdx/*/collateral-*/*.json "$vectors"/tdx/*/collateral-*/*.pem "$vectors"/tdx/*/collateral-*/*.der; do
    i=$((i+1)); cp "$f" "$c/real-$i"; done
fi
n=$(seed_dir nitro)
if [ -d "$vectors/nitro" ]; then
  for f in "$vectors"/nitro/*.cbor; do cp "$f" "$n/"; done
fi
# Seeds for the auditor JSON walker: chat, completions, embeddings, responses.
a=$(seed_dir audit)
printf '%s' '{"model":"m","messages":[{"role":"user","content":"mail a\u0040example.com card 4111 1111 1111 1111"}]}' >"$a/chat"
printf '%s' '{"model":"m","messages":[{"content":[{"type":"text","text":"ip 10.0.0.1 AKIAIOSFODNN7EXAMPLE"}]}]}' >"$a/parts"
printf '%s' '{"prompt":["DE89 3704 0044 0532 0130 00","+1 415 555 2671"],"input":"123-45-6789"}' >"$a/prompt"
printf '%s' '{"choices":[{"message":{"content":"-----BEGIN PRIVATE KEY-----\nAA\n-----END PRIVATE KEY-----"}},{"text":"fe80::1ff:fe23:4567:890a"}]}' >"$a/resp"
status=0
for t in "$build"/fuzz/fuzz_*; do
  [ -x "$t" ] || continue
  name=$(basename "$t"); corpus=$(seed_dir "$name")
  case "$name" in *collateral*) cp -n "$c"/* "$corpus/" 2>/dev/null || true ;;
    *nitro*) cp -n "$n"/* "$corpus/" 2>/dev/null || true ;;
    *audit*) cp -n "$a"/* "$corpus/" 2>/dev/null || true ;; *) cp -n "$q"/* "$corpus/" 2>/dev/null || true ;; esac
  echo "fuzz: $name for ${secs}s"
  if ! "$t" -max_total_time="$secs" -max_len=65536 -artifact_prefix="$work/$name-" -print_final_stats=1 "$corpus" >"$work/$name.log" 2>&1; then
    echo "fuzz: $name FAILED; see $work/$name.log"; tail -30 "$work/$name.log"; status=1
  else
    grep -E 'stat::number_of_executed_units|stat::peak_rss' "$work/$name.log" | sed "s/^/  $name /"
  fi
done
exit $status
