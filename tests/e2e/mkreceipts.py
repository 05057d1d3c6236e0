#!/usr/bin/env python3
"""Test stand-in for the gateway's receipt signer (one process: python start-up is slow).
  mkreceipts.py keys KEY.pem WRONG.vkey NAME   a P-256 enclave key, and an Ed25519 note verifier
                                               key named NAME that the log never used
  mkreceipts.py sign KEY.pem PASSPORT ENV MODEL_HEX DIR PREFIX:N...
                                               receipts (veritee-receipt+jwt, ES256 by KEY) naming
                                               PASSPORT, one compact JWS a line in DIR/PREFIX"""
import base64, hashlib, json, os, sys, time
from cryptography.hazmat.primitives import hashes, serialization as s
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, utils


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


if sys.argv[1] == "keys":
    k = ec.generate_private_key(ec.SECP256R1())
    open(sys.argv[2], "wb").write(k.private_bytes(s.Encoding.PEM, s.PrivateFormat.PKCS8, s.NoEncryption()))
    pub = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(s.Encoding.Raw, s.PublicFormat.Raw)
    name = sys.argv[4].encode()
    kid = hashlib.sha256(name + b"\n\x01" + pub).digest()[:4].hex()
    open(sys.argv[3], "w").write("%s+%s+%s\n" % (name.decode(), kid, base64.b64encode(b"\x01" + pub).decode()))
    sys.exit(0)

key = s.load_pem_private_key(open(sys.argv[2], "rb").read(), None)
passport, env, model, outdir = sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
pub = key.public_key().public_numbers()
jwk = {"crv": "P-256", "kty": "EC", "x": b64u(pub.x.to_bytes(32, "big")), "y": b64u(pub.y.to_bytes(32, "big"))}
thumb = b64u(hashlib.sha256(json.dumps(jwk, separators=(",", ":"), sort_keys=True).encode()).digest())
header = b64u(json.dumps({"alg": "ES256", "typ": "veritee-receipt+jwt"}, separators=(",", ":")).encode())
now = int(time.time() * 1000)
for spec in sys.argv[7:]:
    prefix, n = spec.split(":")
    with open(os.path.join(outdir, prefix), "w") as f:
        for i in range(int(n)):
            d = hashlib.sha256(("%s-%d" % (prefix, i)).encode()).hexdigest()
            payload = {"receipt": "rcpt-%s-%d" % (prefix, i), "passport": passport, "environment": env,
                       "enclave_key": thumb, "model": model, "request_received": d, "request_forwarded": d,
                       "response": d, "streamed": False, "endpoint": "/v1/chat/completions", "upstream_status": 200,
                       "status": 200, "content_type": "application/json",
                       "coverage": {"audited": ["request", "response"], "failed": [], "unaudited": []},
                       "verdict": "allow", "usage": None, "received_ms": now, "completed_ms": now, "auditors": []}
            signing = header + "." + b64u(json.dumps(payload, separators=(",", ":")).encode())
            r, sg = utils.decode_dss_signature(key.sign(signing.encode(), ec.ECDSA(hashes.SHA256())))
            f.write(signing + "." + b64u(r.to_bytes(32, "big") + sg.to_bytes(32, "big")) + "\n")
