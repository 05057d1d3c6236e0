#!/usr/bin/env python3
"""Extracts RFC 9180 Appendix A test vectors for the HPKE suites veritee implements.

Input: the RFC's kramdown source (draft-irtf-cfrg-hpke.md from
github.com/cfrg/draft-irtf-cfrg-hpke, whose Appendix A is the RFC's text).
Output (stdout): a JSON array in the layout of the RFC's test-vectors.json,
one object per (suite, mode), with the encryptions and exports the RFC text
lists.  Only the suites whose KEM, KDF and AEAD are all implemented are kept.

    python3 tests/data/hpke/gen_rfc9180_vectors.py draft-irtf-cfrg-hpke.md \
        > tests/data/hpke/rfc9180-vectors.json
"""
import json
import re
import sys

KEMS = {0x0010, 0x0012, 0x0020}  # P-256, P-521, X25519
KDFS = {0x0001, 0x0002, 0x0003}
AEADS = {0x0001, 0x0002, 0x0003, 0xFFFF}
INT_FIELDS = {"mode", "kem_id", "kdf_id", "aead_id", "sequence number", "L"}
HEX = re.compile(r"^[0-9a-f]+$")


def blocks(lines):
    """Yields (heading, [lines]) for each ~~~ block, heading = last ###/#### line."""
    heading, inside, cur = None, False, []
    for ln in lines:
        if ln.startswith("~~~"):
            if inside:
                yield heading, cur
                cur = []
            inside = not inside
            continue
        if inside:
            cur.append(ln.rstrip())
        elif ln.startswith("#"):
            heading = ln.strip("# \n")


def records(body):
    """Splits a block into records (blank-line separated) of key -> value."""
    recs, cur, key = [], {}, None
    for ln in body + [""]:
        if not ln.strip():
            if cur:
                recs.append(cur)
            cur, key = {}, None
            continue
        m = re.match(r"^([A-Za-z_ ]+):\s*(.*)$", ln)
        if m:
            key = m.group(1)
            cur[key] = m.group(2).strip()
        elif key is not None and HEX.match(ln.strip()):
            cur[key] += ln.strip()  # continuation of a long hex value
        else:
            raise SystemExit("unparsed line: %r" % ln)
    return recs


def fix(rec):
    out = {}
    for k, v in rec.items():
        name = "seq" if k == "sequence number" else k
        out[name] = int(v) if k in INT_FIELDS else v
    return out


def main():
    text = open(sys.argv[1], encoding="utf-8").read().splitlines()
    try:
        start = next(i for i, ln in enumerate(text) if ln.startswith("# Test Vectors"))
    except StopIteration:
        raise SystemExit("no '# Test Vectors' appendix in input")
    out, cur = [], None
    for heading, body in blocks(text[start:]):
        if heading is None:
            continue
        if heading.endswith("Setup Information"):
            (rec,) = records(body)
            cur = fix(rec)
            cur["encryptions"], cur["exports"] = [], []
            if cur["kem_id"] in KEMS and cur["kdf_id"] in KDFS and cur["aead_id"] in AEADS:
                out.append(cur)
        elif heading == "Encryptions":
            cur["encryptions"] = [fix(r) for r in records(body)]
        elif heading == "Exported Values":
            cur["exports"] = [fix(r) for r in records(body)]
    for v in out:
        for e in v["exports"]:
            e.setdefault("exporter_context", "")
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
