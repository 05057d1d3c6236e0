"""HTTP/1.1 transport for an auditor: a Unix socket or a loopback port, keep-alive.

Routes: GET /v1/info (name, version, protocol, phases) and POST /v1/audit
(an AuditRequest in, a Verdict out).  A handler that raises makes a 500: the
gateway treats it as a failure of the auditor (fail closed by default).
"""
import json
import os
import socket
import socketserver
import sys
from http.server import BaseHTTPRequestHandler
from typing import Callable, Iterable, Optional

from .protocol import PROTOCOL, AuditRequest, Verdict

MAX_REQUEST = 64 << 20  # the gateway's own body limit is lower; a bound against anything else


def _handler_class(audit: Callable[[AuditRequest], Verdict], info: dict):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive

        def log_message(self, fmt, *args):  # no request content in logs, and nothing by default
            pass

        def address_string(self):  # Unix sockets have no peer address
            return "local"

        def _send(self, status: int, doc: dict):
            body = json.dumps(doc, separators=(",", ":")).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path == "/v1/info":
                self._send(200, info)
            else:
                self._send(404, {"error": "unknown path"})

        def do_POST(self):
            if self.path != "/v1/audit":
                self._send(404, {"error": "unknown path"})
                return
            try:
                n = int(self.headers.get("Content-Length", "-1"))
            except ValueError:
                n = -1
            if n < 0 or n > MAX_REQUEST:
                self._send(413, {"error": "missing or oversized Content-Length"})
                self.close_connection = True
                return
            try:
                req = AuditRequest.from_json(json.loads(self.rfile.read(n)))
            except (ValueError, KeyError, TypeError) as e:
                self._send(400, {"error": "bad request: %s" % e})
                return
            try:
                verdict = audit(req)
                self._send(200, verdict.to_json())
            except Exception as e:  # the auditor failed: say so without echoing content
                sys.stderr.write("auditor %s: handler failed: %s\n" % (info["name"], type(e).__name__))
                self._send(500, {"error": "auditor failed"})

    return Handler


class _UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class _TcpServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def make_server(audit: Callable[[AuditRequest], Verdict], name: str, version: str, phases: Iterable[str],
                socket_path: Optional[str] = None, port: Optional[int] = None):
    """The server, bound but not yet serving (tests use this; port 0 picks one)."""
    info = {"name": name, "version": version, "protocol": PROTOCOL, "phases": list(phases)}
    handler = _handler_class(audit, info)
    if socket_path is not None:
        if os.path.exists(socket_path):
            os.unlink(socket_path)
        srv = _UnixServer(socket_path, handler)
        os.chmod(socket_path, 0o600)  # only the gateway's user may call the auditor
        return srv
    if port is None:
        raise ValueError("give socket_path or port")
    return _TcpServer(("127.0.0.1", port), handler)  # loopback only, never a public address


def serve(audit: Callable[[AuditRequest], Verdict], name: str, version: str, phases: Iterable[str],
          socket_path: Optional[str] = None, port: Optional[int] = None) -> None:
    """Serves forever (until SIGTERM / Ctrl-C); prints where it listens on stdout."""
    srv = make_server(audit, name, version, phases, socket_path, port)
    where = socket_path if socket_path is not None else "127.0.0.1:%d" % srv.server_address[1]
    print("%s %s (%s) listening on %s" % (name, version, PROTOCOL, where), flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        srv.server_close()
