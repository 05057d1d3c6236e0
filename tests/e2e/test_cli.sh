#!/usr/bin/env bash
# The CLI over a process boundary: usage, mock evidence, simulated TDX.
. "$(dirname "$0")/lib.sh"

N=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
BAD=ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff

expect 0 "help" -- "$VT" --help
contains "verify" "help lists verify"
expect 2 "unknown command" -- "$VT" frobnicate
expect 2 "verify without file" -- "$VT" verify
expect 0 "verify --help" -- "$VT" verify --help
contains "--trust-sim" "verify help names --trust-sim"
expect 2 "missing file" -- "$VT" verify "$TMP/nope"
expect 2 "bad --at" -- "$VT" verify --at yesterday "$TMP/nope"
expect 2 "bad platform" -- "$VT" verify --platform vax "$TMP/nope"
printf 'not evidence at all' >"$TMP/junk"
expect 2 "junk is an input error" -- "$VT" verify --json "$TMP/junk"
contains '"valid": false' "junk json says invalid"

# Mock evidence: trusted only with --trust-sim, bound to the nonce.
expect 0 "hardware" -- "$VT" hardware --json
contains '"selected"' "hardware json"
expect 0 "attest mock" -- "$VT" attest --platform mock --nonce $N --out "$TMP/mock.bin"
contains "MOCK" "attest says mock"
expect 0 "verify mock" -- "$VT" verify --trust-sim --nonce $N --json "$TMP/mock.bin"
contains '"verdict": "affirming"' "mock affirming"
contains '"hardware_attested": false' "mock not hardware"
expect 1 "mock without trust" -- "$VT" verify --nonce $N "$TMP/mock.bin"
expect 1 "mock wrong nonce" -- "$VT" verify --trust-sim --nonce $BAD --json "$TMP/mock.bin"
contains '"check": "report_data"' "wrong nonce names report_data"
head -c 100 "$TMP/mock.bin" >"$TMP/mock-short.bin"
expect 2 "truncated mock" -- "$VT" verify --trust-sim --platform mock "$TMP/mock-short.bin"
expect 0 "inspect mock" -- "$VT" inspect "$TMP/mock.bin"
contains '"platform": "mock"' "inspect json"

# Simulated TDX in the real quote format, verified by the real TDX code.
for v in 4 5; do
  expect 0 "sim tdx v$v" -- "$VT" sim tdx --version $v --nonce $N --out "$TMP/sim$v"
  expect 0 "verify sim v$v" -- "$VT" verify --trust-sim --collateral "$TMP/sim$v/collateral" --nonce $N --json "$TMP/sim$v/quote.bin"
  contains '"verdict": "affirming"' "sim v$v affirming"
  contains '"tcb_status": "UpToDate"' "sim v$v up to date"
  contains '"hardware_attested": false' "sim v$v not hardware"
  contains '"mrtd"' "sim v$v claims"
done
expect 0 "sim --json" -- "$VT" sim tdx --json --out "$TMP/simjson"
contains '"hardware_attested": false' "sim json"
expect 2 "sim without --out" -- "$VT" sim tdx
expect 2 "sim bad version" -- "$VT" sim tdx --version 3 --out "$TMP/x"
# each simulator's help names a verify command that really succeeds on what it made
expect 0 "sim nitro" -- "$VT" sim nitro --out "$TMP/simnitro"
expect 0 "sim help" -- "$VT" sim --help
NITRO_CMD=$(tr '\n' ' ' <"$TMP/out" | sed -n 's/.*Verify with: veritee verify \(--trust-sim --allow-missing-collateral\) DIR\/attestation.cbor.*/\1/p')
[ -n "$NITRO_CMD" ] || { echo "FAIL: sim nitro help names no verify command"; failed=$((failed + 1)); }
# shellcheck disable=SC2086
expect 0 "sim nitro verify as its help says" -- "$VT" verify $NITRO_CMD "$TMP/simnitro/attestation.cbor"
expect 0 "top-level help" -- "$VT" --help
contains 'sim tdx, sevsnp, nitro' "top-level help lists every simulator"
expect 0 "attest help" -- "$VT" attest --help
contains 'nitro' "attest help names nitro"
expect 2 "sim unknown platform" -- "$VT" sim vax --out "$TMP/x"
expect 1 "sim without --trust-sim" -- "$VT" verify --collateral "$TMP/sim4/collateral" --json "$TMP/sim4/quote.bin"
contains '"chain_valid": false' "untrusted sim root"
expect 1 "sim wrong nonce" -- "$VT" verify --trust-sim --collateral "$TMP/sim4/collateral" --nonce $BAD "$TMP/sim4/quote.bin"
expect 1 "sim without collateral" -- "$VT" verify --trust-sim "$TMP/sim4/quote.bin"
expect 0 "sim allow missing collateral" -- "$VT" verify --trust-sim --allow-missing-collateral --json "$TMP/sim4/quote.bin"
contains '"verdict": "warning"' "missing collateral is a warning"
contains '"tcb_status": "unknown"' "unknown tcb"

expect 0 "sim out of date" -- "$VT" sim tdx --out-of-date --nonce $N --out "$TMP/ood"
expect 0 "verify out of date" -- "$VT" verify --trust-sim --collateral "$TMP/ood/collateral" --json "$TMP/ood/quote.bin"
contains '"verdict": "warning"' "out of date is a warning"
contains '"tcb_status": "OutOfDate"' "OutOfDate status"
contains 'INTEL-SA-' "advisories listed"
expect 1 "out of date under --strict" -- "$VT" verify --strict --trust-sim --collateral "$TMP/ood/collateral" "$TMP/ood/quote.bin"

expect 0 "sim revoked" -- "$VT" sim tdx --revoked --out "$TMP/rev"
expect 1 "verify revoked" -- "$VT" verify --trust-sim --collateral "$TMP/rev/collateral" --json "$TMP/rev/quote.bin"
contains 'revoked' "revocation named"

expect 0 "sim debug" -- "$VT" sim tdx --debug --out "$TMP/dbg"
expect 1 "verify debug" -- "$VT" verify --trust-sim --collateral "$TMP/dbg/collateral" --json "$TMP/dbg/quote.bin"
contains '"check": "debug"' "debug named"
expect 0 "debug allowed" -- "$VT" verify --allow-debug --trust-sim --collateral "$TMP/dbg/collateral" "$TMP/dbg/quote.bin"

# Simulated SEV-SNP: a real-format v3 report under the simulation root.
expect 0 "sim sevsnp" -- "$VT" sim sevsnp --nonce $N --out "$TMP/snp"
expect 0 "verify sim sevsnp" -- "$VT" verify --trust-sim --collateral "$TMP/snp/collateral" --nonce $N --json "$TMP/snp/report.bin"
contains '"verdict": "warning"' "sim sevsnp: warning (TCB status Unknown without a minimum)"
contains '"tcb_status": "Unknown"' "sim sevsnp TCB status Unknown, not UpToDate by convention"
contains '"hardware_attested": false' "sim sevsnp not hardware"
contains '"measurement"' "sim sevsnp claims"
expect 1 "sim sevsnp without --trust-sim" -- "$VT" verify --collateral "$TMP/snp/collateral" --json "$TMP/snp/report.bin"
contains '"chain_valid": false' "sevsnp untrusted sim root"
expect 1 "sim sevsnp wrong nonce" -- "$VT" verify --trust-sim --collateral "$TMP/snp/collateral" --nonce $BAD "$TMP/snp/report.bin"
expect 0 "sim sevsnp debug" -- "$VT" sim sevsnp --debug --out "$TMP/snpdbg"
expect 1 "verify sevsnp debug" -- "$VT" verify --trust-sim --collateral "$TMP/snpdbg/collateral" --json "$TMP/snpdbg/report.bin"
contains '"check": "debug"' "sevsnp debug named"
expect 0 "sim sevsnp --at" -- "$VT" sim sevsnp --at "@1775001600" --report-data 00ff --out "$TMP/snpat"
expect 0 "verify sevsnp --at" -- "$VT" verify --trust-sim --at "@1775001600" --report-data 00ff --collateral "$TMP/snpat/collateral" "$TMP/snpat/report.bin"
expect 2 "sim sevsnp without --out" -- "$VT" sim sevsnp

# Collateral outside its window: 60 days later the TCB info has expired.
expect 1 "expired collateral" -- "$VT" verify --trust-sim --collateral "$TMP/sim4/collateral" --at "@$(( $(date +%s) + 60*86400 ))" "$TMP/sim4/quote.bin"

# A tampered quote (one bit in MRTD) is rejected.
cp "$TMP/sim4/quote.bin" "$TMP/tampered.bin"
printf '\x01' | dd of="$TMP/tampered.bin" bs=1 seek=200 conv=notrunc 2>/dev/null
expect 1 "tampered quote" -- "$VT" verify --trust-sim --collateral "$TMP/sim4/collateral" --json "$TMP/tampered.bin"
contains '"signature_valid": false' "tampered signature"

# Measuring a model directory, and re-checking it against its manifest.
mkdir -p "$TMP/model/shards"
printf '{"arch":"tiny"}' >"$TMP/model/config.json"
head -c 300000 /dev/urandom >"$TMP/model/shards/model-00001.gguf"
expect 0 "measure --json" -- "$VT" measure --json "$TMP/model"
contains '"format": "veritee-measure-v1"' "measure format"
contains '"path": "shards/model-00001.gguf"' "measure manifest"
cp "$TMP/out" "$TMP/manifest.json"
expect 0 "measure --check unchanged" -- "$VT" measure --check "$TMP/manifest.json" "$TMP/model"
contains "OK" "check ok"
printf 'x' >>"$TMP/model/config.json"
expect 1 "measure --check changed" -- "$VT" measure --check "$TMP/manifest.json" "$TMP/model"
contains "CHANGED  config.json" "check names the file"
# The measurement log: a trusted loader's events, replayed against RTMR3 / mr.
expect 0 "log append model" -- "$VT" log append --log "$TMP/boot.json" --component model --name tiny --measure "$TMP/model"
expect 0 "log append config" -- "$VT" log append --log "$TMP/boot.json" --component config --name gateway.json \
  --digest sha256:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
expect 2 "log append bad component" -- "$VT" log append --log "$TMP/boot.json" --component weights --name x --digest 00
expect 2 "log append bad digest" -- "$VT" log append --log "$TMP/boot.json" --component model --name x --digest 00
expect 0 "log show" -- "$VT" log show "$TMP/boot.json"
contains "gateway.json" "log lists events"
reg=$(grep 'replayed register' "$TMP/out" | awk '{print $3}')
expect 0 "log replay --expect" -- "$VT" log replay "$TMP/boot.json" --expect "$reg"
expect 1 "log replay wrong --expect" -- "$VT" log replay "$TMP/boot.json" --expect "$(printf '%096d' 0)"
printf '{"format":"veritee-mlog-v1"' >"$TMP/broken.json"
expect 2 "log show broken" -- "$VT" log show "$TMP/broken.json"
expect 0 "sim with log" -- "$VT" sim tdx --log "$TMP/boot.json" --out "$TMP/logged"
expect 0 "verify with log" -- "$VT" verify --trust-sim --collateral "$TMP/logged/collateral" --log "$TMP/boot.json" "$TMP/logged/quote.bin"
expect 1 "verify with another boot's log" -- "$VT" verify --trust-sim --collateral "$TMP/sim4/collateral" --log "$TMP/boot.json" --json "$TMP/sim4/quote.bin"
contains '"check": "measurement_log"' "log mismatch named"
# Mock: extend the software register as the events are logged.
expect 0 "log extend mock" -- "$VT" log append --log "$TMP/mock-boot.json" --component runtime --name veritee --measure "$VT" --extend mock
expect 0 "attest mock after extend" -- "$VT" attest --platform mock --nonce $N --out "$TMP/mock2.bin"
expect 0 "verify mock with log" -- "$VT" verify --trust-sim --nonce $N --log "$TMP/mock-boot.json" "$TMP/mock2.bin"

ln -s /etc/passwd "$TMP/model/link"
expect 2 "measure refuses symlinks" -- "$VT" measure "$TMP/model"
expect 2 "measure missing path" -- "$VT" measure "$TMP/nope"
expect 2 "measure no path" -- "$VT" measure

finish
