#!/usr/bin/env bash
# veritee chat and veritee receipt over real processes: a verifier (SQLite, temp
# state, --trust-sim), the echo upstream and a gateway under the TDX simulator;
# plus a small stand-in gateway (fake_gateway.py) that serves attestations a
# client must refuse, and counts whether the prompt ever reached it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gateway_lib.sh"
command -v curl >/dev/null && command -v jq >/dev/null && command -v python3 >/dev/null && command -v xxd >/dev/null ||
  { echo "skipped: needs curl, jq, python3 and xxd"; exit 77; }
HERE="$(cd "$(dirname "$0")" && pwd)"

TOKEN=0123456789abcdef0123456789abcdef
echo "$TOKEN" >"$TMP/admin-token"
# start_verifier NAME STATE: a verifier on a free port (keys, database, simulation root in STATE); sets $V
start_verifier() {
  "$VT" verifier --listen 127.0.0.1:0 --admin-token-file "$TMP/admin-token" --trust-sim --state "$2" --quiet \
    >"$TMP/$1.out" 2>"$TMP/$1.log" &
  PIDS="$PIDS $!"
  for _ in $(seq 100); do grep -q listening "$TMP/$1.out" 2>/dev/null && break; sleep 0.05; done
  local port; port=$(sed -n 's/.*:\([0-9]*\) (store.*/\1/p' "$TMP/$1.out")
  [ -n "$port" ] || { echo "FAIL: verifier $1 did not start"; cat "$TMP/$1.log"; exit 1; }
  V="http://127.0.0.1:$port"
}
# start_fake NAME MODE PASSPORT: the stand-in gateway; sets $FAKE, hits in $TMP/NAME.hits
start_fake() {
  : >"$TMP/$1.hits"
  python3 "$HERE/fake_gateway.py" --veritee "$VT" --passport "$3" --jwk "$TMP/enclave.jwk" --pubkey "$PUBHEX" \
    --log "$TMP/log.json" --hits "$TMP/$1.hits" --mode "$2" >"$TMP/$1.out" 2>"$TMP/$1.err" &
  PIDS="$PIDS $!"
  FAKE=$(wait_addr "$TMP/$1.out") || { echo "FAIL: fake gateway did not start"; cat "$TMP/$1.err"; exit 1; }
}
no_hits() { # NAME DESCRIPTION: the stand-in never received a POST
  if [ ! -s "$TMP/$1.hits" ]; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL: $2: the prompt reached the gateway"; fi
}

start_verifier main "$VERITEE_STATE"
VMAIN=$V
start_verifier other "$TMP/other-state"
VOTHER=$V

# The components a gateway would measure at boot, logged as it logs them.
mkdir -p "$TMP/model"
head -c 100000 /dev/zero >"$TMP/model/weights.gguf"
MODEL=$("$VT" measure "$TMP/model" | awk '{print $1; exit}')
AUD=$(printf 'auditors' | sha256sum | cut -d' ' -f1)
RUN=$(printf 'runtime' | sha256sum | cut -d' ' -f1)
CFG=$(printf 'config' | sha256sum | cut -d' ' -f1)
"$VT" log append --log "$TMP/log.json" --component model --name demo --digest "$MODEL" >/dev/null
"$VT" log append --log "$TMP/log.json" --component auditor --name pii --digest "$AUD" >/dev/null
"$VT" log append --log "$TMP/log.json" --component runtime --name veritee --digest "$RUN" >/dev/null
"$VT" log append --log "$TMP/log.json" --component config --name gateway.json --digest "$CFG" >/dev/null
for v in "$VMAIN" "$VOTHER"; do
  "$VT" env create dev --verifier "$v" --admin-token-file "$TMP/admin-token" --allow-simulated --min-tcb any \
    --model "$MODEL" --auditor "$AUD" --runtime "$RUN" --config "$CFG" >/dev/null || { echo "FAIL: env create"; exit 1; }
done
"$VT" env create elsewhere --verifier "$VMAIN" --admin-token-file "$TMP/admin-token" --allow-simulated \
  --model "$(printf 'x%.0s' $(seq 64) | tr x a)" >/dev/null

# An enclave key and a passport for it from each verifier.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$TMP/enclave.pem" 2>/dev/null
chmod 600 "$TMP/enclave.pem"
PUBHEX=$(openssl pkey -in "$TMP/enclave.pem" -pubout -outform DER 2>/dev/null | tail -c 64 | xxd -p -c 256)
for n in main other; do
  v=$VMAIN st=$VERITEE_STATE; [ $n = other ] && v=$VOTHER st=$TMP/other-state
  expect 0 "attest ($n verifier)" -- "$VT" attest --verifier "$v" --environment dev --log "$TMP/log.json" \
    --platform tdx --simulate --state "$st" --key "$TMP/enclave.pem" --out "$TMP/pass-$n.jwt"
done
"$VT" passport decode --json "$TMP/pass-main.jwt" | jq .attester_jwk >"$TMP/enclave.jwk"

# --- chat against the stand-in: the honest one passes every gateway check ---
start_fake honest honest "$TMP/pass-main.jwt"
expect 1 "stand-in: all gateway checks pass, then its 500 answer has no receipt" -- \
  "$VT" chat --gateway "http://$FAKE" --verifier "$VMAIN" --environment dev --trust-sim "hello"
contains "ok   evidence" "evidence check passes"
contains "SIMULATED" "says the hardware is simulated"
contains "ok   passport" "passport check passes"
contains "ok   enclave key" "enclave key check passes"
contains "ok   measurements" "measurement check passes"
contains "ok   environment" "environment check passes"
contains "no Veritee-Receipt header" "a reply without receipt fails"
expect 1 "without --trust-sim the simulated evidence is refused" -- \
  "$VT" chat --gateway "http://$FAKE" --verifier "$VMAIN" "hello"
contains "FAIL evidence" "evidence fails without --trust-sim"
contains "prompt was not sent" "says the prompt was not sent"
: >"$TMP/honest.hits"
expect 1 "a passport from another verifier is refused" -- \
  "$VT" chat --gateway "http://$FAKE" --verifier "$VOTHER" --trust-sim "my card is 4111 1111 1111 1111"
contains "FAIL passport" "the passport check fails"
no_hits honest "passport from an untrusted verifier"
expect 1 "a gateway outside the requested environment is refused" -- \
  "$VT" chat --gateway "http://$FAKE" --verifier "$VMAIN" --environment elsewhere --trust-sim "secret"
contains "FAIL environment" "the environment check fails"
no_hits honest "wrong environment"
expect 1 "--json report of a refusal" -- \
  sh -c '"$0" chat --json --gateway "$1" --verifier "$2" --trust-sim secret >"$3"' "$VT" "http://$FAKE" "$VOTHER" "$TMP/report.json"
if jq -e '.verified == false and .prompt_sent == false and (.checks[] | select(.check=="passport") | .status) == "FAIL"' \
  "$TMP/report.json" >/dev/null 2>&1; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: json refusal report"; head -c 600 "$TMP/out"; fi
no_hits honest "json refusal"

start_fake replay other-nonce "$TMP/pass-main.jwt"
expect 1 "evidence bound to another nonce is refused" -- \
  "$VT" chat --gateway "http://$FAKE" --verifier "$VMAIN" --trust-sim "my email is jane.doe@example.com"
contains "report_data" "names the report_data binding"
no_hits replay "evidence for another nonce"

start_fake foreign honest "$TMP/pass-other.jwt"
expect 1 "a passport signed by another verifier's key (JWKS mismatch) is refused" -- \
  "$VT" chat --gateway "http://$FAKE" --verifier "$VMAIN" --trust-sim "secret"
contains "FAIL passport" "foreign passport fails"
no_hits foreign "foreign passport"

expect 2 "chat without --gateway" -- "$VT" chat "hello"
expect 2 "chat to a closed port" -- "$VT" chat --gateway http://127.0.0.1:1 --verifier "$VMAIN" "hello"
expect 0 "chat --help" -- "$VT" chat --help
expect 0 "receipt --help" -- "$VT" receipt --help

finish
