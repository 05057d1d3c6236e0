#!/usr/bin/env bash
# Oblivious HTTP through a real relay: nginx (Debian) as a plain reverse proxy that
# logs request bodies, in front of an attested gateway (verifier --trust-sim, mock
# platform) and the echo upstream.  The client is tests/e2e/ohttp_client.py, an
# independent HPKE/OHTTP implementation.  Asserts: the key configuration is signed by
# the passport's enclave key; chat, models and embeddings work through the relay with
# a receipt inside the encapsulated response that the verifier accepts; neither the
# prompt nor the answer appears in anything the relay logged or relayed; a relay that
# flips one bit of the request or the response causes an error, never a wrong answer;
# malformed, unknown-key and wrongly typed requests get clear errors.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gateway_lib.sh"
HERE="$(cd "$(dirname "$0")" && pwd)"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
PY=/usr/bin/python3
command -v curl >/dev/null && command -v jq >/dev/null && [ -x "$NGINX" ] && [ -x "$PY" ] &&
  "$PY" -c 'import cryptography' 2>/dev/null || { echo "skipped: needs curl, jq, nginx and python3-cryptography"; exit 77; }
TOKEN=0123456789abcdef0123456789abcdef
echo "$TOKEN" >"$TMP/admin"
chmod 600 "$TMP/admin"
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

"$VT" verifier --listen 127.0.0.1:0 --offline --admin-token-file "$TMP/admin" --trust-sim --state "$TMP/state" >"$TMP/v.out" 2>"$TMP/v.err" &
PIDS="$PIDS $!"
V="http://$(listening "$TMP/v.out" "verifier")" || exit 1
start_echo echo
mkdir -p "$TMP/models"
head -c 100000 /dev/urandom >"$TMP/models/model.bin"
MD=$("$VT" measure --json "$TMP/models/model.bin" | jq -r .root)
cat >"$TMP/g.json" <<JSON
{"upstream":"http://$ECHO","verifier":"$V","environment":"gw","models":["$TMP/models/model.bin"],"model_check_ms":0,"limits":{"max_request_bytes":1000000},
 "auditors":[{"name":"pii","actions":{"email":"redact","card":"redact","ssn":"block","secret":"block"}},
             {"name":"artifact","reference_digests":["$MD"]},{"name":"execution"}]}
JSON
"$VT" gateway --config "$TMP/g.json" --measure-only >"$TMP/log.json" 2>"$TMP/m.err" || { echo "measure failed"; cat "$TMP/m.err"; exit 1; }
jq '{allow_simulated:true, components:{model:[.events[]|select(.component=="model")|.digest],
     auditors:[.events[]|select(.component=="auditor")|.digest], runtime:[.events[]|select(.component=="runtime")|.digest],
     config:[.events[]|select(.component=="config")|.digest]}}' "$TMP/log.json" |
  curl -sf -o /dev/null -X PUT -H "Authorization: Bearer $TOKEN" -d @- "$V/v1/environments/gw" || { echo "environment refused"; exit 1; }
start_gateway gw "$TMP/g.json" --platform mock --model-check-ms 0
G="http://$GW"

# The relay: nginx, a plain reverse proxy that logs every request body.
NP=$(free_port)
mkdir -p "$TMP/ngx/logs"
cat >"$TMP/ngx/nginx.conf" <<NGX
worker_processes 1;
daemon off;
pid $TMP/ngx/nginx.pid;
error_log $TMP/ngx/logs/error.log warn;
events { worker_connections 64; }
http {
  client_body_temp_path $TMP/ngx/body; proxy_temp_path $TMP/ngx/proxy;
  fastcgi_temp_path $TMP/ngx/fcgi; uwsgi_temp_path $TMP/ngx/uwsgi; scgi_temp_path $TMP/ngx/scgi;
  log_format bodies '\$request \$status \$content_type body=\$request_body sent=\$body_bytes_sent';
  access_log $TMP/ngx/logs/relay.log bodies;
  client_body_buffer_size 1m;
  server {
    listen 127.0.0.1:$NP;
    location / { proxy_pass http://$GW; proxy_set_header Host gateway; proxy_buffering off; }
  }
}
NGX
"$NGINX" -p "$TMP/ngx" -c "$TMP/ngx/nginx.conf" -e "$TMP/ngx/logs/error.log" 2>"$TMP/ngx.err" &
PIDS="$PIDS $!"
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$NP/healthz" && break; sleep 0.05; done
R="http://127.0.0.1:$NP"

client() { "$PY" "$HERE/ohttp_client.py" --gateway "$G" "$@" >"$TMP/out" 2>&1; }

# Keys: through the relay, signed by the enclave key the passport's cnf names.
curl -s -D "$TMP/kh" -o "$TMP/keys" "$R/.well-known/ohttp-keys"
tr -d '\r' <"$TMP/kh" | grep -qi '^content-type: application/ohttp-keys$' && ok || bad "keys media type: $(cat "$TMP/kh")"
[ "$(stat -c %s "$TMP/keys")" = 47 ] && ok || bad "keys: one X25519 configuration with two algorithm pairs"
tr -d '\r' <"$TMP/kh" | grep -qi '^veritee-key-binding: ' && ok || bad "keys carry no binding"

# Chat through the relay: the answer and a receipt come back inside the encapsulation.
PROMPT="zebra-ohttp-4217 what is the secret plan"
BODY=$(jq -nc --arg p "$PROMPT" '{model:"echo",messages:[{role:"user",content:$p}]}')
client --relay "$R" --path /v1/chat/completions --body "$BODY"
[ $? -eq 0 ] && ok || bad "chat through the relay: $(cat "$TMP/out")"
cp "$TMP/out" "$TMP/chat.json"
[ "$(jq -r .status "$TMP/chat.json")" = 200 ] && ok || bad "inner status: $(cat "$TMP/chat.json")"
jq -r .body "$TMP/chat.json" | grep -q "zebra-ohttp-4217" && ok || bad "the echo answer holds the prompt: $(cat "$TMP/chat.json")"
RC=$(jq -r '.headers["veritee-receipt"] // empty' "$TMP/chat.json")
[ -n "$RC" ] && ok || bad "no receipt inside the encapsulated response: $(cat "$TMP/chat.json")"
code=$(curl -s -o "$TMP/r.json" -w '%{http_code}' -X POST -d "{\"token\":\"$RC\"}" "$V/v1/receipts")
[ "$code" = 201 ] && ok || bad "the verifier refused the OHTTP receipt: $code $(cat "$TMP/r.json")"

# The auditors apply as on the plain path: redaction and blocking.
client --relay "$R" --body '{"model":"echo","messages":[{"role":"user","content":"mail bob@example.com"}]}'
jq -r .body "$TMP/out" | grep -q 'bob@example.com' && bad "e-mail reached the upstream through OHTTP" || ok
client --relay "$R" --body '{"model":"echo","messages":[{"role":"user","content":"my ssn is 123-45-6789"}]}'
[ "$(jq -r .status "$TMP/out")" = 403 ] && ok || bad "ssn not blocked through OHTTP: $(cat "$TMP/out")"
# Other routes: models (GET) and embeddings.
client --relay "$R" --path /v1/models
[ "$(jq -r .status "$TMP/out")" = 200 ] && ok || bad "models through OHTTP: $(cat "$TMP/out")"
client --relay "$R" --path /v1/embeddings --body '{"model":"echo","input":"hello"}'
[ "$(jq -r .status "$TMP/out")" = 200 ] && ok || bad "embeddings through OHTTP: $(cat "$TMP/out")"
# No recursion.
client --relay "$R" --path /v1/ohttp --body 'x'
[ "$(jq -r .status "$TMP/out")" = 404 ] && ok || bad "OHTTP inside OHTTP: $(cat "$TMP/out")"
# Nor by a path the gateway's front reads as another (//authority/path: its path is /v1/ohttp).
for p in //gw/v1/ohttp //gw/.well-known/ohttp-keys; do
  client --relay "$R" --path "$p" --body 'x'
  [ "$(jq -r .status "$TMP/out")" = 404 ] && ok || bad "OHTTP inside OHTTP as $p: $(cat "$TMP/out")"
done

# Replay (RFC 9458 6.5; stance in docs/transport.md "Replay"): the identical Encapsulated
# Request sent twice is answered twice, no anti-replay cache.  Each answer has a fresh response
# nonce (different ciphertext; only the original client's HPKE context opens either), and the
# second upstream inference gets its own receipt, which the verifier accepts as a new one.
client --relay "$R" --replay --body "$BODY"
[ $? -eq 0 ] && ok || bad "replayed request: $(cat "$TMP/out")"
cp "$TMP/out" "$TMP/replay.json"
[ "$(jq -r '.first.status,.second.status' "$TMP/replay.json" | tr '\n' ' ')" = "200 200 " ] && ok || bad "replay statuses: $(cat "$TMP/replay.json")"
[ "$(jq -r '.first.body' "$TMP/replay.json" | jq -r '.choices[0].message.content')" = "$PROMPT" ] &&
  [ "$(jq -r '.second.body' "$TMP/replay.json" | jq -r '.choices[0].message.content')" = "$PROMPT" ] && ok ||
  bad "a replay is answered like the original: $(cat "$TMP/replay.json")"
[ "$(jq -r '.first.response_nonce' "$TMP/replay.json")" != "$(jq -r '.second.response_nonce' "$TMP/replay.json")" ] &&
  [ "$(jq -r '.first.ciphertext' "$TMP/replay.json")" != "$(jq -r '.second.ciphertext' "$TMP/replay.json")" ] && ok ||
  bad "a replay got the same response nonce/ciphertext"
R1=$(jq -r '.first.headers["veritee-receipt"] // empty' "$TMP/replay.json")
R2=$(jq -r '.second.headers["veritee-receipt"] // empty' "$TMP/replay.json")
[ -n "$R1" ] && [ -n "$R2" ] && [ "$R1" != "$R2" ] && ok || bad "a replay has no receipt of its own"
for rc_tok in "$R1" "$R2"; do
  code=$(curl -s -o "$TMP/r.json" -w '%{http_code}' -X POST -d "{\"token\":\"$rc_tok\"}" "$V/v1/receipts")
  [ "$code" = 201 ] && ok || bad "the verifier refused a replay's receipt: $code $(cat "$TMP/r.json")"
done

# An inner request is audited and receipted exactly as the same request sent directly (the
# dispatch in gateway/inner.c goes through the front): same auditors, same findings and
# actions, same request digests and the same answer; only the receipt's identity and times, and
# what the echo upstream numbers per answer (id, created, hence the response digest), differ.
SAME='{"model":"echo","messages":[{"role":"user","content":"zebra-same-5120 mail carol@example.com"}]}'
rshow() { "$VT" receipt show --json "$1" |
  jq -S 'del(.id, .receipt, .received_ms, .completed_ms, .response) | walk(if type == "object" then del(.latency_us) else . end)'; }
curl -s -D "$TMP/dh" -o "$TMP/direct.body" -H 'Content-Type: application/json' -d "$SAME" "$G/v1/chat/completions"
DT=$(tr -d '\r' <"$TMP/dh" | sed -n 's/^[Vv]eritee-[Rr]eceipt: //p')
client --relay "$R" --body "$SAME"
OT=$(jq -r '.headers["veritee-receipt"] // empty' "$TMP/out")
if [ -n "$DT" ] && [ -n "$OT" ]; then
  rshow "$DT" >"$TMP/direct.rcpt"; rshow "$OT" >"$TMP/inner.rcpt"
  jq -e '.auditors | length > 0' "$TMP/direct.rcpt" >/dev/null && ok || bad "the direct receipt names no auditors: $(cat "$TMP/direct.rcpt")"
  diff -u "$TMP/direct.rcpt" "$TMP/inner.rcpt" >"$TMP/rcpt.diff" && ok ||
    { bad "an inner request is receipted unlike a direct one"; sed 's/^/    /' "$TMP/rcpt.diff" | head -30; }
  [ "$(jq -r .body "$TMP/out" | jq -cS 'del(.id, .created)')" = "$(jq -cS 'del(.id, .created)' "$TMP/direct.body")" ] && ok ||
    bad "the inner answer differs from the direct one"
else
  bad "a receipt is missing: direct '$DT' inner '$OT'"
fi

# veritee chat --ohttp: the gateway verified as always, then the prompt through the relay;
# the receipt (inside the encapsulation) checked against the bytes sent and received.
for mode in "" --stream; do
  "$VT" chat --gateway "$G" --verifier "$V" --trust-sim --model echo $mode --ohttp --relay "$R" \
    "zebra-chat-9931 through the relay" >"$TMP/out" 2>&1
  rc=$?
  [ $rc -eq 0 ] && ok || { bad "veritee chat --ohttp $mode: exit $rc"; sed 's/^/    /' "$TMP/out" | tail -15; }
  grep -q 'zebra-chat-9931' "$TMP/out" && ok || bad "chat --ohttp $mode printed no answer"
  grep -qi 'receipt' "$TMP/out" && ok || bad "chat --ohttp $mode checked no receipt"
done
# --stream went as chunked OHTTP (draft-ietf-ohai-chunked-ohttp): each SSE event sealed as produced.
sleep 0.2
grep -q 'POST /v1/ohttp HTTP/1.1 200 message/ohttp-chunked-req' "$TMP/ngx/logs/relay.log" && ok ||
  bad "chat --ohttp --stream did not use chunked OHTTP: $(cat "$TMP/ngx/logs/relay.log")"
expect 2 "chat: --ohttp without --relay" -- "$VT" chat --gateway "$G" --verifier "$V" --ohttp "x"
# With --ohttp the gateway never sees this client's address: the attestation goes through the relay
# like the key configuration and the prompt, and --gateway (here a pass-through that notes whoever
# contacts it) is not contacted at all.  A direct GET /v1/attestation just before the relayed
# prompt would let the gateway link the client's address to it by timing.
"$PY" "$HERE/tamper_relay.py" --to "$G" --mode pass --log "$TMP/direct.log" >"$TMP/direct.out" 2>&1 &
PIDS="$PIDS $!"
D=$(listening "$TMP/direct.out" "pass-through") || exit 1
: >"$TMP/direct.log"
for mode in "" --stream; do
  "$VT" chat --gateway "http://$D" --verifier "$V" --trust-sim --model echo $mode --ohttp --relay "$R" \
    "zebra-direct-7720 through the relay only" >"$TMP/out" 2>&1
  rc=$?
  [ $rc -eq 0 ] && grep -q 'zebra-direct-7720' "$TMP/out" && ok ||
    { bad "veritee chat --ohttp $mode with the gateway behind the relay only: exit $rc"; sed 's/^/    /' "$TMP/out" | tail -8; }
done
[ ! -s "$TMP/direct.log" ] && ok || bad "veritee chat --ohttp contacted the gateway directly: $(cat "$TMP/direct.log")"
# A relay URL ending in / is the same relay (as --gateway's is the same gateway).
"$VT" chat --gateway "$G" --verifier "$V" --trust-sim --model echo --ohttp --relay "$R/" "zebra-slash-3310" >"$TMP/out" 2>&1 &&
  grep -q 'zebra-slash-3310' "$TMP/out" && ok || { bad "--relay URL/: $(tail -3 "$TMP/out")"; }

# What the relay saw: its log holds the requests (bodies included) but neither prompt nor answer.
sleep 0.2
grep -q 'POST /v1/ohttp' "$TMP/ngx/logs/relay.log" && ok || bad "the relay logged no OHTTP request: $(cat "$TMP/ngx/logs/relay.log")"
grep -q 'body=\\x01\\x00' "$TMP/ngx/logs/relay.log" && ok || bad "the relay log does not hold the (encapsulated) bodies"
if grep -rqa -e 'zebra-ohttp-4217' -e 'secret plan' -e 'zebra-chat-9931' -e 'bob@example.com' -e '123-45-6789' "$TMP/ngx"; then
  bad "prompt or answer visible to the relay"; else ok; fi
[ "$(stat -c %s "$TMP/ngx/logs/error.log" 2>/dev/null || echo 0)" -lt 100000 ] && ok || bad "relay error log"

# A relay that alters one bit: an error, never a wrong answer.
for mode in request response; do
  "$PY" "$HERE/tamper_relay.py" --to "$R" --mode $mode --byte 50 >"$TMP/t$mode.out" 2>&1 &
  PIDS="$PIDS $!"
  T=$(listening "$TMP/t$mode.out" "tamper relay") || exit 1
  client --relay "http://$T" --no-binding --body "$BODY"
  rc=$?
  if [ $mode = request ]; then
    [ $rc -eq 3 ] && [ "$(jq -r .error "$TMP/out")" = 400 ] && ok || bad "altered request: exit $rc $(cat "$TMP/out")"
  else
    [ $rc -eq 4 ] && ok || bad "altered response: exit $rc $(cat "$TMP/out")"
  fi
  grep -q zebra "$TMP/out" && bad "$mode tampering produced an answer" || ok
  "$VT" chat --gateway "$G" --verifier "$V" --trust-sim --model echo --ohttp --relay "http://$T" "zebra-tamper" >"$TMP/out" 2>&1
  rc=$?
  [ $rc -ne 0 ] && ok || bad "veritee chat accepted a $mode altered by the relay"
  grep -q 'zebra-tamper' "$TMP/out" && bad "veritee chat printed an answer after $mode tampering" || ok
  # chunked (--stream): an altered chunk is an error too, never a wrong answer
  "$VT" chat --gateway "$G" --verifier "$V" --trust-sim --model echo --stream --ohttp --relay "http://$T" "zebra-tamper" >"$TMP/out" 2>&1
  rc=$?
  [ $rc -ne 0 ] && ok || bad "veritee chat --stream accepted a $mode altered by the relay"
  grep -q 'ok   receipt' "$TMP/out" && bad "a receipt verified after chunked $mode tampering" || ok
done

# A relay that refuses the request (403, or 502 as a proxy whose upstream failed) with a page of its
# own: veritee chat names the refusal (the status and a short, printable excerpt of the page), it
# does not report an answer that fails to decapsulate; plain and --stream (chunked OHTTP).
for code in 403 502; do
  "$PY" "$HERE/tamper_relay.py" --to "$R" --mode refuse --code $code >"$TMP/refuse$code.out" 2>&1 &
  PIDS="$PIDS $!"
  T=$(listening "$TMP/refuse$code.out" "refusing relay") || exit 1
  for mode in "" --stream; do
    "$VT" chat --gateway "$G" --verifier "$V" --trust-sim --model echo $mode --ohttp --relay "http://$T" \
      "zebra-refused" >"$TMP/out" 2>&1
    rc=$?
    [ $rc -ne 0 ] && ok || bad "chat $mode through a relay answering $code succeeded"
    grep -qF "the relay answered HTTP $code (text/html; charset=utf-8), not an OHTTP response: \"relay refused it ?[2J<b>?q?</b>?? zz" "$TMP/out" &&
      ok || bad "chat $mode: the relay's $code is not named: $(grep -a veritee: "$TMP/out")"
    grep -q 'decapsulate' "$TMP/out" && bad "chat $mode: a relay's $code reported as an answer that does not decapsulate" || ok
    grep -q 'END-OF-REFUSAL' "$TMP/out" && bad "chat $mode: the excerpt is not bounded" || ok
    LC_ALL=C grep -q "$(printf '\033')" "$TMP/out" && bad "chat $mode: a control byte of the relay's page printed" || ok
  done
done

# Bad input straight at the gateway: clear errors, nothing in the logs.
code=$(curl -s -o "$TMP/b" -w '%{http_code}' -X POST -H 'Content-Type: application/json' --data-binary 'x' "$G/v1/ohttp")
[ "$code" = 415 ] && ok || bad "wrong media type: $code"
code=$(curl -s -o "$TMP/b" -w '%{http_code}' -X POST -H 'Content-Type: message/ohttp-req' --data-binary 'abc' "$G/v1/ohttp")
[ "$code" = 400 ] && ok || bad "truncated encapsulation: $code"
client --relay "$R" --no-binding --key-id 9 --body "$BODY"
[ "$(jq -r .error "$TMP/out")" = 400 ] && grep -q ohttp-key "$TMP/out" && ok || bad "unknown key id: $(cat "$TMP/out")"
code=$(curl -s -o /dev/null -w '%{http_code}' "$G/v1/ohttp")
[ "$code" = 405 ] && ok || bad "GET /v1/ohttp: $code"
head -c 1500000 /dev/zero >"$TMP/big"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: message/ohttp-req' --data-binary @"$TMP/big" "$G/v1/ohttp")
[ "$code" = 413 ] && ok || bad "oversize encapsulation: $code"
# A client that leaves while its request is still at the upstream (the model answers after 1.5 s):
# the answer, when it comes, meets a closed connection; the gateway goes on and answers the next.
client --relay "$G" --no-binding --leave-after 0.3 \
  --body '{"model":"echo-slow-1500","messages":[{"role":"user","content":"zebra-leaves"}]}'
[ "$(jq -r .left "$TMP/out")" = true ] && ok || bad "leaving client: $(cat "$TMP/out")"
sleep 2
client --relay "$G" --no-binding --body "$BODY"
[ "$(jq -r .status "$TMP/out")" = 200 ] && ok || bad "after a client left mid-request: $(cat "$TMP/out")"
if grep -qa -e 'zebra-ohttp-4217' -e 'bob@example.com' "$TMP/gw.out" "$TMP/gw.err"; then bad "prompt in the gateway's logs"; else ok; fi
kill -0 "$GW_PID" && ok || bad "the gateway died"
finish
