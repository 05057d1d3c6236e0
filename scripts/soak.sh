#!/usr/bin/env bash
# make soak: a steady request rate through a verifier, a gateway and the echo
# upstream (scripts/resilience.py).  SOAK_SECS (default 1800), SOAK_RATE chats/s (10),
# SOAK_ARGS more options (e.g. --keep --trace 30; an RSS/fd line goes to stderr every 60 s).
set -euo pipefail
build="${1:-build}"
root="$(cd "$(dirname "$0")/.." && pwd)"
exec python3 "$root/scripts/resilience.py" soak "$build" --secs "${SOAK_SECS:-1800}" --rate "${SOAK_RATE:-10}" ${SOAK_ARGS:-}
