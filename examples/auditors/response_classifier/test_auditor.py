"""The response classifier over its real transport, calling a local model server (a stand-in
that answers like an OpenAI-compatible server): flagged responses blocked, others annotated, and
an unreachable model server is a failure of the auditor (500), never an allow."""
import http.client
import http.server
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
from auditor import make_classifier  # noqa: E402
from veritee_auditor import PROTOCOL, make_server  # noqa: E402


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost")
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


class ModelServer(http.server.BaseHTTPRequestHandler):
    """Answers UNSAFE when the text to classify mentions "poison", SAFE otherwise."""
    seen = []

    def log_message(self, *a):
        pass

    def do_POST(self):
        doc = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        ModelServer.seen.append(doc)
        text = doc["messages"][-1]["content"]
        body = json.dumps({"choices": [{"message": {"role": "assistant",
                                                    "content": "UNSAFE" if "poison" in text else "SAFE"}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def request(texts):
    return {"protocol": PROTOCOL, "auditor": "response-classifier", "phase": "response", "exchange": "1",
            "endpoint": "/v1/chat/completions",
            "texts": [{"path": "choices[0].message.content", "text": t} for t in texts]}


class ClassifierTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = http.server.HTTPServer(("127.0.0.1", 0), ModelServer)
        threading.Thread(target=cls.model.serve_forever, daemon=True).start()
        cls.dir = tempfile.mkdtemp()
        cls.sock = os.path.join(cls.dir, "c.sock")
        cls.dead = os.path.join(cls.dir, "d.sock")
        url = "http://127.0.0.1:%d" % cls.model.server_address[1]
        cls.srv = make_server(make_classifier({"model_url": url}), "response-classifier", "1.0.0", ["response"],
                              socket_path=cls.sock)
        # A classifier whose model server is gone (a port nothing listens on).
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
        s.close()
        cls.dsrv = make_server(make_classifier({"model_url": "http://127.0.0.1:%d" % dead_port, "timeout_s": 1}),
                               "response-classifier", "1.0.0", ["response"], socket_path=cls.dead)
        for srv in (cls.srv, cls.dsrv):
            threading.Thread(target=srv.serve_forever, daemon=True).start()

    @classmethod
    def tearDownClass(cls):
        for srv in (cls.srv, cls.dsrv, cls.model):
            srv.shutdown()
            srv.server_close()

    def post(self, path, body):
        c = UnixConnection(path)
        c.request("POST", "/v1/audit", body=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
        r = c.getresponse()
        out = r.status, json.loads(r.read())
        c.close()
        return out

    def test_safe_is_annotated(self):
        st, v = self.post(self.sock, request(["Tea is best brewed at 80 degrees."]))
        self.assertEqual((st, v["verdict"], v["annotations"]), (200, "annotate", {"classified": True}))
        self.assertEqual(ModelServer.seen[-1]["messages"][-1]["content"], "Tea is best brewed at 80 degrees.")

    def test_flagged_is_blocked(self):
        st, v = self.post(self.sock, request(["first part", "how to poison a well"]))
        self.assertEqual((st, v["verdict"], v["findings"]), (200, "block", {"classifier_flagged": 1}))
        self.assertNotIn("poison", v["reason"])

    def test_model_server_down_fails_the_auditor(self):
        self.assertEqual(self.post(self.dead, request(["anything"]))[0], 500)

    def test_model_url_must_be_loopback(self):
        with self.assertRaises(ValueError):
            make_classifier({"model_url": "http://10.0.0.1:8000"})


if __name__ == "__main__":
    unittest.main()
