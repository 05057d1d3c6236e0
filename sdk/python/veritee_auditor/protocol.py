"""The veritee-auditor/1 messages as Python objects (docs/auditors.md)."""
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Union

PROTOCOL = "veritee-auditor/1"
VERDICTS = ("allow", "annotate", "redact", "block")


@dataclass(frozen=True)
class Text:
    """One string the model (request phase) or the client (response phase) reads."""
    path: str
    text: str


@dataclass(frozen=True)
class AuditRequest:
    auditor: str
    phase: str                      # "artifact" | "request" | "execution" | "response"
    exchange: str                   # the receipt id of the exchange
    endpoint: str
    texts: List[Text]
    context: Dict[str, object] = field(default_factory=dict)  # environment, platform, hardware_attested, model
    stream: Optional[Dict[str, object]] = None                # {"window": n, "final": bool} for streamed responses

    @staticmethod
    def from_json(doc: dict) -> "AuditRequest":
        if doc.get("protocol") != PROTOCOL:
            raise ValueError("not a %s request" % PROTOCOL)
        return AuditRequest(auditor=str(doc["auditor"]), phase=str(doc["phase"]), exchange=str(doc.get("exchange", "")),
                            endpoint=str(doc.get("endpoint", "")),
                            texts=[Text(str(t["path"]), str(t["text"])) for t in doc.get("texts", [])],
                            context=dict(doc.get("context") or {}), stream=doc.get("stream"))


@dataclass(frozen=True)
class Redaction:
    """Replace bytes [start, end) of texts[text] (UTF-8 byte offsets) with replacement."""
    text: int
    start: int
    end: int
    replacement: str


def redaction_for(texts: List[Text], index: int, substring: str, replacement: str, occurrence: int = 0) -> Redaction:
    """A Redaction of the occurrence-th `substring` in texts[index], with byte offsets computed for you."""
    s = texts[index].text
    pos = -1
    for _ in range(occurrence + 1):
        pos = s.index(substring, pos + 1)
    start = len(s[:pos].encode("utf-8"))
    return Redaction(index, start, start + len(substring.encode("utf-8")), replacement)


@dataclass
class Verdict:
    verdict: str
    findings: Dict[str, int] = field(default_factory=dict)
    redactions: List[Redaction] = field(default_factory=list)
    annotations: Dict[str, Union[int, float, bool, str]] = field(default_factory=dict)
    reason: str = ""

    @staticmethod
    def allow(findings: Optional[Dict[str, int]] = None) -> "Verdict":
        return Verdict("allow", dict(findings or {}))

    @staticmethod
    def annotate(annotations: Dict[str, Union[int, float, bool, str]], findings: Optional[Dict[str, int]] = None) -> "Verdict":
        return Verdict("annotate", dict(findings or {}), annotations=dict(annotations))

    @staticmethod
    def redact(redactions: List[Redaction], findings: Optional[Dict[str, int]] = None) -> "Verdict":
        return Verdict("redact", dict(findings or {}), redactions=list(redactions))

    @staticmethod
    def block(reason: str, findings: Optional[Dict[str, int]] = None) -> "Verdict":
        return Verdict("block", dict(findings or {}), reason=reason)

    def to_json(self) -> dict:
        if self.verdict not in VERDICTS:
            raise ValueError("verdict must be one of %s" % ", ".join(VERDICTS))
        doc: dict = {"verdict": self.verdict}
        if self.findings:
            doc["findings"] = {k: int(v) for k, v in self.findings.items()}
        if self.redactions:
            doc["redactions"] = [{"text": r.text, "start": r.start, "end": r.end, "replacement": r.replacement}
                                 for r in self.redactions]
        if self.annotations:
            doc["annotations"] = dict(self.annotations)
        if self.reason:
            doc["reason"] = self.reason
        return doc
