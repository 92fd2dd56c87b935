#!/usr/bin/env python3
"""A PostgreSQL proxy on loopback that loses one COMMIT's answer, or
holds a transaction for good.

pg_cut.py LISTEN_PORT UNIX_SOCKET ARM_FILE LOG [MODE VALUE]

Forwards every connection made to 127.0.0.1:LISTEN_PORT to PostgreSQL's
Unix socket, byte for byte. It reads the client's messages (after the
untyped start-up ones: an SSL or GSS request, the start-up message).
Once ARM_FILE exists, the first connection to bind a text parameter
VALUE (default `dialing`: a claim, beckon's callback update) in a
transaction, with MODE
  cut  (the default): has that transaction's COMMIT forwarded, the
       server's answer to it read to its ReadyForQuery and thrown away,
       and both sides closed: committed, and the client never hears it;
  hold: forwards nothing more of that client (from that Bind on) until
       it closes, then closes the server's side: never committed.
ARM_FILE is removed then (once) and LOG says "cut" or "hold" with the
time. Everything else passes untouched.
"""
import os
import socket
import sys
import threading
import time

PORT, UNIX, ARM, LOG = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
MODE = sys.argv[5] if len(sys.argv) > 5 else "cut"
VALUE = (sys.argv[6] if len(sys.argv) > 6 else "dialing").encode()
lock = threading.Lock()
UNTYPED_REQUESTS = (80877103, 80877104)   # SSLRequest, GSSENCRequest
# a Bind's text parameter: its length, then its bytes
CLAIM = len(VALUE).to_bytes(4, "big") + VALUE


def disarm():
    """the one who removes ARM_FILE acts"""
    with lock:
        if not os.path.exists(ARM):
            return False
        os.unlink(ARM)
        return True


def read_exact(s, n):
    b = b""
    while len(b) < n:
        part = s.recv(n - len(b))
        if not part:
            raise EOFError
        b += part
    return b


def log(line):
    with open(LOG, "a") as f:
        f.write("%.3f %s\n" % (time.time(), line))


class Conn:
    def __init__(self, client):
        self.client = client
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.connect(UNIX)
        self.cut = threading.Event()

    def close(self):
        for s in (self.client, self.server):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def upstream(self):
        """client -> server, message by message"""
        try:
            # untyped: the requests answered by one byte, then start-up
            while True:
                head = read_exact(self.client, 8)
                n = int.from_bytes(head[:4], "big")
                code = int.from_bytes(head[4:], "big")
                body = read_exact(self.client, n - 8)
                self.server.sendall(head + body)
                if code not in UNTYPED_REQUESTS:
                    break
            claim = False
            while True:
                head = read_exact(self.client, 5)
                body = read_exact(self.client,
                                  int.from_bytes(head[1:], "big") - 4)
                kind = head[:1]
                if kind == b"B" and CLAIM in body:
                    claim = True
                    if MODE == "hold" and disarm():
                        log("hold")
                        while self.client.recv(65536):
                            pass
                        return
                if kind == b"Q" and body.startswith(b"COMMIT"):
                    armed = claim and MODE == "cut" and disarm()
                    claim = False
                    if armed:
                        self.cut.set()
                        self.server.sendall(head + body)
                        return
                self.server.sendall(head + body)
        except (EOFError, OSError):
            pass
        finally:
            if not self.cut.is_set():
                self.close()

    def downstream(self):
        """server -> client, raw; after a cut COMMIT, its answer read
        and dropped, then both sides closed"""
        seen = b""
        try:
            while True:
                data = self.server.recv(65536)
                if not data:
                    break
                if self.cut.is_set():
                    seen += data
                    if b"Z\x00\x00\x00\x05" in seen:
                        log("cut")
                        break
                    continue
                self.client.sendall(data)
        except OSError:
            pass
        self.close()


def main():
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", PORT))
    ls.listen(64)
    while True:
        client, _ = ls.accept()
        try:
            c = Conn(client)
        except OSError:
            client.close()
            continue
        threading.Thread(target=c.upstream, daemon=True).start()
        threading.Thread(target=c.downstream, daemon=True).start()


main()
