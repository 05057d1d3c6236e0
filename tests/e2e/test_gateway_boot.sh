#!/usr/bin/env bash
# The gateway's trusted boot, auditors, receipts and attestation endpoint over real
# processes: a verifier (--trust-sim), the echo upstream, gateways under mock and the
# TDX simulator.  Receipts are checked by the verifier's POST /v1/receipts, which keeps
# a receipt only when it verifies under the enclave key of the passport it names.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gateway_lib.sh"
command -v curl >/dev/null && command -v jq >/dev/null || { echo "skipped: needs curl and jq"; exit 77; }
export VERITEE_STATE="$TMP/state"
TOKEN=0123456789abcdef0123456789abcdef
echo "$TOKEN" >"$TMP/admin"
chmod 600 "$TMP/admin"
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

"$VT" verifier --listen 127.0.0.1:0 --offline --admin-token-file "$TMP/admin" --trust-sim --state "$TMP/state" >"$TMP/v.out" 2>"$TMP/v.err" &
PIDS="$PIDS $!"
V="http://$(listening "$TMP/v.out" "verifier")" || exit 1
start_echo echo

mkdir -p "$TMP/models"
head -c 200000 /dev/urandom >"$TMP/models/model.bin"
MD=$("$VT" measure --json "$TMP/models/model.bin" | jq -r .root)
cat >"$TMP/g.json" <<JSON
{"upstream":"http://$ECHO","verifier":"$V","environment":"gw","models":["$TMP/models/model.bin"],"model_check_ms":0,
 "auditors":[{"name":"pii","actions":{"email":"redact","card":"redact","ssn":"block","secret":"block"}},
             {"name":"artifact","reference_digests":["$MD"]},{"name":"execution"}]}
JSON
# The measured config is the file: --upstream may restate its upstream, not change it (the
# passport would name one model server and the prompts go to another).
expect 2 "--upstream that changes the measured file's upstream" -- \
  "$VT" gateway --config "$TMP/g.json" --upstream http://127.0.0.1:1 --measure-only
contains "differs from the config file's" "names the contradiction"
expect 0 "--upstream restating the file's" -- "$VT" gateway --config "$TMP/g.json" --upstream "http://$ECHO" --measure-only
# So is the Origin allow-list: --allow-origin may restate the file's "allowed_origins" (or name a
# loopback origin, allowed anyway), not add a site the passport does not show.
jq '. + {allowed_origins: ["https://app.example.com"]}' "$TMP/g.json" >"$TMP/g-o.json"
expect 2 "--allow-origin that widens the measured file's allow-list" -- \
  "$VT" gateway --config "$TMP/g-o.json" --allow-origin https://evil.example --measure-only
contains "allowed_origins" "names the file's key"
expect 0 "--allow-origin restating the file's" -- \
  "$VT" gateway --config "$TMP/g-o.json" --allow-origin HTTPS://app.example.com:443 --allow-origin http://localhost:3000 \
  --measure-only
# So may --model-check-ms (how long changed weights can serve unnoticed is part of what is measured).
expect 2 "--model-check-ms that changes the measured file's model_check_ms" -- \
  "$VT" gateway --config "$TMP/g.json" --model-check-ms 5000 --measure-only
contains "differs from the config file's \"model_check_ms\" (0" "names the contradiction"
expect 0 "--model-check-ms restating the file's" -- "$VT" gateway --config "$TMP/g.json" --model-check-ms 0 --measure-only
expect 0 "measure-only" -- "$VT" gateway --config "$TMP/g.json" --measure-only
cp "$TMP/out" "$TMP/log.json"
# Another period is another config event, in the file or, without one, in the effective config.
jq '.model_check_ms = 5000' "$TMP/g.json" >"$TMP/g5000.json"
"$VT" gateway --config "$TMP/g5000.json" --measure-only >"$TMP/log5000.json" 2>/dev/null
[ "$(jq -r '.events[]|select(.component=="config")|.digest' "$TMP/log5000.json")" != \
  "$(jq -r '.events[]|select(.component=="config")|.digest' "$TMP/log.json")" ] && ok || bad "model_check_ms is not measured"
for ms in 0 5000; do
  "$VT" gateway --upstream "http://$ECHO" --model-check-ms $ms --measure-only >"$TMP/eff$ms.json" 2>/dev/null ||
    bad "measure-only without a file, --model-check-ms $ms"
done
[ "$(jq -r '.events[]|select(.component=="config")|.digest' "$TMP/eff0.json")" != \
  "$(jq -r '.events[]|select(.component=="config")|.digest' "$TMP/eff5000.json")" ] && ok ||
  bad "--model-check-ms is not measured without a config file"
[ "$(jq -r '[.events[].component]|join(",")' "$TMP/log.json")" = "model,auditor,auditor,auditor,runtime,config" ] && ok || bad "boot log events: $(cat "$TMP/log.json")"
[ "$(jq -r '.events[0].digest' "$TMP/log.json")" = "$MD" ] && ok || bad "model event digest is the measured root"

put_env() { # ID MODEL-DIGEST [REGISTERS-JSON]
  local e
  e=$(jq --arg m "$2" --argjson r "${3:-{\}}" '{allow_simulated:true, registers:$r, components:{model:[$m], auditors:[.events[]|select(.component=="auditor")|.digest],
      runtime:[.events[]|select(.component=="runtime")|.digest], config:[.events[]|select(.component=="config")|.digest]}}' "$TMP/log.json")
  curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: Bearer $TOKEN" -d "$e" "$V/v1/environments/$1"
}
[ "$(put_env gw "$MD")" = 200 ] && ok || bad "register environment"
[ "$(put_env wrong "$(printf 'c%.0s' $(seq 64))")" = 200 ] && ok || bad "register wrong environment"

# The artifact auditor without reference_digests takes the environment's model digests, only from
# the environment the verifier signed, verified under its keys: the auditor event is the one the
# digests written out give, and a relay answering as the verifier's URL that adds a model digest
# of its own to the environment (the signed payload rewritten) stops the boot.
auditor2() { jq -r '[.events[]|select(.component=="auditor")][1].digest' "$1"; }
jq '.auditors[1] = {name: "artifact"}' "$TMP/g.json" >"$TMP/g-envd.json"
"$VT" gateway --config "$TMP/g-envd.json" --measure-only >"$TMP/envd.json" 2>"$TMP/envd.err" &&
  [ "$(auditor2 "$TMP/envd.json")" = "$(auditor2 "$TMP/log.json")" ] && ok ||
  bad "the artifact auditor did not take the signed environment's digests: $(cat "$TMP/envd.err")"
python3 "$(dirname "$0")/tamper_relay.py" --to "$V" --mode env --log "$TMP/trelay.log" >"$TMP/trelay.out" \
  2>"$TMP/trelay.err" &
PIDS="$PIDS $!"
TRELAY="http://$(listening "$TMP/trelay.out" "relay" "$TMP/trelay.err")" || exit 1
jq --arg v "$TRELAY" '.verifier = $v' "$TMP/g-envd.json" >"$TMP/g-envt.json"
expect 1 "measure-only with the environment rewritten by a relay" -- \
  "$VT" gateway --config "$TMP/g-envt.json" --measure-only
contains "reference digests: environment: jws: ES256 signature does not verify" "names the environment's signature"
expect 1 "boot with the environment rewritten by a relay" -- \
  timeout 60 "$VT" gateway --config "$TMP/g-envt.json" --listen 127.0.0.1:0 --platform mock
contains "environment: jws: ES256 signature does not verify" "boot names the environment's signature"
grep -q '^GET /v1/environments/gw/signed$' "$TMP/trelay.log" && ok || bad "the boot did not read gw through the relay"

# A wrong model reference: the passport is contraindicated, naming the model, and the gateway refuses to start.
sed 's/"environment":"gw"/"environment":"wrong"/' "$TMP/g.json" >"$TMP/wrong.json"
expect 1 "refuses to serve with a contraindicated passport" -- "$VT" gateway --config "$TMP/wrong.json" --listen 127.0.0.1:0 --platform mock
contains "contraindicated" "refusal names the verdict"
contains "model" "refusal names the model"
grep -q "model: model:" "$TMP/out" && bad "the reason repeats its component prefix: $(grep -m1 'model: model:' "$TMP/out")" || ok

receipt_ok() { # TOKEN DESCRIPTION: the verifier accepts it (signature under the passport's enclave key)
  local code
  code=$(curl -s -o "$TMP/r.json" -w '%{http_code}' -X POST -d "{\"token\":\"$1\"}" "$V/v1/receipts")
  [ "$code" = 201 ] && ok || bad "$2: receipt refused: $code $(cat "$TMP/r.json")"
}
chat() { # BODY: headers in $TMP/h, body in $TMP/b
  curl -s -D "$TMP/h" -o "$TMP/b" "http://$GW/v1/chat/completions" -H 'Content-Type: application/json' -d "$1"
}
hdr_receipt() { tr -d '\r' <"$TMP/h" | sed -n 's/^[Vv]eritee-[Rr]eceipt: //p'; }

run_suite() { # NAME PLATFORM-FLAGS...
  local name="$1"; shift
  start_gateway "gw$name" "$TMP/g.json" --model-check-ms 0 "$@"
  set -- "$name"
  # plain chat with redaction
  chat '{"model":"echo","messages":[{"role":"user","content":"mail bob@example.com card 4111 1111 1111 1111"}]}'
  grep -q 'bob@example.com' "$TMP/b" && bad "$1: e-mail reached the upstream" || ok
  grep -q '4111' "$TMP/b" && bad "$1: card reached the upstream" || ok
  R=$(hdr_receipt); [ -n "$R" ] && ok || bad "$1: plain reply has no receipt"
  receipt_ok "$R" "$1 plain"
  # tampered receipt is refused
  T2="${R%?}A"; [ "$T2" = "$R" ] && T2="${R%?}B"
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -d "{\"token\":\"$T2\"}" "$V/v1/receipts")
  [ "$code" = 422 ] || [ "$code" = 400 ] && ok || bad "$1: tampered receipt accepted ($code)"
  # blocking
  chat '{"model":"echo","messages":[{"role":"user","content":"my ssn is 123-45-6789"}]}'
  grep -q '^HTTP/1.1 403' "$TMP/h" && ok || bad "$1: ssn not blocked: $(head -1 "$TMP/h")"
  jq -e '.error.message|test("pii")' "$TMP/b" >/dev/null && ok || bad "$1: block reason does not name the auditor: $(cat "$TMP/b")"
  R=$(hdr_receipt); receipt_ok "$R" "$1 blocked"
  # streamed
  curl -sN "http://$GW/v1/chat/completions" -H 'Content-Type: application/json' \
    -d '{"model":"echo","stream":true,"messages":[{"role":"user","content":"write to alice@example.org please"}]}' >"$TMP/s"
  grep -q 'alice@example.org' "$TMP/s" && bad "$1: e-mail in the stream" || ok
  grep -q '^event: veritee-receipt' "$TMP/s" && ok || bad "$1: stream has no receipt event"
  R=$(grep -A1 '^event: veritee-receipt' "$TMP/s" | sed -n 's/^data: //p')
  receipt_ok "$R" "$1 stream"
  # the receipt's response digest covers every byte before the receipt event
  want=$(sed '/^event: veritee-receipt/,$d' "$TMP/s" | sha256sum | cut -c1-64)
  got=$(echo "$R" | cut -d. -f2 | tr '_-' '/+' | base64 -d 2>/dev/null | jq -r .response 2>/dev/null)
  [ -z "$got" ] && got=$(echo "$R" | cut -d. -f2 | tr '_-' '/+' | { p=$(cat); while [ $(( ${#p} % 4 )) -ne 0 ]; do p="$p="; done; echo "$p"; } | base64 -d | jq -r .response)
  [ "$got" = "$want" ] && ok || bad "$1: stream receipt digest $got != $want"
  # attestation endpoint
  N=00112233445566778899aabbccddeeff
  curl -s "http://$GW/v1/attestation?nonce=$N" >"$TMP/att.json"
  [ "$(jq -r .nonce "$TMP/att.json")" = "$N" ] && ok || bad "$1: attestation nonce"
  [ "$(jq -r .passport_id "$TMP/att.json")" != null ] && ok || bad "$1: attestation passport"
  jq -r .evidence "$TMP/att.json" | base64 -d >"$TMP/ev.bin"
  jq .log "$TMP/att.json" >"$TMP/attlog.json"
  X=$(jq -r .enclave_key.x "$TMP/att.json" | tr '_-' '/+'); Y=$(jq -r .enclave_key.y "$TMP/att.json" | tr '_-' '/+')
  PUB=$( (echo "$X=" | base64 -d 2>/dev/null; echo "$Y=" | base64 -d 2>/dev/null) | od -An -tx1 | tr -d ' \n')
  jq -r '.collateral|to_entries[]|"\(.key) \(.value)"' "$TMP/att.json" | while read -r n b; do mkdir -p "$TMP/coll$1"; echo "$b" | base64 -d >"$TMP/coll$1/$n"; done
  COLL=(); [ -d "$TMP/coll$1" ] && COLL=(--collateral "$TMP/coll$1")
  expect 0 "$1: evidence bound to the nonce and enclave key" -- "$VT" verify "$TMP/ev.bin" --nonce "$N" --pubkey "$PUB" --log "$TMP/attlog.json" --trust-sim --state "$TMP/state" "${COLL[@]}"
  expect 1 "$1: evidence not bound to another nonce" -- "$VT" verify "$TMP/ev.bin" --nonce "ff${N#??}" --pubkey "$PUB" --trust-sim --state "$TMP/state" "${COLL[@]}"
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://$GW/v1/attestation?nonce=abc"); [ "$code" = 400 ] && ok || bad "$1: short nonce: $code"
}

run_suite mock --platform mock
kill -TERM "$GW_PID"; wait "$GW_PID" 2>/dev/null

# A passport the verifier issued to another gateway (the one above: validly signed, affirming),
# handed back by a relay on the way to the verifier in place of this gateway's own: refused (its
# cnf is the other gateway's enclave key), so this gateway does not start.
jq -r .passport "$TMP/att.json" >"$TMP/other-passport"
python3 "$(dirname "$0")/tamper_relay.py" --to "$V" --mode passport --token-file "$TMP/other-passport" \
  >"$TMP/relay.out" 2>"$TMP/relay.err" &
PIDS="$PIDS $!"
RELAY="http://$(listening "$TMP/relay.out" "relay" "$TMP/relay.err")" || exit 1
jq --arg v "$RELAY" '. + {verifier: $v, environment: "gwrelay"}' "$TMP/g.json" >"$TMP/grelay.json"
"$VT" gateway --config "$TMP/grelay.json" --measure-only --platform mock >"$TMP/grelay-log.json" 2>/dev/null
[ "$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: Bearer $TOKEN" \
      -d "$(gw_env_json "$TMP/grelay-log.json")" "$V/v1/environments/gwrelay")" = 200 ] && ok || bad "register gwrelay"
expect 1 "refuses a passport issued to another gateway" -- timeout 60 "$VT" gateway --config "$TMP/grelay.json" \
  --listen 127.0.0.1:0 --platform mock --threads 1
contains "refused, not installed" "names the refusal"
contains "is not the attested enclave key" "names the other key"
# The verifier's keys pinned ("verifier_jwks": its /.well-known/jwks.json, saved): each passport is
# checked against the pin, not against a set fetched from the verifier's URL.  The pin is in the
# measured config, so --verifier-jwks may only restate it.
curl -s "$V/.well-known/jwks.json" >"$TMP/vjwks.json"
jq --arg k "$TMP/vjwks.json" '. + {verifier_jwks: $k, environment: "gwpin"}' "$TMP/g.json" >"$TMP/gpin.json"
expect 2 "--verifier-jwks that changes the measured file's verifier_jwks" -- \
  "$VT" gateway --config "$TMP/gpin.json" --verifier-jwks "$TMP/other-jwks.json" --measure-only
contains "differs from the config file's \"verifier_jwks\"" "names the contradiction"
expect 2 "--verifier-jwks that adds a pin the measured file does not have" -- \
  "$VT" gateway --config "$TMP/g.json" --verifier-jwks "$TMP/vjwks.json" --measure-only
contains "differs from the config file's \"verifier_jwks\"" "names the contradiction"
expect 0 "--verifier-jwks restating the file's" -- \
  "$VT" gateway --config "$TMP/gpin.json" --verifier-jwks "$TMP/vjwks.json" --measure-only --platform mock
cp "$TMP/out" "$TMP/gpin-log.json"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: Bearer $TOKEN" \
      -d "$(gw_env_json "$TMP/gpin-log.json")" "$V/v1/environments/gwpin")" = 200 ] && ok || bad "register gwpin"
start_gateway gwpin "$TMP/gpin.json" --platform mock --threads 1
chat '{"model":"echo","messages":[{"role":"user","content":"hello"}]}'
grep -q '^HTTP/1.1 200' "$TMP/h" && ok || bad "pinned to the verifier's keys: not serving: $(head -1 "$TMP/h")"
grep -q '"passport".*affirming' "$TMP/gwpin.err" && ok || bad "pinned: no passport installed: $(tail -3 "$TMP/gwpin.err")"
kill -TERM "$GW_PID"; wait "$GW_PID" 2>/dev/null
# A pin of another key set (the verifier's kid and issuer, another P-256 key: the enclave key of
# the gateway above) refuses the verifier's passport, whatever key the verifier serves: exit 1.
jq --argjson e "$(jq .enclave_key "$TMP/att.json")" '.keys |= [.[0] + {x: $e.x, y: $e.y}]' "$TMP/vjwks.json" \
  >"$TMP/other-jwks.json"
jq --arg k "$TMP/other-jwks.json" '.verifier_jwks = $k | .environment = "gwpinother"' "$TMP/gpin.json" \
  >"$TMP/gpin-other.json"
"$VT" gateway --config "$TMP/gpin-other.json" --measure-only --platform mock >"$TMP/gpin-other-log.json" 2>/dev/null
[ "$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: Bearer $TOKEN" \
      -d "$(gw_env_json "$TMP/gpin-other-log.json")" "$V/v1/environments/gwpinother")" = 200 ] && ok ||
  bad "register gwpinother"
expect 1 "refuses the verifier's passport under a pin of another key" -- timeout 60 "$VT" gateway \
  --config "$TMP/gpin-other.json" --listen 127.0.0.1:0 --platform mock --threads 1
contains "refused, not installed" "names the refusal"
contains "signature does not verify" "names the signature check"
# A pin that is not a key set is a start error naming the key.
echo '{"keys":[]}' >"$TMP/empty-jwks.json"
jq --arg k "$TMP/empty-jwks.json" '.verifier_jwks = $k' "$TMP/gpin.json" >"$TMP/gpin-empty.json"
expect 2 "an empty pinned key set" -- "$VT" gateway --config "$TMP/gpin-empty.json" --listen 127.0.0.1:0 --platform mock
contains "verifier_jwks" "names the key"
# The pinned file's bytes are measured (a config event "verifier_jwks", SHA-256 of the file), not
# only its path: a key added to the file, the config untouched, changes what the passport shows,
# and an environment whose config reference values are the old file's refuses the new one.
cp "$TMP/vjwks.json" "$TMP/swap-jwks.json"
jq --arg k "$TMP/swap-jwks.json" '.verifier_jwks = $k | .environment = "gwswap"' "$TMP/gpin.json" >"$TMP/gswap.json"
"$VT" gateway --config "$TMP/gswap.json" --measure-only --platform mock >"$TMP/swap1.json" 2>/dev/null
"$VT" gateway --config "$TMP/gswap.json" --measure-only --platform mock >"$TMP/swap2.json" 2>/dev/null
jwks_digest() { jq -r '.events[]|select(.component=="config" and .name=="verifier_jwks")|.digest' "$1"; }
cfg_digest() { jq -r '.events[]|select(.component=="config" and .name=="gswap.json")|.digest' "$1"; }
[ "$(jwks_digest "$TMP/swap1.json")" = "$(sha256sum "$TMP/swap-jwks.json" | cut -d' ' -f1)" ] && ok ||
  bad "the verifier_jwks event is not the file's SHA-256: $(cat "$TMP/swap1.json")"
[ "$(jq -r '[.events[].component]|join(",")' "$TMP/swap1.json")" = "model,auditor,auditor,auditor,runtime,config,config" ] &&
  ok || bad "pinned boot log events: $(cat "$TMP/swap1.json")"
[ "$(jwks_digest "$TMP/swap2.json")" = "$(jwks_digest "$TMP/swap1.json")" ] && ok || bad "the same pin, another digest"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: Bearer $TOKEN" \
      -d "$(gw_env_json "$TMP/swap1.json")" "$V/v1/environments/gwswap")" = 200 ] && ok || bad "register gwswap"
jq --argjson o "$(jq '.keys[0] + {kid: "operator-added"}' "$TMP/other-jwks.json")" '.keys += [$o]' "$TMP/vjwks.json" \
  >"$TMP/swap-jwks.json"
"$VT" gateway --config "$TMP/gswap.json" --measure-only --platform mock >"$TMP/swap3.json" 2>/dev/null
[ -n "$(jwks_digest "$TMP/swap3.json")" ] && [ "$(jwks_digest "$TMP/swap3.json")" != "$(jwks_digest "$TMP/swap1.json")" ] &&
  ok || bad "a key added to the pinned file is not measured"
[ "$(cfg_digest "$TMP/swap3.json")" = "$(cfg_digest "$TMP/swap1.json")" ] && ok || bad "the config file's event changed"
expect 1 "a key added to the pinned file: contraindicated under the old reference values" -- timeout 60 "$VT" gateway \
  --config "$TMP/gswap.json" --listen 127.0.0.1:0 --platform mock --threads 1
contains "contraindicated" "names the verdict"
contains "(verifier_jwks) is not a reference value of environment gwswap" "names the pinned key set"
# Under the TDX simulator, environment gw pins no TD image yet: the passport is a warning, and
# the gateway serves under it only when its config says "serve_on_warning": true.
expect 1 "refuses to serve under a warning passport" -- "$VT" gateway --config "$TMP/g.json" --listen 127.0.0.1:0 --platform tdx --simulate
contains "is warning" "refusal names the status"
contains "serve_on_warning" "refusal names the config switch"
jq '. + {serve_on_warning: true, environment: "gwwarn"}' "$TMP/g.json" >"$TMP/gwarn.json"
"$VT" gateway --config "$TMP/gwarn.json" --measure-only --platform tdx --simulate >"$TMP/gwarn-log.json" 2>/dev/null
e=$(jq '{allow_simulated:true, components:{model:[.events[]|select(.component=="model")|.digest], auditors:[.events[]|select(.component=="auditor")|.digest],
    runtime:[.events[]|select(.component=="runtime")|.digest], config:[.events[]|select(.component=="config")|.digest]}}' "$TMP/gwarn-log.json")
[ "$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: Bearer $TOKEN" -d "$e" "$V/v1/environments/gwwarn")" = 200 ] && ok || bad "register gwwarn"
start_gateway gwwarn "$TMP/gwarn.json" --platform tdx --simulate --model-check-ms 0
grep -q '"warning_passport"' "$TMP/gwwarn.err" && ok || bad "serve_on_warning: no warning logged: $(tail -3 "$TMP/gwwarn.err")"
chat '{"model":"echo","messages":[{"role":"user","content":"hello"}]}'
grep -q '^HTTP/1.1 200' "$TMP/h" && ok || bad "serve_on_warning: not serving: $(head -1 "$TMP/h")"
kill -TERM "$GW_PID"; wait "$GW_PID" 2>/dev/null
[ "$(put_env gw "$MD" "$(sim_tdx_image_json)")" = 200 ] && ok || bad "pin the simulated TD image"
run_suite tdx --platform tdx --simulate

# The model file changes after boot: the artifact auditor blocks, the re-attestation is contraindicated.
printf 'x' >>"$TMP/models/model.bin"
chat '{"model":"echo","messages":[{"role":"user","content":"hello"}]}'
grep -q '^HTTP/1.1 403' "$TMP/h" && ok || bad "changed model not blocked: $(head -1 "$TMP/h")"
jq -e '.error.message|test("artifact")' "$TMP/b" >/dev/null && ok || bad "block does not name the artifact auditor: $(cat "$TMP/b")"
for _ in $(seq 100); do grep -q '"passport".*contraindicated' "$TMP/gwtdx.err" && break; sleep 0.05; done
grep -q '"passport".*contraindicated.*model' "$TMP/gwtdx.err" && ok || bad "re-attestation not contraindicated: $(tail -3 "$TMP/gwtdx.err")"
kill -TERM "$GW_PID"; wait "$GW_PID" 2>/dev/null
finish
