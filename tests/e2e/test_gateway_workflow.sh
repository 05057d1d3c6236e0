#!/usr/bin/env bash
# Deployment types and workflows at the gateway (docs/workflows.md): two downstream
# model gateways and an app gateway serving a workflow, all under the TDX
# simulator.  A request routes through the app gateway to the deployment its
# model names, after the app gateway checked that deployment's evidence and
# passport; the receipt names the hop.  A downstream without attestation, with
# a passport of another environment or of another deployment type is refused;
# an app gateway serves no model API of its own; a gateway whose configured type
# differs from its passport's refuses to start.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gateway_lib.sh"
command -v curl >/dev/null && command -v jq >/dev/null || { echo "skipped: needs curl and jq"; exit 77; }
[ -x "$ECHO_BIN" ] || { echo "skipped: $ECHO_BIN not built"; exit 77; }
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/deploy_lib.sh"
deploy_sim wf-full        # $V, $ECHO, and a full deployment at $GW
FULL=$GW

# node NAME ENV TYPE EXTRA-JSON [env-type]: a gateway of its own state (sharing the simulation
# root), registered in ENV (type env-type, default TYPE) and started; sets $GW.  Its "verifier" is
# $NODE_V when set, else $V.
node() {
  local name="$1" env="$2" type="$3" extra="$4" etype="${5:-$3}" envargs image
  mkdir -p "$TMP/st-$name"
  ln -sfn "$VERITEE_STATE/sim" "$TMP/st-$name/sim"
  cat >"$TMP/$name.json" <<JSON
{"verifier": "${NODE_V:-$V}", "environment": "$env", "deployment_type": "$type", "models": ["$TMP/gwmodel"],
 "auditors": [{"name": "pii", "phases": ["request", "response"], "actions": {"email": "redact"}}] $extra}
JSON
  "$VT" gateway --config "$TMP/$name.json" --platform tdx --simulate --state "$TMP/st-$name" --measure-only \
    >"$TMP/$name-m.json" 2>"$TMP/$name-m.err" || { echo "FAIL: $name --measure-only"; cat "$TMP/$name-m.err"; exit 1; }
  mapfile -t envargs < <(jq -r '.events[] | "--\(.component)\n\(.digest)"' "$TMP/$name-m.json")
  mapfile -t image < <(sim_tdx_image_args)
  "$VT" env create "$env" --verifier "$V" --admin-token-file "$TMP/admin-token" --allow-simulated --min-tcb any \
    --deployment-type "$etype" "${envargs[@]}" "${image[@]}" >/dev/null || { echo "FAIL: env create $env"; exit 1; }
}
run_node() {
  local name="$1"
  start_gateway "$name" "$TMP/$name.json" --platform tdx --simulate --threads 1 --state "$TMP/st-$name"
}

node a wf-a model ", \"upstream\": \"http://$ECHO\""
run_node a; A=$GW
node b wf-b model ", \"upstream\": \"http://$ECHO\""
run_node b; B=$GW
# A plain proxy (no trusted boot): it has no attestation to check.
echo "{\"upstream\": \"http://$ECHO\"}" >"$TMP/plain.json"
start_gateway plain "$TMP/plain.json" --threads 1; PLAIN=$GW

WF='{"graph": {"name": "desk", "nodes": [
   {"id": "general", "environment": "wf-a", "type": "model", "description": "general questions"},
   {"id": "billing", "environment": "wf-b", "type": "model", "description": "billing questions"},
   {"id": "imposter", "environment": "wf-a", "type": "model", "description": "B posing as wf-a"},
   {"id": "plain", "environment": "wf-a", "type": "model", "description": "no attestation"},
   {"id": "typed", "environment": "wf-full", "type": "model", "description": "a full deployment"}],
 "edges": [{"from": "orchestrator", "to": "general", "intent": "anything"},
   {"from": "orchestrator", "to": "billing", "intent": "invoices"},
   {"from": "orchestrator", "to": "imposter", "intent": "never"},
   {"from": "orchestrator", "to": "plain", "intent": "never"},
   {"from": "orchestrator", "to": "typed", "intent": "never"}]},
 "deployments": {"general": "http://'$A'", "billing": "http://'$B'", "imposter": "http://'$B'",
   "plain": "http://'$PLAIN'", "typed": "http://'$FULL'"},
 "allow_simulated": true}'
node app wf-app app ", \"workflow\": $WF"
run_node app; APP=$GW

# The app gateway routes by model name, after checking the deployment; the receipt names the hop.
expect 0 "chat through the app to general" -- "$VT" chat --gateway "http://$APP" --verifier "$V" --environment wf-app \
  --trust-sim --model general --save-receipt "$TMP/r1.jwt" "Hello, general"
"$VT" receipt show --json "$TMP/r1.jwt" >"$TMP/r1.json"
APASS=$(curl -s "http://$A/v1/attestation?nonce=$(printf '%064d' 1)" | jq -r .passport_id)
[ "$(jq -r '.deployments | length' "$TMP/r1.json")" = 1 ] &&
  [ "$(jq -r '.deployments[0].node' "$TMP/r1.json")" = general ] &&
  [ "$(jq -r '.deployments[0].environment' "$TMP/r1.json")" = wf-a ] &&
  [ "$(jq -r '.deployments[0].deployment_type' "$TMP/r1.json")" = model ] &&
  [ "$(jq -r '.deployments[0].passport' "$TMP/r1.json")" = "$APASS" ] &&
  [ "$(jq -r '.deployments[0].gateway' "$TMP/r1.json")" = "http://$A" ] &&
  [ "$(jq -r .environment "$TMP/r1.json")" = wf-app ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: the receipt names both hops"; cat "$TMP/r1.json"; }
PASS=$(jq -r .passport "$TMP/r1.json")
expect 0 "receipt verify shows the hops" -- "$VT" receipt verify "$TMP/r1.jwt" --passport "$PASS" --verifier "$V"
contains "this gateway (wf-app) -> general (environment wf-a, model, passport $APASS" "receipt verify deployments"
# The tool name selects the node too; billing goes to the other deployment.
expect 0 "chat through the app to billing" -- "$VT" chat --gateway "http://$APP" --verifier "$V" --environment wf-app \
  --trust-sim --model route_to_billing --save-receipt "$TMP/r2.jwt" "Hello, billing"
[ "$("$VT" receipt show --json "$TMP/r2.jwt" | jq -r '.deployments[0].environment')" = wf-b ] &&
  passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: billing routes to wf-b"; }

# An app gateway with the verifier's keys pinned ("verifier_jwks", the verifier's JWKS saved)
# checks each deployment's passport under the pin and fetches no key set, for its own passport or
# a deployment's: its verifier URL is a relay that logs every request it forwards.
curl -s "$V/.well-known/jwks.json" >"$TMP/vjwks.json"
python3 "$HERE/tamper_relay.py" --to "$V" --mode pass --log "$TMP/relay.log" >"$TMP/relay.out" 2>"$TMP/relay.err" &
PIDS="$PIDS $!"
RELAY="http://$(listening "$TMP/relay.out" "relay" "$TMP/relay.err")" || exit 1
NODE_V=$RELAY node apppin wf-apppin app ", \"workflow\": $WF, \"verifier_jwks\": \"$TMP/vjwks.json\"" app
run_node apppin; APPPIN=$GW
expect 0 "chat through the pinned app to general" -- "$VT" chat --gateway "http://$APPPIN" --verifier "$V" \
  --environment wf-apppin --trust-sim --model general "Hello, general"
grep -q '^GET /v1/environments/wf-a/signed$' "$TMP/relay.log" && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: the pinned app did not check general through the relay"; cat "$TMP/relay.log"; }
grep -q 'jwks' "$TMP/relay.log" && { failed=$((failed + 1)); echo "FAIL: a pinned app fetched the key set"; cat "$TMP/relay.log"; } ||
  passed=$((passed + 1))

# The deployment's reference values come only from the environment the verifier signed, under the
# same pinned keys: a relay answering as the verifier's URL that adds a model digest of its own to
# the environment (the signed payload rewritten) makes the downstream check fail, it is not believed.
python3 "$HERE/tamper_relay.py" --to "$V" --mode env --log "$TMP/trelay.log" >"$TMP/trelay.out" 2>"$TMP/trelay.err" &
PIDS="$PIDS $!"
TRELAY="http://$(listening "$TMP/trelay.out" "relay" "$TMP/trelay.err")" || exit 1
NODE_V=$TRELAY node apptamper wf-apptamper app ", \"workflow\": $WF, \"verifier_jwks\": \"$TMP/vjwks.json\"" app
run_node apptamper; APPTAMPER=$GW
code=$(curl -s -o "$TMP/out" -w '%{http_code}' -H 'Content-Type: application/json' \
  --data-binary '{"model":"general","messages":[{"role":"user","content":"hi"}]}' "http://$APPTAMPER/v1/chat/completions")
[ "$code" = 502 ] && [ "$(jq -r .error.code "$TMP/out")" = downstream_untrusted ] &&
  grep -qF 'environment: jws: ES256 signature does not verify' "$TMP/out" && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: a rewritten environment was believed: $code"; cat "$TMP/out"; }
grep -q '^GET /v1/environments/wf-a' "$TMP/trelay.log" && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: the check did not read the environment through the relay"; cat "$TMP/trelay.log"; }

# A relay answering as the verifier's URL that keeps the first signed environment wf-a it forwards
# and, after two, answers with that one (signed, still fresh) every time: an app gateway that took
# wf-a's next revision in between refuses the older one, a replayed environment, instead of rolling
# its reference values back to it.  Three nodes on A under wf-a: each check reads wf-a once.
python3 "$HERE/tamper_relay.py" --to "$V" --mode replay --count 2 --log "$TMP/rrelay.log" >"$TMP/rrelay.out" \
  2>"$TMP/rrelay.err" &
PIDS="$PIDS $!"
RRELAY="http://$(listening "$TMP/rrelay.out" "relay" "$TMP/rrelay.err")" || exit 1
RWF='{"graph": {"name": "rep", "nodes": [
   {"id": "g1", "environment": "wf-a", "type": "model", "description": "before the update"},
   {"id": "g2", "environment": "wf-a", "type": "model", "description": "after it"},
   {"id": "g3", "environment": "wf-a", "type": "model", "description": "the replay"}],
 "edges": [{"from": "orchestrator", "to": "g1", "intent": "one"},
   {"from": "orchestrator", "to": "g2", "intent": "two"},
   {"from": "orchestrator", "to": "g3", "intent": "three"}]},
 "deployments": {"g1": "http://'$A'", "g2": "http://'$A'", "g3": "http://'$A'"}, "allow_simulated": true}'
NODE_V=$RRELAY node apprep wf-apprep app ", \"workflow\": $RWF, \"verifier_jwks\": \"$TMP/vjwks.json\"" app
run_node apprep; APPREP=$GW
# rpost MODEL: the status; the body in $TMP/out
rpost() { curl -s -o "$TMP/out" -w '%{http_code}' -H 'Content-Type: application/json' \
  --data-binary "{\"model\":\"$1\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}" "http://$APPREP/v1/chat/completions"; }
envrev() { curl -s "$V/v1/environments/$1/signed" | python3 -c 'import base64, json, sys
p = sys.stdin.read().split(".")[1]; print(json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))["rev"])'; }
REV=$(envrev wf-a)
code=$(rpost g1)
[ "$code" = 200 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: g1 through the replaying relay: $code"; cat "$TMP/out"; }
# The operator updates wf-a (its description): revision REV + 1.
curl -s "$V/v1/environments/wf-a" | jq '.description = "updated"' >"$TMP/wf-a.json"
code=$(curl -s -o "$TMP/put" -w '%{http_code}' -X PUT -H "Authorization: Bearer $(cat "$TMP/admin-token")" \
  -H 'Content-Type: application/json' --data-binary @"$TMP/wf-a.json" "$V/v1/environments/wf-a")
[ "$code" = 200 ] && [ "$(envrev wf-a)" = $((REV + 1)) ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: wf-a updated: $code, revision $(envrev wf-a) after $REV"; cat "$TMP/put"; }
code=$(rpost g2)
[ "$code" = 200 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: g2 after the update: $code"; cat "$TMP/out"; }
code=$(rpost g3)
[ "$code" = 502 ] && [ "$(jq -r .error.code "$TMP/out")" = downstream_untrusted ] &&
  grep -qF "environment wf-a revision $REV is older than revision $((REV + 1)) already seen: a replayed environment" \
    "$TMP/out" && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: a replayed older revision of wf-a was believed: $code"; cat "$TMP/out"; }
[ "$(grep -c '^GET /v1/environments/wf-a/signed$' "$TMP/rrelay.log")" = 3 ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: the checks did not read wf-a through the relay three times"; cat "$TMP/rrelay.log"; }

# post MODEL PATH: status in $TMP/code, body in $TMP/out, headers in $TMP/hdr
post() { curl -s -D "$TMP/hdr" -o "$TMP/out" -w '%{http_code}' -H 'Content-Type: application/json' \
  --data-binary "{\"model\":\"$1\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}" "http://$APP${2:-/v1/chat/completions}" >"$TMP/code"; }
refused() { # MODEL WHAT TEXT
  post "$1"
  if [ "$(cat "$TMP/code")" = 502 ] && [ "$(jq -r .error.code "$TMP/out")" = downstream_untrusted ] &&
     grep -qF -- "$3" "$TMP/out" && grep -qi '^veritee-receipt:' "$TMP/hdr"; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL: $2: $(cat "$TMP/code")"; cat "$TMP/out"; fi
}
refused imposter "a passport of another environment" "is for environment wf-b, the workflow names wf-a"
refused plain "a downstream without attestation" "failed its check: GET http://$PLAIN/v1/attestation"
refused typed "a passport of another deployment type" "is for a full deployment, the workflow names model"

# What an app deployment does not serve.
post general /v1/embeddings
[ "$(cat "$TMP/code")" = 403 ] && [ "$(jq -r .error.code "$TMP/out")" = deployment_type_forbids ] &&
  passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: app serves no embeddings"; cat "$TMP/out"; }
post gpt-4
[ "$(cat "$TMP/code")" = 404 ] && [ "$(jq -r .error.code "$TMP/out")" = model_not_found ] &&
  passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: app routes only workflow models"; cat "$TMP/out"; }
curl -s "http://$APP/v1/models" >"$TMP/out"
[ "$(jq -r '[.data[].id] | join(",")' "$TMP/out")" = general,billing,imposter,plain,typed ] &&
  passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: app lists the workflow's deployments"; cat "$TMP/out"; }
# A model deployment serves its own model: a chat to A goes to its upstream.
expect 0 "model deployment serves its model" -- "$VT" chat --gateway "http://$A" --verifier "$V" --environment wf-a \
  --trust-sim --model echo "Hello, A"

# --- Attested TLS between deployments (docs/workflows.md): with an https:// URL the check takes
# the TLS key the attestation came over, requires it to be the attested enclave key and pins it;
# every connection to the deployment then completes only with that key. ---
node t wf-t model ", \"upstream\": \"http://$ECHO\""
start_gateway t "$TMP/t.json" --listen 127.0.0.1:0 --platform tdx --simulate --threads 1 --state "$TMP/st-t"
T=$GW # the https listener
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$TMP/mitm.key" -out "$TMP/mitm.crt" \
  -subj /CN=localhost -days 2 >/dev/null 2>&1 || { echo "FAIL: openssl req"; exit 1; }
relay() { # NAME FIRST THEN AFTER [TLS-TERMINATING]: sets $RELAY (host:port); bytes seen in $TMP/NAME.bytes
  python3 "$HERE/switch_relay.py" --first "$2" --then "$3" --after "$4" --log "$TMP/$1.bytes" \
    ${5:+--cert "$TMP/mitm.crt" --key "$TMP/mitm.key"} >"$TMP/$1.out" 2>"$TMP/$1.err" &
  PIDS="$PIDS $!"
  RELAY=$(listening "$TMP/$1.out" "relay $1" "$TMP/$1.err") || exit 1
}
relay tap "$T" "$T" 0; TAP=$RELAY                  # a tap on the path to T: records what crosses it
relay mitm "$T" "$T" 0 tls; MITM=$RELAY            # terminates TLS with its own key, forwards to T over TLS
relay switch "$T" "$MITM" 1; SWITCH=$RELAY         # the check's connection to T, the next ones to the MITM
WFT='{"graph": {"name": "sealed", "nodes": [
   {"id": "secure", "environment": "wf-t", "type": "model", "description": "over attested TLS"},
   {"id": "mitm", "environment": "wf-t", "type": "model", "description": "behind a TLS terminator"},
   {"id": "switch", "environment": "wf-t", "type": "model", "description": "switched after the check"}],
 "edges": [{"from": "orchestrator", "to": "secure", "intent": "anything"},
   {"from": "orchestrator", "to": "mitm", "intent": "never"},
   {"from": "orchestrator", "to": "switch", "intent": "never"}]},
 "deployments": {"secure": "https://'$TAP'", "mitm": "https://'$MITM'", "switch": "https://'$SWITCH'"},
 "allow_simulated": true}'
node apptls wf-apptls app ", \"workflow\": $WFT"
run_node apptls; APPTLS=$GW
expect 0 "chat through the app to a deployment over attested TLS" -- "$VT" chat --gateway "http://$APPTLS" \
  --verifier "$V" --environment wf-apptls --trust-sim --model secure --save-receipt "$TMP/rt.jwt" "zebra-hop-5521 hello"
contains "zebra-hop-5521" "the answer came back through the hop"
[ "$("$VT" receipt show --json "$TMP/rt.jwt" | jq -r '.deployments[0].gateway')" = "https://$TAP" ] &&
  passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: the receipt names the https hop"; }
[ -s "$TMP/tap.bytes" ] && ! grep -qaF zebra-hop "$TMP/tap.bytes" && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: the prompt crossed the hop readable (or nothing crossed the tap)"; }
tpost() { # MODEL MARKER: status in $TMP/code, body in $TMP/out
  curl -s -o "$TMP/out" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary \
    "{\"model\":\"$1\",\"messages\":[{\"role\":\"user\",\"content\":\"$2\"}]}" \
    "http://$APPTLS/v1/chat/completions" >"$TMP/code"
}
tpost mitm zebra-mitm-3310
[ "$(cat "$TMP/code")" = 502 ] && [ "$(jq -r .error.code "$TMP/out")" = downstream_untrusted ] &&
  grep -qF "its TLS server key is not its attested enclave key" "$TMP/out" && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: a deployment behind a TLS terminator: $(cat "$TMP/code")"; cat "$TMP/out"; }
# The switch lets the check reach T, then hands the prompt's connection to the terminator: the
# handshake meets another key and nothing is sent; the next request checks again, and fails.
tpost switch zebra-switch-7719
[ "$(cat "$TMP/code")" = 502 ] && [ "$(jq -r .error.code "$TMP/out")" = upstream_error ] &&
  grep -qF "other than its attested enclave key" "$TMP/out" && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: a connection switched after the check: $(cat "$TMP/code")"; cat "$TMP/out"; }
tpost switch zebra-switch-7720
[ "$(cat "$TMP/code")" = 502 ] && [ "$(jq -r .error.code "$TMP/out")" = downstream_untrusted ] &&
  grep -qF "its TLS server key is not its attested enclave key" "$TMP/out" && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: the check after a refused handshake: $(cat "$TMP/code")"; cat "$TMP/out"; }
grep -qaF zebra- "$TMP/mitm.bytes" && { failed=$((failed + 1)); echo "FAIL: the terminator read a prompt"; } ||
  passed=$((passed + 1))
grep -qaF '/v1/attestation' "$TMP/mitm.bytes" && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: the terminator was not on the path (no attestation request seen)"; }

# A gateway whose configured type is not its environment's refuses to serve.
node mis wf-mis bridge ", \"upstream\": \"http://$ECHO\"" model
expect 1 "type mismatch at boot" -- timeout 60 "$VT" gateway --config "$TMP/mis.json" --listen 127.0.0.1:0 --platform tdx \
  --simulate --threads 1 --state "$TMP/st-mis"
contains "configured as a bridge deployment, but passport" "type mismatch message"
# A model deployment routes no workflow; a flag may not contradict the measured file.
echo "{\"upstream\": \"http://$ECHO\", \"deployment_type\": \"model\", \"workflow\": $WF}" >"$TMP/bad.json"
expect 2 "model with a workflow" -- "$VT" gateway --config "$TMP/bad.json" --check-config
contains "routes no workflow" "model with a workflow message"
expect 2 "flag contradicts the file" -- "$VT" gateway --config "$TMP/a.json" --deployment-type app --check-config
contains "differs from the config file" "flag contradicts message"

# Plain http:// to another machine than this one carries the prompts across that network in the
# clear: refused when the config is read, naming the way out, unless that deployment says
# "allow_plain": true (which the effective, measured config then shows); the loopback as
# `veritee chat` decides it (not an address that only maps to it) and https:// need nothing.
plainwf() {
  jq -n --argjson wf "$WF" --argjson dep "$1" \
    '{"deployment_type": "app", "workflow": {"graph": $wf.graph, "deployments": {"general": $dep}}}' >"$TMP/plainwf.json"
}
plainwf '"http://192.0.2.1:9001"'
expect 2 "plain http:// to another machine" -- "$VT" gateway --config "$TMP/plainwf.json" --check-config
contains "workflow.deployments.general is plain http:// to another machine" "plain hop refusal"
contains '"allow_plain": true' "the refusal names the way out"
plainwf '"http://[::ffff:127.0.0.1]:9001"'
expect 2 "plain http:// to a v4-mapped loopback address" -- "$VT" gateway --config "$TMP/plainwf.json" --check-config
contains "is plain http:// to another machine" "v4-mapped refusal"
plainwf '{"url": "http://192.0.2.1:9001", "allow_plain": true}'
expect 0 "plain http:// with allow_plain" -- "$VT" gateway --config "$TMP/plainwf.json" --check-config
[ "$(jq -r '.workflow.deployments.general.allow_plain' "$TMP/out")" = true ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: the effective config shows allow_plain"; cat "$TMP/out"; }
for dep in '"http://localhost:9001"' '"http://127.0.0.2:9001"' '"http://[::1]:9001"' '"https://192.0.2.1:9443"'; do
  plainwf "$dep"
  expect 0 "$dep needs no allow_plain" -- "$VT" gateway --config "$TMP/plainwf.json" --check-config
done
finish
