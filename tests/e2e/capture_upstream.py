#!/usr/bin/env python3
"""A TEST STAND-IN for a model server that records what reaches it.

Every request is appended to --capture as one JSON line {"method", "target",
"headers": [[name, value], ...], "body"} (the body as text), and answered with
a minimal OpenAI-shaped reply for the route ("ok" as the content), so the
gateway's response side has something valid to audit.  The first line on
stdout names the address it listens on.
"""
import argparse
import http.server
import json
import sys
import threading


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--capture", required=True)
    args = ap.parse_args()
    lock = threading.Lock()

    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def record(self, body):
            rec = {"method": self.command, "target": self.path,
                   "headers": [[k, v] for k, v in self.headers.items()],
                   "body": body.decode("utf-8", "replace")}
            with lock, open(args.capture, "a") as f:
                f.write(json.dumps(rec) + "\n")

        def reply(self, obj, status=200):
            b = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(b)))
            self.end_headers()
            self.wfile.write(b)

        def do_GET(self):
            self.record(b"")
            if self.path.startswith("/v1/models/"):
                self.reply({"id": self.path[11:], "object": "model", "created": 0, "owned_by": "capture"})
            else:
                self.reply({"object": "list", "data": [{"id": "m", "object": "model", "created": 0,
                                                        "owned_by": "capture"}]})

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n)
            self.record(body)
            usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
            if self.path.endswith("/chat/completions"):
                self.reply({"id": "c", "object": "chat.completion", "created": 0, "model": "m",
                            "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"},
                                         "finish_reason": "stop"}], "usage": usage})
            elif self.path.endswith("/completions"):
                self.reply({"id": "c", "object": "text_completion", "created": 0, "model": "m",
                            "choices": [{"index": 0, "text": "ok", "finish_reason": "stop"}], "usage": usage})
            else:
                self.reply({"object": "list", "model": "m", "usage": usage,
                            "data": [{"object": "embedding", "index": 0, "embedding": [0.5, 0.25]}]})

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    print("listening on 127.0.0.1:%d" % srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
