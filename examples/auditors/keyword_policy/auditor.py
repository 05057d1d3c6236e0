#!/usr/bin/env python3
"""Example external auditor: a keyword and topic policy.

Blocks a request that mentions a blocked topic (any of its keywords, whole
words, case-insensitive) and redacts internal code names wherever they appear.
Its configuration is a JSON file, measured by the gateway with the auditor:

    {"blocked_topics": {"weapons": ["rifle", "explosive"]},
     "code_names": ["Project Falcon"]}

Run:  auditor.py CONFIG.json --socket /run/veritee/keyword.sock   (or --port N)
"""
import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "sdk", "python"))
from veritee_auditor import Redaction, Verdict, serve  # noqa: E402


def make_policy(config):
    topics = {t: re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\b", re.IGNORECASE)
              for t, words in config.get("blocked_topics", {}).items()}
    code_names = [n for n in config.get("code_names", []) if n]

    def audit(req):
        findings = {}
        for t in req.texts:
            for topic, rx in topics.items():
                if rx.search(t.text):
                    findings["topic_" + topic] = findings.get("topic_" + topic, 0) + 1
        if findings:
            return Verdict.block("blocked topic: " + ", ".join(sorted(k[6:] for k in findings)), findings)
        redactions = []
        for i, t in enumerate(req.texts):
            for name in code_names:
                for m in re.finditer(re.escape(name), t.text, re.IGNORECASE):
                    start = len(t.text[:m.start()].encode("utf-8"))  # the protocol counts UTF-8 bytes
                    redactions.append(Redaction(i, start, start + len(m.group().encode("utf-8")), "[CODE_NAME]"))
        if redactions:
            return Verdict.redact(redactions, {"code_name": len(redactions)})
        return Verdict.allow()

    return audit


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("config")
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--socket")
    g.add_argument("--port", type=int)
    a = ap.parse_args()
    with open(a.config, encoding="utf-8") as f:
        config = json.load(f)
    serve(make_policy(config), name="keyword-policy", version="1.0.0", phases=["request", "response"],
          socket_path=a.socket, port=a.port)


if __name__ == "__main__":
    main()
