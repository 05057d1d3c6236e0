#!/usr/bin/env bash
# The gateway boots, measures and is verified on every simulated platform besides
# TDX (test_gateway_boot.sh): SEV-SNP (no register: the log is bound into
# REPORT_DATA), Nitro (PCR 16 of a simulated NSM, locked after boot) and TPM
# (PCR 23 of swtpm, `veritee sim tpm start`) and an Azure SEV-SNP confidential VM (PCR 23
# of its vTPM, a swtpm from `veritee sim tpm start --azure` whose HCL report binds the AK:
# platform tpm, AK trusted through the SNP report, not pinned).  Per platform: a contraindicated
# environment is refused at boot; then the gateway serves under an affirming
# passport, the verifier keeps its receipts, its evidence verifies with its log,
# `veritee chat` passes every check; a log that is not the one measured is
# refused, and so is the evidence once the register moved behind the log's back.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gateway_lib.sh"
command -v curl >/dev/null && command -v jq >/dev/null || { echo "skipped: needs curl and jq"; exit 77; }
export VERITEE_STATE="$TMP/state"
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

start_sim_verifier
start_echo echo
mkdir -p "$TMP/models"
head -c 100000 /dev/urandom >"$TMP/models/model.bin"
MD=$("$VT" measure --json "$TMP/models/model.bin" | jq -r .root)

# image_registers P: the simulated image's registers, pinned as a deployment pins its own
image_registers() {
  case "$1" in
    sevsnp) "$VT" sim sevsnp --out "$TMP/img-$1" --state "$TMP/img-state" >/dev/null 2>&1 &&
      "$VT" inspect "$TMP/img-$1/report.bin" | jq -r '[.. | objects | select(has("measurement"))][0] | "--register\nmeasurement=\(.measurement)"' ;;
    nitro) "$VT" sim nitro --out "$TMP/img-$1" --state "$TMP/img-state" >/dev/null 2>&1 &&
      "$VT" inspect "$TMP/img-$1/attestation.cbor" | jq -r '"--register\npcr0=\(.payload.pcrs["0"])"' ;;
    tpm) # the boot chain: firmware (PCR 0), boot loader and kernel (4), command line (8), initrd (9)
      tpm2_pcrread sha256:0,4,8,9 | sed -n 's/^ *\([0-9]*\) *: *0x\([0-9A-Fa-f]*\).*/--register\npcr\1=\2/p' | tr A-F a-f ;;
    azure) # the CVM's launch measurement, from the HCL report's SNP report (the simulator's image),
      # and its vTPM's boot chain
      image_registers sevsnp | sed 's/^measurement=/snp_measurement=/'; image_registers tpm ;;
  esac
}
# env_for NAME LOG-FILE [MODEL] [flags...]: an environment for the boot log
env_for() {
  local name="$1" log="$2" model="${3:-$MD}"; shift 3
  local args=(--verifier "$V" --admin-token-file "$TMP/admin-token" --allow-simulated --min-tcb any --model "$model")
  for c in auditor runtime config; do
    while read -r d; do args+=("--$c" "$d"); done < <(jq -r --arg c "$c" '.events[]|select(.component==$c)|.digest' "$log")
  done
  "$VT" env create "$name" "${args[@]}" "$@" >/dev/null
}
receipt_ok() { # TOKEN DESCRIPTION
  local code
  code=$(curl -s -o "$TMP/r.json" -w '%{http_code}' -X POST -d "{\"token\":\"$1\"}" "$V/v1/receipts")
  [ "$code" = 201 ] && ok || bad "$2: receipt refused: $code $(cat "$TMP/r.json")"
}
# attest_check P WHAT: GET /v1/attestation, verify the evidence with the gateway's log (exit 0)
attest_fetch() {
  N=00112233445566778899aabbccddeeff
  curl -s "http://$GW/v1/attestation?nonce=$N" >"$TMP/att.json"
  jq -r .evidence "$TMP/att.json" | base64 -d >"$TMP/ev.bin"
  jq .log "$TMP/att.json" >"$TMP/attlog.json"
  X=$(jq -r .enclave_key.x "$TMP/att.json" | tr '_-' '/+'); Y=$(jq -r .enclave_key.y "$TMP/att.json" | tr '_-' '/+')
  PUB=$( (echo "$X=" | base64 -d 2>/dev/null; echo "$Y=" | base64 -d 2>/dev/null) | od -An -tx1 | tr -d ' \n')
  rm -rf "$TMP/coll"; COLL=()
  jq -r '.collateral // {} | to_entries[] | "\(.key) \(.value)"' "$TMP/att.json" | while read -r n b; do
    mkdir -p "$TMP/coll"; echo "$b" | base64 -d >"$TMP/coll/$n"; done
  [ -d "$TMP/coll" ] && COLL=(--collateral "$TMP/coll")
}
verify_att() { # EXIT WHAT LOG
  expect "$1" "$2" -- "$VT" verify --json "$TMP/ev.bin" --nonce "$N" --pubkey "$PUB" --log "$3" --trust-sim \
    --state "$VERITEE_STATE" "${COLL[@]}"
}

POLICY=() # more env create flags for the platform run next
TPM_STARTED= AZ_STARTED=
stop_tpm() { [ -n "$TPM_STARTED" ] && "$VT" sim tpm stop --state "$TMP/tpm" >/dev/null 2>&1; TPM_STARTED=; }
stop_az() { [ -n "$AZ_STARTED" ] && "$VT" sim tpm stop --state "$VERITEE_STATE" >/dev/null 2>&1; AZ_STARTED=; }
trap 'stop_tpm; stop_az; cleanup' EXIT
# start_swtpm DIR [flags]: `veritee sim tpm start` on a free port; exports VERITEE_TPM_TCTI (and HW_CERTS)
start_swtpm() {
  local dir="$1"; shift
  for _ in 1 2 3 4 5; do
    PORT=$((20000 + RANDOM % 12000))
    "$VT" sim tpm start --state "$dir" --port "$PORT" "$@" >"$TMP/tpm.out" 2>"$TMP/tpm.err" || continue
    export VERITEE_TPM_TCTI VERITEE_TPM_HW_CERTS TPM2TOOLS_TCTI
    VERITEE_TPM_TCTI=$(sed -n 's/^VERITEE_TPM_TCTI=//p' "$TMP/tpm.out")
    VERITEE_TPM_HW_CERTS=$(sed -n 's/^VERITEE_TPM_HW_CERTS=//p' "$TMP/tpm.out")
    TPM2TOOLS_TCTI=$VERITEE_TPM_TCTI
    return 0
  done
  return 1
}

run_platform() { # NAME [PLATFORM]: PLATFORM (default NAME) is the gateway's --platform
  local p="$1" gp="${2:-$1}" cfg="$TMP/g-$1.json"
  jq -n --arg u "http://$ECHO" --arg v "$V" --arg e "gw-$p" --arg m "$TMP/models/model.bin" \
    '{upstream:$u, verifier:$v, environment:$e, models:[$m], model_check_ms:0,
      auditors:[{name:"pii",actions:{email:"redact",ssn:"block"}},{name:"execution"}]}' >"$cfg"
  # The boot log, without touching the register, and the environments that pin it.
  "$VT" gateway --config "$cfg" --measure-only --platform "$gp" --simulate >"$TMP/log-$p.json" 2>"$TMP/m-$p.err" &&
    [ "$(jq -r '.events[0].digest' "$TMP/log-$p.json")" = "$MD" ] && ok || bad "$p: measure-only: $(cat "$TMP/m-$p.err")"
  mapfile -t image < <(image_registers "$p")
  image+=("${POLICY[@]}")
  env_for "gw-$p" "$TMP/log-$p.json" "$MD" "${image[@]}" && ok || bad "$p: env create"
  env_for "wrong-$p" "$TMP/log-$p.json" "$(printf 'c%.0s' $(seq 64))" "${image[@]}" && ok || bad "$p: env create wrong"

  # Failure first: a model the environment does not list: contraindicated, no serving.
  jq --arg e "wrong-$p" '.environment=$e' "$cfg" >"$TMP/wrong-$p.json"
  expect 1 "$p: refuses to serve with a contraindicated passport" -- \
    "$VT" gateway --config "$TMP/wrong-$p.json" --listen 127.0.0.1:0 --platform "$gp" --simulate
  contains "contraindicated" "$p: the refusal names the verdict"

  start_gateway "gw$p" "$cfg" --platform "$gp" --simulate --model-check-ms 0
  grep -q "\"passport\".*affirming ($gp evidence" "$TMP/gw$p.err" && ok || bad "$p: no affirming passport: $(tail -3 "$TMP/gw$p.err")"
  curl -s -D "$TMP/h" -o "$TMP/b" "http://$GW/v1/chat/completions" -H 'Content-Type: application/json' \
    -d '{"model":"echo","messages":[{"role":"user","content":"mail bob@example.com"}]}'
  grep -q '^HTTP/1.1 200' "$TMP/h" && ok || bad "$p: chat: $(head -1 "$TMP/h")"
  grep -q 'bob@example.com' "$TMP/b" && bad "$p: e-mail reached the upstream" || ok
  R=$(tr -d '\r' <"$TMP/h" | sed -n 's/^[Vv]eritee-[Rr]eceipt: //p')
  receipt_ok "$R" "$p"

  attest_fetch
  [ "$(jq -r .platform "$TMP/att.json")" = "$gp" ] && ok || bad "$p: attestation names platform $(jq -r .platform "$TMP/att.json")"
  verify_att 0 "$p: the evidence verifies with the gateway's log" "$TMP/attlog.json"
  contains '"valid": true' "$p: valid with the log"
  # A log with one more event than was measured: refused.
  jq '.events += [.events[0] | .name="late"]' "$TMP/attlog.json" >"$TMP/late.json"
  verify_att 1 "$p: a log that is not the measured one is refused" "$TMP/late.json"
  if [ "$p" = sevsnp ]; then contains '"report_data"' "$p: the refusal names report_data (the log binding)"
  else contains '"measurement_log"' "$p: the refusal names the measurement log"; fi

  expect 0 "$p: veritee chat passes every gateway check" -- \
    "$VT" chat --gateway "http://$GW" --verifier "$V" --environment "gw-$p" --trust-sim "hello"
  contains "ok   evidence" "$p: chat's evidence check"
  contains "ok   passport" "$p: chat's passport check"

  # The register moves behind the log's back: the evidence no longer matches the log.
  case "$p" in
    nitro) # another value in the simulated NSM's locked PCR 16
      python3 -c "import sys;b=bytearray(open(sys.argv[1],'rb').read());b[12]^=1;open(sys.argv[1],'wb').write(b)" \
        "$VERITEE_STATE/sim/nitro_nsm" ;;
    tpm|azure) "$VT" sim tpm --extend "$(printf '%064x' 7)" >/dev/null ;;
  esac
  if [ "$p" != sevsnp ]; then
    attest_fetch
    verify_att 1 "$p: a register that moved after boot is refused" "$TMP/attlog.json"
    contains '"measurement_log"' "$p: the refusal names the measurement log"
    expect 1 "$p: veritee chat refuses the gateway" -- \
      "$VT" chat --gateway "http://$GW" --verifier "$V" --environment "gw-$p" --trust-sim "hello"
  fi
  kill -TERM "$GW_PID"; wait "$GW_PID" 2>/dev/null
}

run_platform sevsnp
run_platform nitro
# A Nitro NSM cannot be extended once locked: a second boot of the same enclave would need
# a new enclave (the simulated NSM is reset at boot, as a new enclave starts zeroed).

jq '.environment="gw-tpm"' "$TMP/g-nitro.json" >"$TMP/g-notcti.json"
expect 2 "tpm: --simulate without VERITEE_TPM_TCTI is refused (not the machine's TPM)" -- \
  env -u VERITEE_TPM_TCTI -u TPM2TOOLS_TCTI "$VT" gateway --config "$TMP/g-notcti.json" --listen 127.0.0.1:0 --platform tpm --simulate
contains "VERITEE_TPM_TCTI" "tpm: the refusal names the variable"

if command -v swtpm >/dev/null 2>&1; then
  start_swtpm "$TMP/tpm" && TPM_STARTED=1
  if [ -n "$TPM_STARTED" ]; then
    # The swtpm's AK is trusted with --trust-sim from the state it was recorded in.
    cp "$TMP/tpm/sim/tpm_ak_sha256" "$VERITEE_STATE/sim/tpm_ak_sha256"
    run_platform tpm
    # The AK is no longer the recorded one: the passport is refused.
    printf '%064x\n' 1 >"$VERITEE_STATE/sim/tpm_ak_sha256"
    expect 1 "tpm: an AK nobody pinned is refused" -- \
      "$VT" gateway --config "$TMP/g-tpm.json" --listen 127.0.0.1:0 --platform tpm --simulate
    contains "attestation key is not trusted" "tpm: the refusal names the AK"
    stop_tpm
  else
    bad "tpm: veritee sim tpm start failed: $(cat "$TMP/tpm.err")"
  fi
else
  echo "note: swtpm not installed: the TPM platform is not run (scripts/install-deps)"
fi

# ---- Azure SEV-SNP CVM: the swtpm is its vTPM; NV 0x01400001 holds the HCL report ----
HCL=0x01400001
# nv_put FILE: the HCL report index holds FILE (as the paravisor would have written it)
nv_put() {
  tpm2_nvundefine -C o "$HCL" >/dev/null 2>&1
  tpm2_nvdefine -C o -s "$(stat -c %s "$1")" -a "ownerread|ownerwrite|no_da" "$HCL" >/dev/null &&
    tpm2_nvwrite -C o -i "$1" "$HCL"
}
# az_verify EXIT WHAT: evidence collected from the vTPM now, verified with the verifier's state
az_verify() {
  "$VT" attest --platform tpm --nonce 0a0b --out "$TMP/az-ev.bin" >/dev/null 2>&1
  expect "$1" "$2" -- "$VT" verify --json "$TMP/az-ev.bin" --nonce 0a0b --trust-sim --state "$VERITEE_STATE"
}
if command -v swtpm >/dev/null 2>&1 && command -v tpm2_nvwrite >/dev/null 2>&1; then
  # No pin for any AK: the vTPM's AK is trusted through the HCL report, or not at all.
  rm -f "$VERITEE_STATE/sim/tpm_ak_sha256"
  # Another CVM's vTPM under the same simulation root: its HCL report names its own AK.
  mkdir -p "$TMP/az2"; cp -rp "$VERITEE_STATE/sim" "$TMP/az2/"
  start_swtpm "$TMP/az2" --azure && tpm2_nvread -C o "$HCL" -o "$TMP/hcl-foreign.bin" >/dev/null 2>&1 &&
    cp "$VERITEE_TPM_HW_CERTS" "$TMP/foreign-certs.pem" && ok || bad "azure: the other vTPM: $(cat "$TMP/tpm.err")"
  "$VT" sim tpm stop --state "$TMP/az2" >/dev/null 2>&1
  unset VERITEE_TPM_TCTI VERITEE_TPM_HW_CERTS TPM2TOOLS_TCTI
  start_swtpm "$VERITEE_STATE" --azure && AZ_STARTED=1
  if [ -n "$AZ_STARTED" ]; then
    [ -s "$VERITEE_TPM_HW_CERTS" ] && ok || bad "azure: sim tpm start --azure printed no VERITEE_TPM_HW_CERTS"
    tpm2_nvread -C o "$HCL" -o "$TMP/hcl-good.bin" >/dev/null 2>&1 && ok || bad "azure: no HCL report at $HCL"
    cp "$VERITEE_TPM_HW_CERTS" "$TMP/good-certs.pem"
    # Failure first.  The other vTPM's HCL report (with its own VCEK and ASK): the runtime data
    # names another AK than the one this vTPM quotes with.
    cp "$TMP/foreign-certs.pem" "$VERITEE_TPM_HW_CERTS"
    nv_put "$TMP/hcl-foreign.bin" && ok || bad "azure: cannot write the foreign HCL report"
    az_verify 1 "azure: an HCL report naming another AK is refused"
    contains "HCL runtime data holds another key" "azure: the refusal names the HCL's AK"
    cp "$TMP/good-certs.pem" "$VERITEE_TPM_HW_CERTS"
    # A flipped byte in the SNP report (MEASUREMENT, HCL 0x20 + 0x90): its VCEK signature fails.
    python3 -c "import sys;b=bytearray(open(sys.argv[1],'rb').read());b[0x20+0x90]^=1;open(sys.argv[2],'wb').write(b)" \
      "$TMP/hcl-good.bin" "$TMP/hcl-flip.bin"
    nv_put "$TMP/hcl-flip.bin" && ok || bad "azure: cannot write the flipped HCL report"
    az_verify 1 "azure: an HCL report with a flipped SNP report byte is refused"
    contains '"hcl_report"' "azure: the refusal names the HCL report"
    # The same vTPM with the report it was provisioned with: accepted, the AK bound by the SNP report.
    nv_put "$TMP/hcl-good.bin" && ok || bad "azure: cannot restore the HCL report"
    az_verify 0 "azure: the provisioned HCL report verifies"
    contains '"chain_valid": true' "azure: the AK is trusted (through the HCL report: nothing is pinned)"
    contains '"snp_measurement"' "azure: the SNP report's measurement is a claim"
    contains '"hardware_attested": false' "azure: simulated, so never hardware attested"

    # The environment's SEV-SNP minimum TCB judges the HCL report's REPORTED_TCB (it was Unknown,
    # so an Azure CVM passed only under --min-tcb any, which judges no TCB at all).
    snp_min() { printf -- '--sevsnp-min-tcb\n%s:bootloader=%s,tee=%s,snp=%s,microcode=%s\n' milan "$1" "$1" "$1" "$1" \
      genoa "$1" "$1" "$1" "$1"; printf -- '--sevsnp-min-tcb\nturin:fmc=%s,bootloader=%s,tee=%s,snp=%s,microcode=%s\n' \
      "$1" "$1" "$1" "$1" "$1"; }
    mapfile -t POLICY < <(printf -- '--min-tcb\nUpToDate\n'; snp_min 0)
    run_platform azure tpm
    jq '.environment="high-azure"' "$TMP/g-azure.json" >"$TMP/g-high-azure.json"
    "$VT" gateway --config "$TMP/g-high-azure.json" --measure-only --platform tpm --simulate >"$TMP/log-high-azure.json" &&
      ok || bad "azure: measure-only (high TCB)"
    mapfile -t image < <(image_registers azure; printf -- '--min-tcb\nUpToDate\n'; snp_min 255)
    env_for "high-azure" "$TMP/log-high-azure.json" "$MD" "${image[@]}" && ok || bad "azure: env create (high TCB)"
    expect 1 "azure: a REPORTED_TCB below the environment's minimum is refused" -- \
      timeout 60 "$VT" gateway --config "$TMP/g-high-azure.json" --listen 127.0.0.1:0 --platform tpm --simulate
    contains "tcb_status OutOfDate is below UpToDate" "azure: the refusal names the TCB status"
    POLICY=()
    # The same gateway booting on a vTPM whose HCL report names another AK: no passport.
    cp "$TMP/foreign-certs.pem" "$VERITEE_TPM_HW_CERTS"
    nv_put "$TMP/hcl-foreign.bin"
    expect 1 "azure: the gateway is refused a passport when the HCL report names another AK" -- \
      timeout 60 "$VT" gateway --config "$TMP/g-azure.json" --listen 127.0.0.1:0 --platform tpm --simulate
    contains "another key" "azure: the gateway's refusal names the AK"
    stop_az
  else
    bad "azure: veritee sim tpm start --azure failed: $(cat "$TMP/tpm.err")"
  fi
else
  echo "note: swtpm or tpm2-tools not installed: the Azure CVM platform is not run (scripts/install-deps)"
fi
finish
