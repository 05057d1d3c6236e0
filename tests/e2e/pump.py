"""One direction of a TCP relay for the end-to-end tests' stand-ins (switch_relay.py, tpm_tap.py,
tpm_splice.py): copies src to dst until either side ends, handing each piece to record first
when one is given, then shuts both sockets down so the other direction ends too."""
import socket


def pump(src, dst, record=None):
    try:
        while True:
            b = src.recv(65536)
            if not b:
                break
            if record is not None:
                record(b)
            dst.sendall(b)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
