#!/usr/bin/env python3
"""A TEST STAND-IN for a model server that moves large bodies and counts bytes.

POST /v1/chat/completions answers an OpenAI-shaped reply whose content is the
last user message ("bulk-echo"), or N bytes of a fixed pattern ("bulk-N"), plain
or streamed ("stream": true: events of at most 4 kB of content, then [DONE]).
With --read-delay S it keeps small receive buffers and waits S seconds before
reading a request body, so a large body does not fit the socket buffers and
the sender must finish a partial write later.

GET /_last (asked directly, never through the gateway) answers what the last
POST carried: {"connections", "connection", "request_len", "content_len",
"content_sha256", "response_len", "response_sha256"}: connections counts the
connections accepted so far, connection is the number of the one the POST came
on, so a test can tell that a request came on a kept-alive one.
The first line on stdout names the address it listens on.
"""
import argparse
import hashlib
import http.server
import json
import socket
import sys
import threading
import time

PATTERN = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_"


def pattern(n):
    """n bytes that are not all alike, so a lost or repeated piece shows."""
    out = bytearray()
    i = 0
    while len(out) < n:
        out += b"%08d:" % i + PATTERN
        i += 1
    return bytes(out[:n])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--read-delay", type=float, default=0.0)
    args = ap.parse_args()
    lock = threading.Lock()
    last = {"connections": 0}

    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def setup(self):
            super().setup()
            with lock:
                last["connections"] += 1
                self.conn_id = last["connections"]

        def send(self, status, ctype, body):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path == "/_last":
                with lock:
                    self.send(200, "application/json", json.dumps(last).encode())
            else:
                self.send(404, "application/json", b'{"error":{"message":"no such route"}}')

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            if args.read_delay > 0:
                time.sleep(args.read_delay)
            body = self.rfile.read(n)
            req = json.loads(body)
            model = req.get("model", "")
            if model == "bulk-echo":
                content = req["messages"][-1]["content"].encode()
            else:
                content = pattern(int(model[len("bulk-"):]))
            text = content.decode()
            if req.get("stream"):
                out = bytearray()
                for i in range(0, len(text), 4096):
                    ev = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": model,
                          "choices": [{"index": 0, "delta": {"content": text[i:i + 4096]}, "finish_reason": None}]}
                    out += b"data: " + json.dumps(ev).encode() + b"\n\n"
                out += b"data: [DONE]\n\n"
                reply, ctype = bytes(out), "text/event-stream"
            else:
                reply = json.dumps({"id": "c", "object": "chat.completion", "created": 0, "model": model,
                                    "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                                 "finish_reason": "stop"}],
                                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}).encode()
                ctype = "application/json"
            sent = req["messages"][-1]["content"].encode()
            with lock:
                last.update(connection=self.conn_id, request_len=len(body), content_len=len(sent),
                            content_sha256=hashlib.sha256(sent).hexdigest(),
                            response_len=len(reply), response_sha256=hashlib.sha256(reply).hexdigest())
            self.send(200, ctype, reply)

    class Server(http.server.ThreadingHTTPServer):
        def server_bind(self):
            # a small receive buffer (inherited by accepted sockets): with --read-delay, a
            # large request cannot be written whole at once
            if args.read_delay > 0:
                self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
            super().server_bind()

    srv = Server(("127.0.0.1", 0), H)
    print("listening on 127.0.0.1:%d" % srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
