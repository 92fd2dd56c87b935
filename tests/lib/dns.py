"""A name server for tests, on loopback UDP: answers A queries for the
names given as NAME=IPV4 with that address (TTL 5), NXDOMAIN for any
other name, no record for other types; logs "QUERY NAME TYPE" per query.

    python3 dns.py PORT NAME=IPV4 ...
"""
import socket
import struct
import sys

port = int(sys.argv[1])
names = dict(a.split("=", 1) for a in sys.argv[2:])

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", port))

while True:
    q, peer = s.recvfrom(512)
    if len(q) < 12:
        continue
    qid, flags, qd = struct.unpack(">HHH", q[:6])
    i, labels = 12, []
    while i < len(q) and q[i]:
        labels.append(q[i + 1:i + 1 + q[i]].decode("ascii", "replace"))
        i += 1 + q[i]
    qtype = struct.unpack(">H", q[i + 1:i + 3])[0]
    question = q[12:i + 5]
    name = ".".join(labels).lower()
    print("QUERY", name, qtype, flush=True)

    rd = flags & 0x0100
    if name not in names:
        hdr = struct.pack(">HHHHHH", qid, 0x8080 | rd | 3, 1, 0, 0, 0)
        s.sendto(hdr + question, peer)
        continue
    answers = b""
    if qtype == 1:
        answers = (b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 5, 4) +
                   socket.inet_aton(names[name]))
    hdr = struct.pack(">HHHHHH", qid, 0x8480 | rd, 1,
                      1 if answers else 0, 0, 0)
    s.sendto(hdr + question + answers, peer)
