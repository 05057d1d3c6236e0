#!/usr/bin/env python3
"""A test auditor (veritee_auditor SDK) that misbehaves on cue, for the gateway's failure modes:
a text holding SLEEP answers after 3 s (a timeout), CRASH kills the process, BADANSWER answers a
redaction outside its text (an answer that breaks the protocol).  In the response phase, a text
holding FORBIDDEN PHRASE is blocked (one text: a phrase streamed over several events is seen only
when the gateway joins them), and UNREDACT is redacted into an e-mail address (a rewrite that the
built-in pii auditor must catch).  Otherwise it reports what it
saw: saw_redacted = 1 when an earlier auditor's redaction is in the texts, saw_raw = 1 when a
customer number is still there (annotations, so they show in the receipt).

Run:  misbehave.py SOCKET [VERSION]"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "sdk", "python"))
from veritee_auditor import Redaction, Verdict, redaction_for, serve  # noqa: E402


def audit(req):
    joined = "\n".join(t.text for t in req.texts)
    if "SLEEP" in joined:
        time.sleep(3)
    if "CRASH" in joined:
        os._exit(3)
    if "BADANSWER" in joined:
        return Verdict.redact([Redaction(0, 0, 10 ** 6, "x")])
    if req.phase == "response":
        if any("FORBIDDEN PHRASE" in t.text for t in req.texts):
            return Verdict.block("forbidden phrase", {"forbidden": 1})
        unredact = [redaction_for(req.texts, i, "UNREDACT", "jane.doe@example.com")
                    for i, t in enumerate(req.texts) if "UNREDACT" in t.text]
        if unredact:
            return Verdict.redact(unredact)
    notes = {"texts": len(req.texts)}
    if "[CUSTOMER_ID]" in joined:
        notes["saw_redacted"] = 1
    if "CUST-" in joined:
        notes["saw_raw"] = 1
    findings = {}
    if req.stream is not None:
        notes["window"] = req.stream.get("window", -1)
        findings["windows"] = 1  # the receipt sums a stream's windows
    return Verdict.annotate(notes, findings)


if __name__ == "__main__":
    serve(audit, name="misbehave", version=sys.argv[2] if len(sys.argv) > 2 else "1.0.0",
          phases=["request", "response"], socket_path=sys.argv[1])
