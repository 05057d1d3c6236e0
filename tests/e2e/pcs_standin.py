#!/usr/bin/env python3
"""A stand-in Intel PCS v4 (or PCCS) on 127.0.0.1 for tests and the demo.

Serves collateral directories laid out like ../shared/vectors/tdx/*/collateral-*
(or `veritee sim tdx --out`): bodies as Intel PCS serves them, issuer chains
URL-encoded in the response headers Intel PCS uses.

usage: pcs_standin.py PORTFILE PREFIX=MODE:DIR[:QUOTE] ...

Requests go to /PREFIX/tdx/certification/v4/tcb?fmspc=.., /PREFIX/tdx/
certification/v4/qe/identity, /PREFIX/sgx/certification/v4/pckcrl?ca=..&
encoding=der and /PREFIX/sgx/certification/v4/rootcacrl.  MODE:
  ok         as PCS serves it
  hex        ok, but the Root CA CRL hex-encoded (older PCCS)
  tamper     a TCB level's "OutOfDate" made "UpToDate" in the TCB info body
  wrongchain the PCK CRL issuer chain in the TCB-Info-Issuer-Chain and
             SGX-Enclave-Identity-Issuer-Chain headers
  nochain    no TCB-Info-Issuer-Chain header at all
  rootaspck  the Root CA CRL (and the root alone as its issuer chain) where the
             PCK CRL belongs: validly signed, but the wrong CA's
  404 / 500  that status for every request
  slow       ok, after 3 seconds
When DIR has no pck_crl_issuer_chain.pem, QUOTE (a TDX quote) gives it: the
PCK CA and root certificates of its embedded chain.  Every request is logged
to stderr as "GET <path>".
"""
import glob
import http.server
import json
import os
import re
import sys
import time
import urllib.parse

PEM_RE = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----\n?", re.S)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def enc(pem):
    return urllib.parse.quote(pem.decode("ascii"), safe="")


class Profile:
    def __init__(self, spec):
        parts = spec.split(":")
        self.mode, self.dir = parts[0], parts[1]
        self.quote = parts[2] if len(parts) > 2 else None
        self.tcb = {}
        for p in glob.glob(os.path.join(self.dir, "tcb_info_*.json")):
            body = read(p)
            fmspc = json.loads(body)["tcbInfo"]["fmspc"].lower()
            self.tcb[fmspc] = body
        self.tcb_chain = read(os.path.join(self.dir, "tcb_signing_chain.pem"))
        self.qe = read(os.path.join(self.dir, "td_qe_identity.json"))
        self.qe_chain = read(os.path.join(self.dir, "qe_identity_signing_chain.pem"))
        self.crl = read(os.path.join(self.dir, "pck_crl_platform.der"))
        self.root_crl = read(os.path.join(self.dir, "root_ca_crl.der"))
        chain = os.path.join(self.dir, "pck_crl_issuer_chain.pem")
        if os.path.exists(chain):
            self.crl_chain = read(chain)
        else:
            certs = PEM_RE.findall(read(self.quote))
            self.crl_chain = b"".join(c if c.endswith(b"\n") else c + b"\n" for c in certs[1:])


profiles = {}


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        sys.stderr.write("GET %s\n" % self.path)
        sys.stderr.flush()
        u = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(u.query)
        segs = u.path.split("/", 2)
        p = profiles.get(segs[1]) if len(segs) == 3 else None
        if p is None:
            return self.reply(404, b'{"error":"no such profile"}')
        rest = "/" + segs[2]
        if p.mode in ("404", "500"):
            return self.reply(int(p.mode), b"")
        if p.mode == "slow":
            time.sleep(3)
        if rest == "/tdx/certification/v4/tcb":
            body = p.tcb.get(q.get("fmspc", [""])[0].lower())
            if body is None:
                return self.reply(404, b"")
            chain = p.tcb_chain
            if p.mode == "tamper":
                body = body.replace(b'"OutOfDate"', b'"UpToDate"', 1)
            if p.mode == "wrongchain":
                chain = p.crl_chain
            hdrs = [("Content-Type", "application/json")]
            if p.mode != "nochain":
                hdrs.append(("TCB-Info-Issuer-Chain", enc(chain)))
            return self.reply(200, body, hdrs)
        if rest == "/tdx/certification/v4/qe/identity":
            chain = p.crl_chain if p.mode == "wrongchain" else p.qe_chain
            return self.reply(200, p.qe, [("Content-Type", "application/json"),
                                          ("SGX-Enclave-Identity-Issuer-Chain", enc(chain))])
        if rest == "/sgx/certification/v4/pckcrl":
            if q.get("ca") != ["platform"] or q.get("encoding") != ["der"]:
                return self.reply(404, b"")
            body, chain = p.crl, p.crl_chain
            if p.mode == "rootaspck":
                body, chain = p.root_crl, PEM_RE.findall(p.crl_chain)[-1]
            return self.reply(200, body, [("Content-Type", "application/pkix-crl"),
                                          ("SGX-PCK-CRL-Issuer-Chain", enc(chain))])
        if rest == "/sgx/certification/v4/rootcacrl":
            body = p.root_crl.hex().encode() if p.mode == "hex" else p.root_crl
            return self.reply(200, body, [("Content-Type", "application/pkix-crl")])
        return self.reply(404, b"")

    def log_message(self, fmt, *args):
        pass


def main():
    portfile = sys.argv[1]
    for spec in sys.argv[2:]:
        prefix, rest = spec.split("=", 1)
        profiles[prefix] = Profile(rest)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    srv.daemon_threads = True
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(portfile + ".tmp", portfile)
    srv.serve_forever()


if __name__ == "__main__":
    main()
