#!/usr/bin/env bash
# Differential test of the request side: a corpus (request_corpus.py, written
# from the OpenAI API reference) puts a marker address in every string position
# of every accepted shape of the three routes; each request goes through a real
# gateway, with marker-carrying client headers and a query string, to an
# upstream that records everything it receives (capture_upstream.py).  No
# marker, client header or query string may reach it: accepted shapes arrive
# redacted, refused ones (token IDs, unknown fields, media, duplicate keys,
# trailing bytes) get a 400 naming the field and never leave the gateway.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gateway_lib.sh"
command -v curl >/dev/null && command -v python3 >/dev/null && command -v jq >/dev/null ||
  { echo "skipped: needs curl, python3 and jq"; exit 77; }
HERE="$(cd "$(dirname "$0")" && pwd)"

: >"$TMP/capture.jsonl"
python3 "$HERE/capture_upstream.py" --capture "$TMP/capture.jsonl" >"$TMP/up.out" 2>"$TMP/up.err" &
PIDS="$PIDS $!"
UP=$(listening "$TMP/up.out" "capture upstream" "$TMP/up.err") || exit 1
cat >"$TMP/gw.json" <<JSON
{"upstream": "http://$UP", "threads": 1,
 "auditors": [{"name": "pii", "actions": {"email": "redact"}}]}
JSON
start_gateway gw "$TMP/gw.json" --allow-unverified
U="http://$GW"

python3 "$HERE/request_corpus.py" >"$TMP/corpus.jsonl"
total=$(wc -l <"$TMP/corpus.jsonl")
want_fwd=0
i=0
while IFS= read -r line; do
  i=$((i + 1))
  path=$(jq -r .path <<<"$line"); expect_=$(jq -r .expect <<<"$line")
  jq -j .body <<<"$line" >"$TMP/body"
  code=$(curl -sS -o "$TMP/resp" -w '%{http_code}' --max-time 10 "$U$path?leak=marker.q$i@example.com" \
    -H 'Content-Type: application/json' -H "X-Leak: marker.h$i@example.com" \
    -H "Authorization: Bearer marker.a$i@example.com" -H "Cookie: s=marker.c$i@example.com" \
    -H "OpenAI-Organization: marker.o$i@example.com" -H "X-Stainless-OS: marker.s$i@example.com" \
    --data-binary @"$TMP/body")
  if [ "$expect_" = redact ]; then
    want_fwd=$((want_fwd + 1))
    [ "$code" = 200 ] && ok=1 || ok=0
  else
    [ "$code" = 400 ] && jq -e '.error.message|test("field|JSON object")' "$TMP/resp" >/dev/null && ok=1 || ok=0
  fi
  if [ "$ok" = 1 ]; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL: corpus line $i ($expect_ $path): HTTP $code $(head -c 300 "$TMP/resp")"; fi
done <"$TMP/corpus.jsonl"

# What the upstream received: one request per accepted shape, and no marker anywhere.
got=$(wc -l <"$TMP/capture.jsonl")
[ "$got" -eq "$want_fwd" ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: the upstream got $got requests, want $want_fwd of $total"; }
n=$(grep -o 'marker[.][a-z0-9]*@example[.]com' "$TMP/capture.jsonl" | sort -u | head -5)
[ -z "$n" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: markers reached the upstream: $n"; }
# Each marker of an accepted shape arrived as exactly one placeholder.
markers=$(grep '"expect": "redact"' "$TMP/corpus.jsonl" | grep -o 'marker[.][0-9]*@example[.]com' | wc -l)
ph=$(grep -o '\[EMAIL_[0-9]*\]' "$TMP/capture.jsonl" | wc -l)
[ "$ph" -eq "$markers" ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: $ph placeholders upstream for $markers markers"; }
# Only the gateway's own headers, and no query string.
jq -r '.headers[][0]' "$TMP/capture.jsonl" | tr 'A-Z' 'a-z' | sort -u >"$TMP/hdrs"
extra=$(grep -v -x -e host -e accept -e accept-encoding -e content-type -e content-length "$TMP/hdrs" | tr '\n' ' ')
[ -z "$extra" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: client headers upstream: $extra"; }
q=$(jq -r '.target' "$TMP/capture.jsonl" | grep -c '?')
[ "$q" -eq 0 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: $q query strings upstream"; }
finish
