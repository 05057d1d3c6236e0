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
