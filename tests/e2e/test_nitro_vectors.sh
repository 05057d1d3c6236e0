#!/usr/bin/env bash
# Every real AWS Nitro Enclaves document through the CLI at its MANIFEST time
# (../shared/vectors/MANIFEST.md, nitro/): prod samples accepted, debug-mode
# samples rejected as debug, everything rejected once the ~3 h leaf expired.
. "$(dirname "$0")/lib.sh"

V="${VERITEE_VECTORS:-../shared/vectors}"
if [ ! -d "$V/nitro" ]; then echo "skipped: no vectors at $V"; exit 77; fi
N="$V/nitro"

# Production enclaves: affirming, hardware attested, chain to the pinned AWS root.
expect 0 "nitrite prod" -- "$VT" verify --json --at 2024-09-07T14:37:39Z "$N/nitrite-prod-maxsize.cbor"
contains '"verdict": "affirming"' "prod affirming"
contains '"platform": "nitro"' "prod platform"
contains '"hardware_attested": true' "prod hardware"
contains '"signature_valid": true' "prod signature"
contains '"chain_valid": true' "prod chain"
contains '"tcb_status": "NotApplicable"' "prod: no TCB to compare (NotApplicable, not UpToDate)"
contains '"pcr0": "e72a46ca80a260fb044a125442f0c7e331813bcbaf9724d9f3857758992766f2d65710a27aa94ae3949dd54e7c9fe86a"' "prod pcr0"
contains '"debug": false' "prod not debug"
expect 0 "sparsity-2 prod" -- "$VT" verify --json --at 2023-09-28T11:08:27Z "$N/sparsity-attestation-2.cbor"
contains '"verdict": "affirming"' "sparsity-2 affirming"
contains '"nonce": "6537623463376537376339663639666136663032643363383737393666353431"' "sparsity-2 nonce"
contains 'ap-southeast-1.aws' "sparsity-2 leaf subject"

# report_data is the nonce, zero-padded.
expect 0 "sparsity-2 report_data = nonce" -- "$VT" verify --json --at 2023-09-28T11:08:27Z \
  --report-data 6537623463376537376339663639666136663032643363383737393666353431 "$N/sparsity-attestation-2.cbor"
expect 1 "sparsity-2 wrong report_data" -- "$VT" verify --json --at 2023-09-28T11:08:27Z \
  --report-data 00 "$N/sparsity-attestation-2.cbor"
contains '"check": "report_data"' "wrong report_data named"

# Debug-mode enclaves (PCR0..2 zero): cryptographically valid, rejected as debug.
for s in nitrite-debug-maxsize:2024-09-07T14:38:06Z sparsity-attestation-1:2024-08-16T09:11:49Z; do
  f=${s%%:*}; at=${s#*:}
  expect 1 "$f debug" -- "$VT" verify --json --at "$at" "$N/$f.cbor"
  contains '"check": "debug"' "$f debug named"
  contains '"signature_valid": true' "$f signature"
  contains '"chain_valid": true' "$f chain"
  expect 0 "$f debug allowed" -- "$VT" verify --allow-debug --json --at "$at" "$N/$f.cbor"
  contains '"verdict": "warning"' "$f debug allowed is a warning"
done

# 4 hours later every leaf has expired: rejected, naming the chain check.
expect 1 "prod after leaf expiry" -- "$VT" verify --json --at 2024-09-07T18:37:39Z "$N/nitrite-prod-maxsize.cbor"
contains '"check": "cert_chain"' "expiry names cert_chain"
contains 'expired' "expiry says expired"

# A truncated document is an input error (exit 2 = unreadable evidence, or 1), never a crash.
head -c 3000 "$N/sparsity-attestation-2.cbor" > "$TMP/trunc.cbor"
"$VT" verify --platform nitro --at 2023-09-28T11:08:27Z "$TMP/trunc.cbor" >"$TMP/out" 2>&1
rc=$?
if [ "$rc" -eq 1 ] || [ "$rc" -eq 2 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: truncated exit $rc"; fi
contains 'truncated' "truncation named"

# inspect: every field as JSON.
expect 0 "inspect sparsity-2" -- "$VT" inspect "$N/sparsity-attestation-2.cbor"
contains '"module_id": "i-015531f954c54297c-enc018adb700a324d32"' "inspect module_id"
contains '"public_key": null' "inspect null public_key"
contains 'CN=aws.nitro-enclaves' "inspect cabundle root"

finish
