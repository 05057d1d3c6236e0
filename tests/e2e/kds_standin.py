#!/usr/bin/env python3
"""A stand-in for AMD KDS on 127.0.0.1: serves the files under ROOT by path (the
test lays out recorded VCEKs, cert chains and CRLs as KDS names them), and
misbehaves on request: paths under /rl/ get 429 with Retry-After, paths under
/slow/ are answered after a second.  Writes its port to PORTFILE once listening;
logs every request line to stderr.
usage: kds_standin.py ROOT PORTFILE"""
import http.server
import os
import sys
import time

root, portfile = sys.argv[1], sys.argv[2]


class H(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **k):
        super().__init__(*a, directory=root, **k)

    def do_GET(self):
        if self.path.startswith('/rl/'):
            self.send_response(429)
            self.send_header('Retry-After', '120')
            self.send_header('Content-Length', '0')
            self.end_headers()
            return
        if self.path.startswith('/slow/'):
            time.sleep(1)
        super().do_GET()

    def log_message(self, fmt, *args):
        sys.stderr.write("%s\n" % (fmt % args))
        sys.stderr.flush()


srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)
with open(portfile + '.tmp', 'w') as f:
    f.write(str(srv.server_address[1]))
os.rename(portfile + '.tmp', portfile)
srv.serve_forever()
