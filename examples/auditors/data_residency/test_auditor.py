"""The data-residency auditor over its real transport: resident data blocked or allowed by the
deployment's claims (environment, platform, hardware attestation) the gateway sends as context."""
import http.client
import json
import os
import socket
import sys
import tempfile
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "sdk", "python"))
from auditor import make_rule  # noqa: E402
from veritee_auditor import PROTOCOL, make_server  # noqa: E402


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost")
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


EU = {"environment": "eu-prod", "platform": "tdx", "hardware_attested": True, "model": "ab"}


def request(texts, context):
    return {"protocol": PROTOCOL, "auditor": "data-residency", "phase": "request", "exchange": "1",
            "endpoint": "/v1/chat/completions", "context": context,
            "texts": [{"path": "messages[%d].content" % i, "text": t} for i, t in enumerate(texts)]}


class DataResidencyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.sock = os.path.join(cls.dir, "r.sock")
        rule = make_rule({"countries": ["DE", "FR"], "markers": ["EU-RESIDENT"], "allowed_environments": ["eu-prod"],
                          "allowed_platforms": ["tdx", "sevsnp"], "require_hardware_attested": True})
        cls.srv = make_server(rule, "data-residency", "1.0.0", ["request"], socket_path=cls.sock)
        threading.Thread(target=cls.srv.serve_forever, daemon=True).start()
        cls.conn = UnixConnection(cls.sock)

    @classmethod
    def tearDownClass(cls):
        cls.conn.close()
        cls.srv.shutdown()
        cls.srv.server_close()

    def post(self, body):
        self.conn.request("POST", "/v1/audit", body=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
        r = self.conn.getresponse()
        return r.status, json.loads(r.read())

    def test_no_resident_data_is_allowed_anywhere(self):
        self.assertEqual(self.post(request(["hello"], {"environment": "us", "platform": "mock"})),
                         (200, {"verdict": "allow"}))

    def test_resident_data_in_an_allowed_deployment(self):
        st, v = self.post(request(["pay to DE89 3704 0044 0532 0130 00 please"], EU))
        self.assertEqual((st, v["verdict"], v["findings"]), (200, "annotate", {"resident_data": 1}))

    def test_each_claim_that_fails_is_named(self):
        for ctx, word in (({**EU, "environment": "us-prod"}, "environment us-prod"),
                          ({**EU, "platform": "mock"}, "platform mock"),
                          ({**EU, "hardware_attested": False}, "not hardware-attested"),
                          ({}, "environment (none)")):
            st, v = self.post(request(["account FR7630006000011234567890189", "x"], ctx))
            self.assertEqual((st, v["verdict"]), (200, "block"), ctx)
            self.assertIn(word, v["reason"])
            self.assertNotIn("FR76", json.dumps(v))  # never the data itself

    def test_marker(self):
        st, v = self.post(request(["EU-RESIDENT record"], {**EU, "hardware_attested": False}))
        self.assertEqual((v["verdict"], v["findings"]), ("block", {"resident_data": 1}))

    def test_other_countries_pass(self):
        self.assertEqual(self.post(request(["GB29 NWBK 6016 1331 9268 19"], {}))[1], {"verdict": "allow"})


if __name__ == "__main__":
    unittest.main()
