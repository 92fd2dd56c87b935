#!/usr/bin/env python3
"""A call-control client for the dialer tests (docs/call-control.md).

    ctl.py HOST:PORT SECRET SCRIPT

SCRIPT holds one step a line:

    send {"cmd":...}            send a command line
    expect EVENT [k=v ...]      read lines until one with "event": EVENT and
                                those fields (leg=agent, reason=busy, sip=486);
                                other lines are printed and skipped
    expect_close                read until the server closes the connection
    raw TEXT                    send TEXT as it is (\\n escapes)
    long N                      send a line of N bytes
    shell COMMAND               run COMMAND (a sipp client) and wait for it
    sleep SECONDS
    # comment

$VARS in steps are taken from the environment (${AGENT_PORT}). SECRET "-"
sends no auth; CTL_HMAC=1 answers the hello's nonce with an HMAC;
CTL_EPOCH=N says the leader's epoch N in the auth, CTL_NODE=ID the node's
id.

Every line received is printed to stdout as it came. Exits 0 when the script
ran to its end, 1 on a timeout (per expect, $CTL_TIMEOUT seconds, default
20) or a closed connection.
"""
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import time


def main():
    host, port = sys.argv[1].rsplit(":", 1)
    secret = sys.argv[2]
    steps = open(sys.argv[3]).read().splitlines()
    timeout = float(os.environ.get("CTL_TIMEOUT", "20"))
    use_hmac = os.environ.get("CTL_HMAC") == "1"

    s = socket.create_connection((host, int(port)), timeout=5)
    # reading and writing apart: a text file's write drops the lines it
    # had read ahead, and events that came in one segment with another
    # would be lost
    f = s.makefile("r", newline="\n")
    out = s.makefile("w")

    def recv(deadline):
        s.settimeout(max(0.05, deadline - time.time()))
        line = f.readline()
        if not line:
            print("ctl: connection closed", file=sys.stderr)
            sys.exit(1)
        sys.stdout.write(line)
        sys.stdout.flush()
        return json.loads(line)

    hello = recv(time.time() + 5)
    if use_hmac:
        mac = hmac.new(secret.encode(), hello["nonce"].encode(),
                       hashlib.sha256).hexdigest()
        auth = {"cmd": "auth", "hmac": mac}
    else:
        auth = {"cmd": "auth", "secret": secret}
    if os.environ.get("CTL_EPOCH"):
        auth["epoch"] = int(os.environ["CTL_EPOCH"])
    if os.environ.get("CTL_NODE"):
        auth["node"] = os.environ["CTL_NODE"]
    if secret != "-":
        out.write(json.dumps(auth) + "\n")
        out.flush()

    for step in steps:
        step = os.path.expandvars(step.strip())
        if not step or step.startswith("#"):
            continue
        verb, _, rest = step.partition(" ")
        if verb == "send":
            out.write(rest + "\n")
            out.flush()
        elif verb == "raw":
            out.write(rest.encode().decode("unicode_escape"))
            out.flush()
        elif verb == "expect_close":
            s.settimeout(timeout)
            while True:
                line = f.readline()
                if not line:
                    break
                sys.stdout.write(line)
        elif verb == "shell":
            rc = subprocess.call(rest, shell=True)
            if rc:
                print("ctl: '%s' exited %d" % (rest, rc), file=sys.stderr)
                sys.exit(1)
        elif verb == "long":
            out.write("x" * int(rest) + "\n")
            out.flush()
        elif verb == "sleep":
            time.sleep(float(rest))
        elif verb == "expect":
            words = rest.split()
            want = {"event": words[0]}
            for w in words[1:]:
                k, _, v = w.partition("=")
                want[k] = v
            deadline = time.time() + timeout
            while True:
                try:
                    ev = recv(deadline)
                except socket.timeout:
                    print("ctl: timeout waiting for %s" % rest,
                          file=sys.stderr)
                    sys.exit(1)
                if all(str(ev.get(k)).lower() == v.lower()
                       for k, v in want.items()):
                    break
        else:
            print("ctl: bad step: %s" % step, file=sys.stderr)
            sys.exit(2)
    s.close()


if __name__ == "__main__":
    main()
