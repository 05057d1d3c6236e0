#!/usr/bin/env bash
# TPM sealing with the TPM's identity checked (veritee seal/unseal --tpm-ek-roots,
# docs/formats/tpm.md "The TPM's identity"), against software TPMs (swtpm on 127.0.0.1,
# throwaway state).  Each TPM is manufactured by swtpm_setup with EK certificates from a
# local CA made in this test's directory (swtpm_localca with its own configuration: nothing
# system-wide is touched): RSA 2048 at 0x01c00002 and ECC NIST P-384 at 0x01c00016 (the
# TCG high range, template H-3), and on a third TPM (swtpm_setup --rsa-keysize 3072) RSA 3072
# at 0x01c0001c (H-6).  Refused first: roots without the TPM's CA, a chain missing its
# intermediate, a TPM without an EK certificate, one with an SM2 EK certificate only, another
# TPM whose EK certificate comes from another CA, an impersonator that shows the genuine TPM's
# EK certificates but answers with its own keys (tpm_splice.py; with the P-384, the P-384
# alone, the RSA alone and the RSA 3072 alone), and ECC P-256 and P-384 EK certificates for
# another key.  Then the genuine TPM seals and unseals with its P-384 EK (preferred to RSA),
# the intermediate taken from the bundle, a directory or NV 0x01c00100; with the P-384 EK
# alone; with the RSA EK alone; with an ECC P-521 EK certificate at 0x01c00018 (H-4, the EK
# made by tpm2_createprimary from the template); with an ECC P-256 EK certificate at
# 0x01c0000a; and the third TPM with its RSA 3072 EK alone.
# Revocation (--tpm-ek-crls): the P-384 EK certified by a CA made here with openssl (root and
# intermediate that may sign CRLs; swtpm_localca's may not), CRLs made by mkcrl.py: refused
# when the EK certificate or the intermediate is revoked, a CRL has expired or does not verify,
# the root's CRL is missing, or the CRL file is no CRL (exit 2); sealed and unsealed when
# neither is revoked (DER files in a directory, a PEM bundle, $VERITEE_TPM_EK_CRLS).
# Last, the endorsement hierarchy's auth set: refused (exit 2), no lockout counted.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tpm_lib.sh"

for t in swtpm swtpm_setup swtpm_localca certtool tpm2_createek tpm2_nvdefine tpm2_nvwrite openssl python3; do
  command -v "$t" >/dev/null 2>&1 || { echo "skipped: $t not installed (scripts/install-deps)"; exit 77; }
done
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT

# make_ca NAME: a local CA's configuration in $TMP/NAME-ca (the CA itself is made on first use).
make_ca() {
  local d="$TMP/$1-ca"
  mkdir -p "$d"
  printf 'statedir = %s\nsigningkey = %s/signkey.pem\nissuercert = %s/issuercert.pem\ncertserial = %s/certserial\n' \
    "$d" "$d" "$d" "$d" >"$d/localca.conf"
  printf -- '--platform-manufacturer Test\n--platform-version 2.1\n--platform-model Test\n' >"$d/localca.options"
  printf 'create_certs_tool = %s\ncreate_certs_tool_config = %s/localca.conf\ncreate_certs_tool_options = %s/localca.options\nactive_pcr_banks = sha256\n' \
    "$(command -v swtpm_localca)" "$d" "$d" >"$d/swtpm_setup.conf"
}

# start_tpm NAME [CA [SWTPM_SETUP ARGS...]]: swtpm with state $TMP/NAME, manufactured with an
# EK certificate from CA (none without); sets PORT_<NAME>.
start_tpm() {
  local name="$1" ca="${2:-}"
  shift 2 2>/dev/null || shift $#
  mkdir -p "$TMP/$name"
  if [ -n "$ca" ]; then
    swtpm_setup --tpm2 --tpmstate "$TMP/$name" --create-ek-cert --create-platform-cert \
      --config "$TMP/$ca-ca/swtpm_setup.conf" "$@" >"$TMP/$name.setup" 2>&1 ||
      { echo "FAIL: swtpm_setup for $name"; cat "$TMP/$name.setup"; exit 1; }
  fi
  swtpm_start "$name"
  PIDS+=("$(cat "$TMP/$name.pid")")
  eval "PORT_$name=$SWTPM_PORT"
}
tcti() { echo "swtpm:host=127.0.0.1,port=$1"; }

make_ca a
make_ca b
start_tpm genuine a
start_tpm impostor b
start_tpm bare
start_tpm rsa3k a --rsa-keysize 3072
A="$TMP/a-ca"
B="$TMP/b-ca"
cat "$A/swtpm-localca-rootca-cert.pem" "$A/issuercert.pem" >"$TMP/roots-a.pem"
cat "$B/swtpm-localca-rootca-cert.pem" "$B/issuercert.pem" >"$TMP/roots-b.pem"
mkdir -p "$TMP/roots-a.d" "$TMP/empty.d"
cp "$A/swtpm-localca-rootca-cert.pem" "$TMP/roots-a.d/root.pem"
openssl x509 -in "$A/issuercert.pem" -outform DER -out "$TMP/roots-a.d/intermediate.der"
S="$TMP/seal-state"
printf 'model key 42' >"$TMP/secret"
G=$(tcti "$PORT_genuine")
export TPM2TOOLS_TCTI="$G"
# swtpm_setup's own EK certificates: RSA 2048 and ECC NIST P-384 (high range), no P-256.
tpm2_getcap handles-nv-index >"$TMP/nv-genuine"
grep -qix -- '- 0x1c00016' "$TMP/nv-genuine" && grep -qix -- '- 0x1c00002' "$TMP/nv-genuine" &&
  ! grep -qix -- '- 0x1c0000a' "$TMP/nv-genuine" && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: swtpm_setup did not make RSA and P-384 EK certificates only"; cat "$TMP/nv-genuine"; }
tpm2_nvread -Q -C o 0x01c00016 -o "$TMP/ek384-swtpm.der" 2>/dev/null &&
  tpm2_nvread -Q -C o 0x01c00002 -o "$TMP/ek-rsa-swtpm.der" 2>/dev/null ||
  { echo "FAIL: reading swtpm's EK certificates"; exit 1; }
seal() { # TCTI ROOTS(or -) OUT: veritee seal to that TPM
  local r=()
  [ "$2" = - ] || r=(--tpm-ek-roots "$2")
  VERITEE_TPM_TCTI="$1" "$VT" seal --platform tpm --key-id k1 --state "$S" "${r[@]}" --out "$3" "$TMP/secret"
}

# ---- refused: the TPM cannot prove itself genuine ----
expect 1 "roots of another CA: refused" -- seal "$G" "$TMP/roots-b.pem" "$TMP/x1"
contains "does not chain to the EK roots" "the refusal says the chain does not verify"
contains "ECC NIST P-384 EK certificate (NV 0x01c00016)" "the high-range P-384 certificate is the one checked"
expect 1 "the root without its intermediate: refused" -- seal "$G" "$A/swtpm-localca-rootca-cert.pem" "$TMP/x2"
contains "no path from the issuer" "the refusal names the missing link"
expect 1 "a TPM without an EK certificate: refused" -- seal "$(tcti "$PORT_bare")" "$TMP/roots-a.pem" "$TMP/x3"
contains "holds no EK certificate" "the refusal says there is no EK certificate"
# An SM2 EK certificate (H-5) alone: refused by name (its content is not read).
TPM2TOOLS_TCTI="$(tcti "$PORT_bare")" tpm2_nvdefine -Q 0x01c0001a -C o -s 16 -a "ownerread|ownerwrite|authread|authwrite|no_da" ||
  { echo "FAIL: defining NV 0x01c0001a"; exit 1; }
expect 1 "a TPM with an SM2 EK certificate only: refused" -- seal "$(tcti "$PORT_bare")" "$TMP/roots-a.pem" "$TMP/x3"
contains "NV 0x01c0001a) is ECC SM2 P-256 (template H-5): SM2 EKs are not supported" "the refusal names SM2"
expect 1 "another TPM, EK certificate from another CA: refused" -- \
  seal "$(tcti "$PORT_impostor")" "$TMP/roots-a.pem" "$TMP/x4"
contains "does not chain to the EK roots" "the refusal says the chain does not verify"
expect 2 "EK roots holding no root certificate: a usage error" -- seal "$G" "$TMP/empty.d" "$TMP/x5"
contains "no self-signed" "the error says what the roots lack"
[ ! -e "$TMP/x1" ] && [ ! -e "$TMP/x2" ] && [ ! -e "$TMP/x3" ] && [ ! -e "$TMP/x4" ] && [ ! -e "$S/seal-root-tpm.pin" ] &&
  passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: a refused TPM sealed or wrote a pin"; }

# The impersonator: shows the genuine TPM's EK certificate (NV reads and handle lists relayed to
# it) but makes every key and session itself.  Without roots it is sealed to, as before; with
# them its EK is not the certificate's.
wire_start splice "$(dirname "$0")/tpm_splice.py" "$PORT_genuine" "$PORT_impostor" 600
SPLICE=$WIRE_PORT
[ -n "$SPLICE" ] || { echo "FAIL: the impersonator did not start"; cat "$TMP/splice.out"; exit 1; }
PIDS+=("$WIRE_PID")
impersonator_refused() { # WHAT [PORT]: the impersonator (default $SPLICE) relaying a genuine TPM's NV as it is now
  rm -f "$TMP/x6"
  expect 1 "an impersonator showing the genuine $1 EK certificate: refused" -- \
    seal "$(tcti "${2:-$SPLICE}")" "$TMP/roots-a.pem" "$TMP/x6"
  contains "EK public key differs from its EK certificate" "the refusal says the EK is not the certificate's"
  [ ! -e "$TMP/x6" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: sealed to the impersonator"; }
}
impersonator_refused "P-384 (and RSA)"
S="$TMP/seal-state-splice"
expect 0 "without EK roots the impersonator is sealed to (the identity unchecked)" -- \
  seal "$(tcti "$SPLICE")" - "$TMP/x7"
contains "identity is not checked" "sealing without roots says the identity is not checked"
S="$TMP/seal-state"

# An ECC P-256 EK certificate is preferred when present; one for another key is refused
# (the P-384 and RSA ones are not tried instead).
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$TMP/other.key" -subj "/CN=csr" \
  -out "$TMP/ek.csr" 2>/dev/null
openssl pkey -in "$TMP/other.key" -pubout -out "$TMP/other.pub"
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,keyAgreement\n' >"$TMP/ek.ext"
issue_ek() { # PUBKEY OUT: an EK certificate for PUBKEY from CA a's intermediate
  openssl x509 -req -in "$TMP/ek.csr" -force_pubkey "$1" -CA "$A/issuercert.pem" -CAkey "$A/signkey.pem" \
    -set_serial "$RANDOM" -days 30 -extfile "$TMP/ek.ext" -outform DER -out "$2" 2>/dev/null
}
nv_put() { # INDEX FILE: NV INDEX (owner-defined here) holding FILE
  tpm2_nvundefine -Q "$1" -C o 2>/dev/null
  tpm2_nvdefine -Q "$1" -C o -s "$(stat -c %s "$2")" -a "ownerread|ownerwrite|authread|authwrite|no_da" &&
    tpm2_nvwrite -Q "$1" -C o -i "$2"
}
issue_ek "$TMP/other.pub" "$TMP/ek-other.der"
nv_put 0x01c0000a "$TMP/ek-other.der"
expect 1 "an ECC EK certificate for another key: refused" -- seal "$G" "$TMP/roots-a.pem" "$TMP/x8"
contains "EK public key differs from its EK certificate" "the refusal says the EK is not the certificate's"
tpm2_nvundefine -Q 0x01c0000a -C o

# ---- the genuine TPM: ECC P-384 EK (swtpm_setup's, preferred to its RSA one) ----
expect 0 "the genuine TPM seals (P-384 EK, intermediate in the bundle)" -- seal "$G" "$TMP/roots-a.pem" "$TMP/sealed"
lacks "identity is not checked" "no warning when the identity is checked"
VERITEE_TPM_TCTI="$G" expect 0 "and unseals (roots as a directory, intermediate DER)" -- \
  "$VT" unseal --platform tpm --key-id k1 --state "$S" --tpm-ek-roots "$TMP/roots-a.d" "$TMP/sealed"
contains "model key 42" "unsealed plaintext"
VERITEE_TPM_TCTI="$G" VERITEE_TPM_EK_ROOTS="$TMP/roots-a.pem" expect 0 "roots from VERITEE_TPM_EK_ROOTS" -- \
  "$VT" unseal --platform tpm --key-id k1 --state "$S" "$TMP/sealed"
contains "model key 42" "unsealed plaintext with the roots from the environment"
VERITEE_TPM_TCTI="$G" VERITEE_TPM_EK_ROOTS="$TMP/roots-b.pem" expect 1 "VERITEE_TPM_EK_ROOTS of another CA: refused" -- \
  "$VT" unseal --platform tpm --key-id k1 --state "$S" "$TMP/sealed"
lacks "model key 42" "no plaintext when the TPM is refused"
VERITEE_TPM_TCTI="$G" expect 0 "the same root without roots (the salt key changes nothing)" -- \
  "$VT" unseal --platform tpm --key-id k1 --state "$S" "$TMP/sealed"
contains "identity is not checked" "unsealing without roots says the identity is not checked"
contains "model key 42" "unsealed plaintext without roots"
# The intermediate from the TPM's EK chain index instead of the bundle.
openssl x509 -in "$A/issuercert.pem" -outform DER -out "$TMP/intermediate.der"
nv_put 0x01c00100 "$TMP/intermediate.der"
VERITEE_TPM_TCTI="$G" expect 0 "intermediate from NV 0x01c00100, only the root configured" -- \
  "$VT" unseal --platform tpm --key-id k1 --state "$S" --tpm-ek-roots "$A/swtpm-localca-rootca-cert.pem" "$TMP/sealed"
contains "model key 42" "unsealed plaintext, chain from NV"
tpm2_nvundefine -Q 0x01c00100 -C o

# A P-384 EK certificate for another key is refused while the RSA one is there (P-384 is
# preferred, and RSA is not tried instead).
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$TMP/other384.key" 2>/dev/null
openssl pkey -in "$TMP/other384.key" -pubout -out "$TMP/other384.pub"
issue_ek "$TMP/other384.pub" "$TMP/ek384-other.der"
tpm2_nvundefine -Q 0x01c00016 -C p
nv_put 0x01c00016 "$TMP/ek384-other.der"
expect 1 "a P-384 EK certificate for another key: refused" -- seal "$G" "$TMP/roots-a.pem" "$TMP/x9"
contains "EK public key differs from its EK certificate" "the refusal says the EK is not the certificate's"

# ---- revocation: the genuine P-384 EK certified by CA c, whose CAs may sign CRLs ----
C="$TMP/c-ca"
mkdir -p "$C/crls-ok" "$C/crls-bad"
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' >"$C/ca.ext"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$C/root.key" -subj "/CN=EK Test Root C" \
  -days 30 -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out "$C/root.pem" 2>/dev/null &&
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$C/int.key" -subj "/CN=EK Test CA C" \
    -out "$C/int.csr" 2>/dev/null &&
  openssl x509 -req -in "$C/int.csr" -CA "$C/root.pem" -CAkey "$C/root.key" -set_serial 2 -days 30 \
    -extfile "$C/ca.ext" -out "$C/int.pem" 2>/dev/null &&
  openssl x509 -inform DER -in "$TMP/ek384-swtpm.der" -pubkey -noout >"$C/ek384.pub" &&
  openssl x509 -req -in "$TMP/ek.csr" -force_pubkey "$C/ek384.pub" -CA "$C/int.pem" -CAkey "$C/int.key" \
    -set_serial 77 -days 30 -extfile "$TMP/ek.ext" -out "$C/ek384.pem" 2>/dev/null &&
  openssl x509 -in "$C/ek384.pem" -outform DER -out "$C/ek384.der" ||
  { echo "FAIL: making CA c"; exit 1; }
cat "$C/root.pem" "$C/int.pem" >"$TMP/roots-c.pem"
MKCRL="$(dirname "$0")/mkcrl.py"
crl() { python3 "$MKCRL" "$@" || { echo "FAIL: mkcrl.py $*"; exit 1; }; } # KEY ISSUER OUT DAYS [REVOKED...]
crl "$C/int.key" "$C/int.pem" "$C/crls-ok/int.crl" 30
crl "$C/root.key" "$C/root.pem" "$C/crls-ok/root.crl" 30
crl "$C/int.key" "$C/int.pem" "$C/int-revoked.crl" 30 "$C/ek384.pem"
crl "$C/root.key" "$C/root.pem" "$C/root-revoked.crl" 30 "$C/int.pem"
crl "$C/int.key" "$C/int.pem" "$C/int-expired.crl" -1
crl "$TMP/other.key" "$C/int.pem" "$C/int-forged.crl" 30
nv_put 0x01c00016 "$C/ek384.der"
crls() { # NAME FILES...: a directory $C/NAME holding FILES
  rm -rf "${C:?}/$1"; mkdir -p "$C/$1"; local d="$1"; shift; cp "$@" "$C/$d/"
}
seal_crls() { # CRLS OUT: seal to the genuine TPM with roots c and CRLS
  VERITEE_TPM_TCTI="$G" "$VT" seal --platform tpm --key-id k1 --state "$S" --tpm-ek-roots "$TMP/roots-c.pem" \
    --tpm-ek-crls "$1" --out "$2" "$TMP/secret"
}
crls revoked "$C/int-revoked.crl" "$C/crls-ok/root.crl"
expect 1 "the EK certificate revoked by its CA: refused" -- seal_crls "$C/revoked" "$TMP/c1"
contains "is revoked by CRL of CN=EK Test CA C" "the refusal says the EK certificate is revoked, and by whom"
contains "does not verify against the EK roots and CRLs" "the refusal says the CRLs were applied"
crls ca-revoked "$C/crls-ok/int.crl" "$C/root-revoked.crl"
expect 1 "the EK CA revoked by the root: refused" -- seal_crls "$C/ca-revoked" "$TMP/c2"
contains "certificate CN=EK Test CA C serial" "the refusal names the revoked CA"
contains "is revoked by CRL of CN=EK Test Root C" "the refusal names the CRL that revokes it"
crls expired "$C/int-expired.crl" "$C/crls-ok/root.crl"
expect 1 "an expired CRL: refused" -- seal_crls "$C/expired" "$TMP/c3"
contains "has expired (nextUpdate" "the refusal says the CRL has expired"
crls forged "$C/crls-ok/int.crl" "$C/crls-ok/root.crl" "$C/int-forged.crl"
expect 1 "a CRL in the CA's name that does not verify: refused" -- seal_crls "$C/forged" "$TMP/c4"
contains "has a bad signature" "the refusal says the CRL does not verify"
expect 1 "the root's CRL missing: refused" -- seal_crls "$C/crls-ok/int.crl" "$TMP/c5"
contains "no CRL of CN=EK Test Root C" "the refusal names the issuer whose CRL is missing"
expect 2 "a CRL file that holds no CRL: a usage error" -- seal_crls "$C/int.pem" "$TMP/c6"
contains "EK CRL file" "the error names the CRL file"
VERITEE_TPM_TCTI="$G" expect 2 "--tpm-ek-crls without roots: a usage error" -- \
  "$VT" seal --platform tpm --key-id k1 --state "$S" --tpm-ek-crls "$C/crls-ok" --out "$TMP/c7" "$TMP/secret"
contains "needs --tpm-ek-roots" "the error says CRLs need roots"
[ ! -e "$TMP/c1" ] && [ ! -e "$TMP/c2" ] && [ ! -e "$TMP/c3" ] && [ ! -e "$TMP/c4" ] && [ ! -e "$TMP/c5" ] &&
  [ ! -e "$TMP/c6" ] && [ ! -e "$TMP/c7" ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: a refused revocation check sealed"; }
expect 0 "neither revoked: seals (CRLs as DER files in a directory)" -- seal_crls "$C/crls-ok" "$TMP/sealed-crl"
for f in int root; do openssl crl -inform DER -in "$C/crls-ok/$f.crl" -outform PEM; done >"$C/bundle.pem"
VERITEE_TPM_TCTI="$G" expect 0 "and unseals (CRLs as a PEM bundle)" -- \
  "$VT" unseal --platform tpm --key-id k1 --state "$S" --tpm-ek-roots "$TMP/roots-c.pem" --tpm-ek-crls "$C/bundle.pem" \
  "$TMP/sealed-crl"
contains "model key 42" "unsealed plaintext with revocation checked"
VERITEE_TPM_TCTI="$G" VERITEE_TPM_EK_CRLS="$C/revoked" expect 1 "VERITEE_TPM_EK_CRLS revoking the EK: refused" -- \
  "$VT" unseal --platform tpm --key-id k1 --state "$S" --tpm-ek-roots "$TMP/roots-c.pem" "$TMP/sealed-crl"
contains "is revoked by CRL of" "the CRLs from the environment are applied"
lacks "model key 42" "no plaintext when the EK is revoked"
nv_put 0x01c00016 "$TMP/ek384-swtpm.der"

# ---- the genuine TPM with its high-range P-384 EK certificate alone ----
tpm2_nvundefine -Q 0x01c00002 -C p
VERITEE_TPM_TCTI="$G" expect 0 "the P-384 EK alone: unseals" -- \
  "$VT" unseal --platform tpm --key-id k1 --state "$S" --tpm-ek-roots "$TMP/roots-a.pem" "$TMP/sealed"
contains "model key 42" "unsealed plaintext through the P-384 EK alone"
expect 0 "the P-384 EK alone: seals" -- seal "$G" "$TMP/roots-a.pem" "$TMP/sealed384"
VERITEE_TPM_TCTI="$G" expect 0 "and unseals what it sealed" -- \
  "$VT" unseal --platform tpm --key-id k1 --state "$S" --tpm-ek-roots "$TMP/roots-a.d" "$TMP/sealed384"
contains "model key 42" "unsealed plaintext sealed through the P-384 EK"
impersonator_refused "P-384 (alone)"

# ---- the genuine TPM with its RSA 2048 EK certificate alone ----
tpm2_nvundefine -Q 0x01c00016 -C o
nv_put 0x01c00002 "$TMP/ek-rsa-swtpm.der"
VERITEE_TPM_TCTI="$G" expect 0 "the RSA EK alone: unseals" -- \
  "$VT" unseal --platform tpm --key-id k1 --state "$S" --tpm-ek-roots "$TMP/roots-a.pem" "$TMP/sealed384"
contains "model key 42" "unsealed plaintext through the RSA EK"
impersonator_refused "RSA (alone)"

# ---- the genuine TPM: an ECC P-521 EK certificate for its own H-4 EK (preferred to RSA) ----
python3 -c "import sys; open(sys.argv[1], 'wb').write(bytes.fromhex(sys.argv[2]))" "$TMP/policy-b-sha512.bin" \
  b8221ca69e8550a4914de3faa6a18c072cc01208073a928d5d66d59ef79e49a429c41a6b269571d57edb25fbdb1838425608b413cd616a5f6db5b6071af99bea
tpm2_createprimary -Q -C e -g sha512 -G ecc521:null:aes256cfb -L "$TMP/policy-b-sha512.bin" \
  -a "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|adminwithpolicy|restricted|decrypt" \
  -c "$TMP/ek521.ctx" -o "$TMP/ek521.pem" -f pem && tpm2_flushcontext -t ||
  { echo "FAIL: making the P-521 EK with tpm2_createprimary"; exit 1; }
issue_ek "$TMP/ek521.pem" "$TMP/ek521.der"
nv_put 0x01c00018 "$TMP/ek521.der"
VERITEE_TPM_TCTI="$G" expect 0 "the genuine TPM's ECC P-521 EK: unseals" -- \
  "$VT" unseal --platform tpm --key-id k1 --state "$S" --tpm-ek-roots "$TMP/roots-a.pem" "$TMP/sealed"
contains "model key 42" "unsealed plaintext through the P-521 EK"
expect 0 "the P-521 EK: seals" -- seal "$G" "$TMP/roots-a.pem" "$TMP/sealed521"
impersonator_refused "P-521"
# A P-521 certificate for another key: refused (RSA is not tried instead).
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out "$TMP/other521.key" 2>/dev/null
openssl pkey -in "$TMP/other521.key" -pubout -out "$TMP/other521.pub"
issue_ek "$TMP/other521.pub" "$TMP/ek521-other.der"
nv_put 0x01c00018 "$TMP/ek521-other.der"
expect 1 "a P-521 EK certificate for another key: refused" -- seal "$G" "$TMP/roots-a.pem" "$TMP/x10"
contains "EK public key differs from its EK certificate" "the refusal says the EK is not the certificate's"
tpm2_nvundefine -Q 0x01c00018 -C o

# ---- the genuine TPM: an ECC P-256 EK certificate for its own L-2 EK ----
tpm2_createek -Q -c "$TMP/ek.ctx" -G ecc -u "$TMP/ek-ecc.pem" -f pem && tpm2_flushcontext -t
issue_ek "$TMP/ek-ecc.pem" "$TMP/ek-ecc.der"
nv_put 0x01c0000a "$TMP/ek-ecc.der"
VERITEE_TPM_TCTI="$G" expect 0 "the genuine TPM's ECC P-256 EK: unseals" -- \
  "$VT" unseal --platform tpm --key-id k1 --state "$S" --tpm-ek-roots "$TMP/roots-a.pem" "$TMP/sealed"
contains "model key 42" "unsealed plaintext through the ECC EK"
VERITEE_TPM_TCTI="$G" expect 0 "what the P-521 EK sealed unseals through the P-256 EK" -- \
  "$VT" unseal --platform tpm --key-id k1 --state "$S" --tpm-ek-roots "$TMP/roots-a.pem" "$TMP/sealed521"
contains "model key 42" "unsealed plaintext sealed through the P-521 EK"

# ---- a TPM manufactured with RSA 3072 (H-6) and P-384 EKs: the RSA 3072 EK alone ----
R3=$(tcti "$PORT_rsa3k")
TPM2TOOLS_TCTI="$R3" tpm2_getcap handles-nv-index >"$TMP/nv-rsa3k"
grep -qix -- '- 0x1c0001c' "$TMP/nv-rsa3k" && ! grep -qix -- '- 0x1c00002' "$TMP/nv-rsa3k" &&
  passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: swtpm_setup --rsa-keysize 3072 did not make an RSA 3072 EK certificate"; cat "$TMP/nv-rsa3k"; }
TPM2TOOLS_TCTI="$R3" tpm2_nvundefine -Q 0x01c00016 -C p
S="$TMP/seal-state-rsa3k"
expect 0 "the RSA 3072 EK alone: seals" -- seal "$R3" "$TMP/roots-a.pem" "$TMP/sealed3072"
VERITEE_TPM_TCTI="$R3" expect 0 "and unseals" -- \
  "$VT" unseal --platform tpm --key-id k1 --state "$S" --tpm-ek-roots "$TMP/roots-a.d" "$TMP/sealed3072"
contains "model key 42" "unsealed plaintext through the RSA 3072 EK"
expect 1 "the RSA 3072 TPM under another CA's roots: refused" -- seal "$R3" "$TMP/roots-b.pem" "$TMP/x11"
contains "RSA 3072 EK certificate (NV 0x01c0001c) does not chain" "the refusal names the RSA 3072 certificate"
wire_start splice3k "$(dirname "$0")/tpm_splice.py" "$PORT_rsa3k" "$PORT_impostor" 600
[ -n "$WIRE_PORT" ] || { echo "FAIL: the second impersonator did not start"; cat "$TMP/splice3k.out"; exit 1; }
PIDS+=("$WIRE_PID")
impersonator_refused "RSA 3072 (alone)" "$WIRE_PORT"
# The endorsement hierarchy's auth set: the EK cannot be made, so nothing is sealed, and the
# failure does not count toward the TPM's dictionary-attack lockout.
TPM2TOOLS_TCTI="$R3" tpm2_changeauth -c e endorsement-secret || { echo "FAIL: tpm2_changeauth -c e"; exit 1; }
for i in 1 2 3 4; do
  expect 2 "endorsement auth set, attempt $i: refused" -- seal "$R3" "$TMP/roots-a.pem" "$TMP/x12"
done
contains "endorsement hierarchy, whose auth must be empty" "the refusal says the endorsement auth must be empty"
TPM2TOOLS_TCTI="$R3" tpm2_getcap properties-variable >"$TMP/out" 2>&1
contains "TPM2_PT_LOCKOUT_COUNTER: 0x0" "no dictionary-attack failure counted"
[ ! -e "$TMP/x12" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: sealed without the EK"; }

finish
