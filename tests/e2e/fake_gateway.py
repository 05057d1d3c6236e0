#!/usr/bin/env python3
"""A TEST STAND-IN for a gateway's client-facing side, used to check that
`veritee chat` refuses dishonest gateways before it sends the prompt.

GET /v1/attestation?nonce=HEX answers in the gateway's format with simulated
TDX evidence made by `veritee sim tdx` (RTMR3 = the given log's replay) for
the given public key, and the given passport.  Every POST is counted in
--hits (one line per request) and answered 500, so a test can tell whether
the prompt left the client.

  --mode honest        evidence bound to the requested nonce
  --mode other-nonce   evidence bound to a nonce the client never sent
"""
import argparse
import base64
import http.server
import json
import os
import subprocess
import sys
import tempfile
import urllib.parse


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--veritee", required=True)
    ap.add_argument("--passport", required=True)
    ap.add_argument("--jwk", required=True)
    ap.add_argument("--pubkey", required=True, help="raw public key X||Y, hex")
    ap.add_argument("--log", required=True)
    ap.add_argument("--hits", required=True)
    ap.add_argument("--mode", default="honest", choices=["honest", "other-nonce"])
    ap.add_argument("--environment", default="dev", help="the environment it names")
    a = ap.parse_args()
    passport = open(a.passport).read().strip()
    jwk = json.load(open(a.jwk))
    log = json.load(open(a.log))
    pid = json.loads(base64.urlsafe_b64decode(passport.split(".")[1] + "==")).get("jti", "")

    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def reply(self, status, obj):
            body = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            u = urllib.parse.urlparse(self.path)
            if u.path != "/v1/attestation":
                return self.reply(404, {"error": {"code": "not_found", "message": u.path}})
            nonce = urllib.parse.parse_qs(u.query).get("nonce", [""])[0]
            bound = nonce if a.mode == "honest" else os.urandom(32).hex()
            with tempfile.TemporaryDirectory() as d:
                subprocess.run([a.veritee, "sim", "tdx", "--nonce", bound, "--pubkey", a.pubkey, "--log", a.log,
                                "--out", d], check=True, stdout=subprocess.DEVNULL)
                ev = base64.b64encode(open(os.path.join(d, "quote.bin"), "rb").read()).decode()
                col = {}
                cd = os.path.join(d, "collateral")
                for n in sorted(os.listdir(cd)):
                    col[n] = base64.b64encode(open(os.path.join(cd, n), "rb").read()).decode()
            self.reply(200, {"platform": "tdx", "evidence": ev, "collateral": col, "log": log,
                             "passport": passport, "passport_id": pid, "environment": a.environment,
                             "enclave_key": jwk, "nonce": nonce, "simulated": True})

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            self.rfile.read(n)
            with open(a.hits, "a") as f:
                f.write(self.path + "\n")
            self.reply(500, {"error": {"code": "fake", "message": "test stand-in: no model here"}})

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    print("listening 127.0.0.1:%d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
