#!/usr/bin/env python3
"""A plain HTTP/1.1 client for the gateway's write-path tests, on one connection.

Sends the same POST --count times (the last with "Connection: close"), reading
each reply completely by its framing (Content-Length or chunked) before the
next.  --slow makes it a slow reader: a small receive buffer, a pause before
each reply and small reads, so the gateway's writes cannot complete at once.
After the last reply it reads on until the gateway closes the connection
(--timeout seconds at most).

Prints one JSON line per reply: {"status", "len", "sha256", "content_len",
"content_sha256", "done"}: content is the chat message's content, or the
concatenated deltas of a stream (done: it ended with [DONE]); then one line
{"closed": true|false}.  Exits 1 when a reply is cut short, when the
connection was not closed in time, or on a timeout.
"""
import argparse
import hashlib
import json
import socket
import sys
import time


class Conn:
    def __init__(self, addr, slow, deadline):
        host, port = addr.rsplit(":", 1)
        self.s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if slow:
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
        self.s.connect((host, int(port)))
        self.slow = slow
        self.deadline = deadline
        self.buf = b""

    def more(self):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("timed out")
        self.s.settimeout(left)
        if self.slow:
            time.sleep(0.0005)
        b = self.s.recv(2048 if self.slow else 65536)
        if not b:
            raise EOFError("the connection closed inside a reply")
        self.buf += b

    def line(self):
        while b"\r\n" not in self.buf:
            self.more()
        ln, self.buf = self.buf.split(b"\r\n", 1)
        return ln

    def take(self, n):
        while len(self.buf) < n:
            self.more()
        b, self.buf = self.buf[:n], self.buf[n:]
        return b

    def reply(self):
        status = int(self.line().split()[1])
        headers = {}
        while True:
            ln = self.line()
            if not ln:
                break
            k, v = ln.split(b":", 1)
            headers[k.strip().lower().decode()] = v.strip().decode()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while True:
                n = int(self.line().split(b";")[0], 16)
                if n == 0:
                    while self.line():  # trailers
                        pass
                    break
                body += self.take(n)
                if self.take(2) != b"\r\n":
                    raise ValueError("bad chunk framing")
        else:
            body = self.take(int(headers["content-length"]))
        return status, headers, body

    def closed(self):
        """True once the peer closes (and sent nothing more), False on a timeout."""
        try:
            while True:
                left = self.deadline - time.monotonic()
                if left <= 0:
                    return False
                self.s.settimeout(left)
                b = self.s.recv(65536)
                if not b:
                    return self.buf == b""
                self.buf += b
        except (socket.timeout, TimeoutError):
            return False
        except ConnectionResetError:
            return False


def content_of(headers, body):
    """The message content, or the concatenated deltas of an event stream, and whether it ended with [DONE]."""
    if headers.get("content-type", "").startswith("text/event-stream"):
        text, done = "", False
        for ev in body.decode().split("\n\n"):
            for ln in ev.split("\n"):
                if not ln.startswith("data: "):
                    continue
                data = ln[6:]
                if data == "[DONE]":
                    done = True
                    continue
                for c in json.loads(data).get("choices", []):
                    text += c.get("delta", {}).get("content") or ""
        return text.encode(), done
    try:
        return json.loads(body)["choices"][0]["message"]["content"].encode(), False
    except (ValueError, KeyError, IndexError, TypeError):
        return b"", False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--addr", required=True)
    ap.add_argument("--body", required=True, help="file with the JSON request body")
    ap.add_argument("--path", default="/v1/chat/completions")
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--slow", action="store_true")
    ap.add_argument("--timeout", type=float, default=20.0)
    args = ap.parse_args()
    with open(args.body, "rb") as f:
        body = f.read()
    ok = True
    try:
        c = Conn(args.addr, args.slow, time.monotonic() + args.timeout)
        for i in range(args.count):
            last = i == args.count - 1
            head = ("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n"
                    % (args.path, args.addr, len(body), "Connection: close\r\n" if last else ""))
            c.s.sendall(head.encode() + body)
            if args.slow:
                time.sleep(0.3)  # the whole reply is queued before the first byte is read
            status, headers, rbody = c.reply()
            content, done = content_of(headers, rbody)
            print(json.dumps({"status": status, "len": len(rbody), "sha256": hashlib.sha256(rbody).hexdigest(),
                              "content_len": len(content), "content_sha256": hashlib.sha256(content).hexdigest(),
                              "done": done}), flush=True)
        closed = c.closed()
        print(json.dumps({"closed": closed}), flush=True)
        ok = closed
    except (TimeoutError, socket.timeout, EOFError, ValueError, KeyError, ConnectionError) as e:
        print(json.dumps({"error": str(e) or type(e).__name__}), flush=True)
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
