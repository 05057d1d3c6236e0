#!/usr/bin/env bash
# External auditors in the gateway's chain, over real processes on 127.0.0.1 and Unix sockets:
# a verifier (--trust-sim), the echo upstream, the C example auditor (customer_ids, built with
# sdk/c/veritee_auditor.h) and a Python test auditor that misbehaves on cue (auditors/misbehave.py),
# behind a gateway under the TDX simulator whose environment pins every measured auditor.
#  - allow, redact (the next auditor sees the redaction; the model gets it), block, and the
#    receipt records each auditor's verdict, findings and annotations;
#  - streamed responses are audited in windows, redactions applied;
#  - a timeout, an answer that breaks the protocol and a crash fail closed (503 auditor_failed,
#    receipt names the auditor); a restarted auditor is re-checked and serves again;
#    fail_open: the exchange goes through and the receipt says failed_open;
#  - measurement: the auditor's name@version and digest are in the log and the passport; a
#    changed auditor changes its digest; a gateway whose auditor runs another program, or is not
#    running, refuses to start; an auditor replaced on disk and restarted makes a running gateway
#    refuse to serve (503 auditor_unmeasured);
#  - metrics: each call's time and the failures per auditor in <state>/metrics/auditors.prom;
#  - MCP: audit_check runs one auditor on a text.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gateway_lib.sh"
command -v curl >/dev/null && command -v jq >/dev/null && command -v python3 >/dev/null ||
  { echo "skipped: needs curl, jq and python3"; exit 77; }
HERE="$(cd "$(dirname "$0")" && pwd)"
AUD_BIN="${VERITEE_EXAMPLE_AUDITOR:-$(dirname "$VT")/veritee-example-auditor}"
[ -x "$AUD_BIN" ] || { echo "skipped: no $AUD_BIN"; exit 77; }
PY=$(readlink -f "$(python3 -c 'import sys; print(sys.executable)')")
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

# Sockets live in a short directory (a Unix socket path has at most 107 bytes).
S=$(mktemp -d /tmp/vtaud-XXXXXX)
trap 'cleanup; rm -rf "$S"' EXIT
mkdir -p "$TMP/bin"
cp "$AUD_BIN" "$TMP/bin/customer"
start_aud() { # NAME COMMAND...: starts an auditor, waits for its socket line
  local n="$1"; shift
  : >"$TMP/aud-$n.out"
  "$@" >"$TMP/aud-$n.out" 2>"$TMP/aud-$n.err" &
  eval "PID_$n=$!"
  PIDS="$PIDS $!"
  for _ in $(seq 200); do grep -q listening "$TMP/aud-$n.out" 2>/dev/null && return 0; sleep 0.05; done
  echo "auditor $n did not start"; cat "$TMP/aud-$n.err"; exit 1
}
start_aud customer "$TMP/bin/customer" --socket "$S/customer.sock"
start_aud flaky python3 "$HERE/auditors/misbehave.py" "$S/flaky.sock"

TOKEN=0123456789abcdef0123456789abcdef
echo "$TOKEN" >"$TMP/admin-token"
chmod 600 "$TMP/admin-token"
"$VT" verifier --listen 127.0.0.1:0 --offline --admin-token-file "$TMP/admin-token" --trust-sim --quiet \
  >"$TMP/v.out" 2>"$TMP/v.log" &
PIDS="$PIDS $!"
V="http://$(listening "$TMP/v.out" "verifier" "$TMP/v.log")" || exit 1
start_echo echo
mkdir -p "$TMP/model"
printf 'tiny test model\n' >"$TMP/model/m.gguf"
cfg() { # FAIL_OPEN: the gateway config
  cat <<JSON
{"upstream": "http://$ECHO", "verifier": "$V", "environment": "xaud", "models": ["$TMP/model"],
 "auditors": [
  {"name": "pii", "phases": ["request", "response"], "actions": {"email": "redact"}},
  {"name": "customer", "kind": "external", "version": "1.0.0", "phases": ["request", "response"],
   "socket": "$S/customer.sock", "executable": "$TMP/bin/customer", "timeout_ms": 2000},
  {"name": "flaky", "kind": "external", "version": "1.0.0", "phases": ["request", "response"],
   "socket": "$S/flaky.sock", "executable": "$PY", "files": ["$HERE/auditors/misbehave.py"],
   "timeout_ms": 500, "fail_open": $1, "window_bytes": 256}]}
JSON
}
cfg false >"$TMP/a.json"
cfg true >"$TMP/b.json"
for g in a b; do
  "$VT" gateway --config "$TMP/$g.json" --platform tdx --simulate --measure-only >"$TMP/m-$g.json" 2>"$TMP/m.err" ||
    { echo "FAIL: gateway --measure-only ($g)"; cat "$TMP/m.err"; exit 1; }
done
jq -e '[.events[] | select(.component == "auditor") | .name] == ["pii@1.1.0", "customer@1.0.0", "flaky@1.0.0"]' \
  "$TMP/m-a.json" >/dev/null && ok || bad "the log measures the external auditors by name@version: $(cat "$TMP/m-a.json")"
DIG=$(jq -r '.events[] | select(.name == "customer@1.0.0") | .digest' "$TMP/m-a.json")
# A changed auditor program changes its measurement.
cp "$TMP/bin/customer" "$TMP/bin/customer2"
printf 'x' >>"$TMP/bin/customer2"
sed "s|$TMP/bin/customer\"|$TMP/bin/customer2\"|" "$TMP/a.json" >"$TMP/c.json"
"$VT" gateway --config "$TMP/c.json" --platform tdx --simulate --measure-only >"$TMP/m-c.json" 2>/dev/null
DIG2=$(jq -r '.events[] | select(.name == "customer@1.0.0") | .digest' "$TMP/m-c.json")
[ -n "$DIG2" ] && [ "$DIG" != "$DIG2" ] && ok || bad "a changed auditor program changes its digest ($DIG, $DIG2)"
# The configuration cannot claim its own measurement.
jq '.auditors[1].measured = {"executable": "00"}' "$TMP/a.json" >"$TMP/d.json"
expect 2 "measured in the config is refused" -- "$VT" gateway --config "$TMP/d.json" --platform tdx --simulate --measure-only
contains "written by the gateway at boot" "why measured is refused"

# c.json (another auditor program) is registered too: what refuses it below is the peer check.
mapfile -t envargs < <(jq -rs '[.[].events[] | "--\(.component)\n\(.digest)"] | unique[]' "$TMP/m-a.json" "$TMP/m-b.json" \
  "$TMP/m-c.json")
mapfile -t image < <(sim_tdx_image_args)
"$VT" env create xaud --verifier "$V" --admin-token-file "$TMP/admin-token" --allow-simulated --min-tcb any \
  "${envargs[@]}" "${image[@]}" >/dev/null || { echo "FAIL: env create xaud"; exit 1; }
start() { # NAME: sets $GW
  "$VT" gateway --config "$TMP/$1.json" --listen-plain 127.0.0.1:0 --platform tdx --simulate --threads 1 --state "$(gw_state "$1")" \
    >"$TMP/gw-$1.out" 2>"$TMP/gw-$1.err" &
  PIDS="$PIDS $!"
  eval "GWPID_$1=$!"
  GW=$(listening "$TMP/gw-$1.out" "gateway $1" "$TMP/gw-$1.err") || exit 1
  for _ in $(seq 200); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$GW/v1/models")" = 200 ] && break; sleep 0.05
  done
}
start a
GWA=$GW

chat() { # GW TEXT [stream]: status in $ST, body in $TMP/body, receipt payload in $TMP/rcpt.json
  local body
  body=$(jq -cn --arg t "$2" --argjson s "${3:-false}" '{model: "m", stream: $s, messages: [{role: "user", content: $t}]}')
  ST=$(curl -s -D "$TMP/h" -o "$TMP/body" -w '%{http_code}' "http://$1/v1/chat/completions" \
    -H 'content-type: application/json' -d "$body")
  tr -d '\r' <"$TMP/h" | sed -n 's/^[Vv]eritee-[Rr]eceipt: //p' >"$TMP/rcpt"
  [ -s "$TMP/rcpt" ] || sed -n 's/^data: //p' "$TMP/body" | tail -1 >"$TMP/rcpt" # streams: the receipt event
  cut -d. -f2 "$TMP/rcpt" | jq -R 'gsub("-";"+") | gsub("_";"/") | . + ("=" * ((4 - length % 4) % 4)) | @base64d | fromjson' \
    >"$TMP/rcpt.json" 2>/dev/null || echo '{}' >"$TMP/rcpt.json"
}
entry() { jq -c --arg n "$1" --arg p "${2:-request}" '.auditors[] | select(.name == $n and .phase == $p)' "$TMP/rcpt.json"; }

# allow
chat "$GWA" "What is the capital of France?"
[ "$ST" = 200 ] && ok || bad "allow: status $ST: $(cat "$TMP/body")"
[ "$(entry customer | jq -r .verdict)" = allow ] && ok || bad "allow: customer's receipt entry $(entry customer)"
[ "$(entry customer | jq -r .version)" = 1.0.0 ] && ok || bad "the receipt names the auditor's version"
[ "$(entry flaky response | jq -r .verdict)" = annotate ] && ok || bad "allow: flaky's response entry $(entry flaky response)"

# redact: the next auditor sees the redaction, the model gets it, so does the client
chat "$GWA" "Customer CUST-123456 wrote from a@example.com"
[ "$ST" = 200 ] && ok || bad "redact: status $ST"
jq -e '.choices[0].message.content == "Customer [CUSTOMER_ID] wrote from [EMAIL_1]"' "$TMP/body" >/dev/null && ok ||
  bad "redact: the model got $(jq -c .choices[0].message.content "$TMP/body")"
[ "$(entry customer | jq -c '[.verdict, .findings]')" = '["redact",{"customer_id":1}]' ] && ok ||
  bad "redact: receipt entry $(entry customer)"
[ "$(entry flaky | jq -c '.annotations | [.saw_redacted, .saw_raw]')" = '[1,null]' ] && ok ||
  bad "the auditor after customer saw its redaction, not the raw number: $(entry flaky)"

# block
chat "$GWA" "now DROP TABLE users"
[ "$ST" = 403 ] && ok || bad "block: status $ST"
jq -e '.error.code == "content_blocked" and (.error.message | contains("customer auditor"))' "$TMP/body" >/dev/null && ok ||
  bad "block: $(cat "$TMP/body")"
[ "$(entry customer | jq -r .verdict)" = block ] && ok || bad "block: receipt entry $(entry customer)"
entry customer | grep -q "DROP" && bad "the receipt repeats the blocked text" || ok

# a streamed response, audited in windows
chat "$GWA" "Stream this: CUST-987654 is the customer, and a longer text follows so that the reply spans several windows of the external auditors. Again CUST-555555 at the end." true
[ "$ST" = 200 ] && ok || bad "stream: status $ST"
grep -q 'CUST-' "$TMP/body" && bad "stream: a customer number reached the client" || ok
grep -q '\[CUSTOMER_ID\]' "$TMP/body" && ok || bad "stream: the redaction is in the stream"
grep -q '^data: \[DONE\]' "$TMP/body" && ok || bad "stream: ends with [DONE]"
W=$(entry flaky response | jq -r '.findings.windows')
[ "$W" -ge 2 ] 2>/dev/null && [ "$(entry flaky response | jq -r '.annotations.window')" = $((W - 1)) ] && ok ||
  bad "stream: one response entry over several windows: $(entry flaky response)"

# A phrase the model streams over several events (the echo upstream streams a word per event) is
# joined for the auditor, so the auditor that blocks it sees it: the stream ends with an error
# event (each event was a text of its own, and it reached the client).
# (Past the first 256 bytes and before the last: the built-in pii auditor holds back 256 bytes and
# then releases about a word per event, so the two words come in events of their own.)
long="a longer text comes first so that the phrase falls well after the first window of the auditors"
long="$long and after the text that the built-in auditor holds back before it releases a word per event"
long="$long while the stream goes on, one word after another, as a model streams its tokens to a client"
long="$long that joins them"
chat "$GWA" "Stream this: $long, then the FORBIDDEN PHRASE and $long." true
grep -q '"code":"content_blocked"' "$TMP/body" && ok || bad "stream: a phrase over two events is not blocked: $(cat "$TMP/body")"
grep -q '^data: \[DONE\]' "$TMP/body" && bad "stream: a blocked stream ends with [DONE]" || ok
sed -n 's/^data: //p' "$TMP/body" | jq -rj '.choices[0].delta.content // empty' 2>/dev/null | grep -q 'FORBIDDEN PHRASE' &&
  bad "stream: the client read the blocked phrase" || ok
chat "$GWA" "the FORBIDDEN PHRASE whole"
[ "$ST" = 403 ] && ok || bad "the phrase in a whole answer: $ST"
# An auditor's rewrite of a stream is not audited again by the built-in stream auditor: one that
# writes what pii redacts (an e-mail address) fails closed; in a whole answer the built-ins
# redact it again.
chat "$GWA" "Stream this: $long, and UNREDACT here and $long." true
grep -q 'jane.doe@example.com' "$TMP/body" && bad "stream: an auditor wrote an e-mail address to the client" || ok
grep -q 'the flaky auditor failed (response phase)' "$TMP/body" && ok ||
  bad "stream: a rewrite the built-ins refuse fails closed: $(cat "$TMP/body")"
# (The error event names the failure as a failure, auditor_failed, not as a block.)
sed -n 's/^data: //p' "$TMP/body" | grep -q '"code":"auditor_failed"' && ok ||
  bad "stream: a failed auditor's error event says content_blocked: $(grep error "$TMP/body")"
jq -e '.coverage.failed | index("response") != null' "$TMP/rcpt.json" >/dev/null && ok ||
  bad "stream: the receipt says the response failed: $(cat "$TMP/rcpt.json")"
chat "$GWA" "and UNREDACT here"
[ "$ST" = 200 ] && ! grep -q 'jane.doe@example.com' "$TMP/body" && grep -q 'EMAIL_1' "$TMP/body" && ok ||
  bad "whole answer: the rewrite is redacted again: $ST $(cat "$TMP/body")"

# failures fail closed
t0=$(date +%s%N)
chat "$GWA" "please SLEEP now"
t1=$(date +%s%N)
[ "$ST" = 503 ] && jq -e '.error.code == "auditor_failed"' "$TMP/body" >/dev/null && ok || bad "timeout: $ST $(cat "$TMP/body")"
[ $(((t1 - t0) / 1000000)) -lt 2900 ] && ok || bad "timeout: the gateway waited for the auditor's late answer"
entry flaky | jq -e '.verdict == "block" and (.reason | contains("auditor failed: timed out"))' >/dev/null && ok ||
  bad "timeout: receipt entry $(entry flaky)"
# The request phase is not covered when one of its auditors failed: the receipt says it failed.
jq -e '.coverage.failed == ["request"] and .coverage.audited == []' "$TMP/rcpt.json" >/dev/null && ok ||
  bad "timeout: the receipt's coverage says the request was audited: $(jq -c .coverage "$TMP/rcpt.json")"
chat "$GWA" "BADANSWER"
[ "$ST" = 503 ] && ok || bad "bad answer: $ST"
entry flaky | jq -e '.reason | contains("not a text of the request") or contains("start < end")' >/dev/null && ok ||
  bad "bad answer: the receipt says why: $(entry flaky)"
chat "$GWA" "hello again" # the connection that timed out was dropped, a fresh one serves
[ "$ST" = 200 ] && ok || bad "after a timeout the auditor serves again: $ST $(cat "$TMP/body")"
chat "$GWA" "CRASH"
[ "$ST" = 503 ] && ok || bad "crash: $ST"
chat "$GWA" "hello while it is down"
[ "$ST" = 503 ] && ok || bad "crashed auditor not running: $ST"
start_aud flaky python3 "$HERE/auditors/misbehave.py" "$S/flaky.sock"
chat "$GWA" "hello after the restart"
[ "$ST" = 200 ] && ok || bad "restarted auditor (re-checked) serves: $ST $(cat "$TMP/body")"

# each call's time and the failures, per auditor, in <state>/metrics/auditors.prom (written each second)
M="$TMP/state-a/metrics/auditors.prom"
fc=0
for _ in $(seq 40); do
  fc=$(sed -n 's/^veritee_gateway_auditor_call_failures_total{auditor="flaky"} //p' "$M" 2>/dev/null)
  [ "${fc:-0}" -ge 3 ] 2>/dev/null && break; sleep 0.1
done
[ "${fc:-0}" -ge 3 ] 2>/dev/null && ok || bad "metrics: flaky's failures (timeout, bad answer, crash) counted: ${fc:-none}"
cp "$M" "$TMP/auditors.prom" # one snapshot: the gateway rewrites the file every second
n=$(sed -n 's/^veritee_gateway_auditor_call_seconds_count{auditor="customer"} //p' "$TMP/auditors.prom")
inf=$(sed -n 's/^veritee_gateway_auditor_call_seconds_bucket{auditor="customer",le="+Inf"} //p' "$TMP/auditors.prom")
[ "${n:-0}" -ge 4 ] 2>/dev/null && [ "$n" = "$inf" ] && ok || bad "metrics: customer's calls counted ($n, +Inf bucket $inf)"
# The call that ran into flaky's 0.5 s timeout is counted with its length (xaud.c rounds the
# wait up, so it is never shorter than the timeout).
slow=$(sed -n 's/^veritee_gateway_auditor_call_seconds_bucket{auditor="flaky",le="0.5"} //p' "$TMP/auditors.prom")
allf=$(sed -n 's/^veritee_gateway_auditor_call_seconds_bucket{auditor="flaky",le="+Inf"} //p' "$TMP/auditors.prom")
[ -n "$slow" ] && [ "$allf" -gt "$slow" ] 2>/dev/null && ok || bad "metrics: the timed-out call is above 0.5 s ($slow of $allf)"

# MCP: one auditor's check as a tool
mcp() { curl -s "http://$GWA/mcp" -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' -d "$1"; }
mcp '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' | grep -q '"audit_check"' && ok || bad "MCP lists audit_check"
R=$(mcp '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"audit_check","arguments":{"auditor":"customer","phase":"request","text":"id CUST-4444 here"}}}')
echo "$R" | grep -q 'CUSTOMER_ID' && echo "$R" | grep -q 'redact' && ok || bad "MCP audit_check customer: $R"
R=$(mcp '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"audit_check","arguments":{"auditor":"nope","phase":"request","text":"x"}}}')
echo "$R" | grep -q 'no auditor' && ok || bad "MCP audit_check unknown auditor: $R"

# fail_open: the exchange goes through, the receipt says so
kill "$PID_flaky" 2>/dev/null; wait "$PID_flaky" 2>/dev/null
start_aud flaky python3 "$HERE/auditors/misbehave.py" "$S/flaky.sock"
start b
GWB=$GW
chat "$GWB" "please SLEEP now"
[ "$ST" = 200 ] && ok || bad "fail_open: $ST $(cat "$TMP/body")"
[ "$(entry flaky | jq -c '[.verdict, .annotations.failed_open]')" = '["allow",1]' ] && ok ||
  bad "fail_open: the receipt records it: $(entry flaky)"

# the passport lists the measured auditor digests
curl -s "http://$GWA/v1/attestation?nonce=00112233445566778899aabbccddeeff" >"$TMP/att.json"
jq -r .passport "$TMP/att.json" | cut -d. -f2 |
  jq -R 'gsub("-";"+") | gsub("_";"/") | . + ("=" * ((4 - length % 4) % 4)) | @base64d | fromjson' >"$TMP/pp.json"
jq -e --arg d "$DIG" '.veritee.submods.auditors.measured | index($d) != null' "$TMP/pp.json" >/dev/null && ok ||
  bad "the passport lists the external auditor's digest: $(jq -c .veritee.submods.auditors "$TMP/pp.json")"
jq -e '.submods.auditors.ear_status == "affirming"' "$TMP/pp.json" >/dev/null && ok ||
  bad "the environment's reference values pin the auditors: $(jq -c .submods.auditors "$TMP/pp.json")"

# replaced on disk and restarted: the running gateway refuses to serve
cp "$TMP/bin/customer" "$TMP/bin/new" && printf 'tampered' >>"$TMP/bin/new" && mv "$TMP/bin/new" "$TMP/bin/customer"
kill "$PID_customer" 2>/dev/null; wait "$PID_customer" 2>/dev/null
start_aud customer "$TMP/bin/customer" --socket "$S/customer.sock"
chat "$GWA" "hello"
[ "$ST" = 503 ] && jq -e '.error.code == "auditor_unmeasured"' "$TMP/body" >/dev/null && ok ||
  bad "replaced auditor: $ST $(cat "$TMP/body")"
chat "$GWA" "hello"
[ "$ST" = 503 ] && ok || bad "replaced auditor: still refused ($ST)"

# boot: another program on the socket, or none at all: the gateway does not start
expect 1 "a gateway whose auditor runs another program" -- \
  timeout 20 "$VT" gateway --config "$TMP/c.json" --listen-plain 127.0.0.1:0 --platform tdx --simulate --threads 1
contains "does not run the measured program" "boot refusal names the mismatch"
kill "$PID_customer" 2>/dev/null; wait "$PID_customer" 2>/dev/null
cp "$AUD_BIN" "$TMP/bin/customer" # the measured program again, but nothing serves its socket
expect 2 "a gateway whose auditor is not running" -- \
  timeout 20 "$VT" gateway --config "$TMP/a.json" --listen-plain 127.0.0.1:0 --platform tdx --simulate --threads 1
contains "not running" "boot refusal says the auditor is not running"

finish
