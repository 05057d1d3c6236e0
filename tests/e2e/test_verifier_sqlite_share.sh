#!/usr/bin/env bash
# A running SQLite verifier's database read by another process (an operator's sqlite3 shell, a
# backup): the verifier keeps what it committed (passports, the key broker's replay records, the
# log) and goes on serving.  SQLite's locks are POSIX locks, which a process loses on closing any
# descriptor of the file: a verifier that opened and closed its database file beside its open
# connections held no lock, so the reader took the database for unused and reset its WAL.
. "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || { echo "skipped: needs sqlite3"; exit 77; }

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
DB="$VERITEE_STATE/verifier.db"
MODEL=$(printf 'a%.0s' $(seq 64))

expect 0 "env create" -- "$VT" env create dev --verifier "$U" --admin-token-file "$TMP/admin-token" --allow-simulated --model "$MODEL"
expect 0 "log append" -- "$VT" log append --log "$TMP/log.json" --component model --name llm --digest "$MODEL" --extend mock
for i in 1 2 3 4; do
  expect 0 "attest $i" -- "$VT" attest --verifier "$U" --environment dev --log "$TMP/log.json" --key "$TMP/enclave.pem" --out "$TMP/p$i.jwt"
done
# While it runs, the verifier holds SQLite's lock on its database file (WAL mode: a shared lock
# for as long as a connection is open), which is how another process knows it is not alone.
ino=$(stat -c %i "$DB")
grep -q "POSIX .* ${PIDS[0]} [0-9a-f]*:[0-9a-f]*:$ino " /proc/locks && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: the verifier holds no lock on its database"; grep " ${PIDS[0]} " /proc/locks; }
# Another process reads the database while the verifier runs.
[ "$(sqlite3 "$DB" "SELECT count(*) FROM passports")" = 4 ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: a reader beside the verifier does not see its 4 passports"; }
# ... and writes to it (a row of its own in the replay table, as an operator's repair would).
sqlite3 "$DB" "INSERT INTO kbs_seen (nonce, expires_at) VALUES ('operator', 1)" &&
  [ "$(sqlite3 "$DB" "SELECT count(*) FROM kbs_seen")" = 1 ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: a writer beside the verifier"; }
[ "$(sqlite3 "$DB" "PRAGMA integrity_check")" = ok ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: the database is damaged"; }
# The verifier goes on: the passports it issued are still its own, and it issues more.
for i in 1 4; do
  id=$(sqlite3 "$DB" "SELECT id FROM passports WHERE token = '$(cat "$TMP/p$i.jwt")'")
  code=$(curl -s -o /dev/null -w '%{http_code}' "$U/v1/passports/${id:-none}")
  [ "$code" = 200 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: passport $i after the read: $code"; }
done
for i in 5 6; do
  expect 0 "attest $i after the read" -- "$VT" attest --verifier "$U" --environment dev --log "$TMP/log.json" --key "$TMP/enclave.pem" --out "$TMP/p$i.jwt"
done
kill "${PIDS[0]}"
wait "${PIDS[0]}" 2>/dev/null
PIDS=()
[ "$(sqlite3 "$DB" "SELECT count(*) FROM passports")" = 6 ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: after the verifier stopped: $(sqlite3 "$DB" "SELECT count(*) FROM passports") passports, not 6"; }
[ "$(stat -c %a "$DB")" = 600 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: the database is not 0600"; }
finish
