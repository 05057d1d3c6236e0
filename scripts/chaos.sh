#!/usr/bin/env bash
# make chaos: traffic through a verifier, a gateway and the echo upstream while
# each is kill -9'ed and restarted in turn (scripts/resilience.py; a few minutes).
# CHAOS_ROUNDS (default 1), CHAOS_PHASE seconds between kills (12), CHAOS_RATE chats/s (10).
set -euo pipefail
build="${1:-build}"
root="$(cd "$(dirname "$0")/.." && pwd)"
exec python3 "$root/scripts/resilience.py" chaos "$build" --rounds "${CHAOS_ROUNDS:-1}" \
  --phase "${CHAOS_PHASE:-12}" --rate "${CHAOS_RATE:-10}"
