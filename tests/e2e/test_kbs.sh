#!/usr/bin/env bash
# The key broker (docs/keys.md) over HTTP: register a resource with a policy, release it to a
# passport holder that signs a nonce-bound request, refuse everyone else with only "not released"
# (the clause in the admin log), refuse a replayed request, and open the JWE with npm "jose".
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null && command -v jq >/dev/null || { echo "skipped: needs curl and jq"; exit 77; }

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$TMP"; }
trap cleanup EXIT

TOKEN=0123456789abcdef0123456789abcdef
echo "$TOKEN" >"$TMP/admin-token"
chmod 600 "$TMP/admin-token"
"$VT" verifier --listen 127.0.0.1:0 --offline --admin-token-file "$TMP/admin-token" --trust-sim --quiet \
  >"$TMP/v.out" 2>"$TMP/v.log" &
PIDS+=("$!")
U="http://$(listening "$TMP/v.out" verifier "$TMP/v.log")" || exit 1
ADM=(--verifier "$U" --admin-token-file "$TMP/admin-token")
MODEL=$(printf 'a%.0s' $(seq 64))
OTHER=$(printf 'b%.0s' $(seq 64))

# The KEK: made 0600 in the state directory on first start.
[ "$(stat -c %a "$VERITEE_STATE/kbs-kek.key")" = 600 ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: kbs-kek.key is not 0600"; }

# A mock passport (the attester key is ours, so the test can sign release requests with it).
expect 0 "env create" -- "$VT" env create dev "${ADM[@]}" --allow-simulated --model "$MODEL"
expect 0 "log append" -- "$VT" log append --log "$TMP/log.json" --component model --name llm --digest "$MODEL" --extend mock
expect 0 "attest" -- "$VT" attest --verifier "$U" --environment dev --log "$TMP/log.json" --key "$TMP/enclave.pem" --out "$TMP/p.jwt"
head -c 32 /dev/urandom >"$TMP/secret"
chmod 600 "$TMP/secret"

expect 0 "key --help" -- "$VT" key --help
contains "release" "help names release"
expect 2 "register without a policy" -- "$VT" key register model-key "${ADM[@]}" --value-file "$TMP/secret"
expect 2 "register: bad policy" -- "$VT" key register model-key "${ADM[@]}" --value-file "$TMP/secret" --environment dev --min-tcb Sometimes
contains "min_tcb_status" "bad policy names the field"
echo "not-the-admin-token-at-all" >"$TMP/wrong-token"
chmod 600 "$TMP/wrong-token"
expect 1 "register with a wrong admin token" -- "$VT" key register model-key --verifier "$U" --admin-token-file "$TMP/wrong-token" --value-file "$TMP/secret" --environment dev
expect 0 "register (good policy)" -- "$VT" key register model-key "${ADM[@]}" --value-file "$TMP/secret" --environment dev --allow-simulated --min-tcb any --model "$MODEL"
lacks "wrapped" "register answer has no wrapped secret"
expect 0 "register (model differs)" -- "$VT" key register other-model "${ADM[@]}" --value-file "$TMP/secret" --environment dev --allow-simulated --min-tcb any --model "$OTHER"
expect 0 "register (hardware required)" -- "$VT" key register hw-only "${ADM[@]}" --value-file "$TMP/secret" --environment dev --min-tcb any
expect 0 "register (another environment)" -- "$VT" key register prod-only "${ADM[@]}" --value-file "$TMP/secret" --environment prod --allow-simulated --min-tcb any
expect 0 "key list" -- "$VT" key list "${ADM[@]}"
contains "model-key" "list names the resource"
expect 0 "key list --json" -- "$VT" key list "${ADM[@]}" --json
lacks "wrapped" "list shows no wrapped secret"
! grep -qF "$(xxd -p "$TMP/secret" | tr -d '\n')" "$VERITEE_STATE/verifier.db" 2>/dev/null && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: the secret is stored in clear"; }

# Released to the passport holder; decrypts to the registered bytes.
expect 0 "release" -- "$VT" key release model-key --verifier "$U" --passport "$TMP/p.jwt" --key "$TMP/enclave.pem" --out "$TMP/got" --request-out "$TMP/req.json"
cmp -s "$TMP/secret" "$TMP/got" && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: released bytes differ"; }
grep -q '"event":"kbs_released"' "$TMP/v.log" && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: release not audited"; }

# The same signed request again: refused (replay).
curl -s -o "$TMP/body" -w '%{http_code}' -X POST -H "Authorization: $(jq -r .authorization "$TMP/req.json")" \
  -H 'Content-Type: application/json' --data-binary "$(jq -r .body "$TMP/req.json")" "$(jq -r .url "$TMP/req.json")" >"$TMP/code"
[ "$(cat "$TMP/code")" = 403 ] && grep -q '"not released"' "$TMP/body" && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: replay not refused: $(cat "$TMP/code") $(cat "$TMP/body")"; }
grep -q '"clause":"replay"' "$TMP/v.log" && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: replay not audited"; }
# The stolen passport alone (no signature by its key): nothing.
curl -s -o "$TMP/body" -w '%{http_code}' -X POST -d '{"nonce":"AAAAAAAAAAAAAAAAAAAAAA"}' \
  -H "Authorization: Bearer $(cat "$TMP/p.jwt")" "$U/v1/keys/model-key/release" >"$TMP/code"
[ "$(cat "$TMP/code")" = 401 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: passport as bearer: $(cat "$TMP/code")"; }
# ... signed by another key: the gateway scheme refuses the signature.
openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl pkcs8 -topk8 -nocrypt -out "$TMP/thief.pem" 2>/dev/null
chmod 600 "$TMP/thief.pem"
expect 1 "stolen passport, thief's key" -- "$VT" key release model-key --verifier "$U" --passport "$TMP/p.jwt" --key "$TMP/thief.pem" --out "$TMP/x"

# Policy refusals: the caller learns only "not released"; the admin log names the clause.
for r in other-model:measurements.model hw-only:hardware_attested prod-only:environment nothing-here:resource; do
  id=${r%%:*} clause=${r#*:}
  expect 1 "release $id refused" -- "$VT" key release "$id" --verifier "$U" --passport "$TMP/p.jwt" --key "$TMP/enclave.pem" --out "$TMP/x"
  contains "not released" "$id: caller sees not released"
  lacks "$clause" "$id: caller does not see the clause"
  grep -q "\"resource\":\"$id\",\"passport\":\"pass-[0-9a-f]*\",\"clause\":\"$clause\"" "$TMP/v.log" && passed=$((passed + 1)) ||
    { failed=$((failed + 1)); echo "FAIL: $id: clause $clause not in the admin log"; }
done
[ ! -e "$TMP/x" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: a refused release wrote a file"; }

# Revoked: never again.
expect 0 "revoke" -- "$VT" key revoke model-key "${ADM[@]}"
expect 1 "release after revoke" -- "$VT" key release model-key --verifier "$U" --passport "$TMP/p.jwt" --key "$TMP/enclave.pem" --out "$TMP/x"
grep -q '"clause":"revoked"' "$TMP/v.log" && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: revoke not audited"; }

# Releases and refusals are in the transparency log (kind "kbs", a JWS by the verifier).
n=$(curl -s "$U/v1/log/checkpoint" | sed -n 2p)
[ "${n:-0}" -ge 6 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: log size ${n:-?} after releases"; }

# Any JOSE library opens the JWE: npm "jose" (skipped offline).
expect 0 "register again" -- "$VT" key register model-key "${ADM[@]}" --value-file "$TMP/secret" --environment dev --allow-simulated --min-tcb any
expect 0 "release (JWE)" -- "$VT" key release model-key --verifier "$U" --passport "$TMP/p.jwt" --key "$TMP/enclave.pem"
jq -r .jwe "$TMP/out" >"$TMP/jwe"
if command -v node >/dev/null && command -v npm >/dev/null; then
  src="$(cd "$(dirname "$0")/jose" && pwd)"
  cache="${VERITEE_BUILD:-$TMP}/npm-jose"
  mkdir -p "$cache"
  cp "$src/package.json" "$src/decrypt.mjs" "$cache/"
  if [ -d "$cache/node_modules/jose" ] || (cd "$cache" && timeout 120 npm install --no-audit --no-fund --silent >"$TMP/npm.log" 2>&1); then
    openssl pkcs8 -topk8 -nocrypt -in "$TMP/enclave.pem" -out "$TMP/enclave.p8" 2>/dev/null
    expect 0 "npm jose decrypts the JWE" -- node "$cache/decrypt.mjs" "$TMP/enclave.p8" "$TMP/jwe"
    contains "alg=ECDH-ES enc=A256GCM kid=model-key" "jose: header"
    contains "plaintext=$(xxd -p "$TMP/secret" | tr -d '\n')" "jose: plaintext"
  else
    echo "note: npm install jose failed (offline?): JOSE interop not checked"
  fi
else
  echo "note: node/npm not installed: JOSE interop not checked"
fi
finish
