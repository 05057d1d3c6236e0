#!/usr/bin/env bash
# NVIDIA GPU collection through NVML loaded at run time, against a stand-in
# libnvidia-ml built by the tests (tests/support/nvml/) that serves a real
# H100's report and chain from the vectors: 'hardware' and 'gpu status' say CC
# on / off / devtools and the GPU count; 'gpu collect' writes the evidence the
# verifier accepts (the real signature and chain verify); a nonce other than
# the one the report carries, CC off, a failing NVML call, a report size past
# NVML's array and a missing library all give clear errors and no evidence.
. "$(dirname "$0")/lib.sh"

V="${VERITEE_VECTORS:-../shared/vectors}"
S="$V/nvgpu/nvtrust-h100-rim-sample"
if [ ! -f "$S/report.bin" ]; then echo "skipped: no vectors at $V"; exit 77; fi
[ -n "${VT_NVML_STANDIN_LIB:-}" ] && [ -f "$VT_NVML_STANDIN_LIB" ] || { echo "skipped: no NVML stand-in"; exit 77; }
export VERITEE_NVML_LIBRARY="$VT_NVML_STANDIN_LIB" VT_NVML_STANDIN_DIR="$S"
AT=2025-06-01T00:00:00Z
NONCE=$(xxd -p -s 4 -l 32 "$S/report.bin" | tr -d '\n')   # the nonce the real report was made for

expect 0 "hardware" -- "$VT" hardware
contains "NVML, driver 545.00 (stand-in), 1 GPU, confidential computing on" "hardware: CC on, 1 GPU"
expect 0 "hardware json" -- "$VT" hardware --json
contains '"cc": "on"' "hardware json: cc"
VT_NVML_STANDIN_GPUS=2 VT_NVML_STANDIN_CC=devtools expect 0 "gpu status devtools" -- "$VT" gpu status --json
contains '"gpu_count": 2' "status: 2 GPUs"
contains '"cc": "devtools"' "status: devtools"
VT_NVML_STANDIN_CC=off expect 0 "gpu status off" -- "$VT" gpu status
contains "confidential computing off: confidential computing is off" "status: off"

expect 0 "collect" -- "$VT" gpu collect --nonce "$NONCE" --out "$TMP/ev"
contains "gpu0: wrote $TMP/ev/gpu0/report.bin" "collect: wrote"
cmp -s "$TMP/ev/gpu0/report.bin" "$S/report.bin" && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: collected report differs from NVML's bytes"; }
expect 0 "collected verifies" -- "$VT" verify --json --allow-missing-collateral --at "$AT" --report-data "$NONCE" \
  --certs "$TMP/ev/gpu0/certchain.pem" "$TMP/ev/gpu0/report.bin"
contains '"signature_valid": true' "collected: signature"
contains '"chain_valid": true' "collected: chain"
contains '"hardware_attested": true' "collected: hardware"

# Failures: nothing written, a clear message.
expect 2 "another nonce" -- "$VT" gpu collect --nonce "$(openssl rand -hex 32)" --out "$TMP/n"
contains "report is for another nonce" "nonce mismatch named"
[ ! -e "$TMP/n/gpu0/report.bin" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: evidence written"; }
VT_NVML_STANDIN_CC=off expect 2 "cc off" -- "$VT" gpu collect --nonce "$NONCE" --out "$TMP/off"
contains "confidential computing is off: GPUs give no attestation report" "cc off named"
[ ! -e "$TMP/off/gpu0" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: mock evidence for CC off"; }
VT_NVML_STANDIN_FAIL=report expect 2 "report call fails" -- "$VT" gpu collect --nonce "$NONCE" --out "$TMP/f"
contains "nvmlDeviceGetConfComputeGpuAttestationReport: stand-in failure" "report failure named"
VT_NVML_STANDIN_FAIL=cert expect 2 "cert call fails" -- "$VT" gpu collect --nonce "$NONCE" --out "$TMP/f"
contains "nvmlDeviceGetConfComputeGpuCertificate" "cert failure named"
VT_NVML_STANDIN_SIZE=9000 expect 2 "report size past the array" -- "$VT" gpu collect --nonce "$NONCE" --out "$TMP/f"
contains "attestationReportSize 9000 is 0 or above 8192" "size named"
VT_NVML_STANDIN_SIZE=100 expect 2 "truncated report" -- "$VT" gpu collect --nonce "$NONCE" --out "$TMP/f"
contains "nvgpu:" "truncated named"
expect 2 "gpu past the count" -- "$VT" gpu collect --nonce "$NONCE" --gpu 3 --out "$TMP/f"
contains "GPU 3 does not exist (1 GPUs)" "index named"
VERITEE_NVML_LIBRARY="$TMP/none.so" expect 0 "no NVML: status" -- "$VT" gpu status
contains "cannot be loaded (no NVIDIA driver?)" "no NVML named"
VERITEE_NVML_LIBRARY="$TMP/none.so" expect 2 "no NVML: collect" -- "$VT" gpu collect --nonce "$NONCE" --out "$TMP/f"
finish
