#!/usr/bin/env bash
# Every real TPM 2.0 evidence directory through the CLI at its MANIFEST time
# (../shared/vectors/MANIFEST.md, tpm/): GCE (AK certificate to the pinned GCE
# vTPM CA, event log replayed) and Azure CVMs (AK from the HCL runtime data,
# bound by the SEV-SNP report or the TD quote), as directories and as the
# original JSON envelopes (evidence.orig.json).  Then every signed region
# flipped and every file truncated: all rejected.
. "$(dirname "$0")/lib.sh"

V="${VERITEE_VECTORS:-../shared/vectors}"
if [ ! -d "$V/tpm" ]; then echo "skipped: no vectors at $V"; exit 77; fi
T="$V/tpm"
GCE_AT=2022-01-01T00:00:00Z

# ---- GCE: AK certificate <- tpm_ek_intermediate_2 <- tpm_ek_root_1, three banks, event log ----
expect 0 "gce accepted" -- "$VT" verify --json --at $GCE_AT "$T/gce-cos85-no-nonce"
contains '"verdict": "affirming"' "gce affirming"
contains '"platform": "tpm"' "gce auto-detected as tpm"
contains '"hardware_attested": true' "gce hardware"
contains '"signature_valid": true' "gce signatures"
contains '"chain_valid": true' "gce AK chain"
contains '"pcr0": "0f35c214608d93c7a6e68ae7359b4a8be5a0e99eea9107ece427c4dea4e439cf"' "gce pcr0 (sha256 bank)"
contains '"secure_boot": "01"' "gce secure boot from the event log"
contains '"boot_loader": "' "gce boot loader digest"
contains '"kernel": "' "gce kernel digest"
expect 0 "gce --platform tpm" -- "$VT" verify --platform tpm --at $GCE_AT "$T/gce-cos85-no-nonce"
expect 0 "gce empty extraData = --report-data ''" -- "$VT" verify --at $GCE_AT --report-data "" "$T/gce-cos85-no-nonce"
expect 1 "gce nonce expected but none quoted" -- "$VT" verify --json --at $GCE_AT --report-data 00 "$T/gce-cos85-no-nonce"
contains '"check": "report_data"' "gce missing nonce named"
expect 1 "gce after the AK certificate expired" -- "$VT" verify --json --at 2052-01-01T00:00:00Z "$T/gce-cos85-no-nonce"
contains '"check": "ak_cert"' "gce expiry names ak_cert"

# ---- Azure SEV-SNP: REPORT_DATA[0:32] = SHA-256(runtime data) -> HCLAkPub -> quote ----
for s in azure-snp-milan-a:2023-06-01T21:22:19Z:6368616c6c656e6765 \
         azure-snp-milan-v0:2025-02-27T16:26:55Z:6368616c6c656e6765 \
         azure-snp-milan-v1:2025-02-27T16:26:55Z:6368616c6c656e6765 \
         azure-snp-milan-v2-userdata:2025-02-27T16:33:43Z:982f5c6e45df0ed3f10b6f60b02f0c8390e281300f3805e2279c16168cd6ae9aa398f647caa2338748cd0fd9f5f819ef \
         azure-snp-genoa:2025-02-23T02:21:48Z:0218488bae25d2509232bf676f1a66a30d7372add909109b36016ef136f2938ca05475f8b46094de6b64270ea35d950f; do
  d=$(echo "$s" | cut -d: -f1); at=$(echo "$s" | cut -d: -f2-4); nonce=$(echo "$s" | cut -d: -f5)
  expect 0 "$d accepted" -- "$VT" verify --json --at "$at" --report-data "$nonce" "$T/$d"
  contains '"hardware_attested": true' "$d hardware (SNP chain holds)"
  contains '"signature_valid": true' "$d quote signature"
  contains '"snp_measurement": "' "$d SNP measurement claim"
  contains "\"extra_data\": \"$nonce\"" "$d extraData"
  expect 1 "$d nonce with a trailing zero byte (exact)" -- "$VT" verify --json --at "$at" --report-data "${nonce}00" "$T/$d"
  contains '"check": "report_data"' "$d exact length named"
done
expect 0 "milan-v0 pcr0" -- "$VT" verify --json --at 2025-02-27T16:26:55Z "$T/azure-snp-milan-v0"
contains '"pcr0": "e15c44796beabf46abcec7c57e590942041e47497e4ec27571c8b7664f48dced"' "milan-v0 pcr0 (trustee)"
expect 0 "genoa pcr0" -- "$VT" verify --json --at 2025-02-23T02:21:48Z "$T/azure-snp-genoa"
contains '"pcr0": "afd689d0bb1c5f36f023fbaf574135f555a28a10c1f6b938d2a25e70c7783338"' "genoa pcr0 (trustee)"
expect 1 "milan-a before the VCEK was valid" -- "$VT" verify --json --at 2020-01-01T00:00:00Z "$T/azure-snp-milan-a"
contains '"check": "hcl_report"' "VCEK validity named through hcl_report"

# ---- Azure TDX: TD quote REPORTDATA binds the runtime data; no TCB info exists for its FMSPC ----
expect 1 "azure-tdx without collateral" -- "$VT" verify --json --at 2026-06-01T00:00:00Z "$T/azure-tdx"
contains '"check": "hcl_report"' "azure-tdx collateral named"
expect 0 "azure-tdx, collateral allowed missing" -- "$VT" verify --json --allow-missing-collateral --at 2026-06-01T00:00:00Z "$T/azure-tdx"
contains '"hardware_attested": true' "azure-tdx hardware"
contains '"tdx_mrtd": "024a32b070383331181619fa387cb4d55d1e38879f989933055ccad5bc2db795d1737b66205949d15469dc8c1ba7ab7b"' "azure-tdx MRTD"

# ---- the Azure JSON envelopes (evidence.orig.json: v0 byte arrays, v1/v2 hex + base64url) ----
for s in azure-snp-milan-v0:2025-02-27T16:26:55Z:6368616c6c656e6765 \
         azure-snp-milan-v1:2025-02-27T16:26:55Z:6368616c6c656e6765 \
         azure-snp-milan-v2-userdata:2025-02-27T16:33:43Z:982f5c6e45df0ed3f10b6f60b02f0c8390e281300f3805e2279c16168cd6ae9aa398f647caa2338748cd0fd9f5f819ef \
         azure-snp-genoa:2025-02-23T02:21:48Z:0218488bae25d2509232bf676f1a66a30d7372add909109b36016ef136f2938ca05475f8b46094de6b64270ea35d950f; do
  d=$(echo "$s" | cut -d: -f1); at=$(echo "$s" | cut -d: -f2-4); nonce=$(echo "$s" | cut -d: -f5)
  expect 0 "$d envelope accepted" -- "$VT" verify --json --at "$at" --report-data "$nonce" "$T/$d/evidence.orig.json"
  contains '"platform": "tpm"' "$d envelope auto-detected as tpm"
  contains '"hardware_attested": true' "$d envelope hardware (SNP chain holds)"
  contains "\"extra_data\": \"$nonce\"" "$d envelope extraData"
  expect 0 "$d envelope, --platform tpm" -- "$VT" verify --platform tpm --at "$at" "$T/$d/evidence.orig.json"
  expect 1 "$d envelope, another nonce" -- "$VT" verify --json --at "$at" --report-data "${nonce%?}0" "$T/$d/evidence.orig.json"
  contains '"check": "report_data"' "$d envelope nonce named"
done
expect 0 "azure-tdx envelope, collateral allowed missing" -- "$VT" verify --json --allow-missing-collateral --at 2026-06-01T00:00:00Z "$T/azure-tdx/evidence.orig.json"
contains '"hardware_attested": true' "azure-tdx envelope hardware"
# A directory holding only the envelope reads it.
mkdir -p "$TMP/envdir" && cp "$T/azure-snp-milan-v1/evidence.orig.json" "$TMP/envdir/"
expect 0 "directory with only evidence.orig.json" -- "$VT" verify --at 2025-02-27T16:26:55Z "$TMP/envdir"
expect 0 "envelope on standard input" -- sh -c "\"$VT\" verify --at 2025-02-27T16:26:55Z - <\"$T/azure-snp-milan-v1/evidence.orig.json\""
# v1 relabelled v2: v2 promises the runtime user-data carries the nonce, and v1's is zero.
sed 's/"version": *1/"version": 2/' "$T/azure-snp-milan-v1/evidence.orig.json" >"$TMP/relabel.json"
expect 1 "v1 relabelled v2" -- "$VT" verify --json --at 2025-02-27T16:26:55Z "$TMP/relabel.json"
contains '"check": "hcl_user_data"' "user-data binding named"
sed 's/"version": *1/"version": 7/' "$T/azure-snp-milan-v1/evidence.orig.json" >"$TMP/v7.json"
expect 2 "unknown envelope version" -- "$VT" verify --at 2025-02-27T16:26:55Z "$TMP/v7.json"
contains 'azure: envelope version 7 is not supported' "version named"
head -c 3000 "$T/azure-snp-milan-v1/evidence.orig.json" >"$TMP/cut.json"
expect 2 "truncated envelope" -- "$VT" verify --platform tpm --at 2025-02-27T16:26:55Z "$TMP/cut.json"
contains 'azure: envelope is not a JSON object' "bad JSON named"

# ---- the AK pinned by the verifier instead of a certificate ----
P="$TMP/pinned"; mkdir -p "$P"
cp "$T"/gce-cos85-no-nonce/{quote_sha256.attest,quote_sha256.sig,pcrs_sha256.bin,ak_pub.tpmt} "$P/"
expect 1 "no certificate, not pinned" -- "$VT" verify --json --at $GCE_AT "$P"
contains '"check": "ak_trust"' "untrusted AK named"
AK=6a114d75ad6e7b75f7da33dead50f2e29bf509108646ced2e588bebc35f0d5b6
expect 0 "AK pinned with --ak-sha256" -- "$VT" verify --json --at $GCE_AT --ak-sha256 $AK "$P"
contains '"hardware_attested": false' "a pin is not hardware attestation"
VERITEE_TPM_AK_SHA256="00$(printf '%062d' 0),$AK" expect 0 "AK pinned by the environment" -- "$VT" verify --at $GCE_AT "$P"
expect 1 "another AK pinned" -- "$VT" verify --at $GCE_AT --ak-sha256 "$(printf '%064d' 0)" "$P"

# ---- tampering: a bit flipped in every signed region, files truncated ----
# One python run writes every mutated directory: CASE-DIR/<n> = SRC with FILE changed.
G="$T/gce-cos85-no-nonce"; A="$T/azure-snp-milan-a"; AAT=2023-06-01T21:22:19Z
python3 - "$TMP/mut" "$G" "$A" <<'PY'
import os, shutil, sys
out, g, a = sys.argv[1:4]
cases = []
def flip(src, f, off): cases.append((src, f, lambda b: b[:off] + bytes([b[off] ^ 1]) + b[off + 1:], f"flip {f}@{off}"))
def cut(src, f, n): cases.append((src, f, lambda b: b[:n], f"truncate {f} to {n}"))
for o in (0, 5, 8, 40, 60, 70, 80, 112): flip(g, "quote_sha256.attest", o)   # magic, type, signer, clock, select, digest
for o in (0, 3, 6, 261): flip(g, "quote_sha1.sig", o)                        # sigAlg, hash, size, signature
for o in (0, 767): flip(g, "pcrs_sha256.bin", o)
flip(g, "pcrs_sha1.bin", 479); flip(g, "pcrs_sha384.bin", 0)
# Event log: the first measured event's SHA-1, SHA-256 and SHA-384 digests, and the SecureBoot
# variable's value (its data is digested).  Descriptive event data no digest covers may change.
for o in (87, 109, 143, 571): flip(g, "event_log.bin", o)
for o in (10, 500, 1300): flip(g, "ak_cert.der", o)
for o in (20, 279): flip(g, "ak_pub.tpmt", o)
for o in (0, 30, 100, 121): flip(a, "tpm_quote.attest", o)
for o in (0, 255): flip(a, "tpm_quote.sig", o)
for o in (0x30, 0x90, 0x2a0, 0x4c0, 0x4d8, 0x600, 0x900): flip(a, "hcl_report.bin", o)
flip(a, "pcrs_sha256.bin", 700)
for n in (0, 6, 50, 112): cut(g, "quote_sha256.attest", n)
for n in (0, 5, 261): cut(g, "quote_sha256.sig", n)
for n in (0, 767): cut(g, "pcrs_sha256.bin", n)
for n in (10, 100, 23969): cut(g, "event_log.bin", n)
cut(g, "ak_cert.der", 1000)
for n in (0, 1200, 2000): cut(a, "hcl_report.bin", n)
cut(a, "tpm_quote.sig", 255)
for i, (src, f, mut, what) in enumerate(cases):
    d = os.path.join(out, "%03d" % i)
    shutil.copytree(src, d)
    os.chmod(d, 0o755)
    p = os.path.join(d, f)
    b = open(p, "rb").read()
    os.chmod(p, 0o644)
    open(p, "wb").write(mut(b))
    open(os.path.join(d, "CASE"), "w").write(what + ("|" + ("gce" if src == g else "azure")))
PY
for d in "$TMP"/mut/*; do
  IFS='|' read -r what src <"$d/CASE"
  at=$GCE_AT; [ "$src" = azure ] && at=$AAT
  "$VT" verify --allow-missing-collateral --at "$at" "$d" >"$TMP/out" 2>&1
  rc=$?
  if [ "$rc" -eq 1 ] || [ "$rc" -eq 2 ]; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL: $src $what accepted (exit $rc)"; head -20 "$TMP/out"; fi
done
[ "$(ls "$TMP/mut" | wc -l)" -ge 50 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: mutations missing"; }

# ---- the go-tpm-tools container (attestation.pb), as a file and as a directory of its own ----
G="$T/gce-cos85-no-nonce"
expect 0 "attestation.pb accepted" -- "$VT" verify --json --at $GCE_AT "$G/attestation.pb"
contains '"verdict": "affirming"' "attestation.pb affirming"
contains '"hardware_attested": true' "attestation.pb hardware (AK certificate)"
contains '"secure_boot": "01"' "attestation.pb event log replayed"
contains '"pcr0": "0f35c214608d93c7a6e68ae7359b4a8be5a0e99eea9107ece427c4dea4e439cf"' "attestation.pb pcr0"
expect 0 "attestation.pb --platform tpm" -- "$VT" verify --platform tpm --at $GCE_AT "$G/attestation.pb"
mkdir -p "$TMP/pbdir" && cp "$G/attestation.pb" "$TMP/pbdir/"
expect 0 "a directory holding only attestation.pb" -- "$VT" verify --at $GCE_AT "$TMP/pbdir"
expect 0 "inspect attestation.pb" -- "$VT" inspect "$G/attestation.pb"
contains '"pcr_banks": 3' "three banks from the protobuf"
# Bit flips inside every signed part as it sits in the protobuf, and truncations: all rejected.
mkdir -p "$TMP/pbmut"
python3 - "$G" "$TMP/pbmut" <<'PY'
import os, sys
g, out = sys.argv[1], sys.argv[2]
pb = open(os.path.join(g, "attestation.pb"), "rb").read()
cases = []
for f, offs in (("quote_sha256.attest", (0, 4, 40, 112)), ("quote_sha256.sig", (0, 6, 200, 261)),
                ("quote_sha1.sig", (100,)), ("pcrs_sha256.bin", (0, 31, 767)), ("ak_pub.tpmt", (30, 279)),
                ("ak_cert.der", (500,)), ("event_log.bin", (5000,))):
    part = open(os.path.join(g, f), "rb").read()
    at = pb.find(part if f != "pcrs_sha256.bin" else part[:32])
    assert at >= 0, f
    for o in offs:
        if f == "pcrs_sha256.bin":  # PCR values sit one map entry apart: flip inside PCR 0
            o = o % 32
        b = bytearray(pb); b[at + o] ^= 0x01; cases.append(("%s+%d" % (f, o), bytes(b)))
for n in (1, 100, 1000, len(pb) // 2, len(pb) - 1):
    cases.append(("cut%d" % n, pb[:n]))
cases.append(("varint overflow", b"\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f" + pb[2:]))
for i, (what, b) in enumerate(cases):
    open(os.path.join(out, "%03d-%s.pb" % (i, what.replace("/", "_"))), "wb").write(b)
PY
for f in "$TMP"/pbmut/*.pb; do
  "$VT" verify --platform tpm --at $GCE_AT "$f" >"$TMP/out" 2>&1
  rc=$?
  if [ "$rc" -eq 1 ] || [ "$rc" -eq 2 ]; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL: $(basename "$f") accepted (exit $rc)"; head -5 "$TMP/out"; fi
done
[ "$(ls "$TMP/pbmut" | wc -l)" -ge 20 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: pb mutations missing"; }

# A directory without a quote is a usage error.
mkdir -p "$TMP/empty"
expect 2 "directory without a quote" -- "$VT" verify "$TMP/empty"

finish
