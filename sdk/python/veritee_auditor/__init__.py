"""veritee auditor SDK: write a veritee external auditor as one function.

The gateway calls the auditor over HTTP/1.1 (keep-alive) on a Unix socket or a
loopback TCP port with the "veritee-auditor/1" protocol
(docs/auditors.md).  This module handles the transport and the
protocol; the auditor is a function from an AuditRequest to a Verdict:

    from veritee_auditor import serve, Verdict

    def audit(req):
        for i, t in enumerate(req.texts):
            if "forbidden" in t.text:
                return Verdict.block("a forbidden topic")
        return Verdict.allow()

    serve(audit, name="topics", version="1.0.0", phases=["request"], socket_path="/run/topics.sock")

Standard library only; no network access at run time.
"""
from .protocol import PROTOCOL, AuditRequest, Text, Verdict, Redaction, redaction_for
from .server import serve, make_server

__all__ = ["PROTOCOL", "AuditRequest", "Text", "Verdict", "Redaction", "redaction_for", "serve", "make_server"]
