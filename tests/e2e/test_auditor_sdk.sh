#!/usr/bin/env bash
# The Python auditor SDK (sdk/python, standard library only) and the example
# auditors built on it, each over its real transport (docs/auditors.md).
command -v python3 >/dev/null || { echo "skipped: python3 not installed"; exit 77; }
root="$(cd "$(dirname "$0")/../.." && pwd)"
status=0
for t in "$root"/examples/auditors/*/test_*.py; do
  (cd "$(dirname "$t")" && python3 -m unittest "$(basename "$t" .py)" 2>&1) || status=1
done
[ "$status" -eq 0 ] && echo "auditor SDK examples: passed" || echo "FAIL: auditor SDK examples"
exit $status
