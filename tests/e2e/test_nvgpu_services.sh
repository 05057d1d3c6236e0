#!/usr/bin/env bash
# NVIDIA's services through a stand-in on 127.0.0.1 (tests/e2e/nvidia_standin.py):
# OCSP for a simulated GPU chain (the stand-in signs as the simulation root,
# which issued the simulated BROM certificate): good -> tcb_status UpToDate and
# cached until nextUpdate (no second request); revoked -> rejected; unknown ->
# warning, Unknown; expired / future / wrong signer / a responder without
# OCSPSigning / a tampered signature -> rejected naming the URL; a delegated
# responder -> good; HTTP 500 -> not checked, Unknown.  A genuine NVIDIA chain
# answered by a responder NVIDIA never delegated to -> rejected.  RIMs fetched by
# ID from the stand-in RIM service serving NVIDIA's genuine RIMs: the IDs are the
# ones NVIDIA's verifier derives, both RIMs verify (NVIDIA signers) and the
# measurements compare exactly as with the same RIMs passed locally; a tampered
# RIM, a wrong sha256, another id and 404 are refused, naming the URL.
. "$(dirname "$0")/lib.sh"

V="${VERITEE_VECTORS:-../shared/vectors}"
S="$V/nvgpu/nvtrust-h100-rim-sample"
if [ ! -f "$S/report.bin" ]; then echo "skipped: no vectors at $V"; exit 77; fi
command -v python3 >/dev/null && python3 -c "import cryptography.x509.ocsp" 2>/dev/null ||
  { echo "skipped: needs python3 with cryptography"; exit 77; }
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
AT=2025-06-01T00:00:00Z
STANDIN="$(dirname "$0")/nvidia_standin.py"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$TMP"; }
trap cleanup EXIT

N=$(openssl rand -hex 32)
expect 0 "sim nvgpu" -- "$VT" sim nvgpu --nonce "$N" --out "$TMP/g"
python3 "$STANDIN" "$TMP/port" --issuer "$VERITEE_STATE/sim/root_ca.pem" "$VERITEE_STATE/sim/root_ca.key" \
  --rim NV_GPU_DRIVER_GH100_545.00="$S/driver_rim.swidtag" \
  --rim NV_GPU_VBIOS_1010_0200_882_96005E0001="$S/vbios_rim.swidtag" 2>"$TMP/standin.log" &
PIDS+=("$!")
for _ in $(seq 200); do [ -s "$TMP/port" ] && break; sleep 0.05; done
[ -s "$TMP/port" ] || { echo "FAIL: the NVIDIA stand-in did not start"; exit 1; }
U="http://127.0.0.1:$(cat "$TMP/port")"

gpu() { # gpu MODE [more args]: verify the simulated GPU with OCSP from the stand-in in MODE
  local m="$1"; shift
  rm -rf "$VERITEE_STATE/cache"
  "$VT" verify --trust-sim --json --collateral "$TMP/g/collateral" --report-data "$N" --ocsp-url "$U/$m" "$@" \
    "$TMP/g/report.bin"
}

# Offline first: reference values matched, OCSP not asked -> Unknown, never UpToDate.
expect 0 "offline" -- "$VT" verify --trust-sim --json --collateral "$TMP/g/collateral" --report-data "$N" "$TMP/g/report.bin"
contains '"tcb_status": "Unknown"' "offline: Unknown"
contains 'OCSP revocation of the device certificates not checked' "offline: says so"

expect 0 "ocsp good" -- gpu ok
contains '"verdict": "affirming"' "good: affirming"
contains '"tcb_status": "UpToDate"' "good: UpToDate"
grep -c "^POST /ok/" "$TMP/standin.log" >"$TMP/n1"
# Cached until nextUpdate: the same question is not asked again.
expect 0 "ocsp cached" -- "$VT" verify --trust-sim --json --collateral "$TMP/g/collateral" --report-data "$N" \
  --ocsp-url "$U/ok" "$TMP/g/report.bin"
contains '"tcb_status": "UpToDate"' "cached: UpToDate"
grep -c "^POST /ok/" "$TMP/standin.log" >"$TMP/n2"
if [ "$(cat "$TMP/n1")" = 1 ] && [ "$(cat "$TMP/n2")" = 1 ]; then passed=$((passed + 1)); else
  failed=$((failed + 1)); echo "FAIL: OCSP asked $(cat "$TMP/n1") then $(cat "$TMP/n2") times, wanted 1 and 1"; fi

# An answer outside its window only at a request's own time ("at" before its thisUpdate, which any
# client of /v1/verify may send) is not dropped: the next verification at the real time still uses it.
expect 1 "ocsp at a time before its thisUpdate" -- "$VT" verify --trust-sim --json --collateral "$TMP/g/collateral" \
  --report-data "$N" --ocsp-url "$U/ok" --at "$(date -u -d '-2 hours' +%Y-%m-%dT%H:%M:%SZ)" "$TMP/g/report.bin"
contains 'thisUpdate is in the future' "before thisUpdate named"
expect 0 "ocsp still cached after it" -- "$VT" verify --trust-sim --json --collateral "$TMP/g/collateral" \
  --report-data "$N" --ocsp-url "$U/ok" "$TMP/g/report.bin"
contains '"tcb_status": "UpToDate"' "still cached: UpToDate"
[ "$(grep -c "^POST /ok/" "$TMP/standin.log")" = 1 ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: a good OCSP answer was dropped by a verification at another time"; }

expect 1 "ocsp revoked" -- gpu revoked
contains 'nvgpu: OCSP: \"veritee Simulation GH100 BROM\" is revoked' "revoked named"
expect 0 "ocsp unknown" -- gpu unknown
contains '"tcb_status": "Unknown"' "unknown: Unknown"
contains 'is unknown to the responder' "unknown named"
expect 1 "ocsp expired" -- gpu expired
contains 'response expired (nextUpdate has passed)' "expired named"
contains "$U/expired/" "expired names the URL"
expect 1 "ocsp future" -- gpu future
contains 'thisUpdate is in the future' "future named"
expect 1 "ocsp wrong signer" -- gpu wrongsigner
contains 'response signature or signer does not verify' "wrong signer named"
expect 1 "ocsp responder without OCSPSigning" -- gpu nodelegate
contains 'response signature or signer does not verify' "undelegated responder named"
expect 1 "ocsp tampered" -- gpu tampered
contains 'response signature or signer does not verify' "tampered named"
expect 0 "ocsp delegated responder" -- gpu delegated
contains '"tcb_status": "UpToDate"' "delegated: UpToDate"
expect 0 "ocsp 500" -- gpu 500
contains 'HTTP 500 (revocation not checked)' "500 named"
contains '"tcb_status": "Unknown"' "500: Unknown"

# The genuine H100 chain: a responder NVIDIA never delegated to is refused.
expect 1 "genuine chain, foreign responder" -- "$VT" verify --json --at "$AT" --certs "$S/certchain.pem" \
  --ocsp-url "$U/wrongsigner" "$S/report.bin"
contains 'for \"GH100 A01 GSP BROM\": ocsp: response signature or signer does not verify' "genuine: foreign responder"

# RIMs by ID from the RIM service: the same verdict as with the same RIMs given locally.
expect 1 "rims local" -- "$VT" verify --json --at "$AT" --certs "$S/certchain.pem" --certs "$S/driver_rim.swidtag" \
  --certs "$S/vbios_rim.swidtag" "$S/report.bin"
jq -c '[.errors, .signers]' "$TMP/out" >"$TMP/local.json"
expect 1 "rims fetched" -- "$VT" verify --json --at "$AT" --certs "$S/certchain.pem" --rim-url "$U/ok" "$S/report.bin"
contains '"role": "driver_rim"' "fetched driver RIM verified"
contains '"role": "vbios_rim"' "fetched VBIOS RIM verified"
contains 'measurement 9 does not match the vbios RIM (96.00.5E.00.01)' "fetched: index by index"
jq -c '[.errors, .signers]' "$TMP/out" >"$TMP/fetched.json"
if [ "$(jq -c '.[0]' "$TMP/local.json")" = "$(jq -c '.[0]' "$TMP/fetched.json")" ]; then passed=$((passed + 1)); else
  failed=$((failed + 1)); echo "FAIL: fetched RIMs give other errors than local ones"; diff "$TMP/local.json" "$TMP/fetched.json"; fi
grep -q "^GET /ok/v1/rim/NV_GPU_DRIVER_GH100_545.00$" "$TMP/standin.log" &&
  grep -q "^GET /ok/v1/rim/NV_GPU_VBIOS_1010_0200_882_96005E0001$" "$TMP/standin.log" &&
  passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: RIM IDs asked for:"; grep GET "$TMP/standin.log"; }
rm -rf "$VERITEE_STATE/cache"
expect 1 "rim tampered" -- "$VT" verify --json --at "$AT" --certs "$S/certchain.pem" --rim-url "$U/tampered" "$S/report.bin"
contains 'rim' "tampered: a RIM error"
lacks '"role": "vbios_rim"' "tampered: no VBIOS RIM signer"
# ... and not kept for ever: dropped from the cache, the service asked again after the backoff.
expect 1 "rim tampered, again" -- "$VT" verify --json --at "$AT" --certs "$S/certchain.pem" --rim-url "$U/tampered" "$S/report.bin"
contains "RIM NV_GPU_DRIVER_GH100_545.00 from $U/tampered/v1/rim/NV_GPU_DRIVER_GH100_545.00" "tampered: dropped"
contains 'remembered failure' "tampered: remembered, not reused"
rm -rf "$VERITEE_STATE/cache"
expect 1 "rim bad sha256" -- "$VT" verify --json --at "$AT" --certs "$S/certchain.pem" --rim-url "$U/badsha" "$S/report.bin"
contains 'sha256 does not match its rim' "bad sha named"
contains "$U/badsha/v1/rim/NV_GPU_VBIOS_1010_0200_882_96005E0001" "bad sha names the URL"
rm -rf "$VERITEE_STATE/cache"
expect 1 "rim other id" -- "$VT" verify --json --at "$AT" --certs "$S/certchain.pem" --rim-url "$U/otherid" "$S/report.bin"
contains 'answer id is not NV_GPU_DRIVER_GH100_545.00' "other id named"
rm -rf "$VERITEE_STATE/cache"
expect 1 "rim 404" -- "$VT" verify --json --at "$AT" --certs "$S/certchain.pem" --rim-url "$U/404" "$S/report.bin"
contains 'HTTP 404' "404 named"
finish
