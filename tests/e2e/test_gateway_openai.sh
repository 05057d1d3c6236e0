#!/usr/bin/env bash
# Compatibility with the official OpenAI client library (npm "openai"): plain and
# streamed chat through the gateway, over plain HTTP and over the gateway's attested
# HTTPS listener (its self-signed certificate trusted through NODE_EXTRA_CA_CERTS, no
# verification switched off).  The package is installed at test time into a cache under
# the build tree; without network the test is skipped.
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

# HTTPS: the gateway's attested TLS listener (the enclave key, a self-signed certificate).
"$VT" gateway --config "$TMP/gw.json" --listen 127.0.0.1:0 --json >"$TMP/gws.out" 2>"$TMP/gws.err" &
PIDS="$PIDS $!"
GWS=$(listening "$TMP/gws.out" "https gateway" "$TMP/gws.err") || exit 1
openssl s_client -connect "$GWS" </dev/null 2>/dev/null | openssl x509 >"$TMP/gw-cert.pem"
expect 0 "the gateway's certificate" -- openssl x509 -in "$TMP/gw-cert.pem" -noout -subject
# Without trusting it, the client refuses the self-signed certificate (the check is real) ...
expect 1 "openai client over https, certificate not trusted" -- env -u NODE_EXTRA_CA_CERTS -u NODE_TLS_REJECT_UNAUTHORIZED \
  node "$cache/chat.mjs" "https://$GWS/v1"
contains "certificate" "refused for the certificate"
# ... and with the certificate as an extra CA, every check passes over TLS.
expect 0 "openai client over https" -- env -u NODE_TLS_REJECT_UNAUTHORIZED NODE_EXTRA_CA_CERTS="$TMP/gw-cert.pem" \
  node "$cache/chat.mjs" "https://$GWS/v1"
contains "ok" "all checks over https"
finish
