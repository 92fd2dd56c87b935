"""beckon's SIP port on the wire (raw UDP and TCP, tests/lib/sipraw.py).

    python3 dialer_wire.py PORT server VALUE   the Server header is VALUE
                                               ("-": there is none)
"""
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
else:
    fail("unknown case " + case)
