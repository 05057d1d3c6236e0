#!/usr/bin/env bash
# Encrypted model weights at gateway boot (docs/keys.md), under the TDX simulator: the model owner
# encrypts the weights and registers the key with a policy pinning the model, auditor set and
# config; the genuine gateway gets the key, decrypts into tmpfs and serves; a gateway whose
# auditor set differs gets an affirming passport but no key and stops; a tampered ciphertext
# segment stops the boot.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gateway_lib.sh"
command -v curl >/dev/null && command -v jq >/dev/null || { echo "skipped: needs curl and jq"; exit 77; }
[ -x "$ECHO_BIN" ] || { echo "skipped: $ECHO_BIN not built"; exit 77; }
SHM=$(mktemp -d /dev/shm/veritee-e2e-XXXXXX 2>/dev/null) || { echo "skipped: no /dev/shm"; exit 77; }
trap 'cleanup; rm -rf "$SHM"' EXIT

TOKEN=0123456789abcdef0123456789abcdef
echo "$TOKEN" >"$TMP/admin-token"
chmod 600 "$TMP/admin-token"
"$VT" verifier --listen 127.0.0.1:0 --offline --admin-token-file "$TMP/admin-token" --trust-sim --quiet \
  >"$TMP/v.out" 2>"$TMP/v.log" &
PIDS="$PIDS $!"
V="http://$(listening "$TMP/v.out" "verifier" "$TMP/v.log")" || exit 1
ADM=(--verifier "$V" --admin-token-file "$TMP/admin-token")
start_echo echo

# The model owner: weights (two segments), a key, the encrypted file.
head -c $((4 * 1024 * 1024 + 4096)) /dev/urandom >"$TMP/m.gguf"
expect 0 "model keygen" -- "$VT" model keygen "$TMP/model.key"
expect 0 "model encrypt" -- "$VT" model encrypt --key "$TMP/model.key" "$TMP/m.gguf" "$TMP/m.gguf.vtw"
REF=$("$VT" measure "$TMP/m.gguf" --json | jq -r .root)

gwconf() { # FILE ENCRYPTED-FILE CARD-ACTION
  cat >"$1" <<JSON
{"upstream": "http://$ECHO", "verifier": "$V", "environment": "enc",
 "encrypted_models": [{"file": "$2", "name": "m.gguf", "resource": "model-key", "into": "$SHM"}],
 "auditors": [{"name": "pii", "phases": ["request", "response"], "actions": {"email": "redact", "card": "$3"}}]}
JSON
}
gwconf "$TMP/gw.json" "$TMP/m.gguf.vtw" redact
expect 0 "measure-only" -- "$VT" gateway --config "$TMP/gw.json" --platform tdx --simulate --measure-only
cp "$TMP/out" "$TMP/gw-m.json"
MODEL=$(jq -r '.events[] | select(.component == "model") | .digest' "$TMP/gw-m.json")
AUD=$(jq -r '[.events[] | select(.component == "auditor") | .digest] | join(",")' "$TMP/gw-m.json")
CFG=$(jq -r '.events[] | select(.component == "config") | .digest' "$TMP/gw-m.json")
[ "$MODEL" = "$REF" ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: the measured model ($MODEL) is not veritee measure of the plaintext ($REF)"; }

# The environment pins the image and the model; the key's policy also pins the auditors and config.
mapfile -t image < <(sim_tdx_image_args)
expect 0 "env create" -- "$VT" env create enc "${ADM[@]}" --allow-simulated --min-tcb any --model "$MODEL" "${image[@]}"
expect 0 "key register" -- "$VT" key register model-key "${ADM[@]}" --value-file "$TMP/model.key" --environment enc \
  --platform tdx --allow-simulated --min-tcb any --model "$MODEL" --auditors "$AUD" --config "$CFG"

# The genuine gateway: key released, plaintext in tmpfs only, digest checked, serving.
start_gateway gw "$TMP/gw.json" --platform tdx --simulate --threads 1
cmp -s "$TMP/m.gguf" "$SHM/m.gguf" && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: no decrypted model in tmpfs"; }
[ "$(stat -c %a "$SHM/m.gguf")" = 600 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: plaintext not 0600"; }
grep -q '"event":"model_decrypted"' "$TMP/gw.err" && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: no model_decrypted"; cat "$TMP/gw.err"; }
grep -q '"event":"kbs_released"' "$TMP/v.log" && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: release not audited"; }
expect 0 "serves" -- curl -sf "http://$GW/v1/models"
kill "$GW_PID"; wait "$GW_PID" 2>/dev/null
[ ! -e "$SHM/m.gguf" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: plaintext left behind at exit"; }

# Another auditor set (cards let through): affirming passport, but no key, and it stops saying why.
gwconf "$TMP/gw2.json" "$TMP/m.gguf.vtw" allow
expect 1 "other auditor set: no key, no serving" -- timeout 60 "$VT" gateway --config "$TMP/gw2.json" --listen 127.0.0.1:0 --platform tdx --simulate --threads 1
contains "did not release 'model-key'" "clear message"
contains "refusing to serve" "refuses to serve"
grep -q '"clause":"measurements.auditors"' "$TMP/v.log" && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: auditors clause not in the admin log"; }
[ ! -e "$SHM/m.gguf" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: plaintext without a key"; }

# A target directory another user owns is refused: they could put their own weights in place of
# the checked plaintext once it is there (needs root to give the directory away).
if [ "$(id -u)" = 0 ]; then
  chown 65534:65534 "$SHM" && chmod 777 "$SHM"
  expect 1 "another user's target directory refused" -- timeout 30 "$VT" gateway --config "$TMP/gw.json" --listen 127.0.0.1:0 --platform tdx --simulate --threads 1
  contains "owned by uid 65534" "their directory: clear message"
  [ -z "$(ls -A "$SHM")" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: plaintext in another user's directory"; }
  chown 0:0 "$SHM" && chmod 700 "$SHM"
fi

# A flipped bit in the first ciphertext segment: key released, decryption fails, no plaintext, no serving.
printf '\xff' | dd of="$TMP/m.gguf.vtw" bs=1 seek=5000 conv=notrunc status=none
expect 1 "tampered segment stops the boot" -- timeout 60 "$VT" gateway --config "$TMP/gw.json" --listen 127.0.0.1:0 --platform tdx --simulate --threads 1
contains "does not decrypt" "tamper: clear message"
[ -z "$(ls -A "$SHM")" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: tmpfs not empty after a failed decryption: $(ls -A "$SHM")"; }

# Targets on persistent disk are refused.
gwconf "$TMP/gw3.json" "$TMP/m.gguf.vtw" redact
sed -i "s|\"into\": \"$SHM\"|\"into\": \"$TMP/disk\"|" "$TMP/gw3.json"
expect 1 "plaintext target on disk refused" -- timeout 60 "$VT" gateway --config "$TMP/gw3.json" --listen 127.0.0.1:0 --platform tdx --simulate --threads 1
contains "not on tmpfs" "disk target: clear message"
finish
