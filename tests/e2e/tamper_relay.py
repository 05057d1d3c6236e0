#!/usr/bin/env python3
"""A hostile relay for the end-to-end tests: forwards every request to --to,
but flips one bit of byte --byte of the request body (--mode request) or of
the response body (--mode response) of a POST (an Oblivious HTTP relay), or
appends --line and a newline to a POST's 200 answer (--mode append: a witness
adding a signature line to its cosignatures), or hands back the passport in
--token-file, with its id, in place of the one a verifier's 2xx answer to
POST /v1/attest carries (--mode passport: a passport issued to another
gateway), or answers every POST itself with HTTP --code and a text body of
its own, forwarding nothing (--mode refuse: a relay that refuses the request,
its body with control bytes and longer than any excerpt of it should be), or
adds the model digest --digest to every environment a GET /v1/environments/ID
answer carries, the JSON document or the signed one (/signed: the payload
rewritten, the verifier's signature kept), as a relay that chooses a relying
party's reference values would (--mode env), or keeps the first signed environment
each GET /v1/environments/ID/signed got, forwards --count such requests in all,
and answers every later one with the one it kept (--mode replay: an older token,
still fresh, rolling back reference values), or changes nothing (--mode pass).  With --log FILE each request's
method and path is appended to FILE, one line each, before it is forwarded.
Content-Type and Veritee-Key-Binding are the headers passed back.
Prints "listening 127.0.0.1:PORT" once ready."""
import argparse, base64, http.server, json, os, sys, threading, urllib.error, urllib.request

ap = argparse.ArgumentParser()
ap.add_argument("--to", required=True)
ap.add_argument("--mode", choices=["request", "response", "append", "passport", "pass", "refuse", "env", "replay"], required=True)
ap.add_argument("--byte", type=int, default=40)
ap.add_argument("--line", default="")
ap.add_argument("--token-file", default="")
ap.add_argument("--log", default="")
ap.add_argument("--code", type=int, default=403)
ap.add_argument("--digest", default="ee" * 32)
ap.add_argument("--count", type=int, default=2)
a = ap.parse_args()


def flip(b):
    b = bytearray(b)
    if b:
        b[a.byte % len(b)] ^= 1
    return bytes(b)


def swap_passport(data):
    reply = json.loads(data)
    token = open(a.token_file).read().strip()
    payload = token.split(".")[1]
    reply["token"] = token
    reply["id"] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["jti"]
    return json.dumps(reply).encode()


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=")


def add_digest(doc):
    doc.setdefault("components", {}).setdefault("model", []).append(a.digest)


def rewrite_env(path, data):
    if path.endswith("/signed"):
        h, p, sig = data.split(b".")
        payload = json.loads(base64.urlsafe_b64decode(p + b"=" * (-len(p) % 4)))
        add_digest(payload["environment"])
        return h + b"." + b64url(json.dumps(payload, separators=(",", ":")).encode()) + b"." + sig
    doc = json.loads(data)
    add_digest(doc)
    return json.dumps(doc).encode()


kept = {}  # --mode replay: path -> [requests forwarded, the first 200 answer]
kept_lock = threading.Lock()


def replayed(path):
    """The kept answer for path once --count requests for it were forwarded, else None."""
    with kept_lock:
        k = kept.setdefault(path, [0, None])
        if k[0] >= a.count and k[1] is not None:
            return k[1]
        k[0] += 1
        return None


class H(http.server.BaseHTTPRequestHandler):
    def relay(self, body):
        if a.log:
            with open(a.log, "a") as f:
                f.write("%s %s\n" % (self.command, self.path))
        if self.command == "POST" and a.mode == "refuse":
            # read as chunked OHTTP, "\r" after 16 bytes (a response nonce) is a chunk too short to open
            data = b"relay refused it\r\n\x1b[2J<b>\"q\"</b>\x00\xff " + b"z" * 400 + b" END-OF-REFUSAL"
            self.send_response(a.code)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        if body is not None and a.mode == "request":
            body = flip(body)
        signed = self.command == "GET" and self.path.startswith("/v1/environments/") and self.path.endswith("/signed")
        if a.mode == "replay" and signed:
            old = replayed(self.path)
            if old is not None:
                self.send_response(200)
                self.send_header("Content-Type", "application/jose")
                self.send_header("Content-Length", str(len(old)))
                self.end_headers()
                self.wfile.write(old)
                return
        hdr = {k: v for k, v in self.headers.items() if k.lower() in ("content-type",)}
        rq = urllib.request.Request(a.to + self.path, data=body, method=self.command, headers=hdr)
        try:
            r = urllib.request.urlopen(rq)
            code, data, ctype = r.status, r.read(), r.headers.get("Content-Type", "")
            binding = r.headers.get("Veritee-Key-Binding")
            if self.command == "POST" and a.mode == "response":
                data = flip(data)
            if self.command == "POST" and a.mode == "append" and code == 200:
                data += os.fsencode(a.line) + b"\n"
            if a.mode == "env" and self.command == "GET" and self.path.startswith("/v1/environments/") and code == 200:
                data = rewrite_env(self.path, data)
            if a.mode == "replay" and signed and code == 200:
                with kept_lock:
                    if kept[self.path][1] is None:
                        kept[self.path][1] = data
            if a.mode == "passport" and self.command == "POST" and self.path.endswith("/v1/attest") and code in (200, 201):
                data = swap_passport(data)
        except urllib.error.HTTPError as e:
            code, data, ctype = e.code, e.read(), e.headers.get("Content-Type", "")
            binding = None
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        if binding is not None:  # the OHTTP key configuration's signature, as a relay passes it
            self.send_header("Veritee-Key-Binding", binding)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.relay(None)

    def do_POST(self):
        self.relay(self.rfile.read(int(self.headers.get("Content-Length", "0"))))

    def log_message(self, *args):
        pass


s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print("listening 127.0.0.1:%d" % s.server_address[1], flush=True)
s.serve_forever()
