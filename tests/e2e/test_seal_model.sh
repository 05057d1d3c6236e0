#!/usr/bin/env bash
# veritee model (encrypted weights) and veritee seal/unseal over the real
# program: round trips, the digest equal to 'veritee measure', and the exit
# statuses 0 / 1 (does not decrypt or open) / 2 (usage) with clear messages.
. "$(dirname "$0")/lib.sh"

# ---- encrypted model weights ----
head -c 9000000 /dev/urandom >"$TMP/model.safetensors"
expect 0 "keygen" -- "$VT" model keygen "$TMP/k"
[ "$(stat -c %a "$TMP/k")" = 600 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: key file mode"; }
expect 2 "keygen never overwrites" -- "$VT" model keygen "$TMP/k"
expect 0 "encrypt" -- "$VT" model encrypt --key "$TMP/k" "$TMP/model.safetensors" "$TMP/model.enc"
digest=$(cut -d' ' -f1 "$TMP/out")
"$VT" measure "$TMP/model.safetensors" >"$TMP/m"
contains "model.safetensors" "encrypt names the bound name"
grep -qF "  $digest  model.safetensors" "$TMP/m" && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: the header digest is not veritee measure's file digest"; cat "$TMP/m"; }
expect 0 "inspect needs no key" -- "$VT" model inspect "$TMP/model.enc"
contains "\"digest\": \"$digest\"" "inspect shows the digest"
mkdir "$TMP/plain"
expect 0 "decrypt" -- "$VT" model decrypt --key "$TMP/k" --expect "$digest" "$TMP/model.enc" "$TMP/plain/model.safetensors"
cmp -s "$TMP/model.safetensors" "$TMP/plain/model.safetensors" && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: decrypted bytes differ"; }
expect 1 "another name (a swapped shard) does not decrypt" -- \
  "$VT" model decrypt --key "$TMP/k" "$TMP/model.enc" "$TMP/plain/model-00002.safetensors"
contains "wrong name" "the refusal says why"
[ ! -e "$TMP/plain/model-00002.safetensors" ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: a refused decryption left an output"; }
expect 1 "a different expected digest" -- \
  "$VT" model decrypt --key "$TMP/k" --expect "$(printf '%064d' 0)" --name model.safetensors "$TMP/model.enc" "$TMP/x"
[ ! -e "$TMP/x" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: --expect mismatch kept the output"; }
cp "$TMP/model.enc" "$TMP/bad.enc"
printf '\x01' | dd of="$TMP/bad.enc" bs=1 seek=6000000 conv=notrunc 2>/dev/null
expect 1 "a tampered segment" -- "$VT" model decrypt --key "$TMP/k" --name model.safetensors "$TMP/bad.enc" "$TMP/x"
contains "segment 1 of 3 does not authenticate" "names the segment"
head -c 5000000 "$TMP/model.enc" >"$TMP/short.enc"
expect 1 "a truncated file" -- "$VT" model decrypt --key "$TMP/k" --name model.safetensors "$TMP/short.enc" "$TMP/x"
contains "truncated" "says truncated"
"$VT" model keygen "$TMP/k2"
expect 1 "another key" -- "$VT" model decrypt --key "$TMP/k2" --name model.safetensors "$TMP/model.enc" "$TMP/x"
chmod 644 "$TMP/k"
expect 1 "a key file others can read is refused" -- "$VT" model encrypt --key "$TMP/k" "$TMP/model.safetensors" "$TMP/y"
contains "chmod 600" "says how to fix it"
chmod 600 "$TMP/k"
expect 2 "no key" -- "$VT" model encrypt "$TMP/model.safetensors" "$TMP/y"
expect 2 "not an encrypted file" -- "$VT" model decrypt --key "$TMP/k" "$TMP/model.safetensors" "$TMP/y"
contains "magic" "names the field"

# ---- sealing (mock root: this test machine has no TEE) ----
printf 'secret model key' >"$TMP/s"
expect 0 "seal" -- "$VT" seal --platform mock --key-id model-key --out "$TMP/s.sealed" "$TMP/s"
contains "not hardware" "the mock root says so"
[ "$(stat -c %s "$TMP/s.sealed")" = 44 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: blob size"; }
"$VT" unseal --platform mock --key-id model-key "$TMP/s.sealed" >"$TMP/s.back" 2>/dev/null
cmp -s "$TMP/s" "$TMP/s.back" && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: unseal round trip"; }
printf 'from stdin' | "$VT" seal --platform mock --key-id k 2>/dev/null | "$VT" unseal --platform mock --key-id k >"$TMP/o" 2>/dev/null
[ "$(cat "$TMP/o")" = "from stdin" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: stdin to stdout"; }
# --out goes through a temporary file the program makes itself: a link waiting under that name
# ("<out>.tmp.<pid>"; sh execs the program under its own pid) never carries the secret elsewhere.
: >"$TMP/leak"
chmod 666 "$TMP/leak"
sh -c 'ln -s "$2" "$1.tmp.$$" && exec "$3" unseal --platform mock --key-id model-key --out "$1" "$4"' _ \
  "$TMP/u.out" "$TMP/leak" "$VT" "$TMP/s.sealed" 2>/dev/null
[ ! -s "$TMP/leak" ] && [ ! -L "$TMP/u.out" ] && [ "$(stat -c %a "$TMP/u.out")" = 600 ] && cmp -s "$TMP/s" "$TMP/u.out" &&
  passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: unseal --out wrote through a link in its way"; }
expect 1 "another key id" -- "$VT" unseal --platform mock --key-id other "$TMP/s.sealed"
contains "does not open" "says it does not open"
expect 1 "another state directory (another mock root)" -- \
  "$VT" unseal --platform mock --state "$TMP/other-state" --key-id model-key "$TMP/s.sealed"
cp "$TMP/s.sealed" "$TMP/flip"; printf '\x80' | dd of="$TMP/flip" bs=1 seek=20 conv=notrunc 2>/dev/null
expect 1 "a flipped bit" -- "$VT" unseal --platform mock --key-id model-key "$TMP/flip"
head -c 10 "$TMP/s.sealed" >"$TMP/tiny"
expect 1 "too short to be a blob" -- "$VT" unseal --platform mock --key-id model-key "$TMP/tiny"
expect 2 "no key id" -- "$VT" seal --platform mock "$TMP/s"
expect 2 "unknown platform" -- "$VT" seal --platform tdx --key-id k "$TMP/s"
expect 2 "sevsnp without the device" -- "$VT" seal --platform sevsnp --sysroot "$TMP/nothing" --key-id k "$TMP/s"
finish
