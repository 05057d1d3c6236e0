#!/usr/bin/env bash
# Oblivious HTTP interoperability: tests/e2e/ohttp_interop/interop.mjs encapsulates a
# chat request with npm @hpke/core + @hpke/dhkem-x25519 and bhttp-js (code nobody on this
# project wrote), posts it to the gateway's /v1/ohttp and reads the answer.  The packages
# are installed at test time into a cache under the build tree; without network the test
# is skipped (like test_gateway_openai).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gateway_lib.sh"
command -v node >/dev/null && command -v npm >/dev/null || { echo "skipped: node/npm not installed"; exit 77; }
[ -x "$ECHO_BIN" ] || { echo "skipped: $ECHO_BIN not built"; exit 77; }
src="$(cd "$(dirname "$0")/ohttp_interop" && pwd)"
cache="${VERITEE_BUILD:-$TMP}/npm-ohttp-interop"
mkdir -p "$cache"
cp "$src/package.json" "$src/interop.mjs" "$cache/"
if [ ! -d "$cache/node_modules/bhttp-js" ] || [ ! -d "$cache/node_modules/@hpke/dhkem-x25519" ]; then
  (cd "$cache" && timeout 120 npm install --no-audit --no-fund --silent >"$TMP/npm.log" 2>&1) ||
    { echo "skipped: npm install failed (offline?)"; tail -5 "$TMP/npm.log"; exit 77; }
fi

start_echo echo
echo "{\"upstream\":\"http://$ECHO\",\"threads\":1}" >"$TMP/gw.json"
start_gateway gw "$TMP/gw.json"
expect 0 "an @hpke/core + bhttp-js request through the gateway's /v1/ohttp" -- node "$cache/interop.mjs" "http://$GW" "zebra-interop-8812"
contains "ok" "the answer decapsulated and decoded"
finish
