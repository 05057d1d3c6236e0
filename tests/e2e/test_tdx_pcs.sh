#!/usr/bin/env bash
# Intel TDX collateral fetched from a stand-in Intel PCS on 127.0.0.1
# (tests/e2e/pcs_standin.py) serving the real Intel collateral of the vectors
# with its issuer chains URL-encoded in the PCS headers: the real quote
# verifies with fetched collateral (tcb_status from the real TCB info), the
# cache answers with the server gone, expired collateral is fetched again and
# never trusted, a wrong issuer chain, a tampered TCB info, 404 / 500 / slow
# answers fail naming the URL, a PCK revoked by a simulator-made CRL is
# refused; and the verifier fetches by itself: a passport for a simulated TD
# with min_tcb_status UpToDate and no collateral in the request, and the real
# quote through /v1/verify.
. "$(dirname "$0")/lib.sh"

V="${VERITEE_VECTORS:-../shared/vectors}"
Q="$V/tdx/gotdx-v5-tdx15"
if [ ! -f "$Q/quote.bin" ]; then echo "skipped: no vectors at $V"; exit 77; fi
command -v python3 >/dev/null && command -v curl >/dev/null && command -v jq >/dev/null ||
  { echo "skipped: needs python3, curl and jq"; exit 77; }
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
C="$Q/collateral-2026-03-lunal"
AT=2026-04-01T00:00:00Z      # inside every item's window (nextUpdate 2026-04-15)
LATE=2026-04-20T00:00:00Z    # past the TCB info's and QE identity's nextUpdate
STANDIN="$(dirname "$0")/pcs_standin.py"

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$TMP"; }
trap cleanup EXIT

# Simulated TDs: one whose PCK is fine, one whose PCK the simulated PCK CRL revokes.
expect 0 "sim collateral" -- "$VT" sim tdx --out "$TMP/sim"
expect 0 "sim revoked" -- "$VT" sim tdx --revoked --out "$TMP/rev"
# After a TCB recovery: evaluation number 18 rates the same simulated platform OutOfDate.
expect 0 "sim recovered" -- "$VT" sim tdx --out-of-date --tcb-eval 18 --out "$TMP/simnew"
# The real collateral with the simulator's Root CA CRL in place of Intel's (a CRL no trusted root signed).
mkdir -p "$TMP/mix" && cp "$C"/* "$TMP/mix/" && cp "$TMP/sim/collateral/root_ca_crl.der" "$TMP/mix/root_ca_crl.der"

python3 "$STANDIN" "$TMP/port" ok=ok:"$C":"$Q/quote.bin" hex=hex:"$C":"$Q/quote.bin" \
  tamper=tamper:"$C":"$Q/quote.bin" wrongchain=wrongchain:"$C":"$Q/quote.bin" nochain=nochain:"$C":"$Q/quote.bin" \
  rootaspck=rootaspck:"$C":"$Q/quote.bin" mix=ok:"$TMP/mix":"$Q/quote.bin" \
  e404=404:"$C":"$Q/quote.bin" e500=500:"$C":"$Q/quote.bin" slow=slow:"$C":"$Q/quote.bin" \
  sim=ok:"$TMP/sim/collateral" rev=ok:"$TMP/rev/collateral" simnew=ok:"$TMP/simnew/collateral" 2>"$TMP/pcs.log" &
SRV=$!
PIDS+=("$SRV")
for _ in $(seq 100); do [ -s "$TMP/port" ] && break; sleep 0.05; done
[ -s "$TMP/port" ] || { echo "FAIL: the PCS stand-in did not start"; exit 1; }
P="http://127.0.0.1:$(cat "$TMP/port")"
gets() { grep -c "^GET /$1/" "$TMP/pcs.log" || true; }
count_is() { # PROFILE N DESCRIPTION
  if [ "$(gets "$1")" -eq "$2" ]; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL: $3: $(gets "$1") requests to /$1, wanted $2"; fi
}

# Offline by default: no request, and TCB status unknown as today.
expect 1 "offline by default" -- "$VT" verify --json --at $AT "$Q/quote.bin"
contains '"tcb_status": "unknown"' "offline: unknown"
[ "$(wc -l <"$TMP/pcs.log")" -eq 0 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: a request without --pcs-url"; }

# Fetched: the real TCB info decides (UpToDate for this quote at its collateral's date).
expect 0 "fetched" -- "$VT" verify --json --pcs-url "$P/ok" --at $AT "$Q/quote.bin"
contains '"verdict": "affirming"' "fetched affirming"
contains '"collateral_verified": true' "fetched collateral verified"
contains '"tcb_status": "UpToDate"' "fetched tcb status"
contains '"hardware_attested": true' "fetched hardware"
for u in "/ok/tdx/certification/v4/tcb?fmspc=90c06f000000" "/ok/tdx/certification/v4/qe/identity" \
         "/ok/sgx/certification/v4/pckcrl?ca=platform&encoding=der" "/ok/sgx/certification/v4/rootcacrl"; do
  grep -qxF "GET $u" "$TMP/pcs.log" && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: no request for $u"; }
done
count_is ok 4 "one request per item"
# The same as with the local collateral: same code, same answer.
expect 0 "local collateral" -- "$VT" verify --json --collateral "$C" --at $AT "$Q/quote.bin"
grep -o '"tcb_status": "[A-Za-z]*"' "$TMP/out" >"$TMP/local"
# Cached: no new request, with the server up or gone.
expect 0 "cached" -- "$VT" verify --json --pcs-url "$P/ok" --at $AT "$Q/quote.bin"
count_is ok 4 "cache reused"
# A verification that fails for reasons of its own (a time before the collateral was issued, which any
# client of /v1/verify may ask for) leaves good answers in the cache: before, they were all dropped and
# remembered as failures for 10 minutes, for every other verification too.
expect 1 "before issueDate" -- "$VT" verify --json --state "$TMP/st2" --pcs-url "$P/ok" --at 2026-03-10T00:00:00Z "$Q/quote.bin"
contains 'not yet valid' "before issueDate named"
n=$(gets ok)
expect 0 "then at a good time" -- "$VT" verify --json --state "$TMP/st2" --pcs-url "$P/ok" --at $AT "$Q/quote.bin"
contains '"tcb_status": "UpToDate"' "good answers kept"
count_is ok "$n" "good answers not asked for again"
# Hex-encoded Root CA CRL (older PCCS) is the same CRL.
expect 0 "hex root crl" -- "$VT" verify --json --pcs-url "$P/hex" --at $AT "$Q/quote.bin"
contains '"tcb_status": "UpToDate"' "hex root crl status"

# Past nextUpdate: fetched again (the cached copy is not used), and still refused.
n=$(gets ok)
expect 1 "expired" -- "$VT" verify --json --pcs-url "$P/ok" --at $LATE "$Q/quote.bin"
contains 'tcb_info expired: nextUpdate 2026-04-15T22:06:09Z' "expired named"
count_is ok $((n + 3)) "expired: the three items past nextUpdate asked again (the Root CA CRL is good until 2027)"
# An answer already expired is not kept: asked again next time too.
expect 1 "expired again" -- "$VT" verify --json --pcs-url "$P/ok" --at $LATE "$Q/quote.bin"
[ "$(gets ok)" -eq $((n + 6)) ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: an expired answer was cached"; }

# Tampered TCB info (a level's OutOfDate made UpToDate): the signature fails.
expect 1 "tampered tcb info" -- "$VT" verify --json --pcs-url "$P/tamper" --at $AT "$Q/quote.bin"
contains "tcb_info from $P/tamper/tdx/certification/v4/tcb?fmspc=90c06f000000: signature does not verify" "tamper named"
# ... and it is not kept: with a fresh server answer later it would be fetched again (remembered failure now).
expect 1 "tampered, remembered" -- "$VT" verify --json --pcs-url "$P/tamper" --at $AT "$Q/quote.bin"
contains 'remembered failure' "tamper remembered"
# The PCK CRL issuer chain where the TCB signing chains belong.
expect 1 "wrong issuer chain" -- "$VT" verify --json --pcs-url "$P/wrongchain" --at $AT "$Q/quote.bin"
contains 'is not an Intel SGX TCB Signing certificate' "wrong chain named"
# A validly signed CRL of another CA where the PCK CA's belongs (revocation of the PCK would go unchecked).
expect 1 "root CRL served as the PCK CRL" -- "$VT" verify --json --pcs-url "$P/rootaspck" --at $AT "$Q/quote.bin"
contains 'pck_crl from '"$P"'/rootaspck/sgx/certification/v4/pckcrl?ca=platform&encoding=der: issued by \"Intel SGX Root CA\", not the PCK Platform CA asked for' "wrong CA's CRL named"
expect 1 "root CRL signed by no trusted root" -- "$VT" verify --json --pcs-url "$P/mix" --at $AT "$Q/quote.bin"
contains "root_ca_crl from $P/mix/sgx/certification/v4/rootcacrl: not signed by a trusted root" "foreign root CRL named"
expect 1 "no issuer chain" -- "$VT" verify --json --pcs-url "$P/nochain" --at $AT "$Q/quote.bin"
contains "HTTP 200 without the TCB-Info-Issuer-Chain header" "no chain named"

# 404, 500, slow: each names the URL and what happened.
expect 1 "404" -- "$VT" verify --json --pcs-url "$P/e404" --at $AT "$Q/quote.bin"
contains "tdx: tcb_info from $P/e404/tdx/certification/v4/tcb?fmspc=90c06f000000: HTTP 404" "404 named"
expect 1 "500" -- "$VT" verify --json --pcs-url "$P/e500" --at $AT "$Q/quote.bin"
contains "$P/e500/tdx/certification/v4/tcb?fmspc=90c06f000000: HTTP 500" "500 named"
expect 1 "500 remembered" -- "$VT" verify --json --pcs-url "$P/e500" --at $AT "$Q/quote.bin"
contains "remembered failure" "500 backoff"
count_is e500 1 "500: not asked again during the backoff"
expect 1 "slow" -- "$VT" verify --json --pcs-url "$P/slow" --fetch-timeout 1 --at $AT "$Q/quote.bin"
contains "$P/slow/tdx/certification/v4/tcb?fmspc=90c06f000000: " "slow named"
contains "timed out" "slow: timeout"
expect 1 "missing collateral allowed: warning names the fetch" -- "$VT" verify --json --pcs-url "$P/e404" \
  --allow-missing-collateral --strict --at $AT "$Q/quote.bin"
contains "HTTP 404" "allowed-missing names the URL failure"
expect 2 "bad --pcs-url" -- "$VT" verify --pcs-url "ftp://x" "$Q/quote.bin"

# A PCK revoked in a CRL the simulator made (served by the PCS stand-in).
expect 0 "sim fetched" -- "$VT" verify --json --trust-sim --pcs-url "$P/sim" "$TMP/sim/quote.bin"
contains '"tcb_status": "UpToDate"' "sim tcb status"
expect 1 "sim revoked" -- "$VT" verify --json --trust-sim --pcs-url "$P/rev" "$TMP/rev/quote.bin"
contains '"check": "pck_chain"' "revoked: pck_chain"
contains 'revoked' "revoked named"

# The verifier fetches by itself (its own cache under its state directory).
TOKEN=0123456789abcdef0123456789abcdef
echo "$TOKEN" >"$TMP/admin-token"
chmod 600 "$TMP/admin-token"
"$VT" verifier --listen 127.0.0.1:0 --admin-token-file "$TMP/admin-token" --trust-sim --quiet --threads 2 \
  --pcs-url "$P/sim" >"$TMP/vf.out" 2>"$TMP/vf.log" &
PIDS+=($!)
U="http://$(listening "$TMP/vf.out" verifier "$TMP/vf.log")" || exit 1
curl -s -o /dev/null -X PUT -H "Authorization: Bearer $TOKEN" "$U/v1/environments/tdx" \
  -d "{\"allow_simulated\":true,\"min_tcb_status\":\"UpToDate\",\"registers\":$(sim_tdx_image_json)}"
openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl pkey -pubout -out "$TMP/k.pub" 2>/dev/null
XY=$(openssl pkey -pubin -in "$TMP/k.pub" -outform DER 2>/dev/null | tail -c 64 | od -An -tx1 | tr -d ' \n')
N=$(curl -s -X POST "$U/v1/challenge" | jq -r .nonce)
expect 0 "sim quote for the challenge" -- "$VT" sim tdx --nonce "$N" --pubkey "$XY" --out "$TMP/td"
jq -n --arg ev "$(base64 -w0 "$TMP/td/quote.bin")" --arg n "$N" --rawfile pk "$TMP/k.pub" \
  '{evidence:$ev, platform:"tdx", nonce:$n, public_key:$pk, environment:"tdx"}' >"$TMP/req.json"
curl -s -o "$TMP/out" -X POST "$U/v1/attest" --data-binary @"$TMP/req.json"
[ "$(jq -r .status "$TMP/out")" = affirming ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: passport without collateral in the request: $(head -c 600 "$TMP/out")"; }
ls "$VERITEE_STATE/cache/collateral/"*.rsp >/dev/null 2>&1 && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: the verifier cached nothing under its state directory"; }
before=$(gets sim)
N=$(curl -s -X POST "$U/v1/challenge" | jq -r .nonce)
"$VT" sim tdx --nonce "$N" --pubkey "$XY" --out "$TMP/td2" >/dev/null
jq -n --arg ev "$(base64 -w0 "$TMP/td2/quote.bin")" --arg n "$N" --rawfile pk "$TMP/k.pub" \
  '{evidence:$ev, platform:"tdx", nonce:$n, public_key:$pk, environment:"tdx"}' >"$TMP/req.json"
curl -s -o "$TMP/out" -X POST "$U/v1/attest" --data-binary @"$TMP/req.json"
[ "$(jq -r .status "$TMP/out")" = affirming ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: second passport"; }
count_is sim "$before" "verifier: collateral reused for a second machine of the same FMSPC"

# The real quote through the stateless API at its collateral's date (a captured
# quote cannot carry a fresh nonce, so no passport): fetched, UpToDate.
"$VT" verifier --listen 127.0.0.1:0 --state "$TMP/vf2" --quiet --threads 1 --pcs-url "$P/ok" \
  >"$TMP/vf2.out" 2>"$TMP/vf2.log" &
PIDS+=($!)
U2="http://$(listening "$TMP/vf2.out" "verifier vf2" "$TMP/vf2.log")" || exit 1
jq -n --arg ev "$(base64 -w0 "$Q/quote.bin")" --arg at "$AT" '{evidence:$ev, platform:"tdx", at:$at}' >"$TMP/v.json"
curl -s -o "$TMP/out" -X POST "$U2/v1/verify" --data-binary @"$TMP/v.json"
contains '"tcb_status": "UpToDate"' "verifier real quote: fetched TCB status"
contains '"verdict": "affirming"' "verifier real quote: affirming"

# Rollback (last of the simulated runs: the floor is state, shared by the CLI and the verifiers
# above): once evaluation number 18 was fetched and verified, the older TCB info (17, still inside
# its own window and validly signed) served at another time is refused, not taken as UpToDate.
expect 0 "recovered TCB info fetched" -- "$VT" verify --json --trust-sim --pcs-url "$P/simnew" "$TMP/sim/quote.bin"
contains '"tcb_status": "OutOfDate"' "recovered: OutOfDate"
expect 1 "older TCB info served after it" -- "$VT" verify --json --trust-sim --pcs-url "$P/sim" "$TMP/sim/quote.bin"
contains 'tcbEvaluationDataNumber 17 is older than 18' "rollback named"
contains '"tcb_status": "unknown"' "rollback: not rated by the older levels"

# The server goes away: the CLI cache still answers until nextUpdate, and not after.
kill "$SRV"; wait "$SRV" 2>/dev/null
expect 0 "cached, server gone" -- "$VT" verify --json --pcs-url "$P/ok" --at $AT "$Q/quote.bin"
contains '"tcb_status": "UpToDate"' "cached status"
grep -qF "$(cat "$TMP/local")" "$TMP/out" && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: fetched and local differ"; }
expect 1 "cached but expired, server gone" -- "$VT" verify --json --pcs-url "$P/ok" --at $LATE "$Q/quote.bin"
contains '"tcb_status": "unknown"' "never trusted past nextUpdate"
contains "$P/ok/tdx/certification/v4/tcb?fmspc=90c06f000000" "expired: URL named"

finish
