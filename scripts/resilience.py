#!/usr/bin/env python3
"""Chaos and soak runs over the real programs (make chaos, make soak).

Starts a verifier (--offline, SQLite, --trust-sim), the echo upstream and a
gateway under the TDX simulator on fixed 127.0.0.1 ports, then keeps traffic
flowing: chats through the gateway (each prompt unique; the echo upstream's
deterministic answer is the prompt itself), gateway attestations
(GET /v1/attestation) and passports issued by `veritee attest`.

chaos: kill -9 the upstream, the verifier and the gateway in turn (ROUNDS
times), restarting each on the same port and state.
soak:  no faults, a steady rate for SECS seconds.

At the end every acknowledged passport (an attest that exited 0, a passport id
the gateway served) and every acknowledged receipt (a Veritee-Receipt the
client got with a 200) must be retrievable from the verifier, no 200 may carry
a wrong answer, and RSS / fd counts are printed at start and end.  Exit 1 when
any of that fails: a receipt lost after a kill -9 is reported, never hidden.
"""
import argparse
import base64
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ADMIN = "0123456789abcdef0123456789abcdef"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def jwt_payload(tok):
    part = tok.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def proc_rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


def proc_fds(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return -1


def request(port, method, path, body=None, timeout=15, headers=None):
    """(status, headers dict lower-case, body bytes); status 0 on a transport error."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        h = {"Content-Type": "application/json"} if body is not None else {}
        h.update(headers or {})
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data
    except (OSError, http.client.HTTPException) as e:
        return 0, {}, str(e).encode()
    finally:
        c.close()


class Service:
    def __init__(self, name, argv, port, tmp, ready):
        self.name, self.argv, self.port, self.tmp, self.ready = name, argv, port, tmp, ready
        self.proc = None
        self.starts = 0
        self.rss0 = self.fd0 = None

    def start(self, wait=30):
        out = open(os.path.join(self.tmp, "%s.%d.out" % (self.name, self.starts)), "w")
        err = open(os.path.join(self.tmp, "%s.%d.err" % (self.name, self.starts)), "w")
        self.proc = subprocess.Popen(self.argv, stdout=out, stderr=err, start_new_session=True)
        self.starts += 1
        deadline = time.time() + wait
        while time.time() < deadline:
            if self.proc.poll() is not None:
                break
            st, _, _ = request(self.port, "GET", self.ready, timeout=2)
            if st == 200:
                return
            time.sleep(0.1)
        sys.stderr.write("%s did not start; its log:\n" % self.name)
        err.flush()
        with open(err.name) as f:
            sys.stderr.write(f.read()[-3000:])
        raise SystemExit(2)

    def kill9(self):
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill9()

    def sample(self):
        pid = self.proc.pid if self.proc is not None and self.proc.poll() is None else None
        return (proc_rss_kb(pid), proc_fds(pid)) if pid else (-1, -1)


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.c = {}
        self.receipts = []      # (receipt id, phase) the clients got with a right answer
        self.phase = "warm-up"  # what the fault injector is doing (receipts are attributed to it)
        self.passports = set()  # passport ids acknowledged (attest exit 0, gateway attestation)
        self.wrong = []

    def inc(self, k, n=1):
        with self.lock:
            self.c[k] = self.c.get(k, 0) + n


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def setup(vt, echo, tmp, services):
    """Everything test_chat.sh does to get a trusted gateway, on fixed ports.
    Each service is put in services as it starts (so a failed setup stops it)."""
    env = dict(os.environ, VERITEE_STATE=os.path.join(tmp, "state"))
    os.environ["VERITEE_STATE"] = env["VERITEE_STATE"]
    tok = os.path.join(tmp, "admin-token")
    with open(tok, "w") as f:
        f.write(ADMIN + "\n")
    os.chmod(tok, 0o600)
    vport, eport, gport = free_port(), free_port(), free_port()
    V = "http://127.0.0.1:%d" % vport
    verifier = Service("verifier", [vt, "verifier", "--listen", "127.0.0.1:%d" % vport, "--offline",
                                    "--admin-token-file", tok, "--trust-sim", "--state", env["VERITEE_STATE"],
                                    "--quiet"], vport, tmp, "/healthz")
    upstream = Service("upstream", [echo, "--listen", "127.0.0.1:%d" % eport], eport, tmp, "/v1/models")
    services += [verifier, upstream]
    verifier.start()
    upstream.start()

    # the simulated TD image: pinned as a deployment pins its own
    d = os.path.join(tmp, "sim-image")
    r = run([vt, "sim", "tdx", "--out", d, "--state", os.path.join(tmp, "sim-image-state")])
    if r.returncode != 0:
        raise SystemExit("sim tdx: " + r.stderr)
    r = run([vt, "inspect", os.path.join(d, "quote.bin")])
    image = {}

    def walk(o):
        if isinstance(o, dict):
            if "mrtd" in o and not image:
                image.update({k: o[k] for k in ("mrtd", "rtmr1", "rtmr2")})
            for v in o.values():
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)
    walk(json.loads(r.stdout))
    regs = sum([["--register", "%s=%s" % kv] for kv in image.items()], [])

    # the gateway's own environment, from its --measure-only boot log
    os.makedirs(os.path.join(tmp, "gwmodel"))
    with open(os.path.join(tmp, "gwmodel", "m.gguf"), "w") as f:
        f.write("tiny test model\n")
    cfg = os.path.join(tmp, "gw.json")
    with open(cfg, "w") as f:
        json.dump({"upstream": "http://127.0.0.1:%d" % eport, "verifier": V, "environment": "gw",
                   "models": [os.path.join(tmp, "gwmodel")],
                   "auditors": [{"name": "pii", "phases": ["request", "response"],
                                 "actions": {"email": "redact", "card": "redact"}}]}, f)
    r = run([vt, "gateway", "--config", cfg, "--platform", "tdx", "--simulate", "--measure-only"])
    if r.returncode != 0:
        raise SystemExit("gateway --measure-only: " + r.stderr)
    ev = sum([["--" + e["component"], e["digest"]] for e in json.loads(r.stdout)["events"]], [])
    r = run([vt, "env", "create", "gw", "--verifier", V, "--admin-token-file", tok, "--allow-simulated",
             "--min-tcb", "any"] + ev + regs)
    if r.returncode != 0:
        raise SystemExit("env create gw: " + r.stderr)

    # an environment and an event log for `veritee attest` (as test_chat.sh)
    log = os.path.join(tmp, "log.json")
    for comp, name, what in (("model", "demo", "model"), ("auditor", "pii", "auditors"),
                             ("runtime", "veritee", "runtime"), ("config", "gateway.json", "config")):
        dg = __import__("hashlib").sha256(what.encode()).hexdigest()
        r = run([vt, "log", "append", "--log", log, "--component", comp, "--name", name, "--digest", dg])
        if r.returncode != 0:
            raise SystemExit("log append: " + r.stderr)
        regs += ["--" + comp, dg]
    r = run([vt, "env", "create", "dev", "--verifier", V, "--admin-token-file", tok, "--allow-simulated",
             "--min-tcb", "any"] + regs)
    if r.returncode != 0:
        raise SystemExit("env create dev: " + r.stderr)
    key = os.path.join(tmp, "enclave.pem")
    r = run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key])
    os.chmod(key, 0o600)

    gateway = Service("gateway", [vt, "gateway", "--config", cfg, "--listen-plain", "127.0.0.1:%d" % gport,
                                  "--platform", "tdx", "--simulate", "--threads", "1"], gport, tmp, "/healthz")
    services.append(gateway)
    gateway.start(wait=60)
    attest = [vt, "attest", "--verifier", V, "--environment", "dev", "--log", log, "--platform", "tdx",
              "--simulate", "--state", env["VERITEE_STATE"], "--key", key]
    return verifier, upstream, gateway, attest


def letters(n):
    """n as lower-case letters: probes carry no digits the PII auditor would (rightly) redact as a card or phone."""
    out = ""
    while True:
        out = chr(ord("a") + n % 26) + out
        n //= 26
        if n == 0:
            return out


def chat_client(gport, rate, stop, st, idx):
    n = 0
    period = 1.0 / rate
    nxt = time.time()
    while not stop.is_set():
        n += 1
        prompt = "probe %s %s %s" % (letters(idx), letters(n), letters(random.getrandbits(40)))
        body = json.dumps({"model": "echo", "messages": [{"role": "user", "content": prompt}]})
        s, h, data = request(gport, "POST", "/v1/chat/completions", body)
        st.inc("chats")
        if s == 200:
            try:
                got = json.loads(data)["choices"][0]["message"]["content"]
            except (ValueError, KeyError, IndexError, TypeError):
                got = None
            if got != prompt:
                st.inc("wrong")
                with st.lock:
                    st.wrong.append((prompt, got if got is not None else data[:300]))
            rc = h.get("veritee-receipt")
            if rc:
                rid = jwt_payload(rc).get("receipt")
                with st.lock:
                    st.receipts.append((rid, st.phase))
                st.inc("ok")
            else:
                st.inc("ok_without_receipt")
        else:
            st.inc("err_%s" % (s if s else "transport"))
        nxt += period
        d = nxt - time.time()
        if d > 0:
            stop.wait(d)
        else:
            nxt = time.time()


def attestation_client(gport, period, stop, st):
    while not stop.is_set():
        s, _, data = request(gport, "GET", "/v1/attestation?nonce=%s" % os.urandom(32).hex())
        st.inc("gw_attestations")
        if s == 200:
            pid = json.loads(data).get("passport_id")
            with st.lock:
                st.passports.add(pid)
        else:
            st.inc("gw_attestation_err_%s" % (s if s else "transport"))
        stop.wait(period)


def attest_client(argv, tmp, period, stop, st):
    n = 0
    while not stop.is_set():
        n += 1
        out = os.path.join(tmp, "pass-%d.jwt" % n)
        r = run(argv + ["--out", out])
        st.inc("attests")
        if r.returncode == 0:
            with open(out) as f:
                pid = jwt_payload(f.read().strip())["jti"]
            with st.lock:
                st.passports.add(pid)
        else:
            st.inc("attest_err")
        stop.wait(period)


def retrievable(vport, kind, ids, deadline):
    """ids the verifier does not return (waits until deadline for late uploads; 429 retried)."""
    missing = list(ids)
    while True:
        still = []
        for i in missing:
            while True:
                s, _, _ = request(vport, "GET", "/v1/%s/%s" % (kind, i))
                if s != 429:
                    break
                time.sleep(0.2)
            if s != 200:
                still.append(i)
        missing = still
        if not missing or time.time() > deadline:
            return missing
        time.sleep(2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=("chaos", "soak"))
    ap.add_argument("build")
    ap.add_argument("--secs", type=float, default=1800, help="soak duration")
    ap.add_argument("--rate", type=float, default=10, help="chats per second (all clients)")
    ap.add_argument("--clients", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=1, help="chaos: kill cycles over the three services")
    ap.add_argument("--phase", type=float, default=12, help="chaos: seconds of traffic between kills")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("--trace", type=float, default=60, help="soak: print RSS and fds every TRACE seconds (0: never)")
    a = ap.parse_args()
    # SIGTERM (a stopped `make soak`) unwinds like Ctrl-C: the services are stopped in `finally`
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    vt = os.path.abspath(os.path.join(a.build, "veritee"))
    echo = os.path.abspath(os.path.join(a.build, "veritee-echo-upstream"))
    tmp = tempfile.mkdtemp(prefix="veritee-%s-" % a.mode)
    services = []
    stop = threading.Event()
    threads = []
    st = Stats()
    t0 = time.time()
    try:
        verifier, upstream, gateway, attest = setup(vt, echo, tmp, services)
        for i in range(a.clients):
            threads.append(threading.Thread(target=chat_client, args=(gateway.port, a.rate / a.clients, stop, st, i)))
        threads.append(threading.Thread(target=attestation_client, args=(gateway.port, 1.0, stop, st)))
        threads.append(threading.Thread(target=attest_client, args=(attest, tmp, 1.0, stop, st)))
        t0 = time.time()  # traffic starts
        for t in threads:
            t.start()
        time.sleep(5)  # warm up before the first sample
        for s in services:
            s.rss0, s.fd0 = s.sample()
        kills = []
        if a.mode == "chaos":
            for _ in range(a.rounds):
                for s in (upstream, verifier, gateway):
                    time.sleep(a.phase)
                    st.phase = "%s killed" % s.name
                    s.kill9()
                    time.sleep(2)  # traffic meets the dead service
                    t1 = time.time()
                    s.start(wait=60)
                    st.phase = "after %s restart" % s.name
                    kills.append((s.name, time.time() - t1))
            time.sleep(a.phase)
        else:
            st.phase = "steady traffic"
            end = time.time() + a.secs
            nxt = time.time() + a.trace
            while time.time() < end:
                time.sleep(min(10, max(0, end - time.time())))
                if a.trace and time.time() >= nxt:
                    nxt += a.trace
                    # the shape of the curve tells warm-up (levels off) from a leak (keeps rising)
                    sys.stderr.write("soak: t=%4.0fs %s chats=%d\n" % (
                        time.time() - t0, " ".join("%s rss=%dKiB fds=%d" % ((s.name,) + s.sample()) for s in services),
                        st.c.get("chats", 0)))
                    sys.stderr.flush()
        stop.set()
        for t in threads:
            t.join()
        samples = {s.name: s.sample() for s in services}
        elapsed = time.time() - t0
        # late receipt uploads: the gateway's background sender gets a chance
        miss_r = retrievable(verifier.port, "receipts", [r for r, _ in st.receipts], time.time() + 30)
        miss_p = retrievable(verifier.port, "passports", sorted(p for p in st.passports if p), time.time() + 5)
    finally:
        stop.set()
        for s in services:
            s.stop()

    c = st.c
    print("\n%s: %.0f s of traffic (%s)" % (a.mode, elapsed, time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())))
    print("| figure | value |")
    print("|---|---|")
    print("| chats sent | %d |" % c.get("chats", 0))
    print("| chats answered 200 with a receipt | %d |" % c.get("ok", 0))
    print("| chats answered 200 without a receipt | %d |" % c.get("ok_without_receipt", 0))
    for k in sorted(k for k in c if k.startswith("err_")):
        print("| chats failed: %s | %d |" % (k[4:], c[k]))
    print("| wrong answers (200 whose content is not the upstream's) | %d |" % c.get("wrong", 0))
    print("| gateway attestations (GET /v1/attestation) | %d |" % c.get("gw_attestations", 0))
    for k in sorted(k for k in c if k.startswith("gw_attestation_err_")):
        print("| gateway attestations failed: %s | %d |" % (k[19:], c[k]))
    print("| passports issued to `veritee attest` | %d of %d |" % (c.get("attests", 0) - c.get("attest_err", 0),
                                                                   c.get("attests", 0)))
    print("| acknowledged passports (distinct ids) | %d |" % len([p for p in st.passports if p]))
    print("| acknowledged passports NOT retrievable | %d |" % len(miss_p))
    print("| acknowledged receipts | %d |" % len(st.receipts))
    print("| acknowledged receipts NOT retrievable | %d |" % len(miss_r))
    lost = set(miss_r)
    phases = []
    for rid, ph in st.receipts:
        if ph not in phases:
            phases.append(ph)
    for ph in phases:
        n = sum(1 for r, p in st.receipts if p == ph)
        m = sum(1 for r, p in st.receipts if p == ph and r in lost)
        print("| receipts acknowledged during: %s | %d (%d not retrievable) |" % (ph, n, m))
    if a.mode == "chaos":
        for name, secs in kills:
            print("| kill -9 %s: back serving after | %.1f s |" % (name, secs))
    print("\n| service | pid starts | RSS start (KiB) | RSS end (KiB) | fds start | fds end |")
    print("|---|---|---|---|---|---|")
    flat = True
    for s in services:
        rss1, fd1 = samples[s.name]
        print("| %s | %d | %d | %d | %d | %d |" % (s.name, s.starts, s.rss0, rss1, s.fd0, fd1))
        if rss1 > s.rss0 * 1.5 + 16384 or fd1 > s.fd0 + 32:
            flat = False
    fails = []
    if c.get("wrong", 0):
        fails.append("%d wrong answers, first: %r" % (c["wrong"], st.wrong[0]))
    if miss_r:
        fails.append("%d acknowledged receipts not retrievable (e.g. %s)" % (len(miss_r), miss_r[0]))
    if miss_p:
        fails.append("%d acknowledged passports not retrievable (e.g. %s)" % (len(miss_p), miss_p[0]))
    if not flat:
        fails.append("RSS or fd count grew (end > 1.5 x start + 16 MiB, or fds > start + 32)")
    if c.get("ok", 0) == 0:
        fails.append("no chat succeeded")
    for f in fails:
        print("FAIL: " + f)
    print("%s: %s" % (a.mode, "FAILED" if fails else "passed"))
    if a.keep or fails:
        print("logs kept in " + tmp)
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
