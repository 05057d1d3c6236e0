# Helpers for the gateway end-to-end tests: start the echo upstream and a gateway
# on free ports (port 0, read back from their first line of output), and stop them.
ECHO_BIN="${VERITEE_ECHO_BIN:-$(dirname "$VT")/veritee-echo-upstream}"
PIDS=""
cleanup() {
  for p in $PIDS; do kill "$p" 2>/dev/null; done
  for p in $PIDS; do wait "$p" 2>/dev/null; done
  rm -rf "$TMP"
}
trap cleanup EXIT

# gw_state NAME: prints a state directory of its own for one more gateway (a receipt queue is
# one gateway's: a second on the same directory is refused), sharing $VERITEE_STATE's
# simulation CA and mock key, so that the verifier, which uses $VERITEE_STATE, trusts its
# simulated evidence.
gw_state() {
  local d
  mkdir -p -m 700 "$TMP/state-$1"
  for d in sim mock; do
    mkdir -p -m 700 "$VERITEE_STATE/$d"
    ln -sfn "$VERITEE_STATE/$d" "$TMP/state-$1/$d"
  done
  echo "$TMP/state-$1"
}

# start_echo NAME: sets $ECHO (host:port)
start_echo() {
  : >"$TMP/$1.out"
  "$ECHO_BIN" --listen 127.0.0.1:0 >"$TMP/$1.out" 2>"$TMP/$1.err" &
  PIDS="$PIDS $!"
  ECHO=$(listening "$TMP/$1.out" "echo upstream" "$TMP/$1.err") || exit 1
}

# start_gateway NAME CONFIG-FILE [flags...]: sets $GW (host:port) and $GW_PID
start_gateway() {
  local name="$1" cfg="$2"; shift 2
  : >"$TMP/$name.out"
  "$VT" gateway --config "$cfg" --listen-plain 127.0.0.1:0 "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
  GW_PID=$!
  PIDS="$PIDS $GW_PID"
  GW=$(listening "$TMP/$name.out" "gateway" "$TMP/$name.err") || exit 1
}

# start_sim_verifier [PORT]: a verifier that trusts the TDX simulator (--offline, state
# $VERITEE_STATE), admin token $TOKEN in $TMP/admin-token, on PORT (default a free one: give
# the old port to start it again where the gateways know it); sets $V (URL) and $VPID.  Its
# log ($TMP/v.log) keeps the lines of earlier starts.
start_sim_verifier() {
  TOKEN=0123456789abcdef0123456789abcdef
  echo "$TOKEN" >"$TMP/admin-token"
  chmod 600 "$TMP/admin-token"
  : >"$TMP/v.out"
  "$VT" verifier --listen "127.0.0.1:${1:-0}" --offline --admin-token-file "$TMP/admin-token" --trust-sim \
    --state "$VERITEE_STATE" --quiet >"$TMP/v.out" 2>>"$TMP/v.log" &
  VPID=$!
  PIDS="$PIDS $VPID"
  V="http://$(listening "$TMP/v.out" "verifier" "$TMP/v.log")" || exit 1
}

# receipt_gateway_env STATE [EXTRA]: the receipt tests' gateway, $TMP/g.json (the echo
# upstream $ECHO, the verifier $V, environment "gw", one model, the pii auditor, state
# directory STATE), measured (--measure-only, into $TMP/log.json) and registered as the
# environment gw (gw_env_json with EXTRA); false when the verifier did not take it
receipt_gateway_env() {
  mkdir -p "$TMP/models"
  head -c 1000 /dev/urandom >"$TMP/models/model.bin"
  cat >"$TMP/g.json" <<JSON
{"upstream":"http://$ECHO","verifier":"$V","environment":"gw","models":["$TMP/models/model.bin"],
 "auditors":[{"name":"pii"}],"state_dir":"$1"}
JSON
  "$VT" gateway --config "$TMP/g.json" --measure-only >"$TMP/log.json" || { echo "FAIL: measure-only"; exit 1; }
  [ "$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: Bearer $TOKEN" \
        -d "$(gw_env_json "$TMP/log.json" "${2:-}")" "$V/v1/environments/gw")" = 200 ]
}

# start_hostile: the hostile upstream (hostile_upstream.py); sets $HOSTILE (host:port)
start_hostile() {
  python3 "$(dirname "${BASH_SOURCE[0]}")/hostile_upstream.py" >"$TMP/h.out" 2>"$TMP/h.err" &
  PIDS="$PIDS $!"
  HOSTILE=$(listening "$TMP/h.out" "hostile upstream" "$TMP/h.err") || exit 1
}

# gw_env_json LOG [EXTRA]: an environment accepting exactly what `veritee gateway
# --measure-only` measured (LOG), simulated evidence allowed; EXTRA (a JSON object) is
# merged in, e.g. '{"passport_lifetime":16}'
gw_env_json() {
  jq --argjson extra "${2:-{\}}" '{allow_simulated:true,
    components:{model:[.events[]|select(.component=="model")|.digest],
      auditors:[.events[]|select(.component=="auditor")|.digest], runtime:[.events[]|select(.component=="runtime")|.digest],
      config:[.events[]|select(.component=="config")|.digest]}} + $extra' "$1"
}

# receipt_chat: one small chat through $GW; prints the HTTP status; the Veritee-Receipt
# header's token goes to $TMP/receipt
receipt_chat() {
  curl -s -D "$TMP/h" -o "$TMP/b" -w '%{http_code}' --max-time 10 "http://$GW/v1/chat/completions" \
    -H 'Content-Type: application/json' -d '{"model":"echo","messages":[{"role":"user","content":"hello"}]}'
  tr -d '\r' <"$TMP/h" | sed -n 's/^[Vv]eritee-[Rr]eceipt: //p' >"$TMP/receipt"
}

# receipt_id FILE: the id of the receipt token in FILE
receipt_id() { cut -d. -f2 "$1" | jq -rR 'gsub("-";"+") | gsub("_";"/") | . + ("=" * ((4 - length % 4) % 4)) | @base64d | fromjson | .receipt'; }

# receipt_logged ID [SECONDS]: the verifier at $V has receipt ID within SECONDS (default 5)
receipt_logged() {
  for _ in $(seq $((${2:-5} * 10))); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$V/v1/receipts/$1")" = 200 ] && return 0
    sleep 0.1
  done
  return 1
}
