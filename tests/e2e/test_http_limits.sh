#!/usr/bin/env bash
# HTTP framing and accounting in both services (the connection attack itself is
# test_slowloris.sh): a request with two Content-Length headers gets the guard's
# JSON 400 and the connection is closed (RFC 9112 6.3; evhttp took the first
# header and went on); one with Transfer-Encoding and Content-Length gets
# libevent's own HTML 400 before the guard sees it (closed too); rate-limited
# requests are counted in /metrics under the route they asked for (they were
# counted as route="unmatched"); a connection that never sends a request is
# closed at the request deadline with 408.  The guard's 400 carries CORS headers
# for an allowed Origin only.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gateway_lib.sh"
# the system interpreter: a version-manager shim can take seconds to start
PY=$(command -v /usr/bin/python3 || command -v python3) || { echo "skipped: needs python3"; exit 77; }
command -v curl >/dev/null || { echo "skipped: needs curl"; exit 77; }

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
# raw PORT: sends stdin as is and prints everything the server answers until it closes
raw() {
  timeout 5 "$PY" -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=4)
s.sendall(sys.stdin.buffer.read())
data = b""
while True:
    try:
        chunk = s.recv(4096)
    except OSError:
        break
    if not chunk:
        break
    data += chunk
print(data.decode(errors="replace"))
print("[closed]")' "$1" >"$TMP/out" 2>&1
}

# start_verifier NAME ARGS...: sets VPORT and VPID
start_verifier() {
  local name="$1"; shift
  : >"$TMP/$name.out"
  "$VT" verifier --listen 127.0.0.1:0 --state "$TMP/state" --trust-sim "$@" >"$TMP/$name.out" 2>"$TMP/$name.log" &
  VPID=$!
  PIDS="$PIDS $VPID"
  VPORT=$(listening "$TMP/$name.out" "verifier $name" "$TMP/$name.log") || exit 1
  VPORT=${VPORT##*:}
}

# framing PORT PATH WHAT: ambiguous framing is refused and the connection closed
framing() {
  local port="$1" path="$2" what="$3"
  # the second Content-Length would make the next 38 bytes part of this request
  printf 'POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{}' "$path" | raw "$port"
  contains 'HTTP/1.1 400' "$what: two Content-Length headers -> 400"
  contains '"bad_request"' "$what: the framing error is JSON"
  contains 'more than one Content-Length' "$what: the error names the problem"
  contains '[closed]' "$what: the connection is closed"
  printf 'POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}' "$path" | raw "$port"
  contains 'HTTP/1.1 400' "$what: two equal Content-Length headers -> 400 too"
  # Transfer-Encoding with Content-Length (either order, chunked or not), chunked not last, or a
  # second Transfer-Encoding: this libevent refuses them itself as it reads the headers, before any
  # callback (docs/operations.md, "Framing"), with its own HTML page: the request never reaches the
  # guard, whose JSON answer comes only from a libevent that lets such a request through.
  for hdrs in 'Content-Length: 2\r\nTransfer-Encoding: chunked' 'Transfer-Encoding: chunked\r\nContent-Length: 2' \
      'Transfer-Encoding: gzip\r\nContent-Length: 2' 'Transfer-Encoding: chunked, gzip' \
      'Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked'; do
    printf "POST %s HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example\r\n$hdrs\r\n\r\n0\r\n\r\n" "$path" | raw "$port"
    contains 'HTTP/1.1 400' "$what: $hdrs -> 400"
    contains '[closed]' "$what: $hdrs: the connection is closed"
    contains 'Content-Type: text/html' "$what: $hdrs: libevent's own page answers"
    lacks '"bad_request"' "$what: $hdrs: not the guard's JSON (the guard never sees it)"
    lacks 'Access-Control-' "$what: $hdrs: nor its CORS headers"
  done
  printf 'POST %s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n' \
    "$path" | raw "$port"
  contains 'Content-Type: application/json' "$what: one Transfer-Encoding: chunked reaches the service"
  lacks 'text/html' "$what: one Transfer-Encoding: chunked is not refused by libevent"
  # The guard's 400 for a page the service allows carries the CORS answer headers, so the page
  # sees the status rather than a network error; for a refused page, none.
  printf 'POST %s HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{}' "$path" | raw "$port"
  contains 'HTTP/1.1 400' "$what: allowed Origin, two Content-Length headers -> 400"
  contains 'Access-Control-Allow-Origin: https://app.example' "$what: the guard's 400 names the allowed origin"
  contains 'Vary: Origin' "$what: the guard's 400 varies with Origin"
  contains 'Access-Control-Expose-Headers:' "$what: the guard's 400 exposes the service's headers"
  printf 'POST %s HTTP/1.1\r\nHost: x\r\nOrigin: http://localhost:3000\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}' "$path" | raw "$port"
  contains 'Access-Control-Allow-Origin: http://localhost:3000' "$what: the guard's 400 answers a loopback page too"
  printf 'POST %s HTTP/1.1\r\nHost: x\r\nOrigin: https://evil.example\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{}' "$path" | raw "$port"
  contains 'HTTP/1.1 400' "$what: refused Origin, two Content-Length headers -> 400"
  lacks 'Access-Control-' "$what: no CORS header for a refused origin"
}

# ---- the verifier ----
start_verifier v1 --threads 2 --request-timeout 1 --quiet --allow-origin https://app.example
framing "$VPORT" /v1/challenge verifier
printf 'POST /v1/challenge HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}' | raw "$VPORT"
contains '"nonce"' "verifier: one Content-Length is fine"
# a connection that sends nothing: 408 at the deadline, then closed
printf 'GET /healthz HTTP/1.1\r\nHost: x\r\n' | raw "$VPORT"
contains 'HTTP/1.1 408' "verifier: an unfinished request gets 408 at the deadline"
contains '"request_timeout"' "verifier: 408 names request_timeout"
contains 'X-Content-Type-Options: nosniff' "verifier: the guard's 408 has the security headers"
contains 'Referrer-Policy: no-referrer' "verifier: the guard's 408 has Referrer-Policy"
contains '[closed]' "verifier: and is closed"
curl -s "http://127.0.0.1:$VPORT/metrics" >"$TMP/out"
contains 'http_connections_closed_by_server_total{reason="request_timeout"} 1' "verifier: the deadline close is counted"
kill "$VPID"; wait "$VPID" 2>/dev/null

start_verifier v2 --threads 1 --rate 1 --burst 2 --quiet
# /healthz is never rate limited (a health check must answer); the JWKS is.
for _ in 1 2 3 4 5; do curl -s -o /dev/null "http://127.0.0.1:$VPORT/.well-known/jwks.json"; done
for _ in 1 2 3; do curl -s -o /dev/null -X POST "http://127.0.0.1:$VPORT/v1/challenge"; done
sleep 1.2 # a token for the /metrics request itself
curl -s "http://127.0.0.1:$VPORT/metrics" >"$TMP/out"
contains 'http_requests_total{route="/.well-known/jwks.json",method="GET",code="429"}' "rate-limited requests keep their route label"
contains 'http_requests_total{route="/v1/challenge",method="POST",code="429"}' "rate-limited POSTs keep their route label"
grep -q 'route="unmatched",method="[A-Z]*",code="429"' "$TMP/out" && bad "429 labelled unmatched: $(grep 'code="429"' "$TMP/out")" || ok
sleep 2.1 # the bucket full again (2 tokens): one for the unknown path, one for /metrics
curl -s -o /dev/null "http://127.0.0.1:$VPORT/no/such/route"
curl -s "http://127.0.0.1:$VPORT/metrics" >"$TMP/out"
contains 'route="unmatched",method="GET",code="404"' "an unknown path is still unmatched"
kill "$VPID"; wait "$VPID" 2>/dev/null

# ---- DNS rebinding: --allow-host (docs/operations.md, "Browsers and the Origin header") ----
# A rebinding page reads a GET route as same-origin (no Origin), but its browser sends the
# attacker's name as Host.  Usage errors first.
expect 0 "verifier --help" -- "$VT" verifier --help
contains "--allow-host NAME[:PORT]" "verifier --help lists --allow-host"
for h in 'http://verifier.internal' 'verifier.internal/x' 'a b' 'verifier.internal:0' 'verifier.internal:65536' \
  'user@verifier.internal' '' '10.1.2' '[::1' "$(printf '%0300d' 0).example"; do
  expect 2 "verifier --allow-host '${h:0:40}'" -- "$VT" verifier --listen 127.0.0.1:0 --state "$TMP/state" --allow-host "$h"
  contains "--allow-host" "the usage error names the flag"
done
start_verifier v3 --threads 1 --quiet --allow-host Verifier.Internal --allow-host 10.1.2.3:8600
for h in rebind.evil.example "rebind.evil.example:$VPORT" verifier.internal.evil.example 10.1.2.3 10.1.2.3:8601 \
  localhost.evil.example; do
  expect 0 "verifier: Host $h" -- curl -sS -i -H "Host: $h" "http://127.0.0.1:$VPORT/.well-known/jwks.json"
  contains "HTTP/1.1 421" "verifier: Host $h refused"
  contains '"code":"host_not_allowed"' "verifier: Host $h: the error's code"
  lacks '"keys"' "verifier: Host $h: nothing of the route"
done
contains "--allow-host" "verifier: the 421 names the option"
for h in verifier.internal "VERIFIER.internal:$VPORT" 10.1.2.3:8600 "127.0.0.1:$VPORT" localhost "[::1]:$VPORT"; do
  expect 0 "verifier: Host $h" -- curl -sS -i -H "Host: $h" "http://127.0.0.1:$VPORT/.well-known/jwks.json"
  contains "HTTP/1.1 200" "verifier: Host $h served"
done
printf 'GET /healthz HTTP/1.0\r\n\r\n' | raw "$VPORT"
contains ' 421 ' "verifier: no Host refused once a list is set"
printf 'GET /healthz HTTP/1.1\r\nHost: verifier.internal\r\nHost: verifier.internal\r\nConnection: close\r\n\r\n' | raw "$VPORT"
contains 'HTTP/1.1 421' "verifier: two Host headers refused"
kill "$VPID"; wait "$VPID" 2>/dev/null
start_verifier v4 --threads 1 --quiet
expect 0 "verifier without a list" -- curl -sS -i -H "Host: rebind.evil.example" "http://127.0.0.1:$VPORT/.well-known/jwks.json"
contains "HTTP/1.1 200" "verifier: without --allow-host any Host is served"
kill "$VPID"; wait "$VPID" 2>/dev/null

# ---- the gateway ----
if [ -x "$ECHO_BIN" ]; then
  start_echo echo
  echo "{ \"upstream\": \"http://$ECHO\", \"threads\": 1, \"allowed_origins\": [\"https://app.example\"] }" >"$TMP/gw.json"
  start_gateway gw "$TMP/gw.json"
  framing "${GW##*:}" /v1/chat/completions gateway
  # Connections closed right after their reply (HTTP/1.0, as nginx speaks to upstreams) free
  # descriptor numbers the next accept reuses at once: every one of 40 such requests in a row
  # must be answered (a stale reference to a closed connection once broke every third one).
  python3 - "${GW##*:}" >"$TMP/out" <<'PY'
import socket, sys
ok = 0
for _ in range(40):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    s.settimeout(5)
    s.sendall(b"GET /healthz HTTP/1.0\r\nHost: x\r\n\r\n")
    d = b""
    try:
        while True:
            x = s.recv(4096)
            if not x:
                break
            d += x
    except OSError:
        pass
    ok += d.startswith(b"HTTP/1.0 200")
    s.close()
print("answered %d of 40" % ok)
PY
  contains "answered 40 of 40" "back-to-back HTTP/1.0 requests, each on a new connection"
  expect 0 "gateway without a list" -- curl -sS -i -H "Host: rebind.evil.example" "http://$GW/v1/models"
  contains "HTTP/1.1 200" "gateway: without allowed_hosts any Host is served"

  # --allow-host and "allowed_hosts" (measured with the file, as allowed_origins)
  expect 0 "gateway --help" -- "$VT" gateway --help
  contains "--allow-host NAME[:PORT]" "gateway --help lists --allow-host"
  expect 2 "gateway --allow-host with a scheme" -- "$VT" gateway --config "$TMP/gw.json" --allow-host http://gw.internal --check-config
  contains "--allow-host" "the usage error names the flag"
  for v in '["gw.internal/"]' '["gw.internal:0"]' '[1]' '"gw.internal"' "[$(seq -f '"a%g.example"' 1 33 | paste -sd,)]"; do
    printf '{"upstream": "http://%s", "allowed_hosts": %s}\n' "$ECHO" "$v" >"$TMP/gw-bad.json"
    expect 2 "allowed_hosts ${v:0:40} refused at startup" -- "$VT" gateway --config "$TMP/gw-bad.json" --check-config
    contains "allowed_hosts" "the error names the key"
  done
  printf '{"upstream": "http://%s", "allowed_hosts": ["GW.Internal"], "auditors": []}\n' "$ECHO" >"$TMP/gw-m.json"
  expect 2 "measured: --allow-host the file does not list" -- "$VT" gateway --config "$TMP/gw-m.json" --allow-host other.internal --check-config
  contains '"allowed_hosts" (the file is what is measured' "the error says the file is measured"
  printf '{"upstream": "http://%s", "threads": 1, "allowed_hosts": ["GW.Internal"]}\n' "$ECHO" >"$TMP/gw-h.json"
  expect 0 "check-config with allowed_hosts" -- "$VT" gateway --config "$TMP/gw-h.json" --allow-host 10.1.2.3:8080 --check-config
  contains '"gw.internal"' "allowed hosts normalised"
  contains '"10.1.2.3:8080"' "the flag's host added"
  start_gateway gwh "$TMP/gw-h.json" --allow-host 10.1.2.3:8080
  for h in rebind.evil.example "rebind.evil.example:${GW##*:}" gw.internal.evil.example 10.1.2.3:8081; do
    expect 0 "gateway: Host $h" -- curl -sS -i -H "Host: $h" "http://$GW/v1/models"
    contains "HTTP/1.1 421" "gateway: Host $h refused"
    contains '"code":"host_not_allowed"' "gateway: Host $h: the error's code"
    lacks '"id":"echo"' "gateway: Host $h: nothing of the route"
  done
  contains "allowed_hosts" "gateway: the 421 names the key"
  expect 0 "gateway: chat with a rebinding Host" -- curl -sS -i -H "Host: rebind.evil.example" -H 'Content-Type: application/json' \
    -d '{"model":"echo","messages":[{"role":"user","content":"x"}]}' "http://$GW/v1/chat/completions"
  contains "HTTP/1.1 421" "gateway: a POST with a rebinding Host refused too"
  for h in gw.internal "GW.internal:${GW##*:}" 10.1.2.3:8080 "127.0.0.1:${GW##*:}" localhost; do
    expect 0 "gateway: Host $h" -- curl -sS -i -H "Host: $h" "http://$GW/v1/models"
    contains "HTTP/1.1 200" "gateway: Host $h served"
  done
else
  echo "note: $ECHO_BIN not built; gateway part skipped"
fi
finish
