#!/usr/bin/env python3
"""A stand-in for NVIDIA's RIM service and OCSP responder on 127.0.0.1 (tests, demo).

usage: nvidia_standin.py PORTFILE --issuer CERT.pem KEY.pem [--rim ID=FILE ...]

Every path starts with a mode: /MODE/v1/rim/ID (GET, RIM service) or POST
/MODE/ (OCSP, body a DER OCSPRequest).  The RIM service answers as NVIDIA's
does: JSON {"id", "rim": base64, "sha256", "rim_format", ...}.  The OCSP
responder answers for certificates whose issuer is an --issuer (signing with
that issuer's key: the CA itself is the responder), as RFC 6960 lets it.
Modes:
  ok          as the service would; OCSP: good, nextUpdate in 1 day
  revoked     OCSP: revoked (keyCompromise) an hour ago
  unknown     OCSP: unknown
  expired     OCSP: thisUpdate 3 days ago, nextUpdate 2 days ago
  future      OCSP: thisUpdate 1 day ahead
  wrongsigner OCSP: signed by a fresh self-signed "responder" nobody delegated to
  delegated   OCSP: signed by a responder certificate the issuer made for OCSPSigning
  nodelegate  OCSP: as delegated, but the responder certificate lacks OCSPSigning
  tampered    OCSP: one byte of the signature flipped; RIM: one byte of the RIM changed
  badsha      RIM: sha256 field of other bytes
  otherid     RIM: the answer names another id
  404 / 500   that status for every request
Every request is logged to stderr as "GET <path>" or "POST <path> <serial hex>".
"""
import base64
import datetime
import hashlib
import http.server
import json
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

issuers = []   # (cert, key)
rims = {}      # id -> bytes


def now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def self_signed(cn, key):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now() - datetime.timedelta(days=1))
            .not_valid_after(now() + datetime.timedelta(days=30)).sign(key, hashes.SHA384()))


def delegate(issuer, ikey, eku):
    key = ec.generate_private_key(ec.SECP384R1())
    b = (x509.CertificateBuilder()
         .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "stand-in OCSP responder")]))
         .issuer_name(issuer.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now() - datetime.timedelta(days=1)).not_valid_after(now() + datetime.timedelta(days=30)))
    if eku:
        b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=False)
    return b.sign(ikey, hashes.SHA384() if isinstance(ikey.curve, ec.SECP384R1) else hashes.SHA256()), key


def find_issuer(req):
    for cert, key in issuers:
        h = hashes.Hash(req.hash_algorithm)
        h.update(cert.subject.public_bytes())
        if h.finalize() == req.issuer_name_hash:
            return cert, key
    return None, None


def ocsp_answer(mode, body):
    req = ocsp.load_der_ocsp_request(body)
    sys.stderr.write("POST /%s/ %x\n" % (mode, req.serial_number))
    sys.stderr.flush()
    issuer, ikey = find_issuer(req)
    if issuer is None and mode == "wrongsigner":  # e.g. a genuine NVIDIA chain: answer, signed by nobody it trusts
        ikey = ec.generate_private_key(ec.SECP384R1())
        issuer = self_signed("NVIDIA GH100 Provisioner ICA 1", ikey)
    if issuer is None:
        return ocsp.OCSPResponseBuilder.build_unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED).public_bytes(
            serialization.Encoding.DER)
    t = now()
    this, nxt = t - datetime.timedelta(minutes=5), t + datetime.timedelta(days=1)
    status, rev_time, rev_reason = ocsp.OCSPCertStatus.GOOD, None, None
    if mode == "revoked":
        status, rev_time, rev_reason = ocsp.OCSPCertStatus.REVOKED, t - datetime.timedelta(hours=1), \
            x509.ReasonFlags.key_compromise
    elif mode == "unknown":
        status = ocsp.OCSPCertStatus.UNKNOWN
    elif mode == "expired":
        this, nxt = t - datetime.timedelta(days=3), t - datetime.timedelta(days=2)
    elif mode == "future":
        this, nxt = t + datetime.timedelta(days=1), t + datetime.timedelta(days=2)
    b = ocsp.OCSPResponseBuilder().add_response_by_hash(
        req.issuer_name_hash, req.issuer_key_hash, req.serial_number, req.hash_algorithm, status, this, nxt,
        rev_time, rev_reason)
    signer, skey, certs = issuer, ikey, []
    if mode == "wrongsigner":
        skey = ec.generate_private_key(ec.SECP384R1())
        signer = self_signed(issuer.subject.rfc4514_string().split(",")[0][3:], skey)  # same CN, other key
        certs = [signer]
    elif mode in ("delegated", "nodelegate"):
        signer, skey = delegate(issuer, ikey, mode == "delegated")
        certs = [signer]
    b = b.responder_id(ocsp.OCSPResponderEncoding.HASH, signer)
    if certs:
        b = b.certificates(certs)
    der = b.sign(skey, hashes.SHA384()).public_bytes(serialization.Encoding.DER)
    if mode == "tampered":
        der = der[:-5] + bytes([der[-5] ^ 0x01]) + der[-4:]
    return der


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, status, body=b"", ctype="application/octet-stream"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def mode(self):
        segs = self.path.split("/", 2)
        return (segs[1], "/" + segs[2]) if len(segs) == 3 else ("", self.path)

    def do_GET(self):
        sys.stderr.write("GET %s\n" % self.path)
        sys.stderr.flush()
        mode, rest = self.mode()
        if mode in ("404", "500"):
            return self.reply(int(mode))
        if not rest.startswith("/v1/rim/") or rest[8:] not in rims:
            return self.reply(404, b'{"error":"not found"}', "application/json")
        rid = rest[8:]
        rim = rims[rid]
        sha = hashlib.sha256(rim).hexdigest()
        if mode == "tampered":  # one golden measurement changed: the XML-DSig must fail
            i = rim.index(b'Hash0="') + 7
            rim = rim[:i] + (b"1" if rim[i:i + 1] != b"1" else b"2") + rim[i + 1:]
        if mode == "badsha":
            sha = hashlib.sha256(rim + b"x").hexdigest()
        body = {"id": "NV_GPU_OTHER" if mode == "otherid" else rid,
                "rim": base64.b64encode(rim).decode(), "sha256": sha if mode != "tampered" else None,
                "last_updated": "2025-01-01T00:00:00.000000", "rim_format": "TCG", "request_id": "standin"}
        return self.reply(200, json.dumps(body).encode(), "application/json")

    def do_POST(self):
        mode, _ = self.mode()
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n) if 0 < n < 65536 else b""
        if mode in ("404", "500"):
            return self.reply(int(mode))
        if self.headers.get("Content-Type") != "application/ocsp-request":
            return self.reply(415)
        try:
            der = ocsp_answer(mode, body)
        except ValueError:
            return self.reply(400)
        return self.reply(200, der, "application/ocsp-response")

    def log_message(self, fmt, *args):
        pass


def main():
    args = sys.argv[1:]
    portfile = args.pop(0)
    while args:
        a = args.pop(0)
        if a == "--issuer":
            cert = x509.load_pem_x509_certificate(open(args.pop(0), "rb").read())
            key = serialization.load_pem_private_key(open(args.pop(0), "rb").read(), None)
            issuers.append((cert, key))
        elif a == "--rim":
            rid, path = args.pop(0).split("=", 1)
            rims[rid] = open(path, "rb").read()
        else:
            sys.exit("nvidia_standin.py: unknown argument " + a)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    srv.daemon_threads = True
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(portfile + ".tmp", portfile)
    srv.serve_forever()


if __name__ == "__main__":
    main()
