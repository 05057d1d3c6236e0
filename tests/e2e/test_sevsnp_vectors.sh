#!/usr/bin/env bash
# Every real SEV-SNP sample through the CLI at its stated time, with its
# VCEK/VLEK as collateral: the outcomes ../shared/vectors/MANIFEST.md states.
. "$(dirname "$0")/lib.sh"

V="${VERITEE_VECTORS:-../shared/vectors}"
if [ ! -d "$V/sevsnp" ]; then echo "skipped: no vectors at $V"; exit 77; fi
S="$V/sevsnp"

# Valid, non-debug samples: hardware attested, every check passed, and the TCB reported honestly:
# REPORTED_TCB is certified by the VCEK but compared with no minimum, so the status is Unknown and
# the verdict a warning (an environment's sevsnp_min_tcb decides UpToDate or OutOfDate).
for c in virtee-milan-v2:2024-01-01T00:00:00Z:vcek trustee-milan-v2:2024-01-01T00:00:00Z:vcek \
         trustee-milan-vlek-aws-v3:2025-06-01T00:00:00Z:vlek lunal-genoa-v5:2026-06-01T00:00:00Z:vcek; do
  d=${c%%:*}; rest=${c#*:}; at=${rest%:*}; key=${rest##*:}
  expect 0 "$d" -- "$VT" verify --platform sevsnp --json --at "$at" --collateral "$S/$d" "$S/$d/report.bin"
  contains '"verdict": "warning"' "$d warning"
  contains '"tcb_status": "Unknown"' "$d Unknown"
  contains '"reported_tcb_ucode"' "$d REPORTED_TCB components as claims"
  contains 'not compared with a minimum TCB' "$d warning says why"
  contains '"hardware_attested": true' "$d hardware"
  contains "\"role\": \"$key\"" "$d signer $key"
  # Auto-detection gives the same answer.
  expect 0 "$d auto" -- "$VT" verify --at "$at" --collateral "$S/$d" "$S/$d/report.bin"
done

# verify --sevsnp-min-tcb: the one-shot verify judges the TCB (virtee-milan-v2: bl 3 tee 0 snp 8 ucode 115).
M="$S/virtee-milan-v2"
expect 0 "min tcb met" -- "$VT" verify --json --at 2024-01-01T00:00:00Z --collateral "$M" \
  --sevsnp-min-tcb milan:bootloader=3,tee=0,snp=8,microcode=115 "$M/report.bin"
contains '"tcb_status": "UpToDate"' "min tcb met: UpToDate"
contains '"verdict": "affirming"' "min tcb met: affirming"
expect 0 "min tcb above" -- "$VT" verify --json --at 2024-01-01T00:00:00Z --collateral "$M" \
  --sevsnp-min-tcb genoa:bootloader=9,tee=0,snp=0,microcode=0 --sevsnp-min-tcb milan:bootloader=3,tee=0,snp=8,microcode=116 "$M/report.bin"
contains '"tcb_status": "OutOfDate"' "min tcb above: OutOfDate"
contains 'REPORTED_TCB microcode SPL 115 is below the Milan minimum 116' "min tcb above: component named"
expect 1 "min tcb above strict" -- "$VT" verify --strict --json --at 2024-01-01T00:00:00Z --collateral "$M" \
  --sevsnp-min-tcb milan:bootloader=0,tee=0,snp=0,microcode=116 "$M/report.bin"
expect 0 "min tcb other product" -- "$VT" verify --json --at 2024-01-01T00:00:00Z --collateral "$M" \
  --sevsnp-min-tcb genoa:bootloader=1,tee=1,snp=1,microcode=1 "$M/report.bin"
contains '"tcb_status": "Unknown"' "other product: Unknown"
contains 'states no sevsnp_min_tcb for Milan' "other product: says why"
expect 2 "min tcb bad component" -- "$VT" verify --at 2024-01-01T00:00:00Z --collateral "$M" \
  --sevsnp-min-tcb milan:ucode=1 "$M/report.bin"
contains 'is not a TCB component' "bad component named"
expect 2 "min tcb bad product" -- "$VT" verify --at 2024-01-01T00:00:00Z --collateral "$M" \
  --sevsnp-min-tcb mars:tee=1 "$M/report.bin"
expect 2 "min tcb bad syntax" -- "$VT" verify --at 2024-01-01T00:00:00Z --collateral "$M" \
  --sevsnp-min-tcb milan "$M/report.bin"

# go-sev-guest: valid, but launched with debug allowed -> rejected unless --allow-debug.
expect 1 "gosev debug" -- "$VT" verify --json --at 2022-09-24T01:00:00Z --collateral "$S/gosev-milan-v2" "$S/gosev-milan-v2/report.bin"
contains '"check": "debug"' "gosev debug named"
contains '"signature_valid": true' "gosev signature"
expect 0 "gosev allow debug" -- "$VT" verify --allow-debug --json --at 2022-09-24T01:00:00Z \
  --report-data 0102030405 --collateral "$S/gosev-milan-v2" "$S/gosev-milan-v2/report.bin"
contains '"measurement": "b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece31a5a608eb0cf2e4872b01"' "gosev measurement"

# report_data binding through the registry.
expect 0 "lunal report_data" -- "$VT" verify --json --at 2026-06-01T00:00:00Z --collateral "$S/lunal-genoa-v5" \
  --report-data 68656c6c6f2d6174746573746174696f6e "$S/lunal-genoa-v5/report.bin"
expect 1 "lunal wrong report_data" -- "$VT" verify --json --at 2026-06-01T00:00:00Z --collateral "$S/lunal-genoa-v5" \
  --report-data 00 "$S/lunal-genoa-v5/report.bin"
contains '"check": "report_data"' "wrong report_data named"

# No certificate: rejected even when missing collateral is allowed (nothing is fetched).
expect 1 "no vcek" -- "$VT" verify --json --at 2024-01-01T00:00:00Z --allow-missing-collateral "$S/virtee-milan-v2/report.bin"
contains '"check": "vcek_chain"' "no vcek named"
contains '"signature_valid": false' "no vcek no signature"
# Another chip's VCEK; VLEK outside its one-year validity.
mkdir -p "$TMP/other" && cp "$S/trustee-milan-v2/vcek.der" "$TMP/other/"
expect 1 "other chip" -- "$VT" verify --json --at 2024-01-01T00:00:00Z --collateral "$TMP/other" "$S/virtee-milan-v2/report.bin"
contains '"check": "report_signature"' "other chip signature"
contains '"check": "chip_id"' "other chip chip_id"
expect 1 "vlek expired" -- "$VT" verify --json --at 2026-01-01T00:00:00Z --collateral "$S/trustee-milan-vlek-aws-v3" "$S/trustee-milan-vlek-aws-v3/report.bin"
contains '"chain_valid": false' "vlek expired chain"
# Negative VCEKs do not chain to the Milan ARK.
mkdir -p "$TMP/neg" && cp "$S/negative/"*.der "$TMP/neg/"
expect 1 "negative vceks" -- "$VT" verify --json --at 2024-01-01T00:00:00Z --collateral "$TMP/neg" "$S/trustee-milan-v2/report.bin"
contains '"chain_valid": false' "negative chain"

# Tampered and truncated reports.
cp "$S/trustee-milan-v2/report.bin" "$TMP/flip.bin"
printf '\x01' | dd of="$TMP/flip.bin" bs=1 seek=42 conv=notrunc 2>/dev/null
expect 1 "flip byte 42" -- "$VT" verify --json --at 2024-01-01T00:00:00Z --collateral "$S/trustee-milan-v2" "$TMP/flip.bin"
contains '"check": "report_signature"' "flip signature named"
head -c 1183 "$S/trustee-milan-v2/report.bin" >"$TMP/short.bin"
expect 2 "truncated" -- "$VT" verify --platform sevsnp --at 2024-01-01T00:00:00Z --collateral "$S/trustee-milan-v2" "$TMP/short.bin"

# --certs FILE instead of a directory (repeatable; PEM ASK beside a DER VCEK).
expect 0 "--certs" -- "$VT" verify --json --at 2024-01-01T00:00:00Z --certs "$S/virtee-milan-v2/vcek.der" \
  --certs "$V/roots/amd_milan_ask.pem" "$S/virtee-milan-v2/report.bin"
contains '"verdict": "warning"' "--certs warning (TCB Unknown)"

# inspect parses without verifying.
expect 0 "inspect" -- "$VT" inspect "$S/lunal-genoa-v5/report.bin"
contains 'd9912ba396ce409c2947841d93a5076b6839b898c22b4aae05edb3b2b058a99927f8cf9a4f8617ee695deb14795496c8' "inspect measurement"
contains '"current_mit_vector"' "inspect v5 field"

finish
