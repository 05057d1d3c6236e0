#!/usr/bin/env bash
# Slow-header attack (slowloris) on both services, on 127.0.0.1 only
# (docs/operations.md).  Each service runs with the common default open-file
# limit (ulimit -n 1024) and its default connection caps; one client opens
# 3000 connections that trickle one header line per connection every second and
# never finish their headers.  Before the connection guard the verifier held
# every one of them (not counted, the idle timeout reset by each line) until
# accept() failed with EMFILE, which libevent retried and logged in a busy loop:
# /healthz timed out and the log grew by megabytes a second.  What must hold:
#  - /healthz answers 200 throughout (probes every 100 ms, from the same address);
#  - the service's descriptors (/proc/PID/fd) stay bounded by its caps;
#  - every trickling connection is closed at the request deadline;
#  - the log grows by at most one summary line per second;
#  - afterwards descriptors return to where they were and normal requests work.
# Then the verifier out of descriptors (limit lowered to 160 while it runs):
# accepting pauses instead of spinning, the log stays small, it recovers.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gateway_lib.sh"
# the system interpreter: a version-manager shim can take seconds to start
PY=$(command -v /usr/bin/python3 || command -v python3) || { echo "skipped: needs python3"; exit 77; }
command -v curl >/dev/null || { echo "skipped: needs curl"; exit 77; }
[ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge 4096 ] || { echo "skipped: the client needs ulimit -n 4096"; exit 77; }
HERE="$(cd "$(dirname "$0")" && pwd)"
SLOW="$HERE/slowloris.py"
CONNS=3000

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
# jf FILE EXPR: a value from the slowloris JSON report
jf() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], d))' "$1" "$2"; }
fds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
# settle PID BASE: waits (5 s at most) for the descriptors to return to BASE (+4)
settle() {
  for _ in $(seq 50); do [ "$(fds "$1")" -le $(($2 + 4)) ] && return 0; sleep 0.1; done
  return 1
}

# check_attack WHAT REPORT LOG PID BASE FD_BOUND DEADLINE
check_attack() {
  local what="$1" r="$2" log="$3" pid="$4" base="$5" bound="$6" deadline="$7"
  echo "$what: $(jf "$r" '"%d connections, %d closed by the server, max %d descriptors, /healthz %d/%d answered (slowest %.2f s)" % (conns, closed_by_server, max_fds, probes - probes_failed, probes, probe_max_s)') (started with $base descriptors); log $(wc -c <"$log") bytes"
  # one probe every 100 ms after the last answer: fewer than 8 in 4 s means answers took seconds
  [ "$(jf "$r" probes_failed)" = 0 ] && [ "$(jf "$r" probes)" -ge 8 ] && ok ||
    bad "$what: /healthz did not answer throughout: $(jf "$r" '(probes, probes_failed, probe_failures)')"
  local maxfd; maxfd=$(jf "$r" max_fds)
  [ "$maxfd" -gt 0 ] && [ "$maxfd" -le $((base + bound)) ] && ok ||
    bad "$what: $maxfd descriptors open during the attack (started with $base, bound $bound more): $(jf "$r" fd_samples)"
  # those opened in the last seconds may still be open at the end, none older than the deadline
  [ "$(jf "$r" "int(still_open_max_age_s <= $deadline + 2)")" = 1 ] && ok ||
    bad "$what: trickling connections outlived the deadline: $(jf "$r" '(still_open_at_end, still_open_max_age_s)')"
  [ "$(jf "$r" "int(max_lifetime_s <= $deadline + 2)")" = 1 ] && ok ||
    bad "$what: a trickling connection lived $(jf "$r" max_lifetime_s) s (deadline $deadline s)"
  local size; size=$(wc -c <"$log")
  [ "$size" -lt 32768 ] && ok || bad "$what: the log grew to $size bytes"
  [ "$(grep -c '"msg":"connection_limits"' "$log")" -le 12 ] && ok || bad "$what: more than one summary line per second"
  grep -q '"msg":"connection_limits"' "$log" && ok || bad "$what: no connection_limits summary in the log"
  grep -q 'Error from accept\|Too many open files' "$log" && bad "$what: ran out of descriptors: $(grep -m1 -e 'Error from accept' -e 'Too many open files' "$log")" || ok
  settle "$pid" "$base" && ok || bad "$what: descriptors did not return to $base after the attack: $(fds "$pid")"
}

# ---- the verifier: default caps (512 in all, 64 per address), 2 s request deadline ----
(ulimit -n 1024; exec "$VT" verifier --listen 127.0.0.1:0 --state "$TMP/state" --trust-sim --threads 2 \
   --request-timeout 2 --quiet) >"$TMP/v.out" 2>"$TMP/v.log" &
VPID=$!
PIDS="$PIDS $VPID"
V="http://$(listening "$TMP/v.out" "the verifier" "$TMP/v.log")" || exit 1
VPORT=${V##*:}
curl -s -o /dev/null "$V/healthz"
base=$(fds "$VPID")
timeout 60 "$PY" "$SLOW" --port "$VPORT" --pid "$VPID" --conns $CONNS --trickle 1 --duration 4 >"$TMP/v.json" ||
  bad "slowloris client failed (verifier)"
# one address: 64 counted, 16 complete requests beyond the cap, 2 loops x 96 waiting for admission
check_attack verifier "$TMP/v.json" "$TMP/v.log" "$VPID" "$base" $((64 + 16 + 2 * 96 + 16)) 2
curl -s "$V/metrics" >"$TMP/out"
contains 'http_connections_closed_by_server_total{reason="max_per_client"}' "verifier: refusals counted in /metrics"
grep -q '^http_connections_open 1$' "$TMP/out" && ok || bad "verifier: attack connections still counted: $(grep '^http_connections_open' "$TMP/out")"
curl -s -X POST "$V/v1/challenge" >"$TMP/out"
contains '"nonce"' "verifier: a challenge after the attack"

# ---- the gateway: default caps, a 2 s request deadline ----
if [ -x "$ECHO_BIN" ]; then
  start_echo echo
  cat >"$TMP/gw.json" <<JSON
{ "upstream": "http://$ECHO", "threads": 2,
  "limits": { "client_header_timeout_ms": 1000, "client_body_timeout_ms": 1000 } }
JSON
  (ulimit -n 1024; exec "$VT" gateway --config "$TMP/gw.json" --listen-plain 127.0.0.1:0) >"$TMP/gw.out" 2>"$TMP/gw.log" &
  GPID=$!
  PIDS="$PIDS $GPID"
  GW=$(listening "$TMP/gw.out" "the gateway" "$TMP/gw.log") || exit 1
  # its defaults (8192 connections, 1024 per address) need more than 1024 descriptors: fitted, with a warning
  grep -q 'open-file limit 1024 is too low' "$TMP/gw.log" && ok || bad "gateway: no warning that the caps were lowered: $(head -3 "$TMP/gw.log")"
  curl -s -o /dev/null "http://$GW/healthz"
  base=$(fds "$GPID")
  timeout 60 "$PY" "$SLOW" --port "${GW##*:}" --pid "$GPID" --conns $CONNS --trickle 1 --duration 4 \
    --path /v1/models >"$TMP/gw.json.r" || bad "slowloris client failed (gateway)"
  # fitted caps: (1024 - 256 spare - 2 loops x 96 waiting) / 2 descriptors - 16 = 272 per address too
  check_attack gateway "$TMP/gw.json.r" "$TMP/gw.log" "$GPID" "$base" $((272 + 16 + 2 * 96 + 16)) 2
  curl -sS -H 'Content-Type: application/json' -w '\n%{http_code}\n' "http://$GW/v1/chat/completions" \
    -d '{"model":"echo","messages":[{"role":"user","content":"after the attack"}]}' >"$TMP/out"
  contains 'after the attack' "gateway: a chat after the attack"
  tail -1 "$TMP/out" | grep -q '^200$' && ok || bad "gateway: chat after the attack: $(tail -1 "$TMP/out")"
else
  echo "note: $ECHO_BIN not built; gateway part skipped"
fi

# ---- the verifier out of descriptors: accepting pauses, the log stays small ----
"$PY" -c 'import resource,sys; resource.prlimit(int(sys.argv[1]), resource.RLIMIT_NOFILE, (160, 160))' "$VPID"
lines0=$(wc -l <"$TMP/v.log")
cpu0=$(awk '{print $14 + $15}' "/proc/$VPID/stat")
timeout 60 "$PY" "$SLOW" --port "$VPORT" --pid "$VPID" --conns 1500 --trickle 1 --duration 3 >"$TMP/v3.json" ||
  bad "slowloris client failed (out of descriptors)"
tail -n +$((lines0 + 1)) "$TMP/v.log" >"$TMP/v3.log"
size=$(wc -c <"$TMP/v3.log")
[ "$size" -lt 16384 ] && ok || bad "EMFILE: the log grew by $size bytes"
grep -q '"accept_error":"Too many open files"' "$TMP/v3.log" && ok || bad "EMFILE: no accept_error summary: $(tail -3 "$TMP/v3.log")"
grep -q 'Error from accept' "$TMP/v3.log" && bad "EMFILE: libevent's per-accept warning is still logged" || ok
[ "$(grep -c '"msg":"connection_limits"' "$TMP/v3.log")" -le 8 ] && ok || bad "EMFILE: more than one summary line per second"
# a busy accept loop burns a core for the whole attack; pausing uses a small fraction
cpu=$(($(awk '{print $14 + $15}' "/proc/$VPID/stat") - cpu0))
hz=$(getconf CLK_TCK)
[ "$cpu" -lt $((hz * 2)) ] && ok || bad "EMFILE: $((cpu / hz)) s of CPU in a 3 s attack (busy loop?)"
for _ in $(seq 30); do
  [ "$(curl -s --max-time 2 -o /dev/null -w '%{http_code}' "$V/healthz")" = 200 ] && break
  sleep 0.2
done
[ "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "$V/healthz")" = 200 ] && ok || bad "EMFILE: /healthz does not answer after the attack"
kill "$VPID"
wait "$VPID" 2>/dev/null
[ $? -eq 0 ] && ok || bad "the verifier did not stop cleanly"
finish
