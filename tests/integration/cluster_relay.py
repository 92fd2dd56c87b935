"""The desk's WebSocket with a raw socket client, through any node: the
upgrade's status line, then each text message, one a line, into OUT
(flushed at once, for the test's wait_log), then "closed" when the
server side closes, or "timeout" after 60 s. argv: port cookie out."""
import base64
import os
import socket
import sys

port, cookie, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
log = open(out, "a", buffering=1)

s = socket.create_connection(("127.0.0.1", port), timeout=60)
key = base64.b64encode(os.urandom(16)).decode()
s.sendall(("GET /agent/ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
           "Cookie: beckon_session=%s\r\n\r\n"
           % (port, key, cookie)).encode())
buf = b""


def need(n):
    global buf
    while len(buf) < n:
        d = s.recv(4096)
        if not d:
            raise EOFError
        buf += d
    b, buf = buf[:n], buf[n:]
    return b


try:
    while b"\r\n\r\n" not in buf:
        d = s.recv(4096)
        if not d:
            raise EOFError
        buf += d
    head, buf = buf.split(b"\r\n\r\n", 1)
    log.write(head.split(b"\r\n")[0].decode() + "\n")
    while True:
        h = need(2)
        n = h[1] & 0x7f
        if n == 126:
            n = int.from_bytes(need(2), "big")
        elif n == 127:
            n = int.from_bytes(need(8), "big")
        data = need(n)
        if h[0] & 0x0f == 1:
            log.write(data.decode() + "\n")
        elif h[0] & 0x0f == 8:
            raise EOFError
except EOFError:
    log.write("closed\n")
except socket.timeout:
    log.write("timeout\n")
