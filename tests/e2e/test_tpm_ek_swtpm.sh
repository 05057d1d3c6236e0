#!/usr/bin/env bash
# TPM sealing with the TPM's identity checked (veritee seal/unseal --tpm-ek-roots,
# docs/formats/tpm.md "The TPM's identity"), against software TPMs (swtpm on 127.0.0.1,
# throwaway state).  Each TPM is manufactured by swtpm_setup with EK certificates from a
# local CA made in this test's directory (swtpm_localca with its own configuration: nothing
# system-wide is touched): RSA 2048 at 0x01c00002 and ECC NIST P-384 at 0x01c00016 (the
# TCG high range, template H-3).  Refused first: roots without the TPM's CA, a chain missing
# its intermediate, a TPM without an EK certificate, another TPM whose EK certificate comes
# from another CA, an impersonator that shows the genuine TPM's EK certificates but answers
# with its own keys (tpm_splice.py; with the P-384, the P-384 alone and the RSA alone), and
# ECC P-256 and P-384 EK certificates for another key.  Then the genuine TPM seals and
# unseals with its P-384 EK (preferred to RSA), the intermediate taken from the bundle, a
# directory or NV 0x01c00100; with the P-384 EK alone; with the RSA EK alone; and with an
# ECC P-256 EK certificate at 0x01c0000a.
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

# start_tpm NAME [CA]: swtpm with state $TMP/NAME, manufactured with an EK certificate from CA
# (none without); sets PORT_<NAME>.
start_tpm() {
  local name="$1" ca="${2:-}"
  mkdir -p "$TMP/$name"
  if [ -n "$ca" ]; then
    swtpm_setup --tpm2 --tpmstate "$TMP/$name" --create-ek-cert --create-platform-cert \
      --config "$TMP/$ca-ca/swtpm_setup.conf" >"$TMP/$name.setup" 2>&1 ||
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
impersonator_refused() { # WHAT: the impersonator relaying the genuine TPM's NV as it is now
  rm -f "$TMP/x6"
  expect 1 "an impersonator showing the genuine $1 EK certificate: refused" -- \
    seal "$(tcti "$SPLICE")" "$TMP/roots-a.pem" "$TMP/x6"
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

# ---- the genuine TPM: an ECC P-256 EK certificate for its own L-2 EK ----
tpm2_createek -Q -c "$TMP/ek.ctx" -G ecc -u "$TMP/ek-ecc.pem" -f pem && tpm2_flushcontext -t
issue_ek "$TMP/ek-ecc.pem" "$TMP/ek-ecc.der"
nv_put 0x01c0000a "$TMP/ek-ecc.der"
VERITEE_TPM_TCTI="$G" expect 0 "the genuine TPM's ECC P-256 EK: unseals" -- \
  "$VT" unseal --platform tpm --key-id k1 --state "$S" --tpm-ek-roots "$TMP/roots-a.pem" "$TMP/sealed"
contains "model key 42" "unsealed plaintext through the ECC EK"

finish
