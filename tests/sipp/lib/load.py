#!/usr/bin/env python3
"""Drive many complete calls through the dialer's control protocol.

    load.py HOST:PORT SECRET CALLS CONCURRENCY AGENT [options]

      --prefix P    call ids are P-0, P-1, ... (default "load")
      --rate R      start at most R calls per second (default: as fast as
                    CONCURRENCY allows)
      --hold MS     keep each call bridged MS milliseconds before hanging
                    up (default 0: hang up as soon as it is bridged)
      --timeout S   give up after S seconds in all (default 120)

Keeps at most CONCURRENCY calls in flight: originate (customer first,
with AGENT), hang up once the call is bridged (after --hold), start the
next when one ends. A call succeeds when its events are exactly the
complete flow: invite, answered for the customer, invite, answered for
the agent, bridged, then ended with system_hangup (our hangup); anything
else (a failed leg, an error reply, a missing event) is a failure.

Prints one JSON line: calls, ok, failed, reasons seen, seconds, calls per
second, set-up times (originate sent to bridged received) p50/p99/max in
ms, the driver's own CPU seconds, and the first few failures. Exits 0
when every call succeeded, 1 when any failed or the time ran out.

The socket is read and written raw (not through a text-mode makefile,
whose write() drops what it has read ahead but not yet returned).
"""
import json
import os
import socket
import sys
import time

FLOW = ["invite:customer", "answered:customer", "invite:agent",
        "answered:agent", "bridged"]
SKIP = ("ringing", "leg_ended", "ok")


class Conn:
    def __init__(self, host, port):
        self.s = socket.create_connection((host, port), timeout=10)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.out = []

    def send(self, obj):
        self.out.append(json.dumps(obj, separators=(",", ":")) + "\n")

    def flush(self):
        if self.out:
            self.s.sendall("".join(self.out).encode())
            self.out = []

    def lines(self, timeout):
        """The complete lines that arrive within timeout (maybe none)."""
        self.s.settimeout(max(0.0005, timeout))
        try:
            data = self.s.recv(1 << 16)
        except socket.timeout:
            return []
        if not data:
            raise EOFError("the dialer closed the connection")
        self.buf += data
        *done, self.buf = self.buf.split(b"\n")
        return [json.loads(x) for x in done if x.strip()]


def parse_args(argv, opts, npos, usage):
    """argv's options, those named in opts (each with a value; opts holds
    the defaults and is updated), and its npos positional arguments (a
    list); exits with usage when there are not npos of them. Shared with
    bench/webrtc/browsers.py."""
    args = list(argv)
    pos = []
    while args:
        a = args.pop(0)
        if a in opts:
            opts[a] = args.pop(0)
        else:
            pos.append(a)
    if len(pos) != npos:
        sys.exit(usage)
    return pos


def pct(times, p):
    """The p quantile (1: the maximum) of sorted times in ms, rounded to
    0.1 ms; None when there are none. Shared with bench/webrtc."""
    if not times:
        return None
    return round(times[min(len(times) - 1, int(p * len(times)))], 1)


def main():
    opts = {"--prefix": "load", "--rate": "0", "--hold": "0",
            "--timeout": "120"}
    pos = parse_args(sys.argv[1:], opts, 5, __doc__)
    host, port = pos[0].rsplit(":", 1)
    secret, total, conc, agent = pos[1], int(pos[2]), int(pos[3]), pos[4]
    prefix = opts["--prefix"]
    rate = float(opts["--rate"])
    hold = float(opts["--hold"]) / 1000
    deadline = time.monotonic() + float(opts["--timeout"])

    c = Conn(host, int(port))
    hello = c.lines(5)
    while not hello:
        hello = c.lines(5)
    c.send({"cmd": "auth", "secret": secret})
    c.flush()
    auth = []
    while not auth:
        auth = c.lines(5)
    if auth[0].get("event") != "ok":
        sys.exit("auth failed: %s" % auth[0])

    calls = {}          # id -> {"t0", "seen": [...], "hangup_at"}
    setup = []
    reasons = {}
    failures = []
    ok = 0
    done = 0
    nxt = 0
    t0 = time.monotonic()
    hangups = []        # (time, id), in order (hold is the same for all)

    def fail(cid, call, why):
        if len(failures) < 5:
            failures.append({"id": cid, "why": why,
                             "seen": call["seen"]})

    while done < total:
        now = time.monotonic()
        if now > deadline:
            break

        # start calls: within the concurrency and the rate
        while nxt < total and len(calls) < conc and \
                (not rate or nxt < (now - t0) * rate + 1):
            cid = "%s-%d" % (prefix, nxt)
            nxt += 1
            calls[cid] = {"t0": time.monotonic(), "seen": []}
            c.send({"cmd": "originate", "id": cid,
                    "customer": "+14155550100", "agent": agent,
                    "customer_ring": 10, "agent_ring": 10})

        while hangups and hangups[0][0] <= now:
            c.send({"cmd": "hangup", "id": hangups.pop(0)[1]})
        c.flush()

        # wait for events until the next thing we have to do
        wake = deadline
        if hangups:
            wake = min(wake, hangups[0][0])
        if nxt < total and len(calls) < conc and rate:
            wake = min(wake, t0 + nxt / rate)
        for ev in c.lines(min(0.2, wake - time.monotonic())):
            e = ev.get("event")
            cid = ev.get("id")
            if cid not in calls:
                continue
            call = calls[cid]
            if e == "error":
                call["seen"].append("error:%s" % ev.get("code"))
                fail(cid, call, "error reply")
                if ev.get("cmd") == "originate":
                    calls.pop(cid)
                    done += 1
                    reasons["error"] = reasons.get("error", 0) + 1
                continue
            if e in SKIP:
                continue
            if e == "ended":
                calls.pop(cid)
                done += 1
                r = ev.get("reason")
                reasons[r] = reasons.get(r, 0) + 1
                if call["seen"] == FLOW and r == "system_hangup":
                    ok += 1
                else:
                    call["seen"].append("ended:%s" % r)
                    fail(cid, call, "incomplete flow")
                continue
            call["seen"].append("%s:%s" % (e, ev["leg"]) if "leg" in ev
                                else e)
            if e == "bridged":
                setup.append((time.monotonic() - call["t0"]) * 1000)
                hangups.append((time.monotonic() + hold, cid))

    secs = time.monotonic() - t0
    setup.sort()
    timed_out = done < total
    print(json.dumps({"calls": total, "ok": ok, "failed": total - ok,
                      "unfinished": total - done, "reasons": reasons,
                      "seconds": round(secs, 2),
                      "calls_per_s": round(done / secs, 1),
                      "setup_p50_ms": pct(setup, 0.5),
                      "setup_p99_ms": pct(setup, 0.99),
                      "setup_max_ms": pct(setup, 1),
                      "timed_out": timed_out,
                      "cpu_s": round(sum(os.times()[:2]), 2),
                      "failures": failures}))
    return 0 if ok == total and not timed_out else 1


if __name__ == "__main__":
    sys.exit(main())
