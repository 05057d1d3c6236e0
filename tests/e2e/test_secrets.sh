#!/usr/bin/env bash
# Secrets hygiene of `veritee verifier` and `veritee env` (issue 9, finding 8):
# private state files and directory, the admin token file's mode, no core
# dumps, and revoking a signing key at once.
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null && command -v jq >/dev/null || { echo "skipped: needs curl and jq"; exit 77; }

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$TMP"; }
trap cleanup EXIT
umask 022 # what a shell usually has: files the program creates must be private anyway
export VERITEE_STATE="$TMP/vstate" # the verifier's, and the mock attester's key and register

mode_is() { # WANT FILE DESCRIPTION
  local got; got=$(stat -c %a "$2" 2>/dev/null)
  if [ "$got" = "$1" ]; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL: $3: $2 has mode ${got:-(missing)}, wanted $1"; fi
}
core_off() { # PID DESCRIPTION: RLIMIT_CORE is 0, soft and hard
  if grep -Eq '^Max core file size +0 +0 ' "/proc/$1/limits"; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL: $2: $(grep 'core file' "/proc/$1/limits")"; fi
}
# start NAME STATE: a verifier on a free port; sets URL_NAME and PID_NAME
start() {
  local name="$1" state="$2"
  : >"$TMP/$name.out"
  "$VT" verifier --listen 127.0.0.1:0 --offline --admin-token-file "$TMP/admin-token" --trust-sim --state "$state" --quiet \
    >"$TMP/$name.out" 2>"$TMP/$name.log" &
  local pid=$!
  PIDS+=("$pid")
  eval "PID_$name=$pid"
  local addr; addr=$(listening "$TMP/$name.out" "verifier $name" "$TMP/$name.log") || exit 1
  eval "URL_$name=http://$addr"
}
kid_of() { cut -d. -f1 "$1" | tr '_-' '/+' | base64 -d 2>/dev/null | jq -r .kid; }

TOKEN=0123456789abcdef0123456789abcdef
A="Authorization: Bearer $TOKEN"
echo "$TOKEN" >"$TMP/admin-token"

# --- the admin token file must not be readable by others ---
chmod 644 "$TMP/admin-token"
expect 2 "verifier refuses a 0644 token file" -- timeout 20 "$VT" verifier --listen 127.0.0.1:0 --admin-token-file "$TMP/admin-token" \
  --state "$TMP/never"
contains "$TMP/admin-token" "names the token file"
contains "chmod 600" "says how to fix it"
chmod 640 "$TMP/admin-token"
expect 2 "verifier refuses a 0640 token file" -- timeout 20 "$VT" verifier --listen 127.0.0.1:0 --admin-token-file "$TMP/admin-token" \
  --state "$TMP/never"
chmod 600 "$TMP/admin-token"

# --- a state directory that exists with a wide mode is tightened; files are 0600 ---
mkdir -p "$TMP/vstate" && chmod 755 "$TMP/vstate"
start main "$TMP/vstate"
U=$URL_main
mode_is 700 "$TMP/vstate" "an existing state directory is tightened"
mode_is 700 "$TMP/vstate/verifier-keys" "key directory"
for f in "$TMP"/vstate/verifier-keys/*.pem "$TMP/vstate/verifier-keys/ring.json" "$TMP/vstate/verifier.db"; do
  mode_is 600 "$f" "state file $(basename "$f")"
done
core_off "$PID_main" "the verifier cannot dump core"

MODEL=$(printf 'a%.0s' $(seq 64))
expect 0 "env create" -- "$VT" env create dev --verifier "$U" --admin-token-file "$TMP/admin-token" --allow-simulated \
  --model "$MODEL"
for f in verifier.db-wal verifier.db-shm; do mode_is 600 "$TMP/vstate/$f" "SQLite $f"; done
chmod 644 "$TMP/admin-token"
expect 2 "env create refuses a 0644 token file" -- "$VT" env create dev2 --verifier "$U" \
  --admin-token-file "$TMP/admin-token" --allow-simulated
contains "chmod 600" "env: says how to fix it"
chmod 600 "$TMP/admin-token"

# --- a state directory owned by another user is refused ---
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$TMP/foreign" && chown 65534 "$TMP/foreign"
  expect 1 "a state directory owned by another user is refused" -- timeout 20 "$VT" verifier --listen 127.0.0.1:0 \
    --state "$TMP/foreign"
  contains "owned by uid 65534" "names the owner"
fi

# --- revocation: the key is gone from the JWKS at once, a new key signs ---
"$VT" log append --log "$TMP/log.json" --component model --name llm --digest "$MODEL" \
  --extend mock >/dev/null
expect 0 "attest (mock)" -- "$VT" attest --verifier "$U" --environment dev --log "$TMP/log.json" --out "$TMP/p1.jwt"
KID1=$(kid_of "$TMP/p1.jwt")
expect 0 "the passport verifies before revocation" -- "$VT" passport verify "$TMP/p1.jwt" --verifier "$U"
http() { curl -s -o "$TMP/body" -w '%{http_code}' -X "$@" >"$TMP/out"; }
http POST "$U/v1/admin/keys/$KID1/revoke"
contains 401 "revocation needs the admin token"
http POST "$U/v1/admin/keys/$KID1/revoke" -H "Authorization: Bearer not-the-admin-token-at-all"
contains 403 "revocation with a wrong token is forbidden"
http POST "$U/v1/admin/keys/$KID1/revoke" -H "$A"
contains 200 "revoke the current key"
KID2=$(jq -r .current "$TMP/body")
[ -n "$KID2" ] && [ "$KID2" != "$KID1" ] && [ "$(jq -r .revoked "$TMP/body")" = "$KID1" ] &&
  passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: revoke reply: $(cat "$TMP/body")"; }
if curl -s "$U/.well-known/jwks.json" | jq -e --arg k "$KID1" '[.keys[].kid] | index($k) == null' >/dev/null; then
  passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: the revoked key is still published"; fi
[ ! -e "$TMP/vstate/verifier-keys/$KID1.pem" ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: the revoked key's file is still there"; }
expect 1 "a passport signed by the revoked key no longer verifies" -- "$VT" passport verify "$TMP/p1.jwt" --verifier "$U"
expect 0 "attest after revocation" -- "$VT" attest --verifier "$U" --environment dev --log "$TMP/log.json" --out "$TMP/p2.jwt"
[ "$(kid_of "$TMP/p2.jwt")" = "$KID2" ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: new passports use the new key"; }
expect 0 "the new passport verifies" -- "$VT" passport verify "$TMP/p2.jwt" --verifier "$U"
http POST "$U/v1/admin/keys/$KID1/revoke" -H "$A"
contains 404 "revoking it again: unknown key"
http POST "$U/v1/admin/keys/no.such/revoke" -H "$A"
contains 400 "an invalid kid"

# A retired key (after a rotation) can be revoked too, before its 7 days are up.
kill -HUP "$PID_main"
for _ in $(seq 100); do curl -s "$U/.well-known/jwks.json" | jq -e '.keys | length == 2' >/dev/null && break; sleep 0.05; done
expect 0 "a passport of the retired key still verifies" -- "$VT" passport verify "$TMP/p2.jwt" --verifier "$U"
http POST "$U/v1/admin/keys/$KID2/revoke" -H "$A"
contains 200 "revoke a retired key"
expect 1 "its passports no longer verify" -- "$VT" passport verify "$TMP/p2.jwt" --verifier "$U"
curl -s "$U/.well-known/jwks.json" | jq -e '.keys | length == 1' >/dev/null && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: the JWKS still lists the retired key"; }

# A restart loads the ring without the revoked keys.
kill -TERM "$PID_main"; wait "$PID_main" 2>/dev/null
start again "$TMP/vstate"
expect 1 "after a restart the revoked key stays revoked" -- "$VT" passport verify "$TMP/p1.jwt" --verifier "$URL_again"
finish
