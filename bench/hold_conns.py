#!/usr/bin/env python3
"""Holds N kept-alive HTTP/1.1 connections to 127.0.0.1:PORT open and idle (one GET /healthz
answered on each), prints "held N", and keeps them until killed.  Used by bench/bench_accept.sh."""
import socket
import sys
import time


def main():
    port, n = int(sys.argv[1]), int(sys.argv[2])
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
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
