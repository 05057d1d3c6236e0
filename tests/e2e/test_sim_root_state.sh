#!/usr/bin/env bash
# A simulated gateway with its OWN state directory (not the verifier's): its
# simulation CA is not the one the verifier trusts.  Before the fix the passport
# was refused with "root CN=veritee Simulation Root CA is not a trusted root" and
# nothing saying what to do.  Now: the refusal names the fix and the gateway's
# own root file; the verifier trusts that root with --trust-sim --sim-root FILE,
# and the gateway then serves -- under a passport that is still not hardware
# attested.  --sim-root without --trust-sim, or on a file that is not a
# simulation root, is refused at start.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gateway_lib.sh"
command -v curl >/dev/null && command -v jq >/dev/null || { echo "skipped: needs curl and jq"; exit 77; }
TOKEN=0123456789abcdef0123456789abcdef
echo "$TOKEN" >"$TMP/admin"
chmod 600 "$TMP/admin"
VSTATE="$TMP/verifier-state" GSTATE="$TMP/gateway-state"

start_verifier() { # NAME LISTEN [flags...]: sets $V and $V_PID
  local name="$1" listen="$2"; shift 2
  : >"$TMP/$name.out"
  "$VT" verifier --listen "$listen" --offline --admin-token-file "$TMP/admin" --state "$VSTATE" --quiet "$@" \
    >"$TMP/$name.out" 2>"$TMP/$name.err" &
  V_PID=$!
  PIDS="$PIDS $V_PID"
  V="http://$(listening "$TMP/$name.out" "verifier" "$TMP/$name.err")" || exit 1
}

start_verifier v1 127.0.0.1:0 --trust-sim
start_echo echo
mkdir -p "$TMP/models"
echo "tiny model" >"$TMP/models/m.bin"
cat >"$TMP/g.json" <<JSON
{"upstream":"http://$ECHO","verifier":"$V","environment":"gw","models":["$TMP/models/m.bin"],"model_check_ms":0,
 "auditors":[{"name":"pii","actions":{"email":"redact"}}]}
JSON
# The gateway's environment, pinned to its boot log and the simulated TD image.
VERITEE_STATE="$GSTATE" "$VT" gateway --config "$TMP/g.json" --measure-only --platform tdx --simulate >"$TMP/log.json"
e=$(jq --argjson r "$(sim_tdx_image_json)" '{allow_simulated:true, registers:$r, components:{model:[.events[]|select(.component=="model")|.digest],
    auditors:[.events[]|select(.component=="auditor")|.digest], runtime:[.events[]|select(.component=="runtime")|.digest],
    config:[.events[]|select(.component=="config")|.digest]}}' "$TMP/log.json")
code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: Bearer $TOKEN" -d "$e" "$V/v1/environments/gw")
[ "$code" = 200 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: register environment: $code"; }

# 1. The old failure: different state directories, the passport is refused -- now saying what to do.
VERITEE_STATE="$GSTATE" expect 1 "gateway with its own state is refused by a verifier that does not know its root" -- \
  "$VT" gateway --config "$TMP/g.json" --listen 127.0.0.1:0 --platform tdx --simulate --state "$GSTATE"
contains "sim_root:" "the refusal names the simulation root check"
contains "--sim-root" "the refusal names the fix"
contains "$GSTATE/sim/root_ca.pem" "the gateway names its own simulation root file"

# The CLI prints that path (and makes the CA on first use).
expect 0 "sim root prints the root's path" -- "$VT" sim root --state "$GSTATE"
ROOT=$(cat "$TMP/out")
[ "$ROOT" = "$GSTATE/sim/root_ca.pem" ] && [ -s "$ROOT" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: sim root path: $ROOT"; }

# 2. --sim-root is for simulation mode only, and only for simulation roots.
expect 2 "--sim-root without --trust-sim" -- "$VT" verifier --listen 127.0.0.1:0 --state "$VSTATE" --sim-root "$ROOT"
contains "needs --trust-sim" "says it needs --trust-sim"
expect 2 "--sim-root on a certificate that is not a simulation root" -- \
  "$VT" verifier --listen 127.0.0.1:0 --state "$VSTATE" --trust-sim --sim-root "$GSTATE/sim/tdx_pck_platform_ca.pem"
contains "not a simulation root" "says the file is not a simulation root"
expect 2 "--sim-root on a missing file" -- "$VT" verifier --listen 127.0.0.1:0 --state "$VSTATE" --trust-sim --sim-root "$TMP/nothing.pem"
contains "does not exist" "says the file does not exist"

# 3. The verifier (same state, same environment) restarted trusting the gateway's root: the gateway serves.
kill -TERM "$V_PID"; wait "$V_PID" 2>/dev/null
start_verifier v2 "${V#http://}" --trust-sim --sim-root "$ROOT" # same address: the gateway's config names it
start_gateway gw "$TMP/g.json" --platform tdx --simulate --state "$GSTATE" --model-check-ms 0
curl -s -D "$TMP/h" -o "$TMP/b" "http://$GW/v1/chat/completions" -H 'Content-Type: application/json' \
  -d '{"model":"echo","messages":[{"role":"user","content":"write to bob@example.com"}]}'
grep -q '^HTTP/1.1 200' "$TMP/h" && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: chat: $(head -1 "$TMP/h") $(cat "$TMP/b")"; }
grep -q 'bob@example.com' "$TMP/b" && { failed=$((failed + 1)); echo "FAIL: e-mail reached the upstream"; } || passed=$((passed + 1))
R=$(tr -d '\r' <"$TMP/h" | sed -n 's/^[Vv]eritee-[Rr]eceipt: //p')
code=$(curl -s -o "$TMP/r.json" -w '%{http_code}' -X POST -d "{\"token\":\"$R\"}" "$V/v1/receipts")
[ "$code" = 201 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: receipt refused: $code $(cat "$TMP/r.json")"; }

# ... and its passport says simulated: never hardware attested.
N=00112233445566778899aabbccddeeff
curl -s "http://$GW/v1/attestation?nonce=$N" >"$TMP/att.json"
P=$(jq -r .passport_id "$TMP/att.json")
curl -s "$V/v1/passports/$P" >"$TMP/p.json"
jq -e '.hardware_attested == false and .tee_type == "tdx"' "$TMP/p.json" >/dev/null &&
  passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: passport is not marked simulated: $(head -c 600 "$TMP/p.json")"; }

# 4. A client checking the gateway's evidence with the verifier's state needs the same root.
jq -r .evidence "$TMP/att.json" | base64 -d >"$TMP/ev.bin"
X=$(jq -r .enclave_key.x "$TMP/att.json" | tr '_-' '/+'); Y=$(jq -r .enclave_key.y "$TMP/att.json" | tr '_-' '/+')
PUB=$( (echo "$X=" | base64 -d 2>/dev/null; echo "$Y=" | base64 -d 2>/dev/null) | od -An -tx1 | tr -d ' \n')
jq -r '.collateral|to_entries[]|"\(.key) \(.value)"' "$TMP/att.json" | while read -r n b; do mkdir -p "$TMP/coll"; echo "$b" | base64 -d >"$TMP/coll/$n"; done
expect 1 "verify: the gateway's evidence under the verifier's state alone" -- \
  "$VT" verify "$TMP/ev.bin" --nonce "$N" --pubkey "$PUB" --trust-sim --state "$VSTATE" --collateral "$TMP/coll"
contains "--sim-root" "verify names the fix"
expect 0 "verify: with --sim-root" -- "$VT" verify "$TMP/ev.bin" --nonce "$N" --pubkey "$PUB" --trust-sim --state "$VSTATE" --collateral "$TMP/coll" --sim-root "$ROOT" --json
jq -e '.hardware_attested == false' "$TMP/out" >/dev/null && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: verify --json: $(head -c 400 "$TMP/out")"; }

# 5. So does `veritee chat` checking the gateway before it sends a prompt.
expect 1 "chat: the gateway's evidence under the verifier's state alone" -- \
  "$VT" chat --gateway "http://$GW" --verifier "$V" --environment gw --trust-sim --state "$VSTATE" "hello"
contains "--sim-root" "chat names the fix"
expect 0 "chat: with --sim-root" -- \
  "$VT" chat --gateway "http://$GW" --verifier "$V" --environment gw --trust-sim --state "$VSTATE" --sim-root "$ROOT" "hello"
contains "hello" "chat: the answer"
expect 2 "chat: --sim-root without --trust-sim" -- "$VT" chat --gateway "http://$GW" --verifier "$V" --sim-root "$ROOT" "hello"
finish
