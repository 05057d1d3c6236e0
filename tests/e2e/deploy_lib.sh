# A whole simulated deployment for end-to-end tests of what sits on top of it
# (the Observer, MCP): a verifier (--offline, --trust-sim, admin token $TOKEN in
# $TMP/admin-token), the echo upstream, and a gateway under the TDX simulator
# that earned an "affirming" passport in environment ENV.
# Needs lib.sh and gateway_lib.sh.  deploy_sim ENV: sets $V (URL) and $GW (host:port).  With
# $DEPLOY_ORIGIN set, both services allow that browser origin (--allow-origin, "allowed_origins").
TOKEN=0123456789abcdef0123456789abcdef
deploy_sim() {
  local env="$1"
  echo "$TOKEN" >"$TMP/admin-token"
  chmod 600 "$TMP/admin-token"
  "$VT" verifier --listen 127.0.0.1:0 --offline --admin-token-file "$TMP/admin-token" --trust-sim --quiet \
    ${DEPLOY_ORIGIN:+--allow-origin "$DEPLOY_ORIGIN"} >"$TMP/v.out" 2>"$TMP/v.log" &
  PIDS="$PIDS $!"
  V="http://$(listening "$TMP/v.out" "verifier" "$TMP/v.log")" || exit 1
  start_echo echo
  mkdir -p "$TMP/gwmodel"
  printf 'tiny test model\n' >"$TMP/gwmodel/m.gguf"
  local origins=""
  [ -n "${DEPLOY_ORIGIN:-}" ] && origins=", \"allowed_origins\": [\"$DEPLOY_ORIGIN\"]"
  cat >"$TMP/gw.json" <<JSON
{"upstream": "http://$ECHO", "verifier": "$V", "environment": "$env",
 "models": ["$TMP/gwmodel"],
 "auditors": [{"name": "pii", "phases": ["request", "response"], "actions": {"email": "redact", "card": "redact"}}]$origins}
JSON
  "$VT" gateway --config "$TMP/gw.json" --platform tdx --simulate --measure-only >"$TMP/gw-m.json" 2>"$TMP/gw-m.err" ||
    { echo "FAIL: gateway --measure-only"; cat "$TMP/gw-m.err"; exit 1; }
  local envargs image
  mapfile -t envargs < <(jq -r '.events[] | "--\(.component)\n\(.digest)"' "$TMP/gw-m.json")
  mapfile -t image < <(sim_tdx_image_args)
  "$VT" env create "$env" --verifier "$V" --admin-token-file "$TMP/admin-token" --allow-simulated --min-tcb any \
    --description "$env (test)" "${envargs[@]}" "${image[@]}" >/dev/null || { echo "FAIL: env create"; exit 1; }
  start_gateway gw "$TMP/gw.json" --platform tdx --simulate --threads 1
}
