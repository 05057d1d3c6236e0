#!/usr/bin/env bash
# The names other "AI passport" services use: POST /verify/tee-attestation (an
# alias of /v1/verify), "mrenclave" in passports, and the VERITEE_SIMULATE /
# VERITEE_TEE variables (flags still win).
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null && command -v jq >/dev/null || { echo "skipped: needs curl and jq"; exit 77; }
echo 0123456789abcdef0123456789abcdef >"$TMP/admin-token"
chmod 600 "$TMP/admin-token"
"$VT" verifier --listen 127.0.0.1:0 --offline --admin-token-file "$TMP/admin-token" --trust-sim --quiet \
  >"$TMP/v.out" 2>"$TMP/v.log" &
VPID=$!
trap 'kill $VPID 2>/dev/null; wait $VPID 2>/dev/null; rm -rf "$TMP"' EXIT
V="http://$(listening "$TMP/v.out" verifier "$TMP/v.log")" || exit 1

RD=$(openssl rand -hex 64)
"$VT" sim nitro --out "$TMP/nitro" --report-data "$RD" >/dev/null || { echo "FAIL: sim nitro"; exit 1; }
REPORT=$(base64 -w0 "$TMP/nitro/attestation.cbor")
USER=$(echo "$RD" | xxd -r -p | base64 -w0)
OTHER=$(openssl rand 64 | base64 -w0)
post() { curl -s -o "$TMP/out" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "$1" \
  "$V/verify/tee-attestation" >"$TMP/code"; }
field() { jq -r "$1" "$TMP/out"; }
is() { # JQ WANT DESCRIPTION
  local got; got=$(field "$1")
  if [ "$got" = "$2" ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $3: $1 = $got, wanted $2"; cat "$TMP/out"; echo; fi
}

# --- failure cases first ---
post 'not json'; is '.error.code' bad_request "not JSON"
post '{"platform":"aws-nitro"}'; is '.error.code' bad_request "no report"
post "{\"report\":\"$REPORT\",\"platform\":\"arm-cca\"}"; is '.error.code' bad_request "unknown platform"
post "{\"report\":\"$REPORT\",\"platform\":\"aws-nitro\",\"expected_user_data\":\"$(openssl rand 65 | base64 -w0)\"}"
is '.error.code' bad_request "user data over 64 bytes"
post "{\"report\":\"$REPORT\",\"platform\":\"aws-nitro\",\"expected_user_data\":\"$OTHER\"}"
is '.valid' false "someone else's user data"; is '.freshness_verified' false "not fresh for other user data"
is '.signature_verified' true "the signature itself holds"
# valid base64 of random bytes: garbage that decodes, so the verifier itself must refuse it
post "{\"report\":\"$(openssl rand 3000 | base64 -w0)\",\"platform\":\"aws-nitro\"}"
is '.valid' false "garbage evidence"; is '.signature_verified' false "no signature on garbage"

# --- the genuine document ---
post "{\"report\":\"$REPORT\",\"platform\":\"aws-nitro\",\"expected_user_data\":\"$USER\"}"
is '.valid' true "genuine evidence with its user data"; is '.platform' aws-nitro "platform name kept"
is '.signature_verified' true "signature"; is '.certificate_chain_verified' true "chain"
is '.freshness_verified' true "fresh"; is '.firmware_version | length > 0' true "firmware version"
is '.veritee.platform' nitro "our own result rides along"
post "{\"report\":\"$REPORT\"}"; is '.platform' aws-nitro "detected platform named their way"
is '.freshness_verified' false "no user data: freshness not verified"

# --- VERITEE_SIMULATE / VERITEE_TEE (flags win) ---
cat >"$TMP/gw.json" <<JSON
{"upstream": "http://127.0.0.1:9", "auditors": [{"name": "pii"}]}
JSON
expect 0 "gateway measure with flags" -- "$VT" gateway --config "$TMP/gw.json" --platform tdx --simulate --measure-only
cp "$TMP/out" "$TMP/flags.json"
expect 0 "gateway measure with VERITEE_SIMULATE=tdx" -- env VERITEE_SIMULATE=tdx "$VT" gateway --config "$TMP/gw.json" --measure-only
jq -e .events "$TMP/out" >/dev/null && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: no measurement log"; }
expect 2 "VERITEE_SIMULATE=bogus is a usage error" -- env VERITEE_SIMULATE=bogus "$VT" gateway --config "$TMP/gw.json" --measure-only
contains "VERITEE_SIMULATE=bogus" "names the variable"
expect 0 "VERITEE_TEE=mock attest" -- env VERITEE_TEE=mock "$VT" attest --json
contains '"platform": "mock"' "mock evidence"
expect 2 "VERITEE_SIMULATE with local attest points to sim" -- env VERITEE_SIMULATE=tdx "$VT" attest --json
contains "veritee sim tdx" "points to veritee sim"
expect 0 "--platform mock wins over VERITEE_SIMULATE" -- env VERITEE_SIMULATE=tdx "$VT" attest --platform mock --json
contains '"platform": "mock"' "flag wins"
finish
