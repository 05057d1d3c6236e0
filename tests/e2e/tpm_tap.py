#!/usr/bin/env python3
"""A tap on the TPM's wire (the swtpm socket TCTI): listens on 127.0.0.1 PORT and PORT+1, forwards
each connection to 127.0.0.1 TO and TO+1 (swtpm's command and control channels), and appends what
the TPM answers on the command channel to LOG -- what someone on an LPC/SPI bus, or a hypervisor
relaying a virtual TPM, reads.  Stops after SECONDS.

usage: tpm_tap.py PORT TO LOG SECONDS   (prints "ready" once listening)
"""
import socket
import sys
import threading
import time

from pump import pump


def serve(listener, to_port, log):
    while True:
        try:
            c, _ = listener.accept()
        except OSError:
            return
        u = socket.create_connection(("127.0.0.1", to_port))
        threading.Thread(target=pump, args=(c, u), daemon=True).start()
        threading.Thread(target=pump, args=(u, c, log), daemon=True).start()


def main():
    port, to, path, secs = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
    lock = threading.Lock()
    log = open(path, "ab")

    def record(b):
        with lock:
            log.write(b)
            log.flush()

    for off, rec in ((0, record), (1, None)):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port + off))
        s.listen(8)
        threading.Thread(target=serve, args=(s, to + off, rec), daemon=True).start()
    print("ready", flush=True)
    time.sleep(secs)


if __name__ == "__main__":
    main()
