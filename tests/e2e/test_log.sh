#!/usr/bin/env bash
# The verifier's transparency log over real processes (docs/log.md): passports
# and receipts are logged, the checkpoint verifies under the pinned note key,
# every receipt has an inclusion proof, tiles and bundles match the tree, the
# monitor catches a forked log, and kill -9 while receipts are posted loses no
# acknowledged receipt and keeps the tree consistent with every checkpoint seen.
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null && command -v jq >/dev/null || { echo "skipped: needs curl and jq"; exit 77; }
HERE="$(cd "$(dirname "$0")" && pwd)"
# an enclave key for our receipts, and a note key the log never used (python3-cryptography)
python3 "$HERE/mkreceipts.py" keys "$TMP/enclave.pem" "$TMP/wrong.vkey" test.example/log 2>/dev/null ||
  { echo "skipped: needs python3-cryptography"; exit 77; }

PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
TOKEN=0123456789abcdef0123456789abcdef
echo "$TOKEN" >"$TMP/admin-token"
chmod 600 "$TMP/admin-token"
STATE="$TMP/vstate"
start() {
  : >"$TMP/v.out"
  "$VT" verifier --listen "127.0.0.1:${PORT:-0}" --offline --state "$STATE" --admin-token-file "$TMP/admin-token" \
    --trust-sim --threads 2 --rate 100000 --quiet "$@" >"$TMP/v.out" 2>>"$TMP/v.log" &
  PID=$!
  PORT=$(listening "$TMP/v.out" "the verifier" "$TMP/v.log") || exit 1
  PORT=${PORT##*:}
  U="http://127.0.0.1:$PORT"; L="$U/v1/log"
}
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

start --log-origin test.example/log
expect 2 "verifier refuses a bad --log-origin" -- "$VT" verifier --listen 127.0.0.1:0 --log-origin "a b"
curl -s "$L/key" >"$TMP/log.vkey"
KEY=$(cat "$TMP/log.vkey")
case "$KEY" in test.example/log+????????+*) ok ;; *) bad "GET /v1/log/key: '$KEY'" ;; esac
[ "$(stat -c %a "$STATE/log-key.pem")" = 600 ] && ok || bad "log key file is not 0600"
expect 0 "empty log: checkpoint verifies" -- "$VT" log checkpoint --log "$L" --log-key "$KEY"
contains "test.example/log, 0 entries" "the empty tree's checkpoint"
expect 0 "monitor: first run stores the checkpoint" -- "$VT" log monitor --log "$L" --log-key "$TMP/log.vkey" --state "$TMP/mon"

# A passport (mock evidence, our own attester key) and receipts under it.
MODEL=$(printf 'a%.0s' $(seq 64))
expect 0 "env create" -- "$VT" env create dev --verifier "$U" --admin-token-file "$TMP/admin-token" --allow-simulated \
  --model "$MODEL"
expect 0 "log append (mock register)" -- "$VT" log append --log "$TMP/boot.mlog" --component model --name m \
  --digest "$MODEL" --extend mock --state "$STATE"
expect 0 "attest: a passport" -- "$VT" attest --verifier "$U" --environment dev --log "$TMP/boot.mlog" \
  --key "$TMP/enclave.pem" --state "$STATE" --out "$TMP/passport.jwt"
PASS=$(jq -rR 'split(".")[1] | gsub("-";"+") | gsub("_";"/") | @base64d | fromjson | .jti // .id // empty' "$TMP/passport.jwt" 2>/dev/null)
[ -n "$PASS" ] || PASS=$(curl -s "$U/v1/passports" | jq -r '.passports[0].id')
expect 0 "the passport is in the log" -- "$VT" log prove --log "$L" --log-key "$KEY" "$TMP/passport.jwt"
contains "entry 0 of 1" "the passport is entry 0"

mkdir "$TMP/rc"
python3 "$HERE/mkreceipts.py" sign "$TMP/enclave.pem" "$PASS" dev "$MODEL" "$TMP/rc" a:5 never:1 k1:15 k2:15 k3:15 fork:1
cp "$TMP/rc/a" "$TMP/receipts"
i=0
while read -r tok; do
  code=$(curl -s -o "$TMP/body" -w '%{http_code}' -X POST "$U/v1/receipts" -d "{\"token\":\"$tok\"}")
  [ "$code" = 201 ] && [ "$(jq -r .log_index "$TMP/body")" = $((i + 1)) ] && ok || bad "POST receipt $i: $code $(cat "$TMP/body")"
  i=$((i + 1))
done <"$TMP/receipts"
tok=$(head -1 "$TMP/receipts")
code=$(curl -s -o "$TMP/body" -w '%{http_code}' -X POST "$U/v1/receipts" -d "{\"token\":\"$tok\"}")
[ "$code" = 201 ] && [ "$(jq -r .log_index "$TMP/body")" = 1 ] && ok || bad "a re-posted receipt keeps its index: $code $(cat "$TMP/body")"
curl -s "$U/v1/receipts/rcpt-a-2" >"$TMP/body"
[ "$(jq -r .token "$TMP/body")" = "$(sed -n 3p "$TMP/receipts")" ] && [ "$(jq -r .log_index "$TMP/body")" = 3 ] && ok || bad "GET /v1/receipts/ID from the log: $(head -c 200 "$TMP/body")"
expect 0 "checkpoint of 6 entries" -- "$VT" log checkpoint --log "$L" --log-key "$KEY"
contains "6 entries" "six entries"
n=0
while read -r tok; do
  echo "$tok" >"$TMP/r.jwt"
  expect 0 "receipt $n is in the log" -- "$VT" log prove --log "$L" --log-key "$KEY" "$TMP/r.jwt"
  contains "entry $((n + 1)) of 6" "receipt $n's index"
  n=$((n + 1))
done <"$TMP/receipts"
expect 0 "receipt verify --log" -- "$VT" receipt verify "$TMP/r.jwt" --passport "$TMP/passport.jwt" \
  --verifier "$U" --log "$L" --log-key "$KEY"
contains "RFC 9162 inclusion proof verified" "receipt verify proves inclusion"

# Tamper and wrong-key cases.
cp "$TMP/rc/never" "$TMP/never.jwt"
expect 1 "an entry the log does not hold has no proof" -- "$VT" log prove --log "$L" --log-key "$KEY" "$TMP/never.jwt"
other=$(echo "$KEY" | sed 's/^test.example\/log+/other.example\/log+/')
expect 2 "a key string whose id does not match is refused" -- "$VT" log checkpoint --log "$L" --log-key "$other"
expect 1 "a checkpoint under another key with the same name is rejected" -- "$VT" log checkpoint --log "$L" --log-key "$TMP/wrong.vkey"
expect 1 "receipt verify --log with the wrong log key fails" -- "$VT" receipt verify "$TMP/r.jwt" \
  --passport "$TMP/passport.jwt" --verifier "$U" --log "$L" --log-key "$TMP/wrong.vkey"

# Tiles and bundles (C2SP tlog-tiles): the partial level-0 tile holds the leaf hashes of the bundle's entries.
code=$(curl -s -o "$TMP/t0" -w '%{http_code}' "$L/tile/0/000.p/6"); [ "$code" = 200 ] && [ "$(stat -c %s "$TMP/t0")" = 192 ] && ok || bad "tile/0/000.p/6: $code"
code=$(curl -s -D "$TMP/hdr" -o "$TMP/b0" -w '%{http_code}' "$L/tile/entries/000.p/6"); [ "$code" = 200 ] && ok || bad "entries/000.p/6: $code"
python3 - "$TMP/t0" "$TMP/b0" "$TMP/passport.jwt" "$TMP/receipts" <<'PY' && ok || bad "bundle entries do not hash to the tile's leaves"
import hashlib, sys
tile = open(sys.argv[1], "rb").read(); b = open(sys.argv[2], "rb").read()
want = [open(sys.argv[3], "rb").read().strip()] + [l.strip().encode() for l in open(sys.argv[4])]
got, i = [], 0
while i < len(b):
    n = int.from_bytes(b[i:i + 2], "big"); got.append(b[i + 2:i + 2 + n]); i += 2 + n
assert got == want, "bundle entries are not the tokens"
assert all(hashlib.sha256(b"\0" + e).digest() == tile[32 * k:32 * k + 32] for k, e in enumerate(got))
PY
code=$(curl -s -o /dev/null -w '%{http_code}' "$L/tile/0/000.p/7"); [ "$code" = 404 ] && ok || bad "a tile past the tree: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' "$L/tile/0/000"); [ "$code" = 404 ] && ok || bad "a full tile that does not exist yet: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' "$L/tile/0/0000"); [ "$code" = 404 ] && ok || bad "a malformed tile path: $code"
expect 0 "monitor: the grown log is consistent" -- "$VT" log monitor --log "$L" --log-key "$KEY" --state "$TMP/mon"
contains "extends the tree of 0 entries" "monitor checked consistency"
cp "$TMP/mon" "$TMP/mon6"; cp "$TMP/mon" "$TMP/mon6.before"

# kill -9 while receipts are posted: every 201 stays, every checkpoint seen before stays consistent.
for round in 1 2 3; do
  cp "$TMP/rc/k$round" "$TMP/batch"
  : >"$TMP/acked"
  (while read -r tok; do
     code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST "$U/v1/receipts" -d "{\"token\":\"$tok\"}")
     [ "$code" = 201 ] && echo "$tok" >>"$TMP/acked"
   done <"$TMP/batch") &
  poster=$!
  for _ in 1 2 3 4; do curl -s "$L/checkpoint" >"$TMP/cp.$round.$_"; sleep 0.05; done
  kill -9 "$PID"; wait "$PID" 2>/dev/null; PID=""
  wait "$poster"
  start
  for f in "$TMP"/cp."$round".*; do
    if [ -s "$f" ] && head -1 "$f" | grep -q '^test.example/log$'; then
      expect 0 "round $round: the new tree is consistent with a checkpoint from before the kill" -- \
        "$VT" log consistency --log "$L" --log-key "$KEY" --from "$f"
    fi
  done
  "$VT" log checkpoint --log "$L" --log-key "$KEY" >/dev/null 2>&1 || bad "round $round: checkpoint after restart"
  lost=0
  while read -r tok; do
    echo "$tok" >"$TMP/r.jwt"
    "$VT" log prove --log "$L" --log-key "$KEY" "$TMP/r.jwt" >/dev/null 2>&1 || lost=$((lost + 1))
  done <"$TMP/acked"
  [ "$lost" -eq 0 ] && ok || bad "round $round: $lost of $(wc -l <"$TMP/acked") acknowledged receipts are not in the log"
done
expect 0 "monitor after the kills: still consistent" -- "$VT" log monitor --log "$L" --log-key "$KEY" --state "$TMP/mon"

# A forked log: a fresh database under the same key and origin must not pass the monitor.
kill "$PID"; wait "$PID" 2>/dev/null; PID=""
mv "$STATE/verifier.db" "$TMP/old.db"; rm -f "$STATE"/verifier.db-*
start --log-origin test.example/log
tok=$(cat "$TMP/rc/fork")
curl -s -o /dev/null -X POST "$U/v1/receipts" -d "{\"token\":\"$tok\"}"
expect 1 "monitor: a log that rewrote its history fails loudly" -- "$VT" log monitor --log "$L" --log-key "$KEY" --state "$TMP/mon6"
contains "NOT consistent" "the monitor names the inconsistency"
expect 0 "the monitor kept the last good checkpoint" -- cmp "$TMP/mon6" "$TMP/mon6.before"
# A state path that names something absent (a link to a volume not mounted) is not a first run:
# that would trust the forked log from scratch and overwrite the link.
ln -s "$TMP/unmounted/mon" "$TMP/mon7"
expect 2 "monitor: a dangling state link is an error, not a first run" -- "$VT" log monitor --log "$L" --log-key "$KEY" --state "$TMP/mon7"
[ -L "$TMP/mon7" ] && ok || bad "the monitor replaced the state link"
kill "$PID"; wait "$PID" 2>/dev/null; PID=""
expect 2 "the origin is the log's identity: another --log-origin is refused" -- \
  "$VT" verifier --listen 127.0.0.1:0 --offline --state "$STATE" --log-origin other.example/log --quiet
finish
