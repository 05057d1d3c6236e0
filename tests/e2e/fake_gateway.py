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
  --mode receipt       honest, and a POST is answered 200 with a receipt signed by --key (the
                       enclave key) for the bytes it received and sent, made now
  --mode old-receipt   the same, but the receipt says it was made 60 s before the passport
                       was issued: a receipt of an earlier identical request, replayed
"""
import argparse
import base64
import hashlib
import http.server
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def sign_receipt(key_pem, payload):
    """A veritee-receipt+jwt (ES256, raw r||s) over payload, as the gateway signs one."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, utils
    key = serialization.load_pem_private_key(open(key_pem, "rb").read(), None)
    header = b64u(json.dumps({"alg": "ES256", "typ": "veritee-receipt+jwt"}, separators=(",", ":")).encode())
    signing = header + "." + b64u(json.dumps(payload, separators=(",", ":")).encode())
    r, sg = utils.decode_dss_signature(key.sign(signing.encode(), ec.ECDSA(hashes.SHA256())))
    return signing + "." + b64u(r.to_bytes(32, "big") + sg.to_bytes(32, "big"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--veritee", required=True)
    ap.add_argument("--passport", required=True)
    ap.add_argument("--jwk", required=True)
    ap.add_argument("--pubkey", required=True, help="raw public key X||Y, hex")
    ap.add_argument("--log", required=True)
    ap.add_argument("--hits", required=True)
    ap.add_argument("--mode", default="honest", choices=["honest", "other-nonce", "receipt", "old-receipt"])
    ap.add_argument("--key", help="the enclave key (PEM) that signs receipts")
    ap.add_argument("--environment", default="dev", help="the environment it names")
    a = ap.parse_args()
    passport = open(a.passport).read().strip()
    jwk = json.load(open(a.jwk))
    log = json.load(open(a.log))
    claims = json.loads(base64.urlsafe_b64decode(passport.split(".")[1] + "=="))
    pid = claims.get("jti", "")
    thumb = b64u(hashlib.sha256(json.dumps({k: jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"),
                                           sort_keys=True).encode()).digest())

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
            bound = os.urandom(32).hex() if a.mode == "other-nonce" else nonce
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
            req = self.rfile.read(n)
            with open(a.hits, "a") as f:
                f.write(self.path + "\n")
            if a.mode not in ("receipt", "old-receipt"):
                return self.reply(500, {"error": {"code": "fake", "message": "test stand-in: no model here"}})
            body = json.dumps({"choices": [{"index": 0, "message": {"role": "assistant",
                                                                    "content": "stand-in answer"}}]}).encode()
            made = int(time.time() * 1000) if a.mode == "receipt" else (claims["iat"] - 60) * 1000
            payload = {"receipt": "rcpt-" + os.urandom(16).hex(), "passport": pid, "environment": a.environment,
                       "enclave_key": thumb, "model": claims["veritee"]["submods"]["model"]["measured"][0],
                       "request_received": hashlib.sha256(req).hexdigest(),
                       "request_forwarded": hashlib.sha256(req).hexdigest(),
                       "response": hashlib.sha256(body).hexdigest(), "streamed": False,
                       "endpoint": self.path, "upstream_status": 200, "status": 200,
                       "content_type": "application/json",
                       "coverage": {"audited": ["request", "response"], "failed": [], "unaudited": []},
                       "verdict": "allow", "usage": None, "received_ms": made, "completed_ms": made + 5,
                       "auditors": []}
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Veritee-Receipt", sign_receipt(a.key, payload))
            self.end_headers()
            self.wfile.write(body)

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    print("listening 127.0.0.1:%d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
