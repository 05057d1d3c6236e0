#!/usr/bin/env bash
# Attested TLS: the gateway serves HTTPS with its enclave key (the passport's cnf key, made
# inside the TEE at boot) and a self-signed certificate; `veritee chat --gateway https://...`
# verifies the evidence and the passport, then refuses the connection unless the TLS server
# key is the attested one.  Asserts: chat (plain and streamed) over HTTPS with no CA; a
# man in the middle (nginx terminating TLS with its own key, forwarding to the real gateway,
# so the attestation it relays is genuine) is refused before the prompt is sent; no plain
# listener unless --listen-plain, and the listeners are the log's "transport" event; TLS 1.2
# only with --tls12; a --tls-cert for another key is refused at start; OHTTP and MCP reach
# the gateway itself over TLS when there is no plain listener.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gateway_lib.sh"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
PY=/usr/bin/python3
command -v curl >/dev/null && command -v jq >/dev/null && command -v openssl >/dev/null && [ -x "$NGINX" ] ||
  { echo "skipped: needs curl, jq, openssl and nginx"; exit 77; }
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
cat >"$TMP/g.json" <<JSON
{"upstream":"http://$ECHO","verifier":"$V","environment":"gw","models":["$TMP/models/model.bin"],
 "auditors":[{"name":"pii","actions":{"email":"redact","card":"redact","ssn":"block","secret":"block"}}]}
JSON
"$VT" gateway --config "$TMP/g.json" --measure-only >"$TMP/log.json" 2>"$TMP/m.err" || { echo "measure failed"; cat "$TMP/m.err"; exit 1; }
jq '{allow_simulated:true, components:{model:[.events[]|select(.component=="model")|.digest],
     auditors:[.events[]|select(.component=="auditor")|.digest], runtime:[.events[]|select(.component=="runtime")|.digest],
     config:[.events[]|select(.component=="config")|.digest]}}' "$TMP/log.json" |
  curl -sf -o /dev/null -X PUT -H "Authorization: Bearer $TOKEN" -d @- "$V/v1/environments/gw" || { echo "environment refused"; exit 1; }

# HTTPS only (the default): --listen.
"$VT" gateway --config "$TMP/g.json" --listen 127.0.0.1:0 --platform mock --threads 2 --json >"$TMP/gw.out" 2>"$TMP/gw.err" &
GW_PID=$!
PIDS="$PIDS $GW_PID"
GW=$(listening "$TMP/gw.out" "gateway" "$TMP/gw.err") || exit 1
G="https://$GW"
[ "$(jq -r .scheme "$TMP/gw.out")" = https ] && [ "$(jq -r .plain "$TMP/gw.out")" = "" ] && ok || bad "listening line: $(cat "$TMP/gw.out")"
PIN=$(jq -r .tls_pin "$TMP/gw.out")

# No plain HTTP anywhere; HTTPS works with the pin and no CA.
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$GW/v1/models")
[ "$code" = 000 ] && ok || bad "plain HTTP answered on the HTTPS listener: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -k --pinnedpubkey "$PIN" "$G/v1/models")
[ "$code" = 200 ] && ok || bad "HTTPS with the pinned key: $code"
# TLS 1.3 only; TLS 1.2 is refused.
echo | openssl s_client -connect "$GW" -tls1_2 >"$TMP/s12" 2>&1
grep -q 'Cipher is (NONE)\|alert protocol version\|no protocols available' "$TMP/s12" && ok || bad "TLS 1.2 accepted: $(head -20 "$TMP/s12")"
echo | openssl s_client -connect "$GW" -tls1_3 >"$TMP/s13" 2>&1
grep -q 'TLSv1.3' "$TMP/s13" && ok || bad "TLS 1.3: $(head -20 "$TMP/s13")"

# The certificate's key is the attestation's enclave key, and the listeners are measured.
curl -sk "$G/v1/attestation?nonce=$(printf '%064d' 7)" >"$TMP/att.json"
openssl s_client -connect "$GW" </dev/null 2>/dev/null | openssl x509 -pubkey -noout >"$TMP/tlspub.pem"
jq -c .enclave_key "$TMP/att.json" | "$PY" -c '
import sys, json, base64
j = json.load(sys.stdin); b = lambda s: base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives import serialization as S
k = ec.EllipticCurvePublicNumbers(int.from_bytes(b(j["x"]), "big"), int.from_bytes(b(j["y"]), "big"), ec.SECP256R1()).public_key()
print(k.public_bytes(S.Encoding.PEM, S.PublicFormat.SubjectPublicKeyInfo).decode(), end="")' >"$TMP/enclave.pem" 2>/dev/null
if [ -s "$TMP/enclave.pem" ]; then cmp -s "$TMP/enclave.pem" "$TMP/tlspub.pem" && ok || bad "TLS key is not the enclave key"; fi
# --listen 127.0.0.1:0: the attested listener is the port the gateway picked and serves on, not ":0".
T=$(jq -r .transport "$TMP/att.json")
[ "$(jq -r .https <<<"$T")" = "$GW" ] && [ "$(jq -r .plain <<<"$T")" = null ] && [ "$(jq -r .tls_key <<<"$T")" = enclave ] &&
  ok || bad "transport: $T (listening on $GW)"
D=$(printf '%s' "$T" | sha256sum | cut -c1-64)
[ "$(jq -r '.log.events[]|select(.component=="other" and .name=="transport")|.digest' "$TMP/att.json")" = "$D" ] && ok ||
  bad "the log's transport event is not the listeners' digest"

# veritee chat over HTTPS: verified, TLS key checked and pinned, answer and receipt.
for mode in "" --stream; do
  expect 0 "chat over https $mode" -- "$VT" chat --gateway "$G" --verifier "$V" --trust-sim --model echo $mode "zebra-tls-5521 hello"
  contains "the TLS server key is the attested enclave key" "chat $mode checked the TLS key"
  contains "zebra-tls-5521" "chat $mode printed the answer"
  contains "attested listeners: https $GW, plain http none" "chat $mode showed the listeners"
done

# A large answer (about 600 KiB: dozens of full TLS records, coalesced output) arrives whole on
# one connection; a peer that resets the connection mid-answer (4 KiB receive window, the
# gateway blocked in the middle of writing) costs the gateway nothing: it keeps serving.
TP="$(cd "$(dirname "$0")" && pwd)/tls_peer.py"
# A small answer is one TLS record (status, headers and body in one SSL_write): count the
# application-data records s_client reports (an InnerContent not followed by a handshake
# message or an alert).
(printf 'GET /v1/models HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'; sleep 1) |
  openssl s_client -connect "$GW" -msg -ign_eof 2>/dev/null | grep -a '^<<<' >"$TMP/records"
recs=$(awk '/InnerContent/ { if (pend) n++; pend = 1; next } /Handshake|Alert/ { pend = 0; next } END { if (pend) n++; print n + 0 }' "$TMP/records")
[ "$recs" = 1 ] && ok || bad "a small answer took $recs TLS records: $(tr '\n' ' ' <"$TMP/records" | tail -c 600)"
n=$("$PY" "$TP" "$GW" large 600000 2>&1) && [ "$n" -gt 600000 ] && ok || bad "large answer over TLS: $n"
for _ in 1 2 3; do "$PY" "$TP" "$GW" die 3000000 >"$TMP/die.out" 2>&1 || bad "dying peer: $(cat "$TMP/die.out")"; done
code=$(curl -sk -o /dev/null -w '%{http_code}' --pinnedpubkey "$PIN" "$G/healthz")
[ "$code" = 200 ] && ok || bad "the gateway after peers died mid-answer: $code"
n=$("$PY" "$TP" "$GW" large 600000 2>&1) && [ "$n" -gt 600000 ] && ok || bad "large answer after peers died: $n"

# A man in the middle: nginx terminates TLS with its own key and forwards to the real
# gateway over TLS (so the attestation it relays is genuine).  Refused before the prompt.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$TMP/mitm.key" -out "$TMP/mitm.crt" \
  -subj /CN=localhost -days 2 >/dev/null 2>&1
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
  log_format bodies '\$request \$status body=\$request_body';
  access_log $TMP/ngx/logs/mitm.log bodies;
  server {
    listen 127.0.0.1:$NP ssl;
    ssl_certificate $TMP/mitm.crt; ssl_certificate_key $TMP/mitm.key;
    location / { proxy_pass https://$GW; proxy_ssl_verify off; proxy_ssl_protocols TLSv1.2 TLSv1.3; proxy_buffering off; }
  }
}
NGX
"$NGINX" -p "$TMP/ngx" -c "$TMP/ngx/nginx.conf" -e "$TMP/ngx/logs/error.log" 2>"$TMP/ngx.err" &
PIDS="$PIDS $!"
for _ in $(seq 100); do curl -sk -o /dev/null "https://127.0.0.1:$NP/healthz" && break; sleep 0.05; done
code=$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$NP/v1/models")
[ "$code" = 200 ] && ok || bad "the MITM proxy does not forward: $code $(cat "$TMP/ngx.err")"
expect 1 "chat through a TLS-terminating MITM is refused" -- "$VT" chat --gateway "https://127.0.0.1:$NP" --verifier "$V" \
  --trust-sim --model echo "zebra-mitm-7781 secret"
contains "is not the attested enclave key" "the refusal names the key"
lacks "prompt sent" "nothing was sent after the refusal"
grep -q 'zebra-mitm-7781' "$TMP/ngx/logs/mitm.log" && bad "the prompt reached the MITM" || ok

# OHTTP through a relay to the HTTPS-only gateway: the inner request reaches the gateway over TLS.
RP=$(free_port)
cat >"$TMP/ngx/relay.conf" <<NGX
worker_processes 1;
daemon off;
pid $TMP/ngx/relay.pid;
error_log $TMP/ngx/logs/relay-error.log warn;
events { worker_connections 64; }
http {
  client_body_temp_path $TMP/ngx/body; proxy_temp_path $TMP/ngx/proxy;
  fastcgi_temp_path $TMP/ngx/fcgi; uwsgi_temp_path $TMP/ngx/uwsgi; scgi_temp_path $TMP/ngx/scgi;
  access_log $TMP/ngx/logs/relay.log;
  server { listen 127.0.0.1:$RP; location / { proxy_pass https://$GW; proxy_ssl_verify off; proxy_ssl_protocols TLSv1.2 TLSv1.3; proxy_buffering off; } }
}
NGX
"$NGINX" -p "$TMP/ngx" -c "$TMP/ngx/relay.conf" -e "$TMP/ngx/logs/relay-error.log" 2>"$TMP/relay.err" &
PIDS="$PIDS $!"
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$RP/healthz" && break; sleep 0.05; done
expect 0 "chat --ohttp to an HTTPS-only gateway" -- "$VT" chat --gateway "$G" --verifier "$V" --trust-sim --model echo \
  --ohttp --relay "http://127.0.0.1:$RP" "zebra-ohttp-tls-33"
contains "zebra-ohttp-tls-33" "the OHTTP answer came back"
# MCP's chat tool also replays to the gateway itself.
curl -sk --pinnedpubkey "$PIN" -X POST -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
  -d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"chat","arguments":{"prompt":"zebra-mcp-tls"}}}' \
  "$G/mcp" >"$TMP/mcp.json"
grep -q 'zebra-mcp-tls' "$TMP/mcp.json" && ok || bad "MCP chat over TLS-to-self: $(head -c 400 "$TMP/mcp.json")"

# --listen-plain beside HTTPS: both listeners, and the attestation says so.
"$VT" gateway --config "$TMP/g.json" --listen 127.0.0.1:0 --listen-plain 127.0.0.1:0 --platform mock --threads 1 --tls12 --state "$(gw_state 2)" \
  --json >"$TMP/gw2.out" 2>"$TMP/gw2.err" &
PIDS="$PIDS $!"
GW2=$(listening "$TMP/gw2.out" "gateway 2" "$TMP/gw2.err") || exit 1
PL=$(jq -r .plain "$TMP/gw2.out")
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$PL/v1/models")
[ "$code" = 200 ] && ok || bad "plain listener: $code ($(cat "$TMP/gw2.out"))"
curl -s "http://$PL/v1/attestation?nonce=$(printf '%064d' 8)" | jq -r .transport >"$TMP/t2"
[ "$(jq -r .plain "$TMP/t2")" = "$PL" ] && [ "$(jq -r .https "$TMP/t2")" = "$GW2" ] &&
  [ "$(jq -r .tls "$TMP/t2")" = "TLSv1.2+TLSv1.3" ] && ok ||
  bad "transport with a plain listener: $(cat "$TMP/t2") (listening on $GW2, plain $PL)"
# The log's event is that text: the bound ports are what is measured.
curl -s "http://$PL/v1/attestation?nonce=$(printf '%064d' 9)" >"$TMP/att2.json"
[ "$(jq -r '.log.events[]|select(.component=="other" and .name=="transport")|.digest' "$TMP/att2.json")" = \
  "$(jq -j .transport "$TMP/att2.json" | sha256sum | cut -c1-64)" ] && ok || bad "the transport event is not the bound listeners"
# --measure-only binds nothing and lists no transport event, whatever the port (not a reference value).
jq -e '[.events[]|select(.name=="transport")]|length == 0' "$TMP/log.json" >/dev/null && ok ||
  bad "--measure-only listed a transport event"
echo | openssl s_client -connect "$GW2" -tls1_2 >"$TMP/s12b" 2>&1
grep -q 'Protocol *: TLSv1.2' "$TMP/s12b" && ok || bad "--tls12: $(head -20 "$TMP/s12b")"
expect 0 "chat over the plain listener" -- "$VT" chat --gateway "http://$PL" --verifier "$V" --trust-sim --model echo "zebra-plain"
contains "plain http $PL" "chat shows the plain listener"

# A certificate for another key is refused at start; the options need an HTTPS listener.
expect 2 "--tls-cert for another key" -- "$VT" gateway --upstream "http://$ECHO" --listen 127.0.0.1:0 --tls-cert "$TMP/mitm.crt"
contains "not for this gateway's TLS key" "the error names the key"
expect 2 "--tls12 without an HTTPS listener" -- "$VT" gateway --upstream "http://$ECHO" --listen-plain 127.0.0.1:0 --tls12
if grep -qa -e 'zebra-tls-5521' -e 'zebra-mitm' "$TMP/gw.err"; then bad "prompt in the gateway's logs"; else ok; fi
kill -0 "$GW_PID" && ok || bad "the gateway died"
finish
