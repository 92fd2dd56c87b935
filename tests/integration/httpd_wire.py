"""HTTP/1.1 on the wire against beckon's own server, with raw sockets:
what curl cannot show (pipelining order, early 413, close semantics).
Run by httpd_wire.sh with the server's port as argv[1]."""
import socket
import sys
import time

PORT = int(sys.argv[1])
N = 0


def ok(msg):
    global N
    N += 1
    print("ok %d - %s" % (N, msg))


def conn():
    s = socket.create_connection(("127.0.0.1", PORT), timeout=5)
    return s


def read_responses(s, n):
    """Read n responses; returns list of (status, headers dict, body)."""
    buf = b""
    out = []
    while len(out) < n:
        while b"\r\n\r\n" not in buf:
            d = s.recv(65536)
            if not d:
                raise AssertionError("closed after %d responses" % len(out))
            buf += d
        head, buf = buf.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")
        status = int(lines[0].split()[1])
        hdrs = {}
        for line in lines[1:]:
            k, v = line.split(":", 1)
            hdrs[k.strip().lower()] = v.strip()
        length = int(hdrs.get("content-length", "0"))
        while len(buf) < length:
            d = s.recv(65536)
            if not d:
                raise AssertionError("short body")
            buf += d
        out.append((status, hdrs, buf[:length]))
        buf = buf[length:]
    return out


def closed(s, timeout=3):
    s.settimeout(timeout)
    try:
        while True:
            d = s.recv(65536)
            if not d:
                return True
    except (ConnectionResetError, socket.timeout):
        return False


def post(phone, extra=""):
    body = '{"business":"demo","phone":"%s"}' % phone
    return ("POST /v1/callbacks HTTP/1.1\r\nHost: x\r\n"
            "Content-Type: application/json\r\n%s"
            "Content-Length: %d\r\n\r\n%s" % (extra, len(body), body))


# pipelined: three requests in one write, three answers in order
s = conn()
s.sendall((post("+14155550700") + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
           + post("+14155550701")).encode())
r = read_responses(s, 3)
assert [x[0] for x in r] == [202, 200, 202], r
assert b"+1" not in r[0][2] and b'"id"' in r[0][2]
assert b'"status":"ok"' in r[1][2]
ok("three pipelined requests are answered in order")

# keep-alive: the same connection serves the next request
s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
assert read_responses(s, 1)[0][0] == 200
ok("keep-alive connection is reused")
s.close()

# Connection: close is honoured, the answer arrives whole
s = conn()
s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
r = read_responses(s, 1)
assert r[0][0] == 200 and r[0][1].get("connection") == "close", r
assert closed(s)
ok("Connection: close gets its answer and the connection is closed")
s.close()

# HTTP/1.0 without keep-alive: closed after the answer
s = conn()
s.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
r = read_responses(s, 1)
assert r[0][0] == 200
assert closed(s)
ok("HTTP/1.0 is answered, then closed")
s.close()

# an oversized body is refused from its Content-Length, before it is sent
s = conn()
s.sendall(b"POST /v1/callbacks HTTP/1.1\r\nHost: x\r\n"
          b"Content-Type: application/json\r\n"
          b"Content-Length: 1000000\r\n\r\n")
r = read_responses(s, 1)
assert r[0][0] == 413, r
assert b'"error"' in r[0][2]
assert closed(s)
ok("Content-Length over the limit: 413 at once, then closed")
s.close()

# chunked uploads are not accepted
s = conn()
s.sendall(b"POST /v1/callbacks HTTP/1.1\r\nHost: x\r\n"
          b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
r = read_responses(s, 1)
assert r[0][0] == 411, r
ok("Transfer-Encoding: 411 Length Required")
s.close()

# garbage and obsolete line folding: 400, never a crash
for bad in (b"HELLO\r\n\r\n",
            b"GET /healthz HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
            b"GET /healthz HTTP/1.1\r\nNoColon\r\n\r\n",
            b"GET /healthz HTTP/9.9\r\n\r\n"):
    s = conn()
    s.sendall(bad)
    r = read_responses(s, 1)
    assert r[0][0] in (400, 505), (bad, r)
    s.close()
ok("malformed request lines and headers: 400/505")

# a header section over the limit: 431
s = conn()
s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 +
          b"\r\n\r\n")
r = read_responses(s, 1)
assert r[0][0] == 431, r
ok("headers over the limit: 431")
s.close()

# a body that stops short: the request timer closes the connection, and
# the server keeps serving others meanwhile
s = conn()
s.sendall(b"POST /v1/callbacks HTTP/1.1\r\nHost: x\r\n"
          b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
s2 = conn()
s2.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
assert read_responses(s2, 1)[0][0] == 200
s2.close()
ok("a stalled upload does not block other clients")
s.close()

# the server is still healthy after all of it
s = conn()
s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
assert read_responses(s, 1)[0][0] == 200
s.close()
ok("still healthy")
