#!/usr/bin/env python3
"""A minimal Oblivious HTTP client (RFC 9458 over RFC 9180 HPKE base mode,
DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM), written independently
of libveritee from the RFCs with Python's hmac/hashlib and the `cryptography`
package's X25519 and AES-GCM, for the end-to-end tests.

  ohttp_client.py --gateway URL --relay URL --path /v1/chat/completions --body JSON
                  [--flip-request N] [--flip-response N] [--key-id N]

Fetches the key configuration (through the relay) and the gateway's attestation,
checks that the passport's enclave key signs the configuration, encapsulates a
Binary HTTP request, posts it to the relay and prints the decapsulated response
as JSON {"status", "headers", "body"}.  Exit 3 when the relay or gateway
refuses, 4 when the response does not decapsulate, 5 when the key binding fails.
"""
import argparse, base64, hashlib, hmac, json, os, socket, struct, sys, time, urllib.error, urllib.parse, urllib.request

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def extract(salt, ikm):
    return hmac.new(salt or b"\0" * 32, ikm, hashlib.sha256).digest()


def expand(prk, info, n):
    out, t, i = b"", b"", 1
    while len(out) < n:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        out, i = out + t, i + 1
    return out[:n]


def lextract(sid, salt, label, ikm):
    return extract(salt, b"HPKE-v1" + sid + label + ikm)


def lexpand(sid, prk, label, info, n):
    return expand(prk, struct.pack(">H", n) + b"HPKE-v1" + sid + label + info, n)


def varint(v):
    if v < 0x40:
        return bytes([v])
    if v < 0x4000:
        return struct.pack(">H", v | 0x4000)
    return struct.pack(">I", v | 0x80000000)


def lstr(b):
    return varint(len(b)) + b


def read_varint(b, i):
    n = 1 << (b[i] >> 6)
    v = b[i] & 0x3F
    for k in range(1, n):
        v = (v << 8) | b[i + k]
    return v, i + n


def bhttp_request(method, path, headers, body):
    fields = b"".join(lstr(k.encode()) + lstr(v.encode()) for k, v in headers)
    return (varint(0) + lstr(method.encode()) + lstr(b"http") + lstr(b"gateway") + lstr(path.encode())
            + lstr(fields) + lstr(body) + varint(0))


def bhttp_response(b):
    i = 0
    framing, i = read_varint(b, i)
    assert framing == 1, "not a known-length response"
    status, i = read_varint(b, i)
    headers, body = {}, b""
    if i < len(b):
        flen, i = read_varint(b, i)
        end = i + flen
        while i < end:
            nl, i = read_varint(b, i)
            name = b[i:i + nl].decode(); i += nl
            vl, i = read_varint(b, i)
            headers[name] = b[i:i + vl].decode(); i += vl
    if i < len(b):
        clen, i = read_varint(b, i)
        body = b[i:i + clen]
    return status, headers, body


def b64url(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def check_binding(keys, sig_b64, gateway):
    """The enclave key named by the passport's cnf signs the key configuration."""
    nonce = os.urandom(16).hex()
    att = json.load(urllib.request.urlopen(gateway + "/v1/attestation?nonce=" + nonce))
    jwk = att["enclave_key"]
    claims = json.loads(b64url(att["passport"].split(".")[1]))
    cnf = claims.get("cnf", {}).get("jwk", {})
    if (cnf.get("x"), cnf.get("y")) != (jwk["x"], jwk["y"]):
        print("binding: passport cnf differs from the enclave key", file=sys.stderr)
        sys.exit(5)
    pub = ec.EllipticCurvePublicNumbers(int.from_bytes(b64url(jwk["x"]), "big"),
                                        int.from_bytes(b64url(jwk["y"]), "big"), ec.SECP256R1()).public_key()
    sig = b64url(sig_b64)
    der = utils.encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    try:
        pub.verify(der, b"veritee ohttp-keys v1\0" + keys, ec.ECDSA(hashes.SHA256()))
    except Exception:
        print("binding: the key configuration is not signed by the enclave key", file=sys.stderr)
        sys.exit(5)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gateway", required=True)
    ap.add_argument("--relay", required=True)
    ap.add_argument("--path", default="/v1/chat/completions")
    ap.add_argument("--body", default="")
    ap.add_argument("--flip-request", type=int, default=-1)
    ap.add_argument("--flip-response", type=int, default=-1)
    ap.add_argument("--key-id", type=int, default=-1)
    ap.add_argument("--no-binding", action="store_true")
    ap.add_argument("--replay", action="store_true",
                    help="send the same encapsulated request twice (RFC 9458 6.5) and report both answers")
    ap.add_argument("--leave-after", type=float, default=-1,
                    help="send the request, then close the connection after this many seconds, unanswered")
    a = ap.parse_args()

    r = urllib.request.urlopen(a.relay + "/.well-known/ohttp-keys")
    assert r.headers["Content-Type"] == "application/ohttp-keys"
    keys = r.read()
    if not a.no_binding:
        check_binding(keys, r.headers.get("Veritee-Key-Binding", ""), a.gateway)
    clen = struct.unpack(">H", keys[:2])[0]
    cfg = keys[2:2 + clen]
    key_id, kem = cfg[0], struct.unpack(">H", cfg[1:3])[0]
    assert kem == 0x20, "expected an X25519 key configuration"
    pkR = cfg[3:35]
    algs = cfg[37:]
    assert b"\x00\x01\x00\x01" in [algs[i:i + 4] for i in range(0, len(algs), 4)], "no HKDF-SHA256/AES-128-GCM"
    if a.key_id >= 0:
        key_id = a.key_id

    hdr = bytes([key_id]) + struct.pack(">HHH", 0x20, 1, 1)
    info = b"message/bhttp request\0" + hdr
    skE = X25519PrivateKey.generate()
    enc = skE.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    dh = skE.exchange(X25519PublicKey.from_public_bytes(pkR))
    ksid = b"KEM\x00\x20"
    shared = lexpand(ksid, lextract(ksid, b"", b"eae_prk", dh), b"shared_secret", enc + pkR, 32)
    sid = b"HPKE" + struct.pack(">HHH", 0x20, 1, 1)
    ksc = b"\0" + lextract(sid, b"", b"psk_id_hash", b"") + lextract(sid, b"", b"info_hash", info)
    secret = lextract(sid, shared, b"secret", b"")
    key = lexpand(sid, secret, b"key", ksc, 16)
    nonce = lexpand(sid, secret, b"base_nonce", ksc, 12)
    exp = lexpand(sid, secret, b"exp", ksc, 32)

    headers = [("content-type", "application/json")] if a.body else []
    req = bhttp_request("POST" if a.body else "GET", a.path, headers, a.body.encode())
    enc_req = bytearray(hdr + enc + AESGCM(key).encrypt(nonce, req, b""))
    if a.flip_request >= 0:
        enc_req[a.flip_request % len(enc_req)] ^= 1
    def exchange():
        rq = urllib.request.Request(a.relay + "/v1/ohttp", data=bytes(enc_req), method="POST",
                                    headers={"Content-Type": "message/ohttp-req"})
        try:
            resp = urllib.request.urlopen(rq)
        except urllib.error.HTTPError as e:
            print(json.dumps({"error": e.code, "body": e.read().decode(errors="replace")}))
            sys.exit(3)
        assert resp.headers["Content-Type"] == "message/ohttp-res"
        enc_res = bytearray(resp.read())
        if a.flip_response >= 0:
            enc_res[a.flip_response % len(enc_res)] ^= 1
        secret_r = lexpand(sid, exp, b"sec", b"message/bhttp response", 16)
        rn = bytes(enc_res[:16])
        prk = extract(enc + rn, secret_r)
        try:
            plain = AESGCM(expand(prk, b"key", 16)).decrypt(expand(prk, b"nonce", 12), bytes(enc_res[16:]), b"")
        except Exception:
            print(json.dumps({"error": "response does not decapsulate"}))
            sys.exit(4)
        status, h, body = bhttp_response(plain)
        return {"status": status, "headers": h, "body": body.decode(errors="replace"),
                "response_nonce": rn.hex(), "ciphertext": bytes(enc_res).hex()}

    if a.leave_after >= 0: # a client that goes away while the gateway works on its request
        u = urllib.parse.urlsplit(a.relay)
        c = socket.create_connection((u.hostname, u.port or 80))
        c.sendall(b"POST /v1/ohttp HTTP/1.1\r\nHost: x\r\nContent-Type: message/ohttp-req\r\n"
                  b"Content-Length: %d\r\n\r\n" % len(enc_req) + bytes(enc_req))
        time.sleep(a.leave_after)
        c.close()
        print(json.dumps({"left": True}))
        return
    first = exchange()
    if not a.replay:
        del first["response_nonce"], first["ciphertext"]
        print(json.dumps(first))
        return
    # The identical Encapsulated Request again (what a relay or an observer could resend).
    second = exchange()
    print(json.dumps({"first": first, "second": second}))


if __name__ == "__main__":
    main()
