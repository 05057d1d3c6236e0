#!/usr/bin/env python3
"""A TCP relay for the end-to-end tests that changes where it forwards after a while, and
records every byte it carries (test_gateway_workflow_tls.sh).

switch_relay.py --first HOST:PORT --then HOST:PORT --after N --log FILE [--cert PEM --key PEM]

The first N connections go to --first, every later one to --then: a party on the path that
lets a check through to the genuine server and sends what follows to another.  Each
connection's bytes, both ways, are appended to --log as they pass.  With --cert and --key it
terminates TLS with that certificate and speaks TLS onwards without checking the server's (a
man in the middle: --log then holds what it could read).  Only 127.0.0.1.
Prints "listening 127.0.0.1:PORT" once ready."""
import argparse
import socket
import ssl
import threading

from pump import pump

ap = argparse.ArgumentParser()
ap.add_argument("--first", required=True)
ap.add_argument("--then", required=True)
ap.add_argument("--after", type=int, required=True)
ap.add_argument("--log", required=True)
ap.add_argument("--cert")
ap.add_argument("--key")
a = ap.parse_args()
server_tls = client_tls = None
if a.cert:
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(a.cert, a.key)
    client_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_tls.check_hostname = False
    client_tls.verify_mode = ssl.CERT_NONE
lock = threading.Lock()
count = 0


def addr(s):
    host, port = s.rsplit(":", 1)
    assert host == "127.0.0.1", "test traffic stays on 127.0.0.1"
    return host, int(port)


def record(b):
    with lock, open(a.log, "ab") as f:
        f.write(b)


def serve(c):
    global count
    with lock:
        count += 1
        to = a.first if count <= a.after else a.then
    try:
        if server_tls is not None:
            c = server_tls.wrap_socket(c, server_side=True)
        u = socket.create_connection(addr(to))
        if client_tls is not None:
            u = client_tls.wrap_socket(u)
    except OSError:
        c.close()
        return
    t = threading.Thread(target=pump, args=(u, c, record), daemon=True)
    t.start()
    pump(c, u, record)
    t.join()
    c.close()
    u.close()


s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(64)
print("listening 127.0.0.1:%d" % s.getsockname()[1], flush=True)
while True:
    conn, _ = s.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
