#!/usr/bin/env bash
# The Observer's in-browser checks (web/verify.js) under Node's WebCrypto, without a server:
# tokens and proofs made here that the page must refuse (a token of another type signed by the
# verifier, a passport not yet valid, a receipt of another environment or model or outside its
# passport's validity, a fractional index, a short hash) and the ones it must accept
# (observer/verify_test.mjs).
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
command -v node >/dev/null || { echo "skipped: needs node"; exit 77; }
node -e 'if (!globalThis.crypto || !globalThis.crypto.subtle) process.exit(1)' ||
  { echo "skipped: this node has no WebCrypto"; exit 77; }
TMP="$(mktemp -d "${VERITEE_TEST_TMP:-/tmp}/e2e-XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
cp "$HERE/../../web/verify.js" "$TMP/verify.mjs" # an ES module under the name node loads as one
node "$HERE/observer/verify_test.mjs" "$TMP/verify.mjs"
