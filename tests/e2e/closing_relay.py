#!/usr/bin/env python3
"""A relay in front of a verifier that does not behave as promised, for the
end-to-end tests: it answers in HTTP/1.1 (keep-alive implied), then
--mode close:  closes the connection after each reply, without saying so;
--mode drop:   reads a second request on the same connection and closes it
               unanswered (that request is not forwarded);
--mode forget: sends the first POST /v1/attest to --other, a verifier that never
               issued its nonce: what an attester meets when a verifier on
               SQLite restarted between its challenge and its attest.
Each request it forwards goes to --to.  Writes "connections N forwarded M"
to --stats after every request; prints "listening 127.0.0.1:PORT" once ready."""
import argparse, http.server, socketserver, sys, threading, urllib.error, urllib.request

ap = argparse.ArgumentParser()
ap.add_argument("--to", required=True)
ap.add_argument("--mode", choices=["close", "drop", "forget"], required=True)
ap.add_argument("--other")
ap.add_argument("--stats", required=True)
a = ap.parse_args()
lock = threading.Lock()
count = {"connections": 0, "forwarded": 0, "forgotten": 0}


def note(what):
    with lock:
        count[what] += 1
        with open(a.stats, "w") as f:
            f.write("connections %d forwarded %d forgotten %d\n" % (count["connections"], count["forwarded"],
                                                                    count["forgotten"]))


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        self.served = 0
        note("connections")

    def relay(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.served > 0 and a.mode == "drop":
            self.close_connection = True  # no reply at all
            return
        hdr = {k: v for k, v in self.headers.items() if k.lower() in ("content-type", "authorization")}
        to = a.to
        if a.mode == "forget" and self.command == "POST" and self.path == "/v1/attest":
            with lock:
                first = count["forgotten"] == 0
            if first:
                to = a.other
                note("forgotten")
        rq = urllib.request.Request(to + self.path, data=body if self.command != "GET" else None,
                                    method=self.command, headers=hdr)
        try:
            r = urllib.request.urlopen(rq)
            code, data, ctype = r.status, r.read(), r.headers.get("Content-Type", "")
        except urllib.error.HTTPError as e:
            code, data, ctype = e.code, e.read(), e.headers.get("Content-Type", "")
        note("forwarded")
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()
        self.served += 1
        if a.mode == "close":
            self.close_connection = True

    do_GET = do_POST = do_PUT = relay

    def log_message(self, *args):
        pass


class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


s = S(("127.0.0.1", 0), H)
print("listening 127.0.0.1:%d" % s.server_address[1], flush=True)
s.serve_forever()
