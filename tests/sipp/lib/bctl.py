#!/usr/bin/env python3
"""Talk to a baresip's ctrl_tcp module (netstrings of JSON).

    bctl.py HOST:PORT COMMAND [PARAMS]   run a command (e.g. sndcode 5),
                                         print the response; exit 1 if
                                         it failed
    bctl.py HOST:PORT watch FILE SECS    append every event to FILE, one
                                         JSON object a line, for SECS
                                         seconds or until baresip quits
"""
import json
import socket
import sys
import time


def netstrings(sock, deadline):
    buf = b""
    while time.time() < deadline:
        sock.settimeout(max(0.05, deadline - time.time()))
        try:
            data = sock.recv(4096)
        except socket.timeout:
            return
        if not data:
            return
        buf += data
        while b":" in buf:
            n, _, rest = buf.partition(b":")
            n = int(n)
            if len(rest) < n + 1:
                break
            yield json.loads(rest[:n])
            buf = rest[n + 1:]


def main():
    host, port = sys.argv[1].rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=5)
    if sys.argv[2] == "watch":
        with open(sys.argv[3], "a") as f:
            for ev in netstrings(s, time.time() + float(sys.argv[4])):
                f.write(json.dumps(ev) + "\n")
                f.flush()
        return 0
    cmd = {"command": sys.argv[2], "token": "t"}
    if len(sys.argv) > 3:
        cmd["params"] = sys.argv[3]
    data = json.dumps(cmd)
    s.sendall(("%d:%s," % (len(data), data)).encode())
    for msg in netstrings(s, time.time() + 5):
        if msg.get("response"):
            print(json.dumps(msg))
            return 0 if msg.get("ok") else 1
    return 1


if __name__ == "__main__":
    sys.exit(main())
