#!/usr/bin/env bash
# The gateway's write paths to a plain client and to the upstream, over real processes on
# 127.0.0.1: veritee gateway (one thread) in front of bulk_upstream.py, clients from
# slow_client.py.
#  - a reply is written to the client at once (gwp_flush_now): with "Connection: close" the
#    client gets the whole reply, plain or streamed, and then the gateway closes the connection;
#  - a reply far larger than the socket buffers, to a client that reads slowly, arrives whole
#    and byte-exact (the partial write is continued, not lost), also twice on one kept-alive
#    connection;
#  - a request body far larger than the socket buffers, written at once on a kept-alive
#    upstream connection to an upstream that reads late, reaches the upstream whole.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gateway_lib.sh"
command -v curl >/dev/null && command -v jq >/dev/null && command -v python3 >/dev/null ||
  { echo "skipped: needs curl, jq and python3"; exit 77; }
HERE="$(dirname "$0")"
# Bodies 2 MB larger than any socket send buffer can grow (net.ipv4.tcp_wmem's maximum, which
# loopback connections soon reach), so no single write can take one whole.
wmax=$(awk '{print $3}' /proc/sys/net/ipv4/tcp_wmem 2>/dev/null)
BIG=$(( ( (${wmax:-4194304} > 2097152 ? ${wmax:-4194304} : 2097152) + 2097152) / 4 * 4 ))

# start_bulk NAME [flags...]: sets $BULK (host:port)
start_bulk() {
  local name="$1"; shift
  python3 "$HERE/bulk_upstream.py" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
  PIDS="$PIDS $!"
  BULK=$(listening "$TMP/$name.out" "bulk upstream" "$TMP/$name.err") || exit 1
}
gateway_for() { # gateway_for NAME UPSTREAM: sets $GW
  cat >"$TMP/$1.json" <<JSON
{"upstream": "http://$2", "threads": 1, "environment": "test-env",
 "limits": {"upstream_idle_timeout_ms": 5000, "max_request_bytes": $((BIG + 65536)),
            "max_response_bytes": $((2 * BIG + 65536))}}
JSON
  start_gateway "$1" "$TMP/$1.json"
  GW_NAME=$1
}
chat() { # chat FILE MODEL CONTENT [stream]: a request body in FILE
  printf '{"model":"%s","messages":[{"role":"user","content":"%s"}]%s}' "$2" "$3" "${4:+,\"stream\":true}" >"$1"
}
client() { # client BODY-FILE [flags...]: the client's lines in $TMP/out; passes when it exits 0
  python3 "$HERE/slow_client.py" --addr "$GW" --body "$@" >"$TMP/out" 2>&1
}
check() { # check DESCRIPTION command...: passes when the command succeeds; else shows the client and gateway
  local what="$1"; shift
  if "$@" >/dev/null; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL: $what"; sed 's/^/    /' "$TMP/out" | head -10
    kill -0 "$GW_PID" 2>/dev/null || echo "    (the gateway has exited)"; tail -3 "$TMP/$GW_NAME.err" | sed 's/^/    /'; fi
}
reply() { sed -n "${1}p" "$TMP/out"; }             # reply N: the client's line for reply N
last() { curl -sS --max-time 5 "http://$BULK/_last"; } # what the upstream got and sent last
sha() { sha256sum | cut -d' ' -f1; }
pattern_sha() { # pattern_sha N: the SHA-256 of the upstream's N-byte "bulk-N" content
  python3 -c "import sys; sys.path.insert(0, sys.argv[1]); import bulk_upstream, hashlib
print(hashlib.sha256(bulk_upstream.pattern(int(sys.argv[2]))).hexdigest())" "$HERE" "$1"
}

start_bulk bulk
gateway_for gw "$BULK"

# (a) "Connection: close": the whole reply, then the gateway closes (no hang).
chat "$TMP/small.json" bulk-echo 'close after this'
check "plain reply with Connection: close, then closed" client "$TMP/small.json" --timeout 10
check "plain reply is 200 and whole" jq -e -s '.[0].status == 200 and .[0].content_len == 16 and .[1].closed' "$TMP/out"
check "plain reply is the upstream's" \
  test "$(reply 1 | jq -r .sha256)" = "$(last | jq -r .response_sha256)"
chat "$TMP/small-s.json" bulk-20000 x s
check "streamed reply with Connection: close, then closed" client "$TMP/small-s.json" --timeout 10
check "streamed reply is 200, whole, ends with DONE" \
  jq -e -s '.[0].status == 200 and .[0].content_len == 20000 and .[0].done and .[1].closed' "$TMP/out"
check "streamed content is the upstream's" test "$(reply 1 | jq -r .content_sha256)" = "$(pattern_sha 20000)"
check "two plain replies on one connection, then closed" client "$TMP/small.json" --count 2 --timeout 10
check "both replies whole" jq -e -s 'length == 3 and .[0].status == 200 and .[1].status == 200 and .[2].closed' "$TMP/out"

# (b) A reply of BIG bytes to a slow reader: whole and byte-exact, plain and streamed, and
# twice on one kept-alive connection.
want=$(pattern_sha "$BIG")
chat "$TMP/big.json" "bulk-$BIG" x
check "big plain reply to a slow reader" client "$TMP/big.json" --slow --count 2 --timeout 60
check "big plain replies whole" \
  jq -e -s --argjson n "$BIG" 'length == 3 and all(.[0:2][]; .status == 200 and .content_len == $n) and .[2].closed' \
  "$TMP/out"
check "big plain reply byte-exact" test "$(reply 2 | jq -r .sha256)" = "$(last | jq -r .response_sha256)"
check "big plain content is the pattern" test "$(reply 1 | jq -r .content_sha256)" = "$want"
chat "$TMP/big-s.json" "bulk-$BIG" x s
check "big stream to a slow reader" client "$TMP/big-s.json" --slow --timeout 60
check "big stream whole" \
  jq -e -s --argjson n "$BIG" '.[0].status == 200 and .[0].content_len == $n and .[0].done and .[1].closed' "$TMP/out"
check "big stream content is the pattern" test "$(reply 1 | jq -r .content_sha256)" = "$want"

# (c) The same over TLS: OpenSSL's bufferevent writes the reply in the pass that completes it
# (gwp_flush_now makes its write event active); a slow reader still gets it whole, and a streamed
# reply with "Connection: close" ends and closes.
"$VT" gateway --config "$TMP/gw.json" --listen 127.0.0.1:0 >"$TMP/gwt.out" 2>"$TMP/gwt.err" &
PIDS="$PIDS $!"
GWT=$(listening "$TMP/gwt.out" "TLS gateway" "$TMP/gwt.err") || exit 1
tls() { # tls BODY-FILE [curl flags...]: the reply in $TMP/tls.out, the status on stdout
  local body="$1"; shift
  curl -sk --max-time 60 -o "$TMP/tls.out" -w '%{http_code}' -H 'Content-Type: application/json' "$@" \
    -d @"$body" "https://$GWT/v1/chat/completions"
}
check "big plain reply over TLS to a slow reader is 200" test "$(tls "$TMP/big.json" --limit-rate 3M)" = 200
check "big plain reply over TLS whole" \
  test "$(jq -j '.choices[0].message.content' "$TMP/tls.out" | sha)" = "$(pattern_sha "$BIG")"
check "streamed reply over TLS with Connection: close is 200" \
  test "$(tls "$TMP/small-s.json" -N -H 'Connection: close')" = 200
check "streamed reply over TLS ends with DONE" grep -q '^data: \[DONE\]' "$TMP/tls.out"

# (b) A request body of BIG bytes, written at once on a kept-alive upstream connection to an
# upstream that keeps small buffers and reads late: it arrives whole, and its echo comes back whole.
start_bulk late --read-delay 0.3
gateway_for gw2 "$BULK"
check "a first request opens the upstream connection" client "$TMP/small.json" --timeout 10
first=$(last | jq .connection)
content=$(head -c $((BIG / 4 * 3)) /dev/urandom | base64 -w0) # exactly BIG characters
chat "$TMP/huge.json" bulk-echo "$content"
want=$(printf '%s' "$content" | sha)
check "big request echoed" client "$TMP/huge.json" --slow --timeout 60
check "big echo whole" jq -e -s --argjson n "$BIG" '.[0].status == 200 and .[0].content_len == $n and .[1].closed' "$TMP/out"
check "big echo byte-exact" test "$(reply 1 | jq -r .content_sha256)" = "$want"
check "the upstream got the big content whole" \
  jq -e --arg w "$want" --argjson n "$BIG" '.content_len == $n and .content_sha256 == $w' <<<"$(last)"
check "on the kept-alive upstream connection (the direct write)" jq -e --argjson c "$first" '.connection == $c' <<<"$(last)"
# Everything the gateways logged is one JSON object per line: libevent's own messages too (a reply
# that waited for the socket to drain, then Connection: close, made libevent warn in plain text).
for f in "$TMP"/gw*.err; do
  n=$(grep -cv '^{' "$f")
  if [ "$n" = 0 ]; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL: $(basename "$f"): $n log lines are not JSON"; grep -v '^{' "$f" | head -3 | sed 's/^/    /'; fi
done
finish
