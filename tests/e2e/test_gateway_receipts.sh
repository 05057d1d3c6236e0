#!/usr/bin/env bash
# The gateway's receipt path over real processes: receipts reach the verifier in signed
# batches; with the verifier stopped the gateway keeps serving under its passport
# (re-attestation fails and is retried), stops only when the passport expires, and
# serves again once the verifier is back; receipts made meanwhile wait in the durable
# queue, also across a kill -9 of the gateway, and arrive after the restart.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gateway_lib.sh"
command -v curl >/dev/null && command -v jq >/dev/null || { echo "skipped: needs curl and jq"; exit 77; }
export VERITEE_STATE="$TMP/vstate"
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

start_sim_verifier
VPORT=${V##*:}
start_echo echo
LIFE=16
receipt_gateway_env "$TMP/vstate" "{\"passport_lifetime\":$LIFE}" && ok || bad "register environment"


start_gateway gw "$TMP/g.json" --platform mock
BOOT=$(date +%s)
[ "$(receipt_chat)" = 200 ] && ok || bad "chat"
R1=$(receipt_id "$TMP/receipt")
[ -n "$R1" ] && ok || bad "the reply has a receipt"
receipt_logged "$R1" && ok || bad "receipt $R1 reached the verifier"
grep -q 'caller="gateway",result="ok"' <(curl -s "$V/metrics") && ok || bad "the upload was authenticated as the gateway"
[ "$(stat -c %a "$TMP/vstate/receipts")" = 700 ] && ok || bad "queue directory mode"
grep -q '^veritee_gateway_receipts_sent_total [1-9]' "$TMP/vstate/metrics/receipts.prom" 2>/dev/null ||
  sleep 1.2
grep -q '^veritee_gateway_receipts_sent_total [1-9]' "$TMP/vstate/metrics/receipts.prom" && ok || bad "sent metric"

# The verifier goes away: the gateway keeps serving under its passport, receipts wait on disk.
kill -9 "$VPID"; wait "$VPID" 2>/dev/null
[ "$(receipt_chat)" = 200 ] && ok || bad "chat while the verifier is down"
R2=$(receipt_id "$TMP/receipt")
# past the renewal point (2/3 of the lifetime), before expiry: still serving
while [ $(($(date +%s) - BOOT)) -lt $((LIFE * 2 / 3 + 2)) ]; do sleep 0.2; done
[ "$(receipt_chat)" = 200 ] && ok || bad "chat after a failed re-attestation, passport still valid"
R3=$(receipt_id "$TMP/receipt")
grep -q '"event":"reattest"' "$TMP/gw.err" && ok || bad "the failed re-attestation is logged"
grep -q 'until it expires' "$TMP/gw.err" && ok || bad "the log says it keeps serving"
# past expiry: not serving
while [ $(($(date +%s) - BOOT)) -lt $((LIFE + 1)) ]; do sleep 0.2; done
code=$(receipt_chat); [ "$code" = 503 ] && ok || { bad "after expiry the gateway stops serving ($code)"; tail -5 "$TMP/gw.err"; curl -s "http://$GW/v1/attestation?nonce=00112233445566778899aabbccddeeff" | jq -r .passport | cut -d. -f2 | jq -rR "gsub(\"-\";\"+\") | gsub(\"_\";\"/\") | . + (\"=\" * ((4 - length % 4) % 4)) | @base64d" ; date +%s; }
grep -q '^veritee_gateway_receipts_queued [1-9]' "$TMP/vstate/metrics/receipts.prom" && ok ||
  bad "queued receipts in the metrics: $(grep queued "$TMP/vstate/metrics/receipts.prom")"

# The verifier is back (same port): the gateway re-attests and serves, the queue drains.
start_sim_verifier "$VPORT"
for _ in $(seq 400); do [ "$(receipt_chat)" = 200 ] && break; sleep 0.1; done
[ "$(receipt_chat)" = 200 ] && ok || bad "serving again once the verifier is back"
# The sink had backed off for seconds by now (up to 30 s); the re-attestation that brought the
# gateway back wakes it, so the queue drains at once, not at the end of the backoff.
receipt_logged "$R2" 3 && ok || bad "receipt $R2 (made while the verifier was down) reached it once the gateway re-attested"
receipt_logged "$R3" 3 && ok || bad "receipt $R3 reached it"

# kill -9 of the gateway with receipts not yet sent: the next start sends them.
kill -9 "$VPID"; wait "$VPID" 2>/dev/null
[ "$(receipt_chat)" = 200 ] && ok || bad "chat (verifier down again)"
R4=$(receipt_id "$TMP/receipt")
kill -9 "$GW_PID"; wait "$GW_PID" 2>/dev/null
start_sim_verifier "$VPORT"
start_gateway gw2 "$TMP/g.json" --platform mock
grep -q 'sent again' "$TMP/gw2.err" && ok || bad "the restart replays the queue: $(grep receipt_queue "$TMP/gw2.err")"
receipt_logged "$R4" 10 && ok || bad "receipt $R4 (queued before kill -9) reached the verifier after the restart"
receipt_logged "$R1" 1 && ok || bad "earlier receipts are still there"

finish
