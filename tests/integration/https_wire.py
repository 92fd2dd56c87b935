"""beckon's HTTPS listener with raw TLS clients (python ssl): requests
pipelined and kept alive, Connection: close ending in a close_notify,
the desk's log-in and its WebSocket over TLS (wss) carrying a presence
change, and handshakes that fail (plain HTTP, garbage, a hello cut
short, an old protocol, a client that goes mid-handshake) leaving the
server answering. argv: https_port cafile."""
import base64
import json
import os
import socket
import ssl
import sys

port, cafile = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=cafile)


def tls(host="localhost"):
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    return ctx.wrap_socket(raw, server_hostname=host)


def read_answer(s, buf=b""):
    """one HTTP answer (head and Content-Length body), and what follows"""
    while b"\r\n\r\n" not in buf:
        d = s.recv(4096)
        assert d, "connection closed before an answer: %r" % buf
        buf += d
    head, rest = buf.split(b"\r\n\r\n", 1)
    n = 0
    for line in head.split(b"\r\n")[1:]:
        k, v = line.split(b":", 1)
        if k.strip().lower() == b"content-length":
            n = int(v)
    while len(rest) < n:
        d = s.recv(4096)
        assert d, "body cut short"
        rest += d
    return head.decode(), rest[:n], rest[n:]


def request(s, method, path, body=None, hdrs=""):
    b = json.dumps(body).encode() if body is not None else b""
    s.sendall(("%s %s HTTP/1.1\r\nHost: localhost:%d\r\n%s"
               "Content-Length: %d\r\n\r\n" % (method, path, port, hdrs,
                                               len(b))).encode() + b)
    head, data, rest = read_answer(s)
    assert not rest, rest
    return head, data


# pipelined requests on one kept-alive connection, answered in order
s = tls()
s.sendall(b"".join(b"GET /healthz?n=%d HTTP/1.1\r\nHost: localhost\r\n\r\n"
                   % i for i in range(3)))
rest = b""
for i in range(3):
    head, data, rest = read_answer(s, rest)
    assert head.startswith("HTTP/1.1 200"), head
    assert json.loads(data)["status"] == "ok", data
head, data = request(s, "GET", "/healthz")
assert head.startswith("HTTP/1.1 200"), head
print("ok - three pipelined requests and a fourth on one TLS connection")

# Connection: close: the answer, then the TLS close (close_notify)
s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n"
          b"Connection: close\r\n\r\n")
head, data, rest = read_answer(s)
assert "Connection: close" in head, head
assert s.recv(100) == b"" and not rest, "no close_notify after the answer"
s.close()
print("ok - Connection: close ends with the TLS close_notify")

# the desk over HTTPS: its session cookie is Secure, its WebSocket wss
s = tls()
head, data = request(s, "POST", "/agent/api/login",
                     {"login": "alice", "password": "demo"},
                     "Content-Type: application/json\r\n")
assert head.startswith("HTTP/1.1 200"), head
cookie = [ln for ln in head.split("\r\n")
          if ln.lower().startswith("set-cookie:")][0]
assert "; Secure;" in cookie, cookie
tok = cookie.split("beckon_session=", 1)[1].split(";", 1)[0]
csrf = json.loads(data)["csrf"]
print("ok - log-in over HTTPS sets a Secure session cookie")

ws = tls()
key = base64.b64encode(os.urandom(16)).decode()
ws.sendall(("GET /agent/ws HTTP/1.1\r\nHost: localhost:%d\r\n"
            "Origin: https://localhost:%d\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
            "Cookie: beckon_session=%s\r\n\r\n"
            % (port, port, key, tok)).encode())
head = b""
while b"\r\n\r\n" not in head:
    d = ws.recv(1)
    assert d, head
    head += d
assert head.startswith(b"HTTP/1.1 101"), head

head, data = request(s, "POST", "/agent/api/state", {"state": "available"},
                     "Content-Type: application/json\r\n"
                     "Cookie: beckon_session=%s\r\nX-CSRF-Token: %s\r\n"
                     % (tok, csrf))
assert head.startswith("HTTP/1.1 200"), head


def ws_read(s):
    def exact(n):
        b = b""
        while len(b) < n:
            d = s.recv(n - len(b))
            assert d, "WebSocket closed"
            b += d
        return b
    h = exact(2)
    n = h[1] & 0x7f
    if n == 126:
        n = int.from_bytes(exact(2), "big")
    return h[0] & 0x0f, exact(n)


while True:
    op, data = ws_read(ws)
    if op == 1:
        break
msg = json.loads(data)
assert msg["type"] == "update" and msg["state"] == "available", msg
ws.close()
s.close()
print("ok - the desk's WebSocket over TLS (wss) carries a presence change")


# handshakes that fail: each connection is closed, none stops the server
def closed_soon(raw):
    raw.settimeout(5)
    try:
        while raw.recv(4096):
            pass
    except (ConnectionResetError, socket.timeout) as e:
        assert not isinstance(e, socket.timeout), "left open"


for junk in (b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
             os.urandom(600),
             b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40):
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    raw.sendall(junk)
    if junk.startswith(b"\x16"):
        raw.shutdown(socket.SHUT_WR)  # a hello cut short, then EOF
    closed_soon(raw)
    raw.close()
print("ok - plain HTTP, random bytes and a cut hello are closed")

old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
old.check_hostname = False
old.verify_mode = ssl.CERT_NONE
try:
    old.minimum_version = ssl.TLSVersion.TLSv1
    old.maximum_version = ssl.TLSVersion.TLSv1_1
    old.set_ciphers("ALL:@SECLEVEL=0")
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        old.wrap_socket(raw)
        raise AssertionError("a TLS 1.1 handshake succeeded")
    except ssl.SSLError:
        pass
    raw.close()
    print("ok - TLS 1.0/1.1 is refused")
except ValueError:
    print("ok - TLS 1.0/1.1 not offered by this client (skipped)")

# a client that does not trust the certificate goes mid-handshake
raw = socket.create_connection(("127.0.0.1", port), timeout=5)
try:
    ssl.create_default_context().wrap_socket(raw,
                                             server_hostname="localhost")
    raise AssertionError("an untrusted certificate was accepted")
except ssl.SSLCertVerificationError:
    pass
raw.close()
for _ in range(20):
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    raw.sendall(b"\x16\x03\x01\x00\x05\x01\x00")
    raw.close()

s = tls()
head, data = request(s, "GET", "/healthz")
assert head.startswith("HTTP/1.1 200"), head
s.close()
print("ok - after failed handshakes the server still answers over TLS")
