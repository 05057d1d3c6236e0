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

# Upstream errors pass through with status, content type and body (and a numeric Retry-After).
expect 0 "upstream 429" -- post "$U/v1/chat/completions" -d "$(chat echo-status-429 x)"
contains "HTTP/1.1 429" "429 status"
contains "Retry-After: 1" "429 headers"
contains '"code":"echo_status_429"' "429 body"
expect 0 "upstream 500" -- post "$U/v1/chat/completions" -d "$(chat echo-status-500 x)"
contains "HTTP/1.1 500" "500 status"
contains "Content-Type: application/json" "500 content type"
contains '"code":"echo_status_500"' "500 body"

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

# Clean stop on SIGTERM.
kill -TERM "$GW_PID"
wait "$GW_PID"
st=$?
if [ "$st" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: gateway exit $st on SIGTERM"; fi
finish
