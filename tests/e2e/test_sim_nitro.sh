#!/usr/bin/env bash
# veritee sim nitro through the real program: a document in the NSM's format
# under the simulation root verifies with the Nitro verifier only with
# --trust-sim, never as hardware; debug (zero PCRs) and tampering are rejected.
. "$(dirname "$0")/lib.sh"

AT=2025-06-01T00:00:00Z
LATER=2025-06-01T01:00:00Z
expect 0 "sim nitro" -- "$VT" sim nitro --out "$TMP/n" --nonce 0102 --pubkey 0a0b --user-data cafe --at "$AT" --json
contains '"platform": "nitro"' "sim json"
contains 'attestation.cbor' "file named"
expect 0 "accepted with --trust-sim" -- "$VT" verify --json --trust-sim --allow-missing-collateral --at "$LATER" \
  --nonce 0102 --pubkey 0a0b "$TMP/n/attestation.cbor"
contains '"platform": "nitro"' "auto platform"
contains '"hardware_attested": false' "never hardware"
contains '"signature_valid": true' "signature"
contains '"public_key": "0a0b"' "public_key claim"
contains '"user_data": "cafe"' "user_data claim"
expect 1 "rejected without --trust-sim" -- "$VT" verify --json --allow-missing-collateral --at "$LATER" "$TMP/n/attestation.cbor"
contains '"check": "cert_chain"' "chain named"
expect 1 "wrong nonce" -- "$VT" verify --json --trust-sim --allow-missing-collateral --at "$LATER" \
  --nonce 0103 --pubkey 0a0b "$TMP/n/attestation.cbor"
contains '"check": "report_data"' "report_data named"
expect 1 "leaf expired" -- "$VT" verify --json --trust-sim --allow-missing-collateral --at 2025-06-01T04:00:00Z \
  "$TMP/n/attestation.cbor"
contains '"check": "cert_chain"' "expiry named"
expect 0 "sim nitro debug" -- "$VT" sim nitro --out "$TMP/d" --debug --report-data 00ff --at "$AT"
expect 1 "debug rejected" -- "$VT" verify --json --trust-sim --allow-missing-collateral --at "$LATER" "$TMP/d/attestation.cbor"
contains '"check": "debug"' "debug named"
# Flip one byte inside the signed payload (the module_id text).
sed 's/i-0123456789abcdef0-enc/i-0123456789abcdef1-enc/' "$TMP/n/attestation.cbor" > "$TMP/t.cbor"
expect 1 "tampered" -- "$VT" verify --json --trust-sim --allow-missing-collateral --at "$LATER" "$TMP/t.cbor"
contains '"signature_valid": false' "tamper: signature"
head -c 700 "$TMP/n/attestation.cbor" > "$TMP/short.cbor"
expect 2 "truncated" -- "$VT" verify --trust-sim --at "$LATER" "$TMP/short.cbor"
expect 2 "both nonce forms" -- "$VT" sim nitro --out "$TMP/x" --nonce 01 --report-data 02
finish
