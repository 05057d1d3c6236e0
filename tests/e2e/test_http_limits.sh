#!/usr/bin/env bash
# Both services under connection attacks (docs/operations.md), on 127.0.0.1 only:
# 3000 connections that trickle header lines (slowloris) must be capped, closed
# at the request deadline (not kept alive by the trickle), leave /healthz
# answering, and leave only a few summary lines in the log; fd exhaustion must
# pause accepting instead of looping.  Also: two Content-Length headers -> 400,
# rate-limited requests labelled with their route in /metrics.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gateway_lib.sh"
# the system interpreter: a version-manager shim can take seconds to start
PY=$(command -v /usr/bin/python3 || command -v python3) || { echo "skipped: needs python3"; exit 77; }
command -v curl >/dev/null || { echo "skipped: needs curl"; exit 77; }
HERE="$(cd "$(dirname "$0")" && pwd)"
SLOW="$HERE/slowloris.py"

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
# jf FILE EXPR: a value from the slowloris JSON report
jf() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], d))' "$1" "$2"; }

# start_verifier NAME ARGS...: sets VPORT and VPID
start_verifier() {
  local name="$1"; shift
  "$VT" verifier --listen 127.0.0.1:0 --state "$TMP/state" --trust-sim "$@" >"$TMP/$name.out" 2>"$TMP/$name.log" &
  VPID=$!
  PIDS="$PIDS $VPID"
  VPORT=""
  for _ in $(seq 100); do
    VPORT=$(sed -n 's/.*:\([0-9]*\) (store.*/\1/p' "$TMP/$name.out" 2>/dev/null)
    [ -n "$VPORT" ] && break
    sleep 0.05
  done
  [ -n "$VPORT" ] || { echo "FAIL: verifier $name did not start"; cat "$TMP/$name.log"; exit 1; }
}

# check_attack REPORT LOG CAP DEADLINE: what must hold after slowloris.py
check_attack() {
  local r="$1" log="$2" cap="$3" deadline="$4" what="$5"
  [ "$(jf "$r" still_open_at_end)" = 0 ] && ok || bad "$what: trickling connections outlived the deadline: $(cat "$r")"
  [ "$(jf "$r" "int(max_lifetime_s <= $deadline + 2)")" = 1 ] && ok || bad "$what: a connection lived past the deadline: $(jf "$r" max_lifetime_s) s"
  # once the burst is over (and the 0.2 s wait at the cap has passed), no more than the per-address cap stay open
  [ "$(jf "$r" "max([n for t, n in open_samples if t > burst_end_s + 0.5] or [0])")" -le "$cap" ] && ok ||
    bad "$what: more than $cap connections from one address stayed open: $(jf "$r" open_samples)"
  [ "$(jf "$r" probes_failed)" = 0 ] && [ "$(jf "$r" probes)" -ge 20 ] && ok || bad "$what: /healthz did not answer throughout: $(cat "$r")"
  local size; size=$(wc -c <"$log")
  [ "$size" -lt 65536 ] && ok || bad "$what: the log grew to $size bytes"
  [ "$(grep -c connection_limits "$log")" -le 12 ] && ok || bad "$what: more than one summary line per second"
  grep -q '"msg":"connection_limits"' "$log" && ok || bad "$what: no connection_limits line in the log"
}

# ---- the verifier: slowloris ----
start_verifier v1 --threads 2 --max-connections 256 --max-per-client 64 --request-timeout 2 --rate 100000 --quiet
timeout 60 "$PY" "$SLOW" --port "$VPORT" --conns 3000 --duration 5 >"$TMP/v1.json" || bad "slowloris client failed"
check_attack "$TMP/v1.json" "$TMP/v1.log" 64 2 verifier
curl -s "http://127.0.0.1:$VPORT/metrics" >"$TMP/out"
contains 'http_connections_closed_by_server_total{reason="max_per_client"}' "refusals counted in metrics"
contains 'http_connections_closed_by_server_total{reason="request_timeout"}' "deadline closes counted in metrics"
contains '# TYPE http_connections_open gauge' "open connections gauge"
grep -q '^http_connections_open 1$' "$TMP/out" && ok || bad "all attack connections released: $(grep '^http_connections_open' "$TMP/out")"

# ---- the verifier: framing and metrics labels ----
# two different Content-Length headers: RFC 9112 6.3 requires 400 (evhttp took the first)
printf 'POST /v1/challenge HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 40\r\nConnection: close\r\n\r\n{}' |
  timeout 5 "$PY" -c 'import socket,sys; s=socket.create_connection(("127.0.0.1",int(sys.argv[1]))); s.sendall(sys.stdin.buffer.read()); print(s.recv(4096).decode(errors="replace"))' "$VPORT" >"$TMP/out" 2>&1
contains 'HTTP/1.1 400' "two Content-Length headers -> 400"
contains '"bad_request"' "framing error is JSON"
printf 'POST /v1/challenge HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n' |
  timeout 5 "$PY" -c 'import socket,sys; s=socket.create_connection(("127.0.0.1",int(sys.argv[1]))); s.sendall(sys.stdin.buffer.read()); print(s.recv(4096).decode(errors="replace"))' "$VPORT" >"$TMP/out" 2>&1
contains 'HTTP/1.1 400' "Content-Length with Transfer-Encoding -> 400"
kill "$VPID"; wait "$VPID" 2>/dev/null

start_verifier v2 --threads 1 --rate 1 --burst 2 --quiet
for _ in 1 2 3 4 5; do curl -s -o /dev/null "http://127.0.0.1:$VPORT/healthz"; done
sleep 1.2 # a token for the /metrics request itself
curl -s "http://127.0.0.1:$VPORT/metrics" >"$TMP/out"
contains 'http_requests_total{route="/healthz",method="GET",code="429"}' "rate-limited requests keep their route label"
grep -q 'route="unmatched",method="GET",code="429"' "$TMP/out" && bad "429 labelled unmatched" || ok
kill "$VPID"; wait "$VPID" 2>/dev/null

# ---- the verifier out of file descriptors: accepting pauses, the log stays small ----
(ulimit -n 160; exec "$VT" verifier --listen 127.0.0.1:0 --state "$TMP/state" --trust-sim --threads 2 \
   --max-connections 4096 --max-per-client 4096 --request-timeout 3 --rate 100000 --quiet) >"$TMP/v3.out" 2>"$TMP/v3.log" &
VPID=$!
PIDS="$PIDS $VPID"
for _ in $(seq 100); do VPORT=$(sed -n 's/.*:\([0-9]*\) (store.*/\1/p' "$TMP/v3.out"); [ -n "$VPORT" ] && break; sleep 0.05; done
timeout 60 "$PY" "$SLOW" --port "$VPORT" --conns 1500 --duration 4 >"$TMP/v3.json" || bad "slowloris client failed (fd test)"
size=$(wc -c <"$TMP/v3.log")
[ "$size" -lt 65536 ] && ok || bad "EMFILE: the log grew to $size bytes"
grep -q '"accept_error":"Too many open files"' "$TMP/v3.log" && ok || bad "EMFILE: no accept_error summary: $(tail -3 "$TMP/v3.log")"
grep -q 'Error from accept' "$TMP/v3.log" && bad "EMFILE: libevent's per-accept warning is still logged" || ok
[ "$(grep -c connection_limits "$TMP/v3.log")" -le 10 ] && ok || bad "EMFILE: more than one summary line per second"
curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$VPORT/healthz" >"$TMP/out"
contains 200 "healthz answers once the attack is over"
# CPU: a busy accept loop would burn a core for the whole attack
cpu=$(awk '{print $14 + $15}' "/proc/$VPID/stat")
hz=$(getconf CLK_TCK)
[ "$cpu" -lt $((hz * 4)) ] && ok || bad "EMFILE: $((cpu / hz)) s of CPU in a 5 s attack (busy loop?)"
kill "$VPID"; wait "$VPID" 2>/dev/null

# ---- the gateway: slowloris ----
if [ -x "$ECHO_BIN" ]; then
  start_echo echo
  cat >"$TMP/gw.json" <<JSON
{ "upstream": "http://$ECHO", "threads": 2,
  "limits": { "client_header_timeout_ms": 1500, "client_body_timeout_ms": 1500,
              "max_client_connections": 512, "max_connections_per_client": 64 } }
JSON
  start_gateway gw "$TMP/gw.json"
  timeout 60 "$PY" "$SLOW" --port "${GW##*:}" --conns 3000 --duration 5 --path /v1/models >"$TMP/gw.result" ||
    bad "slowloris client failed (gateway)"
  check_attack "$TMP/gw.result" "$TMP/gw.err" 64 3 gateway
  printf 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 40\r\nConnection: close\r\n\r\n{}' |
    timeout 5 "$PY" -c 'import socket,sys; s=socket.create_connection(("127.0.0.1",int(sys.argv[1]))); s.sendall(sys.stdin.buffer.read()); print(s.recv(4096).decode(errors="replace"))' "${GW##*:}" >"$TMP/out" 2>&1
  contains 'HTTP/1.1 400' "gateway: two Content-Length headers -> 400"
else
  echo "note: $ECHO_BIN not built; gateway part skipped"
fi
finish
