#!/usr/bin/env bash
# The gateway's proxy over real processes: veritee gateway in front of the echo
# upstream on 127.0.0.1.  Plain and streamed chat, errors passed through, limits
# (413, 502), an upstream that hangs (504), a client that leaves mid-stream, a
# slow reader of a large stream, and many concurrent streams.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gateway_lib.sh"
command -v curl >/dev/null || { echo "skipped: curl is not installed"; exit 77; }
[ -x "$ECHO_BIN" ] || { echo "skipped: $ECHO_BIN not built"; exit 77; }

start_echo echo
cat >"$TMP/gw.json" <<JSON
{
  "upstream": "http://$ECHO",
  "threads": 2,
  "limits": { "max_request_bytes": 4096, "max_response_bytes": 1048576,
              "upstream_idle_timeout_ms": 1000, "upstream_connect_timeout_ms": 1000,
              "stream_buffer_bytes": 16384 },
  "environment": "test-env"
}
JSON
start_gateway gw "$TMP/gw.json"
U="http://$GW"
chat() { # chat MODEL TEXT [stream]
  printf '{"model":"%s","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"%s"}]%s}' \
    "$1" "$2" "${3:+,\"stream\":true}"
}
post() { curl -sS -i --max-time 30 -H 'Content-Type: application/json' "$@"; }

# Usage errors and configuration.
expect 0 "gateway --help" -- "$VT" gateway --help
contains "--upstream" "help names --upstream"
echo '{"upstream":"http://127.0.0.1:1","bogus":1}' >"$TMP/bad.json"
expect 2 "unknown config key" -- "$VT" gateway --config "$TMP/bad.json"
contains "unknown key bogus" "error names the key"
expect 2 "no upstream" -- "$VT" gateway --listen 127.0.0.1:0
expect 0 "check-config" -- "$VT" gateway --config "$TMP/gw.json" --check-config
contains '"max_request_bytes": 4096' "effective config"

# Plain and streamed chat.
expect 0 "plain chat" -- post "$U/v1/chat/completions" -d "$(chat echo 'hello gateway')"
contains "HTTP/1.1 200" "plain 200"
contains '"content":"hello gateway"' "upstream saw the user message"
contains '"usage":' "usage passes"
lacks "X-Echo-Upstream" "upstream headers do not pass (allow-list)"
expect 0 "streamed chat" -- post -N "$U/v1/chat/completions" -d "$(chat echo 'one two three' s)"
contains "Content-Type: text/event-stream" "stream content type"
contains '"delta":{"content":" three"}' "deltas pass"
contains "data: [DONE]" "stream ends with DONE"
expect 0 "completions" -- post "$U/v1/completions" -d '{"model":"echo","prompt":"say this"}'
contains '"text":"say this"' "completion echoes"
expect 0 "embeddings" -- post "$U/v1/embeddings" -d '{"model":"echo","input":["a","b"],"dimensions":8}'
contains '"index":1' "two embeddings"
expect 0 "models" -- curl -sS -i "$U/v1/models"
contains '"id":"echo"' "models list"
expect 0 "one model" -- curl -sS -i "$U/v1/models/echo"
contains '"object":"model"' "model object"

# Browsers (docs/operations.md, "Browsers and the Origin header"): a page of another site may
# not drive the gateway from a visitor's browser.  A text/plain POST is a "simple request" (no
# CORS preflight), so only the Origin check stands in its way; refused before any route runs,
# the upstream never sees it (the echo upstream numbers its answers: chatcmpl-echo-N).
echo_n() { post "$U/v1/chat/completions" -d "$(chat echo "$1")" | grep -o 'chatcmpl-echo-[0-9]*' | head -1 | sed 's/.*-//'; }
n0=$(echo_n before)
expect 0 "cross-site text/plain chat" -- curl -sS -i -H 'Content-Type: text/plain' -H 'Origin: http://evil.example' \
  --data-binary "$(chat echo 'from another site')" "$U/v1/chat/completions"
contains "HTTP/1.1 403" "a foreign Origin is refused"
contains '"code":"origin_not_allowed"' "403 code"
contains 'Origin http://evil.example is not allowed' "403 names the origin"
contains 'allowed_origins' "403 names the allow-list option"
lacks 'from another site' "nothing of the body is echoed"
for o in null 'http://127.0.0.1.evil.example' 'http://localhost.evil.example' 'http://evil.example/' \
  "http://$GW.evil.example"; do
  expect 0 "Origin $o" -- post -H "Origin: $o" "$U/v1/chat/completions" -d "$(chat echo x)"
  contains "HTTP/1.1 403" "Origin $o refused"
done
# Every route, not only chat: the OHTTP endpoint (relays are not browsers, but a browser can post
# to it), its key config, the models, health and attestation, and MCP.
for r in "POST /v1/ohttp" "GET /.well-known/ohttp-keys" "GET /v1/models" "GET /healthz" "GET /v1/attestation" \
  "POST /mcp" "GET /.well-known/mcp" "POST /v1/embeddings"; do
  m=${r% *} p=${r#* } d=()
  [ "$m" = POST ] && d=(--data-binary x)
  expect 0 "$r from another site" -- curl -sS -i -X "$m" -H 'Origin: https://evil.example' "${d[@]}" "$U$p"
  contains "HTTP/1.1 403" "$r refused for a foreign Origin"
done
# DNS rebinding: the page's name now resolves to the gateway, so Host names it too and agrees
# with Origin; that agreement proves nothing and the request is refused like any other site's.
expect 0 "a rebinding page" -- post -H "Host: rebind.evil.example:${GW##*:}" \
  -H "Origin: http://rebind.evil.example:${GW##*:}" "$U/v1/chat/completions" -d "$(chat echo x)"
contains "HTTP/1.1 403" "Origin equal to Host is no pass"
n1=$(echo_n after)
[ -n "$n0" ] && [ "$n1" = $((n0 + 1)) ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: the upstream answered refused requests (echo $n0 then $n1)"; }
# Loopback pages (a local app on another port), and no Origin at all, are served.
for o in "http://127.0.0.1:5173" "http://localhost:3000" "https://[::1]:8443" "http://$GW"; do
  expect 0 "Origin $o" -- post -H "Origin: $o" "$U/v1/chat/completions" -d "$(chat echo loop)"
  contains "HTTP/1.1 200" "loopback Origin $o served"
done
# The allow-list: "allowed_origins" in the file and --allow-origin, checked at startup.
cat >"$TMP/gw-o.json" <<JSON
{"upstream": "http://$ECHO", "allowed_origins": ["https://App.Example.com:443", "http://intranet.example:8080"]}
JSON
expect 0 "check-config with allowed_origins" -- "$VT" gateway --config "$TMP/gw-o.json" --check-config
contains '"https://app.example.com"' "allowed origins normalised"
for v in '["https://app.example.com/"]' '["null"]' '["*"]' '["app.example.com"]' '["ftp://app.example.com"]' '[1]' \
  '"https://app.example.com"' "[$(printf '"https://%0300d.example"' 0)]" "[$(seq -f '"https://a%g.example"' 1 33 | paste -sd,)]"; do
  printf '{"upstream": "http://%s", "allowed_origins": %s}\n' "$ECHO" "$v" >"$TMP/gw-bad.json"
  expect 2 "allowed_origins ${v:0:40} refused at startup" -- "$VT" gateway --config "$TMP/gw-bad.json" --check-config
  contains "allowed_origins" "the error names the key"
done
expect 2 "--allow-origin with a path" -- "$VT" gateway --config "$TMP/gw.json" --allow-origin https://a.example/x \
  --check-config
contains "--allow-origin" "the error names the flag"
expect 0 "gateway --help" -- "$VT" gateway --help
contains "--allow-origin" "help names --allow-origin"
start_gateway gwo "$TMP/gw-o.json" --allow-origin https://flag.example
for o in https://app.example.com https://APP.example.COM:443 http://intranet.example:8080 https://flag.example; do
  expect 0 "allowed Origin $o" -- post -H "Origin: $o" "http://$GW/v1/chat/completions" -d "$(chat echo listed)"
  contains "HTTP/1.1 200" "listed Origin $o served"
done
for o in http://app.example.com https://app.example.com:8443 http://intranet.example https://evil.example; do
  expect 0 "unlisted Origin $o" -- post -H "Origin: $o" "http://$GW/v1/chat/completions" -d "$(chat echo x)"
  contains "HTTP/1.1 403" "unlisted Origin $o refused"
done

# CORS (docs/gateway.md, "Browsers"): an allowed page's browser sends a JSON chat only after an
# OPTIONS preflight, and shows the page an answer only when it names the page's origin.
# Failure cases first: another site, null, a header the gateway does not read, a method it does
# not route.  None is granted (no Access-Control-Allow-*), and none reaches the upstream.
GWO="http://$GW"
pre() { # ORIGIN METHOD [HEADERS] [URL]: a browser's preflight
  curl -sS -i -X OPTIONS -H "Origin: $1" -H "Access-Control-Request-Method: $2" \
    ${3:+-H "Access-Control-Request-Headers: $3"} "${4:-$GWO/v1/chat/completions}"
}
n0=$(echo_n before-cors)
for o in https://evil.example null http://app.example.com http://localhost.evil.example; do
  expect 0 "preflight from $o" -- pre "$o" POST content-type
  contains "HTTP/1.1 403" "preflight from $o refused"
  contains '"code":"origin_not_allowed"' "preflight from $o: the Origin rule's code"
  header_is Access-Control-Allow-Origin "" "preflight from $o names no origin"
  header_is Access-Control-Allow-Methods "" "preflight from $o grants no method"
done
header_is Vary Origin "a refused origin's answer varies with Origin"
expect 0 "preflight asking for a look-alike of an SDK header" -- pre https://app.example.com POST "content-type, x-stainless-a!b"
contains "HTTP/1.1 403" "a header the gateway does not read is refused"
contains '"code":"preflight_not_allowed"' "its code"
contains 'request header x-stainless-a!b is not allowed' "names the header"
header_is Access-Control-Allow-Origin "" "nothing granted for an unknown header"
header_is Access-Control-Allow-Headers "" "the request's headers are not echoed"
expect 0 "preflight asking for OpenAI-Organization" -- pre https://app.example.com POST "content-type, openai-organization"
contains 'request header openai-organization is not allowed' "OpenAI-Organization is not granted (the gateway ignores it)"
expect 0 "preflight asking for the OpenAI SDK's headers" -- pre https://app.example.com POST \
  "authorization,content-type,x-stainless-arch,x-stainless-lang,X-Stainless-OS,x-stainless-retry-count"
contains "HTTP/1.1 204" "the SDK's x-stainless-* headers are granted"
header_is Access-Control-Allow-Headers "authorization, content-type, mcp-protocol-version, x-stainless-arch, x-stainless-lang, x-stainless-os, x-stainless-retry-count" \
  "the grant: the fixed names and the x-stainless-* names asked for"
expect 0 "preflight asking for cookies" -- pre https://app.example.com POST "cookie"
contains '"code":"preflight_not_allowed"' "cookie is not granted"
for m in PUT DELETE PATCH; do
  expect 0 "preflight for $m" -- pre https://app.example.com "$m" content-type
  contains "HTTP/1.1 403" "$m refused"
  contains "method $m is not allowed (only GET, POST)" "$m: names what is allowed"
  header_is Access-Control-Allow-Methods "" "$m: nothing granted"
done
expect 0 "a malformed header list" -- pre https://app.example.com POST "content-type;authorization"
contains '"code":"preflight_not_allowed"' "a malformed list is refused"
n1=$(echo_n after-cors)
[ -n "$n0" ] && [ "$n1" = $((n0 + 1)) ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: the upstream saw a preflight (echo $n0 then $n1)"; }
# Granted: exactly the gateway's methods and the headers it reads, for an allowed origin, a
# loopback page and an origin from --allow-origin; the origin echoed as the browser sent it.
for o in https://app.example.com https://flag.example http://localhost:3000 http://127.0.0.1:5173; do
  expect 0 "preflight from $o" -- pre "$o" POST "authorization,content-type"
  contains "HTTP/1.1 204" "preflight from $o granted"
  header_is Access-Control-Allow-Origin "$o" "preflight from $o: that origin"
  header_is Vary Origin "preflight from $o: Vary"
  header_is Access-Control-Allow-Methods "GET, POST" "preflight from $o: the methods"
  header_is Access-Control-Allow-Headers "authorization, content-type, mcp-protocol-version" "preflight from $o: headers"
  header_is Access-Control-Max-Age 600 "preflight from $o: bounded max age"
  header_is Access-Control-Allow-Credentials "" "preflight from $o: no credentials"
done
expect 0 "preflight of /mcp" -- pre https://app.example.com POST "content-type, mcp-protocol-version" "$GWO/mcp"
contains "HTTP/1.1 204" "MCP's protocol version header is granted"
expect 0 "preflight of /v1/models (GET, no headers)" -- pre https://app.example.com GET "" "$GWO/v1/models"
contains "HTTP/1.1 204" "GET granted"
expect 0 "preflight for a public page to a private address" -- curl -sS -i -X OPTIONS \
  -H 'Origin: https://app.example.com' -H 'Access-Control-Request-Method: POST' \
  -H 'Access-Control-Request-Private-Network: true' "$GWO/v1/chat/completions"
header_is Access-Control-Allow-Private-Network true "Private Network Access granted to an allowed origin"
# Answers: plain, streamed, an upstream's error with Retry-After, the gateway's own errors and
# local answers; each names the origin and exposes the gateway's headers.
EXPOSE="Veritee-Receipt, Veritee-Key-Binding, Retry-After"
answer_is_cors() { # ORIGIN DESCRIPTION
  header_is Access-Control-Allow-Origin "$1" "$2: names the origin"
  header_once Access-Control-Allow-Origin "$2: names the origin once"
  header_once X-Content-Type-Options "$2: X-Content-Type-Options once"
  header_is Vary Origin "$2: Vary"
  header_is Access-Control-Expose-Headers "$EXPOSE" "$2: exposes the gateway's headers"
  header_is Access-Control-Allow-Credentials "" "$2: no credentials"
}
expect 0 "JSON chat from an allowed page" -- post -H 'Origin: https://app.example.com' -H 'Authorization: Bearer sk-x' \
  "$GWO/v1/chat/completions" -d "$(chat echo 'from the app')"
contains "HTTP/1.1 200" "served"; contains '"content":"from the app"' "answered"
answer_is_cors https://app.example.com "plain chat"
expect 0 "streamed chat from an allowed page" -- post -N -H 'Origin: https://app.example.com' \
  "$GWO/v1/chat/completions" -d "$(chat echo 'one two' s)"
contains "data: [DONE]" "streamed"; answer_is_cors https://app.example.com "streamed chat"
expect 0 "upstream 429 to an allowed page" -- post -H 'Origin: http://localhost:3000' \
  "$GWO/v1/chat/completions" -d "$(chat echo-status-429 x)"
contains "HTTP/1.1 429" "429"; header_is Retry-After 1 "429 keeps Retry-After"
answer_is_cors http://localhost:3000 "upstream 429"
expect 0 "hanging upstream to a loopback page" -- post -H 'Origin: http://localhost:3000' \
  "$U/v1/chat/completions" -d "$(chat echo-hang x)" # the first gateway: a 1 s upstream idle timeout
contains "HTTP/1.1 504" "504"; answer_is_cors http://localhost:3000 "the gateway's 504"
for r in "GET /v1/models 200" "GET /healthz 200" "GET /v1/nope 404" "GET /v1/chat/completions 405" \
  "POST /mcp 200" "GET /.well-known/mcp 200"; do
  set -- $r
  d=(); [ "$1" = POST ] && d=(-H 'Content-Type: application/json' --data-binary '{"jsonrpc":"2.0","id":1,"method":"ping"}')
  expect 0 "$1 $2 from an allowed page" -- curl -sS -i -X "$1" -H 'Origin: https://app.example.com' "${d[@]}" "$GWO$2"
  contains "HTTP/1.1 $3" "$1 $2: $3"
  answer_is_cors https://app.example.com "$1 $2"
done
# Without Origin (curl, SDKs, the CLI) nothing is added.
expect 0 "chat without Origin" -- post "$GWO/v1/chat/completions" -d "$(chat echo plain)"
header_is Access-Control-Allow-Origin "" "no Origin: no CORS"
header_is Vary "" "no Origin: no Vary"

# Upstream errors pass through with status, content type and body (and a numeric Retry-After).
expect 0 "upstream 429" -- post "$U/v1/chat/completions" -d "$(chat echo-status-429 x)"
contains "HTTP/1.1 429" "429 status"
contains "Retry-After: 1" "429 headers"
contains '"code":"echo_status_429"' "429 body"
expect 0 "upstream 500" -- post "$U/v1/chat/completions" -d "$(chat echo-status-500 x)"
contains "HTTP/1.1 500" "500 status"
contains "Content-Type: application/json" "500 content type"
contains '"code":"echo_status_500"' "500 body"

# Security headers (http/sechdr.c, as the verifier's) on every reply, each exactly once (the front
# adds them for every answer, the proxy never again): proxied answers, streamed or not, upstream
# errors passed through, the gateway's own errors (routing, limits, a hanging upstream), MCP,
# OHTTP, health and the connection guard's own 400.  A proxied answer or an error is a result of a prompt: Cache-Control: no-store.
sec() {
  header_is X-Content-Type-Options nosniff "$1: X-Content-Type-Options"
  header_is Referrer-Policy no-referrer "$1: Referrer-Policy"
  header_once X-Content-Type-Options "$1: X-Content-Type-Options"
  header_once Referrer-Policy "$1: Referrer-Policy"
  [ -z "${2:-}" ] || header_is Cache-Control "$2" "$1: Cache-Control"
}
expect 0 "plain chat" -- post "$U/v1/chat/completions" -d "$(chat echo sec)"
contains "HTTP/1.1 200" "plain chat 200"; sec "plain chat" no-store
expect 0 "streamed chat" -- post -N "$U/v1/chat/completions" -d "$(chat echo 'sec two' s)"
contains "data: [DONE]" "streamed"; sec "streamed chat" no-store
expect 0 "embeddings" -- post "$U/v1/embeddings" -d '{"model":"echo","input":"a"}'
sec "embeddings" no-store
expect 0 "upstream 500" -- post "$U/v1/chat/completions" -d "$(chat echo-status-500 x)"
contains "HTTP/1.1 500" "upstream 500"; sec "upstream 500 passed through" no-store
expect 0 "unknown URL" -- curl -sS -i "$U/v1/nope"
contains "HTTP/1.1 404" "404"; sec "the gateway's 404" no-store
expect 0 "too large" -- post "$U/v1/chat/completions" -d "$(chat echo "$(head -c 5000 /dev/zero | tr '\0' a)")"
contains "HTTP/1.1 413" "413"; sec "the gateway's 413" no-store
expect 0 "hanging upstream" -- post "$U/v1/chat/completions" -d "$(chat echo-hang x)"
contains "HTTP/1.1 504" "504"; sec "the gateway's 504" no-store
expect 0 "MCP" -- curl -sS -i -H 'Content-Type: application/json' --data-binary '{"jsonrpc":"2.0","id":1,"method":"ping"}' "$U/mcp"
contains "HTTP/1.1 200" "MCP 200"; sec "MCP"
expect 0 "OHTTP key config" -- curl -sS -i "$U/.well-known/ohttp-keys"
sec "OHTTP key config"
expect 0 "OHTTP request" -- curl -sS -i -H 'Content-Type: message/ohttp-req' --data-binary x "$U/v1/ohttp"
sec "OHTTP error"
expect 0 "health" -- curl -sS -i "$U/healthz"
sec "health"
python3 - "${U##*:}" >"$TMP/out" 2>&1 <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{}")
d = b""
while True:
    try:
        c = s.recv(4096)
    except OSError:
        break
    if not c:
        break
    d += c
print(d.decode(errors="replace"))
PY
contains "HTTP/1.1 400" "the guard's 400"; sec "the connection guard's 400"

# Client headers and query strings never reach the upstream (the echo upstream obeys an
# X-Echo header and would answer 500 if it got one).
expect 0 "client header dropped" -- post "$U/v1/chat/completions?x=1" -H 'X-Echo: status-500' -d "$(chat echo 'hdr')"
contains "HTTP/1.1 200" "X-Echo did not reach the upstream"
expect 0 "model id with %" -- curl -sS -i "$U/v1/models/echo%2F..%2Fx"
contains "HTTP/1.1 400" "model id with % refused"
contains '"code":"invalid_model_id"' "model id error code"
expect 0 "model id with /" -- curl -sS -i "$U/v1/models/org/echo"
contains "HTTP/1.1 400" "model id with / refused"
expect 0 "GET with a body" -- curl -sS -i -X GET "$U/v1/models" -H 'Content-Type: application/json' -d '{"a":1}'
contains "HTTP/1.1 400" "a GET body is refused (never written unframed to the upstream)"

# Gateway errors in OpenAI's shape.
big=$(head -c 5000 /dev/zero | tr '\0' a)
expect 0 "oversized request" -- post "$U/v1/chat/completions" -d "$(chat echo "$big")"
contains "HTTP/1.1 413" "413"
contains '"code":"request_too_large"' "413 body"
expect 0 "oversized response" -- post "$U/v1/chat/completions" -d "$(chat echo-huge-2000000 x)"
contains "HTTP/1.1 502" "502"
contains '"code":"upstream_unauditable"' "502 body"
contains "response exceeds 1048576 bytes" "502 names why"
expect 0 "hanging upstream" -- post "$U/v1/chat/completions" -d "$(chat echo-hang x)"
contains "HTTP/1.1 504" "504 in bounded time (curl gives up after 10 s)"
contains '"type":"server_error"' "504 body"
expect 0 "unknown URL" -- curl -sS -i "$U/v1/nope"
contains "HTTP/1.1 404" "404"
expect 0 "wrong method" -- curl -sS -i "$U/v1/chat/completions"
contains "HTTP/1.1 405" "405"

# A client that leaves mid-stream: the gateway stays healthy and serves the next request.
expect 28 "client leaves mid-stream" -- curl -sS -N --max-time 0.5 -H 'Content-Type: application/json' \
  "$U/v1/chat/completions" -d "$(chat echo-slow-200 'a b c d e f g h i j k l m n o p' s)"
contains "data: " "some events arrived before leaving"
expect 0 "healthy after disconnect" -- post "$U/v1/chat/completions" -d "$(chat echo 'still here')"
contains '"content":"still here"' "next request served"
expect 0 "healthz" -- curl -sS "$U/healthz"
contains '"status":"ok"' "healthz ok"

# A slow reader of a 700 kB stream: bounded buffering, nothing lost.
curl -sS -N --max-time 20 --limit-rate 400k -H 'Content-Type: application/json' \
  "$U/v1/chat/completions" -d "$(chat echo-huge-700000 x s)" >"$TMP/slow.sse"
n=$(grep -c '^data: ' "$TMP/slow.sse")
if tail -c 200 "$TMP/slow.sse" | grep -q 'data: \[DONE\]' && [ "$n" -ge 40 ]; then passed=$((passed + 1)); else
  failed=$((failed + 1)); echo "FAIL: slow reader got $n events, no DONE"; fi

# 50 concurrent streams.
seq 1 50 | xargs -P 50 -I{} sh -c "curl -sS -N --max-time 20 -H 'Content-Type: application/json' '$U/v1/chat/completions' \
  -d '{\"model\":\"echo-slow-20\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"stream {} of many\"}]}' \
  | grep -q 'data: \[DONE\]' && echo ok" >"$TMP/conc" 2>&1
n=$(grep -c '^ok$' "$TMP/conc")
if [ "$n" -eq 50 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $n of 50 concurrent streams completed"; grep -v '^ok$' "$TMP/conc" | sort | uniq -c | head -5; fi

# An upstream that refuses connections: 502.
start_gateway gw2 "$TMP/gw.json" --upstream http://127.0.0.1:1
expect 0 "upstream down" -- post "http://$GW/v1/chat/completions" -d "$(chat echo x)"
contains "HTTP/1.1 502" "502 when the upstream is down"
contains '"code":"upstream_error"' "upstream_error code"

# An upstream that is plain http:// to another machine ([::ffff:127.0.0.1] reaches this one but is
# no loopback name) is said at start, not refused: a model server in another container of the same
# TEE is reached so.  A loopback upstream is not.
start_gateway gw3 "$TMP/gw.json" --upstream "http://[::ffff:127.0.0.1]:${ECHO##*:}"
expect 0 "chat through a plain upstream on another host" -- post "http://$GW/v1/chat/completions" -d "$(chat echo far)"
contains "HTTP/1.1 200" "served"
if grep -qF "note: the upstream http://[::ffff:127.0.0.1]:${ECHO##*:} is plain HTTP to another machine" "$TMP/gw3.err" &&
  ! grep -q "plain HTTP to another machine" "$TMP/gw.err"; then passed=$((passed + 1)); else
  failed=$((failed + 1)); echo "FAIL: the plain upstream to another host was not said at start (or a loopback one was)"
  cat "$TMP/gw3.err"; fi

# Clean stop on SIGTERM.
kill -TERM "$GW_PID"
wait "$GW_PID"
st=$?
if [ "$st" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: gateway exit $st on SIGTERM"; fi
finish
