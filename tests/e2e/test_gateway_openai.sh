#!/usr/bin/env bash
# Compatibility with the official OpenAI client library (npm "openai"): plain and
# streamed chat through the gateway.  The package is installed at test time into
# a cache under the build tree; without network the test is skipped.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gateway_lib.sh"
command -v node >/dev/null && command -v npm >/dev/null || { echo "skipped: node/npm not installed"; exit 77; }
[ -x "$ECHO_BIN" ] || { echo "skipped: $ECHO_BIN not built"; exit 77; }
src="$(cd "$(dirname "$0")/openai" && pwd)"
cache="${VERITEE_BUILD:-$TMP}/npm-openai"
mkdir -p "$cache"
cp "$src/package.json" "$src/chat.mjs" "$cache/"
if [ ! -d "$cache/node_modules/openai" ]; then
  (cd "$cache" && timeout 120 npm install --no-audit --no-fund --silent >"$TMP/npm.log" 2>&1) ||
    { echo "skipped: npm install openai failed (offline?)"; tail -5 "$TMP/npm.log"; exit 77; }
fi

start_echo echo
echo "{\"upstream\":\"http://$ECHO\",\"threads\":1}" >"$TMP/gw.json"
start_gateway gw "$TMP/gw.json"
expect 0 "openai client through the gateway" -- node "$cache/chat.mjs" "http://$GW/v1"
contains "ok" "all checks"
finish
