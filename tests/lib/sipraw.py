"""Raw SIP for tests: requests written byte by byte, sent over UDP or TCP
from a chosen loopback address, the answer parsed, and RFC 2617 digest
responses computed as a softphone (or a password cracker) does.

    import sipraw
    c = sipraw.Client("127.0.0.1", 5060, src="127.0.0.2")
    r = c.send(c.register("alice"))            # 401 with a challenge
    r = c.send(c.register("alice", auth=c.digest(r, "alice", "pw")))
"""
import hashlib
import re
import socket
import uuid

TIMEOUT = 5.0


class Response:
    def __init__(self, raw):
        self.raw = raw
        head = raw.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
        lines = head.split("\r\n")
        self.status_line = lines[0]
        parts = lines[0].split(" ", 2)
        self.code = int(parts[1])
        self.reason = parts[2] if len(parts) > 2 else ""
        self.headers = []
        for line in lines[1:]:
            name, _, val = line.partition(":")
            self.headers.append((name.strip().lower(), val.strip()))

    def hdr(self, name):
        for n, v in self.headers:
            if n == name.lower():
                return v
        return None

    def names(self):
        """the header names, in order: two answers told apart by them
        differ in more than tags and nonces"""
        return [n for n, _ in self.headers]


class Client:
    def __init__(self, host, port, src="127.0.0.1", tcp=False, lport=0):
        """lport: the local port (0: any), e.g. one a sipp takes over
        once this client has registered it as the contact"""
        self.host, self.port, self.tcp = host, port, tcp
        kind = socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM
        self.sock = socket.socket(socket.AF_INET, kind)
        self.sock.settimeout(TIMEOUT)
        self.sock.bind((src, lport))
        if tcp:
            self.sock.connect((host, port))
        self.src = src
        self.lport = self.sock.getsockname()[1]
        self.cseq = 0
        self.buf = b""

    def close(self):
        self.sock.close()

    def via(self):
        return "SIP/2.0/%s %s:%d;branch=z9hG4bK%s;rport" % (
            "TCP" if self.tcp else "UDP", self.src, self.lport,
            uuid.uuid4().hex)

    def register(self, user, auth=None, to_user=None, expires=600):
        self.cseq += 1
        aor = "sip:%s@%s" % (to_user or user, self.host)
        lines = [
            "REGISTER sip:%s SIP/2.0" % self.host,
            "Via: " + self.via(),
            "Max-Forwards: 70",
            "From: <%s>;tag=%s" % (aor, uuid.uuid4().hex[:8]),
            "To: <%s>" % aor,
            "Call-ID: %s" % uuid.uuid4().hex,
            "CSeq: %d REGISTER" % self.cseq,
            "Contact: <sip:%s@%s:%d>;expires=%d" % (
                user, self.src, self.lport, expires),
        ]
        if auth:
            lines.append("Authorization: " + auth)
        lines += ["Content-Length: 0", "", ""]
        return "\r\n".join(lines).encode()

    def invite(self, to, auth=None):
        self.cseq += 1
        body = ("v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\n"
                "t=0 0\r\nm=audio 40000 RTP/AVP 0\r\n" % (self.src,
                                                          self.src))
        lines = [
            "INVITE %s SIP/2.0" % to,
            "Via: " + self.via(),
            "Max-Forwards: 70",
            "From: <sip:x@%s>;tag=%s" % (self.src, uuid.uuid4().hex[:8]),
            "To: <%s>" % to,
            "Call-ID: %s" % uuid.uuid4().hex,
            "CSeq: %d INVITE" % self.cseq,
            "Contact: <sip:x@%s:%d>" % (self.src, self.lport),
            "Content-Type: application/sdp",
        ]
        if auth:
            lines.append("Proxy-Authorization: " + auth)
        lines += ["Content-Length: %d" % len(body), "", body]
        return "\r\n".join(lines).encode()

    def send(self, data, expect=True):
        """send data; the first final answer (provisional ones skipped),
        or None when expect is False and nothing came in time"""
        if self.tcp:
            self.sock.sendall(data)
        else:
            self.sock.sendto(data, (self.host, self.port))
        while True:
            try:
                r = Response(self.recv())
            except socket.timeout:
                if expect:
                    raise
                return None
            if r.code >= 200:
                return r

    def recv(self):
        if not self.tcp:
            return self.sock.recvfrom(65536)[0]
        while True:
            head, sep, rest = self.buf.partition(b"\r\n\r\n")
            if sep:
                m = re.search(rb"(?im)^(?:content-length|l)\s*:\s*(\d+)",
                              head)
                n = int(m.group(1)) if m else 0
                if len(rest) >= n:
                    self.buf = rest[n:]
                    return head + sep + rest[:n]
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk

    def digest(self, challenge, user, password, method="REGISTER",
               uri=None):
        """the Authorization value answering challenge (a 401/407)"""
        hv = challenge.hdr("www-authenticate") or \
            challenge.hdr("proxy-authenticate")
        p = dict(re.findall(r'(\w+)="?([^",]*)"?', hv))
        uri = uri or "sip:%s" % self.host
        cnonce, nc = uuid.uuid4().hex[:16], "00000001"

        def md5(s):
            return hashlib.md5(s.encode()).hexdigest()

        ha1 = md5("%s:%s:%s" % (user, p["realm"], password))
        ha2 = md5("%s:%s" % (method, uri))
        resp = md5("%s:%s:%s:%s:auth:%s" % (ha1, p["nonce"], nc, cnonce,
                                            ha2))
        return ('Digest username="%s", realm="%s", nonce="%s", uri="%s", '
                'response="%s", algorithm=MD5, qop=auth, nc=%s, '
                'cnonce="%s"' % (user, p["realm"], p["nonce"], uri, resp,
                                 nc, cnonce))
