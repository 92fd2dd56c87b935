"""The agent desktop's WebSocket with a raw socket client: connect with
the session cookie, change the agent's presence through the admin API,
and see the update arrive. Before that, sockets that fail at once (a
closing frame in the handshake's own write, a bad frame followed by
another) must leave the server standing for the presence change that
follows. argv: port cookie csrf."""
import base64
import json
import os
import socket
import sys
import urllib.request

port, cookie, csrf = int(sys.argv[1]), sys.argv[2], sys.argv[3]


def ws_connect(cookie, origin=None, extra=b""):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    key = base64.b64encode(os.urandom(16)).decode()
    req = ("GET /agent/ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
           "Cookie: beckon_session=%s\r\n" % (port, key, cookie))
    if origin:
        req += "Origin: %s\r\n" % origin
    s.sendall((req + "\r\n").encode() + extra)
    head = b""
    while b"\r\n\r\n" not in head:
        d = s.recv(1)
        if not d:
            break
        head += d
    return s, head.decode(errors="replace")


def frame(b0, payload, mask=True):
    key = b"\x5a\x13\xc4\x09"
    b1 = (0x80 if mask else 0) | len(payload)
    if not mask:
        return bytes([b0, b1]) + payload
    return bytes([b0, b1]) + key + bytes(
        c ^ key[i & 3] for i, c in enumerate(payload))


def ws_read(s):
    h = s.recv(2)
    n = h[1] & 0x7f
    if n == 126:
        n = int.from_bytes(s.recv(2), "big")
    data = b""
    while len(data) < n:
        data += s.recv(n - len(data))
    return h[0] & 0x0f, data


# a page of another site cannot open the socket, nor can a stranger
s, head = ws_connect(cookie, origin="https://evil.example")
assert " 403 " in head.split("\r\n")[0], head
s.close()
s, head = ws_connect("not-a-session")
assert " 401 " in head.split("\r\n")[0], head
s.close()
print("ok - cross-site and cookie-less WebSocket upgrades are refused")

origin = "http://127.0.0.1:%d" % port
# each closes the socket while the upgrade is still being answered
for bad in (frame(0x88, b"\x03\xe8"), frame(0x81, b"hi", mask=False),
            frame(0xc1, b"hi"), frame(0x81, b"\xff\xfe")):
    s, head = ws_connect(cookie, origin=origin, extra=bad)
    assert head.startswith("HTTP/1.1 101"), head
    op, data = ws_read(s)
    assert op == 8, (bad, op)
    s.close()
# a frame that fails the socket, and one behind it in the same write
s, head = ws_connect(cookie, origin=origin)
assert head.startswith("HTTP/1.1 101"), head
s.sendall(frame(0x81, b"\xc3\x28") + frame(0x81, b"after"))
op, data = ws_read(s)
assert (op, data[:2]) == (8, b"\x03\xef"), (op, data)
s.close()
print("ok - sockets failed during or right after the upgrade are closed")

s, head = ws_connect(cookie, origin=origin)
assert head.startswith("HTTP/1.1 101"), head

# the agent goes available through the desktop's own API
req = urllib.request.Request(
    "http://127.0.0.1:%d/agent/api/state" % port,
    data=b'{"state":"available"}', method="POST",
    headers={"Content-Type": "application/json",
             "Cookie": "beckon_session=" + cookie,
             "X-CSRF-Token": csrf})
with urllib.request.urlopen(req) as r:
    me = json.load(r)
    assert me["agent"]["state"] == "available", me

op, data = ws_read(s)
assert op == 1, op
msg = json.loads(data)
assert msg == {"type": "update", "state": "available", "callback": None}, msg
print("ok - a presence change reaches the open WebSocket:", data.decode())
s.close()
