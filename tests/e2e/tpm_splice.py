#!/usr/bin/env python3
"""An impersonator on the TPM's wire (the swtpm socket TCTI): listens on 127.0.0.1 PORT and
PORT+1 and answers TPM commands with a TPM of its own (IMPOSTOR, and IMPOSTOR+1 for the control
channel), except that it relays what reads NV and lists handles (TPM2_NV_ReadPublic, TPM2_NV_Read,
TPM2_GetCapability) to the GENUINE TPM -- so it shows the genuine TPM's EK certificate, while
every key, session and HMAC comes from the impostor.  Stops after SECONDS.

usage: tpm_splice.py PORT GENUINE IMPOSTOR SECONDS   (prints "ready" once listening)
"""
import socket
import struct
import sys
import threading
import time

from pump import pump

TO_GENUINE = {0x00000169, 0x0000014E, 0x0000017A}  # NV_ReadPublic, NV_Read, GetCapability


def read_exact(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise OSError("closed")
        b += c
    return b


def exchange(up, cmd):
    up.sendall(cmd)
    head = read_exact(up, 6)
    size = struct.unpack(">I", head[2:6])[0]
    return head + read_exact(up, size - 6)


def serve_commands(c, genuine, impostor):
    g = socket.create_connection(("127.0.0.1", genuine))
    i = socket.create_connection(("127.0.0.1", impostor))
    try:
        while True:
            head = read_exact(c, 10)
            size, cc = struct.unpack(">II", head[2:10])
            cmd = head + read_exact(c, size - 10)
            c.sendall(exchange(g if cc in TO_GENUINE else i, cmd))
    except OSError:
        pass
    for s in (c, g, i):
        s.close()


def serve_control(c, impostor_ctrl):
    u = socket.create_connection(("127.0.0.1", impostor_ctrl))
    threading.Thread(target=pump, args=(c, u), daemon=True).start()
    threading.Thread(target=pump, args=(u, c), daemon=True).start()


def accept_loop(listener, handler, *args):
    while True:
        try:
            c, _ = listener.accept()
        except OSError:
            return
        threading.Thread(target=handler, args=(c,) + args, daemon=True).start()


def main():
    port, genuine, impostor, secs = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    listeners = []
    for off in (0, 1):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port + off))
        s.listen(8)
        listeners.append(s)
    threading.Thread(target=accept_loop, args=(listeners[0], serve_commands, genuine, impostor), daemon=True).start()
    threading.Thread(target=accept_loop, args=(listeners[1], serve_control, impostor + 1), daemon=True).start()
    print("ready", flush=True)
    time.sleep(secs)


if __name__ == "__main__":
    main()
