#!/usr/bin/env bash
# The verifier service over HTTP: a real `veritee verifier` on 127.0.0.1 (free
# port, temp state), driven with curl + jq and the veritee CLI.
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null && command -v jq >/dev/null || { echo "skipped: needs curl and jq"; exit 77; }

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$TMP"; }
trap cleanup EXIT

TOKEN=0123456789abcdef0123456789abcdef
echo "$TOKEN" >"$TMP/admin-token"
chmod 600 "$TMP/admin-token"
# start NAME ARGS...: runs a verifier on a free port; sets URL_<NAME>
start() {
  local name="$1"; shift
  : >"$TMP/$name.out"
  "$VT" verifier --listen 127.0.0.1:0 --offline --admin-token-file "$TMP/admin-token" "$@" >"$TMP/$name.out" 2>"$TMP/$name.log" &
  local pid=$!
  PIDS+=("$pid")
  eval "PID_$name=$pid"
  local addr; addr=$(listening "$TMP/$name.out" "verifier $name" "$TMP/$name.log") || exit 1
  eval "URL_$name=http://$addr"
}
# http METHOD URL [curl args...]: body in $TMP/body, status in $TMP/out
http() {
  local m="$1" u="$2"; shift 2
  curl -s -o "$TMP/body" -w '%{http_code}' -X "$m" "$@" "$u" >"$TMP/out"
  cat "$TMP/body" >>"$TMP/out"
}
status_is() { # WANT DESCRIPTION
  if [ "$(head -c 3 "$TMP/out")" = "$1" ]; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL: $2: wanted HTTP $1, got: $(head -c 300 "$TMP/out")"; fi
}
json_error_is() { # CODE DESCRIPTION: the body is {"error":{"code":CODE,"message":...}}
  if [ "$(jq -r '.error.code' "$TMP/body" 2>/dev/null)" = "$1" ] && [ -n "$(jq -r '.error.message' "$TMP/body")" ]; then
    passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $2: wanted error $1, got: $(head -c 300 "$TMP/body")"; fi
}

start main --trust-sim --threads 2 --rate 1000
U=$URL_main
A="Authorization: Bearer $TOKEN"
MODEL=$(printf 'a%.0s' $(seq 64))
OTHER=$(printf 'b%.0s' $(seq 64))

# One process serves a SQLite database (its challenges live in that process): a second
# verifier on the same database exits at once, naming the first.
expect 1 "a second verifier on the same SQLite database" -- timeout 10 "$VT" verifier --listen 127.0.0.1:0 --offline \
  --admin-token-file "$TMP/admin-token"
contains "served by another verifier (pid $PID_main)" "the refusal names the verifier serving it"
contains "postgres" "the refusal says what serves several"
expect 0 "help" -- "$VT" verifier --help
expect 2 "verifier without --listen" -- "$VT" verifier
http GET "$U/healthz"; status_is 200 "healthz"; contains '"sqlite"' "healthz names the store"

# Environments: admin token required; bad input refused with JSON errors.
http PUT "$U/v1/environments/dev" -d '{"allow_simulated":true}'; status_is 401 "PUT without token"; json_error_is unauthorized "401 body"
http PUT "$U/v1/environments/dev" -H "Authorization: Bearer wrong-token-wrong-token" -d '{}'; status_is 403 "PUT wrong token"; json_error_is forbidden "403 body"
http PUT "$U/v1/environments/dev" -H "$A" -d '{"allow_simulated":tru'; status_is 400 "bad JSON environment"
http PUT "$U/v1/environments/dev" -H "$A" -d '{"allow_simulated":true,"bogus":1}'; status_is 400 "unknown field"; json_error_is invalid_environment "invalid env code"
http PUT "$U/v1/environments/dev" -H "$A" -d "{\"allow_simulated\":true,\"components\":{\"model\":[\"$MODEL\"]}}"; status_is 200 "PUT dev"
expect 0 "env create with flags" -- "$VT" env create strict --verifier "$U" --admin-token-file "$TMP/admin-token" --allow-simulated --model "$OTHER"
expect 0 "env create short lifetime" -- "$VT" env create brief --verifier "$U" --admin-token-file "$TMP/admin-token" --allow-simulated --passport-lifetime 60
echo "not-the-admin-token-at-all" >"$TMP/wrong-token"
chmod 600 "$TMP/wrong-token"
expect 1 "env create with a wrong token is refused" -- "$VT" env create x --verifier "$U" --admin-token-file "$TMP/wrong-token"
contains "forbidden" "wrong token: forbidden"
expect 0 "env show" -- "$VT" env show dev --verifier "$U"
contains "$MODEL" "env show has the model digest"
expect 0 "env list" -- "$VT" env list --verifier "$U"
contains "strict" "env list"
http GET "$U/v1/environments/nope"; status_is 404 "unknown environment"; json_error_is environment_unknown "404 code"
# The signed form (docs/verifier.md "Signed environments"): a compact JWS by a key of the served
# JWKS, typ veritee-environment+jwt, carrying the document GET /v1/environments/dev serves.
b64d() { local s; s=$(tr '_-' '/+' <<<"$1"); while [ $(( ${#s} % 4 )) -ne 0 ]; do s="$s="; done; base64 -d <<<"$s"; }
curl -s -D "$TMP/hdr" -o "$TMP/envtok" "$U/v1/environments/dev/signed"
IFS=. read -r EH EP ES <"$TMP/envtok"
[ -n "$ES" ] && grep -qi '^content-type: application/jose' "$TMP/hdr" &&
  [ "$(b64d "$EH" | jq -r .typ)" = veritee-environment+jwt ] &&
  curl -s "$U/.well-known/jwks.json" | jq -e --arg k "$(b64d "$EH" | jq -r .kid)" '.keys[]|select(.kid==$k)' >/dev/null &&
  [ "$(b64d "$EP" | jq -r .sub)" = dev ] &&
  [ "$(b64d "$EP" | jq -c .environment)" = "$(curl -s "$U/v1/environments/dev" | jq -c .)" ] &&
  passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: signed environment: $(cat "$TMP/hdr" "$TMP/envtok")"; }
# Its revision ("rev"): one more at every PUT, the same document put again too.
REV1=$(b64d "$EP" | jq -r .rev)
http PUT "$U/v1/environments/dev" -H "$A" -d "{\"allow_simulated\":true,\"components\":{\"model\":[\"$MODEL\"]}}"; status_is 200 "PUT dev again"
IFS=. read -r EH EP ES < <(curl -s "$U/v1/environments/dev/signed")
[[ "$REV1" =~ ^[1-9][0-9]*$ ]] && [ "$(b64d "$EP" | jq -r .rev)" = $((REV1 + 1)) ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: the revision after a PUT: $REV1, then $(b64d "$EP" | jq -c .)"; }
http GET "$U/v1/environments/nope/signed"; status_is 404 "unknown signed environment"; json_error_is environment_unknown "404 code (signed)"

# Attester side: mock register extended by the log, then a passport.
expect 0 "log append (mock register)" -- "$VT" log append --log "$TMP/log.json" --component model --name llm --digest "$MODEL" --extend mock
expect 0 "attest mock" -- "$VT" attest --verifier "$U" --environment dev --log "$TMP/log.json" --out "$TMP/mock.jwt"
contains "affirming" "mock passport affirming"
MOCK_ID=$(sed -n 's/^passport \(pass-[0-9a-f]*\):.*/\1/p' "$TMP/out")
expect 0 "passport show" -- "$VT" passport show "$MOCK_ID" --verifier "$U"
contains "NOT hardware attested" "show says mock is not hardware"
contains "$MODEL" "show lists the model digest"
expect 0 "passport show --attestation --json" -- "$VT" passport show "$MOCK_ID" --attestation --json --verifier "$U"
contains '"platform_claims"' "attestation adds platform claims"
expect 0 "passport verify (served JWKS)" -- "$VT" passport verify "$TMP/mock.jwt" --jwks "$U/.well-known/jwks.json"
contains "signature    valid" "passport verifies"
expect 0 "env verify fresh" -- "$VT" env verify dev --verifier "$U"
contains "fresh" "env verify says fresh"
http GET "$U/v1/passports/$MOCK_ID"; status_is 200 "GET passport"
[ "$(jq -r '.measurements.model.digest' "$TMP/body")" = "$MODEL" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: measurements.model"; }
http GET "$U/v1/passports?environment=dev&limit=5"; status_is 200 "list passports"
[ "$(jq -r '.passports[0].id' "$TMP/body")" = "$MOCK_ID" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: newest first"; }
http GET "$U/v1/passports/pass-00"; status_is 404 "unknown passport"

# Simulated TDX in the real quote format: RTMR3 = the log's replay.  The environment dev pins no
# TD image (MRTD, RTMR1, RTMR2): any image would pass, so the passport is at most a warning.
expect 1 "attest sim tdx, no image reference values" -- "$VT" attest --verifier "$U" --environment dev --log "$TMP/log.json" --platform tdx --simulate --out "$TMP/tdxwarn.jwt" --json
contains '"tee_type": "tdx"' "tdx passport"
contains '"status": "warning"' "no image reference values: warning, not affirming"
contains "no reference value for mrtd, rtmr1, rtmr2" "warning names the unpinned registers"
expect 1 "a warning passport is refused by default" -- "$VT" passport verify "$TMP/tdxwarn.jwt" --verifier "$U"
contains "is warning, not affirming" "refusal names the status"
expect 0 "a warning passport with --accept-warning" -- "$VT" passport verify "$TMP/tdxwarn.jwt" --verifier "$U" --accept-warning
mapfile -t image < <(sim_tdx_image_args)
expect 0 "env create tdx (image pinned)" -- "$VT" env create tdx --verifier "$U" --admin-token-file "$TMP/admin-token" --allow-simulated --model "$MODEL" "${image[@]}"
expect 0 "attest sim tdx" -- "$VT" attest --verifier "$U" --environment tdx --log "$TMP/log.json" --platform tdx --simulate --out "$TMP/tdx.jwt" --json
contains '"status": "affirming"' "tdx affirming with the image pinned"
expect 0 "verify tdx passport" -- "$VT" passport verify "$TMP/tdx.jwt" --verifier "$U" --json
contains '"hardware_attested": false' "simulated is not hardware"

# Refusals, each naming the component; a contraindicated TEE gets no passport.
expect 1 "debug TD" -- "$VT" attest --verifier "$U" --environment tdx --log "$TMP/log.json" --platform tdx --simulate --debug
contains "no passport: contraindicated" "debug TD contraindicated, no passport"
contains "debug" "debug named"
expect 1 "wrong model digest" -- "$VT" attest --verifier "$U" --environment strict --log "$TMP/log.json" --out "$TMP/strict.jwt"
contains "contraindicated" "wrong model contraindicated"
contains "model" "model named"
[ ! -e "$TMP/strict.jwt" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: a contraindicated attest wrote a token"; }
http GET "$U/v1/passports?environment=strict"; status_is 200 "list strict passports"
[ "$(jq '.passports | length' "$TMP/body")" = 0 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: a contraindicated appraisal stored a passport: $(head -c 300 "$TMP/body")"; }
jq ".events[0].digest = \"$OTHER\"" "$TMP/log.json" >"$TMP/tampered.json"
expect 1 "tampered log" -- "$VT" attest --verifier "$U" --environment dev --log "$TMP/tampered.json"
contains "contraindicated" "tampered log contraindicated"
contains "measurement log does not match" "tampered log: the log check is named"
expect 1 "env verify of an environment whose attests were all refused" -- "$VT" env verify strict --verifier "$U"
contains "has no passport" "env verify: nothing was issued"

# Expiry: a 60-second passport checked two hours later.
expect 0 "attest brief" -- "$VT" attest --verifier "$U" --environment brief --log "$TMP/log.json" --out "$TMP/brief.jwt"
LATER=$(( $(date +%s) + 7200 ))
expect 1 "expired passport" -- "$VT" passport verify "$TMP/brief.jwt" --verifier "$U" --at "@$LATER"
contains "expired" "expiry named"
expect 1 "env verify expired" -- "$VT" env verify brief --verifier "$U" --at "@$LATER"
contains "expired" "env verify expired"

# Nonces over raw HTTP: the documented binding SHA-512(nonce || X||Y), a PEM key, replay.
openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl pkey -out "$TMP/k.pem" 2>/dev/null
openssl pkey -in "$TMP/k.pem" -pubout -out "$TMP/k.pub" 2>/dev/null
XY=$(openssl pkey -pubin -in "$TMP/k.pub" -outform DER 2>/dev/null | tail -c 64 | od -An -tx1 | tr -d ' \n')
http POST "$U/v1/challenge"; status_is 201 "challenge"
N=$(jq -r .nonce "$TMP/body")
[ ${#N} -eq 64 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: nonce is 32 bytes hex"; }
expect 0 "mock evidence for the raw request" -- "$VT" attest --platform mock --nonce "$N" --pubkey "$XY" --out "$TMP/raw.bin"
jq -n --arg ev "$(base64 -w0 "$TMP/raw.bin")" --arg n "$N" --rawfile pk "$TMP/k.pub" --slurpfile log "$TMP/log.json" \
  '{evidence:$ev, platform:"mock", nonce:$n, public_key:$pk, environment:"dev", log:$log[0]}' >"$TMP/req.json"
http POST "$U/v1/attest" --data-binary @"$TMP/req.json"; status_is 201 "raw attest"
[ "$(jq -r .status "$TMP/body")" = affirming ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: raw attest affirming: $(head -c 400 "$TMP/body")"; }
http POST "$U/v1/attest" --data-binary @"$TMP/req.json"; status_is 409 "replayed nonce"; json_error_is nonce_used "replay code"
jq '.nonce = "00000000000000000000000000000000000000000000000000000000000000ff"' "$TMP/req.json" >"$TMP/req2.json"
http POST "$U/v1/attest" --data-binary @"$TMP/req2.json"; status_is 400 "unknown nonce"; json_error_is nonce_unknown "unknown nonce code"

# A contraindicated appraisal over raw HTTP: 403 with the appraisal, no token, nothing stored.
raw_attest() { # ENV PLATFORM OUT [x SIM-FLAGS...]: POST /v1/attest with a fresh nonce
  local n coll='{}' ev="$3"
  http POST "$U/v1/challenge"; n=$(jq -r .nonce "$TMP/body")
  case "$2" in
    mock) "$VT" attest --platform mock --nonce "$n" --pubkey "$XY" --out "$3" >/dev/null ;;
    sevsnp) rm -rf "$3"; "$VT" sim sevsnp --nonce "$n" --pubkey "$XY" --out "$3" "${@:5}" >/dev/null
            ev="$3/report.bin"
            coll=$(jq -n --arg v "$(base64 -w0 "$3/collateral/vcek.pem")" --arg a "$(base64 -w0 "$3/collateral/ask.pem")" \
                   '{"vcek.pem":$v, "ask.pem":$a}') ;;
    tdx) rm -rf "$3"; "$VT" sim tdx --nonce "$n" --pubkey "$XY" --log "$TMP/log.json" --out "$3" "${@:5}" >/dev/null
         ev="$3/quote.bin"
         for f in "$3"/collateral/*; do
           coll=$(jq --arg k "${f##*/}" --arg v "$(base64 -w0 "$f")" '. + {($k): $v}' <<<"$coll")
         done ;;
    tpm) rm -rf "$3"; "$VT" sim azure --nonce "$n" --pubkey "$XY" --out "$3" "${@:5}" >/dev/null
         ev="$3/evidence.json"
         for f in "$3"/collateral/*; do
           coll=$(jq --arg k "${f##*/}" --arg v "$(base64 -w0 "$f")" '. + {($k): $v}' <<<"$coll")
         done ;;
  esac
  # SEV-SNP has no runtime register a log could extend, and the simulated Azure CVM's PCR 23 holds
  # no log: no log, and their environments list no components.
  jq -n --arg ev "$(base64 -w0 "$ev")" --arg n "$n" --arg p "$2" --rawfile pk "$TMP/k.pub" --slurpfile log "$TMP/log.json" \
    --arg env "$1" --argjson coll "$coll" \
    '{evidence:$ev, platform:$p, nonce:$n, public_key:$pk, environment:$env, collateral:$coll}
     + (if $p == "sevsnp" or $p == "tpm" then {} else {log:$log[0]} end)' >"$TMP/rawreq.json"
  http POST "$U/v1/attest" --data-binary @"$TMP/rawreq.json"
}
raw_attest strict mock "$TMP/raw2.bin"; status_is 403 "contraindicated: 403"; json_error_is contraindicated "403 code"
[ "$(jq -r '.status' "$TMP/body")" = contraindicated ] && [ "$(jq -r '.token' "$TMP/body")" = null ] &&
  [ "$(jq -r '.submods.model.trustworthiness_vector."file-system"' "$TMP/body")" = 96 ] &&
  passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: 403 body: $(head -c 400 "$TMP/body")"; }
http GET "$U/v1/passports?environment=strict"
[ "$(jq '.passports | length' "$TMP/body")" = 0 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: raw 403 stored a passport"; }

# SEV-SNP policy knobs over the verifier (simulated reports; the measurement is pinned).
SNPM=2287ed08aa837acf1a8262cfe105e62c693af05f93d8f3fc788ac551c91cdc422be880ea90c14864aa934183cfc6b902
expect 0 "env create snp" -- "$VT" env create snp --verifier "$U" --admin-token-file "$TMP/admin-token" --allow-simulated \
  --register "measurement=$SNPM"
raw_attest snp sevsnp "$TMP/snp0" x; status_is 201 "sevsnp VMPL 0: passport"
[ "$(jq -r .status "$TMP/body")" = affirming ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: sevsnp VMPL 0 affirming: $(head -c 400 "$TMP/body")"; }
raw_attest snp sevsnp "$TMP/snp1" x --vmpl 1; status_is 403 "sevsnp VMPL 1 refused by the default policy"
contains "VMPL 1; environment snp accepts at most VMPL 0" "VMPL named"
raw_attest snp sevsnp "$TMP/snpma" x --migration-agent; status_is 403 "migration agent refused by default"
contains "migration agent" "migration agent named"
expect 0 "env create snp-smt" -- "$VT" env create snp-smt --verifier "$U" --admin-token-file "$TMP/admin-token" --allow-simulated \
  --register "measurement=$SNPM" --sevsnp-refuse-smt --sevsnp-max-vmpl 1
raw_attest snp-smt sevsnp "$TMP/snps" x --vmpl 1; status_is 403 "SMT refused when the environment says so"
contains "allows SMT" "SMT named"
raw_attest snp-smt sevsnp "$TMP/snpn" x --vmpl 1 --no-smt; status_is 201 "no SMT, VMPL 1 allowed by the environment"
# REPORTED_TCB of the simulator (bl 3, tee 0, snp 8, ucode 115) against the environment's minimum.
expect 0 "env create snp-tcb" -- "$VT" env create snp-tcb --verifier "$U" --admin-token-file "$TMP/admin-token" --allow-simulated \
  --register "measurement=$SNPM" --sevsnp-min-tcb milan:bootloader=3,tee=0,snp=8,microcode=116
raw_attest snp-tcb sevsnp "$TMP/snpt" x; status_is 403 "REPORTED_TCB below the minimum"
[ "$(jq -r .tcb_status "$TMP/body")" = OutOfDate ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: OutOfDate: $(head -c 400 "$TMP/body")"; }
contains "microcode SPL 115 is below the Milan minimum 116" "component named"
expect 0 "env create snp-tcb (met)" -- "$VT" env create snp-tcb --verifier "$U" --admin-token-file "$TMP/admin-token" --allow-simulated \
  --register "measurement=$SNPM" --sevsnp-min-tcb milan:bootloader=3,tee=0,snp=8,microcode=115
raw_attest snp-tcb sevsnp "$TMP/snpu" x; status_is 201 "REPORTED_TCB at the minimum"
[ "$(jq -r .tcb_status "$TMP/body")" = UpToDate ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: UpToDate: $(head -c 400 "$TMP/body")"; }
expect 2 "bad --sevsnp-min-tcb" -- "$VT" env create bad --verifier "$U" --admin-token-file "$TMP/admin-token" --sevsnp-min-tcb naples:bootloader=1
contains "not a product line" "bad product named"

# TDX TD_ATTRIBUTES under the default mask: SEPT_VE_DISABLE must be set, DEBUG clear; PKS, KL and
# PERFMON are not in the default mask.
expect 0 "sim tdx without SEPT_VE_DISABLE" -- "$VT" sim tdx --td-attributes 0000000000000000 --out "$TMP/nosept"
expect 0 "inspect" -- "$VT" inspect "$TMP/nosept/quote.bin"
contains '"td_attributes": "0000000000000000"' "sim --td-attributes"
raw_attest tdx tdx "$TMP/tdx0" x; status_is 201 "TD with SEPT_VE_DISABLE: passport"
raw_attest tdx tdx "$TMP/tdx1" x --td-attributes 0000000000000000; status_is 403 "TD without SEPT_VE_DISABLE refused"
contains "SEPT_VE_DISABLE clear" "attribute named"
raw_attest tdx tdx "$TMP/tdx2" x --td-attributes 000000d000000080; status_is 201 "PKS, KL, PERFMON outside the default mask"
expect 0 "env create tdx-strict" -- "$VT" env create tdx-strict --verifier "$U" --admin-token-file "$TMP/admin-token" \
  --allow-simulated --model "$MODEL" "${image[@]}" --tdx-td-attributes 0000001000000000/010000d000000080
raw_attest tdx-strict tdx "$TMP/tdx3" x --td-attributes 000000d000000080; status_is 403 "PKS, KL, PERFMON refused when the mask says so"
contains "PKS set, KL set, PERFMON set" "each bit named"

# Azure CVMs: the SEV-SNP report or TD beneath the HCL report is judged by the same rules; as Azure
# makes them (SEV-SNP: SMT, VMPL 0; TDX: TD_ATTRIBUTES 0) they pass the defaults.
expect 0 "env create azure" -- "$VT" env create azure --verifier "$U" --admin-token-file "$TMP/admin-token" --allow-simulated
raw_attest azure tpm "$TMP/az0" x; status_is 201 "Azure SEV-SNP CVM: passport"
raw_attest azure tpm "$TMP/az1" x --vmpl 1; status_is 403 "Azure CVM at VMPL 1 refused"
contains "sevsnp report is from VMPL 1; environment azure accepts at most VMPL 0" "VMPL named"
raw_attest azure tpm "$TMP/az2" x --migration-agent; status_is 403 "Azure CVM with a migration agent refused"
contains "migration agent" "migration agent named"
raw_attest azure tpm "$TMP/az3" x --debug; status_is 403 "debug Azure CVM refused"
contains "debug TEE" "debug named"
raw_attest azure tpm "$TMP/az4" x --tdx; status_is 201 "Azure TDX CVM (TD_ATTRIBUTES 0): passport"
raw_attest azure tpm "$TMP/az5" x --tdx --debug; status_is 403 "debug Azure TD refused"
contains "debug TEE" "TD debug named"
expect 0 "env create azure-td" -- "$VT" env create azure-td --verifier "$U" --admin-token-file "$TMP/admin-token" \
  --allow-simulated --azure-tdx-td-attributes 0000000000000000/0100002000000000
raw_attest azure-td tpm "$TMP/az6" x --tdx --td-attributes 0000002000000000; status_is 403 "MIGRATABLE refused when pinned"
contains "Azure CVM td_attributes 0x0000000020000000" "Azure TD attribute named"

# Stateless verification: the same JSON as `veritee verify --json`.
jq -n --arg ev "$(base64 -w0 "$TMP/raw.bin")" --arg n "$N" --rawfile pk "$TMP/k.pub" '{evidence:$ev, nonce:$n, public_key:$pk}' >"$TMP/v.json"
http POST "$U/v1/verify" --data-binary @"$TMP/v.json"; status_is 200 "stateless verify"
[ "$(jq -r .verdict "$TMP/body")" = affirming ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: verify affirming"; }
jq '.nonce = "ff"' "$TMP/v.json" >"$TMP/v2.json"
http POST "$U/v1/verify" --data-binary @"$TMP/v2.json"; status_is 200 "stateless verify, wrong nonce"
contains '"report_data"' "wrong nonce names report_data"

# Limits and errors: every one a JSON body with a stable code.
http POST "$U/v1/attest" -d '{"evidence":'; status_is 400 "bad JSON"; json_error_is bad_json "bad JSON code"
head -c 1200000 /dev/zero | tr '\0' 'a' >"$TMP/big"
http POST "$U/v1/verify" --data-binary @"$TMP/big"; status_is 413 "oversized body"; json_error_is body_too_large "413 code"
http GET "$U/v1/nothing"; status_is 404 "unknown route"; json_error_is not_found "404 code"
http DELETE "$U/v1/challenge"; status_is 405 "wrong method"; json_error_is method_not_allowed "405 code"

# Key rotation (SIGHUP): the old passport still verifies, new ones use the new key.
OLDKID=$(jq -r '.keys[0].kid' <(curl -s "$U/.well-known/jwks.json"))
kill -HUP "$PID_main"
for _ in $(seq 100); do grep -q "signing key rotated" "$TMP/main.log" && break; sleep 0.05; done
http GET "$U/.well-known/jwks.json"; status_is 200 "jwks"
[ "$(jq '.keys | length' "$TMP/body")" -ge 2 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: rotated JWKS keeps the old key"; }
expect 0 "old passport verifies after rotation" -- "$VT" passport verify "$TMP/mock.jwt" --verifier "$U"
expect 0 "attest after rotation" -- "$VT" attest --verifier "$U" --environment dev --log "$TMP/log.json" --out "$TMP/new.jwt"
NEWKID=$(cut -d. -f1 "$TMP/new.jwt" | tr '_-' '/+' | base64 -d 2>/dev/null | jq -r .kid)
[ -n "$NEWKID" ] && [ "$NEWKID" != "$OLDKID" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: new passports use the new key ($OLDKID / $NEWKID)"; }

http GET "$U/metrics"; status_is 200 "metrics"
contains 'verifier_verdicts_total{platform="tdx",status="affirming"}' "verdicts by platform"
contains 'http_requests_total{route="/v1/attest"' "requests by route"
contains 'http_request_duration_seconds_bucket' "latency histogram"
contains 'verifier_log_commits_total{result="ok"}' "log commits"
contains 'verifier_log_commit_seconds_bucket' "log commit time"
contains 'verifier_log_queued 0' "nothing left queued for the log"
ms=$(awk '$1 == "verifier_log_size" {print $2}' "$TMP/body")
me=$(awk '$1 == "verifier_log_entries_total" {print $2}' "$TMP/body")
cs=$(curl -s "$U/v1/log/checkpoint" | sed -n 2p)
[ -n "$cs" ] && [ "$ms" = "$cs" ] && [ "$me" = "$cs" ] && passed=$((passed + 1)) || {
  failed=$((failed + 1)); echo "FAIL: verifier_log_size $ms and verifier_log_entries_total $me, the checkpoint says $cs"; }
grep -q '"request_id"' "$TMP/main.log" && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: access log"; }

# A second instance, on its own state (one process serves a SQLite database): rate limit.
start slow --state "$TMP/slow-state" --trust-sim --threads 1 --rate 0.5 --burst 3 --challenge-ttl 1
codes=""
for _ in 1 2 3 4 5 6; do codes="$codes $(curl -s -o "$TMP/body" -w '%{http_code}' "$URL_slow/.well-known/jwks.json")"; done
case "$codes" in *429*) passed=$((passed + 1)); json_error_is rate_limited "429 code" ;; *) failed=$((failed + 1)); echo "FAIL: no 429 in:$codes" ;; esac
# /healthz is not rate limited (it must answer under load), and a forged gateway authorization is 401
code=$(curl -s -o /dev/null -w '%{http_code}' "$URL_slow/healthz"); [ "$code" = 200 ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: /healthz while rate limited: $code"; }
code=$(curl -s -o "$TMP/body" -w '%{http_code}' -H 'Authorization: Veritee-Gateway passport=a.b.c, ts=1, sig=AAAA' \
  -X POST -d '{"receipts":["x"]}' "$URL_slow/v1/receipts:batch")
[ "$code" = 401 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: forged gateway authorization: $code"; }

# Clean shutdown on SIGTERM.
kill -TERM "$PID_main"
wait "$PID_main"; rc=$?
[ "$rc" -eq 0 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: SIGTERM exit $rc"; }
grep -q "shutting down" "$TMP/main.log" && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: shutdown logged"; }
# every line the verifiers logged is one JSON object (start-up warnings and libevent's messages too)
for f in "$TMP"/*.log; do
  n=$(grep -cv '^{' "$f")
  [ "$n" = 0 ] && passed=$((passed + 1)) ||
    { failed=$((failed + 1)); echo "FAIL: $(basename "$f"): $n log lines are not JSON"; grep -v '^{' "$f" | head -3; }
done
finish
