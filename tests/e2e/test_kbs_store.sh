#!/usr/bin/env bash
# The key broker (docs/keys.md) against whoever can write the verifier's database but holds neither
# its signing keys nor its key-encryption key: a passport row altered or copied in, a resource's
# policy loosened, must release nothing.  And a signed release request is one release, whichever of
# the gateway's passports (all naming its one enclave key) it is presented with; a passport signed by
# a revoked key opens nothing.
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null && command -v jq >/dev/null && command -v sqlite3 >/dev/null ||
  { echo "skipped: needs curl, jq and sqlite3"; exit 77; }

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$TMP"; }
trap cleanup EXIT

TOKEN=0123456789abcdef0123456789abcdef
echo "$TOKEN" >"$TMP/admin-token"
chmod 600 "$TMP/admin-token"
# start_verifier NAME STATE: a verifier on a port of its own; sets U_NAME
start_verifier() {
  : >"$TMP/$1.out"
  VERITEE_STATE="$2" "$VT" verifier --listen 127.0.0.1:0 --offline --admin-token-file "$TMP/admin-token" --trust-sim \
    --quiet >"$TMP/$1.out" 2>"$TMP/$1.log" &
  PIDS+=("$!")
  eval "PID_$1=$!"
  local addr
  addr=$(listening "$TMP/$1.out" "verifier $1" "$TMP/$1.log") || exit 1
  eval "U_$1=http://$addr"
}
start_verifier a "$VERITEE_STATE"
start_verifier b "$TMP/state-b"
U="$U_a"
: "${PID_a:?}"
DB="$VERITEE_STATE/verifier.db"
ADM=(--verifier "$U" --admin-token-file "$TMP/admin-token")
MODEL=$(printf 'a%.0s' $(seq 64))

expect 0 "env create dev" -- "$VT" env create dev "${ADM[@]}" --allow-simulated --model "$MODEL"
expect 0 "env create prod" -- "$VT" env create prod "${ADM[@]}" --allow-simulated --model "$MODEL"
expect 0 "log append" -- "$VT" log append --log "$TMP/log.json" --component model --name llm --digest "$MODEL" --extend mock
# Two passports of one gateway (one enclave key), as its renewal holds them side by side.
expect 0 "attest 1" -- "$VT" attest --verifier "$U" --environment dev --log "$TMP/log.json" --key "$TMP/enclave.pem" --out "$TMP/p1.jwt"
expect 0 "attest 2" -- "$VT" attest --verifier "$U" --environment dev --log "$TMP/log.json" --key "$TMP/enclave.pem" --out "$TMP/p2.jwt"
head -c 32 /dev/urandom >"$TMP/secret"
chmod 600 "$TMP/secret"
expect 0 "register dev-key" -- "$VT" key register dev-key "${ADM[@]}" --value-file "$TMP/secret" --environment dev --allow-simulated --min-tcb any --model "$MODEL"
expect 0 "register prod-key" -- "$VT" key register prod-key "${ADM[@]}" --value-file "$TMP/secret" --environment prod --min-tcb any
expect 0 "register dev-hw" -- "$VT" key register dev-hw "${ADM[@]}" --value-file "$TMP/secret" --environment dev --min-tcb any

# release ID PASSPORT KEY: the CLI's release, its output in $TMP/out, the secret in $TMP/got
release() {
  rm -f "$TMP/got"
  "$VT" key release "$1" --verifier "$U" --passport "$2" --key "$3" --out "$TMP/got" >"$TMP/out" 2>&1
}
# refused WHAT ID PASSPORT KEY: the release is refused and nothing is written
refused() {
  local what="$1"
  shift
  release "$@"
  local rc=$?
  if [ "$rc" -ne 0 ] && [ ! -e "$TMP/got" ]; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL: $what: released (exit $rc)"; fi
}

release dev-key "$TMP/p1.jwt" "$TMP/enclave.pem" && cmp -s "$TMP/secret" "$TMP/got" && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: the untouched release"; cat "$TMP/out"; }

# The answer's JWE names the resource in its protected header (the A256GCM associated data): the
# CLI and the gateway refuse an answer that names another (tests/unit/gateway/test_model_keys.c).
"$VT" key release dev-key --verifier "$U" --passport "$TMP/p1.jwt" --key "$TMP/enclave.pem" >"$TMP/reply.json" 2>&1
h=$(jq -r .jwe "$TMP/reply.json" | cut -d. -f1 | tr '_-' '/+')
while [ $((${#h} % 4)) -ne 0 ]; do h="$h="; done
[ "$(base64 -d <<<"$h" 2>/dev/null | jq -r .kid)" = dev-key ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: the JWE's protected header does not name dev-key"; cat "$TMP/reply.json"; }

# A passport that expires within seconds, released to while it is valid (its row is extended below).
expect 0 "env create short" -- "$VT" env create short "${ADM[@]}" --allow-simulated --model "$MODEL" --passport-lifetime 6
expect 0 "attest short" -- "$VT" attest --verifier "$U" --environment short --log "$TMP/log.json" --key "$TMP/short.pem" --out "$TMP/p3.jwt"
expect 0 "attest short 2" -- "$VT" attest --verifier "$U" --environment short --log "$TMP/log.json" --key "$TMP/short.pem" --out "$TMP/p4.jwt"
expect 0 "register short-key" -- "$VT" key register short-key "${ADM[@]}" --value-file "$TMP/secret" --environment short --allow-simulated --min-tcb any --model "$MODEL"
release short-key "$TMP/p3.jwt" "$TMP/short.pem" && cmp -s "$TMP/secret" "$TMP/got" && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: the release before the passport expired"; cat "$TMP/out"; }
P3_EXP=$(cut -d. -f2 "$TMP/p3.jwt" | tr '_-' '/+' | { read -r x; while [ $((${#x} % 4)) -ne 0 ]; do x="$x="; done; base64 -d <<<"$x"; } | jq -r .exp)
[ "$P3_EXP" -gt 0 ] 2>/dev/null || { failed=$((failed + 1)); echo "FAIL: p3 has no exp"; P3_EXP=0; }

# 1. One signed request, presented again with the gateway's other passport: a replay.
release dev-key "$TMP/p2.jwt" "$TMP/enclave.pem" || { failed=$((failed + 1)); echo "FAIL: release with p2"; cat "$TMP/out"; }
"$VT" key release dev-key --verifier "$U" --passport "$TMP/p1.jwt" --key "$TMP/enclave.pem" --out "$TMP/got1" \
  --request-out "$TMP/req.json" >"$TMP/out" 2>&1 || { failed=$((failed + 1)); echo "FAIL: release with p1"; cat "$TMP/out"; }
authz=$(jq -r .authorization "$TMP/req.json" | sed "s|passport=$(cat "$TMP/p1.jwt")|passport=$(cat "$TMP/p2.jwt")|")
grep -qF "$(cat "$TMP/p2.jwt")" <<<"$authz" || { failed=$((failed + 1)); echo "FAIL: the request was not re-addressed"; }
curl -s -o "$TMP/body" -w '%{http_code}' -X POST -H "Authorization: $authz" -H 'Content-Type: application/json' \
  --data-binary "$(jq -r .body "$TMP/req.json")" "$(jq -r .url "$TMP/req.json")" >"$TMP/code"
[ "$(cat "$TMP/code")" = 403 ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: the request replayed under another passport: $(cat "$TMP/code")"; }
grep -q "\"resource\":\"dev-key\",\"passport\":\"pass-[0-9a-f]*\",\"clause\":\"replay\"" "$TMP/a.log" &&
  passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: the replay is not audited"; }

# The writer works on the database with verifier A stopped (the sqlite3 shell beside a running
# verifier is not what is tested here), then A starts again on it.
expect 0 "env create dev at b" -- "$VT" env create dev --verifier "$U_b" --admin-token-file "$TMP/admin-token" --allow-simulated --model "$MODEL"
expect 0 "log append at b" -- env VERITEE_STATE="$TMP/state-b" "$VT" log append --log "$TMP/log-b.json" --component model --name llm --digest "$MODEL" --extend mock
expect 0 "attest at b" -- env VERITEE_STATE="$TMP/state-b" "$VT" attest --verifier "$U_b" --environment dev --log "$TMP/log-b.json" --key "$TMP/thief.pem" --out "$TMP/pb.jwt"
kill "$PID_a"
wait "$PID_a" 2>/dev/null
mv "$TMP/a.log" "$TMP/a1.log"
# 2. The passport's row says prod and hardware; its signed token says dev and simulated.
P1=$(sqlite3 "$DB" "SELECT id FROM passports WHERE token = '$(cat "$TMP/p1.jwt")'")
[ -n "$P1" ] || { failed=$((failed + 1)); echo "FAIL: p1 is not in the database"; }
sqlite3 "$DB" "UPDATE passports SET environment = 'prod', hardware_attested = 1, tee_type = 'tdx' WHERE id = '$P1'"
# 3. A resource's policy loosened (hardware no longer required).
sqlite3 "$DB" "UPDATE kbs_resources SET json = json_set(json, '\$.policy.hardware_attested', json('false')) WHERE id = 'dev-hw'"
[ "$(sqlite3 "$DB" "SELECT json_extract(json, '\$.policy.hardware_attested') FROM kbs_resources WHERE id = 'dev-hw'")" = 0 ] ||
  { failed=$((failed + 1)); echo "FAIL: the policy was not altered"; }
# 4. A passport another verifier issued (to a key of the writer's), copied into this one's table.
cols="id, environment, token, status, issued_at, expires_at, tee_type, hardware_attested, measurement, components, platform_claims"
sqlite3 "$TMP/state-b/verifier.db" ".mode insert passports" "SELECT $cols FROM passports" |
  sed "s/^INSERT INTO passports VALUES/INSERT INTO passports ($cols) VALUES/" | sqlite3 "$DB"
[ -n "$(sqlite3 "$DB" "SELECT id FROM passports WHERE token = '$(cat "$TMP/pb.jwt")'")" ] ||
  { failed=$((failed + 1)); echo "FAIL: the passport was not copied in"; }
# 5. An expired passport's row given another day: admission reads the row, the broker the signed exp.
P3=$(sqlite3 "$DB" "SELECT id FROM passports WHERE token = '$(cat "$TMP/p3.jwt")'")
sqlite3 "$DB" "UPDATE passports SET expires_at = expires_at + 86400 WHERE id = '$P3'"
[ "$(sqlite3 "$DB" "SELECT expires_at FROM passports WHERE id = '$P3'")" -gt $((P3_EXP + 3600)) ] ||
  { failed=$((failed + 1)); echo "FAIL: p3's row was not extended"; }
[ "$(sqlite3 "$DB" "PRAGMA integrity_check")" = ok ] || { failed=$((failed + 1)); echo "FAIL: the database is damaged"; }
start_verifier a "$VERITEE_STATE"
U="$U_a"

refused "a passport row rewritten to prod and hardware" prod-key "$TMP/p1.jwt" "$TMP/enclave.pem"
grep -q "\"resource\":\"prod-key\",\"passport\":\"$P1\",\"clause\":\"environment\"" "$TMP/a.log" &&
  passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: prod-key: the signed environment is not the clause"; }
refused "a policy loosened in the database" dev-hw "$TMP/p2.jwt" "$TMP/enclave.pem"
refused "a passport row copied in from another verifier" dev-key "$TMP/pb.jwt" "$TMP/thief.pem"
grep -q "\"resource\":\"dev-key\",\"passport\":\"pass-[0-9a-f]*\",\"clause\":\"passport\"" "$TMP/a.log" &&
  passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: the copied passport is not the clause"; }
release dev-key "$TMP/p2.jwt" "$TMP/enclave.pem" && cmp -s "$TMP/secret" "$TMP/got" && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: the untouched passport after the restart"; cat "$TMP/out"; }
while [ "$(date +%s)" -le "$P3_EXP" ]; do sleep 0.5; done
refused "an expired passport whose row was extended" short-key "$TMP/p3.jwt" "$TMP/short.pem"
grep "\"resource\":\"short-key\",\"passport\":\"$P3\",\"clause\":\"passport\"" "$TMP/a.log" | grep -q 'expired at' &&
  passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: the expired passport is not the clause"; grep short-key "$TMP/a.log"; }
grep -q '"event":"kbs_released","resource":"short-key"' "$TMP/a.log" &&
  { failed=$((failed + 1)); echo "FAIL: short-key released after the restart"; } || passed=$((passed + 1))
refused "an expired passport" short-key "$TMP/p4.jwt" "$TMP/short.pem"

# 6. The key that signed the passports is revoked: they open nothing.
kid=$(curl -s "$U/.well-known/jwks.json" | jq -r '.keys[0].kid')
curl -s -o /dev/null -X POST -H "Authorization: Bearer $TOKEN" "$U/v1/admin/keys/$kid/revoke"
[ "$(curl -s "$U/.well-known/jwks.json" | jq -r '.keys[0].kid')" != "$kid" ] ||
  { failed=$((failed + 1)); echo "FAIL: the key was not revoked"; }
refused "a passport signed by a revoked key" dev-key "$TMP/p2.jwt" "$TMP/enclave.pem"
grep -q '"event":"kbs_refused","resource":"dev-key","passport":"pass-[0-9a-f]*","clause":"passport"' "$TMP/a.log" &&
  passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: the revoked key's passport is not the clause"; }
finish
