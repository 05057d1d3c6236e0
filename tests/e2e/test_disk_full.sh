#!/usr/bin/env bash
# A full disk under the verifier and the gateway (their state on a small tmpfs, filled to
# the last block): requests that must write (an environment, a key release, a receipt upload)
# are refused with a clean 503 or, where the database still has room, kept; answers the
# gateway serves are still served and their receipts written to the room the receipt queue
# reserved ahead (so a kill -9 of the gateway then loses none), a verifier killed and started
# again on the full disk serves what it holds, nothing crashes and nothing is lost; once space
# is back everything works again and the log is consistent with what it published before.  Needs a tmpfs mount (root);
# skipped otherwise.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gateway_lib.sh"
command -v curl >/dev/null && command -v jq >/dev/null || { echo "skipped: needs curl and jq"; exit 77; }
DISK="$TMP/disk"
mkdir -p "$DISK"
# DISK_FS: tmpfs (the default), or ext4 on a loop device (test_disk_full_ext4.sh), without
# blocks reserved for root, so that full is full for a gateway running as root too.
case "${DISK_FS:-tmpfs}" in
  tmpfs) mount -t tmpfs -o size=24m,mode=0700 tmpfs "$DISK" 2>/dev/null ||
           { echo "skipped: cannot mount a tmpfs here (needs root)"; exit 77; } ;;
  ext4) command -v mkfs.ext4 >/dev/null || { echo "skipped: no mkfs.ext4"; exit 77; }
        truncate -s 40M "$TMP/disk.img" && mkfs.ext4 -q -F -m 0 "$TMP/disk.img" >/dev/null 2>&1 &&
          mount -o loop "$TMP/disk.img" "$DISK" 2>/dev/null ||
          { echo "skipped: cannot mount an ext4 image here (needs root and a loop device)"; exit 77; }
        chmod 700 "$DISK" ;;
esac
cleanup_disk() {
  for p in $PIDS; do kill "$p" 2>/dev/null; done
  for p in $PIDS; do wait "$p" 2>/dev/null; done
  PIDS=""
  umount "$DISK" 2>/dev/null
  cleanup
}
trap cleanup_disk EXIT
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

export VERITEE_STATE="$DISK/v"
mkdir -p -m 700 "$VERITEE_STATE"
start_sim_verifier
start_echo echo
receipt_gateway_env "$VERITEE_STATE" && ok || bad "register environment"
# A key in the verifier's key broker, released to a passport holder (our own key; before the
# gateway's boot extends the mock register).
MODEL=$(printf 'a%.0s' $(seq 64))
ADM=(--verifier "$V" --admin-token-file "$TMP/admin-token")
expect 0 "env create dev" -- "$VT" env create dev "${ADM[@]}" --allow-simulated --model "$MODEL"
expect 0 "log append" -- "$VT" log append --log "$TMP/kl.json" --component model --name llm --digest "$MODEL" --extend mock
expect 0 "attest" -- "$VT" attest --verifier "$V" --environment dev --log "$TMP/kl.json" --key "$TMP/enclave.pem" --out "$TMP/p.jwt"
head -c 32 /dev/urandom >"$TMP/secret"
chmod 600 "$TMP/secret"
expect 0 "key register" -- "$VT" key register model-key "${ADM[@]}" --value-file "$TMP/secret" --environment dev \
  --allow-simulated --min-tcb any --model "$MODEL"
RELEASE=(key release model-key --verifier "$V" --passport "$TMP/p.jwt" --key "$TMP/enclave.pem")
expect 0 "a key released before the disk fills" -- "$VT" "${RELEASE[@]}" --out "$TMP/got"

start_gateway gw "$TMP/g.json" --platform mock

alive() { kill -0 "$1" 2>/dev/null; }

[ "$(receipt_chat)" = 200 ] && ok || bad "chat before the disk fills"
R1=$(receipt_id "$TMP/receipt")
receipt_logged "$R1" && ok || bad "receipt $R1 logged"
KEY=$(curl -s "$V/v1/log/key")
echo "$KEY" >"$TMP/log.vkey"
expect 0 "monitor: the checkpoint before the disk fills" -- \
  "$VT" log monitor --log "$V/v1/log" --log-key "$TMP/log.vkey" --state "$TMP/mon"

prom="$VERITEE_STATE/metrics/receipts.prom"
for _ in $(seq 30); do grep -q '^veritee_gateway_receipts_reserve_bytes [1-9]' "$prom" 2>/dev/null && break; sleep 0.1; done
grep -q '^veritee_gateway_receipts_reserve_bytes [1-9]' "$prom" && ok ||
  bad "the receipt queue has room reserved on disk: $(grep reserve "$prom" 2>/dev/null) $(grep receipt_queue "$TMP/gw.err")"

# The disk fills up.
dd if=/dev/zero of="$DISK/filler" bs=64k 2>/dev/null
[ "$(df -k --output=avail "$DISK" | tail -1 | tr -d ' ')" -lt 64 ] && ok || bad "the disk is full: $(df -k "$DISK" | tail -1)"

# The verifier: what must write is refused cleanly, what reads still answers.  A challenge
# writes nothing (a SQLite verifier keeps them in memory): still issued.
code=$(curl -s -o "$TMP/body" -w '%{http_code}' -X POST "$V/v1/challenge")
[ "$code" = 201 ] && ok || bad "a challenge on a full disk: wanted 201, got $code $(head -c 200 "$TMP/body")"
# Environments saved one after another: the database's write-ahead log, which can be written
# again in place after a checkpoint, soon has to grow, and the disk refuses it.  Every answer
# is a success (kept) or a clean 503; at least one is refused.
python3 -c 'import json; print(json.dumps({"allow_simulated": True, "components": {k: ["%064x" % i for i in range(64)] for k in ("model", "auditors", "runtime", "config")}}))' >"$TMP/big-env.json"
refused=0 other=""
for i in $(seq 200); do
  code=$(curl -s -o "$TMP/body" -w '%{http_code}' -X PUT -H "Authorization: Bearer $TOKEN" --data-binary @"$TMP/big-env.json" "$V/v1/environments/big$i")
  case $code in
    200) ;;
    503) [ "$(jq -r .error.code "$TMP/body")" = store_unavailable ] && refused=1 || other="$code $(head -c 200 "$TMP/body")"; break ;;
    *) other="$code $(head -c 200 "$TMP/body")"; break ;;
  esac
done
[ "$refused" = 1 ] && [ -z "$other" ] && ok || bad "environments saved on a full disk: wanted 200s then 503 store_unavailable, got ${other:-no refusal}"
grep -q 'disk is full' "$TMP/body" && bad "the database's words reached the client" || ok
grep -q 'disk is full' "$TMP/v.log" && ok || bad "the operator's log says the disk is full"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$V/v1/receipts/$R1")" = 200 ] && ok || bad "a stored receipt is still read"
# A key release and a receipt upload must write too (the release's replay record and log
# entry, the receipt and its entry).  SQLite may still find room in its write-ahead log (a
# log that was reset is written again in place), so each either succeeds, and is then kept,
# or is refused with a clean 503; never another error, never the database's words.
"$VT" "${RELEASE[@]}" --out "$TMP/got-full" >"$TMP/out" 2>&1
case $? in
  0) cmp -s "$TMP/secret" "$TMP/got-full" && ok || bad "the key released on a full disk differs" ;;
  1) contains "503" "a release refused on a full disk says the verifier is unavailable"
     [ ! -s "$TMP/got-full" ] && ok || bad "a secret was written although the release failed" ;;
  *) bad "a key release on a full disk: $(head -3 "$TMP/out")" ;;
esac
lacks "disk is full" "the release's answer carries none of the database's words"
code=$(curl -s -o "$TMP/body" -w '%{http_code}' -X POST -H 'Content-Type: application/json' -d "{\"token\":\"$(cat "$TMP/receipt")\"}" "$V/v1/receipts")
case $code in
  201) KEPT=$(jq -r .id "$TMP/body"); ok ;;
  503) KEPT=""; jq -e '.error.code == "log_unavailable" or .error.code == "store_unavailable"' "$TMP/body" >/dev/null && ok ||
         bad "a receipt refused on a full disk: $(head -c 200 "$TMP/body")" ;;
  *) KEPT=""; bad "a receipt posted on a full disk: wanted 201 or 503, got $code $(head -c 200 "$TMP/body")" ;;
esac
grep -q 'disk is full' "$TMP/body" && bad "the database's words reached the client" || ok

# The gateway: answers are still served with their signed receipts, and the receipts go to
# the room the queue reserved on disk ahead of time: durable, not held in memory.
for i in 2 3 4; do
  [ "$(receipt_chat)" = 200 ] && ok || bad "chat $i on a full disk"
  eval "R$i=\$(receipt_id \"$TMP/receipt\")"
done
[ -n "$R4" ] && ok || bad "the answer on a full disk carries its receipt"
sleep 0.3 # a sync round of the receipt sink
grep -q '"event":"receipt_held"' "$TMP/gw.err" && bad "receipts were held in memory: $(grep receipt_held "$TMP/gw.err")" || ok
alive "$GW_PID" && ok || bad "the gateway survived the full disk"
alive "$VPID" && ok || bad "the verifier survived the full disk"
# kill -9 while the disk is still full and the verifier cannot log them: they are on disk.
kill -9 "$GW_PID"; wait "$GW_PID" 2>/dev/null
# The verifier too, started again on the same port while the disk is still full: it starts,
# and serves what it holds.
kill -9 "$VPID"; wait "$VPID" 2>/dev/null
start_sim_verifier "${V##*:}" # exits the test when it does not start
alive "$VPID" && ok || bad "the verifier restarts on a full disk: $(tail -3 "$TMP/v.log")"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$V/v1/receipts/$R1")" = 200 ] && ok || bad "the restarted verifier serves a stored receipt"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$V/v1/log/checkpoint")" = 200 ] && ok || bad "the restarted verifier serves the checkpoint"

# Space is back: everything works again, the gateway restarted on the same state.
rm -f "$DISK/filler"
start_gateway gw2 "$TMP/g.json" --platform mock
grep -q '"event":"receipt_queue".*sent again' "$TMP/gw2.err" && ok ||
  bad "the restarted gateway sends the receipts queued before the kill: $(grep receipt_queue "$TMP/gw2.err")"
for _ in $(seq 50); do [ "$(receipt_chat)" = 200 ] && break; sleep 0.1; done
[ "$(receipt_chat)" = 200 ] && ok || bad "chat once space is back"
R5=$(receipt_id "$TMP/receipt")
receipt_logged "$R5" 10 && ok || bad "a receipt made once space is back is logged"
receipt_logged "$R1" 1 && ok || bad "the receipt from before is still there"
[ -z "$KEPT" ] || { receipt_logged "$KEPT" 1 && ok || bad "the receipt the full disk took ($KEPT) is kept"; }
expect 0 "a key released once space is back" -- "$VT" "${RELEASE[@]}" --out "$TMP/got2"
cmp -s "$TMP/secret" "$TMP/got2" && ok || bad "the released key differs"
# Nothing lost: every receipt made on the full disk reaches the log after the kill -9.
for r in "$R2" "$R3" "$R4"; do receipt_logged "$r" 5 && ok || bad "receipt $r, made on the full disk, logged once space is back"; done
sleep 1.2 # the next metrics file
grep -q '^veritee_gateway_receipts_held 0' "$prom" && ok || bad "nothing held: $(grep held "$prom")"
grep -q '^veritee_gateway_receipts_dropped_total 0' "$prom" && ok || bad "nothing dropped: $(grep dropped "$prom")"
cp "$TMP/receipt" "$TMP/r5.jwt"
expect 0 "monitor: the log is consistent with its checkpoint from before the disk filled" -- \
  "$VT" log monitor --log "$V/v1/log" --log-key "$TMP/log.vkey" --state "$TMP/mon"
expect 0 "the receipt made after is proven in the log" -- "$VT" log prove --log "$V/v1/log" --log-key "$TMP/log.vkey" "$TMP/r5.jwt"
finish
