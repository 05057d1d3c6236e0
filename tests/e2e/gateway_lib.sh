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

# wait_addr FILE: prints host:port once FILE names it (5 s at most)
wait_addr() {
  for _ in $(seq 1 100); do
    a=$(grep -o '127\.0\.0\.1:[0-9]*' "$1" 2>/dev/null | head -1)
    [ -n "$a" ] && { echo "$a"; return 0; }
    sleep 0.05
  done
  return 1
}

# start_echo NAME: sets $ECHO (host:port)
start_echo() {
  "$ECHO_BIN" --listen 127.0.0.1:0 >"$TMP/$1.out" 2>"$TMP/$1.err" &
  PIDS="$PIDS $!"
  ECHO=$(wait_addr "$TMP/$1.out") || { echo "echo upstream did not start"; cat "$TMP/$1.err"; exit 1; }
}

# start_gateway NAME CONFIG-FILE [flags...]: sets $GW (host:port) and $GW_PID
start_gateway() {
  local name="$1" cfg="$2"; shift 2
  "$VT" gateway --config "$cfg" --listen-plain 127.0.0.1:0 "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
  GW_PID=$!
  PIDS="$PIDS $GW_PID"
  GW=$(wait_addr "$TMP/$name.out") || { echo "gateway did not start"; cat "$TMP/$name.err"; exit 1; }
}
