#!/usr/bin/env bash
# House rules (STYLE.md HS-15) as a test, so that the suite fails on a banned call.
cd "$(dirname "$0")/../.." || exit 1
pass=0 fail=0
ok() { echo "ok: $1"; pass=$((pass + 1)); }
ko() { echo "FAIL: $1"; fail=$((fail + 1)); }
if scripts/checksrc; then ok "the tree keeps the house rules"; else ko "the tree breaks a house rule"; fi

# The layer checks catch an include that points up (a copy of src/, one violation at a time).
tmp=$(mktemp -d "${VERITEE_TEST_TMP:-/tmp}/checksrc.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/scripts" && cp scripts/checksrc "$tmp/scripts/"
for case in 'tee/tdx.c|#include "http/mcp.h"' 'tee/tdx_collect.c|#include "veritee/attester.h"' \
            'crypto/jws.c|#include "appraise/appraise_int.h"' 'base/buf.c|#include "veritee/crypto.h"' \
            'appraise/passport.c|#include "client/client.h"' 'http/client.c|#include "veritee/attester.h"'; do
  f=${case%%|*} line=${case#*|}
  rm -rf "$tmp/src" && cp -r src "$tmp/src"
  printf '%s\n' "$line" >>"$tmp/src/lib/$f"
  out=$("$tmp/scripts/checksrc" 2>&1)
  if [ $? -ne 0 ] && grep -q "src/lib/${f%%/*} includes" <<<"$out"; then ok "$f: $line refused"; else ko "$f: $line accepted"; fi
done
# The verify-only core includes neither libcurl nor cjose.
for case in 'tee/tdx_pcs.c|#include <curl/curl.h>|libcurl outside' 'appraise/passport.c|#include <cjose/cjose.h>|cjose outside'; do
  f=${case%%|*} rest=${case#*|} line=${rest%%|*} want=${rest#*|}
  rm -rf "$tmp/src" && cp -r src "$tmp/src"
  printf '%s\n' "$line" >>"$tmp/src/lib/$f"
  out=$("$tmp/scripts/checksrc" 2>&1)
  if [ $? -ne 0 ] && grep -q "$want" <<<"$out"; then ok "$f: $line refused"; else ko "$f: $line accepted"; fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
