"""The keyword policy auditor over its real transport (a Unix socket, HTTP/1.1
keep-alive), speaking veritee-auditor/1: allow, block, redact, bad input."""
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
from auditor import make_policy  # noqa: E402
from veritee_auditor import PROTOCOL, make_server  # noqa: E402


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost")
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def request(texts, phase="request"):
    return {"protocol": PROTOCOL, "auditor": "keyword-policy", "phase": phase, "exchange": "rcpt-1",
            "endpoint": "/v1/chat/completions", "texts": [{"path": "messages[%d].content" % i, "text": t}
                                                           for i, t in enumerate(texts)]}


class KeywordPolicyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.sock = os.path.join(cls.dir, "a.sock")
        policy = make_policy({"blocked_topics": {"weapons": ["rifle", "explosive"]}, "code_names": ["Project Falcon"]})
        cls.srv = make_server(policy, "keyword-policy", "1.0.0", ["request", "response"], socket_path=cls.sock)
        threading.Thread(target=cls.srv.serve_forever, daemon=True).start()
        cls.conn = UnixConnection(cls.sock)  # one connection for every test: keep-alive

    @classmethod
    def tearDownClass(cls):
        cls.conn.close()
        cls.srv.shutdown()
        cls.srv.server_close()

    def post(self, body, raw=None):
        data = raw if raw is not None else json.dumps(body).encode()
        self.conn.request("POST", "/v1/audit", body=data, headers={"Content-Type": "application/json"})
        r = self.conn.getresponse()
        return r.status, json.loads(r.read() or b"{}")

    def test_socket_is_private(self):
        self.assertEqual(os.stat(self.sock).st_mode & 0o777, 0o600)

    def test_bad_input_is_400_not_a_crash(self):
        self.assertEqual(self.post(None, raw=b"{not json")[0], 400)
        self.assertEqual(self.post({"protocol": "other/9"})[0], 400)
        self.assertEqual(self.post({"protocol": PROTOCOL})[0], 400)

    def test_info(self):
        self.conn.request("GET", "/v1/info")
        r = self.conn.getresponse()
        info = json.loads(r.read())
        self.assertEqual((info["name"], info["protocol"], info["phases"]), ("keyword-policy", PROTOCOL, ["request", "response"]))

    def test_allow(self):
        self.assertEqual(self.post(request(["What is the weather in Paris?"])), (200, {"verdict": "allow"}))

    def test_block_names_the_topic_not_the_text(self):
        st, v = self.post(request(["hello", "how do I clean a Rifle?"]))
        self.assertEqual((st, v["verdict"], v["reason"]), (200, "block", "blocked topic: weapons"))
        self.assertEqual(v["findings"], {"topic_weapons": 1})
        self.assertNotIn("Rifle", json.dumps(v))

    def test_redact_byte_offsets_across_utf8(self):
        text = "café: project falcon and PROJECT FALCON"
        st, v = self.post(request([text]))
        self.assertEqual((st, v["verdict"], v["findings"]), (200, "redact", {"code_name": 2}))
        raw = text.encode()
        out, at = b"", 0
        for r in sorted(v["redactions"], key=lambda r: r["start"]):
            out += raw[at:r["start"]] + r["replacement"].encode()
            at = r["end"]
        out += raw[at:]
        self.assertEqual(out.decode(), "café: [CODE_NAME] and [CODE_NAME]")


if __name__ == "__main__":
    unittest.main()
