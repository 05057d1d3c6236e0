#!/usr/bin/env bash
# A hostile upstream (hostile_upstream.py) behind a real gateway with receipts
# (verifier --trust-sim, TDX simulator): every response trick, plain and
# streamed, and the client (curl, veritee chat) never reads the marker
# address; a reply the gateway cannot audit becomes a 502 with a signed
# receipt that says the response failed, and veritee chat does not call it
# verified; the upstream can neither forge nor break the receipt.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gateway_lib.sh"
command -v curl >/dev/null && command -v jq >/dev/null && command -v python3 >/dev/null ||
  { echo "skipped: needs curl, jq and python3"; exit 77; }
MARK="leak.marker@example.com"

start_sim_verifier
start_hostile

mkdir -p "$TMP/model"
printf 'tiny test model\n' >"$TMP/model/m.gguf"
cat >"$TMP/gw.json" <<JSON
{"upstream": "http://$HOSTILE", "verifier": "$V", "environment": "gw", "models": ["$TMP/model"],
 "auditors": [{"name": "pii", "phases": ["request", "response"], "actions": {"email": "redact", "card": "redact"}}]}
JSON
"$VT" gateway --config "$TMP/gw.json" --platform tdx --simulate --measure-only >"$TMP/m.json" 2>"$TMP/m.err" ||
  { echo "FAIL: gateway --measure-only"; cat "$TMP/m.err"; exit 1; }
mapfile -t envargs < <(jq -r '.events[] | "--\(.component)\n\(.digest)"' "$TMP/m.json")
mapfile -t image < <(sim_tdx_image_args) # the simulated TD image, pinned as a deployment pins its own
"$VT" env create gw --verifier "$V" --admin-token-file "$TMP/admin-token" --allow-simulated --min-tcb any \
  "${envargs[@]}" "${image[@]}" >/dev/null || { echo "FAIL: env create gw"; exit 1; }
"$VT" gateway --config "$TMP/gw.json" --listen-plain 127.0.0.1:0 --platform tdx --simulate --threads 1 \
  >"$TMP/gw.out" 2>"$TMP/gw.err" &
PIDS="$PIDS $!"
GW=$(listening "$TMP/gw.out" "gateway" "$TMP/gw.err") || exit 1

post() { # post MODE [stream]: the reply with headers in $TMP/out
  curl -sS -i --max-time 10 -H 'Content-Type: application/json' "http://$GW/v1/chat/completions" \
    -d "{\"model\":\"hostile-$1\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]${2:+,\"stream\":true}}" \
    >"$TMP/out" 2>&1
}
clean() { # clean DESCRIPTION: no piece of the marker reached the client
  lacks "$MARK" "$1: the marker address"
  lacks "leak.mar" "$1: the marker's first half"
  lacks "ker@example.com" "$1: the marker's second half"
}
receipt_says() { # receipt_says JQ-FILTER DESCRIPTION: the Veritee-Receipt header (or event) satisfies it
  local tok
  tok=$(tr -d '\r' <"$TMP/out" | sed -n 's/^Veritee-Receipt: //p' | head -1)
  [ -n "$tok" ] || tok=$(tr -d '\r' <"$TMP/out" | sed -n '/^event: veritee-receipt$/{n;s/^data: //p}' | tail -1)
  if [ -n "$tok" ] && "$VT" receipt show --json "$tok" 2>/dev/null | jq -e "$1" >/dev/null; then
    passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL: $2"; "$VT" receipt show --json "$tok" 2>&1 | head -30; fi
}

# A header line longer than the gateway reads (8 KiB), even whole in one write: a 502, not a hang.
post longheader
contains "HTTP/1.1 502" "long header line: 502"
contains "overlong header line" "long header line: says why"

# Every string position of a parsable reply is audited: the client gets placeholders.
post fields
contains "HTTP/1.1 200" "fields: 200"
clean "fields"
contains "[EMAIL_" "fields: placeholders"
receipt_says '.coverage.audited == ["request","response"] and .coverage.failed == [] and .status == 200 and .content_type == "application/json"' \
  "fields: the receipt covers status, content type and the audited response"
receipt_says '[.auditors[] | select(.phase == "response") | .findings.email] == [15]' \
  "fields: the receipt counts every marker (15 positions)"

# An error body passes the response auditors too.
post error
contains "HTTP/1.1 400" "error body: status kept"
clean "error body"
contains "bad request from [EMAIL_1]" "error body: redacted"
receipt_says '.status == 400 and .coverage.audited == ["request","response"]' "error body: receipt"

# Content as parts (Mistral's API): each part's text audited in place; the marker split between two
# text parts, which a client joins, cannot be redacted in them and is refused.
post parts
contains "HTTP/1.1 200" "parts: 200"
clean "parts"
contains '"text":"think [EMAIL_1]"' "parts: the thinking part is redacted"
contains '"text":"mail [EMAIL_2]"' "parts: the text part is redacted"
post parts-split
contains "HTTP/1.1 502" "parts-split: 502"
contains '"code":"upstream_unauditable"' "parts-split: upstream_unauditable"
lacks "mple.com" "parts-split: the marker's second half"
receipt_says '.coverage.failed == ["response"] and .status == 502' "parts-split: the receipt says the response failed"

# Upstream headers: only the allow-list reaches the client; the upstream's receipt never does.
post headers
clean "headers"
lacks "forged.receipt" "headers: the upstream's Veritee-Receipt is stripped"
lacks "Set-Cookie" "headers: Set-Cookie is stripped"
lacks "X-Leak" "headers: X- headers are stripped"
n=$(grep -ci '^Veritee-Receipt:' "$TMP/out")
if [ "$n" -eq 1 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $n Veritee-Receipt headers"; fi

# Bodies the gateway cannot audit: 502 upstream_unauditable and a receipt that says the response failed.
for m in dupkey trailing gzip sse-as-json badutf8 text stream-gzip; do
  post "$m"
  contains "HTTP/1.1 502" "$m: 502"
  contains '"code":"upstream_unauditable"' "$m: upstream_unauditable"
  clean "$m"
  receipt_says '.coverage.failed == ["response"] and .coverage.audited == ["request"] and .status == 502' \
    "$m: the receipt says the response could not be audited"
done
post dupkey
contains "duplicate key" "dupkey: the error names why"
post gzip
contains "Content-Encoding" "gzip: the error names why"

# Streams: split markers, message chunks, n = 2, tool calls, logprobs, upstream id/event/retry
# and a forged veritee-receipt event.
post stream s
contains "HTTP/1.1 200" "stream: 200"
clean "stream"
lacks "forged.receipt" "stream: the upstream's veritee-receipt event is dropped"
lacks "id: " "stream: upstream id fields are dropped"
lacks "retry:" "stream: upstream retry fields are dropped"
lacks "X-Leak" "stream: headers are stripped"
contains '"index":1' "stream: the second choice's text is not dropped"
contains "data: [DONE]" "stream: [DONE] is kept"
n=$(grep -c '^event: ' "$TMP/out")
if [ "$n" -eq 1 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $n event: lines (want only the receipt)"; fi
receipt_says '.coverage.audited == ["request","response"] and .streamed and .status == 200 and .content_type == "text/event-stream"' \
  "stream: the receipt says the stream was audited"
receipt_says '[.auditors[] | select(.phase == "response") | .findings.email] == [7]' \
  "stream: every choice's and field's findings reach the receipt (7)"
# joined_calls KIND FILE CHECK: the streamed tool calls in FILE joined as a client's program joins
# them (per index: id, type, name and the function's arguments or the custom call's input, each
# the concatenation of its pieces), then CHECK (Python asserts over calls) run on them.
joined_calls() {
  python3 -c '
import json, sys
kind, part = sys.argv[1], "arguments" if sys.argv[1] == "function" else "input"
calls = {}
for line in open(sys.argv[2], encoding="utf-8"):
    line = line.rstrip("\r\n")
    if not line.startswith("data: {"):
        continue
    for c in json.loads(line[6:]).get("choices", []):
        for t in c.get("delta", {}).get("tool_calls", []):
            k = calls.setdefault(t["index"], {"id": "", "type": "", "name": "", part: ""})
            k["id"] += t.get("id", "")
            k["type"] += t.get("type", "")
            k["name"] += t.get(kind, {}).get("name", "")
            k[part] += t.get(kind, {}).get(part, "")
exec(sys.argv[3])
' "$1" "$2" "$3"
}
# Streamed tool calls whose arguments write the marker and a card with JSON escapes, in pieces (one
# escape cut between two events): held per call, audited whole and decoded when the call is
# complete, sent in one piece; the client's program, joining the pieces, reads placeholders.
post stream-args s
contains "HTTP/1.1 200" "stream-args: 200"
clean "stream-args"
lacks "4111" "stream-args: the card"
contains "data: [DONE]" "stream-args: [DONE] is kept"
if joined_calls function "$TMP/out" '
a = json.loads(calls[0]["arguments"])
assert (calls[0]["id"], calls[0]["name"], calls[1]["id"], calls[1]["name"]) == ("call_a", "send", "call_b", "note"), calls
assert a == {"to": "[EMAIL_1]", "card": "[CARD_1]"}, a
assert calls[1]["arguments"] == "{ \"text\": \"hi\" }", calls[1]
'; then passed=$((passed + 1)); else
  failed=$((failed + 1)); echo "FAIL: stream-args: the client's program reads the audited arguments, the clean call as written"; fi
receipt_says '.coverage.audited == ["request","response"] and ([.auditors[] | select(.phase == "response") | .findings.email, .findings.card] == [1, 1])' \
  "stream-args: the receipt counts the address and the card found inside the arguments"
# Cut in the middle of a call's arguments (more of them than a holdback had arrived): nothing of
# them reaches the client, and the receipt says the response was not fully audited.
post stream-args-die s
clean "stream-args-die"
lacks "held tail" "stream-args-die: the held arguments are dropped"
contains '"code":"upstream_error"' "stream-args-die: error event"
receipt_says '.streamed and .coverage.audited == ["request"] and .coverage.failed == []' \
  "stream-args-die: the receipt says the response was cut short"
# Streamed custom tool calls, whose input is plain text: the marker and a card split between two
# events' pieces are found in the whole input, held per call and sent in one piece; the client's
# program, joining the pieces, reads placeholders, and the clean call as written.
post stream-custom s
contains "HTTP/1.1 200" "stream-custom: 200"
clean "stream-custom"
lacks "4111" "stream-custom: the card"
contains "data: [DONE]" "stream-custom: [DONE] is kept"
if joined_calls custom "$TMP/out" '
assert [(k["id"], k["type"], k["name"]) for k in (calls[0], calls[1])] == [
    ("call_shell", "custom", "shell"), ("call_note", "custom", "note")], calls
assert calls[0]["input"] == "mail [EMAIL_1] card [CARD_1]\n", calls[0]
assert calls[1]["input"] == "echo \"hi\" \\ done", calls[1]
'; then passed=$((passed + 1)); else
  failed=$((failed + 1)); echo "FAIL: stream-custom: the client's program reads the scanned input, the clean call as written"; fi
receipt_says '.coverage.audited == ["request","response"] and ([.auditors[] | select(.phase == "response") | .findings.email, .findings.card] == [1, 1])' \
  "stream-custom: the receipt counts the address and the card found in the whole input"
# Cut in the middle of a custom call's input: nothing of it reaches the client.
post stream-custom-die s
clean "stream-custom-die"
lacks "held tail" "stream-custom-die: the held input is dropped"
contains '"code":"upstream_error"' "stream-custom-die: error event"
receipt_says '.streamed and .coverage.audited == ["request"] and .coverage.failed == []' \
  "stream-custom-die: the receipt says the response was cut short"
# A call still open at the end whose arguments cannot be audited whole (nested too deeply): an
# error event, no [DONE], and a receipt that says the response failed.
post stream-args-deep s
clean "stream-args-deep"
contains "upstream_unauditable" "stream-args-deep: error event"
lacks "[DONE]" "stream-args-deep: no [DONE]"
receipt_says '.streamed and .coverage.failed == ["response"]' "stream-args-deep: the receipt says the response failed"
# A tool call that starts after its choice's finish_reason: the stream ends there with an error
# event, nothing of the late call (its id, its name, its arguments) is sent, no [DONE], and the
# receipt says the response failed; the call before it was sent whole.
post stream-late-call s
clean "stream-late-call"
contains '"code":"upstream_unauditable"' "stream-late-call: error event"
contains "after its finish_reason" "stream-late-call: the error names why"
lacks "late_tool" "stream-late-call: the late call's name"
lacks "call_late" "stream-late-call: the late call's id"
lacks "[DONE]" "stream-late-call: no [DONE]"
contains '{\"text\": \"hi\"}' "stream-late-call: the call before it is sent whole"
receipt_says '.streamed and .coverage.failed == ["response"]' "stream-late-call: the receipt says the response failed"
# A tool call's name in two clean pieces that the client's program joins into the marker: the
# stream ends with an error event at the second piece, and the joined name is not the marker.
post stream-name-split s
contains '"code":"upstream_unauditable"' "stream-name-split: error event"
lacks "[DONE]" "stream-name-split: no [DONE]"
if joined_calls function "$TMP/out" 'assert "example.com" not in calls[0]["name"], calls'; then
  passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: stream-name-split: the joined name is the marker"; fi
receipt_says '.streamed and .coverage.failed == ["response"]' "stream-name-split: the receipt says the response failed"
# A choice that streams the marker's start as message chunks and its end as delta chunks: a client
# reading the delta when there is one and the message otherwise would join them; refused where the
# choice switches.
post stream-holder-switch s
lacks "$MARK" "stream-holder-switch: the marker address"
if python3 -c '
import json, sys
text = ""
for line in open(sys.argv[1], encoding="utf-8"):
    if line.startswith("data: {"):
        for c in json.loads(line[6:]).get("choices", []):
            h = c.get("delta") if c.get("delta") is not None else c.get("message") or {}
            text += h.get("content") or ""
assert sys.argv[2] not in text, text
' "$TMP/out" "$MARK"; then
  passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: stream-holder-switch: a client reading the delta or else the message reads the marker"; fi
lacks "mple.com" "stream-holder-switch: the delta's half"
contains '"code":"upstream_unauditable"' "stream-holder-switch: error event"
lacks "[DONE]" "stream-holder-switch: no [DONE]"
receipt_says '.streamed and .coverage.failed == ["response"]' "stream-holder-switch: the receipt says the response failed"
# Content as Mistral streams it for a reasoning model: lists of thinking and text parts, the marker
# split between two events' parts in the reasoning and in the answer.  A client joining the parts
# reads placeholders, the reasoning whole before the answer, and the stream ends as it should.
parts_view() { # parts_view FILE PYTHON: answer, thinking and every text ("all") joined across events
  python3 -c '
import json, sys
answer = thinking = every = ""
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.rstrip("\r\n")
    if not line.startswith("data: {"):
        continue
    for c in json.loads(line[6:]).get("choices", []):
        v = c.get("delta", {}).get("content")
        if isinstance(v, str):
            answer += v
            every += v
        for p in v if isinstance(v, list) else []:
            if p["type"] == "text":
                answer += p["text"]
                every += p["text"]
            for q in p.get("thinking", []) if p["type"] == "thinking" else []:
                thinking += q.get("text", "")
                every += q.get("text", "")
exec(sys.argv[2])
' "$1" "$2"
}
post stream-parts s
contains "HTTP/1.1 200" "stream-parts: 200"
clean "stream-parts"
if parts_view "$TMP/out" 'assert (answer, thinking, every) == ("mail [EMAIL_1] now", "think [EMAIL_1] ok. Done.",
    "think [EMAIL_1] ok. Done.mail [EMAIL_1] now"), (answer, thinking, every)'; then
  passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: stream-parts: what the client joins"; fi
contains '"reference_ids":[1]' "stream-parts: the reference part is sent"
contains '"total_tokens":10' "stream-parts: the usage is sent"
contains "data: [DONE]" "stream-parts: [DONE] is kept"
lacks "upstream_unauditable" "stream-parts: no error"
receipt_says '.streamed and .coverage.audited == ["request","response"] and .coverage.failed == []' \
  "stream-parts: the receipt says the stream was audited"
# The marker split between the end of the reasoning and the start of the answer: a client joining
# every text of the list would read it whole, so the stream fails before the answer's half is sent
# (the reasoning, released whole before the answer, went out: no address on its own).
post stream-parts-boundary s
lacks "$MARK" "stream-parts-boundary: the marker address"
lacks "mple.com" "stream-parts-boundary: the answer's half"
contains '"code":"upstream_unauditable"' "stream-parts-boundary: error event"
lacks "[DONE]" "stream-parts-boundary: no [DONE]"
receipt_says '.streamed and .coverage.failed == ["response"]' "stream-parts-boundary: the receipt says the response failed"
# What servers send after a finish_reason (an empty delta, the finish_reason again, a content-filter
# annotation, the usage-only chunk with timings) still passes, audited.
post stream-trailers s
contains "HTTP/1.1 200" "stream-trailers: 200"
clean "stream-trailers"
contains "mail [EMAIL_1]" "stream-trailers: the split marker is redacted"
contains '"severity":"safe"' "stream-trailers: the annotation is sent"
contains '"total_tokens":4' "stream-trailers: the usage chunk is sent"
contains "data: [DONE]" "stream-trailers: [DONE] is kept"
lacks "upstream_unauditable" "stream-trailers: no error"
receipt_says '.streamed and .coverage.audited == ["request","response"] and .coverage.failed == []' \
  "stream-trailers: the receipt says the stream was audited"
# Real servers' last chunks: a message-only stream ending with an empty delta, SGLang's hidden
# states (numbers) and its routed experts (a chunk with no choice) after the finish_reason: they
# pass, audited, the split marker redacted.
for m in stream-message-trailer stream-routed-experts stream-hidden-states; do
  post "$m" s
  contains "HTTP/1.1 200" "$m: 200"
  clean "$m"
  contains "mail [EMAIL_1] now" "$m: the split marker is redacted"
  contains "data: [DONE]" "$m: [DONE] is kept"
  lacks "upstream_unauditable" "$m: no error"
  receipt_says '.streamed and .coverage.audited == ["request","response"] and .coverage.failed == []' \
    "$m: the receipt says the stream was audited"
done
contains '"hidden_states":[0.125,-2.5,3' "stream-hidden-states: the hidden states are sent"
post stream-routed-experts s
contains '"sglext":{"routed_experts":"BQAAABEAAAAD' "stream-routed-experts: the routing trace is sent"
# Hidden states that are not numbers, a finish_reason that is a number, a part of a type no server
# documents, Mistral's image_url parts at different places in the list, a member of the choice no
# server documents, each holding half the marker: the stream ends with an error event, the marker
# whole nowhere, no [DONE].
for m in stream-hidden-text stream-finish-number stream-parts-unknown stream-parts-image stream-choice-member-split; do
  post "$m" s
  lacks "$MARK" "$m: the marker address"
  lacks "mple.com" "$m: the marker's second half"
  contains '"code":"upstream_unauditable"' "$m: error event"
  lacks "[DONE]" "$m: no [DONE]"
  receipt_says '.streamed and .coverage.failed == ["response"]' "$m: the receipt says the response failed"
done
for m in stream-json stream-partial stream-dupkey; do
  post "$m" s
  clean "$m"
  contains "upstream_unauditable" "$m: error event"
  receipt_says '.coverage.failed == ["response"]' "$m: the receipt says the response failed"
done

# The model list is text the client reads too: audited, or refused.
curl -sS -i --max-time 10 "http://$GW/v1/models" >"$TMP/out" 2>&1
contains "HTTP/1.1 200" "models: 200"
clean "models"
contains "[EMAIL_1]" "models: the marker is redacted in the list"
curl -sS -i --max-time 10 "http://$GW/v1/models/gzip" >"$TMP/out" 2>&1
contains "HTTP/1.1 502" "models/gzip: 502"
contains "upstream_unauditable" "models/gzip: named unauditable"
clean "models/gzip"
# The list labelled as an event stream is not streamed past the response auditors.
curl -sS -i --max-time 10 "http://$GW/v1/models/sse" >"$TMP/out" 2>&1
contains "HTTP/1.1 502" "models/sse: 502"
contains "upstream_unauditable" "models/sse: named unauditable"
clean "models/sse"

# veritee chat: verified only when the answer was audited; never prints the marker.
expect 0 "chat: every field" -- "$VT" chat --gateway "http://$GW" --verifier "$V" --trust-sim --model hostile-fields hi
clean "chat: every field"
contains "verified: the answer came from the attested gateway" "chat: an audited answer verifies"
expect 0 "chat --stream through a forged receipt event" -- "$VT" chat --stream --gateway "http://$GW" --verifier "$V" \
  --trust-sim --model hostile-stream hi
clean "chat --stream"
contains "verified: the answer came from the attested gateway" "chat --stream: the upstream cannot break the receipt"
expect 1 "chat: unauditable reply" -- "$VT" chat --gateway "http://$GW" --verifier "$V" --trust-sim --model hostile-dupkey hi
clean "chat: unauditable"
contains "HTTP 502" "chat: shows the 502"
lacks "verified: the answer" "chat: an unauditable answer is not verified"
expect 1 "chat --stream: unauditable stream" -- "$VT" chat --stream --gateway "http://$GW" --verifier "$V" --trust-sim \
  --model hostile-stream-dupkey hi
clean "chat --stream: unauditable"
contains "could not be audited" "chat --stream: names the failed coverage"
lacks "verified: the answer" "chat --stream: not verified"
finish
