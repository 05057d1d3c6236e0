#!/usr/bin/env bash
# veritee verify --fetch against a stand-in AMD KDS on 127.0.0.1 (a small
# Python server over a directory laid out like KDS, serving the real VCEKs
# of the vectors): fetched and cached (works again with the server gone),
# one request per certificate across processes, 404, 429, an oversized and a
# garbage answer, and no server at all -- each with a clear error.
. "$(dirname "$0")/lib.sh"
HERE="$(cd "$(dirname "$0")" && pwd)"

V="${VERITEE_VECTORS:-../shared/vectors}"
if [ ! -d "$V/sevsnp" ]; then echo "skipped: no vectors at $V"; exit 77; fi
command -v python3 >/dev/null || { echo "skipped: no python3"; exit 77; }
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
S="$V/sevsnp"
MILAN="$S/virtee-milan-v2"; GENOA="$S/lunal-genoa-v5"
AT_M=2024-01-01T00:00:00Z; AT_G=2026-06-01T00:00:00Z
hwid() { python3 -c "import sys; print(open(sys.argv[1],'rb').read()[0x1a0:0x1e0].hex())" "$1"; }
HM=$(hwid "$MILAN/report.bin"); HG=$(hwid "$GENOA/report.bin")

# The KDS stand-in: /ok and /slow serve the VCEKs, /big an oversized body,
# /junk bytes that are no certificate, /rl answers 429, /empty has nothing.
R="$TMP/kds"
for p in ok slow big junk; do mkdir -p "$R/$p/vcek/v1/Milan" "$R/$p/vcek/v1/Genoa"; done
cp "$MILAN/vcek.der" "$R/ok/vcek/v1/Milan/$HM"; cp "$GENOA/vcek.der" "$R/ok/vcek/v1/Genoa/$HG"
cp "$MILAN/vcek.der" "$R/slow/vcek/v1/Milan/$HM"
head -c 20000 /dev/zero | tr '\0' 'x' >"$R/big/vcek/v1/Milan/$HM"
printf 'not a certificate' >"$R/junk/vcek/v1/Milan/$HM"
python3 "$HERE/kds_standin.py" "$R" "$TMP/port" 2>"$TMP/kds.log" &
SRV=$!
trap 'kill $SRV 2>/dev/null; wait $SRV 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 100); do [ -s "$TMP/port" ] && break; sleep 0.05; done
[ -s "$TMP/port" ] || { echo "FAIL: the KDS stand-in did not start"; exit 1; }
K="http://127.0.0.1:$(cat "$TMP/port")"
gets() { grep "GET /$1/" "$TMP/kds.log" | grep -vc "/crl " || true; }  # VCEK requests (CRLs: test_sevsnp_crl.sh)

# Default is offline: no request is made, and the error says how to fetch.
expect 1 "offline by default" -- "$VT" verify --json --kds-url "$K/ok" --at $AT_M "$MILAN/report.bin"
contains 'fetching is off' "offline named"
[ "$(gets ok)" -eq 0 ] || { failed=$((failed + 1)); echo "FAIL: a request was made without --fetch"; }

# Fetched (Milan v2; Genoa from CPUID model 0xA0), verified to the pinned ARK.
expect 0 "fetch milan" -- "$VT" verify --json --fetch --kds-url "$K/ok" --at $AT_M "$MILAN/report.bin"
contains '"verdict": "warning"' "fetch milan verified (TCB Unknown: warning)"
contains '"hardware_attested": true' "fetch milan hardware"
grep -q "GET /ok/vcek/v1/Milan/$HM?blSPL=03&teeSPL=00&snpSPL=08&ucodeSPL=115 " "$TMP/kds.log" && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: KDS URL form"; cat "$TMP/kds.log"; }
expect 0 "fetch genoa" -- "$VT" verify --json --fetch --kds-url "$K/ok/" --at $AT_G "$GENOA/report.bin"
contains '"verdict": "warning"' "fetch genoa verified (TCB Unknown: warning)"
# Cached: no second request, with or without --fetch.
expect 0 "cached milan" -- "$VT" verify --json --fetch --kds-url "$K/ok" --at $AT_M "$MILAN/report.bin"
expect 0 "cached, fetch off" -- "$VT" verify --json --kds-url "$K/ok" --at $AT_M "$MILAN/report.bin"
[ "$(gets ok)" -eq 2 ] || { failed=$((failed + 1)); echo "FAIL: $(gets ok) requests to /ok, wanted 2"; }
# A fetched VCEK is collateral, not trust: the wrong chip's VCEK is rejected.
mkdir -p "$R/swap/vcek/v1/Milan" && cp "$S/trustee-milan-v2/vcek.der" "$R/swap/vcek/v1/Milan/$HM"
expect 1 "wrong vcek served" -- "$VT" verify --json --fetch --kds-url "$K/swap" --at $AT_M "$MILAN/report.bin"
contains '"check": "report_signature"' "wrong vcek signature"
# ... and not kept for ever under this chip's URL: dropped, KDS asked again after the backoff.
expect 1 "wrong vcek, again" -- "$VT" verify --json --fetch --kds-url "$K/swap" --at $AT_M "$MILAN/report.bin"
contains 'VCEK for another chip or TCB than the URL names (remembered failure' "wrong vcek: dropped, remembered"
# A forged VCEK (CN SEV-VCEK under the ASK's name, another key): refused, and dropped the same way.
openssl ecparam -name secp384r1 -genkey -noout -out "$TMP/fca.key" 2>/dev/null
openssl req -x509 -new -key "$TMP/fca.key" -days 3650 -out "$TMP/fca.pem" \
  -subj "/OU=Engineering/C=US/L=Santa Clara/ST=CA/O=Advanced Micro Devices/CN=SEV-Milan" 2>/dev/null
openssl ecparam -name secp384r1 -genkey -noout -out "$TMP/fv.key" 2>/dev/null
openssl req -new -key "$TMP/fv.key" -out "$TMP/fv.csr" \
  -subj "/OU=Engineering/C=US/L=Santa Clara/ST=CA/O=Advanced Micro Devices/CN=SEV-VCEK" 2>/dev/null
mkdir -p "$R/forged/vcek/v1/Milan"
openssl x509 -req -in "$TMP/fv.csr" -CA "$TMP/fca.pem" -CAkey "$TMP/fca.key" -set_serial 7 -days 3650 -outform DER \
  -out "$R/forged/vcek/v1/Milan/$HM" 2>/dev/null
expect 1 "forged vcek served" -- "$VT" verify --json --fetch --kds-url "$K/forged" --at $AT_M "$MILAN/report.bin"
contains '"check": "vcek_chain"' "forged vcek: chain refused"
expect 1 "forged vcek, again" -- "$VT" verify --json --fetch --kds-url "$K/forged" --at $AT_M "$MILAN/report.bin"
contains 'VCEK not issued by an AMD ASK under a trusted ARK (remembered failure' "forged vcek: dropped, remembered"
# A VCEK under an ASK this build does not pin sends veritee to the product's cert_chain: one whose
# ASK no trusted ARK issued is not kept (before, it stayed in the cache for ever).
M="/OU=Engineering/C=US/L=Santa Clara/ST=CA/O=Advanced Micro Devices"
openssl req -new -key "$TMP/fca.key" -subj "$M/CN=SEV-Milan-X" -out "$TMP/fask.csr" 2>/dev/null
mkdir -p "$R/fchain/vcek/v1/Milan"
openssl x509 -req -in "$TMP/fask.csr" -CA "$TMP/fca.pem" -CAkey "$TMP/fca.key" -set_serial 8 -days 3650 \
  -out "$TMP/fask.pem" 2>/dev/null
openssl x509 -req -in "$TMP/fv.csr" -CA "$TMP/fask.pem" -CAkey "$TMP/fca.key" -set_serial 9 -days 3650 -outform DER \
  -out "$R/fchain/vcek/v1/Milan/$HM" 2>/dev/null
cat "$TMP/fask.pem" "$TMP/fca.pem" >"$R/fchain/vcek/v1/Milan/cert_chain"
expect 1 "forged cert_chain" -- "$VT" verify --json --fetch --kds-url "$K/fchain" --at $AT_M "$MILAN/report.bin"
h=$(printf %s "$K/fchain/vcek/v1/Milan/cert_chain" | sha256sum | cut -d' ' -f1)
[ ! -e "$VERITEE_STATE/cache/kds/$h.bin" ] && [ -e "$VERITEE_STATE/cache/kds/$h.neg" ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: a cert_chain with no ASK under a trusted ARK was kept"; }
grep -q "GET /fchain/vcek/v1/Milan/cert_chain " "$TMP/kds.log" && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: the cert_chain was not asked for"; }

# Four processes at once: one request in flight, the others wait and read the cache.
export VERITEE_STATE="$TMP/state-par"
for i in 1 2 3 4; do
  "$VT" verify --fetch --kds-url "$K/slow" --at $AT_M "$MILAN/report.bin" >"$TMP/par$i" 2>&1 & eval "P$i=\$!"
done
for i in 1 2 3 4; do
  eval "wait \$P$i" && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: parallel verify $i"; cat "$TMP/par$i"; }
done
[ "$(gets slow)" -eq 1 ] || { failed=$((failed + 1)); echo "FAIL: $(gets slow) requests to /slow, wanted 1"; }

# Errors: 404, 429 (and not asked again), too large, garbage.
export VERITEE_STATE="$TMP/state-err"
expect 1 "404" -- "$VT" verify --fetch --kds-url "$K/empty" --at $AT_M "$MILAN/report.bin"
contains "fetching from $K/empty failed: HTTP 404" "404 named"
expect 1 "429" -- "$VT" verify --fetch --kds-url "$K/rl" --at $AT_M "$MILAN/report.bin"
contains 'rate-limited (HTTP 429); not asking again for 120 s' "429 named"
expect 1 "429 again" -- "$VT" verify --fetch --kds-url "$K/rl" --at $AT_M "$MILAN/report.bin"
contains 'remembered failure' "429 remembered"
[ "$(gets rl)" -eq 1 ] || { failed=$((failed + 1)); echo "FAIL: $(gets rl) requests to /rl after 429, wanted 1"; }
expect 1 "oversized" -- "$VT" verify --fetch --kds-url "$K/big" --at $AT_M "$MILAN/report.bin"
contains 'response larger than 16384 bytes' "oversized named"
expect 1 "garbage" -- "$VT" verify --fetch --kds-url "$K/junk" --at $AT_M "$MILAN/report.bin"
contains 'not a DER certificate' "garbage named"
expect 2 "bad --kds-url" -- "$VT" verify --fetch --kds-url "ftp://x" --at $AT_M "$MILAN/report.bin"

# The server goes away: the cache still answers; a fresh cache gets the offline error.
kill $SRV; wait $SRV 2>/dev/null
export VERITEE_STATE="$TMP/state"
expect 0 "cached, server gone" -- "$VT" verify --json --fetch --kds-url "$K/ok" --at $AT_M "$MILAN/report.bin"
contains '"verdict": "warning"' "cached verified (TCB Unknown: warning)"
export VERITEE_STATE="$TMP/state-none"
expect 1 "no server" -- "$VT" verify --fetch --kds-url "$K/ok" --at $AT_M "$MILAN/report.bin"
contains "sevsnp: VCEK not in report, --certs or cache, and fetching from $K/ok failed:" "offline named"
contains 'onnect' "offline curl reason"

finish
