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

# 2. Registrations and revocations are transparency-log entries (kind kbs_resource): a JWS by the
# verifier's passport key, fetched here from the log's entry bundles, as anyone can.
# entry INDEX: the payload of log entry INDEX (from /v1/log/tile/entries), or nothing
entry() {
  local size
  size=$(curl -s "$U/v1/log/checkpoint" | sed -n 2p)
  curl -s "$U/v1/log/tile/entries/000.p/$((size % 256))" -o "$TMP/bundle" # the tests' logs stay below 256
  python3 - "$TMP/bundle" "$1" <<'PY'
import base64, json, sys
b, want, i, n = open(sys.argv[1], "rb").read(), int(sys.argv[2]), 0, 0
while i + 2 <= len(b):
    ln = int.from_bytes(b[i:i + 2], "big"); tok = b[i + 2:i + 2 + ln].decode(); i += 2 + ln
    if n == want:
        h, p = (json.loads(base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))) for x in tok.split(".")[:2])
        print(json.dumps({"typ": h.get("typ"), **p}))
    n += 1
PY
}
expect 0 "register logged" -- "$VT" key register logged "${ADM[@]}" "${POLICY[@]}"
i1=$(jq -r .log_index "$TMP/out")
expect 0 "revoke logged" -- "$VT" key revoke logged "${ADM[@]}"
i2=$(jq -r .log_index "$TMP/out")
e1=$(entry "$i1")
e2=$(entry "$i2")
[ "$(jq -c '[.typ, .type, .resource, .generation, .event, (.policy | length)]' <<<"$e1")" = \
  '["veritee-kbs-resource+jwt","kbs_resource","logged",1,"registered",64]' ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: the registration's log entry ($i1): $e1"; }
[ "$(jq -c '[.type, .resource, .generation, .event]' <<<"$e2")" = '["kbs_resource","logged",2,"revoked"]' ] &&
  [ "$(jq -r .policy <<<"$e2")" = "$(jq -r .policy <<<"$e1")" ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: the revocation's log entry ($i2): $e2"; }
sql "SELECT kind, ref FROM log_entries WHERE idx IN ($i1, $i2) ORDER BY idx" | tr '\n' ' ' | grep -qx 'kbs_resource|logged:1 kbs_resource|logged:2 ' &&
  passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: kind and ref of the entries"; }

# 3. A release checks the record against the log, which the database writer cannot roll back.
register copied
saved=$(record copied)
released copied "generation 1"
expect 0 "revoke copied" -- "$VT" key revoke copied "${ADM[@]}"
put_back copied "$saved"
refused "a record copied before its revocation, put back" copied revoked
register copied
released copied "registered again (generation 3)"
put_back copied "$saved"
refused "an earlier registration put back over a later one" copied generation
sql "DELETE FROM kbs_resources WHERE id = 'copied'"
refused "a deleted record" copied resource
# After a restart, the generations come from the log's entries.
stop
start
sql "INSERT INTO kbs_resources (id, json, updated_at) VALUES ('copied', '$saved', 0)"
refused "after a restart: an earlier registration put back" copied generation
expect 0 "revoke copied again" -- "$VT" key revoke copied "${ADM[@]}"
[ "$(record copied | jq -c '[.generation, .revoked]')" = '[4,true]' ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: the revocation did not take generation 4: $(record copied)"; }
put_back copied "$saved"
refused "after a restart: a record copied before its revocation" copied revoked
# The revocation's entry deleted from the log (and its row from the table it is read from): a
# start that reads the whole log (no STATE/log-follow) finds the tree no longer hashes to the
# signed checkpoint, and the key broker releases nothing.
stop
cp "$DB" "$TMP/whole.db"
sql "DELETE FROM log_entries WHERE kind = 'kbs_resource' AND ref = 'copied:4'"
mv "$VERITEE_STATE/log-follow" "$TMP/log-follow.saved"
start
refused "a log whose revocation entry was deleted" copied log_rollback
grep -q 'do not hash to the signed checkpoint\|of [0-9]* log entries' "$TMP/v.log" && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: the operator's log does not say why"; }
refused "... nor any other resource" edited log_rollback
# A start that resumes from STATE/log-follow reads only the entries after the tree it names (its
# stored hashes checked against the root written there): a row deleted below it goes unseen at
# start (a log monitor sees it), but what the followed state says of the resources holds.
stop
cp "$TMP/log-follow.saved" "$VERITEE_STATE/log-follow"
: >"$TMP/v.log"
start
grep -q '"msg":"log followed".*read (the ones before from STATE/log-follow)' "$TMP/v.log" && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: the start did not resume from STATE/log-follow: $(grep 'log followed' "$TMP/v.log")"; }
refused "a resumed start: the deleted revocation still holds" copied revoked
# The operator restores the database from before the deletion and accepts it (the anchor removed:
# this log signed entries since).
stop
cp "$TMP/whole.db" "$DB"
rm -f "$DB-wal" "$DB-shm" "$VERITEE_STATE/log-size"
start
register edited
released edited "the log whole again"
# A follower state that is not one (cut short; naming a root the stored tree does not have) is
# ignored: the whole log is read, and what the log says holds.
stop
head -c 60 "$VERITEE_STATE/log-follow" >"$TMP/cut" && cat "$TMP/cut" >"$VERITEE_STATE/log-follow"
: >"$TMP/v.log"
start
grep -q '"msg":"log followed".*read (the whole log)' "$TMP/v.log" && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: a follower state cut short was used: $(grep 'log followed' "$TMP/v.log")"; }
released edited "after a follower state cut short"
refused "after a follower state cut short: still revoked" copied revoked
stop
sed -i '2s/ [0-9a-f]\{64\}$/ '"$(printf '0%.0s' $(seq 64))"'/' "$VERITEE_STATE/log-follow"
: >"$TMP/v.log"
start
grep -q '"msg":"log followed".*read (the whole log)' "$TMP/v.log" && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: a follower state of another root was used: $(grep 'log followed' "$TMP/v.log")"; }
released edited "after a follower state of another root"

# 4. The anchor: a whole database restored from a copy taken before a revocation carries an older
# log, consistent and signed; the verifier signed a larger one (STATE/log-size) and refuses.
[ "$(stat -c %a "$VERITEE_STATE/log-size")" = 600 ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: STATE/log-size is not 0600"; }
register restored
released restored "before the copy"
sql ".backup '$TMP/before.db'"
expect 0 "revoke restored" -- "$VT" key revoke restored "${ADM[@]}"
refused "revoked" restored revoked
size=$(curl -s "$U/v1/log/checkpoint" | sed -n 2p)
[ "$(sed 's/ .*//' "$VERITEE_STATE/log-size" | sed 's/^0*//')" = "$size" ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: STATE/log-size is not the signed size $size: $(cat "$VERITEE_STATE/log-size")"; }
stop
cp "$TMP/before.db" "$DB"
rm -f "$DB-wal" "$DB-shm"
start
refused "a whole database restored from before the revocation" restored log_rollback
grep -q 'fewer than the [0-9]* this verifier signed' "$TMP/v.log" && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: the operator's log does not say the log is smaller than signed"; }
# The restored log grown past the anchor (passports are logged) is still not the tree signed.
for i in 1 2 3 4; do
  expect 0 "attest $i on the restored log" -- "$VT" attest --verifier "$U" --environment dev --log "$TMP/log.json" --key "$TMP/enclave.pem" --out "$TMP/p$i.jwt"
done
[ "$(curl -s "$U/v1/log/checkpoint" | sed -n 2p)" -gt "$size" ] || { failed=$((failed + 1)); echo "FAIL: the log did not grow"; }
stop
start
refused "a restored database grown past the anchor" restored log_rollback
grep -q 'the database was restored and has grown since' "$TMP/v.log" && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: the operator's log does not say the tree differs"; }
# The operator accepts the restored log on purpose: remove the anchor.
stop
rm "$VERITEE_STATE/log-size"
start
released restored "after the anchor is removed (the operator's choice)"

# 5. A witness as the anchor (replicas whose state directories are their own): it cosigned the
# tree with the revocation, the restored database's log is smaller, and no local anchor says so.
KEY=$(curl -s "$U/v1/log/key")
: >"$TMP/w.out"
"$VT" log witness --log-key "$KEY" --key "$TMP/witness.pem" --name witness.test/w1 --state "$TMP/wstate" \
  --listen 127.0.0.1:0 --quiet >"$TMP/w.out" 2>"$TMP/w.log" &
PIDS+=("$!")
for _ in $(seq 200); do grep -q '^witness key' "$TMP/w.out" 2>/dev/null && break; sleep 0.05; done
W="http://$(grep -o '127\.0\.0\.1:[0-9]*' "$TMP/w.out" | head -1)"
WKEY=$(sed -n 's/^witness key //p' "$TMP/w.out")
[ -n "$WKEY" ] || { failed=$((failed + 1)); echo "FAIL: the witness did not start"; cat "$TMP/w.log"; }
WITNESS=(--witness "$W,$WKEY")
# cosigned: waits (10 s at most) until the witness cosigned the current checkpoint
cosigned() {
  for _ in $(seq 200); do
    "$VT" log checkpoint --log "$U/v1/log" --log-key "$KEY" --witness-key "$WKEY" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  return 1
}
start_w() {
  : >"$TMP/v.out"
  "$VT" verifier --listen 127.0.0.1:0 --offline --admin-token-file "$TMP/admin-token" --trust-sim --quiet "${WITNESS[@]}" \
    >"$TMP/v.out" 2>>"$TMP/v.log" &
  PID=$!
  PIDS+=("$PID")
  U="http://$(listening "$TMP/v.out" verifier "$TMP/v.log")" || exit 1
  ADM=(--verifier "$U" --admin-token-file "$TMP/admin-token")
}
stop
start_w
register witnessed
cosigned || { failed=$((failed + 1)); echo "FAIL: the witness did not cosign the registration"; }
released witnessed "registered, cosigned"
sql ".backup '$TMP/before-w.db'"
expect 0 "revoke witnessed" -- "$VT" key revoke witnessed "${ADM[@]}"
cosigned && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: the witness did not cosign the revocation"; }
stop
cp "$TMP/before-w.db" "$DB"
rm -f "$DB-wal" "$DB-shm" "$VERITEE_STATE/log-size"
start_w
for _ in $(seq 200); do grep -q 'the witness .* cosigned a tree of' "$TMP/v.log" && break; sleep 0.05; done
grep -q 'the witness .* cosigned a tree of [0-9]* entries; the stored log holds' "$TMP/v.log" && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: the verifier did not learn the witness's larger tree"; }
refused "a restored database, no local anchor, the witness's cosigned tree larger" witnessed log_rollback

finish
