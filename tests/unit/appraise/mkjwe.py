#!/usr/bin/env python3
# Makes the independent JWE vector of test_jwe.c: a P-256 recipient key (PEM) and a compact
# JWE to it, written from RFC 7518 4.6 (ECDH-ES, Concat KDF) with python3-cryptography only.
import base64, json, hashlib, os
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
def b64e(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
rk = ec.generate_private_key(ec.SECP256R1())
print(rk.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode())
e = ec.generate_private_key(ec.SECP256R1())
n = e.public_key().public_numbers()
hdr = {"alg": "ECDH-ES", "enc": "A256GCM", "epk": {"kty": "EC", "crv": "P-256", "x": b64e(n.x.to_bytes(32, "big")), "y": b64e(n.y.to_bytes(32, "big"))}}
h = b64e(json.dumps(hdr, separators=(",", ":")).encode())
z = e.exchange(ec.ECDH(), rk.public_key())
def lp(b): return len(b).to_bytes(4, "big") + b
cek = hashlib.sha256((1).to_bytes(4, "big") + z + lp(b"A256GCM") + lp(b"") + lp(b"") + (256).to_bytes(4, "big")).digest()
iv = os.urandom(12)
c = AESGCM(cek).encrypt(iv, b"released by an independent JOSE implementation", h.encode())
print(".".join([h, "", b64e(iv), b64e(c[:-16]), b64e(c[-16:])]))
