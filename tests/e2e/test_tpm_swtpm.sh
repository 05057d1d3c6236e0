#!/usr/bin/env bash
# TPM 2.0 collection against a software TPM (swtpm on 127.0.0.1, socket TCTI,
# throwaway state): veritee collects a quote and verifies it with the AK
# pinned; tpm2_checkquote accepts veritee's quote and veritee accepts a quote
# tpm2_quote made; a wrong nonce, a PCR changed after the quote, a flipped
# signature bit and an unpinned AK are all refused.  An event log in a
# stand-in sysroot is collected and replayed against the quoted PCRs.  Then
# PCR extend (the gateway's register) and TPM sealing.
. "$(dirname "$0")/lib.sh"

for t in swtpm tpm2_quote tpm2_checkquote tpm2_createprimary openssl python3; do
  command -v "$t" >/dev/null 2>&1 || { echo "skipped: $t not installed (scripts/install-deps)"; exit 77; }
done
PARTS="$(dirname "$0")/tpm_parts.py"
. "$(dirname "$0")/tpm_lib.sh"
trap 'kill "$(cat "$TMP/swtpm.pid" 2>/dev/null)" 2>/dev/null; rm -rf "$TMP"' EXIT
swtpm_start swtpm
PORT=$SWTPM_PORT
export VERITEE_TPM_TCTI="swtpm:host=127.0.0.1,port=$PORT"
export TPM2TOOLS_TCTI="$VERITEE_TPM_TCTI"
ALL="sha256:$(seq -s, 0 23)"
sha512hex() { python3 -c "import hashlib,sys;print(hashlib.sha512(bytes.fromhex(sys.argv[1])).hexdigest())" "$1"; }

# ---- the AK: the same template through tpm2-tools gives the same key; its pin ----
tpm2_createprimary -Q -C e -G rsa2048:rsassa-sha256:null \
  -a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign|noda' -c "$TMP/ak.ctx"
tpm2_readpublic -Q -c "$TMP/ak.ctx" -f pem -o "$TMP/ak.pem"
tpm2_readpublic -Q -c "$TMP/ak.ctx" -o "$TMP/ak.tpm2b"
AK=$(openssl pkey -pubin -in "$TMP/ak.pem" -outform DER | sha256sum | cut -c1-64)
tpm2_flushcontext -t

# ---- veritee collects, veritee verifies ----
N=00112233445566778899aabbccddeeff
expect 0 "hardware lists the TPM row" -- "$VT" hardware
contains "tpm" "hardware lists the TPM"
expect 0 "collect" -- "$VT" attest --platform tpm --nonce $N --out "$TMP/ev.bin"
contains "tpm evidence" "collected TPM evidence"
VERITEE_TPM_PCRS=0-7,16,23 VERITEE_TPM_AK_ALG=ecc expect 0 "collect PCRs 0-7,16,23 with a P-256 AK" -- \
  "$VT" attest --platform tpm --nonce $N --out "$TMP/ev-ecc.bin"
expect 1 "the P-256 AK is not the pinned RSA AK" -- "$VT" verify --json --nonce $N --ak-sha256 "$AK" "$TMP/ev-ecc.bin"
contains '"ak_trust"' "another AK is not trusted"
"$VT" verify --json --nonce $N "$TMP/ev-ecc.bin" >"$TMP/out" 2>&1
contains '"signature_valid": true' "P-256 quote signature valid"
contains '"pcr16": "' "PCR 16 quoted"
lacks '"pcr8": "' "PCR 8 not quoted, not claimed"
VERITEE_TPM_PCRS=0-24 expect 2 "PCR 24 refused" -- "$VT" attest --platform tpm --nonce $N --out "$TMP/x.bin"
expect 0 "verified, AK pinned" -- "$VT" verify --json --nonce $N --ak-sha256 "$AK" "$TMP/ev.bin"
contains '"verdict": "affirming"' "affirming with the pin"
contains '"signature_valid": true' "quote signature"
contains "\"ak_sha256\": \"$AK\"" "the AK veritee used is the template's"
contains '"hardware_attested": false' "a pin is never hardware"
expect 1 "wrong nonce" -- "$VT" verify --json --nonce 0badc0de --ak-sha256 "$AK" "$TMP/ev.bin"
contains '"report_data"' "wrong nonce named"
expect 1 "AK not pinned" -- "$VT" verify --json --nonce $N "$TMP/ev.bin"
contains '"ak_trust"' "untrusted AK named"
python3 "$PARTS" flip "$TMP/ev.bin" 2 40 "$TMP/ev-sig.bin"
expect 1 "signature bit flipped" -- "$VT" verify --json --nonce $N --ak-sha256 "$AK" "$TMP/ev-sig.bin"
contains '"quote_signature"' "bad signature named"
python3 "$PARTS" flip "$TMP/ev.bin" 3 $((16 * 32)) "$TMP/ev-pcr.bin"
expect 1 "PCR value changed after the quote" -- "$VT" verify --json --nonce $N --ak-sha256 "$AK" "$TMP/ev-pcr.bin"
contains '"pcr_digest"' "changed PCR named"
expect 0 "--report-data: 32 bytes of qualifyingData" -- "$VT" attest --platform tpm --report-data "$(printf '%064x' 7)" --out "$TMP/ev32.bin"
expect 0 "32-byte extraData verified exactly" -- "$VT" verify --report-data "$(printf '%064x' 7)" --ak-sha256 "$AK" "$TMP/ev32.bin"
expect 1 "the same data padded is not the same" -- "$VT" verify --report-data "$(printf '%0128x' 7)" --ak-sha256 "$AK" "$TMP/ev32.bin"

# ---- tpm2_checkquote accepts veritee's quote ----
mkdir -p "$TMP/parts"
python3 "$PARTS" split "$TMP/ev.bin" "$TMP/parts"
python3 "$PARTS" ser "$TMP/parts/pcrs_sha256.bin" "$TMP/parts/pcrs.ser"
python3 "$PARTS" pem "$TMP/parts/ak_pub.tpmt" >"$TMP/parts/ak.pem"
RD=$(sha512hex $N)
expect 0 "tpm2_checkquote accepts veritee's quote" -- tpm2_checkquote -u "$TMP/parts/ak.pem" -m "$TMP/parts/quote.attest" \
  -s "$TMP/parts/quote.sig" -f "$TMP/parts/pcrs.ser" -g sha256 -q "$RD"
expect 1 "tpm2_checkquote: wrong nonce" -- tpm2_checkquote -u "$TMP/parts/ak.pem" -m "$TMP/parts/quote.attest" \
  -s "$TMP/parts/quote.sig" -f "$TMP/parts/pcrs.ser" -g sha256 -q "$(sha512hex 0badc0de)"
tpm2_pcrextend 16:sha256="$(printf '%064x' 1)"
tpm2_pcrread -Q -F serialized -o "$TMP/parts/now.ser" "$ALL"
expect 1 "tpm2_checkquote: PCR 16 extended after veritee's quote" -- tpm2_checkquote -u "$TMP/parts/ak.pem" \
  -m "$TMP/parts/quote.attest" -s "$TMP/parts/quote.sig" -f "$TMP/parts/now.ser" -g sha256 -q "$RD"

# ---- veritee accepts a quote tpm2_quote made (directory form) ----
mkdir -p "$TMP/q"
tpm2_createprimary -Q -C e -G rsa2048:rsassa-sha256:null \
  -a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign|noda' -c "$TMP/ak.ctx"
tpm2_quote -Q -c "$TMP/ak.ctx" -l "$ALL" -q "$RD" -m "$TMP/q/quote_sha256.attest" -s "$TMP/q/quote_sha256.sig" \
  -o "$TMP/q/pcrs_sha256.bin" -F values -g sha256
tpm2_flushcontext -t
tail -c +3 "$TMP/ak.tpm2b" >"$TMP/q/ak_pub.tpmt"
expect 0 "veritee accepts tpm2_quote's quote" -- "$VT" verify --json --nonce $N --ak-sha256 "$AK" "$TMP/q"
contains '"verdict": "affirming"' "tpm2_quote affirming"
contains '"pcr16": "' "PCR 16 claimed"
expect 1 "tpm2_quote's quote: wrong nonce" -- "$VT" verify --nonce 0badc0de --ak-sha256 "$AK" "$TMP/q"
cp -r "$TMP/q" "$TMP/q2"
python3 -c "import sys;b=bytearray(open(sys.argv[1],'rb').read());b[16*32]^=1;open(sys.argv[1],'wb').write(b)" "$TMP/q2/pcrs_sha256.bin"
expect 1 "tpm2_quote's quote: PCR value changed" -- "$VT" verify --json --nonce $N --ak-sha256 "$AK" "$TMP/q2"
contains '"pcr_digest"' "changed PCR named (tpm2_quote)"

# ---- an event log (stand-in sysroot) replayed against the quoted PCRs ----
E1=$(printf 'kernel' | sha256sum | cut -c1-64); E2=$(printf 'initrd' | sha256sum | cut -c1-64)
mkdir -p "$TMP/root/sys/kernel/security/tpm0"
python3 "$PARTS" evlog "$TMP/root/sys/kernel/security/tpm0/binary_bios_measurements" 23 "$E1" "$E2"
tpm2_pcrreset 23
tpm2_pcrextend 23:sha256="$E1"
tpm2_pcrextend 23:sha256="$E2"
expect 0 "collect with the event log" -- "$VT" attest --platform tpm --sysroot "$TMP/root" --nonce $N --out "$TMP/ev-log.bin"
expect 0 "event log replays to the quoted PCR 23" -- "$VT" verify --json --nonce $N --ak-sha256 "$AK" "$TMP/ev-log.bin"
contains '"verdict": "affirming"' "event log affirming"
python3 "$PARTS" evlog "$TMP/root/sys/kernel/security/tpm0/binary_bios_measurements" 23 "$E2" "$E1"
expect 0 "collect with a log in the wrong order" -- "$VT" attest --platform tpm --sysroot "$TMP/root" --nonce $N --out "$TMP/ev-log2.bin"
expect 1 "a log that does not replay is refused" -- "$VT" verify --json --nonce $N --ak-sha256 "$AK" "$TMP/ev-log2.bin"
contains '"event_log"' "event log mismatch named"

# ---- the gateway's register: vt_tpm_pcr_extend on PCR 23, read back by tpm2-tools ----
tpm2_pcrreset 23
expect 0 "sim tpm extend" -- "$VT" sim tpm --extend "$E1"
W=$(python3 -c "import hashlib,sys;print(hashlib.sha256(bytes(32)+bytes.fromhex(sys.argv[1])).hexdigest())" "$E1")
tpm2_pcrread sha256:23 >"$TMP/out" 2>&1
contains "$(echo "$W" | tr a-f A-F)" "PCR 23 = SHA-256(0 || event digest) after vt_tpm_pcr_extend"

# ---- the register abstraction: log append --extend tpm, replayed in the SHA-256 bank, verified with --log ----
tpm2_pcrreset 23
rm -f "$TMP/mlog.json"
expect 0 "log append --extend tpm" -- "$VT" log append --log "$TMP/mlog.json" --component model --name m --digest "$E1" --extend tpm
contains "tpm pcr23 now" "the new PCR 23 is printed"
expect 0 "log append --extend tpm (2)" -- "$VT" log append --log "$TMP/mlog.json" --component config --name c --digest "$E2" --extend tpm
R=$(tpm2_pcrread sha256:23 | sed -n 's/.*0x\([0-9A-F]*\).*/\1/p' | tr A-F a-f)
expect 0 "the log replays to PCR 23 in the SHA-256 bank" -- "$VT" log replay --platform tpm --expect "$R" "$TMP/mlog.json"
expect 2 "a SHA-256 value is not a SHA-384 register" -- "$VT" log replay --expect "$R" "$TMP/mlog.json"
expect 1 "another PCR 23 value is refused" -- "$VT" log replay --platform tpm --expect "$(printf "%064x" 7)" "$TMP/mlog.json"
expect 0 "collect after the extends" -- "$VT" attest --platform tpm --nonce $N --out "$TMP/ev-reg.bin"
expect 0 "verify: the log replays to the quoted PCR 23" -- "$VT" verify --json --nonce $N --ak-sha256 "$AK" --log "$TMP/mlog.json" "$TMP/ev-reg.bin"
contains '"verdict": "affirming"' "register log affirming"
expect 0 "one more event, logged but not extended" -- "$VT" log append --log "$TMP/mlog.json" --component other --name late --digest "$E2"
expect 1 "a log ahead of PCR 23 is refused" -- "$VT" verify --json --nonce $N --ak-sha256 "$AK" --log "$TMP/mlog.json" "$TMP/ev-reg.bin"
contains '"measurement_log"' "the refusal names the measurement log"
expect 2 "sevsnp has no register to extend" -- "$VT" log append --log "$TMP/mlog.json" --component other --name x --digest "$E2" --extend sevsnp
contains "REPORT_DATA" "the refusal says where an SEV-SNP log goes"

# ---- sealing to the TPM: opens while PCRs 0-7 hold, refused once one changes ----
# The root is an HMAC by a key the TPM derives from its owner seed and the PCR policy: nothing
# secret is stored, so another state directory on the same TPM and PCRs opens the same blob,
# and removing the pin (the policy the directory first saw) loses nothing.
S="$TMP/seal-state"
printf 'model key 42' >"$TMP/secret"
expect 0 "seal to the TPM" -- "$VT" seal --platform tpm --key-id k1 --state "$S" --out "$TMP/sealed" "$TMP/secret"
expect 0 "unseal on the same TPM, PCRs unchanged" -- "$VT" unseal --platform tpm --key-id k1 --state "$S" "$TMP/sealed"
contains "model key 42" "unsealed plaintext"
expect 1 "another key id does not open" -- "$VT" unseal --platform tpm --key-id k2 --state "$S" "$TMP/sealed"
expect 1 "a mock root does not open a TPM blob" -- "$VT" unseal --platform mock --key-id k1 --state "$S" "$TMP/sealed"
[ -f "$S/seal-root-tpm.pin" ] && [ ! -e "$S/seal-root.tpm" ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: the state directory holds the pin and no stored root"; }
rm -f "$S/seal-root-tpm.pin"
expect 0 "the pin removed: the same root" -- "$VT" unseal --platform tpm --key-id k1 --state "$S" "$TMP/sealed"
contains "model key 42" "unsealed plaintext without the pin"
expect 0 "another state directory, same TPM and PCRs: the same root" -- \
  "$VT" unseal --platform tpm --key-id k1 --state "$TMP/seal-state-2" "$TMP/sealed"
contains "model key 42" "unsealed plaintext from another state directory"

# ---- a root planted in the state directory is not used ----
# The first format kept the root in a sealed-data object in the state directory.  Whoever can
# write that directory and reach the TPM (the host, another OS booted on the machine) can make
# such an object holding bytes of their choice under the good state's PCR policy: it loads and
# unseals like one the TPM made, and data sealed under it opens with the planter's bytes.
P="$TMP/planted"
mkdir -p "$P/state" && chmod 700 "$P/state"
printf 'attacker-known sealing root 0032' >"$P/root"
tpm2_createprimary -Q -C o -G ecc256:null:aes128cfb -c "$P/srk.ctx" \
  -a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|decrypt|noda'
tpm2_createpolicy -Q --policy-pcr -l sha256:0,1,2,3,4,5,6,7 -L "$P/policy"
tpm2_create -Q -C "$P/srk.ctx" -L "$P/policy" -a 'fixedtpm|fixedparent|noda' -i "$P/root" -u "$P/pub" -r "$P/priv"
tpm2_flushcontext -t
{ printf 'VTTPMSL1\x00\x00\x00\xff'; cat "$P/pub" "$P/priv"; } >"$P/state/seal-root.tpm"
expect 1 "a planted first-format root is refused" -- \
  "$VT" seal --platform tpm --key-id k1 --state "$P/state" --out "$P/sealed" "$TMP/secret"
contains "could have planted" "the refusal says why"
[ ! -e "$P/sealed" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: sealed under a planted root"; }
# What the planter would do with a blob sealed under it (with the first format this opened).
"$VT" seal --platform tpm --key-id k1 --state "$S" --out "$P/sealed" "$TMP/secret" >"$TMP/out" 2>&1
python3 - "$P/root" "$P/sealed" >"$P/opened" 2>/dev/null <<'PY'
import sys
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
root = open(sys.argv[1], "rb").read()
blob = open(sys.argv[2], "rb").read()
key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"veritee-seal-v1\0k1\0tpm").derive(root)
sys.stdout.write(AESGCM(key).decrypt(blob[:12], blob[12:], None).decode())
PY
lacks_file() { if grep -q "$1" "$2"; then failed=$((failed + 1)); echo "FAIL: $3"; else passed=$((passed + 1)); fi; }
lacks_file "model key 42" "$P/opened" "a blob opened with the planted bytes"

# ---- the root does not cross the TPM's wire in the clear ----
# The TPM hands the root back as the HMAC's answer.  Whoever reads the bus (a probe on LPC/SPI, a
# hypervisor relaying a virtual TPM) would read it there and open every blob, unless the answer is
# encrypted under a session salted to a key inside the TPM.  The tap records what the TPM says to
# an unseal; no 32 bytes of it may open the blob.
rm -f "$TMP/tap.log"
wire_start tap "$(dirname "$0")/tpm_tap.py" "$PORT" "$TMP/tap.log" 60
TAP=$WIRE_PORT TAP_PID=$WIRE_PID
if [ -n "$TAP" ]; then
  VERITEE_TPM_TCTI="swtpm:host=127.0.0.1,port=$TAP" expect 0 "unseal through the tap" -- \
    "$VT" unseal --platform tpm --key-id k1 --state "$S" "$TMP/sealed"
  contains "model key 42" "unsealed through the tap"
  kill "$TAP_PID" 2>/dev/null
  wait "$TAP_PID" 2>/dev/null
  python3 - "$TMP/tap.log" "$TMP/sealed" >"$TMP/tapped" 2>/dev/null <<'PY'
import sys
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
wire = open(sys.argv[1], "rb").read()
blob = open(sys.argv[2], "rb").read()
print("tapped %d bytes" % len(wire))
for i in range(len(wire) - 31):
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"veritee-seal-v1\0k1\0tpm").derive(wire[i:i + 32])
    try:
        print("opened: " + AESGCM(key).decrypt(blob[:12], blob[12:], None).decode())
        break
    except Exception:
        pass
PY
  grep -q "tapped [1-9]" "$TMP/tapped" && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: the tap recorded nothing"; }
  lacks_file "model key 42" "$TMP/tapped" "the TPM's answers on the wire hold the sealing root"
else # five ports tried: a test that cannot check the wire does not pass as if it had
  failed=$((failed + 1)); echo "FAIL: the tap did not start on any of five ports: the wire is not checked"
  cat "$TMP/tap.out"
fi

tpm2_pcrextend 7:sha256="$(printf '%064x' 9)"
expect 1 "PCR 7 changed: the TPM refuses the root" -- "$VT" unseal --platform tpm --key-id k1 --state "$S" "$TMP/sealed"
contains "hold other values" "the refusal names the PCR policy"
lacks "model key 42" "no plaintext after the PCR change"
expect 1 "PCR 7 changed: no sealing under the pinned directory" -- \
  "$VT" seal --platform tpm --key-id k1 --state "$S" --out "$TMP/sealed-late" "$TMP/secret"
rm -f "$S/seal-root-tpm.pin"
expect 1 "PCR 7 changed, pin removed: another root, the blob does not open" -- \
  "$VT" unseal --platform tpm --key-id k1 --state "$S" "$TMP/sealed"
contains "does not open" "the blob does not open under the new values' root"
lacks "model key 42" "no plaintext under the new values' root"

finish
