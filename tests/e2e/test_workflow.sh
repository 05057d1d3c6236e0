#!/usr/bin/env bash
# veritee workflow validate|compile, and deployment types in environments.
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null && command -v jq >/dev/null || { echo "skipped: needs curl and jq"; exit 77; }
HERE="$(cd "$(dirname "$0")" && pwd)"
WF="$HERE/../../examples/workflows/support-desk.json"
echo 0123456789abcdef0123456789abcdef >"$TMP/admin-token"
chmod 600 "$TMP/admin-token"
"$VT" verifier --listen 127.0.0.1:0 --offline --admin-token-file "$TMP/admin-token" --quiet >"$TMP/v.out" 2>"$TMP/v.log" &
VPID=$!
trap 'kill $VPID 2>/dev/null; wait $VPID 2>/dev/null; rm -rf "$TMP"' EXIT
V="http://$(listening "$TMP/v.out" verifier "$TMP/v.log")" || exit 1
mkenv() { "$VT" env create "$1" --verifier "$V" --admin-token-file "$TMP/admin-token" --deployment-type "$2" >/dev/null; }

# --- failures first ---
expect 2 "no file" -- "$VT" workflow validate
expect 2 "missing file" -- "$VT" workflow validate "$TMP/nope.json"
expect 2 "unknown action" -- "$VT" workflow run "$WF"
echo '{"name":"w","nodes":[{"id":"a","environment":"e","type":"app","description":"d"}],"edges":[{"from":"orchestrator","to":"a","intent":"i"}]}' >"$TMP/app.json"
expect 1 "an edge into an app deployment" -- "$VT" workflow validate "$TMP/app.json"
contains "app deployment" "says why"
expect 1 "the same, as JSON" -- "$VT" workflow validate --json "$TMP/app.json"
contains '"valid": false' "json verdict"
expect 1 "environments missing on the verifier" -- "$VT" workflow validate --verifier "$V" "$WF"
contains "node general: environment support-model" "names the node and environment"
mkenv support-model model; mkenv billing-model model; mkenv docs-bridge model
expect 1 "a deployment type that differs" -- "$VT" workflow validate --verifier "$V" "$WF"
contains "node search says bridge, but environment docs-bridge is a model deployment" "names the mismatch"
expect 2 "an unknown deployment type" -- "$VT" env create x --verifier "$V" --admin-token-file "$TMP/admin-token" --deployment-type server
mkenv docs-bridge bridge

# --- valid ---
expect 0 "valid against the verifier" -- "$VT" workflow validate --verifier "$V" "$WF"
contains "valid (3 deployments, 3 routes)" "summary"
# The environments are read signed, under the verifier's keys: pinned with --jwks (a pin whose key
# is not the verifier's refuses them), and a relay that rewrites them is not believed.
curl -s "$V/.well-known/jwks.json" >"$TMP/jwks.json"
jq '.keys[0].kid = "not-the-verifiers"' "$TMP/jwks.json" >"$TMP/jwks-other.json"
expect 0 "valid under the pinned keys" -- "$VT" workflow validate --verifier "$V" --jwks "$TMP/jwks.json" "$WF"
expect 1 "a pin without the verifier's key" -- "$VT" workflow validate --verifier "$V" --jwks "$TMP/jwks-other.json" "$WF"
contains "is not in the verifier's JWKS" "names the key"
expect 2 "--jwks without --verifier" -- "$VT" workflow validate --jwks "$TMP/jwks.json" "$WF"
python3 "$HERE/tamper_relay.py" --to "$V" --mode env >"$TMP/trelay.out" 2>"$TMP/trelay.err" &
RPID=$!
trap 'kill $VPID $RPID 2>/dev/null; wait $VPID $RPID 2>/dev/null; rm -rf "$TMP"' EXIT
TRELAY="http://$(listening "$TMP/trelay.out" relay "$TMP/trelay.err")" || exit 1
expect 1 "environments rewritten on their way" -- "$VT" workflow validate --verifier "$TRELAY" "$WF"
contains "environment: jws: ES256 signature does not verify" "names the environment's signature"
# Nor rolled back: the revision of each environment taken is kept across runs
# (<state>/environment-revisions), so a relay that replays the signed support-model it kept, after
# the verifier updated it, is refused by the next run; --env-state none does not see it.
python3 "$HERE/tamper_relay.py" --to "$V" --mode replay --count 2 >"$TMP/rrelay.out" 2>"$TMP/rrelay.err" &
RRPID=$!
trap 'kill $VPID $RPID $RRPID 2>/dev/null; wait $VPID $RPID $RRPID 2>/dev/null; rm -rf "$TMP"' EXIT
RRELAY="http://$(listening "$TMP/rrelay.out" relay "$TMP/rrelay.err")" || exit 1
expect 0 "valid through the replaying relay" -- "$VT" workflow validate --verifier "$RRELAY" "$WF"
curl -s "$V/v1/environments/support-model" | jq '.description = "updated"' >"$TMP/sm.json"
expect 0 "support-model updated" -- curl -sf -X PUT -H "Authorization: Bearer $(cat "$TMP/admin-token")" \
  -H 'Content-Type: application/json' --data-binary @"$TMP/sm.json" "$V/v1/environments/support-model"
expect 0 "valid after the update" -- "$VT" workflow validate --verifier "$RRELAY" "$WF"
expect 1 "a replayed older revision" -- "$VT" workflow validate --verifier "$RRELAY" "$WF"
contains "node general: environment support-model: environment support-model revision 1 is older than revision 2" \
  "names the replay"
expect 0 "--env-state none does not see it" -- "$VT" workflow validate --verifier "$RRELAY" --env-state none "$WF"
echo garbage >"$TMP/bad-revs"
expect 2 "a damaged revisions file" -- "$VT" workflow validate --verifier "$V" --env-state "$TMP/bad-revs" "$WF"
contains "bad-revs: not an environment revisions file" "names the file"
expect 2 "--env-state without --verifier" -- "$VT" workflow validate --env-state none "$WF"
expect 0 "environment shows its type" -- curl -sf "$V/v1/environments/docs-bridge"
contains '"deployment_type": "bridge"' "deployment_type stored"
expect 0 "compile" -- "$VT" workflow compile "$WF"
jq -e '.tools | map(.name) == ["route_to_general", "route_to_billing", "route_to_search"]' "$TMP/out" >/dev/null &&
  passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: compiled tools"; cat "$TMP/out"; }
jq -e '.system_prompt | contains("after general has answered: call route_to_search")' "$TMP/out" >/dev/null &&
  passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: compiled prompt"; }
expect 0 "compile --out" -- "$VT" workflow compile --out "$TMP/c.json" "$WF"
expect 0 "the same bytes every time" -- bash -c "'$VT' workflow compile '$WF' | cmp - '$TMP/c.json'"
finish
