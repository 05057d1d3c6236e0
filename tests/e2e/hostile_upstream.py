#!/usr/bin/env python3
"""A hostile OpenAI-compatible upstream for the gateway's response tests.

It answers POST /v1/chat/completions with a reply that tries to carry the
marker e-mail address past the gateway's response auditors, or to forge or
break its receipt.  The trick is chosen by the request's model name,
"hostile-<mode>" (see reply() below).  Prints "listening on http://HOST:PORT".

Failure modes (failing()): "hang" never answers, "stream-hang" sends one event
and then nothing, "die" closes in the middle of its body, "stream-die" closes
after an event whose text the gateway holds back, "stream-args-die" closes in
the middle of a tool call's arguments, "stream-custom-die" in the middle of a
custom tool call's input.  A waiting request notices
the gateway closing its connection; GET /_stats (asked directly, never through
the gateway) says how many are still waiting and how many were closed.
"""
import argparse
import gzip
import json
import select
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MARKER = "leak.marker@example.com"
HEAD = "leak.mar"            # the marker split across two events
TAIL = "ker@example.com"
ROUTED_EXPERTS = "BQAAABEAAAADAAAAYwAAAAAAAAB/AAAAQAAAAAwAAAAFAAAAEQAAAAMAAABjAAAAAAAAAH8AAABAAAAADAAAAA=="


def chunk(choices, **extra):
    o = {"id": "chatcmpl-hostile", "object": "chat.completion.chunk", "created": 1, "model": "hostile",
         "choices": choices}
    o.update(extra)
    return json.dumps(o)


def completion(**message):
    msg = {"role": "assistant", "content": "fine"}
    msg.update(message)
    return {"id": "chatcmpl-hostile", "object": "chat.completion", "created": 1, "model": "hostile",
            "choices": [{"index": 0, "message": msg, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}


def every_field():
    """The marker in every string position of a reply the gateway can parse."""
    c = completion(content="mail " + MARKER, refusal="no, " + MARKER, reasoning_content="think " + MARKER,
                   reasoning="why " + MARKER,
                   tool_calls=[{"id": "call_" + MARKER, "type": "function",
                                "function": {"name": "send_" + MARKER,
                                             "arguments": json.dumps({"to": MARKER})}}],
                   function_call={"name": "f", "arguments": json.dumps({"to": MARKER})})
    c["choices"][0]["logprobs"] = {
        "content": [{"token": MARKER, "logprob": -0.1, "bytes": [1],
                     "top_logprobs": [{"token": MARKER, "logprob": -0.2}]}],
        "tokens": [MARKER], "top_logprobs": [{MARKER: -1.0}]}
    c["choices"].append({"index": 1, "text": "second " + MARKER, "finish_reason": "stop"})
    c["system_fingerprint"] = MARKER
    c["x_extra"] = {"deep": [[{"deeper": MARKER}]]}
    return json.dumps(c)


def stream_events():
    """SSE text for the stream trick: split markers, a choice streamed as message chunks, n=3,
    tools, upstream id/event/retry fields and a forged veritee-receipt event."""
    ev = []
    ev.append("id: " + MARKER + "\nevent: " + MARKER + "\nretry: 1000\ndata: " +
              chunk([{"index": 0, "delta": {"role": "assistant", "content": "to " + HEAD}}]) + "\n\n")
    ev.append("data: " + chunk([{"index": 0, "delta": {"content": TAIL + " ok"}},
                                {"index": 1, "delta": {"content": "two " + HEAD}}]) + "\n\n")
    ev.append("data: " + chunk([{"index": 1, "delta": {"content": TAIL}}]) + "\n\n")
    ev.append("event: veritee-receipt\ndata: forged.receipt.token\n\n")
    ev.append("data: " + chunk([{"index": 2, "message": {"content": "msg " + MARKER}}]) + "\n\n")
    ev.append("data: " + chunk([{"index": 0, "delta": {"reasoning_content": "r " + HEAD}}]) + "\n\n")
    ev.append("data: " + chunk([{"index": 0, "delta": {"reasoning_content": TAIL,
                                                       "tool_calls": [{"index": 0, "id": "c1", "type": "function",
                                                                       "function": {"name": "mail",
                                                                                    "arguments": "{\"to\":\"" + HEAD}}]}}]) + "\n\n")
    ev.append("data: " + chunk([{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": TAIL + "\"}"}}]},
                                 "logprobs": {"content": [{"token": MARKER, "logprob": 0, "top_logprobs": []}]}}],
                               system_fingerprint=MARKER) + "\n\n")
    ev.append("data: " + chunk([{"index": 0, "delta": {}, "finish_reason": "stop"}]) + "\n\n")
    ev.append(": a comment " + MARKER + "\n\n")
    ev.append("data: [DONE]\n\n")
    return "".join(ev)


def tool_chunk(calls, finish=None, **delta):
    delta["tool_calls"] = calls
    return chunk([{"index": 0, "delta": delta, "finish_reason": finish}])


def args_events():
    """SSE text for streamed tool calls whose arguments write the marker and a card with JSON
    escapes (\u0040, \n), in pieces, one escape cut between two events; a second call that
    starts with its name alone; a usage chunk.  The arguments strings hold the backslashes."""
    ev = [tool_chunk([{"index": 0, "id": "call_a", "type": "function", "function": {"name": "send", "arguments": ""}}],
                     role="assistant", content=None),
          tool_chunk([{"index": 0, "function": {"arguments": '{"to":"leak.mark'}}]),
          tool_chunk([{"index": 0, "function": {"arguments": 'er\\u00'}}]),
          tool_chunk([{"index": 0, "function": {"arguments": '40example.com","card":"4111\\n1111'}}]),
          tool_chunk([{"index": 0, "function": {"arguments": '\\n1111\\n1111"}'}}]),
          tool_chunk([{"index": 1, "id": "call_b", "type": "function", "function": {"name": "note"}}]),
          tool_chunk([{"index": 1, "function": {"arguments": '{ "text": "hi" }'}}]),
          chunk([{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]),
          chunk([], usage={"prompt_tokens": 1, "completion_tokens": 9, "total_tokens": 10})]
    return "".join("data: " + e + "\n\n" for e in ev) + "data: [DONE]\n\n"


def custom_call(index, **custom):
    """A custom tool call of the stream (its id and type with its name, on its first piece)."""
    call = {"index": index, "custom": custom}
    if "name" in custom:
        call.update(id="call_" + custom["name"], type="custom")
    return call


def custom_events():
    """SSE text for streamed custom tool calls, whose input is plain text: the marker and a card
    split between two events' pieces; a second call that starts with its name alone and writes
    quotes and backslashes; a usage chunk."""
    ev = [tool_chunk([custom_call(0, name="shell", input="")], role="assistant", content=None),
          tool_chunk([custom_call(0, input="mail " + HEAD)]),
          tool_chunk([custom_call(0, input=TAIL + " card 4111 1111")]),
          tool_chunk([custom_call(0, input=" 1111 1111\n")]),
          tool_chunk([custom_call(1, name="note")]),
          tool_chunk([custom_call(1, input='echo "hi" \\ done')]),
          chunk([{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]),
          chunk([], usage={"prompt_tokens": 1, "completion_tokens": 9, "total_tokens": 10})]
    return "".join("data: " + e + "\n\n" for e in ev) + "data: [DONE]\n\n"


def late_call_events():
    """A tool call that starts after its choice's finish_reason (the client's program took the
    choice as complete), writing the marker, then a usage chunk and [DONE]."""
    ev = [tool_chunk([{"index": 0, "id": "call_a", "type": "function", "function": {"name": "send", "arguments": ""}}],
                     role="assistant", content=None),
          tool_chunk([{"index": 0, "function": {"arguments": '{"text": "hi"}'}}]),
          chunk([{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]),
          tool_chunk([{"index": 1, "id": "call_late", "type": "function",
                       "function": {"name": "late_tool", "arguments": json.dumps({"to": MARKER})}}]),
          chunk([], usage={"prompt_tokens": 1, "completion_tokens": 9, "total_tokens": 10})]
    return "".join("data: " + e + "\n\n" for e in ev) + "data: [DONE]\n\n"


def trailer_events():
    """What servers send after a choice's finish_reason: an empty delta, the finish_reason again,
    a content-filter annotation that writes no reply, the usage-only chunk with timings."""
    ev = [chunk([{"index": 0, "delta": {"role": "assistant", "content": "mail " + HEAD}}]),
          chunk([{"index": 0, "delta": {"content": TAIL}, "finish_reason": "stop"}]),
          chunk([{"index": 0, "delta": {}}]),
          chunk([{"index": 0, "delta": {"content": None}, "logprobs": None, "finish_reason": "stop"}]),
          chunk([{"index": 0, "finish_reason": None,
                  "content_filter_results": {"hate": {"filtered": False, "severity": "safe"}}}]),
          chunk([], usage={"prompt_tokens": 1, "completion_tokens": 3, "total_tokens": 4},
                timings={"prompt_n": 1, "predicted_ms": 2.5})]
    return "".join("data: " + e + "\n\n" for e in ev) + "data: [DONE]\n\n"


def compat_trailer_events(kind):
    """Real servers' last chunks after a finish_reason, the marker split before it: "message" streams
    message chunks and ends with an empty delta (as llama.cpp ends a delta stream); "hidden" is
    SGLang's return_hidden_states, the last token's hidden states (numbers) in a chunk of their own
    after the finish; "hidden-text" the same chunk holding the marker in place of numbers; "experts"
    SGLang's return_routed_experts chunk; "member" the marker split in a member of the choice;
    "finish" a finish_reason that is a number, then the marker's second half."""
    if kind == "message":
        ev = [chunk([{"index": 0, "message": {"role": "assistant", "content": "mail " + HEAD}}]),
              chunk([{"index": 0, "message": {"content": TAIL + " now"}}]),
              chunk([{"index": 0, "message": {"content": ""}, "finish_reason": "stop"}]),
              chunk([{"index": 0, "delta": {}}])]
    elif kind == "experts":
        # SGLang's return_routed_experts: after the finish, a chunk with no choice whose top-level
        # sglext holds the MoE routing trace (base64 of int32 expert ids); null in every other chunk.
        ev = [chunk([{"index": 0, "delta": {"role": "assistant", "content": "mail " + HEAD}}], sglext=None),
              chunk([{"index": 0, "delta": {"content": TAIL + " now"}}], sglext=None),
              chunk([{"index": 0, "delta": {}, "finish_reason": "stop", "matched_stop": 151645}], sglext=None),
              chunk([], usage=None, sglext={"routed_experts": ROUTED_EXPERTS})]
    elif kind == "member":
        # The marker split between two events' pieces of a member of the choice no server documents,
        # where neither piece alone is an address (the tail of HEAD/TAIL is one, redacted in place).
        ev = [chunk([{"index": 0, "delta": {"role": "assistant", "content": "a"}, "annotation": "leak.marker@exa"}]),
              chunk([{"index": 0, "delta": {"content": "b"}, "annotation": "mple.com"}]),
              chunk([{"index": 0, "delta": {}, "finish_reason": "stop"}])]
    elif kind == "finish":
        ev = [chunk([{"index": 0, "delta": {"role": "assistant", "content": "mail " + HEAD}, "finish_reason": 1}]),
              chunk([{"index": 0, "delta": {"content": TAIL}, "finish_reason": None}])]
    else:
        hs = [0.125, -2.5, 3] if kind == "hidden" else [MARKER]
        ev = [chunk([{"index": 0, "delta": {"role": "assistant", "content": "mail " + HEAD}}]),
              chunk([{"index": 0, "delta": {"content": TAIL + " now"}}]),
              chunk([{"index": 0, "delta": {}, "finish_reason": "stop"}]),
              chunk([{"index": 0, "delta": {"role": None, "content": None, "reasoning_content": None,
                                            "tool_calls": None, "hidden_states": hs},
                      "logprobs": None, "finish_reason": None, "matched_stop": None}])]
    ev.append(chunk([], usage={"prompt_tokens": 1, "completion_tokens": 3, "total_tokens": 4}))
    return "".join("data: " + e + "\n\n" for e in ev) + "data: [DONE]\n\n"


def name_split_events():
    """A tool call whose name comes in two pieces, each clean, that the client's program joins
    into the marker address (as the OpenAI SDKs join every string of a delta)."""
    ev = [tool_chunk([{"index": 0, "id": "call_a", "type": "function", "function": {"name": "leak.marker@exa"}}],
                     role="assistant"),
          tool_chunk([{"index": 0, "function": {"name": "mple.com", "arguments": "{}"}}]),
          chunk([{"index": 0, "delta": {}, "finish_reason": "tool_calls"}])]
    return "".join("data: " + e + "\n\n" for e in ev) + "data: [DONE]\n\n"


def parts_events(boundary=False):
    """Content as Mistral's API streams it for a reasoning model (Magistral): lists of parts, the
    reasoning as thinking parts holding text parts, then the answer as text parts, the marker split
    between two events' parts in each; a reference part and the usage in the last chunk.  With
    boundary, the marker is split between the end of the reasoning and the start of the answer,
    where neither half is an address."""
    def parts(*p):
        return chunk([{"index": 0, "delta": {"content": list(p)}, "finish_reason": None}])

    def think(t):
        return {"type": "thinking", "thinking": [{"type": "text", "text": t}]}

    def text(t):
        return {"type": "text", "text": t}
    if boundary:
        ev = [parts(think("think " + MARKER[:15])), parts(text(MARKER[15:] + " now"))]  # "...@exa", "mple.com"
    else:
        ev = [chunk([{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]),
              parts(think("think " + HEAD)), parts(think(TAIL + " ok.")),
              parts({"type": "thinking", "closed": True, "thinking": [text(" Done.")]}),
              parts(text("mail " + HEAD)), parts(text(TAIL + " now"), {"type": "reference", "reference_ids": [1]})]
    ev.append(chunk([{"index": 0, "delta": {"content": ""}, "finish_reason": "stop"}],
                    usage={"prompt_tokens": 1, "completion_tokens": 9, "total_tokens": 10}))
    return "".join("data: " + e + "\n\n" for e in ev) + "data: [DONE]\n\n"


def parts_other_events(unknown):
    """Content parts that are not text, the marker split between two events' parts: of a type no
    server documents (unknown), or Mistral's image_url at another place in each event's list."""
    def parts(*p):
        return chunk([{"index": 0, "delta": {"content": list(p)}, "finish_reason": None}])
    if unknown:
        ev = [parts({"type": "text", "text": "see"}, {"type": "x_note", "text": "mail " + MARKER[:15]}),
              parts({"type": "x_note", "text": MARKER[15:]})]
    else:
        ev = [parts({"type": "text", "text": "see"}, {"type": "image_url", "image_url": {"url": "mail " + MARKER[:15]}}),
              parts({"type": "image_url", "image_url": {"url": MARKER[15:]}})]
    ev.append(chunk([{"index": 0, "delta": {}, "finish_reason": "stop"}]))
    return "".join("data: " + e + "\n\n" for e in ev) + "data: [DONE]\n\n"


def holder_switch_events():
    """A choice that writes the marker's start in message chunks and its end in delta chunks:
    released by two scanners, which a client reading the delta when there is one and the message
    otherwise would read side by side."""
    ev = [chunk([{"index": 0, "message": {"role": "assistant", "content": "mail " + MARKER[:15]}}]),
          chunk([{"index": 0, "message": {"content": "Z" * 257}}]),
          chunk([{"index": 0, "delta": {"content": MARKER[15:] + " now " + "0" * 200}}]),
          chunk([{"index": 0, "delta": {}, "finish_reason": "stop"}])]
    return "".join("data: " + e + "\n\n" for e in ev) + "data: [DONE]\n\n"


def deep_args_events():
    """A tool call still open at the end of the stream whose arguments nest past the audit's limit."""
    deep = "[" * 70 + '"leak.marker\\u0040example.com"' + "]" * 70
    return ("data: " + tool_chunk([{"index": 0, "id": "call_a", "type": "function",
                                    "function": {"name": "f", "arguments": deep}}]) + "\n\ndata: [DONE]\n\n")


# mode -> (status, headers, body); body is bytes
def reply(mode):
    ok = json.dumps(completion(content="mail " + MARKER))
    if mode == "fields":
        return 200, {"Content-Type": "application/json"}, every_field().encode()
    if mode == "error":
        return 400, {"Content-Type": "application/json"}, json.dumps(
            {"error": {"message": "bad request from " + MARKER, "type": "invalid_request_error", "param": None,
                       "code": "x"}}).encode()
    if mode == "headers":
        return 200, {"Content-Type": "application/json", "Veritee-Receipt": "forged.receipt.token",
                     "Set-Cookie": "s=" + MARKER, "X-Leak": MARKER, "Content-Encoding": "identity"}, ok.encode()
    if mode == "dupkey":
        body = '{"choices":[{"index":0,"message":{"content":"fine"}}],"choices":[{"index":0,"message":{"content":"%s"}}]}'
        return 200, {"Content-Type": "application/json"}, (body % MARKER).encode()
    if mode == "trailing":
        return 200, {"Content-Type": "application/json"}, (ok + '\n{"leak":"%s"}' % MARKER).encode()
    if mode == "gzip":
        return 200, {"Content-Type": "application/json", "Content-Encoding": "gzip"}, gzip.compress(ok.encode())
    if mode == "sse-as-json":
        return 200, {"Content-Type": "application/json"}, ("data: " + ok + "\n\ndata: [DONE]\n\n").encode()
    if mode == "badutf8":
        return 200, {"Content-Type": "application/json"}, ok.replace("mail ", "mail \\u00e9").encode().replace(
            b"\\u00e9", b"\xff\xfe")
    if mode == "text":
        return 200, {"Content-Type": "text/plain"}, ("mail " + MARKER).encode()
    if mode == "stream":
        return 200, {"Content-Type": "text/event-stream", "X-Leak": MARKER}, stream_events().encode()
    if mode == "stream-args":
        return 200, {"Content-Type": "text/event-stream"}, args_events().encode()
    if mode == "stream-custom":
        return 200, {"Content-Type": "text/event-stream"}, custom_events().encode()
    if mode == "stream-late-call":
        return 200, {"Content-Type": "text/event-stream"}, late_call_events().encode()
    if mode in ("stream-message-trailer", "stream-hidden-states", "stream-hidden-text", "stream-finish-number",
                "stream-routed-experts", "stream-choice-member-split"):
        kind = {"stream-message-trailer": "message", "stream-hidden-states": "hidden",
                "stream-hidden-text": "hidden-text", "stream-finish-number": "finish",
                "stream-routed-experts": "experts", "stream-choice-member-split": "member"}[mode]
        return 200, {"Content-Type": "text/event-stream"}, compat_trailer_events(kind).encode()
    if mode in ("stream-parts-unknown", "stream-parts-image"):
        return 200, {"Content-Type": "text/event-stream"}, parts_other_events(mode == "stream-parts-unknown").encode()
    if mode == "stream-name-split":
        return 200, {"Content-Type": "text/event-stream"}, name_split_events().encode()
    if mode == "stream-trailers":
        return 200, {"Content-Type": "text/event-stream"}, trailer_events().encode()
    if mode == "parts":  # Magistral's reply: thinking, then the answer, as parts
        return 200, {"Content-Type": "application/json"}, json.dumps(completion(content=[
            {"type": "thinking", "thinking": [{"type": "text", "text": "think " + MARKER}]},
            {"type": "text", "text": "mail " + MARKER}])).encode()
    if mode == "parts-split":  # the marker split between two text parts
        return 200, {"Content-Type": "application/json"}, json.dumps(completion(content=[
            {"type": "text", "text": "mail " + MARKER[:15]}, {"type": "text", "text": MARKER[15:]}])).encode()
    if mode == "stream-holder-switch":
        return 200, {"Content-Type": "text/event-stream"}, holder_switch_events().encode()
    if mode == "stream-parts":
        return 200, {"Content-Type": "text/event-stream"}, parts_events().encode()
    if mode == "stream-parts-boundary":
        return 200, {"Content-Type": "text/event-stream"}, parts_events(boundary=True).encode()
    if mode == "stream-args-deep":
        return 200, {"Content-Type": "text/event-stream"}, deep_args_events().encode()
    if mode == "stream-json":  # JSON labelled as an event stream
        return 200, {"Content-Type": "text/event-stream"}, (ok + "\n\n").encode()
    if mode == "stream-partial":  # an event the stream never finishes
        return 200, {"Content-Type": "text/event-stream"}, ("data: " + ok).encode()
    if mode == "stream-dupkey":
        return 200, {"Content-Type": "text/event-stream"}, (
            "data: " + chunk([{"index": 0, "delta": {"content": "fine"}}]) + "\n\n" +
            'data: {"choices":[{"index":0,"delta":{"content":"x"}}],"choices":[{"index":0,"delta":{"content":"%s"}}]}\n\n'
            % MARKER + "data: [DONE]\n\n").encode()
    if mode == "stream-gzip":
        return 200, {"Content-Type": "text/event-stream", "Content-Encoding": "gzip"}, gzip.compress(
            stream_events().encode())
    return 404, {"Content-Type": "application/json"}, b'{"error":{"message":"unknown hostile mode"}}'


STATS = {"waiting": 0, "closed": 0}
LOCK = threading.Lock()


def held_chunk():
    return "data: " + chunk([{"index": 0, "delta": {"role": "assistant", "content": "sent text and then held tail"}}]) + "\n\n"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def wait_for_close(self):
        """Blocks until the gateway closes the connection (60 s at most)."""
        with LOCK:
            STATS["waiting"] += 1
        closed = False
        try:
            r, _, _ = select.select([self.connection], [], [], 60)
            closed = bool(r) and self.connection.recv(1) == b""
        except OSError:
            closed = True
        with LOCK:
            STATS["waiting"] -= 1
            STATS["closed"] += 1 if closed else 0
        self.close_connection = True

    def stream_start(self, ev=None):
        """Chunked, so that a close before the last chunk is a failure, not the end."""
        ev = (ev or held_chunk()).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(ev), ev))
        self.wfile.flush()

    def failing(self, mode):
        """The failure modes; True when mode was one of them."""
        if mode == "hang":
            self.wait_for_close()
        elif mode == "stream-hang":
            self.stream_start()
            self.wait_for_close()
        elif mode == "die":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b'{"choices":[')
            self.close_connection = True
        elif mode == "longheader":
            # One header line past the gateway's 8 KiB line limit, whole in one write.
            self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 9000 + b"\r\nContent-Length: 2\r\n\r\n{}")
            self.wfile.flush()
            self.close_connection = True
        elif mode == "stream-die":
            self.stream_start()  # and no last chunk: the stream is cut short
            self.close_connection = True
        elif mode == "stream-args-die":  # more of the arguments than a holdback, then cut short
            piece = '{"to":"leak.marker\\u0040example.com","body":"' + "held tail " * 60
            self.stream_start("data: " + tool_chunk([{"index": 0, "id": "call_a", "type": "function",
                                                      "function": {"name": "send", "arguments": piece}}]) + "\n\n")
            self.close_connection = True
        elif mode == "stream-custom-die":  # more of the input than a holdback, then cut short
            piece = "mail " + MARKER + " <<EOF\n" + "held tail " * 60
            self.stream_start("data: " + tool_chunk([custom_call(0, name="shell", input=piece)]) + "\n\n")
            self.close_connection = True
        else:
            return False
        return True

    def do_GET(self):
        if self.path == "/_stats":
            with LOCK:
                data = json.dumps(STATS).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        # The model list: ids and owners are text the client reads.
        if self.path.startswith("/v1/models/"):
            body = {"id": "m-" + MARKER, "object": "model", "created": 0, "owned_by": MARKER}
        else:
            body = {"object": "list", "data": [{"id": "m-" + MARKER, "object": "model", "created": 0,
                                                "owned_by": MARKER}]}
        ctype = "application/json"
        if "gzip" in self.path:
            data, headers = gzip.compress(json.dumps(body).encode()), {"Content-Encoding": "gzip"}
        elif "sse" in self.path:  # the list as an event stream
            data, headers, ctype = ("data: " + json.dumps(body) + "\n\ndata: [DONE]\n\n").encode(), {}, "text/event-stream"
        else:
            data, headers = json.dumps(body).encode(), {}
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        try:
            req = json.loads(self.rfile.read(n) or b"{}")
        except ValueError:
            req = {}
        model = str(req.get("model", ""))
        mode = model[len("hostile-"):] if model.startswith("hostile-") else ""
        if self.headers.get("Accept-Encoding", "") != "identity":
            mode = "gzip"  # the gateway did not ask for identity: punish it
        if self.failing(mode):
            return
        status, headers, body = reply(mode)
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", default="127.0.0.1:0")
    a = ap.parse_args()
    host, port = a.listen.rsplit(":", 1)
    srv = ThreadingHTTPServer((host, int(port)), Handler)
    srv.daemon_threads = True
    print("hostile upstream listening on http://%s:%d" % srv.server_address[:2], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
