#!/usr/bin/env bash
# Composite CPU+GPU evidence through the CLI (docs/formats/composite.md): real
# NVIDIA H100/NVSwitch reports of one PPCIe system (same SPDM nonce) bound to a
# simulated TDX quote whose report_data is the composite binding.  Accepted at
# the vectors' time with --trust-sim; a GPU report spliced in from elsewhere,
# a wrong expected nonce, a tampered or truncated container are rejected.
. "$(dirname "$0")/lib.sh"

V="${VERITEE_VECTORS:-../shared/vectors}"
if [ ! -d "$V/nvgpu" ]; then echo "skipped: no vectors at $V"; exit 77; fi
N="$V/nvgpu"
AT=2025-06-01T00:00:00Z
NONCE=4760e30534a0621357d458b1a7936551b5dc4cd1e69718adf7ed9fb0252a537e
PUB=04aabbccdd
DEVS=(--device "$N/ppcie-h100-gpu0/report.bin" --device "$N/ppcie-h100-gpu1/report.bin"
      --device "$N/ppcie-nvswitch-ls10-0/report.bin")
DEVC=(--device "$N/ppcie-h100-gpu0/report.bin,$N/ppcie-h100-gpu0/certchain.pem"
      --device "$N/ppcie-h100-gpu1/report.bin,$N/ppcie-h100-gpu1/certchain.pem"
      --device "$N/ppcie-nvswitch-ls10-0/report.bin,$N/ppcie-nvswitch-ls10-0/certchain.pem")

expect 0 "binding" -- "$VT" composite binding --nonce "$NONCE" --pubkey "$PUB" "${DEVS[@]}"
BIND=$(cat "$TMP/out")
[ ${#BIND} -eq 128 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: binding is not 64 bytes: $BIND"; }
expect 0 "sim tdx bound" -- "$VT" sim tdx --out "$TMP/tdx" --report-data "$BIND" --at "$AT"
expect 0 "build" -- "$VT" composite build --cpu "$TMP/tdx/quote.bin" --cpu-collateral "$TMP/tdx/collateral" \
  --nonce "$NONCE" --pubkey "$PUB" "${DEVC[@]}" --out "$TMP/c.json"

# Accepted: every part verifies (TDX under the simulation root, GPUs to the
# NVIDIA root; GPU RIMs unavailable offline, hence the allowance), binding holds.
expect 0 "composite accepted" -- "$VT" verify --json --trust-sim --at "$AT" --allow-missing-collateral \
  --nonce "$NONCE" --pubkey "$PUB" "$TMP/c.json"
contains '"platform": "composite"' "platform"
contains '"verdict": "warning"' "verdict"
contains '"hardware_attested": false' "simulated CPU: not hardware"
contains '"signature_valid": true' "signatures"
contains '"chain_valid": true' "chains"
contains "\"binding\": \"$BIND\"" "binding claim"
contains '"cpu.mrtd"' "cpu claims prefixed"
contains '"dev2.sha384"' "device digests"
contains 'devices[0] (nvgpu): nvgpu: reference measurements' "device warnings named"
for f in valid verdict platform hardware_attested signature_valid chain_valid collateral_verified tcb_status claims errors; do
  contains "\"$f\":" "top-level field $f"
done
expect 0 "auto platform" -- "$VT" verify --platform composite --trust-sim --at "$AT" --allow-missing-collateral "$TMP/c.json"

# Policy reaches the parts: without the RIM allowance the GPUs are rejected, by name.
expect 1 "no allowance" -- "$VT" verify --json --trust-sim --at "$AT" "$TMP/c.json"
contains 'devices[1] (nvgpu): nvgpu: no verified collateral' "collateral rule per device"
# Without --trust-sim the simulated CPU part fails its chain.
expect 1 "untrusted sim" -- "$VT" verify --json --at "$AT" --allow-missing-collateral "$TMP/c.json"
contains 'cpu (tdx)' "cpu named"
# The expected nonce/key are the composite's.
expect 1 "wrong nonce" -- "$VT" verify --json --trust-sim --at "$AT" --allow-missing-collateral \
  --nonce "00${NONCE:2}" --pubkey "$PUB" "$TMP/c.json"
contains '"check": "report_data"' "report_data named"

# Splice: gpu1's report replaced by gpu2's (same nonce, same system) in the container.
B1=$(base64 -w0 "$N/ppcie-h100-gpu1/report.bin")
B2=$(base64 -w0 "$N/ppcie-h100-gpu2/report.bin")
sed "s|$B1|$B2|" "$TMP/c.json" > "$TMP/splice.json"
expect 1 "spliced gpu rejected" -- "$VT" verify --json --trust-sim --at "$AT" --allow-missing-collateral \
  --certs "$N/ppcie-h100-gpu2/certchain.pem" "$TMP/splice.json"
contains '"check": "binding"' "binding named"
contains 'devices[1] (nvgpu) is not the report the CPU committed to' "spliced device named"
# Splice with a rebuilt listing: the CPU report no longer commits to the set.
expect 0 "rebuild with gpu2" -- "$VT" composite build --cpu "$TMP/tdx/quote.bin" --cpu-collateral "$TMP/tdx/collateral" \
  --nonce "$NONCE" --pubkey "$PUB" --device "$N/ppcie-h100-gpu0/report.bin,$N/ppcie-h100-gpu0/certchain.pem" \
  --device "$N/ppcie-h100-gpu2/report.bin,$N/ppcie-h100-gpu2/certchain.pem" \
  --device "$N/ppcie-nvswitch-ls10-0/report.bin,$N/ppcie-nvswitch-ls10-0/certchain.pem" --out "$TMP/rebuilt.json"
expect 1 "rebuilt splice rejected" -- "$VT" verify --json --trust-sim --at "$AT" --allow-missing-collateral "$TMP/rebuilt.json"
contains 'report_data does not commit to this nonce, public key and these 3 device reports' "binding mismatch"
# A report from another attestation (other nonce) spliced in with its listing.
B3=$(base64 -w0 "$N/nvtrust-h100-sample/report.bin")
H1=$(sha384sum "$N/ppcie-h100-gpu1/report.bin" | cut -c1-96)
H3=$(sha384sum "$N/nvtrust-h100-sample/report.bin" | cut -c1-96)
sed "s|$B1|$B3|; s|$H1|$H3|" "$TMP/c.json" > "$TMP/other.json"
expect 1 "other nonce rejected" -- "$VT" verify --json --trust-sim --at "$AT" --allow-missing-collateral \
  --certs "$N/nvtrust-h100-sample/certchain.pem" "$TMP/other.json"
contains 'devices[1] (nvgpu) was not collected with the composite nonce' "other nonce named"

# Tampered and truncated containers are input errors (exit 2).
sed 's|"veritee-composite-v1"|"veritee-composite-v9"|' "$TMP/c.json" > "$TMP/badfmt.json"
expect 2 "bad format tag" -- "$VT" verify --platform composite --at "$AT" "$TMP/badfmt.json"
sed 's|"nonce": "47|"nonce": "4|' "$TMP/c.json" > "$TMP/badnonce.json"
expect 2 "short nonce" -- "$VT" verify --at "$AT" "$TMP/badnonce.json"
contains 'nonce must be 32 bytes of hex' "nonce named"
sed 's|"platform": "nvgpu"|"platform": "tdx"|' "$TMP/c.json" > "$TMP/badplat.json"
expect 2 "wrong part platform" -- "$VT" verify --at "$AT" "$TMP/badplat.json"
contains 'devices[0].evidence is not tdx evidence' "part platform named"
for n in 10 300 20000 51000; do
  head -c $n "$TMP/c.json" > "$TMP/trunc.json"
  expect 2 "truncated at $n" -- "$VT" verify --platform composite --at "$AT" "$TMP/trunc.json"
done
# A device part whose own bytes are truncated: the device plugin's format error, named.
printf '%s' "$(head -c 100 "$N/ppcie-h100-gpu1/report.bin" | base64 -w0)" > "$TMP/b64short"
sed "s|$B1|$(cat "$TMP/b64short")|" "$TMP/c.json" > "$TMP/shortdev.json"
expect 2 "truncated device" -- "$VT" verify --at "$AT" --trust-sim --allow-missing-collateral "$TMP/shortdev.json"
contains 'devices[1] (nvgpu)' "truncated device named"

# inspect shows every part.
expect 0 "inspect" -- "$VT" inspect "$TMP/c.json"
contains '"binding":' "inspect binding"
contains '"sha384_matches_evidence": true' "inspect digests"
contains '"certchain.pem"' "inspect collateral names"
# Usage errors.
expect 2 "binding without nonce" -- "$VT" composite binding "${DEVS[@]}"
expect 2 "short nonce arg" -- "$VT" composite binding --nonce 00 "${DEVS[@]}"
expect 0 "help" -- "$VT" composite --help
finish
