# Shared helpers for the end-to-end tests: they run the real program.
set -u
VT="${VERITEE_BIN:?VERITEE_BIN must point at the veritee program}"
TMP="$(mktemp -d "${VERITEE_TEST_TMP:-/tmp}/e2e-XXXXXX" 2>/dev/null || mktemp -d)"
export VERITEE_STATE="$TMP/state"
trap 'rm -rf "$TMP"' EXIT
passed=0
failed=0

# expect STATUS DESCRIPTION -- command...  (stdout+stderr saved in $TMP/out)
expect() {
  local want="$1" what="$2"; shift 3
  "$@" >"$TMP/out" 2>&1
  local got=$?
  if [ "$got" -eq "$want" ]; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL: $what: exit $got, wanted $want: $*"; sed 's/^/    /' "$TMP/out" | head -20; fi
}

# contains TEXT DESCRIPTION: the last command's output contains TEXT
contains() {
  if grep -qF -- "$1" "$TMP/out"; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL: $2: output lacks '$1'"; sed 's/^/    /' "$TMP/out" | head -20; fi
}

# lacks TEXT DESCRIPTION: the last command's output does not contain TEXT
lacks() {
  if ! grep -qF -- "$1" "$TMP/out"; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL: $2: output has '$1'"; sed 's/^/    /' "$TMP/out" | head -20; fi
}

# listening OUT WHAT [LOG [SECONDS]]: prints the host:port on the "listening" line a server
# writes to OUT, once it is there (at most SECONDS, default 30: python starts slowly on a
# loaded machine); otherwise says WHAT did not start, shows LOG, and returns 1.  OUT must not
# hold an earlier run's line: truncate it (: >OUT) before starting the server again, since a
# background job's own redirection truncates it only once the job runs.
#   U="http://$(listening "$TMP/v.out" verifier "$TMP/v.log")" || exit 1
listening() {
  local out="$1" what="$2" log="${3:-}" a
  for _ in $(seq $((${4:-30} * 20))); do
    a=$(grep -m1 listening "$out" 2>/dev/null | grep -o '127\.0\.0\.1:[0-9]*' | head -1)
    [ -n "$a" ] && { echo "$a"; return 0; }
    sleep 0.05
  done
  echo "FAIL: $what did not start" >&2
  [ -n "$log" ] && sed 's/^/    /' "$log" >&2
  return 1
}

finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

# The simulated TD image (MRTD, RTMR1, RTMR2 are fixed by the simulator): an environment pins
# them, as a real deployment pins its image, or its passports are at most "warning".
# sim_tdx_image_args: "--register mrtd=HEX --register rtmr1=HEX --register rtmr2=HEX" words
# sim_tdx_image_json: {"mrtd":"HEX","rtmr1":"HEX","rtmr2":"HEX"} (for "registers")
sim_tdx_image_json() {
  local d="$TMP/sim-tdx-image"
  [ -s "$d/image.json" ] || {
    "$VT" sim tdx --out "$d" --state "$TMP/sim-tdx-image-state" >/dev/null 2>&1 &&
      "$VT" inspect "$d/quote.bin" | jq -c '[.. | objects | select(has("mrtd"))][0] | {mrtd, rtmr1, rtmr2}' >"$d/image.json"
  }
  cat "$d/image.json"
}
sim_tdx_image_args() {
  sim_tdx_image_json | jq -r 'to_entries[] | "--register\n\(.key)=\(.value)"'
}

# header NAME: the value of response header NAME (any case) in the last output (curl -i), or ""
header() {
  tr -d '\r' <"$TMP/out" | sed -n "s/^$1: //Ip" | head -1
}

# header_once NAME DESCRIPTION: the last output's response headers (curl -i, up to the first empty
# line) hold NAME exactly once
header_once() {
  local n
  n=$(tr -d '\r' <"$TMP/out" | sed '/^$/q' | grep -ic "^$1:")
  if [ "$n" = 1 ]; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL: $2: $1 appears $n times, wanted once"; sed 's/^/    /' "$TMP/out" | head -20; fi
}

# header_is NAME VALUE DESCRIPTION: the last output's response header NAME is exactly VALUE
# ("" = the answer has no such header)
header_is() {
  local got
  got=$(header "$1")
  if [ "$got" = "$2" ]; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL: $3: $1 is '$got', wanted '$2'"; sed 's/^/    /' "$TMP/out" | head -20; fi
}
