#!/usr/bin/env bash
# The gateway's exchange path under failure, over real processes on 127.0.0.1: a verifier
# (--trust-sim), the hostile upstream (hostile_upstream.py) and two gateways with receipts
# (TDX simulator).  A: 60 s upstream idle timeout, max_connections 4.  B: 1 s idle timeout,
# 1 kB response limit, one attestation per second.
#  - clients that leave before the first upstream byte cancel the upstream request (the
#    upstream sees its connection closed) and free their slot: no 503 gateway_overloaded;
#    the same for a client that leaves mid-stream, and for OHTTP (whole and chunked, before
#    and after the first event) and MCP chat clients whose inner request is at the upstream;
#  - every failure that reached the auditors has a receipt that verifies and states the
#    status the client got: 504 upstream timeout, 502 upstream died, 502 response too large,
#    502 unauditable, and streams cut short or timed out, whose error event is the last thing
#    before the receipt (held-back text is dropped) and whose receipt covers exactly the
#    bytes sent;
#  - a second gateway on a state directory in use is refused at start;
#  - malformed JSON is 400 invalid_json; /v1/attestation refuses a repeated nonce and is
#    rate limited (429 with Retry-After), and so is the MCP attestation tool.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gateway_lib.sh"
command -v curl >/dev/null && command -v jq >/dev/null && command -v python3 >/dev/null ||
  { echo "skipped: needs curl, jq and python3"; exit 77; }

start_sim_verifier
start_hostile

mkdir -p "$TMP/model"
printf 'tiny test model\n' >"$TMP/model/m.gguf"
common="\"upstream\": \"http://$HOSTILE\", \"verifier\": \"$V\", \"environment\": \"gwx\", \"models\": [\"$TMP/model\"],
 \"auditors\": [{\"name\": \"pii\", \"phases\": [\"request\", \"response\"], \"actions\": {\"email\": \"redact\"}}]"
cat >"$TMP/a.json" <<JSON
{$common, "limits": {"max_connections": 4, "upstream_idle_timeout_ms": 60000}}
JSON
cat >"$TMP/b.json" <<JSON
{$common, "limits": {"upstream_idle_timeout_ms": 1000, "max_response_bytes": 1024, "max_event_bytes": 1024,
 "attestation_per_sec": 1}}
JSON
for g in a b; do
  "$VT" gateway --config "$TMP/$g.json" --platform tdx --simulate --measure-only >"$TMP/m-$g.json" 2>"$TMP/m.err" ||
    { echo "FAIL: gateway --measure-only ($g)"; cat "$TMP/m.err"; exit 1; }
done
mapfile -t envargs < <(jq -rs '[.[].events[] | "--\(.component)\n\(.digest)"] | unique[]' "$TMP/m-a.json" "$TMP/m-b.json")
mapfile -t image < <(sim_tdx_image_args)
"$VT" env create gwx --verifier "$V" --admin-token-file "$TMP/admin-token" --allow-simulated --min-tcb any \
  "${envargs[@]}" "${image[@]}" >/dev/null || { echo "FAIL: env create gwx"; exit 1; }
start() { # start NAME: sets $GW
  "$VT" gateway --config "$TMP/$1.json" --listen-plain 127.0.0.1:0 --platform tdx --simulate --threads 1 --state "$(gw_state "$1")" \
    >"$TMP/gw-$1.out" 2>"$TMP/gw-$1.err" &
  PIDS="$PIDS $!"
  eval "PID_$1=$!"
  GW=$(listening "$TMP/gw-$1.out" "gateway $1" "$TMP/gw-$1.err") || exit 1
}
start a
A=$GW
start b
B=$GW
# A receipt queue is one gateway's (two appending to one segment would corrupt each other's
# records): a second gateway on A's state directory is refused at start and names A.
timeout 30 "$VT" gateway --config "$TMP/a.json" --listen-plain 127.0.0.1:0 --platform tdx --simulate --threads 1 \
  --state "$TMP/state-a" >"$TMP/dup.out" 2>&1
rc=$?
check "a second gateway on a state directory in use exits with an error ($rc)" test "$rc" -ne 0 -a "$rc" -ne 124
check "and says which gateway holds it" grep -q "in use by another gateway (pid $PID_a)" "$TMP/dup.out"
check "gateway A still serves" curl -sf -o /dev/null "http://$A/v1/models"

body() { printf '{"model":"hostile-%s","messages":[{"role":"user","content":"hi"}]%s}' "$1" "${2:+,\"stream\":true}"; }
post() { # post GW MODE [stream]: the reply with headers in $TMP/out
  curl -sS -i -N --max-time 10 -H 'Content-Type: application/json' "http://$1/v1/chat/completions" -d "$(body "$2" "${3:-}")" \
    >"$TMP/out" 2>&1
}
stats() { curl -sS --max-time 5 "http://$HOSTILE/_stats"; }
wait_stats() { # wait_stats JQ-FILTER: until the upstream's counters satisfy it (15 s at most, well below A's
  local end=$((SECONDS + 15))  # 60 s idle timeout, which would close the upstream connections too)
  while [ "$SECONDS" -lt "$end" ]; do stats | jq -e "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done
  stats | jq -e "$1" >/dev/null 2>&1
}
check() { # check DESCRIPTION command...: passes when the command succeeds
  local what="$1"; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $what"; fi
}
token() { # the receipt of $TMP/out: the header, or the stream's last event
  local tok
  tok=$(tr -d '\r' <"$TMP/out" | sed -n 's/^Veritee-Receipt: //p' | head -1)
  [ -n "$tok" ] || tok=$(tr -d '\r' <"$TMP/out" | sed -n '/^event: veritee-receipt$/{n;s/^data: //p}' | tail -1)
  echo "$tok"
}
body_of() { # body_of FILE: the response body of $TMP/out as the client read it (streams: before the receipt event)
  sed '1,/^\r$/d' "$TMP/out" | sed '/^event: veritee-receipt$/,$d' >"$1"
}
receipt_ok() { # receipt_ok JQ-FILTER DESCRIPTION: a receipt that satisfies it and verifies over the body read
  local tok pass
  tok=$(token)
  if [ -z "$tok" ]; then failed=$((failed + 1)); echo "FAIL: $2: no receipt"; sed 's/^/    /' "$TMP/out" | head -20; return; fi
  "$VT" receipt show --json "$tok" >"$TMP/rcpt.json" 2>&1
  check "$2: receipt states it" jq -e "$1" "$TMP/rcpt.json" >/dev/null ||
    sed 's/^/    /' "$TMP/rcpt.json" | head -30
  pass=$(jq -r .passport "$TMP/rcpt.json")
  body_of "$TMP/read.body"
  "$VT" receipt verify "$tok" --passport "$pass" --verifier "$V" --body "$TMP/read.body" >"$TMP/verify.out" 2>&1
  check "$2: receipt verify over the bytes read" test $? -eq 0 || sed 's/^/    /' "$TMP/verify.out" | head -20
}

# ---- Finding: clients that leave before the first upstream byte cancel the upstream request.
# Three rounds of 4 clients (= max_connections) to an upstream that never answers: each round
# waits until the upstream holds all 4 requests, then the clients leave.
n=0
for round in 1 2 3; do
  cpids=""
  for i in 1 2 3 4; do
    curl -sS -o "$TMP/leave-$round-$i" -w '%{http_code}' --max-time 30 -H 'Content-Type: application/json' \
      "http://$A/v1/chat/completions" -d "$(body hang)" >"$TMP/leave-$round-$i.code" 2>/dev/null &
    cpids="$cpids $!"
  done
  n=$((n + 4))
  check "round $round: the upstream holds the 4 requests" wait_stats ".waiting == 4 and .closed == $((n - 4))"
  for p in $cpids; do kill "$p" 2>/dev/null; done
  for p in $cpids; do wait "$p" 2>/dev/null; done
  check "round $round: the upstream saw every connection closed (request cancelled)" wait_stats ".waiting == 0 and .closed == $n"
done
cat "$TMP"/leave-*.code >"$TMP/out" 2>/dev/null
lacks "503" "no client was refused as overloaded"
post "$A" fields
contains "HTTP/1.1 200" "after 12 abandoned requests the gateway still serves (max_connections 4)"
lacks "gateway_overloaded" "no 503 gateway_overloaded"
closed=$n # connections the upstream has seen closed; each client below that leaves adds one

# The same mid-stream: the upstream sent one event and waits; the client leaves.
curl -sS -N --max-time 30 -H 'Content-Type: application/json' "http://$A/v1/chat/completions" \
  -d "$(body stream-hang s)" >"$TMP/sleave" 2>/dev/null &
cp=$!
check "stream: the upstream holds the request" wait_stats ".waiting == 1"
for _ in $(seq 100); do grep -q '^data: ' "$TMP/sleave" && break; sleep 0.1; done
kill "$cp" 2>/dev/null
wait "$cp" 2>/dev/null
closed=$((closed + 1))
check "stream: the upstream saw its connection closed when the client left" wait_stats ".waiting == 0 and .closed == $closed"

# The same under Oblivious HTTP: the client leaves while its inner request is at the upstream.
# The gateway watches the client's socket, cancels the inner request, and the exchange behind
# it cancels the upstream request (without the watch it would wait for A's 60 s idle timeout).
if python3 -c 'import cryptography' 2>/dev/null; then
  python3 "$(dirname "$0")/ohttp_client.py" --gateway "http://$A" --relay "http://$A" --no-binding --leave-after 2 \
    --body "$(body hang)" >"$TMP/oleave" 2>&1 &
  cp=$!
  check "ohttp: the upstream holds the inner request" wait_stats ".waiting == 1"
  wait "$cp" 2>/dev/null
  check "ohttp: the client left unanswered" jq -e '.left == true' "$TMP/oleave"
  closed=$((closed + 1))
  check "ohttp: the upstream saw its connection closed when the client left" \
    wait_stats ".waiting == 0 and .closed == $closed"
else
  echo "note: ohttp leave check skipped (needs python3-cryptography)"
fi
# Chunked OHTTP, mid-stream: the upstream sent one event (sealed and relayed at once) and waits;
# the client leaves.  evhttp sees the closed connection, the inner request is cancelled, and the
# upstream sees its connection closed.
"$VT" chat --gateway "http://$A" --verifier "$V" --trust-sim --ohttp --relay "http://$A" --stream \
  --model hostile-stream-hang "hi" >"$TMP/ostream" 2>&1 &
cp=$!
check "chunked ohttp: the upstream holds the inner request" wait_stats ".waiting == 1"
for _ in $(seq 100); do [ -s "$TMP/ostream" ] && break; sleep 0.1; done
sleep 0.3
kill "$cp" 2>/dev/null
wait "$cp" 2>/dev/null
closed=$((closed + 1))
check "chunked ohttp: the upstream saw its connection closed when the client left mid-stream" \
  wait_stats ".waiting == 0 and .closed == $closed"
# And for the MCP chat tool, which makes the same kind of inner request.
python3 - "$A" <<'PY' &
import socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
body = b'{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"chat","arguments":{"prompt":"hi","model":"hostile-hang"}}}'
s = socket.create_connection((host, int(port)))
s.sendall(b"POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
          b"Content-Length: %d\r\n\r\n" % len(body) + body)
time.sleep(2)
s.close()
PY
cp=$!
check "mcp: the upstream holds the inner request" wait_stats ".waiting == 1"
wait "$cp" 2>/dev/null
closed=$((closed + 1))
check "mcp: the upstream saw its connection closed when the client left" \
  wait_stats ".waiting == 0 and .closed == $closed"
for i in 1 2 3 4 5; do post "$A" fields; done
contains "HTTP/1.1 200" "after the streams the gateway still serves"

# ---- Finding: failures that reached the auditors get a receipt.
post "$B" hang
contains "HTTP/1.1 504" "timeout: 504"
contains '"code":"upstream_timeout"' "timeout: upstream_timeout"
receipt_ok '.status == 504 and .upstream_status == 0 and .content_type == "application/json" and .coverage.audited == ["request"] and .coverage.failed == []' \
  "timeout"
post "$A" die
contains "HTTP/1.1 502" "upstream died: 502"
contains '"code":"upstream_error"' "upstream died: upstream_error"
receipt_ok '.status == 502 and .upstream_status == 200 and .coverage.audited == ["request"] and .coverage.failed == [] and (.request_forwarded | test("^0+$") | not)' \
  "upstream died"
post "$B" fields
contains "HTTP/1.1 502" "too large: 502"
contains "exceeds 1024 bytes" "too large: names the limit"
receipt_ok '.status == 502 and .coverage.failed == ["response"]' "response too large"
post "$A" dupkey
contains "HTTP/1.1 502" "unauditable: 502"
receipt_ok '.status == 502 and .coverage.failed == ["response"]' "unauditable"

# A stream cut short: the error event is the last thing before the receipt; the text the
# auditor held back is never sent, and the receipt covers exactly what was read.
post "$A" stream-die s
contains "HTTP/1.1 200" "stream cut short: 200 (the stream had started)"
contains '"role":"assistant"' "stream cut short: the events before the failure arrive"
lacks "held tail" "stream cut short: held-back text is dropped"
lacks "[DONE]" "stream cut short: no [DONE]"
tr -d '\r' <"$TMP/out" | grep -v '^$' | tail -3 >"$TMP/last3"
check "stream cut short: error event, then only the receipt event" \
  sh -c "sed -n 1p '$TMP/last3' | grep -q '\"code\":\"upstream_error\"' && sed -n 2p '$TMP/last3' | grep -qx 'event: veritee-receipt'"
receipt_ok '.status == 200 and .streamed and .coverage.audited == ["request"] and .coverage.failed == []' \
  "stream cut short"
post "$B" stream-hang s
contains '"code":"upstream_timeout"' "stream timeout: error event"
lacks "held tail" "stream timeout: held-back text is dropped"
receipt_ok '.status == 200 and .streamed and .coverage.audited == ["request"]' "stream timeout"

# ---- Malformed JSON is an invalid request, not a blocked one.
curl -sS -i --max-time 10 -H 'Content-Type: application/json' "http://$A/v1/chat/completions" \
  -d '{"model":"x","messages":[' >"$TMP/out" 2>&1
contains "HTTP/1.1 400" "malformed JSON: 400"
contains '"type":"invalid_request_error"' "malformed JSON: invalid_request_error"
contains '"code":"invalid_json"' "malformed JSON: invalid_json"
lacks "content_blocked" "malformed JSON: not content_blocked"
receipt_ok '.status == 400' "malformed JSON"

# ---- /v1/attestation: one nonce only; rate limited (B: 1 per second).
nonce=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
curl -sS -i --max-time 10 "http://$A/v1/attestation?nonce=$nonce&nonce=$nonce" >"$TMP/out" 2>&1
contains "HTTP/1.1 400" "repeated nonce: 400"
contains "bad_nonce" "repeated nonce: bad_nonce"
curl -sS -i --max-time 10 "http://$A/v1/attestation?nonce=$nonce" >"$TMP/out" 2>&1
contains "HTTP/1.1 200" "one nonce: 200"
seq 1 8 | xargs -P 8 -I{} curl -sS -i --max-time 20 -o "$TMP/att-{}" "http://$B/v1/attestation?nonce=$nonce" 2>/dev/null
cat "$TMP"/att-* >"$TMP/out"
contains "HTTP/1.1 429" "attestation: past the rate, 429"
contains "Retry-After: " "attestation: 429 says when to retry"
contains '"code":"rate_limited"' "attestation: rate_limited"
contains "HTTP/1.1 200" "attestation: within the rate, 200"
# The MCP attestation tool makes the same fresh quotes: under the same limit (a token is back
# after a second).
sleep 1.2
mcp_att="{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"attestation\",\"arguments\":{\"nonce\":\"$nonce\"}}}"
seq 1 8 | xargs -P 8 -I{} curl -sS --max-time 20 -o "$TMP/matt-{}" -H 'Content-Type: application/json' \
  -H 'Accept: application/json, text/event-stream' "http://$B/mcp" -d "$mcp_att" 2>/dev/null
cat "$TMP"/matt-* >"$TMP/out"
contains "attestation_per_sec" "MCP attestation: past the rate, refused"
contains '"passport_id"' "MCP attestation: within the rate, evidence"
post "$B" error
contains "HTTP/1.1 400" "chats are not rate limited by attestations"
finish
