#!/usr/bin/env bash
# make demo: the main job end to end on embedded defaults, no hardware needed.
#
# A verifier (SQLite, temp state), a model server stand-in that echoes what it
# receives, and the veritee gateway booting under the TDX simulator: it
# measures the model, auditors, runtime and config, gets an AI Passport, and
# serves.  `veritee chat` checks the gateway before it sends a prompt holding
# an e-mail address and a card number, then checks the signed receipt.  The
# echo shows what the model saw: placeholders.  Afterwards, a short tour of
# the evidence itself (a simulated TDX quote, a replay, a flipped bit).
set -euo pipefail
VT="${VERITEE_BIN:-build/veritee}"
ECHO_BIN="${VERITEE_ECHO_BIN:-$(dirname "$VT")/veritee-echo-upstream}"
work="$(mktemp -d /tmp/veritee-demo-XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export VERITEE_STATE="$work/state"
unset VERITEE_VERIFIER VERITEE_ADMIN_TOKEN

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# own_state NAME: a state directory for one more gateway.  Each gateway keeps its own (its
# receipt queue is its alone); they share the simulated TEE's CA in $VERITEE_STATE/sim, which
# the verifier (--trust-sim) trusts.
own_state() {
  mkdir -p -m 700 "$VERITEE_STATE/sim" "$work/state-$1"
  ln -sfn "$VERITEE_STATE/sim" "$work/state-$1/sim"
  echo "$work/state-$1"
}
indent() { sed 's/^/  /'; }
# wait_for FILE PATTERN: prints the first match of PATTERN in FILE (5 s, or WAIT_STEPS/20 s)
wait_for() {
  for _ in $(seq 1 "${WAIT_STEPS:-100}"); do
    m=$(grep -o "$2" "$1" 2>/dev/null | head -1) || true
    [ -n "$m" ] && { echo "$m"; return 0; }
    sleep 0.05
  done
  echo "demo: timed out waiting for $1" >&2; cat "$1" "$1.err" 2>/dev/null >&2; return 1
}

say "1. A verifier (SQLite in a temp dir; --trust-sim: accepts the local TDX simulator, never as hardware)"
openssl rand -hex 24 >"$work/admin-token"
chmod 600 "$work/admin-token"
"$VT" verifier --listen 127.0.0.1:0 --offline --admin-token-file "$work/admin-token" --trust-sim --quiet \
  >"$work/verifier.out" 2>"$work/verifier.out.err" &
pids+=($!)
V="http://$(wait_for "$work/verifier.out" '127\.0\.0\.1:[0-9]*')"
echo "verifier  $V"

say "2. A model server: veritee-echo-upstream, a test stand-in that answers with what it received"
"$ECHO_BIN" --listen 127.0.0.1:0 >"$work/echo.out" 2>"$work/echo.out.err" &
pids+=($!)
UP="http://$(wait_for "$work/echo.out" '127\.0\.0\.1:[0-9]*')"
echo "upstream  $UP   (llama.cpp: llama-server --port 8080 -> http://127.0.0.1:8080; vLLM -> http://127.0.0.1:8000)"

say "3. The deployment: a model file, the gateway's config, and the environment's reference values"
mkdir -p "$work/model"
printf 'GGUF demo weights: not a real model\n' >"$work/model/demo.gguf"
head -c 65536 /dev/zero >>"$work/model/demo.gguf"
cat >"$work/gateway.json" <<EOF
{
  "upstream": "$UP",
  "verifier": "$V",
  "environment": "demo",
  "models": ["$work/model"],
  "auditors": [
    {"name": "pii", "phases": ["request", "response"], "actions": {"email": "redact", "card": "redact"}},
    {"name": "execution"}
  ]
}
EOF
MODEL=$("$VT" measure "$work/model" | awk '{print $1; exit}')
echo "model $MODEL  (veritee measure $work/model); what the gateway will measure at boot:"
# The digests the gateway will extend at boot (model, auditors, runtime, config),
# printed without booting: these become the environment's reference values.
"$VT" gateway --config "$work/gateway.json" --platform tdx --simulate --measure-only >"$work/measurements.json"
env_args=()
while IFS=$'\t' read -r comp digest name; do
  echo "  $comp $digest $name"
  case "$comp" in
    model) env_args+=(--model "$digest") ;;
    auditor) env_args+=(--auditor "$digest") ;;
    runtime) env_args+=(--runtime "$digest") ;;
    config) env_args+=(--config "$digest") ;;
  esac
done < <(jq -r '.events[] | [.component, .digest, .name] | @tsv' "$work/measurements.json")
# The TD image too (MRTD = firmware, RTMR1 = kernel, RTMR2 = command line and initrd): an
# environment that pins no image accepts any, and its passports are at most "warning".  A real
# deployment takes these from its image build; here, from a quote of the simulated TD.
"$VT" sim tdx --out "$work/image" >/dev/null
while IFS=$'\t' read -r reg value; do
  echo "  image $reg $value"
  env_args+=(--register "$reg=$value")
done < <("$VT" inspect "$work/image/quote.bin" |
  jq -r '[.. | objects | select(has("mrtd"))][0] | {mrtd, rtmr1, rtmr2} | to_entries[] | [.key, .value] | @tsv')
"$VT" env create demo --verifier "$V" --admin-token-file "$work/admin-token" --allow-simulated --min-tcb any \
  --description "make demo" "${env_args[@]}" >/dev/null
"$VT" env show demo --verifier "$V" | indent

say "4. The gateway boots under the TDX simulator: measure, attest, get a passport, serve"
"$VT" gateway --config "$work/gateway.json" --listen 127.0.0.1:0 --listen-plain 127.0.0.1:0 --platform tdx --simulate \
  >"$work/gateway.out" 2>"$work/gateway.out.err" &
pids+=($!)
GWS="https://$(WAIT_STEPS=400 wait_for "$work/gateway.out" '127\.0\.0\.1:[0-9]*')"
GW="http://$(wait_for "$work/gateway.out" 'plain HTTP on http://127\.0\.0\.1:[0-9]*' | grep -o '127\..*')"
echo "gateway   $GWS (TLS under its attested enclave key), and plain HTTP on $GW for this machine"
curl -s "$GW/v1/attestation?nonce=$(openssl rand -hex 32)" >"$work/att.json"
PASS=$(jq -r .passport_id "$work/att.json")
"$VT" passport show "$PASS" --verifier "$V" | indent

PROMPT="My email is jane.doe@example.com and my card is 4111 1111 1111 1111; what do you know about me?"
say "5. veritee chat: verify the gateway, then send a prompt with an e-mail address and a card number"
echo "prompt: $PROMPT"
"$VT" chat --gateway "$GWS" --verifier "$V" --environment demo --trust-sim --model echo \
  --save-receipt "$work/receipt.jwt" --save-response "$work/response.json" "$PROMPT"
echo "(the echo answer above is what the model received: placeholders, not the address and the number)"

say "6. The signed receipt of that answer, and its verification by anyone holding the passport"
echo "receipt token: $(head -c 72 "$work/receipt.jwt")..."
"$VT" receipt show --json "$work/receipt.jwt" | jq -r '{receipt, passport, environment, model, request_received,
  request_forwarded, response, status, content_type, coverage, verdict,
  auditors: [.auditors[] | {name, phase, verdict, findings}]} | to_entries[] |
  "\(.key): \(.value | if type == "string" then . else tojson end)"' | indent
echo "veritee receipt verify RECEIPT --passport $PASS --verifier $V --body response.json:"
"$VT" receipt verify "$work/receipt.jwt" --passport "$PASS" --verifier "$V" --body "$work/response.json" |
  grep -E '^  (ok|FAIL)|receipt verified' | indent
prom="$VERITEE_STATE/metrics/receipts.prom"
for _ in $(seq 30); do grep -q '^veritee_gateway_receipts_sent_total [1-9]' "$prom" 2>/dev/null && break; sleep 0.1; done
m() { sed -n "s/^veritee_gateway_receipts_$1 //p" "$prom" 2>/dev/null; }
echo "the gateway's durable receipt queue: $(m sent_total) sent to the verifier's transparency log, $(m queued) waiting;"
r=$(m reserve_bytes)
echo "  $(( ${r:-0} / 1048576 )) MiB reserved on disk ahead of it, so a full disk still takes receipts (docs/gateway.md)"
echo "the same receipt with one character of its signature changed:"
t=$(cat "$work/receipt.jwt"); hd=${t%.*}; i=$((${#hd} + 10)); c=A; [ "${t:i:1}" = A ] && c=B
printf '%s%s%s\n' "${t:0:i}" "$c" "${t:i+1}" >"$work/tampered.jwt"
set +e
"$VT" receipt verify "$work/tampered.jwt" --passport "$PASS" --verifier "$V" 2>/dev/null | indent
echo "(exit status ${PIPESTATUS[0]}: rejected)"
set -e

say "6b. For people and agents: the Observer dashboard and MCP"
echo "Observer: open $V/ in a browser: gateways, passports, receipts and the transparency log,"
echo "          with signatures, the checkpoint and inclusion proofs checked in the browser (docs/observer.md)"
echo "MCP:      POST $V/mcp (and $GW/mcp); the receipt above, checked by the verifier's verify_receipt tool:"
jq -n --arg r "$(cat "$work/receipt.jwt")" \
  '{jsonrpc: "2.0", id: 1, method: "tools/call", params: {name: "verify_receipt", arguments: {receipt: $r}}}' |
  curl -s -H 'Content-Type: application/json' -d @- "$V/mcp" |
  jq -c '.result.structuredContent | {valid, receipt, passport, verdict, log_index}' | indent
echo "a page of another site (or a DNS-rebinding page) posting the same chat from a visitor's browser:"
curl -s -o /dev/null -w '  HTTP %{http_code}' -H 'Origin: http://evil.example' -H 'Content-Type: text/plain' \
  -d '{"model":"echo","messages":[{"role":"user","content":"hi"}]}' "$GW/v1/chat/completions"
echo " (refused before any route: only loopback pages and the configured allowed_origins, docs/operations.md)"
echo "a page of an origin it serves (loopback or allowed_origins; here a web app at http://localhost:3000), its browser's CORS preflight:"
curl -s -o /dev/null -D - -X OPTIONS -H 'Origin: http://localhost:3000' -H 'Access-Control-Request-Method: POST' \
  -H 'Access-Control-Request-Headers: content-type' "$GW/v1/chat/completions" |
  tr -d '\r' | grep -iE '^(HTTP/|access-control-allow-(origin|headers))' | indent
echo "(the page may then POST and read the answer and its Veritee-Receipt header; docs/operations.md, CORS)"

AUD_BIN="${VERITEE_EXAMPLE_AUDITOR:-$(dirname "$VT")/veritee-example-auditor}"
if [ -x "$AUD_BIN" ]; then
  say "6c. Your own auditor in the chain: a C sidecar (sdk/c), measured into the passport"
  echo "examples/auditors/customer_ids: redacts customer numbers, blocks table-dropping SQL (docs/write-your-first-auditor.md)"
  "$AUD_BIN" --socket "$work/customer.sock" >"$work/customer.out" 2>&1 &
  pids+=($!)
  wait_for "$work/customer.out" 'listening' >/dev/null
  jq --arg s "$work/customer.sock" --arg x "$(readlink -f "$AUD_BIN")" \
    '.environment = "demo-custom" | .auditors = [.auditors[0], {name: "customer", kind: "external", version: "1.0.0",
     phases: ["request", "response"], socket: $s, executable: $x, timeout_ms: 500}, .auditors[1]]' \
    "$work/gateway.json" >"$work/gateway2.json"
  "$VT" gateway --config "$work/gateway2.json" --platform tdx --simulate --measure-only >"$work/m2.json"
  jq -r '.events[] | select(.component == "auditor") | "  auditor \(.digest) \(.name)"' "$work/m2.json"
  mapfile -t env2 < <(jq -r '.events[] | "--\(.component)\n\(.digest)"' "$work/m2.json"
    "$VT" inspect "$work/image/quote.bin" |
      jq -r '[.. | objects | select(has("mrtd"))][0] | {mrtd, rtmr1, rtmr2} | to_entries[] | "--register\n\(.key)=\(.value)"')
  "$VT" env create demo-custom --verifier "$V" --admin-token-file "$work/admin-token" --allow-simulated \
    --min-tcb any --description "make demo, with a custom auditor" "${env2[@]}" >/dev/null
  "$VT" gateway --config "$work/gateway2.json" --listen-plain 127.0.0.1:0 --platform tdx --simulate \
    --state "$(own_state gw2)" >"$work/gateway2.out" 2>"$work/gateway2.out.err" &
  pids+=($!)
  GW2="http://$(WAIT_STEPS=400 wait_for "$work/gateway2.out" '127\.0\.0\.1:[0-9]*')"
  for q in "Customer CUST-20417 asked about jane.doe@example.com" "Please DROP TABLE customers"; do
    echo "prompt: $q"
    st=$(curl -s -D "$work/h2" -o "$work/r2.json" -w '%{http_code}' "$GW2/v1/chat/completions" \
      -H 'Content-Type: application/json' \
      -d "$(jq -cn --arg q "$q" '{model: "echo", messages: [{role: "user", content: $q}]}')")
    jq -r --arg st "$st" '"  HTTP \($st): " + (.choices[0].message.content // .error.message)' "$work/r2.json"
    tr -d '\r' <"$work/h2" | sed -n 's/^[Vv]eritee-[Rr]eceipt: //p' >"$work/r2.jwt"
    "$VT" receipt show --json "$work/r2.jwt" |
      jq -c '[.auditors[] | select(.phase == "request") | {name, verdict, findings}]' | sed 's/^/  receipt: /'
  done
fi

say "7. The evidence underneath: a simulated TDX quote in Intel's format, bound to a nonce"
nonce=$(openssl rand -hex 32)
pub=$(openssl rand -hex 64)
"$VT" sim tdx --nonce "$nonce" --pubkey "$pub" --out "$work/td" >/dev/null
"$VT" verify --trust-sim --collateral "$work/td/collateral" --nonce "$nonce" --pubkey "$pub" "$work/td/quote.bin" |
  head -n 8 | indent
set +e
echo "the same quote for someone else's nonce:"
"$VT" verify --trust-sim --collateral "$work/td/collateral" --nonce "$(openssl rand -hex 32)" --pubkey "$pub" \
  "$work/td/quote.bin" | grep -E 'REJECTED|\[report_data\]' | head -n 2 | indent
cp "$work/td/quote.bin" "$work/flipped.bin"
printf '\x42' | dd of="$work/flipped.bin" bs=1 seek=190 conv=notrunc 2>/dev/null
echo "one flipped bit:"
"$VT" verify --trust-sim --collateral "$work/td/collateral" "$work/flipped.bin" | grep -E 'REJECTED|error' | head -n 2 | indent
set -e

vectors="${VERITEE_VECTORS:-../shared/vectors}"
if [ -f "$vectors/tdx/gotdx-v5-tdx15/quote.bin" ] && command -v python3 >/dev/null; then
  say "8. A real Intel TDX 1.5 quote, verified to the pinned Intel SGX Root CA at its collateral's time"
  echo "Its collateral comes from a PCS: a stand-in on 127.0.0.1 serving Intel's real TCB info, QE identity"
  echo "and CRLs as Intel PCS does (issuer chains in the response headers).  No --collateral:"
  rq="$vectors/tdx/gotdx-v5-tdx15"
  python3 "$(dirname "$0")/../tests/e2e/pcs_standin.py" "$work/pcs.port" \
    "pcs=ok:$rq/collateral-2026-03-lunal:$rq/quote.bin" 2>"$work/pcs.log" &
  pids+=($!)
  for _ in $(seq 100); do [ -s "$work/pcs.port" ] && break; sleep 0.05; done
  PCS="http://127.0.0.1:$(cat "$work/pcs.port")/pcs"
  "$VT" verify --at 2026-04-01T00:00:00Z --pcs-url "$PCS" "$rq/quote.bin" | head -n 8 | indent
  "$VT" verify --at 2026-04-01T00:00:00Z --pcs-url "$PCS" "$rq/quote.bin" >/dev/null
  echo "requests to the PCS for two verifications: $(grep -c '^GET ' "$work/pcs.log") (cached until each item's nextUpdate)"
fi

say "9. CPU + GPU: a simulated NVIDIA GPU report (SPDM, NVIDIA's format) bound to a simulated TD"
echo "The GPU answers the nonce; the TD's report_data commits to the nonce, the key and the GPU report's"
echo "SHA-384; the verifier checks both down to their roots and the binding between them.  OCSP for the"
echo "GPU's device chain comes from a stand-in responder on 127.0.0.1 (signing as the simulation root):"
gnonce=$(openssl rand -hex 32)
"$VT" sim nvgpu --nonce "$gnonce" --out "$work/gpu" >/dev/null
binding=$("$VT" composite binding --nonce "$gnonce" --pubkey "$pub" --device "$work/gpu/report.bin")
"$VT" sim tdx --report-data "$binding" --out "$work/cvm" >/dev/null
"$VT" composite build --cpu "$work/cvm/quote.bin" --cpu-collateral "$work/cvm/collateral" \
  --device "$work/gpu/report.bin,$work/gpu/collateral/certchain.pem,$work/gpu/collateral/reference.json" \
  --nonce "$gnonce" --pubkey "$pub" --out "$work/composite.json" | indent
ocsp_args=()
if command -v python3 >/dev/null && python3 -c "import cryptography.x509.ocsp" 2>/dev/null; then
  st="${VERITEE_STATE:-$HOME/.local/state/veritee}"
  python3 "$(dirname "$0")/../tests/e2e/nvidia_standin.py" "$work/nv.port" \
    --issuer "$st/sim/root_ca.pem" "$st/sim/root_ca.key" 2>"$work/nv.log" &
  pids+=($!)
  for _ in $(seq 200); do [ -s "$work/nv.port" ] && break; sleep 0.05; done
  [ -s "$work/nv.port" ] && ocsp_args=(--ocsp-url "http://127.0.0.1:$(cat "$work/nv.port")/ok")
fi
"$VT" verify --trust-sim "${ocsp_args[@]}" --nonce "$gnonce" --pubkey "$pub" "$work/composite.json" |
  grep -vE '^  (cpu|dev0)\.(m|r|x|q|s|t|f|p)' | head -n 12 | indent
say "10. Encrypted weights: the key comes from the verifier's key broker only to a matching gateway"
shm=$(mktemp -d /dev/shm/veritee-demo-XXXXXX)
mkdir -p "$work/enc"
head -c 1048576 /dev/urandom >"$work/enc/secret.gguf"
"$VT" model keygen "$work/enc/owner.key"
"$VT" model encrypt --key "$work/enc/owner.key" "$work/enc/secret.gguf" "$work/enc/secret.gguf.vtw" | indent
cat >"$work/enc/gateway.json" <<EOF
{"upstream": "$UP", "verifier": "$V", "environment": "demo-enc",
 "encrypted_models": [{"file": "$work/enc/secret.gguf.vtw", "name": "secret.gguf", "resource": "demo-model-key",
                       "into": "$shm"}],
 "auditors": [{"name": "pii", "phases": ["request", "response"], "actions": {"email": "redact", "card": "redact"}}]}
EOF
"$VT" gateway --config "$work/enc/gateway.json" --platform tdx --simulate --measure-only >"$work/enc/m.json"
emodel=$(jq -r '.events[] | select(.component == "model") | .digest' "$work/enc/m.json")
econfig=$(jq -r '.events[] | select(.component == "config") | .digest' "$work/enc/m.json")
eaud=$(jq -r '[.events[] | select(.component == "auditor") | .digest] | join(",")' "$work/enc/m.json")
image_args=()
for a in "${env_args[@]}"; do case "$a" in mrtd=* | rtmr1=* | rtmr2=*) image_args+=(--register "$a") ;; esac; done
"$VT" env create demo-enc --verifier "$V" --admin-token-file "$work/admin-token" --allow-simulated --min-tcb any \
  --model "$emodel" "${image_args[@]}" >/dev/null
echo "the owner registers the key with a policy: environment demo-enc, TDX, this model, auditors and config"
"$VT" key register demo-model-key --verifier "$V" --admin-token-file "$work/admin-token" \
  --value-file "$work/enc/owner.key" --environment demo-enc --platform tdx --allow-simulated --min-tcb any \
  --model "$emodel" --auditors "$eaud" --config "$econfig" | jq -c '{id, kind, policy}' | indent
"$VT" gateway --config "$work/enc/gateway.json" --listen-plain 127.0.0.1:0 --platform tdx --simulate \
  --state "$(own_state enc)" >"$work/enc/gateway.out" 2>"$work/enc/gateway.out.err" &
epid=$!
pids+=($epid)
EGW="http://$(WAIT_STEPS=400 wait_for "$work/enc/gateway.out" '127\.0\.0\.1:[0-9]*')"
grep '"model_decrypted"' "$work/enc/gateway.out.err" | jq -r .detail | indent
cmp -s "$work/enc/secret.gguf" "$shm/secret.gguf" &&
  echo "  the model server reads $shm/secret.gguf (tmpfs): identical to the owner's weights"
curl -s "$EGW/v1/models" >/dev/null && echo "  gateway $EGW serving"
kill "$epid" 2>/dev/null || true
wait "$epid" 2>/dev/null || true
echo "a gateway whose auditors let card numbers through asks for the same key:"
sed 's/"card": "redact"/"card": "allow"/' "$work/enc/gateway.json" >"$work/enc/other.json"
set +e
"$VT" gateway --config "$work/enc/other.json" --listen-plain 127.0.0.1:0 --platform tdx --simulate \
  --state "$(own_state other)" 2>&1 |
  grep -o "the key broker did not release[^)]*)" | indent
set -e
echo "the verifier's admin log says why:"
grep '"kbs_refused"' "$work/verifier.out.err" | tail -n 1 | jq -c '{resource, clause}' | indent
rm -rf "$shm"

say "Done.  Stopping the gateway, the echo upstream and the verifier."
