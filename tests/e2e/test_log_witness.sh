#!/usr/bin/env bash
# Witness cosignatures over real processes (docs/log.md, "Witnesses"): a
# `veritee log witness` trusts the verifier's log key; the verifier offers it
# every checkpoint (--witness) and serves the cosignature with the checkpoint;
# `veritee log checkpoint --witness-key` requires it.  The witness refuses
# another log's checkpoint (403), a stale old size (409 with its size), and
# keeps its state across a restart; the log keeps appending while the witness
# is down, and catches it up afterwards.  A second witness on the same state is
# refused at start.
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null && command -v jq >/dev/null || { echo "skipped: needs curl and jq"; exit 77; }
HERE="$(cd "$(dirname "$0")" && pwd)"
python3 "$HERE/mkreceipts.py" keys "$TMP/enclave.pem" "$TMP/unused.vkey" test.example/log 2>/dev/null ||
  { echo "skipped: needs python3-cryptography"; exit 77; }

VPID="" WPID="" RPID=""
cleanup() {
  for p in $VPID $WPID $RPID; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rm -rf "$TMP"
}
trap cleanup EXIT
echo 0123456789abcdef0123456789abcdef >"$TMP/admin-token"
chmod 600 "$TMP/admin-token"
STATE="$TMP/vstate"
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
start_verifier() {
  : >"$TMP/v.out"
  "$VT" verifier --listen "127.0.0.1:${VPORT:-0}" --offline --state "$STATE" --admin-token-file "$TMP/admin-token" \
    --trust-sim --rate 100000 --quiet --log-origin test.example/log "$@" >"$TMP/v.out" 2>>"$TMP/v.log" &
  VPID=$!
  VPORT=$(listening "$TMP/v.out" "the verifier" "$TMP/v.log") || exit 1
  VPORT=${VPORT##*:}
  U="http://127.0.0.1:$VPORT"; L="$U/v1/log"
}
start_witness() {
  : >"$TMP/w.out"
  "$VT" log witness --log-key "$KEY" --key "$TMP/witness.pem" --name witness.test/w1 --state "$TMP/wstate" \
    --listen "127.0.0.1:${WPORT:-0}" --quiet >"$TMP/w.out" 2>>"$TMP/w.log" &
  WPID=$!
  for _ in $(seq 200); do grep -q '^witness key' "$TMP/w.out" 2>/dev/null && break; sleep 0.05; done
  WPORT=$(grep -o '127\.0\.0\.1:[0-9]*' "$TMP/w.out" | head -1 | cut -d: -f2)
  [ -n "$WPORT" ] || { echo "FAIL: the witness did not start ($(kill -0 "$WPID" 2>/dev/null && echo running ||
    echo "exited: $(wait "$WPID"; echo $?)"))"; cat "$TMP/w.out" "$TMP/w.log"; exit 1; }
  W="http://127.0.0.1:$WPORT"; WKEY=$(sed -n 's/^witness key //p' "$TMP/w.out")
}
stop() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
# cosigned N: waits (5 s at most) until the checkpoint has N entries and the witness's cosignature
cosigned() {
  for _ in $(seq 100); do
    "$VT" log checkpoint --log "$L" --log-key "$KEY" --witness-key "$WKEY" >"$TMP/out" 2>&1 &&
      grep -q ", $1 entries" "$TMP/out" && return 0
    sleep 0.05
  done
  return 1
}

# The log's key first (a witness is configured with it out of band).
start_verifier
KEY=$(curl -s "$L/key")
stop "$VPID"
expect 2 "witness without --log-key" -- "$VT" log witness --key "$TMP/witness.pem" --name w --state "$TMP/wstate"
expect 2 "witness with a malformed log key" -- "$VT" log witness --log-key nonsense --key "$TMP/witness.pem" \
  --name w --state "$TMP/wstate"
start_witness
[ "$(stat -c %a "$TMP/witness.pem")" = 600 ] && ok || bad "witness key file is not 0600"
case "$WKEY" in witness.test/w1+????????+B*) ok ;; *) bad "witness key '$WKEY' is not a type-0x04 vkey" ;; esac
# One witness per log and state directory: a second one on the same --state is refused at start
# (the two would race on the state file), naming the first; the first goes on serving.
expect 1 "a second witness on the same state" -- timeout 10 "$VT" log witness --log-key "$KEY" \
  --key "$TMP/witness2.pem" --name witness.test/w2 --state "$TMP/wstate" --listen 127.0.0.1:0 --quiet
contains "is in use by another witness (pid $WPID)" "the second witness names the first"
kill -0 "$WPID" 2>/dev/null && ok || bad "the first witness stopped when a second one was refused"
code=$(curl -s -o /dev/null -w '%{http_code}' --data-binary 'old 0' "$W/add-checkpoint")
[ "$code" = 400 ] && ok || bad "the first witness no longer answers after a second was refused: $code, want 400"
expect 2 "verifier: --witness without a key" -- "$VT" verifier --listen 127.0.0.1:0 --state "$TMP/x" --witness "$W"
start_verifier --witness "$W,$WKEY"

cosigned 0 && ok || bad "the empty tree's checkpoint is not cosigned: $(cat "$TMP/out")"
contains "ok   cosigned    by witness.test/w1" "the cosignature is named"

# Entries: a passport and receipts under it (as test_log.sh makes them).
MODEL=$(printf 'a%.0s' $(seq 64))
expect 0 "env create" -- "$VT" env create dev --verifier "$U" --admin-token-file "$TMP/admin-token" --allow-simulated \
  --model "$MODEL"
expect 0 "log append (mock register)" -- "$VT" log append --log "$TMP/boot.mlog" --component model --name m \
  --digest "$MODEL" --extend mock --state "$STATE"
expect 0 "attest: a passport" -- "$VT" attest --verifier "$U" --environment dev --log "$TMP/boot.mlog" \
  --key "$TMP/enclave.pem" --state "$STATE" --out "$TMP/passport.jwt"
cosigned 1 && ok || bad "checkpoint of 1 entry not cosigned: $(cat "$TMP/out")"
PASS=$(curl -s "$U/v1/passports" | jq -r '.passports[0].id')
mkdir "$TMP/rc"
python3 "$HERE/mkreceipts.py" sign "$TMP/enclave.pem" "$PASS" dev "$MODEL" "$TMP/rc" a:6
post() { curl -s -o /dev/null -w '%{http_code}' -X POST "$U/v1/receipts" -d "{\"token\":\"$1\"}"; }
for tok in $(sed -n 1,3p "$TMP/rc/a"); do [ "$(post "$tok")" = 201 ] && ok || bad "POST receipt"; done
cosigned 4 && ok || bad "checkpoint of 4 entries not cosigned (consistency 1 -> 4): $(cat "$TMP/out")"
grep -q '^4$' "$TMP"/wstate/*.witness && ok || bad "the witness did not persist size 4: $(cat "$TMP"/wstate/*.witness)"

# The protocol's refusals, asked directly.
curl -s "$L/checkpoint" >"$TMP/cp"
printf 'old 0\n\n' | cat - "$TMP/cp" >"$TMP/req"
code=$(curl -s -o "$TMP/body" -D "$TMP/hdr" -w '%{http_code}' --data-binary @"$TMP/req" "$W/add-checkpoint")
[ "$code" = 409 ] && [ "$(cat "$TMP/body")" = 4 ] && grep -qi '^content-type: text/x.tlog.size' "$TMP/hdr" && ok ||
  bad "stale old size: $code $(cat "$TMP/body")"
mkdir "$TMP/other"
"$VT" verifier --listen 127.0.0.1:0 --offline --state "$TMP/other" --admin-token-file "$TMP/admin-token" --quiet \
  --log-origin test.example/log >"$TMP/o.out" 2>/dev/null &
OPID=$!
O="http://$(listening "$TMP/o.out" "the other verifier")" || exit 1
curl -s "$O/v1/log/checkpoint" | cat <(printf 'old 4\n\n') - >"$TMP/req"
code=$(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$TMP/req" "$W/add-checkpoint")
[ "$code" = 403 ] && ok || bad "the same origin under another key: $code, want 403"
stop "$OPID"
printf 'old 4\n' >"$TMP/req"
code=$(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$TMP/req" "$W/add-checkpoint")
[ "$code" = 400 ] && ok || bad "a malformed request: $code, want 400"
expect 1 "a cosignature by an unknown witness is not accepted" -- "$VT" log checkpoint --log "$L" --log-key "$KEY" \
  --witness-key "$(cat "$TMP/unused.vkey")"
expect 2 "quorum above the keys given" -- "$VT" log checkpoint --log "$L" --log-key "$KEY" --witness-key "$WKEY" \
  --witness-quorum 2

# The witness goes away: appends go on; the new checkpoint lacks its cosignature.
stop "$WPID"
for tok in $(sed -n 4,5p "$TMP/rc/a"); do [ "$(post "$tok")" = 201 ] && ok || bad "POST receipt while the witness is down"; done
expect 0 "checkpoint without witness keys" -- "$VT" log checkpoint --log "$L" --log-key "$KEY"
contains "6 entries" "six entries"
expect 1 "checkpoint requiring the absent witness" -- "$VT" log checkpoint --log "$L" --log-key "$KEY" \
  --witness-key "$WKEY"
R1="$TMP/r1.jwt"; sed -n 1p "$TMP/rc/a" >"$R1"
rverify() { "$VT" receipt verify "$R1" --passport "$TMP/passport.jwt" --verifier "$U" --log "$L" --log-key "$KEY" "$@"; }
expect 1 "receipt verify: refused when the checkpoint lacks the required cosignature" -- rverify --witness-key "$WKEY"
contains "0 of 1 witness cosignatures, 1 required" "the missing cosignature is named"
expect 0 "receipt verify without witness keys proves inclusion" -- rverify
# Back (same state): the log catches it up from 4 to 6 on its next try (within its 10 s retry).
start_witness
[ "$(post "$(sed -n 6p "$TMP/rc/a")")" = 201 ] && ok || bad "POST receipt"
cosigned 7 && ok || bad "after the witness's restart, checkpoint of 7 not cosigned: $(cat "$TMP/out")"

# receipt verify --log --witness-key: the inclusion proof counts only against a cosigned checkpoint.
expect 0 "receipt verify: accepted with the witness's cosignature" -- rverify --witness-key "$WKEY"
contains "1 of 1 witnesses (quorum 1): witness.test/w1" "the cosigning witness is named"
contains "RFC 9162 inclusion proof verified" "and inclusion is proven"
expect 1 "receipt verify: refused under a witness key that did not cosign" -- rverify \
  --witness-key "$(cat "$TMP/unused.vkey")"
expect 1 "receipt verify: refused below quorum (1 of 2 cosigned, 2 required)" -- rverify --witness-key "$WKEY" \
  --witness-key "$TMP/unused.vkey" --witness-quorum 2
contains "1 of 2 witness cosignatures, 2 required" "the quorum shortfall is named"
expect 0 "receipt verify: quorum 1 of 2 is met" -- rverify --witness-key "$WKEY" --witness-key "$TMP/unused.vkey" \
  --witness-quorum 1
expect 2 "receipt verify: --witness-key without --log" -- "$VT" receipt verify "$R1" --passport "$TMP/passport.jwt" \
  --verifier "$U" --witness-key "$WKEY"
expect 2 "receipt verify: quorum above the keys given" -- rverify --witness-key "$WKEY" --witness-quorum 2

# A hostile witness answers its genuine cosignature and one more line, under the log's own name and key id
# with a signature that does not verify: the verifier keeps only the witness's own line, so the checkpoint
# it serves still opens under the log key (and still carries the witness's cosignature).
FORGED=$(python3 -c 'import base64, sys; n, h, _ = sys.argv[1].split("+"); sys.stdout.buffer.write(b"\xe2\x80\x94 " +
  n.encode() + b" " + base64.b64encode(bytes.fromhex(h) + bytes(64)))' "$KEY")
python3 "$HERE/tamper_relay.py" --to "$W" --mode append --line "$FORGED" >"$TMP/relay.out" 2>/dev/null &
RPID=$!
RELAY="http://$(listening "$TMP/relay.out" relay)" || exit 1
stop "$VPID"
start_verifier --witness "$RELAY,$WKEY"
cosigned 7 && ok || bad "a hostile witness's extra line under the log's name broke the checkpoint: $(cat "$TMP/out")"
curl -s "$L/checkpoint" | grep -c "^$(printf '\342\200\224') " | grep -qx 2 && ok ||
  bad "the served checkpoint is not the log's line and the witness's: $(curl -s "$L/checkpoint")"
stop "$RPID"
finish
