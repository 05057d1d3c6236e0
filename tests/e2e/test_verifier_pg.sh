#!/usr/bin/env bash
# The verifier on PostgreSQL: a throwaway cluster (temp dir, Unix socket, free
# port) and two verifier processes sharing it.  Skipped when PostgreSQL's
# server binaries are not installed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../../scripts/pg_cluster.sh"
command -v jq >/dev/null || { echo "skipped: jq not installed (scripts/install-deps)"; exit 77; }
PIDS=() CLIENTS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  if [ "$failed" -gt 0 ]; then # what the verifiers said (a sanitizer's report, a crash)
    for n in a b; do
      if grep -q 'ERROR: .*Sanitizer' "$TMP/$n.log" 2>/dev/null; then
        echo "--- verifier $n's sanitizer report"; sed -n '/ERROR: .*Sanitizer/,/^SUMMARY/p' "$TMP/$n.log" | head -60
      elif [ -s "$TMP/$n.log" ]; then
        echo "--- verifier $n's log (last lines)"; tail -20 "$TMP/$n.log"
      fi
    done
  fi
  pg_cluster_stop
  rm -rf "$TMP"
}
trap cleanup EXIT
pg_cluster_start off || { echo "skipped: $PG_WHY"; exit 77; }
DB=$PG_URL

# The store's own contract on this server (tests/unit/verifier/test_store_pg.c), in a
# database of its own.
if [ -n "${VERITEE_STORE_PG_TEST:-}" ]; then
  STORE_DB=$(pg_cluster_db storetest) || { echo "FAIL: createdb"; exit 1; }
  expect 0 "the PostgreSQL store's unit tests" -- env VERITEE_TEST_PG_URL="$STORE_DB" "$VERITEE_STORE_PG_TEST"
fi

TOKEN=0123456789abcdef0123456789abcdef
echo "$TOKEN" >"$TMP/admin-token"
chmod 600 "$TMP/admin-token"
start() {
  local name="$1"; shift
  : >"$TMP/$name.out"
  "$VT" verifier --listen 127.0.0.1:0 --offline --db "$DB" --trust-sim --admin-token-file "$TMP/admin-token" --state "$TMP/$name-state" "$@" \
    >"$TMP/$name.out" 2>"$TMP/$name.log" &
  PIDS+=($!)
  local addr; addr=$(listening "$TMP/$name.out" "verifier $name" "$TMP/$name.log") || exit 1
  eval "URL_$name=http://$addr"
}
# Both replicas trust the same simulation root and mock key (the attester's state).
mkdir -p "$VERITEE_STATE"
start a --rate 100000
# Replicas of one log sign with one log key (docs/log.md).
mkdir -p "$TMP/b-state" && cp "$TMP/a-state/log-key.pem" "$TMP/b-state/"
start b --rate 100000
ln -s "$VERITEE_STATE/mock" "$TMP/a-state/mock" 2>/dev/null
ln -s "$VERITEE_STATE/mock" "$TMP/b-state/mock" 2>/dev/null

expect 0 "healthz a" -- curl -sf "$URL_a/healthz"
contains '"postgres"' "store is postgres"
MODEL=$(printf 'a%.0s' $(seq 64))
expect 0 "env create on a" -- "$VT" env create dev --verifier "$URL_a" --admin-token-file "$TMP/admin-token" --allow-simulated --model "$MODEL"
expect 0 "env visible on b" -- "$VT" env show dev --verifier "$URL_b"
contains "$MODEL" "b reads a's environment"
expect 0 "log append" -- "$VT" log append --log "$TMP/log.json" --component model --name llm --digest "$MODEL" --extend mock
expect 0 "attest on a" -- "$VT" attest --verifier "$URL_a" --environment dev --log "$TMP/log.json" --out "$TMP/a.jwt"
ID=$(sed -n 's/^passport \(pass-[0-9a-f]*\):.*/\1/p' "$TMP/out")
expect 0 "passport from a shown by b" -- "$VT" passport show "$ID" --verifier "$URL_b"
contains "affirming" "b shows a's passport"
expect 0 "passport verify against a's JWKS" -- "$VT" passport verify "$TMP/a.jwt" --verifier "$URL_a"

# A nonce from a, spent at b, cannot be spent again at a.
openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl pkey -out "$TMP/k.pem" 2>/dev/null
openssl pkey -in "$TMP/k.pem" -pubout -out "$TMP/k.pub" 2>/dev/null
XY=$(openssl pkey -pubin -in "$TMP/k.pub" -outform DER 2>/dev/null | tail -c 64 | od -An -tx1 | tr -d ' \n')
N=$(curl -s -X POST "$URL_a/v1/challenge" | jq -r .nonce)
expect 0 "mock evidence" -- "$VT" attest --platform mock --nonce "$N" --pubkey "$XY" --out "$TMP/raw.bin"
jq -n --arg ev "$(base64 -w0 "$TMP/raw.bin")" --arg n "$N" --rawfile pk "$TMP/k.pub" --slurpfile log "$TMP/log.json" \
  '{evidence:$ev, nonce:$n, public_key:$pk, environment:"dev", log:$log[0]}' >"$TMP/req.json"
code=$(curl -s -o "$TMP/body" -w '%{http_code}' -X POST --data-binary @"$TMP/req.json" "$URL_b/v1/attest")
[ "$code" = 201 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: attest at b with a's nonce: $code $(head -c 300 "$TMP/body")"; }
code=$(curl -s -o "$TMP/body" -w '%{http_code}' -X POST --data-binary @"$TMP/req.json" "$URL_a/v1/attest")
[ "$code" = 409 ] && [ "$(jq -r .error.code "$TMP/body")" = nonce_used ] && passed=$((passed + 1)) || {
  failed=$((failed + 1)); echo "FAIL: replay at a: $code $(head -c 300 "$TMP/body")"; }
n=$(curl -s "$URL_a/v1/passports?environment=dev" | jq '.passports | length')
[ "$n" = 2 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: two passports listed, got $n"; }

# Both replicas appended to one transparency log (one sequencer at a time: advisory lock).
KEY=$(curl -s "$URL_a/v1/log/key")
expect 0 "log checkpoint through b under a's key" -- "$VT" log checkpoint --log "$URL_b/v1/log" --log-key "$KEY"
contains ", 2 entries" "the log holds both replicas' passports"
expect 0 "a's passport proven through b" -- "$VT" log prove --log "$URL_b/v1/log" --log-key "$KEY" "$TMP/a.jwt"
echo "$KEY" >"$TMP/log.vkey"
expect 0 "monitor: first checkpoint" -- "$VT" log monitor --log "$URL_a/v1/log" --log-key "$TMP/log.vkey" --state "$TMP/mon"

# Each sequencer keeps the tree's right edge between its batches (docs/log.md): appends
# alternating between the replicas make each find the tree grown by the other and reload it.
for i in 1 2 3 4 5 6; do
  r=a; [ $((i % 2)) -eq 0 ] && r=b
  u=URL_$r
  expect 0 "attest $i on $r" -- "$VT" attest --verifier "${!u}" --environment dev --log "$TMP/log.json" --out "$TMP/p$i.jwt"
done
expect 0 "log checkpoint after the alternating appends" -- "$VT" log checkpoint --log "$URL_a/v1/log" --log-key "$TMP/log.vkey"
contains ", 8 entries" "the log holds all eight passports"
for i in 1 4 6; do
  expect 0 "passport $i proven through the other replica" -- "$VT" log prove --log "$URL_b/v1/log" --log-key "$TMP/log.vkey" "$TMP/p$i.jwt"
done
expect 0 "monitor: the grown tree is consistent with the first checkpoint" -- \
  "$VT" log monitor --log "$URL_b/v1/log" --log-key "$TMP/log.vkey" --state "$TMP/mon"

# The database restarts under both replicas (every connection lost): each reconnects on its
# next use, and the requests that find a connection lost still succeed.
pg_cluster_restart || { echo "FAIL: PostgreSQL did not restart"; exit 1; }
for r in a b a b; do
  u=URL_$r
  expect 0 "healthz $r after the database restarted" -- curl -sf "${!u}/healthz"
  expect 0 "attest on $r after the database restarted" -- "$VT" attest --verifier "${!u}" --environment dev \
    --log "$TMP/log.json" --out "$TMP/after-$r.jwt"
done
expect 0 "log checkpoint after the restart" -- "$VT" log checkpoint --log "$URL_b/v1/log" --log-key "$TMP/log.vkey"
contains ", 12 entries" "the restart lost no entry"
expect 0 "monitor: still consistent after the restart" -- \
  "$VT" log monitor --log "$URL_a/v1/log" --log-key "$TMP/log.vkey" --state "$TMP/mon"

# Connections killed under load: while four clients attest against both replicas, every
# other backend of the cluster is terminated every 0.3 s (what a failover, a pooler's
# recycling or an operator's pg_terminate_backend does).  A statement that finds its
# connection gone runs again on a new one; a log batch whose transaction was lost is
# committed again.  Every acknowledged passport must be stored and in the log, which must
# stay consistent; an attest that fails must fail with an error, not hang.
kill_backends() {
  while [ ! -e "$TMP/stop-killing" ]; do
    psql -qAtX "$PG_URL" -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
      WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()" >>"$TMP/killed" 2>/dev/null
    sleep 0.3
  done
}
kill_backends & KILLER=$!
PIDS+=($KILLER)
for c in 1 2 3 4; do
  (
    end=$((SECONDS + 4)) i=0
    while [ $SECONDS -lt $end ]; do
      i=$((i + 1)) r=a; [ $(((c + i) % 2)) -eq 0 ] && r=b
      u=URL_$r
      if timeout 20 "$VT" attest --verifier "${!u}" --environment dev --log "$TMP/log.json" \
           --out "$TMP/chaos-$c-$i.jwt" >"$TMP/chaos-$c-$i.out" 2>&1; then
        echo ok >>"$TMP/chaos-$c.status"
      else
        echo "fail $?" >>"$TMP/chaos-$c.status"; rm -f "$TMP/chaos-$c-$i.jwt"
      fi
    done
  ) &
  CLIENTS+=($!)
done
wait "${CLIENTS[@]}"
touch "$TMP/stop-killing"; wait "$KILLER"
kills=$(awk '{s += $1} END {print s + 0}' "$TMP/killed")
oks=$(cat "$TMP"/chaos-*.status | grep -c '^ok')
fails=$(cat "$TMP"/chaos-*.status | grep -vc '^ok')
echo "under load: $kills backends terminated, $oks attests acknowledged, $fails failed"
[ "$kills" -ge 10 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: only $kills backends terminated"; }
[ "$oks" -ge 20 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: only $oks attests acknowledged"; }
# Each replica counts the connections it found lost and reopened.
for r in a b; do
  u=URL_$r
  curl -s "${!u}/metrics" | grep -Eq '^verifier_store_reconnects_total\{result="ok"\} [1-9]' && passed=$((passed + 1)) ||
    { failed=$((failed + 1)); echo "FAIL: replica $r counts no reconnection: $(curl -s "${!u}/metrics" | grep reconnects)"; }
done
# A failure is rare (a connection lost again during its own retry) and a clean 503, never a hang.
unclean=0
for f in "$TMP"/chaos-*.out; do
  [ -e "${f%.out}.jwt" ] && continue
  echo "  failed: $(grep -m1 'veritee:' "$f")"
  grep -q '(HTTP 503)' "$f" || unclean=$((unclean + 1))
done
[ "$unclean" -eq 0 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: $unclean attests failed without a clean 503 (hung or crashed)"; }
# (A connection killed again during its own retry fails its request: at most 2, or 1%.)
[ "$fails" -le 2 ] || [ $((fails * 100)) -le "$oks" ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: $fails of $((oks + fails)) attests failed: lost connections are not retried"; }
# Every acknowledged passport is stored, with its log entry (they commit together), once.
for j in "$TMP"/chaos-*.jwt; do sed -n 's/^passport \(pass-[0-9a-f]*\):.*/\1/p' "${j%.jwt}.out"; done | sort >"$TMP/acked"
psql -qAtX "$PG_URL" -c "SELECT p.id FROM passports p JOIN log_entries e ON e.kind = 'passport' AND e.ref = p.id" |
  sort >"$TMP/stored"
lost=$(comm -23 "$TMP/acked" "$TMP/stored" | wc -l)
[ "$lost" -eq 0 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: $lost acknowledged passports not stored and logged:"; comm -23 "$TMP/acked" "$TMP/stored" | head -5; }
dups=$(psql -qAtX "$PG_URL" -c "SELECT count(*) - count(DISTINCT ref) FROM log_entries")
[ "$dups" = 0 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: $dups entries logged twice"; }
expect 0 "monitor: consistent after the connections were killed" -- \
  "$VT" log monitor --log "$URL_a/v1/log" --log-key "$TMP/log.vkey" --state "$TMP/mon"
logged=$(psql -qAtX "$PG_URL" -c "SELECT count(*) FROM log_entries")
expect 0 "log checkpoint covers every entry" -- "$VT" log checkpoint --log "$URL_b/v1/log" --log-key "$TMP/log.vkey"
contains ", $logged entries" "the checkpoint's size is the stored log's"
for j in $(ls "$TMP"/chaos-*.jwt | head -3); do
  expect 0 "an acknowledged passport proven after the kills" -- "$VT" log prove --log "$URL_b/v1/log" --log-key "$TMP/log.vkey" "$j"
done

# The log refuses (a trigger fails every new entry, as a full disk or a broken database
# fails the commit): an attest is answered 503 log_unavailable, and the passport it would
# have issued is not stored (its row commits with its entry).  Once the log accepts again,
# attests succeed and the tree is consistent with every checkpoint seen.
psql -qAtX "$PG_URL" -c "CREATE FUNCTION refuse_entry() RETURNS trigger LANGUAGE plpgsql AS
  \$\$BEGIN RAISE EXCEPTION 'log refused by the test'; END\$\$;
  CREATE TRIGGER refuse BEFORE INSERT ON log_entries FOR EACH ROW EXECUTE FUNCTION refuse_entry();" >/dev/null
rows0=$(psql -qAtX "$PG_URL" -c "SELECT count(*) FROM passports")
expect 2 "attest while the log refuses" -- "$VT" attest --verifier "$URL_a" --environment dev --log "$TMP/log.json" \
  --out "$TMP/refused.jwt"
contains "log_unavailable" "the attester is told the log is unavailable"
contains "(HTTP 503)" "as a 503"
lacks "refused by the test" "the database's own words are not sent to the client"
grep -q 'log refused by the test' "$TMP/a.log" && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: the operator's log does not say why the log failed"; }
rows1=$(psql -qAtX "$PG_URL" -c "SELECT count(*) FROM passports")
[ "$rows1" = "$rows0" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: a passport was stored without its log entry ($rows0 -> $rows1)"; }
[ ! -e "$TMP/refused.jwt" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: a refused attest wrote a passport"; }
psql -qAtX "$PG_URL" -c "DROP TRIGGER refuse ON log_entries" >/dev/null
expect 0 "attest once the log accepts again" -- "$VT" attest --verifier "$URL_a" --environment dev --log "$TMP/log.json" \
  --out "$TMP/accepted.jwt"
expect 0 "monitor: consistent after the refusal" -- \
  "$VT" log monitor --log "$URL_b/v1/log" --log-key "$TMP/log.vkey" --state "$TMP/mon"
expect 0 "the passport after the refusal proven" -- "$VT" log prove --log "$URL_a/v1/log" --log-key "$TMP/log.vkey" "$TMP/accepted.jwt"

# The key broker across replicas (docs/keys.md, "Revocation the database cannot undo"): a
# resource registered at a is revoked at b; its record copied before the revocation and put
# back opens nothing at a, which learns of b's revocation from the log, not from the record.
ADM_a=(--verifier "$URL_a" --admin-token-file "$TMP/admin-token")
expect 0 "attest at a with an enclave key" -- "$VT" attest --verifier "$URL_a" --environment dev --log "$TMP/log.json" \
  --key "$TMP/enclave.pem" --out "$TMP/kbs.jwt"
head -c 32 /dev/urandom >"$TMP/secret"
chmod 600 "$TMP/secret"
expect 0 "register at a" -- "$VT" key register rk "${ADM_a[@]}" --value-file "$TMP/secret" --environment dev \
  --allow-simulated --min-tcb any --model "$MODEL"
expect 0 "release at a" -- "$VT" key release rk --verifier "$URL_a" --passport "$TMP/kbs.jwt" --key "$TMP/enclave.pem" --out "$TMP/got"
cmp -s "$TMP/secret" "$TMP/got" && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: the released bytes differ"; }
saved=$(psql -qAtX "$PG_URL" -c "SELECT json FROM kbs_resources WHERE id = 'rk'")
expect 0 "revoke at b" -- "$VT" key revoke rk --verifier "$URL_b" --admin-token-file "$TMP/admin-token"
psql -qAtX "$PG_URL" -c "UPDATE kbs_resources SET json = '$saved' WHERE id = 'rk'" >/dev/null
rm -f "$TMP/got"
expect 1 "a: the record copied before b's revocation, put back" -- "$VT" key release rk --verifier "$URL_a" \
  --passport "$TMP/kbs.jwt" --key "$TMP/enclave.pem" --out "$TMP/got"
[ ! -e "$TMP/got" ] && grep '"resource":"rk"' "$TMP/a.log" | tail -1 | grep -q '"clause":"revoked"' &&
  passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: a released, or not for b's revocation"; grep '"resource":"rk"' "$TMP/a.log"; }
expect 1 "... and again, a knowing it now" -- "$VT" key release rk --verifier "$URL_a" \
  --passport "$TMP/kbs.jwt" --key "$TMP/enclave.pem" --out "$TMP/got"
finish
