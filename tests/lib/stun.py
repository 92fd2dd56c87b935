"""A STUN server for the tests (RFC 5389 Binding only): answers each
Binding request on 127.0.0.1:PORT with the sender's address in an
XOR-MAPPED-ADDRESS, and counts them in COUNT_FILE (one line a request),
so that a test can see a browser really used the STUN server it was
handed. argv: port count_file. Runs until killed."""
import socket
import struct
import sys

COOKIE = 0x2112A442
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
with open(sys.argv[2], "a") as count:
    while True:
        data, (ip, port) = s.recvfrom(2048)
        if len(data) < 20:
            continue
        mtype, _, cookie = struct.unpack("!HHI", data[:8])
        if mtype != 0x0001 or cookie != COOKIE:
            continue
        count.write("binding\n")
        count.flush()
        xaddr = struct.pack("!BBH4s", 0, 1, port ^ (COOKIE >> 16),
                            bytes(a ^ b for a, b in zip(
                                socket.inet_aton(ip),
                                struct.pack("!I", COOKIE))))
        attr = struct.pack("!HH", 0x0020, len(xaddr)) + xaddr
        s.sendto(struct.pack("!HHI", 0x0101, len(attr), COOKIE) +
                 data[8:20] + attr, (ip, port))
