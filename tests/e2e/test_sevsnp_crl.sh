#!/usr/bin/env bash
# SEV-SNP revocation: veritee verify --fetch reads the ARK's CRL from a
# stand-in AMD KDS on 127.0.0.1 ({kds}/vcek/v1/{product}/crl), verifies it
# against the ARK and applies it to the ASK and VCEK.  AMD publishes no CRL
# that revokes anything and the vectors hold none, so the CRLs here are made
# by a test tool (mkcrl.py) under the simulation root of `veritee sim
# sevsnp`, which stands in for the ARK: a clean CRL passes (and is cached
# until its nextUpdate), one revoking the ASK or the VCEK is rejected, one
# signed by another key or expired is rejected, and a missing CRL is a
# warning that revocation was not checked.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || { echo "skipped: no python3"; exit 77; }
python3 -c 'import cryptography' 2>/dev/null || { echo "skipped: no python3-cryptography"; exit 77; }
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
HERE="$(cd "$(dirname "$0")" && pwd)"
ST="$TMP/st"
"$VT" sim sevsnp --out "$TMP/sim" --state "$ST" >/dev/null || { echo "FAIL: sim sevsnp"; exit 1; }
SIM="$ST/sim"; R="$TMP/kds"
openssl x509 -in "$TMP/sim/collateral/vcek.pem" -out "$TMP/vcek.pem" 2>/dev/null || cp "$TMP/sim/collateral/vcek.pem" "$TMP/vcek.pem"
crl() { # crl DIR DAYS [REVOKED...]  (signed by the simulated ARK)
  local d="$R/$1/vcek/v1/Milan"; shift; mkdir -p "$d"
  python3 "$HERE/mkcrl.py" "$SIM/root_ca.key" "$SIM/root_ca.pem" "$d/crl" "$@"
}
crl ok 30
crl ask 30 "$SIM/snp_ask.pem"
crl expired -1
# An ASK-issued CRL revoking the VCEK (ASK and VCEK: both links are checked).
mkdir -p "$R/vcek/vcek/v1/Milan"
python3 "$HERE/mkcrl.py" "$SIM/snp_ask.key" "$SIM/snp_ask.pem" "$R/vcek/vcek/v1/Milan/crl" 30 "$TMP/vcek.pem"
# Same issuer name, another key: a forged CRL.
openssl ecparam -name prime256v1 -genkey -noout -out "$TMP/other.key" 2>/dev/null
mkdir -p "$R/forged/vcek/v1/Milan"
python3 "$HERE/mkcrl.py" "$TMP/other.key" "$SIM/root_ca.pem" "$R/forged/vcek/v1/Milan/crl" 30
mkdir -p "$R/junk/vcek/v1/Milan" && printf 'no crl' >"$R/junk/vcek/v1/Milan/crl"

python3 "$HERE/kds_standin.py" "$R" "$TMP/port" 2>"$TMP/kds.log" &
SRV=$!
trap 'kill $SRV 2>/dev/null; wait $SRV 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 100); do [ -s "$TMP/port" ] && break; sleep 0.05; done
[ -s "$TMP/port" ] || { echo "FAIL: the KDS stand-in did not start"; exit 1; }
K="http://127.0.0.1:$(cat "$TMP/port")"
v() { "$VT" verify --json --trust-sim --state "$ST" --collateral "$TMP/sim/collateral" "$@" "$TMP/sim/report.bin"; }
crls() { grep -c "GET /$1/vcek/v1/Milan/crl " "$TMP/kds.log" || true; }

# Offline (no --fetch) nothing is asked: as before.
expect 0 "offline" -- v --kds-url "$K/ok"
lacks '"check": "crl"' "offline: no CRL warning"
[ "$(crls ok)" -eq 0 ] || { failed=$((failed + 1)); echo "FAIL: a CRL request without --fetch"; }

# A clean CRL signed by the ARK: accepted, no revocation warning; cached until nextUpdate.
expect 0 "clean crl" -- v --fetch --kds-url "$K/ok"
lacks '"check": "crl"' "clean: no CRL warning"
lacks 'revoked' "clean: nothing revoked"
expect 0 "clean crl cached" -- v --fetch --kds-url "$K/ok"
expect 0 "clean crl cached, offline" -- v --kds-url "$K/ok"
[ "$(crls ok)" -eq 1 ] || { failed=$((failed + 1)); echo "FAIL: $(crls ok) CRL requests, wanted 1 (cached)"; }

# Revoked ASK, revoked VCEK: rejected, the certificate named.
expect 1 "revoked ask" -- v --fetch --kds-url "$K/ask"
contains 'is revoked by CRL of CN=veritee Simulation Root CA' "revoked ask named"
contains '"chain_valid": false' "revoked ask: chain invalid"
expect 1 "revoked vcek" -- v --fetch --kds-url "$K/vcek"
contains 'CN=SEV-VCEK' "revoked vcek named"
contains 'is revoked by CRL of' "revoked vcek reason"
# Forged (another key under the ARK's name), expired, garbage: rejected or refused.
expect 1 "forged crl" -- v --fetch --kds-url "$K/forged"
contains 'has a bad signature' "forged named"
# ... and not kept until the nextUpdate it gives itself: dropped, KDS asked again after the backoff
# (meanwhile revocation is not checked, as with KDS down).  The revoking CRLs above stayed.
expect 0 "forged crl, again" -- v --fetch --kds-url "$K/forged"
contains 'CRL not signed by an AMD ARK, ASK or ASVK (remembered failure' "forged: dropped, remembered"
contains 'ASK revocation not checked' "forged: revocation not checked meanwhile"
expect 1 "revoking crl kept" -- v --kds-url "$K/ask"
contains 'is revoked by CRL of CN=veritee Simulation Root CA' "revoking crl still cached"
expect 1 "expired crl" -- v --fetch --kds-url "$K/expired"
contains 'has expired (nextUpdate' "expired named"
expect 0 "garbage crl" -- v --fetch --kds-url "$K/junk"
contains 'AMD CRL not obtained' "garbage: revocation not checked"
contains 'not a CRL with a nextUpdate' "garbage named"
# No CRL served: a warning, never silence (and never affirming).
expect 0 "no crl" -- v --fetch --kds-url "$K/none"
contains '"check": "crl"' "no crl: warning"
contains 'ASK revocation not checked' "no crl: says what"
contains 'HTTP 404' "no crl: status named"

finish
