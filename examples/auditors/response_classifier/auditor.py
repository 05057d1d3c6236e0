#!/usr/bin/env python3
"""Example external auditor: a response-side classifier that asks a local model server.

Each response (or each window of a streamed one) is sent to an
OpenAI-compatible model server inside the same TEE (`model_url`, loopback
only) with a classification instruction; an answer whose first line holds
`flag_word` blocks the response, anything else is annotated.  A stub: swap
the prompt and the parsing for a real classifier (a toxicity or jailbreak
model).  When the model server cannot be reached the auditor fails (HTTP 500)
and the gateway fails closed unless this auditor is configured fail-open.

    {"model_url": "http://127.0.0.1:8000", "model": "classifier", "flag_word": "UNSAFE", "timeout_s": 2}

Run:  auditor.py CONFIG.json --socket /run/veritee/classifier.sock
"""
import argparse
import json
import os
import sys
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "sdk", "python"))
from veritee_auditor import Verdict, serve  # noqa: E402

INSTRUCTION = "Classify the text for harm. Reply SAFE or UNSAFE on the first line."


def make_classifier(config):
    url = config["model_url"].rstrip("/") + "/v1/chat/completions"
    host = urllib.parse.urlparse(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError("model_url must be a loopback address (the model server runs in the same TEE)")
    model = config.get("model", "classifier")
    flag = config.get("flag_word", "UNSAFE")
    timeout = float(config.get("timeout_s", 2))
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy

    def classify(text):
        body = json.dumps({"model": model, "max_tokens": 4, "temperature": 0,
                           "messages": [{"role": "system", "content": INSTRUCTION},
                                        {"role": "user", "content": text}]}).encode()
        req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
        with opener.open(req, timeout=timeout) as r:
            doc = json.load(r)
        return str(doc["choices"][0]["message"]["content"] or "")

    def audit(req):
        text = "\n".join(t.text for t in req.texts if t.text)
        if not text:
            return Verdict.allow()
        label = classify(text).strip().split("\n")[0]
        if flag in label.split():
            return Verdict.block("the classifier flagged the response", {"classifier_flagged": 1})
        return Verdict.annotate({"classified": True}, {})

    return audit


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("config")
    ap.add_argument("--socket", required=True)
    a = ap.parse_args()
    with open(a.config, encoding="utf-8") as f:
        config = json.load(f)
    serve(make_classifier(config), name="response-classifier", version="1.0.0", phases=["response"],
          socket_path=a.socket)


if __name__ == "__main__":
    main()
