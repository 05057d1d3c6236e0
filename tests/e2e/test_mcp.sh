#!/usr/bin/env bash
# MCP (Model Context Protocol) on the verifier: the JSON-RPC envelope and its
# error cases over curl, then the official @modelcontextprotocol/sdk client
# (npm; skipped offline) calling every tool against a simulated deployment.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gateway_lib.sh"
command -v curl >/dev/null && command -v jq >/dev/null || { echo "skipped: needs curl and jq"; exit 77; }
[ -x "$ECHO_BIN" ] || { echo "skipped: $ECHO_BIN not built"; exit 77; }
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/deploy_lib.sh"
deploy_sim mcp
expect 0 "chat" -- "$VT" chat --gateway "http://$GW" --verifier "$V" --environment mcp --trust-sim --model echo \
  --save-receipt "$TMP/r.jwt" "Hello from the MCP test"
RID=$("$VT" receipt show --json "$TMP/r.jwt" | jq -r .receipt)
PASS=$("$VT" receipt show --json "$TMP/r.jwt" | jq -r .passport)
for _ in $(seq 100); do curl -sf "$V/v1/receipts/$RID" >/dev/null && break; sleep 0.05; done

# The passport carries the primary measurement under the name other services use too.
curl -s "$V/v1/passports/$PASS" >"$TMP/p.json"
[ "$(jq -r .mrenclave "$TMP/p.json")" = "$(jq -r '.measurement | sub("^[a-z0-9]*:"; "")' "$TMP/p.json")" ] &&
  [ "$(jq -r '.mrenclave | length' "$TMP/p.json")" = 96 ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: passport mrenclave"; cat "$TMP/p.json"; }

# The passport carries the environment's deployment type (default "full").
[ "$(jq -r '.token | split(".")[1] | gsub("-"; "+") | gsub("_"; "/") | @base64d | fromjson | .veritee.deployment_type' "$TMP/p.json")" = full ] &&
  passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: passport deployment_type"; }

# rpc BODY: POSTs one message; the answer in $TMP/out, the status in $TMP/code
rpc() { curl -s -o "$TMP/out" -w '%{http_code}' -H 'Content-Type: application/json' \
  -H 'Accept: application/json, text/event-stream' --data-binary "$1" "$V/mcp" >"$TMP/code"; }
status_is() { # WANT DESCRIPTION
  if [ "$(cat "$TMP/code")" = "$1" ]; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL: $2: HTTP $(cat "$TMP/code"), wanted $1"; cat "$TMP/out"; fi
}

# --- the envelope, failure cases first ---
rpc '{"jsonrpc":"2.0","id":1,"method":'; status_is 400 "truncated JSON"; contains '"code":-32700' "parse error code"
rpc '[{"jsonrpc":"2.0","id":1,"method":"ping"}]'; status_is 400 "a batch"; contains '"code":-32600' "batch refused"
rpc '{"jsonrpc":"1.0","id":1,"method":"ping"}'; status_is 400 "wrong jsonrpc version"
rpc '{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}'; status_is 400 "object id"
rpc '{"jsonrpc":"2.0","id":1,"method":"ping","id":2}'; status_is 400 "duplicate keys"
rpc '{"jsonrpc":"2.0","id":7,"method":"resources/list"}'; status_is 200 "unknown method"
contains '"code":-32601' "method not found"; contains '"id":7' "id echoed"
rpc '{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"nope"}}'; contains '"code":-32602' "unknown tool"
rpc '{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"get_passport","arguments":[1]}}'
contains '"code":-32602' "arguments must be an object"
rpc '{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"get_passport","arguments":{"id":"../../v1/environments"}}}'
contains '"isError":true' "a path in an id is refused"; contains 'A-Za-z0-9' "names the allowed id"
rpc '{"jsonrpc":"2.0","method":"notifications/initialized"}'; status_is 202 "a notification gets 202"
[ ! -s "$TMP/out" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: a notification got a body"; }
head -c 1100000 /dev/zero | tr '\0' ' ' >"$TMP/big"
curl -s -o "$TMP/out" -w '%{http_code}' --data-binary @"$TMP/big" "$V/mcp" >"$TMP/code"
grep -Eq '^41[13]$' "$TMP/code" && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: oversized body: $(cat "$TMP/code")"; }
expect 0 "GET /mcp (no server stream) is 405" -- bash -c "[ \$(curl -s -o /dev/null -w '%{http_code}' '$V/mcp') = 405 ]"

# --- browsers: the Origin header (docs/mcp.md) ---
# A page of another site (or a DNS-rebinding page) may not call tools from a visitor's browser.
orpc() { # ORIGIN BODY [URL]: as rpc, with an Origin header
  curl -s -o "$TMP/out" -w '%{http_code}' -H 'Content-Type: application/json' -H "Origin: $1" \
    --data-binary "$2" "${3:-$V/mcp}" >"$TMP/code"; }
LIST='{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_environments"}}'
orpc http://evil.example "$LIST"; status_is 403 "a foreign Origin on POST /mcp"
contains '"code":"origin_not_allowed"' "the verifier's error shape"
contains '--allow-origin' "names the allow-list option"
lacks '"result"' "no tool ran"
orpc null "$LIST"; status_is 403 "Origin null"
orpc http://localhost.evil.example "$LIST"; status_is 403 "a look-alike of localhost"
# The verifier's other routes too: a state-changing request with the admin token is refused
# before it runs (the environment does not appear).
curl -s -o "$TMP/out" -w '%{http_code}' -X PUT -H "Authorization: Bearer $TOKEN" -H 'Origin: https://evil.example' \
  -H 'Content-Type: text/plain' --data-binary '{"allow_simulated":true}' "$V/v1/environments/from-evil" >"$TMP/code"
status_is 403 "PUT /v1/environments from another site"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$V/v1/environments/from-evil")" = 404 ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: an environment was created from another site"; }
curl -s -o "$TMP/out" -w '%{http_code}' -H 'Origin: https://evil.example' -H 'Content-Type: text/plain' \
  --data-binary '{"platform":"tdx","evidence":"AA=="}' "$V/v1/verify" >"$TMP/code"
status_is 403 "POST /v1/verify from another site"
# The verifier's own pages (the Observer, reached on the loopback) and clients without Origin go on.
orpc "$V" "$LIST"; status_is 200 "the verifier's own origin"; contains '"isError":false' "its tool ran"
orpc http://localhost:5173 "$LIST"; status_is 200 "a loopback origin"
rpc "$LIST"; status_is 200 "no Origin (not a browser)"
expect 2 "--allow-origin with a path" -- timeout 10 "$VT" verifier --listen 127.0.0.1:0 --allow-origin https://a.example/
contains "--allow-origin" "the error names the flag"
expect 2 "--allow-origin null" -- timeout 10 "$VT" verifier --listen 127.0.0.1:0 --allow-origin null
expect 0 "verifier --help" -- "$VT" verifier --help
contains "--allow-origin" "help names --allow-origin"

# --- browsers: CORS for the pages that are let in (docs/verifier.md, "Browsers") ---
# A preflight is granted only to an allowed origin, for the verifier's methods and the headers
# it reads; failure cases first.
vpre() { # ORIGIN METHOD [HEADERS] [URL]
  curl -sS -i -X OPTIONS -H "Origin: $1" -H "Access-Control-Request-Method: $2" \
    ${3:+-H "Access-Control-Request-Headers: $3"} "${4:-$V/v1/environments/x}"
}
for o in https://evil.example null http://localhost.evil.example; do
  expect 0 "verifier preflight from $o" -- vpre "$o" PUT "authorization, content-type"
  contains "HTTP/1.1 403" "verifier preflight from $o refused"
  contains '"code":"origin_not_allowed"' "verifier preflight from $o: the Origin rule's code"
  header_is Access-Control-Allow-Origin "" "verifier preflight from $o names no origin"
  header_is Access-Control-Allow-Methods "" "verifier preflight from $o grants nothing"
  header_is Vary Origin "verifier preflight from $o: Vary"
done
expect 0 "verifier preflight with an unknown header" -- vpre http://localhost:5173 PUT "authorization, x-admin"
contains "HTTP/1.1 403" "an unknown header is refused"
contains '"code":"preflight_not_allowed"' "its code"
contains 'request header x-admin is not allowed' "names it"
header_is Access-Control-Allow-Origin "" "nothing granted"
expect 0 "verifier preflight for DELETE" -- vpre http://localhost:5173 DELETE
contains '"code":"preflight_not_allowed"' "DELETE is not a verifier method"
contains 'only GET, POST, PUT' "names the router's methods"
expect 0 "verifier preflight granted" -- vpre http://localhost:5173 PUT "authorization,content-type"
contains "HTTP/1.1 204" "granted"
header_is Access-Control-Allow-Origin http://localhost:5173 "the page's origin"
header_is Vary Origin "Vary"
header_is Access-Control-Allow-Methods "GET, POST, PUT" "the router's methods"
header_is Access-Control-Allow-Headers "authorization, content-type, mcp-protocol-version" "the headers it reads"
header_is Access-Control-Max-Age 600 "bounded"
header_is Access-Control-Allow-Credentials "" "no credentials"
# Answers: a read, an error, MCP, an admin PUT with its bearer token, a receipt post whose reply
# waits for the log (sent later from another thread); each names the origin and exposes
# X-Request-Id.  Without Origin, nothing but Vary on what a cache may keep.
vanswer() { # DESCRIPTION [ORIGIN]
  header_is Access-Control-Allow-Origin "${2:-http://localhost:5173}" "$1: names the origin"
  header_is Vary Origin "$1: Vary"
  header_is Access-Control-Expose-Headers X-Request-Id "$1: exposes X-Request-Id"
  header_is Access-Control-Allow-Credentials "" "$1: no credentials"
}
expect 0 "GET /v1/passports from a page" -- curl -sS -i -H 'Origin: http://localhost:5173' "$V/v1/passports"
contains "HTTP/1.1 200" "served"; vanswer "GET /v1/passports"
expect 0 "a 404 to a page" -- curl -sS -i -H 'Origin: http://localhost:5173' "$V/v1/passports/nope"
contains "HTTP/1.1 404" "404"; vanswer "a 404"
expect 0 "POST /mcp from a page" -- curl -sS -i -H 'Origin: http://localhost:5173' -H 'Content-Type: application/json' \
  -H 'MCP-Protocol-Version: 2025-06-18' --data-binary "$LIST" "$V/mcp"
contains '"isError":false' "the tool ran"; vanswer "POST /mcp"
expect 0 "an admin PUT from a page" -- curl -sS -i -X PUT -H 'Origin: http://localhost:5173' \
  -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  --data-binary '{"description":"from a page","allow_simulated":true}' "$V/v1/environments/from-page"
contains "HTTP/1.1 20" "the admin action ran"; vanswer "PUT /v1/environments"
expect 0 "a receipt posted from a page" -- curl -sS -i -H 'Origin: http://localhost:5173' \
  -H 'Content-Type: application/json' --data-binary "{\"token\":\"$(cat "$TMP/r.jwt")\"}" "$V/v1/receipts"
contains "HTTP/1.1 20" "logged"; vanswer "POST /v1/receipts (a reply that waited for the log)"
expect 0 "GET /healthz without Origin" -- curl -sS -i "$V/healthz"
header_is Access-Control-Allow-Origin "" "no Origin: no CORS"
header_is Vary "" "no Origin, no-store: no Vary"
expect 0 "GET /v1/log/checkpoint without Origin" -- curl -sS -i "$V/v1/log/checkpoint"
header_is Access-Control-Allow-Origin "" "no Origin: no CORS on the checkpoint"
header_is Vary Origin "a cacheable answer varies with Origin"
# The gateway's receipt, to a page: named in Access-Control-Expose-Headers, so the page reads it.
expect 0 "a chat from a page through the gateway" -- curl -sS -i -H 'Origin: http://localhost:5173' \
  -H 'Content-Type: application/json' -H 'Authorization: Bearer sk-page' \
  --data-binary '{"model":"echo","messages":[{"role":"user","content":"from a page"}]}' "http://$GW/v1/chat/completions"
contains "HTTP/1.1 200" "served"
header_is Access-Control-Allow-Origin http://localhost:5173 "the gateway names the page's origin"
header_is Access-Control-Expose-Headers "Veritee-Receipt, Veritee-Key-Binding, Retry-After" "the receipt is exposed"
[ -n "$(header Veritee-Receipt)" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: no receipt"; }

# --- MCP-Protocol-Version: a revision the server does not speak is 400; absent is 2025-03-26 ---
vrpc() { # VERSION BODY [URL]
  curl -s -o "$TMP/out" -w '%{http_code}' -H 'Content-Type: application/json' -H "MCP-Protocol-Version: $1" \
    --data-binary "$2" "${3:-$V/mcp}" >"$TMP/code"; }
vrpc 1999-01-01 "$LIST"; status_is 400 "an unsupported MCP-Protocol-Version"
contains '"code":-32600' "a JSON-RPC error"; contains '2025-06-18' "names the revisions spoken"; lacks '"result"' "no tool ran"
vrpc bogus '{"jsonrpc":"2.0","id":1,"method":"ping"}'; status_is 400 "a malformed MCP-Protocol-Version"
for ver in 2025-11-25 2025-06-18 2025-03-26; do
  vrpc "$ver" "$LIST"; status_is 200 "MCP-Protocol-Version $ver"
done

# A tool's inner call of a route is counted against the caller's address, as that route's
# own request would be: one client spending its rate must not leave another client's calls
# refused (two client addresses on the loopback, --rate 1 --burst 2).
"$VT" verifier --listen 127.0.0.1:0 --state "$TMP/state-rate" --offline --trust-sim --rate 1 --burst 2 --quiet \
  --allow-origin https://App.Example.com --allow-origin http://intranet.example:8080 >"$TMP/vr.out" 2>"$TMP/vr.log" &
PIDS="$PIDS $!"
VR="http://$(listening "$TMP/vr.out" "server")" || exit 1
LIST='{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_environments"}}'
for _ in 1 2 3; do curl -s -o /dev/null --interface 127.0.0.2 -H 'Content-Type: application/json' --data-binary "$LIST" "$VR/mcp"; done
curl -s -o "$TMP/out" --interface 127.0.0.3 -H 'Content-Type: application/json' --data-binary "$LIST" "$VR/mcp"
contains '"isError":false' "one client's calls do not use up another's rate"
# --allow-origin (repeatable): the listed origins, normalised, and no others.
i=4 # an address each: this verifier runs --rate 1 --burst 2
for o in https://app.example.com https://APP.example.com:443 http://intranet.example:8080; do
  i=$((i + 1))
  curl -s -o "$TMP/out" --interface "127.0.0.$i" -H "Origin: $o" -H 'Content-Type: application/json' \
    --data-binary '{"jsonrpc":"2.0","id":1,"method":"ping"}' -w '%{http_code}' "$VR/mcp" >"$TMP/code"
  status_is 200 "--allow-origin lets $o in"
done
orpc https://evil.example "$LIST" "$VR/mcp"; status_is 403 "a foreign Origin with an allow-list"
orpc http://intranet.example "$LIST" "$VR/mcp"; status_is 403 "a listed host on another port"
# CORS for a listed origin: granted, with the origin as the page's browser sent it (a preflight
# is answered before admission, so it spends no rate).
expect 0 "preflight from a listed origin" -- vpre https://APP.example.com PUT content-type "$VR/v1/environments/x"
contains "HTTP/1.1 204" "granted"; header_is Access-Control-Allow-Origin https://APP.example.com "echoed as sent"
expect 0 "preflight from a listed host on another port" -- vpre http://intranet.example PUT "" "$VR/v1/environments/x"
contains "HTTP/1.1 403" "refused"; header_is Access-Control-Allow-Origin "" "names nobody"
curl -sS -i --interface 127.0.0.9 -H 'Origin: http://intranet.example:8080' "$VR/healthz" >"$TMP/out"
vanswer "a listed origin's answer" http://intranet.example:8080

# --- the happy path over curl ---
rpc '{"jsonrpc":"2.0","id":"a","method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}'
status_is 200 "initialize"; contains '"protocolVersion":"2025-06-18"' "the client's revision is kept"
contains '"name":"veritee-verifier"' "server info"
rpc '{"jsonrpc":"2.0","id":"b","method":"initialize","params":{"protocolVersion":"1999-01-01"}}'
contains '"protocolVersion":"2025-11-25"' "an unknown revision gets our newest"
expect 0 "discovery" -- curl -sf "$V/.well-known/mcp"
contains '"endpoint":"/mcp"' "discovery names the endpoint"; contains '"verify_receipt"' "discovery lists the tools"
# A forged receipt: one signature character changed.
t=$(cat "$TMP/r.jwt"); hd=${t%.*}; i=$((${#hd} + 10)); c=A; [ "${t:i:1}" = A ] && c=B
FORGED="${t:0:i}$c${t:i+1}"
# A receipt whose (unsigned, not yet verified) payload names a path as its passport: refused
# before that name becomes a route of the verifier.
for pid in "x/y" "../environments" ""; do
  pl=$(jq -rn --arg t "$t" --arg p "$pid" '$t | split(".")[1] | gsub("-"; "+") | gsub("_"; "/") | @base64d |
    fromjson | .passport = $p | tojson | @base64 | gsub("\\+"; "-") | gsub("/"; "_") | gsub("="; "")')
  rpc "$(jq -nc --arg r "${t%%.*}.$pl.${t##*.}" '{jsonrpc:"2.0",id:1,method:"tools/call",
    params:{name:"verify_receipt",arguments:{receipt:$r}}}')"
  contains '"isError":true' "verify_receipt naming passport '$pid'"
  contains 'its passport id is not' "verify_receipt: passport '$pid' refused as an id"
  lacks 'no such endpoint' "verify_receipt: passport '$pid' never routed"
done
TDX_B64=$(base64 -w0 "$TMP/sim-tdx-image/quote.bin")

# --- the gateway's MCP endpoint ---
grpc() { curl -s -o "$TMP/out" -w '%{http_code}' -H 'Content-Type: application/json' \
  -H 'Accept: application/json, text/event-stream' --data-binary "$1" "http://$GW/mcp" >"$TMP/code"; }
grpc '{"jsonrpc":"2.0","id":1,"method":"tools/list"}'; status_is 200 "gateway tools/list"
[ "$(jq -r '[.result.tools[].name] | sort | join(",")' "$TMP/out")" = "attestation,audit_check,chat,scan_pii" ] &&
  passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: gateway tools"; cat "$TMP/out"; }
grpc '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"attestation","arguments":{"nonce":"abc"}}}'
contains '"isError":true' "a short nonce is refused"
NONCE=$(openssl rand -hex 32)
grpc "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"attestation\",\"arguments\":{\"nonce\":\"$NONCE\"}}}"
[ "$(jq -r .result.structuredContent.passport_id "$TMP/out")" = "$PASS" ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: gateway attestation over MCP"; head -c 400 "$TMP/out"; }
grpc '{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"scan_pii","arguments":{"text":"mail jane.doe@example.com now"}}}'
[ "$(jq -r .result.structuredContent.verdict "$TMP/out")" = redact ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: scan_pii verdict"; cat "$TMP/out"; }
jq -r .result.structuredContent.redacted "$TMP/out" >"$TMP/red"
grep -q '\[EMAIL_1\]' "$TMP/red" && ! grep -q 'jane.doe' "$TMP/red" && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: scan_pii redaction"; cat "$TMP/red"; }
grpc '{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"chat","arguments":{"prompt":"write to jane.doe@example.com","model":"echo"}}}'
status_is 200 "gateway chat over MCP"
jq -r .result.structuredContent.answer "$TMP/out" >"$TMP/ans"
grep -q '\[EMAIL_1\]' "$TMP/ans" && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: chat answer"; cat "$TMP/out"; }
jq -r .result.structuredContent.receipt "$TMP/out" >"$TMP/mcp-r.jwt"
expect 0 "the chat's receipt verifies" -- "$VT" receipt verify "$TMP/mcp-r.jwt" --passport "$PASS" --verifier "$V"
# A client that leaves while its chat is still upstream (echo-slow-600: 0.6 s) gets nothing and
# costs nothing: the inner request (gateway/inner.c) is cancelled and the gateway keeps serving
# (test_gateway_exchange.sh checks that the upstream request is cancelled).
python3 - "$GW" <<'PY'
import socket, sys
host, port = sys.argv[1].rsplit(":", 1)
body = b'{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"chat","arguments":{"prompt":"bye","model":"echo-slow-600"}}}'
s = socket.create_connection((host, int(port)))
s.sendall(b"POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
          b"Content-Length: %d\r\n\r\n" % len(body) + body)
s.close()
PY
sleep 1
grpc '{"jsonrpc":"2.0","id":1,"method":"tools/list"}'; status_is 200 "the gateway after a client left mid-chat"
# The chat call is taken before the protocol core sees it: the envelope is still checked.
grpc '{"jsonrpc":"1.0","id":6,"method":"tools/call","params":{"name":"chat","arguments":{"prompt":"x","model":"echo"}}}'
status_is 400 "gateway chat with the wrong jsonrpc version"; contains '"code":-32600' "gateway chat: invalid request"
grpc '{"jsonrpc":"2.0","id":{"a":1},"method":"tools/call","params":{"name":"chat","arguments":{"prompt":"x","model":"echo"}}}'
status_is 400 "gateway chat with an object id"
grpc '{"jsonrpc":"2.0","id":null,"method":"tools/call","params":{"name":"chat","arguments":{"prompt":"x","model":"echo"}}}'
status_is 400 "gateway chat with a null id"
grpc '{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"chat","arguments":{}}}'
contains '"isError":true' "chat without a prompt is refused"
# Browsers on the gateway's MCP endpoint: a foreign Origin is refused before any tool runs (the
# chat below would reach the echo upstream, which numbers its answers: chatcmpl-echo-N).
CHAT='{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"chat","arguments":{"prompt":"from a page","model":"echo"}}}'
echo_n() { jq -r '.result.structuredContent.response.id // empty' "$TMP/out" | sed 's/.*-//'; }
grpc "$CHAT"; status_is 200 "gateway chat before"; n0=$(echo_n)
orpc http://evil.example "$CHAT" "http://$GW/mcp"; status_is 403 "gateway: a foreign Origin on POST /mcp"
contains '"code":"origin_not_allowed"' "the gateway's error shape"; contains 'allowed_origins' "names the option"
lacks '"result"' "gateway: no tool ran"
orpc null "$CHAT" "http://$GW/mcp"; status_is 403 "gateway: Origin null"
orpc http://127.0.0.1.evil.example "$CHAT" "http://$GW/mcp"; status_is 403 "gateway: a look-alike of 127.0.0.1"
vrpc 1999-01-01 "$CHAT" "http://$GW/mcp"; status_is 400 "gateway: an unsupported MCP-Protocol-Version"
contains '"code":-32600' "gateway: a JSON-RPC error"; lacks '"result"' "gateway: no chat under a bad revision"
vrpc 2025-06-18 "$CHAT" "http://$GW/mcp"; status_is 200 "gateway: MCP-Protocol-Version 2025-06-18"; n1=$(echo_n)
[ -n "$n0" ] && [ "$n1" = $((n0 + 1)) ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: a refused chat reached the upstream (echo $n0 then $n1)"; }
orpc "http://localhost:${GW##*:}" "$CHAT" "http://$GW/mcp"; status_is 200 "gateway: a loopback origin"
contains '"isError":false' "gateway: the loopback page's chat ran"
expect 0 "gateway GET /mcp is 405" -- bash -c "[ \$(curl -s -o /dev/null -w '%{http_code}' 'http://$GW/mcp') = 405 ]"
expect 0 "gateway discovery" -- curl -sf "http://$GW/.well-known/mcp"
contains '"name":"veritee-gateway"' "gateway discovery names it"

# --- the official SDK client ---
if ! command -v npm >/dev/null; then echo "sdk half skipped: npm not installed"; finish; exit $?; fi
cache="${VERITEE_BUILD:-$TMP}/npm-mcp"
mkdir -p "$cache"
cp "$HERE/mcp/package.json" "$HERE/mcp/client.mjs" "$cache/"
if [ ! -d "$cache/node_modules/@modelcontextprotocol/sdk" ]; then
  (cd "$cache" && timeout 180 npm install --no-audit --no-fund --silent >"$TMP/npm.log" 2>&1) ||
    { echo "sdk half skipped: npm install failed (offline?)"; tail -5 "$TMP/npm.log"; finish; exit $?; }
fi
jq -n --arg pass "$PASS" --arg rcpt "$(cat "$TMP/r.jwt")" --arg forged "$FORGED" --arg quote "$TDX_B64" '[
  {tool: "list_environments", args: {}, expect: "\"mcp\""},
  {tool: "get_passport", args: {id: $pass}, expect: "affirming"},
  {tool: "get_passport", args: {id: "pass-00000000000000000000000000000000"}, error: true, expect: "no passport"},
  {tool: "verify_receipt", args: {receipt: $rcpt}, expect: "\"valid\":true"},
  {tool: "verify_receipt", args: {receipt: $forged}, error: true, expect: "signature"},
  {tool: "verify_receipt", args: {}, error: true, expect: "receipt"},
  {tool: "log_checkpoint", args: {}, expect: "veritee-log"},
  {tool: "verify_evidence", args: {evidence: $quote, platform: "tdx"}, expect: "\"signature_valid\":true"},
  {tool: "verify_evidence", args: {evidence: "bm90IGEgcXVvdGU=", platform: "tdx"}, expect: "\"valid\":false"}
]' >"$TMP/checks.json"
expect 0 "the official MCP SDK client" -- timeout 120 node "$cache/client.mjs" "$V/mcp" "$TMP/checks.json"
contains "all checks passed" "sdk checks"
jq -n --arg nonce "$(openssl rand -hex 32)" '[
  {tool: "attestation", args: {nonce: $nonce}, expect: "passport_id"},
  {tool: "scan_pii", args: {text: "card 4111 1111 1111 1111"}, expect: "redact"},
  {tool: "chat", args: {prompt: "hello over MCP", model: "echo"}, expect: "hello over MCP"},
  {tool: "attestation", args: {nonce: "zz"}, error: true}
]' >"$TMP/gchecks.json"
expect 0 "the official MCP SDK client on the gateway" -- timeout 120 node "$cache/client.mjs" "http://$GW/mcp" "$TMP/gchecks.json"
contains "all checks passed" "gateway sdk checks"
[ "$failed" -eq 0 ] || cat "$TMP/out"
finish
