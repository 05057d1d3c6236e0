#!/usr/bin/env bash
# Every real TDX sample through the CLI, at its stated time, with each of its
# collateral sets: the outcomes ../shared/vectors/MANIFEST.md states.
. "$(dirname "$0")/lib.sh"

V="${VERITEE_VECTORS:-../shared/vectors}"
if [ ! -d "$V/tdx" ]; then echo "skipped: no vectors at $V"; exit 77; fi
T="$V/tdx"

# spr-e4 v4: signatures and chain valid, but no TCB level matches -> rejected.
for c in collateral-2023-06-gotdx:2023-07-01T01:00:00Z collateral-2026-03-lunal:2026-04-01T00:00:00Z; do
  d=${c%%:*}; at=${c#*:}
  expect 1 "spr-e4 $d" -- "$VT" verify --json --at "$at" --collateral "$T/gotdx-spr-e4-v4/$d" "$T/gotdx-spr-e4-v4/quote.bin"
  contains '"signature_valid": true' "spr-e4 $d signature"
  contains '"chain_valid": true' "spr-e4 $d chain"
  contains '"check": "tcb_status"' "spr-e4 $d no matching level"
done
expect 0 "spr-e4 report_data" -- "$VT" verify --json --at 2023-07-01T01:00:00Z --allow-missing-collateral \
  --report-data 6c62dec1b8191749a31dab490be532a35944dea47caef1f980863993d9899545eb7406a38d1eed313b987a467dacead6f0c87a6d766c66f6f29f8acb281f1113 \
  "$T/gotdx-spr-e4-v4/quote.bin"
expect 1 "spr-e4 wrong report_data" -- "$VT" verify --json --at 2023-07-01T01:00:00Z --allow-missing-collateral \
  --report-data 00 "$T/gotdx-spr-e4-v4/quote.bin"
contains '"check": "report_data"' "wrong report_data named"

# v5 TDX 1.5: UpToDate -> affirming.
expect 0 "v5-tdx15" -- "$VT" verify --json --at 2026-04-01T00:00:00Z --collateral "$T/gotdx-v5-tdx15/collateral-2026-03-lunal" "$T/gotdx-v5-tdx15/quote.bin"
contains '"verdict": "affirming"' "v5 affirming"
contains '"tcb_status": "UpToDate"' "v5 UpToDate"
contains '"hardware_attested": true' "v5 hardware"
contains '"mrtd": "7348651a34b2d2d3462822e3a750ec6110125f36757c78480bbfc69cc0d21fb001a1ced3ee19747dda8f750c3bc8f876"' "v5 mrtd"
contains '"fmspc": "90c06f000000"' "v5 fmspc"
expect 1 "v5 after collateral expiry" -- "$VT" verify --json --at 2026-05-01T00:00:00Z --collateral "$T/gotdx-v5-tdx15/collateral-2026-03-lunal" "$T/gotdx-v5-tdx15/quote.bin"
expect 1 "v5 before PCK validity" -- "$VT" verify --json --at 2025-01-01T00:00:00Z --allow-missing-collateral "$T/gotdx-v5-tdx15/quote.bin"
contains '"chain_valid": false' "v5 chain not yet valid"

# GCE quote: signatures and chain valid; no collateral exists for its FMSPC.
expect 1 "gce without collateral" -- "$VT" verify --json --at 2026-06-01T00:00:00Z "$T/gotdx-cos113-gce/quote.bin"
contains '"tcb_status": "unknown"' "gce unknown tcb"
expect 0 "gce allow missing collateral" -- "$VT" verify --json --at 2026-06-01T00:00:00Z --allow-missing-collateral "$T/gotdx-cos113-gce/quote.bin"
contains '"verdict": "warning"' "gce warning"
contains '"collateral_verified": false' "gce collateral not verified"
contains '"signature_valid": true' "gce signature"

# Debug TD: UpToDate / OutOfDate by collateral, but debug is rejected.
expect 1 "debug td 2023" -- "$VT" verify --json --at 2023-07-01T01:00:00Z --collateral "$T/trustee-quote4-debug/collateral-2023-06-gotdx" "$T/trustee-quote4-debug/quote.bin"
contains '"tcb_status": "UpToDate"' "debug 2023 UpToDate"
contains '"check": "debug"' "debug rejected"
expect 0 "debug td allowed 2023" -- "$VT" verify --allow-debug --json --at 2023-07-01T01:00:00Z --collateral "$T/trustee-quote4-debug/collateral-2023-06-gotdx" "$T/trustee-quote4-debug/quote.bin"
expect 0 "debug td allowed 2026" -- "$VT" verify --allow-debug --json --at 2026-04-01T00:00:00Z --collateral "$T/trustee-quote4-debug/collateral-2026-03-lunal" "$T/trustee-quote4-debug/quote.bin"
contains '"tcb_status": "OutOfDate"' "debug 2026 OutOfDate"
contains '"verdict": "warning"' "debug 2026 warning"
[ "$(grep -c 'INTEL-SA-' "$TMP/out")" -ge 11 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: 11 advisories"; }

# quote5 v5: no matching TCB level -> rejected.
expect 1 "quote5 v5" -- "$VT" verify --json --at 2026-04-01T00:00:00Z --collateral "$T/trustee-quote5-v5/collateral-2026-03-lunal" "$T/trustee-quote5-v5/quote.bin"
contains '"signature_valid": true' "quote5 signature"
contains '"check": "tcb_status"' "quote5 tcb"

# quote6: OutOfDate with both sets (warning); strict rejects.
expect 0 "quote6 2025-10" -- "$VT" verify --json --at 2025-11-01T00:00:00Z --collateral "$T/trustee-quote6-00a06d/collateral-2025-10-trustee" "$T/trustee-quote6-00a06d/quote.bin"
contains '"tcb_status": "OutOfDate"' "quote6 2025 OutOfDate"
expect 0 "quote6 2026-01" -- "$VT" verify --json --at 2026-02-01T00:00:00Z --collateral "$T/trustee-quote6-00a06d/collateral-2026-01-tinfoil" "$T/trustee-quote6-00a06d/quote.bin"
contains '"tcb_status": "OutOfDate"' "quote6 2026 OutOfDate"
contains '"collateral_verified": true' "quote6 collateral"
expect 1 "quote6 strict" -- "$VT" verify --strict --at 2026-02-01T00:00:00Z --collateral "$T/trustee-quote6-00a06d/collateral-2026-01-tinfoil" "$T/trustee-quote6-00a06d/quote.bin"
# The 2026 collateral does not fit the 2025 time window and vice versa.
expect 1 "quote6 mismatched time" -- "$VT" verify --at 2025-11-01T00:00:00Z --collateral "$T/trustee-quote6-00a06d/collateral-2026-01-tinfoil" "$T/trustee-quote6-00a06d/quote.bin"

# inspect parses without verifying.
expect 0 "inspect v5" -- "$VT" inspect "$T/gotdx-v5-tdx15/quote.bin"
contains '7348651a34b2d2d3462822e3a750ec6110125f36757c78480bbfc69cc0d21fb001a1ced3ee19747dda8f750c3bc8f876' "inspect mrtd"

finish
