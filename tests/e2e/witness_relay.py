#!/usr/bin/env python3
"""A hostile witness for the end-to-end tests: forwards POST /add-checkpoint to
the real witness --to and, when it answers 200, appends --line (one more
signature line) to its answer.  Prints "listening 127.0.0.1:PORT" once ready."""
import argparse, http.server, os, urllib.error, urllib.request

ap = argparse.ArgumentParser()
ap.add_argument("--to", required=True)
ap.add_argument("--line", required=True)
a = ap.parse_args()


class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        rq = urllib.request.Request(a.to + self.path, data=body, method="POST")
        try:
            r = urllib.request.urlopen(rq)
            code, data, ctype = r.status, r.read(), r.headers.get("Content-Type", "")
            if code == 200:
                data += os.fsencode(a.line) + b"\n"
        except urllib.error.HTTPError as e:
            code, data, ctype = e.code, e.read(), e.headers.get("Content-Type", "")
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


s = http.server.HTTPServer(("127.0.0.1", 0), H)
print("listening 127.0.0.1:%d" % s.server_port, flush=True)
s.serve_forever()
