#!/usr/bin/env bash
# Revocation the database cannot undo (docs/keys.md): whoever can write the verifier's SQLite
# database, but holds neither its key-encryption key nor its signing keys, edits a resource's
# record; each edit must open nothing.  Failure cases first, the untouched release last.
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null && command -v jq >/dev/null && command -v sqlite3 >/dev/null ||
  { echo "skipped: needs curl, jq and sqlite3"; exit 77; }

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$TMP"; }
trap cleanup EXIT

TOKEN=0123456789abcdef0123456789abcdef
echo "$TOKEN" >"$TMP/admin-token"
chmod 600 "$TMP/admin-token"
DB="$VERITEE_STATE/verifier.db"
# start: the verifier on the state directory (its admin log appended to $TMP/v.log); sets U, PID
start() {
  : >"$TMP/v.out"
  "$VT" verifier --listen 127.0.0.1:0 --offline --admin-token-file "$TMP/admin-token" --trust-sim --quiet \
    >"$TMP/v.out" 2>>"$TMP/v.log" &
  PID=$!
  PIDS+=("$PID")
  U="http://$(listening "$TMP/v.out" verifier "$TMP/v.log")" || exit 1
  ADM=(--verifier "$U" --admin-token-file "$TMP/admin-token")
}
stop() { kill "$PID"; wait "$PID" 2>/dev/null; }
# sql STATEMENT: on the database, beside the running verifier (WAL: it sees the change at once)
sql() { sqlite3 -cmd ".timeout 5000" "$DB" "$1"; }
record() { sql "SELECT json FROM kbs_resources WHERE id = '$1'"; }
# put_back ID JSON: the record as it was
put_back() { sql "UPDATE kbs_resources SET json = '$2' WHERE id = '$1'"; }
release() {
  rm -f "$TMP/got"
  "$VT" key release "$1" --verifier "$U" --passport "$TMP/p.jwt" --key "$TMP/enclave.pem" --out "$TMP/got" >"$TMP/out" 2>&1
}
# refused WHAT ID CLAUSE...: not released, nothing written, and the admin log's last line for ID
# names one of the clauses
refused() {
  local what="$1" id="$2" rc
  shift 2
  release "$id"
  rc=$?
  if [ "$rc" -ne 0 ] && [ ! -e "$TMP/got" ]; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL: $what: released (exit $rc)"; fi
  local line
  line=$(grep "\"resource\":\"$id\"" "$TMP/v.log" | grep '"event":"kbs_' | tail -1)
  for c in "$@"; do
    grep -q "\"clause\":\"$c\"" <<<"$line" && { passed=$((passed + 1)); return; }
  done
  failed=$((failed + 1)); echo "FAIL: $what: the admin log names none of $*: $line"
}
released() {
  release "$1" && cmp -s "$TMP/secret" "$TMP/got" && passed=$((passed + 1)) ||
    { failed=$((failed + 1)); echo "FAIL: $2: not released"; cat "$TMP/out"; }
}

start
MODEL=$(printf 'a%.0s' $(seq 64))
expect 0 "env create" -- "$VT" env create dev "${ADM[@]}" --allow-simulated --model "$MODEL"
expect 0 "log append" -- "$VT" log append --log "$TMP/log.json" --component model --name llm --digest "$MODEL" --extend mock
expect 0 "attest" -- "$VT" attest --verifier "$U" --environment dev --log "$TMP/log.json" --key "$TMP/enclave.pem" --out "$TMP/p.jwt"
head -c 32 /dev/urandom >"$TMP/secret"
chmod 600 "$TMP/secret"
POLICY=(--value-file "$TMP/secret" --environment dev --allow-simulated --min-tcb any --model "$MODEL")
register() { expect 0 "register $1" -- "$VT" key register "$1" "${ADM[@]}" "${POLICY[@]}"; }

# 1. A record whose generation was edited does not open: the generation is bound into the wrap.
register edited
expect 0 "revoke edited" -- "$VT" key revoke edited "${ADM[@]}"
register edited
[ "$(record edited | jq .generation)" = 3 ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: register, revoke, register is not generation 3: $(record edited)"; }
released edited "generation 3"
put_back edited "$(record edited | jq -c '.generation = 4')"
refused "a record whose generation was edited" edited unwrap generation
put_back edited "$(record edited | jq -c '.generation = 3')"
released edited "generation 3 again"
# A record without a generation (registered before generations): refused, register it again.
put_back edited "$(record edited | jq -c 'del(.generation)')"
refused "a record without a generation" edited generation
grep '"resource":"edited"' "$TMP/v.log" | tail -1 | grep -q "register it again" && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: the refusal does not say to register again"; }

finish
