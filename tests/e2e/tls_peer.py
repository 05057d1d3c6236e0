#!/usr/bin/env python3
"""A TLS client for the gateway's HTTPS listener (test_gateway_tls.sh).

tls_peer.py HOST:PORT large BYTES   POST a chat whose echo answer is BYTES long
                                    (many TLS records); exit 0 when the whole
                                    answer came back intact over one connection.
tls_peer.py HOST:PORT die BYTES     the same request with a 4 KiB receive buffer;
                                    reads 2000 bytes of the answer, then resets
                                    the connection (the gateway is mid-response).
Only 127.0.0.1.  The certificate is not checked here: the TLS tests pin it elsewhere.
"""
import json
import socket
import ssl
import struct
import sys


def request(host, n):
    marker = "zebra-large-"
    prompt = marker + ("x" * (n - len(marker) - 4)) + "-end"
    body = json.dumps({"model": "echo", "messages": [{"role": "user", "content": prompt}]}).encode()
    head = ("POST /v1/chat/completions HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
            "Content-Length: %d\r\n\r\n" % (host, len(body))).encode()
    return prompt, head + body


def main():
    addr, mode, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    host, port = addr.rsplit(":", 1)
    if host != "127.0.0.1":
        sys.exit("tls_peer: only 127.0.0.1")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if mode == "die":
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.settimeout(30)
    raw.connect((host, int(port)))
    s = ctx.wrap_socket(raw)
    prompt, req = request(addr, n)
    s.sendall(req)
    if mode == "die":
        got = 0
        while got < 2000:
            chunk = s.recv(2000 - got)
            if not chunk:
                sys.exit("tls_peer: the answer ended before 2000 bytes")
            got += len(chunk)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()  # RST, no close_notify, the rest of the answer unread
        return
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            sys.exit("tls_peer: no complete head")
        buf += chunk
    head, body = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = None
    for line in lines[1:]:
        k, _, v = line.partition(":")
        if k.strip().lower() == "content-length":
            length = int(v.strip())
    if status != 200 or length is None:
        sys.exit("tls_peer: status %d, content-length %r" % (status, length))
    while len(body) < length:
        chunk = s.recv(65536)
        if not chunk:
            sys.exit("tls_peer: answer truncated at %d of %d bytes" % (len(body), length))
        body += chunk
    answer = json.loads(body[:length])["choices"][0]["message"]["content"]
    if prompt not in answer:
        sys.exit("tls_peer: the answer does not hold the %d-byte prompt intact" % len(prompt))
    print(length)


if __name__ == "__main__":
    main()
