#!/usr/bin/env bash
# Every real NVIDIA GPU (H100) and NVSwitch (LS10) SPDM evidence through the
# CLI at its MANIFEST time (../shared/vectors/MANIFEST.md, nvgpu/): signature
# and chain to the pinned NVIDIA Device Identity CA verify; without RIMs and
# OCSP the TCB status is unknown, so acceptance needs --allow-missing-collateral
# and gives a warning; the trustee negative chains are rejected.
. "$(dirname "$0")/lib.sh"

V="${VERITEE_VECTORS:-../shared/vectors}"
if [ ! -d "$V/nvgpu" ]; then echo "skipped: no vectors at $V"; exit 77; fi
N="$V/nvgpu"
AT=2025-06-01T00:00:00Z

for d in nvtrust-h100-sample ppcie-h100-gpu0 ppcie-h100-gpu1 ppcie-h100-gpu2 ppcie-h100-gpu3 ppcie-h100-gpu4 \
         ppcie-h100-gpu5 ppcie-nvswitch-ls10-0 ppcie-nvswitch-ls10-1 ppcie-nvswitch-ls10-2; do
  expect 0 "$d accepted" -- "$VT" verify --json --at "$AT" --certs "$N/$d/certchain.pem" \
    --allow-missing-collateral "$N/$d/report.bin"
  contains '"verdict": "warning"' "$d warning"
  contains '"platform": "nvgpu"' "$d platform"
  contains '"hardware_attested": true' "$d hardware"
  contains '"signature_valid": true' "$d signature"
  contains '"chain_valid": true' "$d chain"
  contains 'reference measurements (RIMs) not checked' "$d RIM warning"
  contains 'OCSP revocation of the device certificates not checked' "$d OCSP warning"
done

# Without --allow-missing-collateral: rejected for the unknown TCB status, not for the crypto.
expect 1 "h100 without RIM" -- "$VT" verify --json --at "$AT" --certs "$N/nvtrust-h100-sample/certchain.pem" \
  "$N/nvtrust-h100-sample/report.bin"
contains '"check": "collateral"' "collateral named"
contains '"signature_valid": true' "signature still valid"

# report_data is the 32-byte request nonce, zero-padded.
expect 0 "h100 nonce" -- "$VT" verify --json --at "$AT" --certs "$N/nvtrust-h100-sample/certchain.pem" \
  --allow-missing-collateral --report-data 931d8dd0add203ac3d8b4fbde75e115278eefcdceac5b87671a748f32364dfcb \
  "$N/nvtrust-h100-sample/report.bin"
contains '"fwid": "f5c384aebb579217a2c66b17ed0f28e6a9b8d639041acd7b4721cec004f7275494ba94bb5cdfdb3055ee051762b1f75d"' "h100 fwid"
# Version claims are text, not hex of their bytes.
contains '"driver_version": "550.90.07"' "verify driver as text"
contains '"vbios_version": "96.00.9F.00.01"' "verify vbios as text"
lacks '3535302e39302e3037' "verify driver not hex"
# ... and the text output shows each once, as text.
expect 0 "h100 text" -- "$VT" verify --at "$AT" --certs "$N/nvtrust-h100-sample/certchain.pem" \
  --allow-missing-collateral "$N/nvtrust-h100-sample/report.bin"
contains 'driver_version       550.90.07' "text driver"
if [ "$(grep -c '550\.90\.07' "$TMP/out")" = 1 ]; then passed=$((passed + 1)); else
  failed=$((failed + 1)); echo "FAIL: driver version printed more than once"; fi
expect 1 "h100 wrong nonce" -- "$VT" verify --json --at "$AT" --certs "$N/nvtrust-h100-sample/certchain.pem" \
  --allow-missing-collateral --report-data 00 "$N/nvtrust-h100-sample/report.bin"
contains '"check": "report_data"' "wrong nonce named"

# The trustee negative chains (MANIFEST reasons).
expect 1 "case2 root only" -- "$VT" verify --json --at "$AT" --allow-missing-collateral \
  --certs "$N/negative/trustee-hopper-certchain-case2.pem" "$N/nvtrust-h100-sample/report.bin"
contains 'must hold the signing certificate and the root' "case2 reason"
expect 1 "case3 missing intermediate" -- "$VT" verify --json --at "$AT" --allow-missing-collateral \
  --certs "$N/negative/trustee-hopper-certchain-case3.pem" "$N/nvtrust-h100-sample/report.bin"
contains 'certificate chain does not verify' "case3 reason"
expect 1 "case4 missing leaf" -- "$VT" verify --json --at "$AT" --allow-missing-collateral \
  --certs "$N/negative/trustee-hopper-certchain-case4.pem" "$N/nvtrust-h100-sample/report.bin"
contains 'fwid extension (2.23.133.5.4.1) not found' "case4 reason"
# Another GPU's chain.
expect 1 "gpu0 with gpu1 chain" -- "$VT" verify --json --at "$AT" --allow-missing-collateral \
  --certs "$N/ppcie-h100-gpu1/certchain.pem" "$N/ppcie-h100-gpu0/report.bin"
contains '"check": "signature"' "foreign chain: signature named"

# A truncated report is unreadable (exit 2), never a crash.
head -c 2000 "$N/nvtrust-h100-sample/report.bin" > "$TMP/trunc.bin"
expect 2 "truncated" -- "$VT" verify --platform nvgpu --at "$AT" "$TMP/trunc.bin"

# RIMs (genuine, NVIDIA-signed; nvtrust-h100-rim-sample): verified with XML-DSig to the pinned
# NVIDIA RIM root and compared index by index.  The driver RIM matches every active index.
R="$N/nvtrust-h100-rim-sample"
expect 0 "driver rim" -- "$VT" verify --json --at "$AT" --certs "$R/certchain.pem" --certs "$R/driver_rim.swidtag" \
  --allow-missing-collateral "$R/report.bin"
contains '"role": "driver_rim"' "driver rim signer"
contains 'HCC RIM L4 Signer' "driver rim signer named"
contains 'only the driver RIM given: VBIOS measurements not checked' "vbios not checked said"
lacks '"check": "measurements"' "driver rim: every index matches"
# The genuine VBIOS RIM differs from this report at indices 1, 2, 3 and 9 (4, 5, 6, 11 match):
# compared by index, it is rejected (docs/formats/nvgpu.md).
expect 1 "vbios rim mismatch" -- "$VT" verify --json --at "$AT" --certs "$R/certchain.pem" \
  --certs "$R/driver_rim.swidtag" --certs "$R/vbios_rim.swidtag" --allow-missing-collateral "$R/report.bin"
contains 'measurement 1 does not match the vbios RIM (96.00.5E.00.01)' "vbios index 1 named"
lacks 'does not match the driver RIM' "driver still matches"
# A changed golden value breaks the signature; after the RIM signer expired, the chain fails.
sed 's/ns2:Hash0="0e0ee161/ns2:Hash0="0e0ee162/' "$R/driver_rim.swidtag" >"$TMP/driver_rim.swidtag"
expect 1 "tampered rim" -- "$VT" verify --json --at "$AT" --certs "$R/certchain.pem" --certs "$TMP/driver_rim.swidtag" \
  --allow-missing-collateral "$R/report.bin"
contains 'rim signature does not verify' "tampered rim named"
expect 1 "expired rim signer" -- "$VT" verify --json --at 2025-07-01T00:00:00Z --certs "$R/certchain.pem" \
  --certs "$R/driver_rim.swidtag" --allow-missing-collateral "$R/report.bin"
contains 'rim signing chain does not verify' "expired rim named"
# A RIM for another version (the VBIOS RIM against an H100 with another VBIOS).
expect 1 "rim for other version" -- "$VT" verify --json --at "$AT" --certs "$N/nvtrust-h100-sample/certchain.pem" \
  --certs "$R/vbios_rim.swidtag" --allow-missing-collateral "$N/nvtrust-h100-sample/report.bin"
contains 'is not for this driver (550.90.07) or VBIOS (96.00.9F.00.01)' "other version named"

# inspect: every field as JSON.
expect 0 "inspect h100" -- "$VT" inspect "$N/nvtrust-h100-sample/report.bin"
contains '"driver_version": "550.90.07"' "inspect driver"
contains '"vbios_version": "96.00.9F.00.01"' "inspect vbios"
contains '"number_of_blocks": 64' "inspect blocks"
expect 0 "inspect switch" -- "$VT" inspect "$N/ppcie-nvswitch-ls10-0/report.bin"
contains '"vbios_version": "96.10.73.00.01"' "inspect switch vbios"

finish
