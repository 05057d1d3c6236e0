#!/usr/bin/env python3
"""Holds N kept-alive HTTP/1.1 connections to 127.0.0.1:PORT open and idle (one GET /healthz
answered on each), prints "held N", and keeps them until killed.  Used by bench/bench_accept.sh.
Each connection comes from its own loopback address (127.0.1.2, 127.0.1.3, ...), as from many
clients: from one address a server's per-address cap (the gateway's is 1,024) would refuse or
evict them, and the held count would not be what the row says."""
import socket
import sys
import time


def main():
    port, n = int(sys.argv[1]), int(sys.argv[2])
    socks = []
    for i in range(n):
        s = socket.socket()
        s.settimeout(10)
        s.bind(("127.0.%d.%d" % (1 + i // 250, 2 + i % 250), 0))
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n")
        socks.append(s)
    for s in socks:
        if not s.recv(4096):
            sys.exit("a held connection was closed by the server")
    print("held", len(socks), flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
