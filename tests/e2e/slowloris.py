#!/usr/bin/env python3
"""A slow-header client for the connection-limit tests (127.0.0.1 only).

Opens --conns connections to 127.0.0.1:--port in batches, sends a request line
and then one header line per connection every --trickle seconds (never the
blank line that ends the headers), and notes when the server closes each one.
Meanwhile it asks --probe (e.g. /healthz) on a fresh connection every 100 ms,
and counts the open descriptors of the server process --pid (/proc/PID/fd).
After --duration seconds it prints one JSON object with what it saw.
"""
import argparse
import json
import os
import resource
import selectors
import socket
import threading
import time


def probe_loop(port, path, stop, results):
    while not stop.is_set():
        t0 = time.monotonic()
        status = 0
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
                s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
                data = b""
                while b"\r\n" not in data:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                parts = data.split(b" ", 2)
                status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else -1
        except OSError:
            status = -1
        results.append((round(time.monotonic() - t0, 3), status))
        stop.wait(0.1)


def fd_count(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--conns", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--trickle", type=float, default=0.5)
    ap.add_argument("--duration", type=float, default=8.0)
    ap.add_argument("--probe", default="/healthz")
    ap.add_argument("--path", default="/healthz")
    ap.add_argument("--pid", type=int, default=0, help="server process whose descriptors are counted")
    a = ap.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = a.conns + 256
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))

    stop = threading.Event()
    probes = []
    th = threading.Thread(target=probe_loop, args=(a.port, a.probe, stop, probes), daemon=True)
    th.start()

    sel = selectors.DefaultSelector()
    opened_at = {}  # socket -> monotonic time of connect
    lifetimes = []  # seconds each server-closed connection lived
    connect_failed = 0
    open_samples = []  # (t, connections still open)
    fd_samples = []  # (t, descriptors the server has open)
    t_start = time.monotonic()
    last_trickle = t_start
    header_no = 0
    burst_end = None

    def close(s, now, by_server):
        try:
            sel.unregister(s)
        except (KeyError, ValueError):
            pass
        t0 = opened_at.pop(s, None)
        if by_server and t0 is not None:
            lifetimes.append(now - t0)
        s.close()

    while True:
        now = time.monotonic()
        t = now - t_start
        if t >= a.duration:
            break
        # open the next batch
        if len(opened_at) + len(lifetimes) + connect_failed < a.conns:
            n = min(a.batch, a.conns - len(opened_at) - len(lifetimes) - connect_failed)
            for _ in range(n):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setblocking(False)
                try:
                    s.connect(("127.0.0.1", a.port))
                except BlockingIOError:
                    pass
                except OSError:
                    connect_failed += 1
                    s.close()
                    continue
                opened_at[s] = time.monotonic()
                sel.register(s, selectors.EVENT_READ)
                try:
                    s.send(f"GET {a.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode())
                except BlockingIOError:
                    pass
                except OSError:
                    close(s, time.monotonic(), True)
        elif burst_end is None:
            burst_end = t
        # trickle one header line on every open connection
        if now - last_trickle >= a.trickle:
            last_trickle = now
            header_no += 1
            line = f"X-Slow-{header_no}: {'a' * 8}\r\n".encode()
            for s in list(opened_at):
                try:
                    s.send(line)
                except BlockingIOError:
                    pass
                except OSError:
                    close(s, time.monotonic(), True)
            open_samples.append((round(t, 2), len(opened_at)))
        if a.pid > 0 and (not fd_samples or t - fd_samples[-1][0] >= 0.2):
            fd_samples.append((round(t, 2), fd_count(a.pid)))
        # notice closes
        for key, _ in sel.select(timeout=0.05):
            s = key.fileobj
            try:
                data = s.recv(4096)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:
                close(s, time.monotonic(), True)
            # else: a 408/503 reply before the close; the close follows
    still_open = len(opened_at)
    end = time.monotonic()
    still_open_max_age = max((end - t0 for t0 in opened_at.values()), default=0)
    for s in list(opened_at):
        close(s, time.monotonic(), False)
    stop.set()
    th.join(timeout=5)
    bad = [p for p in probes if p[1] != 200]
    print(json.dumps({
        "conns": a.conns,
        "connect_failed": connect_failed,
        "closed_by_server": len(lifetimes),
        "still_open_at_end": still_open,
        "still_open_max_age_s": round(still_open_max_age, 2),
        "max_lifetime_s": round(max(lifetimes), 2) if lifetimes else 0,
        "burst_end_s": burst_end,
        "open_samples": open_samples,
        "fd_samples": fd_samples,
        "max_fds": max((n for _, n in fd_samples), default=-1),
        "probes": len(probes),
        "probes_failed": len(bad),
        "probe_failures": bad[:10],
        "probe_max_s": max((p[0] for p in probes), default=0),
    }))


if __name__ == "__main__":
    main()
