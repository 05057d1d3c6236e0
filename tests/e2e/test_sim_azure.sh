#!/usr/bin/env bash
# veritee sim azure through the real program: an Azure CVM evidence envelope
# (v0, v1, v2) in the attesters' JSON format, whose simulated SEV-SNP report
# (or TDREPORT with its TD quote) binds the runtime data holding the vTPM AK,
# verifies through the TPM plugin only with --trust-sim, never as hardware; a
# wrong nonce, a tampered quote, PCR, HCL report, VCEK or TDREPORT field, and
# v1 relabelled v2 are rejected.
. "$(dirname "$0")/lib.sh"

AT=2025-06-01T00:00:00Z
N=0102; P=0a0b
ok() { "$VT" verify --json --trust-sim --at "$AT" --collateral "$TMP/$1/collateral" "${@:2}"; }

for v in 0 1 2; do
  expect 0 "sim azure v$v" -- "$VT" sim azure --out "$TMP/a$v" --version "$v" --nonce $N --pubkey $P --at "$AT" --json
  contains '"platform": "tpm"' "v$v sim json"
  contains 'evidence.json' "v$v file named"
  expect 0 "v$v accepted with --trust-sim" -- ok "a$v" --nonce $N --pubkey $P "$TMP/a$v/evidence.json"
  contains '"platform": "tpm"' "v$v auto-detected as tpm"
  contains '"hardware_attested": false' "v$v never hardware"
  contains '"signature_valid": true' "v$v quote signature"
  contains '"chain_valid": true' "v$v AK bound by the simulated SNP report"
  contains '"snp_measurement": "' "v$v SNP claims"
  contains '"hcl_runtime_sha256": "' "v$v runtime data digest"
  expect 0 "v$v --platform tpm" -- ok "a$v" --platform tpm --nonce $N --pubkey $P "$TMP/a$v/evidence.json"
  expect 1 "v$v wrong nonce" -- ok "a$v" --nonce 0103 --pubkey $P "$TMP/a$v/evidence.json"
  contains '"check": "report_data"' "v$v report_data named"
done
grep -q '"version": 2' "$TMP/a2/evidence.json" && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: v2 envelope"; }
grep -q '"report": \[' "$TMP/a0/evidence.json" && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: v0 byte arrays"; }

expect 1 "rejected without --trust-sim" -- "$VT" verify --json --at "$AT" --collateral "$TMP/a1/collateral" "$TMP/a1/evidence.json"
contains '"check": "hcl_report"' "untrusted SNP chain named through hcl_report"
contains '"check": "ak_trust"' "untrusted AK named"
expect 1 "without the ASK" -- "$VT" verify --json --trust-sim --at "$AT" "$TMP/a1/evidence.json"
contains '"check": "hcl_report"' "missing ASK named"

# Tampering, each through a JSON rewrite of one field (python: the hex and base64url stay well formed).
python3 - "$TMP/a1/evidence.json" "$TMP/a2/evidence.json" "$TMP/mut" <<'PY'
import base64, json, os, sys
src, src2, out = sys.argv[1:4]
os.makedirs(out, exist_ok=True)
def b64d(s): return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
def b64e(b): return base64.urlsafe_b64encode(b).decode()
def flip_hex(h, i): b = bytearray(bytes.fromhex(h)); b[i] ^= 1; return b.hex()
def w(name, j): json.dump(j, open(os.path.join(out, name), "w"))
j = json.load(open(src))
for i in (10, 40, 60, 100):
    k = json.loads(json.dumps(j)); k["tpm_quote"]["message"] = flip_hex(k["tpm_quote"]["message"], i); w("quote-%d.json" % i, k)
k = json.loads(json.dumps(j)); k["tpm_quote"]["signature"] = flip_hex(k["tpm_quote"]["signature"], 5); w("sig.json", k)
k = json.loads(json.dumps(j)); k["tpm_quote"]["pcrs"][3] = flip_hex(k["tpm_quote"]["pcrs"][3], 0); w("pcr.json", k)
for off in (0x30, 0x90, 0x4d8, 0x600):
    k = json.loads(json.dumps(j)); h = bytearray(b64d(k["hcl_report"])); h[off] ^= 1; k["hcl_report"] = b64e(bytes(h)); w("hcl-%x.json" % off, k)
k = json.loads(json.dumps(j)); d = bytearray(b64d(k["vcek"])); d[200] ^= 1; k["vcek"] = b64e(bytes(d)); w("vcek.json", k)
k = json.loads(json.dumps(j)); k["version"] = 2; w("relabel.json", k)
PY
for f in "$TMP"/mut/*.json; do
  name=$(basename "$f" .json)
  expect 1 "tampered $name rejected" -- ok a1 --nonce $N --pubkey $P "$f"
  case "$name" in relabel) contains '"check": "hcl_user_data"' "relabel: user-data named" ;; esac
done
# TDX: the TDREPORT in the HCL report agrees with the TD quote field by field.
for v in 1 2; do
  expect 0 "sim azure --tdx v$v" -- "$VT" sim azure --tdx --out "$TMP/t$v" --version "$v" --nonce $N --pubkey $P --at "$AT"
  expect 0 "tdx v$v accepted with --trust-sim" -- ok "t$v" --nonce $N --pubkey $P "$TMP/t$v/evidence.json"
  contains '"hardware_attested": false' "tdx v$v never hardware"
  contains '"tdx_mrtd": "' "tdx v$v MRTD claim"
  contains '"chain_valid": true' "tdx v$v AK bound by the simulated TD quote"
done
python3 - "$TMP/t1/evidence.json" "$TMP/tdxmut" <<'PY'
import base64, json, os, sys
src, out = sys.argv[1:3]
os.makedirs(out, exist_ok=True)
j = json.load(open(src))
def b64d(s): return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
def w(name, off):
    k = json.loads(json.dumps(j)); h = bytearray(b64d(k["hcl_report"])); h[0x20 + off] ^= 1
    k["hcl_report"] = base64.urlsafe_b64encode(bytes(h)).decode(); json.dump(k, open(os.path.join(out, name + ".json"), "w"))
w("mrtd", 0x200 + 16); w("rtmr3", 0x200 + 352 + 47); w("mrseam", 0x100 + 24); w("reportdata", 0x80)
w("servtd", 0x200 + 400); w("tcbinfo-hash", 0x20); w("cpusvn", 0x10)
k = json.loads(json.dumps(j)); del k["td_quote"]; json.dump(k, open(os.path.join(out, "no-td-quote.json"), "w"))
PY
for m in mrtd:"TDREPORT mrtd differs" rtmr3:"TDREPORT rtmr3 differs" mrseam:"TDREPORT mrseam differs" \
         reportdata:"REPORTDATA is not SHA-256" servtd:"TEE_INFO_HASH does not hold" \
         tcbinfo-hash:"TEE_INFO_HASH does not hold" no-td-quote:"no TD quote"; do
  name=${m%%:*}; msg=${m#*:}
  expect 1 "tdx: tampered $name rejected" -- ok t1 --nonce $N --pubkey $P "$TMP/tdxmut/$name.json"
  contains "$msg" "tdx: $name named"
done
# CPUSVN (like the MAC and reserved bytes) is bound by nothing a remote verifier can check,
# and nothing uses it (docs/formats/azure-cvm.md): a flip there changes no verdict.
expect 0 "tdx: CPUSVN is not bound" -- ok t1 --nonce $N --pubkey $P "$TMP/tdxmut/cpusvn.json"
expect 2 "sim azure --tdx --version 0" -- "$VT" sim azure --tdx --version 0 --out "$TMP/x"

head -c 900 "$TMP/a1/evidence.json" >"$TMP/short.json"
expect 2 "truncated" -- ok a1 "$TMP/short.json"
expect 0 "inspect" -- "$VT" inspect "$TMP/a2/evidence.json"
contains '"hcl_binds_nonce": true' "inspect shows the v2 binding"
expect 2 "bad --version" -- "$VT" sim azure --out "$TMP/x" --version 3
expect 2 "both nonce forms" -- "$VT" sim azure --out "$TMP/x" --nonce 01 --report-data 02
finish
