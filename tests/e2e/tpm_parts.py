#!/usr/bin/env python3
"""Splits a veritee TPM evidence container (docs/formats/tpm.md) into the files
of an evidence directory, so tpm2-tools can read veritee's quote:
  tpm_parts.py split EVIDENCE DIR   -> DIR/quote.attest, quote.sig, pcrs_<bank>.bin, ak_pub.tpmt, ...
  tpm_parts.py pem AK_PUB.tpmt      -> the AK as PEM on stdout (RSA or ECC P-256)
  tpm_parts.py ser PCRS_SHA256.bin OUT -> the 24 SHA-256 PCR values in tpm2-tools' serialized form
  tpm_parts.py flip EVIDENCE TYPE OFFSET OUT -> a copy with one bit flipped in the first record of TYPE
  tpm_parts.py evlog OUT PCR HEX... -> a TCG2 crypto-agile event log (SHA-256 only): EV_IPL events on PCR"""
import struct, sys

NAMES = {1: "quote.attest", 2: "quote.sig", 4: "event_log.bin", 5: "ak_pub.tpmt",
         6: "ak_cert.der", 7: "hcl_report.bin"}
BANKS = {0x0004: "sha1", 0x000b: "sha256", 0x000c: "sha384"}


def split(path, out):
    b = open(path, "rb").read()
    assert b[:8] == b"VTTPMEV1", "not a veritee TPM container"
    i = 8
    while i < len(b):
        t, alg, n = struct.unpack(">BHI", b[i:i + 7])
        body = b[i + 7:i + 7 + n]
        name = "pcrs_%s.bin" % BANKS[alg] if t == 3 else NAMES.get(t, "part%d.bin" % t)
        open("%s/%s" % (out, name), "wb").write(body)
        i += 7 + n


def pem(path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    b = open(path, "rb").read()
    typ, name_alg, attrs, plen = struct.unpack(">HHIH", b[:10])
    i = 10 + plen
    if typ == 0x0001:  # RSA: symmetric, scheme(+hash), keyBits, exponent, unique
        i += 2
        sch = struct.unpack(">H", b[i:i + 2])[0]
        i += 4 if sch != 0x0010 else 2
        i += 2
        e = struct.unpack(">I", b[i:i + 4])[0] or 65537
        i += 4
        n = struct.unpack(">H", b[i:i + 2])[0]
        key = rsa.RSAPublicNumbers(e, int.from_bytes(b[i + 2:i + 2 + n], "big")).public_key()
    else:  # ECC: symmetric, scheme(+hash), curve, kdf, x, y
        i += 2
        sch = struct.unpack(">H", b[i:i + 2])[0]
        i += 4 if sch != 0x0010 else 2
        i += 2 + 2
        n = struct.unpack(">H", b[i:i + 2])[0]
        x = int.from_bytes(b[i + 2:i + 2 + n], "big")
        i += 2 + n
        n = struct.unpack(">H", b[i:i + 2])[0]
        y = int.from_bytes(b[i + 2:i + 2 + n], "big")
        key = ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
    sys.stdout.write(key.public_bytes(serialization.Encoding.PEM,
                                      serialization.PublicFormat.SubjectPublicKeyInfo).decode())


def ser(path, out):
    vals = open(path, "rb").read()
    assert len(vals) == 24 * 32
    sel = struct.pack("<I", 1) + struct.pack("<HB4sx", 0x000b, 3, b"\xff\xff\xff\x00") + b"\0" * 8 * 15
    body = sel + struct.pack("<I", 3)
    for k in range(3):
        body += struct.pack("<I", 8)
        for j in range(8):
            body += struct.pack("<H", 32) + vals[(8 * k + j) * 32:(8 * k + j + 1) * 32] + b"\0" * 32
    open(out, "wb").write(body)


def flip(path, typ, off, out):
    b = bytearray(open(path, "rb").read())
    i = 8
    while i < len(b):
        t, alg, n = struct.unpack(">BHI", b[i:i + 7])
        if t == typ:
            b[i + 7 + off] ^= 0x01
            break
        i += 7 + n
    else:
        raise SystemExit("no record of type %d" % typ)
    open(out, "wb").write(bytes(b))


def evlog(out, pcr, digests):
    spec = b"Spec ID Event03\0" + struct.pack("<IBBBBI", 0, 0, 2, 0, 2, 1) + struct.pack("<HH", 0x000b, 32) + b"\0"
    b = struct.pack("<II", 0, 3) + b"\0" * 20 + struct.pack("<I", len(spec)) + spec
    for d in digests:
        data = b"veritee test event"
        b += struct.pack("<IIIH", pcr, 0x0d, 1, 0x000b) + bytes.fromhex(d) + struct.pack("<I", len(data)) + data
    open(out, "wb").write(b)


if __name__ == "__main__":
    if sys.argv[1] == "split":
        split(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "ser":
        ser(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "flip":
        flip(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    elif sys.argv[1] == "evlog":
        evlog(sys.argv[2], int(sys.argv[3]), sys.argv[4:])
    else:
        pem(sys.argv[2])
