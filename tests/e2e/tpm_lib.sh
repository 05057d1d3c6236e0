# Helpers for the tests against software TPMs: a swtpm, and a stand-in on the TPM's wire
# (tpm_tap.py, tpm_splice.py), each on a free pair of ports on 127.0.0.1 (the swtpm TCTI takes
# PORT for commands and PORT+1 for control), picked at random below the kernel's ephemeral
# range and tried again when taken.

# swtpm_start NAME: swtpm with state $TMP/NAME (made if missing), pid in $TMP/NAME.pid; sets
# SWTPM_PORT once the TPM answers.
swtpm_start() {
  local name="$1"
  mkdir -p "$TMP/$name"
  for _ in 1 2 3 4 5; do
    SWTPM_PORT=$((20000 + RANDOM % 12000))
    swtpm socket --tpm2 --tpmstate dir="$TMP/$name" --flags not-need-init,startup-clear \
      --server type=tcp,port=$SWTPM_PORT,bindaddr=127.0.0.1 \
      --ctrl type=tcp,port=$((SWTPM_PORT + 1)),bindaddr=127.0.0.1 \
      --pid file="$TMP/$name.pid" --daemon 2>"$TMP/$name.err" && break
    SWTPM_PORT=
  done
  [ -n "$SWTPM_PORT" ] || { echo "FAIL: swtpm $name did not start"; cat "$TMP/$name.err"; exit 1; }
  for _ in $(seq 50); do
    TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$SWTPM_PORT" tpm2_pcrread sha256:0 >/dev/null 2>&1 && break
    sleep 0.1
  done
}

# wire_start NAME SCRIPT ARGS...: python3 SCRIPT PORT ARGS... (output in $TMP/NAME.out); sets
# WIRE_PORT and WIRE_PID once it printed the line "ready", else leaves WIRE_PORT empty.
wire_start() {
  local name="$1" script="$2"; shift 2
  for _ in 1 2 3 4 5; do
    WIRE_PORT=$((20000 + RANDOM % 12000))
    rm -f "$TMP/$name.out"
    python3 "$script" "$WIRE_PORT" "$@" >"$TMP/$name.out" 2>&1 &
    WIRE_PID=$!
    for _ in $(seq 50); do
      grep -qx ready "$TMP/$name.out" 2>/dev/null && return 0
      kill -0 "$WIRE_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill "$WIRE_PID" 2>/dev/null
    wait "$WIRE_PID" 2>/dev/null
  done
  WIRE_PORT=
}
