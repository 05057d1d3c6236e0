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
chmod 600 "$TMP/admin-token"
# start_verifier NAME STATE: a verifier on a free port (keys, database, simulation root in STATE); sets $V
start_verifier() {
  : >"$TMP/$1.out"
  "$VT" verifier --listen 127.0.0.1:0 --offline --admin-token-file "$TMP/admin-token" --trust-sim --state "$2" --quiet \
    >"$TMP/$1.out" 2>"$TMP/$1.log" &
  PIDS="$PIDS $!"
  V="http://$(listening "$TMP/$1.out" "verifier $1" "$TMP/$1.log")" || exit 1
}
# start_fake NAME MODE PASSPORT [LOG [ENVIRONMENT]]: the stand-in gateway (its measurement log
# $TMP/log.json, environment dev by default); sets $FAKE, hits in $TMP/NAME.hits
start_fake() {
  : >"$TMP/$1.hits"
  : >"$TMP/$1.out"
  python3 "$HERE/fake_gateway.py" --veritee "$VT" --passport "$3" --jwk "$TMP/enclave.jwk" --pubkey "$PUBHEX" \
    --key "$TMP/enclave.pem" --log "${4:-$TMP/log.json}" --environment "${5:-dev}" --hits "$TMP/$1.hits" --mode "$2" >"$TMP/$1.out" 2>"$TMP/$1.err" &
  PIDS="$PIDS $!"
  FAKE=$(listening "$TMP/$1.out" "fake gateway" "$TMP/$1.err") || exit 1
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
mapfile -t image < <(sim_tdx_image_args) # the simulated TD image, pinned as a deployment pins its own
for v in "$VMAIN" "$VOTHER"; do
  "$VT" env create dev --verifier "$v" --admin-token-file "$TMP/admin-token" --allow-simulated --min-tcb any \
    --model "$MODEL" --auditor "$AUD" --runtime "$RUN" --config "$CFG" "${image[@]}" >/dev/null || { echo "FAIL: env create"; exit 1; }
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

# The attester keeps the challenge's connection for the attest.  A verifier (or a proxy
# before it) that closes that connection silently, or drops the attest sent on it,
# costs a new connection, not the passport.
for mode in close drop; do
  python3 "$HERE/closing_relay.py" --to "$VMAIN" --mode $mode --stats "$TMP/relay-$mode.stats" \
    >"$TMP/relay-$mode.out" 2>"$TMP/relay-$mode.err" &
  PIDS="$PIDS $!"
  RELAY=$(listening "$TMP/relay-$mode.out" "relay" "$TMP/relay-$mode.err") || exit 1
  expect 0 "attest through a relay that does not keep connections ($mode)" -- "$VT" attest --verifier "http://$RELAY" \
    --environment dev --log "$TMP/log.json" --platform tdx --simulate --key "$TMP/enclave.pem" \
    --out "$TMP/pass-relay-$mode.jwt"
  if grep -qx "connections 2 forwarded 2 forgotten 0" "$TMP/relay-$mode.stats"; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL: relay ($mode): the attest did not come on a new connection: $(cat "$TMP/relay-$mode.stats")"; fi
  expect 0 "the passport got through the relay ($mode) verifies" -- "$VT" passport verify "$TMP/pass-relay-$mode.jwt" \
    --verifier "$VMAIN"
done

# A verifier that does not know the nonce it issued (a SQLite verifier's challenges live in
# its process, so a restart between the challenge and the attest forgets them): the relay
# sends the first attest to the other verifier, which never issued it and answers
# nonce_unknown; the attester asks for a new challenge once, and gets its passport.
python3 "$HERE/closing_relay.py" --to "$VMAIN" --other "$VOTHER" --mode forget --stats "$TMP/relay-forget.stats" \
  >"$TMP/relay-forget.out" 2>"$TMP/relay-forget.err" &
PIDS="$PIDS $!"
RELAY=$(listening "$TMP/relay-forget.out" "relay" "$TMP/relay-forget.err") || exit 1
expect 0 "attest when the verifier forgot the nonce: asked again" -- "$VT" attest --verifier "http://$RELAY" \
  --environment dev --log "$TMP/log.json" --platform tdx --simulate --key "$TMP/enclave.pem" --out "$TMP/pass-forget.jwt"
if grep -q "forwarded 4 forgotten 1" "$TMP/relay-forget.stats"; then passed=$((passed + 1)); else
  failed=$((failed + 1)); echo "FAIL: relay (forget): wanted two challenges and two attests: $(cat "$TMP/relay-forget.stats")"; fi
expect 0 "the passport got after the forgotten nonce verifies" -- "$VT" passport verify "$TMP/pass-forget.jwt" \
  --verifier "$VMAIN"

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
# The reference values come only from the environment the verifier signed: a relay answering as
# the verifier's URL that adds a model digest to it (the signed payload rewritten) is not believed.
python3 "$HERE/tamper_relay.py" --to "$VMAIN" --mode env >"$TMP/trelay.out" 2>"$TMP/trelay.err" &
PIDS="$PIDS $!"
TRELAY="http://$(listening "$TMP/trelay.out" "relay" "$TMP/trelay.err")" || exit 1
expect 1 "an environment rewritten on its way is refused" -- \
  "$VT" chat --gateway "http://$FAKE" --verifier "$TRELAY" --environment dev --trust-sim "secret"
contains "ok   passport" "the passport verifies through the relay"
contains "FAIL environment" "the environment check fails"
contains "environment: jws: ES256 signature does not verify" "names the environment's signature"
no_hits honest "rewritten environment"
# Nor can it roll them back: a relay that keeps the first signed environment dev it forwards and,
# after two, answers with that one (signed, still fresh) is refused by the next chat once the
# verifier updated dev in between, since the revision taken is kept across runs in
# <state>/environment-revisions.  With --env-state none (what every chat did before) the replay passes.
python3 "$HERE/tamper_relay.py" --to "$VMAIN" --mode replay --count 2 >"$TMP/rrelay.out" 2>"$TMP/rrelay.err" &
PIDS="$PIDS $!"
RRELAY="http://$(listening "$TMP/rrelay.out" "relay" "$TMP/rrelay.err")" || exit 1
envrev() { curl -s "$VMAIN/v1/environments/dev/signed" | python3 -c 'import base64, json, sys
p = sys.stdin.read().split(".")[1]; print(json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))["rev"])'; }
REV=$(envrev)
expect 1 "chat through the replaying relay, before the update" -- \
  "$VT" chat --gateway "http://$FAKE" --verifier "$RRELAY" --environment dev --trust-sim "hello"
contains "ok   environment" "the environment of revision $REV is taken"
curl -s "$VMAIN/v1/environments/dev" | jq '.description = "updated"' >"$TMP/dev.json"
code=$(curl -s -o "$TMP/put" -w '%{http_code}' -X PUT -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json' --data-binary @"$TMP/dev.json" "$VMAIN/v1/environments/dev")
[ "$code" = 200 ] && [ "$(envrev)" = $((REV + 1)) ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: dev updated: $code, revision $(envrev) after $REV"; cat "$TMP/put"; }
expect 1 "chat through the replaying relay, after the update" -- \
  "$VT" chat --gateway "http://$FAKE" --verifier "$RRELAY" --environment dev --trust-sim "hello"
contains "ok   environment" "the environment of revision $((REV + 1)) is taken"
: >"$TMP/honest.hits"
expect 1 "a replayed older revision is refused by the next run" -- \
  "$VT" chat --gateway "http://$FAKE" --verifier "$RRELAY" --environment dev --trust-sim "secret"
contains "FAIL environment" "the environment check fails"
contains "environment dev revision $REV is older than revision $((REV + 1)) already seen: a replayed environment" \
  "names the replay"
contains "$VERITEE_STATE/environment-revisions" "names where the revision is kept"
no_hits honest "replayed environment"
[ "$(stat -c %a "$VERITEE_STATE/environment-revisions")" = 600 ] &&
  grep -qxF "$((REV + 1)) dev $RRELAY" "$VERITEE_STATE/environment-revisions" && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: the revisions file"; ls -l "$VERITEE_STATE/environment-revisions";
    cat "$VERITEE_STATE/environment-revisions"; }
expect 1 "with --env-state none the replay is not seen (the check a one-shot run had before)" -- \
  "$VT" chat --gateway "http://$FAKE" --verifier "$RRELAY" --environment dev --trust-sim --env-state none "hello"
contains "ok   environment" "the replayed revision is taken without the file"
printf 'not a revisions file\n' >"$TMP/bad-revs"
: >"$TMP/honest.hits"
expect 2 "a damaged revisions file is named before anything is contacted" -- \
  "$VT" chat --gateway "http://$FAKE" --verifier "$VMAIN" --environment dev --trust-sim --env-state "$TMP/bad-revs" "hi"
contains "$TMP/bad-revs: not an environment revisions file" "names the file"
lacks "attestation" "nothing was contacted"
no_hits honest "damaged revisions file"
expect 1 "--json report of a refusal" -- \
  sh -c '"$0" chat --json --gateway "$1" --verifier "$2" --trust-sim secret >"$3"' "$VT" "http://$FAKE" "$VOTHER" "$TMP/report.json"
if jq -e '.verified == false and .prompt_sent == false and (.checks[] | select(.check=="passport") | .status) == "FAIL"' \
  "$TMP/report.json" >/dev/null 2>&1; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: json refusal report"; head -c 600 "$TMP/out"; fi
no_hits honest "json refusal"

# A receipt signed by the enclave key for exactly the bytes sent and received verifies; the same
# receipt dated before the request was sent is one of an earlier identical request, replayed (by
# whoever recorded it on a plain connection, or a host answering from a cache): refused.
start_fake signed receipt "$TMP/pass-main.jwt"
expect 0 "stand-in: a receipt made for this request verifies" -- \
  "$VT" chat --gateway "http://$FAKE" --verifier "$VMAIN" --trust-sim "hello"
contains "verified: the answer came from the attested gateway" "the stand-in's fresh receipt is verified"
start_fake oldrcpt old-receipt "$TMP/pass-main.jwt"
expect 1 "a receipt made before the request was sent (replayed) is refused" -- \
  "$VT" chat --gateway "http://$FAKE" --verifier "$VMAIN" --trust-sim "hello"
contains "FAIL receipt names" "the replayed receipt fails the receipt's names and times"
contains "before this request was sent" "says the receipt is older than the request"
lacks "verified: the answer" "a replayed receipt is not verified"

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

# --- an auditor added after the passport: the client compares every one, not the first seven ---
# The environment pins no auditors, so the passport only names those it saw; the stand-in then
# shows a log with one more (its evidence replays that log), the tenth: a passport used to name
# only the first seven and the client compared only those.
"$VT" env create many --verifier "$VMAIN" --admin-token-file "$TMP/admin-token" --allow-simulated --min-tcb any \
  --model "$MODEL" --runtime "$RUN" --config "$CFG" "${image[@]}" >/dev/null || { echo "FAIL: env create many"; exit 1; }
"$VT" log append --log "$TMP/log9.json" --component model --name demo --digest "$MODEL" >/dev/null
for i in $(seq 9); do
  "$VT" log append --log "$TMP/log9.json" --component auditor --name "aud$i" \
    --digest "$(printf 'auditor %d' "$i" | sha256sum | cut -d' ' -f1)" >/dev/null
done
"$VT" log append --log "$TMP/log9.json" --component runtime --name veritee --digest "$RUN" >/dev/null
"$VT" log append --log "$TMP/log9.json" --component config --name gateway.json --digest "$CFG" >/dev/null
expect 0 "attest with nine auditors" -- "$VT" attest --verifier "$VMAIN" --environment many --log "$TMP/log9.json" \
  --platform tdx --simulate --state "$VERITEE_STATE" --key "$TMP/enclave.pem" --out "$TMP/pass-nine.jwt"
if [ "$("$VT" passport decode --json "$TMP/pass-nine.jwt" | jq '.appraisal.submods.auditors.measured | length' 2>/dev/null)" = 9 ] ||
   [ "$(cut -d. -f2 "$TMP/pass-nine.jwt" | tr '_-' '/+' | base64 -d 2>/dev/null | jq '.veritee.submods.auditors.measured | length' 2>/dev/null)" = 9 ]; then
  passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: the passport does not name all nine auditors"; fi
cp "$TMP/log9.json" "$TMP/log10.json"
"$VT" log append --log "$TMP/log10.json" --component auditor --name late \
  --digest "$(printf 'late auditor' | sha256sum | cut -d' ' -f1)" >/dev/null
start_fake nine honest "$TMP/pass-nine.jwt" "$TMP/log9.json" many
expect 1 "the log the passport appraised passes every gateway check" -- \
  "$VT" chat --gateway "http://$FAKE" --verifier "$VMAIN" --environment many --trust-sim "hello"
contains "ok   measurements" "nine auditors: the measurement check passes"
start_fake grown honest "$TMP/pass-nine.jwt" "$TMP/log10.json" many
expect 1 "a tenth auditor the passport does not name is refused" -- \
  "$VT" chat --gateway "http://$FAKE" --verifier "$VMAIN" --environment many --trust-sim "secret"
contains "FAIL measurements" "the measurement check fails"
no_hits grown "an auditor added after the passport"

# --- the token never picks its verifier: an attacker's verifier names itself in "iss" ---
unset VERITEE_VERIFIER
"$VT" verifier --listen 127.0.0.1:0 --offline --trust-sim --state "$TMP/evil-state" --quiet >"$TMP/evil0.out" 2>&1 &
pid=$!
VEVIL="http://$(listening "$TMP/evil0.out" "verifier evil0" "$TMP/evil0.out")" || exit 1
kill "$pid"; wait "$pid" 2>/dev/null
"$VT" verifier --listen "${VEVIL#http://}" --offline --issuer "$VEVIL" --admin-token-file "$TMP/admin-token" --trust-sim \
  --state "$TMP/evil-state" --quiet >"$TMP/evil.out" 2>"$TMP/evil.log" &
PIDS="$PIDS $!"
listening "$TMP/evil.out" "verifier evil" "$TMP/evil.log" >/dev/null || exit 1
"$VT" env create dev --verifier "$VEVIL" --admin-token-file "$TMP/admin-token" --allow-simulated --min-tcb any \
  --model "$MODEL" --auditor "$AUD" --runtime "$RUN" --config "$CFG" "${image[@]}" >/dev/null ||
  { echo "FAIL: env create (evil)"; exit 1; }
expect 0 "attest (the attacker's verifier)" -- "$VT" attest --verifier "$VEVIL" --environment dev --log "$TMP/log.json" \
  --platform tdx --simulate --state "$TMP/evil-state" --key "$TMP/enclave.pem" --out "$TMP/pass-evil.jwt"
start_fake evil honest "$TMP/pass-evil.jwt"
expect 2 "chat without a configured verifier fails closed" -- "$VT" chat --gateway "http://$FAKE" --trust-sim "secret"
contains "no verifier is configured" "says no verifier is configured"
contains "--verifier URL" "names --verifier"
contains "--jwks FILE" "names --jwks"
contains "VERITEE_VERIFIER" "names VERITEE_VERIFIER"
no_hits evil "no verifier configured"
expect 1 "chat --verifier: a passport whose iss is another verifier is refused" -- \
  "$VT" chat --gateway "http://$FAKE" --verifier "$VMAIN" --trust-sim "secret"
contains "issued by '$VEVIL', not by the configured verifier $VMAIN" "names both issuers"
no_hits evil "foreign issuer (--verifier)"
expect 1 "chat with VERITEE_VERIFIER: the foreign passport is refused" -- \
  env VERITEE_VERIFIER="$VMAIN" "$VT" chat --gateway "http://$FAKE" --trust-sim "secret"
contains "not by the configured verifier" "refused by the issuer check"
curl -s "$VMAIN/.well-known/jwks.json" >"$TMP/jwks-main.json"
expect 1 "chat --jwks (pinned): the foreign passport is refused" -- \
  "$VT" chat --gateway "http://$FAKE" --jwks "$TMP/jwks-main.json" --trust-sim "secret"
contains "not by the configured verifier" "pinned: refused by the issuer check"
no_hits evil "foreign issuer (env, pinned JWKS)"
expect 2 "chat --environment needs a verifier URL, not only --jwks" -- \
  "$VT" chat --gateway "http://$FAKE" --jwks "$TMP/jwks-main.json" --environment dev --trust-sim "secret"

# --- a real gateway under the TDX simulator, in front of the echo upstream ---
start_echo echo
mkdir -p "$TMP/gwmodel"
printf 'tiny test model\n' >"$TMP/gwmodel/m.gguf"
cat >"$TMP/gw.json" <<JSON
{"upstream": "http://$ECHO", "verifier": "$VMAIN", "environment": "gw",
 "models": ["$TMP/gwmodel"],
 "auditors": [{"name": "pii", "phases": ["request", "response"], "actions": {"email": "redact", "card": "redact"}}]}
JSON
"$VT" gateway --config "$TMP/gw.json" --platform tdx --simulate --measure-only >"$TMP/gw-m.json" 2>"$TMP/gw-m.err" ||
  { echo "FAIL: gateway --measure-only"; cat "$TMP/gw-m.err"; exit 1; }
mapfile -t envargs < <(jq -r '.events[] | "--\(.component)\n\(.digest)"' "$TMP/gw-m.json")
"$VT" env create gw --verifier "$VMAIN" --admin-token-file "$TMP/admin-token" --allow-simulated --min-tcb any \
  "${envargs[@]}" "${image[@]}" >/dev/null || { echo "FAIL: env create gw"; exit 1; }
"$VT" gateway --config "$TMP/gw.json" --listen-plain 127.0.0.1:0 --platform tdx --simulate --threads 1 \
  >"$TMP/gw.out" 2>"$TMP/gw.err" &
GW_PID=$!
PIDS="$PIDS $!"
GW=$(listening "$TMP/gw.out" "gateway" "$TMP/gw.err") || exit 1
PROMPT="My email is jane.doe@example.com and my card is 4111 1111 1111 1111"

expect 0 "chat against an honest gateway" -- "$VT" chat --gateway "http://$GW" --verifier "$VMAIN" --environment gw \
  --trust-sim --model echo --save-receipt "$TMP/r.jwt" --save-response "$TMP/r.body" "$PROMPT"
contains "[EMAIL_1]" "the model saw a placeholder for the e-mail address"
contains "ok   response" "response digest checked"
contains "verified: the answer came from the attested gateway" "verified"
if grep -q "jane.doe@example.com" "$TMP/r.body"; then failed=$((failed + 1)); echo "FAIL: the address reached the answer"; else passed=$((passed + 1)); fi
expect 0 "streamed chat against an honest gateway" -- "$VT" chat --stream --gateway "http://$GW" --verifier "$VMAIN" \
  --trust-sim --model echo --save-receipt "$TMP/rs.jwt" --save-response "$TMP/rs.body" "$PROMPT"
contains "before the receipt event" "stream digest covers the bytes before the receipt"
contains "[CARD_1]" "streamed answer shows the card placeholder"
expect 0 "chat --json" -- sh -c '"$0" chat --json --gateway "$1" --verifier "$2" --trust-sim --model echo hi >"$3"' \
  "$VT" "http://$GW" "$VMAIN" "$TMP/ok.json"
if jq -e '.verified == true and .prompt_sent == true and (.receipt.receipt | startswith("rcpt-")) and
          .channel == "plain-loopback"' "$TMP/ok.json" >/dev/null; then
  passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: json success report"; head -c 600 "$TMP/ok.json"; fi

# Plain HTTP to another machine would carry the prompt across a network in the clear: refused
# before anything is contacted (the verifier named is a port nothing listens on), unless asked
# for.  [::ffff:127.0.0.1] is not one of the loopback names, though it reaches this machine.
expect 2 "plain HTTP to another machine is refused" -- "$VT" chat --gateway "http://[::ffff:127.0.0.1]:${GW##*:}" \
  --verifier "http://127.0.0.1:1" --trust-sim --model echo "$PROMPT"
contains "plain HTTP to another machine" "the refusal says why"
contains "--allow-plain" "the refusal names the way out"
lacks "jane.doe" "the refusal does not show the prompt"
expect 0 "--allow-plain sends it anyway, and says so" -- "$VT" chat --gateway "http://[::ffff:127.0.0.1]:${GW##*:}" \
  --allow-plain --verifier "$VMAIN" --trust-sim --model echo hi
contains "NOT encrypted" "the plain channel is named"
contains "verified: the answer came from the attested gateway" "verified over the allowed plain channel"

PASS=$(jq -r .receipt.passport "$TMP/ok.json")
expect 0 "receipt verify (passport by id)" -- "$VT" receipt verify "$TMP/r.jwt" --passport "$PASS" --verifier "$VMAIN" \
  --body "$TMP/r.body"
contains "receipt verified" "receipt verified"
expect 0 "receipt verify of the stream's receipt" -- "$VT" receipt verify "$TMP/rs.jwt" --passport "$PASS" \
  --verifier "$VMAIN" --body "$TMP/rs.body"
curl -s "$VMAIN/v1/passports/$PASS" | jq -r .token >"$TMP/gw-pass.jwt"
curl -s "$VMAIN/.well-known/jwks.json" >"$TMP/jwks.json"
expect 0 "receipt verify offline (passport and JWKS files)" -- "$VT" receipt verify "$TMP/r.jwt" \
  --passport "$TMP/gw-pass.jwt" --jwks "$TMP/jwks.json" --json
contains '"verified": true' "json says verified"
expect 0 "receipt show" -- "$VT" receipt show "$TMP/r.jwt"
contains "NOT verified" "show says it checks nothing"
# flip one character: in the payload, then in the signature
tok=$(cat "$TMP/r.jwt"); p1=${tok%%.*}; p2=${tok%.*}
for at in $((${#p1} + 20)) $((${#p2} + 20)); do
  c=A; [ "${tok:at:1}" = A ] && c=B
  printf '%s%s%s\n' "${tok:0:at}" "$c" "${tok:at+1}" >"$TMP/bad.jwt"
  expect 1 "a tampered receipt (character $at) is rejected" -- "$VT" receipt verify "$TMP/bad.jwt" \
    --passport "$PASS" --verifier "$VMAIN"
done
expect 1 "a receipt checked against another passport is rejected" -- "$VT" receipt verify "$TMP/r.jwt" \
  --passport "$TMP/pass-main.jwt" --verifier "$VMAIN"
contains "FAIL" "names the failed check"
expect 1 "a receipt with a passport from an untrusted verifier is rejected" -- "$VT" receipt verify "$TMP/r.jwt" \
  --passport "$TMP/gw-pass.jwt" --verifier "$VOTHER"
expect 1 "--body that differs from the response is rejected" -- "$VT" receipt verify "$TMP/r.jwt" \
  --passport "$PASS" --verifier "$VMAIN" --body "$TMP/rs.body"
contains "FAIL response" "names the response digest"
expect 2 "receipt verify without --passport" -- "$VT" receipt verify "$TMP/r.jwt"
expect 2 "receipt verify without a configured verifier fails closed" -- "$VT" receipt verify "$TMP/r.jwt" \
  --passport "$TMP/pass-evil.jwt"
contains "no verifier is configured" "receipt: says no verifier is configured"
expect 1 "receipt verify: a passport whose iss is another verifier is refused" -- "$VT" receipt verify "$TMP/r.jwt" \
  --passport "$TMP/pass-evil.jwt" --verifier "$VMAIN"
contains "FAIL issuer" "receipt: the issuer check fails"
expect 0 "receipt verify with VERITEE_VERIFIER" -- env VERITEE_VERIFIER="$VMAIN" "$VT" receipt verify "$TMP/r.jwt" \
  --passport "$PASS"

# --- the gateway's state is private and it cannot dump core ---
[ "$(stat -c %a "$VERITEE_STATE/receipts")" = 700 ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: the receipt queue has mode $(stat -c %a "$VERITEE_STATE/receipts")"; }
for f in "$VERITEE_STATE"/receipts/*.seg; do
  [ "$(stat -c %a "$f")" = 600 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: $f has mode $(stat -c %a "$f")"; }
done
[ "$(stat -c %a "$VERITEE_STATE")" = 700 ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: the state directory has mode $(stat -c %a "$VERITEE_STATE")"; }
if grep -Eq '^Max core file size +0 +0 ' "/proc/$GW_PID/limits"; then passed=$((passed + 1)); else
  failed=$((failed + 1)); echo "FAIL: gateway core limit: $(grep 'core file' "/proc/$GW_PID/limits")"; fi
expect 2 "receipt verify of a missing file" -- "$VT" receipt verify "$TMP/nope.jwt" --passport "$PASS" --verifier "$VMAIN"
expect 1 "the real gateway is not in environment 'elsewhere'" -- "$VT" chat --gateway "http://$GW" --verifier "$VMAIN" \
  --environment elsewhere --trust-sim --model echo "secret"
contains "prompt was not sent" "refused before sending"

expect 2 "chat without --gateway" -- "$VT" chat "hello"
expect 2 "chat to a closed port" -- "$VT" chat --gateway http://127.0.0.1:1 --verifier "$VMAIN" "hello"
expect 0 "chat --help" -- "$VT" chat --help
expect 0 "receipt --help" -- "$VT" receipt --help

finish
