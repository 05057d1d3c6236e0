#!/usr/bin/env bash
# House rules (STYLE.md HS-15) as a test, so that the suite fails on a banned call.
cd "$(dirname "$0")/../.." || exit 1
if scripts/checksrc; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; exit 1; fi
