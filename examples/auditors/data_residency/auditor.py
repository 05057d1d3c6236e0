#!/usr/bin/env python3
"""Example external auditor: a data-residency rule over the passport's platform claims.

Data that must stay in a jurisdiction (IBANs of the listed countries, or texts
carrying one of the listed markers) may only be sent to a model when the
gateway's attested deployment allows it: its environment is one of
`allowed_environments`, its TEE platform one of `allowed_platforms`, and, with
`require_hardware_attested`, the passport says the evidence was genuine
hardware.  The gateway sends those claims as the request's "context".

    {"countries": ["DE", "FR"], "markers": ["EU-RESIDENT"],
     "allowed_environments": ["eu-prod"], "allowed_platforms": ["tdx", "sevsnp"],
     "require_hardware_attested": true}

Run:  auditor.py CONFIG.json --socket /run/veritee/residency.sock
"""
import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "sdk", "python"))
from veritee_auditor import Verdict, serve  # noqa: E402


def make_rule(config):
    countries = [c.upper() for c in config.get("countries", []) if re.fullmatch(r"[A-Za-z]{2}", c)]
    iban = re.compile(r"\b(?:%s)\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,4})?\b" % "|".join(countries)) \
        if countries else None
    markers = [m for m in config.get("markers", []) if m]
    envs = set(config.get("allowed_environments", []))
    platforms = set(config.get("allowed_platforms", []))
    need_hw = bool(config.get("require_hardware_attested", True))

    def audit(req):
        found = 0
        for t in req.texts:
            if iban is not None:
                found += len(iban.findall(t.text))
            found += sum(t.text.count(m) for m in markers)
        if found == 0:
            return Verdict.allow()
        ctx = req.context or {}
        why = []
        if ctx.get("environment") not in envs:
            why.append("environment %s is not allowed" % (ctx.get("environment") or "(none)"))
        if ctx.get("platform") not in platforms:
            why.append("platform %s is not allowed" % (ctx.get("platform") or "(none)"))
        if need_hw and ctx.get("hardware_attested") is not True:
            why.append("the deployment is not hardware-attested")
        if why:
            return Verdict.block("resident data: " + "; ".join(why), {"resident_data": found})
        return Verdict.annotate({"resident_data_ok": True}, {"resident_data": found})

    return audit


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("config")
    ap.add_argument("--socket", required=True)
    a = ap.parse_args()
    with open(a.config, encoding="utf-8") as f:
        config = json.load(f)
    serve(make_rule(config), name="data-residency", version="1.0.0", phases=["request"], socket_path=a.socket)


if __name__ == "__main__":
    main()
