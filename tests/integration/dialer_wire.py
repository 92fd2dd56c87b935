"""beckon's SIP port on the wire (raw UDP and TCP, tests/lib/sipraw.py).

    python3 dialer_wire.py PORT server VALUE   the Server header is VALUE
                                               ("-": there is none)
    python3 dialer_wire.py PORT invalid        RFC 4475's invalid requests
                                               get their 4xx (UDP, TCP)
    python3 dialer_wire.py PORT longuri        an INVITE to a 3,000-byte
                                               Request-URI with an escape
"""
import socket
import uuid
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sipraw  # noqa: E402

port, case = int(sys.argv[1]), sys.argv[2]


def options(tcp=False):
    c = sipraw.Client("127.0.0.1", port, tcp=tcp)
    r = c.send(("OPTIONS sip:127.0.0.1 SIP/2.0\r\n"
                "Via: %s\r\n"
                "From: <sip:probe@127.0.0.1>;tag=1\r\n"
                "To: <sip:127.0.0.1>\r\n"
                "Call-ID: wire-options-%d\r\n"
                "CSeq: 1 OPTIONS\r\n"
                "Max-Forwards: 70\r\n"
                "Content-Length: 0\r\n\r\n" % (c.via(), c.lport)).encode())
    c.close()
    return r


def raw(first, hdrs, c, body=""):
    """a request from its request line and headers (Via added)"""
    return (first + "\r\nVia: " + c.via() + "\r\n" +
            "".join(h + "\r\n" for h in hdrs) + "\r\n" + body).encode()


def basic(method, n, drop=(), extra=(), clen="Content-Length: 0"):
    """the headers of a valid request, less those named in drop"""
    # a Call-ID and tag of its own (libre answers 482 to a request that
    # shares them with an earlier one: a merged request)
    u = uuid.uuid4().hex
    h = {"From": "From: <sip:a@127.0.0.1>;tag=w%d-%s" % (n, u[:8]),
         "To": "To: <sip:b@127.0.0.1>",
         "Call-ID": "Call-ID: wire-%d-%s" % (n, u),
         "CSeq": "CSeq: 1 %s" % method,
         "Max-Forwards": "Max-Forwards: 70"}
    return [v for k, v in h.items() if k not in drop] + list(extra) + \
        ([clen] if clen else [])


# RFC 4475 section 3.1.2 (invalid messages) as beckon sees them: name,
# request line, headers, body, the status expected (None: no answer)
def cases(tcp):
    opt, inv = "OPTIONS sip:127.0.0.1 SIP/2.0", "INVITE sip:b@127.0.0.1 SIP/2.0"
    c = [
        ("valid OPTIONS", opt, basic("OPTIONS", 1), "", 200),
        ("valid INVITE", inv, basic("INVITE", 2), "", 401),
        ("no Call-ID (3.1.2.18)", inv,
         basic("INVITE", 3, drop=["Call-ID"]), "", 400),
        ("no From", opt, basic("OPTIONS", 4, drop=["From"]), "", 400),
        ("no To", inv, basic("INVITE", 5, drop=["To"]), "", 400),
        ("no CSeq", opt, basic("OPTIONS", 6, drop=["CSeq"]), "", 400),
        ("negative Content-Length (3.1.2.3)", inv,
         basic("INVITE", 8, clen="Content-Length: -999"), "", 400),
        ("CSeq past 2^32 (3.1.2.4)", inv,
         basic("INVITE", 9, drop=["CSeq"],
               extra=["CSeq: 36893488147419103232 INVITE"]), "", 400),
        ("CSeq of 2^32", opt,
         basic("OPTIONS", 10, drop=["CSeq"],
               extra=["CSeq: 4294967296 OPTIONS"]), "", 400),
        ("CSeq of another method (3.1.2.11)", opt,
         basic("OPTIONS", 11, drop=["CSeq"], extra=["CSeq: 1 INVITE"]),
         "", 400),
        ("unknown URI scheme (3.1.2.13)",
         "OPTIONS nobodyknowsthisscheme:totallyopaquecontent SIP/2.0",
         basic("OPTIONS", 12), "", 416),
        ("unknown URI scheme, INVITE",
         "INVITE nobodyknowsthisscheme:x SIP/2.0", basic("INVITE", 13), "",
         416),
        # libre 1.1.0 drops it (docs/sip-input.md): no 505 is possible
        ("unknown version (3.1.2.16)", "OPTIONS sip:127.0.0.1 SIP/7.0",
         basic("OPTIONS", 14), "", None),
        # an ACK is never answered, even a bad one
        ("bad ACK", "ACK sip:b@127.0.0.1 SIP/2.0",
         basic("ACK", 15, drop=["Call-ID"]), "", None),
    ]
    # conflicting Content-Length (3.1.2.2): over TCP libre waits for the
    # bytes one of them announces, so they are sent
    c.append(("two Content-Lengths", inv,
              basic("INVITE", 16, clen=None,
                    extra=["Content-Length: 0", "Content-Length: 4"]),
              "abcd", 400))
    if not tcp:
        c.append(("Content-Length beyond the datagram (3.1.2.3)", opt,
                  basic("OPTIONS", 17, clen="Content-Length: 9999"), "",
                  400))
    return c


def invalid():
    for tcp in (False, True):
        for name, first, hdrs, body, want in cases(tcp):
            c = sipraw.Client("127.0.0.1", port, tcp=tcp)
            if want is None:
                c.sock.settimeout(0.5)
            try:
                r = c.send(raw(first, hdrs, c, body), expect=want is not None)
            except (ConnectionError, socket.timeout) as e:
                # libre closes a TCP connection it cannot parse
                if want is not None:
                    fail("%s (%s): %r" % (name, "tcp" if tcp else "udp", e))
                r = None
            finally:
                c.close()
            got = r.code if r else None
            if got != want:
                fail("%s (%s): %s, expected %s" % (
                    name, "tcp" if tcp else "udp",
                    r.status_line if r else "no answer", want))
            print("  %s %s: %s" % ("tcp" if tcp else "udp", name,
                                   r.status_line if r else "no answer"))


def longuri():
    c = sipraw.Client("127.0.0.1", port)
    uri = "sip:\x1b[31m" + "u" * 3000 + "@127.0.0.1"
    r = c.send(raw("INVITE %s SIP/2.0" % uri, basic("INVITE", 20)
                   [:-1] + ["Content-Length: 0"], c))
    if r.code != 401:
        fail("long Request-URI: " + r.status_line)


def fail(msg):
    print("FAIL:", msg, file=sys.stderr)
    sys.exit(1)


if case == "server":
    want = None if sys.argv[3] == "-" else sys.argv[3]
    for tcp in (False, True):
        r = options(tcp)
        if r.code != 200:
            fail("OPTIONS: %s" % r.status_line)
        if r.hdr("server") != want:
            fail("Server is %r, expected %r" % (r.hdr("server"), want))
elif case == "invalid":
    invalid()
elif case == "longuri":
    longuri()
else:
    fail("unknown case " + case)
