#!/usr/bin/env python3
"""The browsers of bench/webrtc: a second rtpengine plays every page.

    browsers.py CTL_HOST:PORT SECRET NG_HOST:PORT RTP_PORT CALLS AGENT
                OUTDIR [--rate R] [--timeout S]

For each of CALLS calls, at most R a second (default 20): originate over
the call-control protocol (customer webrtc:bN, no agent yet: the page
holds and hears the hold prompt, as a visitor in the queue), and when the dialer's webrtc_offer comes (beckon's rtpengine's
SDP: SAVPF, ICE, DTLS), hand it to the "browser" rtpengine at NG with an
ng offer that turns it into plain RTP/AVP, answer that with a plain SDP
naming 127.0.0.1:RTP_PORT (this process's socket, later the generator's),
and give the SAVPF answer rtpengine makes back to the dialer
(webrtc_answer). The two rtpengines then run ICE and DTLS between them,
and beckon's hold prompt, decrypted by the browser's rtpengine, reaches
RTP_PORT: the call has media, and is offered to AGENT (offer_agent, a
plain SIP phone) to be bridged. Like a browser, each page sends its
microphone (20 ms of silence every 20 ms) from its answer on: rtpengine
sends to a WebRTC peer only once it has heard from it. Set-up time: originate sent to that first
packet (the page hearing the hold prompt after "Talk now").

When every call has media and is bridged (or the time ran out), writes
OUTDIR/setup.json (calls, with media, bridged, set-up p50/p99/max ms,
the first few failures) and OUTDIR/ports (the browser rtpengine's plain
port of each call, one a line), closes RTP_PORT and holds the calls until
SIGTERM; then hangs every call up, deletes the browser rtpengine's calls
and exits (0 when every call had media and was bridged).
"""
import json
import os
import select
import signal
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "tests", "sipp", "lib"))
from load import parse_args, pct  # noqa: E402  (the call driver's)

PTIME = 0.02

# the flags of the browser rtpengine: plain towards the generator (offer),
# WebRTC towards beckon's rtpengine (answer)
PLAIN = {"ICE": "remove", "DTLS": "off", "transport protocol": "RTP/AVP",
         "rtcp-mux": ["demux"]}
WEBRTC = {"ICE": "force", "DTLS": "active", "SDES": ["off"],
          "transport protocol": "RTP/SAVPF", "rtcp-mux": ["require"]}


def mic_packet(call, n):
    """RTP, 20 ms of PCMU silence (the payload's first byte is not the
    generator's "measured" mark)"""
    return struct.pack("!BBHII", 0x80, 0, n & 0xffff, n * 160,
                       0x10000 + call) + b"\xff" * 160


def plain_sdp(port):
    return "\r\n".join([
        "v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1",
        "t=0 0", "m=audio %d RTP/AVP 0 101" % port, "a=rtpmap:0 PCMU/8000",
        "a=rtpmap:101 telephone-event/8000", "a=sendrecv", ""])


def sdp_port(sdp):
    for line in sdp.splitlines():
        if line.startswith("m=audio "):
            return int(line.split()[1])
    return 0


class Ctl:
    def __init__(self, host, port, secret):
        self.s = socket.create_connection((host, port), timeout=10)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.send({"cmd": "auth", "secret": secret})
        while True:                     # the hello, then auth's reply
            e = [x for x in self.lines() if x.get("cmd") == "auth"]
            if e:
                break
        if e[0].get("event") != "ok":
            sys.exit("auth refused: %s" % e[0])
        self.s.setblocking(False)

    def send(self, obj):
        self.s.setblocking(True)
        self.s.sendall((json.dumps(obj) + "\n").encode())
        self.s.setblocking(False)

    def lines(self):
        """The complete lines there are (blocking until one at start)."""
        while True:
            try:
                data = self.s.recv(1 << 16)
            except BlockingIOError:
                data = None
            if data == b"":
                raise EOFError("the dialer closed the connection")
            if data:
                self.buf += data
            if b"\n" in self.buf or data is None:
                break
        *done, self.buf = self.buf.split(b"\n")
        return [json.loads(x) for x in done if x.strip()]


class Ng:
    """ng requests as JSON after the cookie; resent every 0.5 s."""

    def __init__(self, host, port):
        self.addr = (host, port)
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.setblocking(False)
        self.n = 0
        self.pending = {}               # cookie -> [sent, data, callback]

    def request(self, cmd, done, **args):
        self.n += 1
        cookie = "b%d" % self.n
        args["command"] = cmd
        data = ("%s %s" % (cookie, json.dumps(args))).encode()
        self.pending[cookie] = [time.monotonic(), data, done]
        self.s.sendto(data, self.addr)

    def resend(self, now):
        for p in self.pending.values():
            if now - p[0] > 0.5:
                p[0] = now
                self.s.sendto(p[1], self.addr)

    def replies(self):
        while True:
            try:
                data = self.s.recv(1 << 16)
            except BlockingIOError:
                return
            cookie, _, body = data.partition(b" ")
            p = self.pending.pop(cookie.decode(), None)
            if p:
                p[2](json.loads(body))


def main():
    opts = {"--rate": "20", "--timeout": "120"}
    pos = parse_args(sys.argv[1:], opts, 7, __doc__)
    ch, cp = pos[0].rsplit(":", 1)
    nh, np = pos[2].rsplit(":", 1)
    secret, rtp_port, total, agent, out = \
        pos[1], int(pos[3]), int(pos[4]), pos[5], pos[6]
    rate = float(opts["--rate"])
    deadline = time.monotonic() + float(opts["--timeout"])

    ctl = Ctl(ch, int(cp), secret)
    ng = Ng(nh, int(np))
    rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rtp.bind(("127.0.0.1", rtp_port))
    rtp.setblocking(False)

    calls = {}                          # id -> dict
    by_port = {}                        # browser's plain port -> id
    failures = []
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))

    def fail(cid, why):
        calls[cid]["failed"] = why
        if len(failures) < 5:
            failures.append({"id": cid, "why": why})

    def offer(cid, ev):
        def answered(r):
            if r.get("result") != "ok":
                return fail(cid, "browser answer: %s" % r)
            ctl.send({"cmd": "webrtc_answer", "id": cid,
                      "leg": "customer", "sdp": r["sdp"]})
            calls[cid]["mic"] = 0

        def offered(r):
            if r.get("result") != "ok":
                return fail(cid, "browser offer: %s" % r)
            calls[cid]["port"] = sdp_port(r["sdp"])
            by_port[calls[cid]["port"]] = cid
            ng.request("answer", answered, **{
                "call-id": cid, "from-tag": "server", "to-tag": "page",
                "sdp": plain_sdp(rtp_port), **WEBRTC})

        ng.request("offer", offered, **{
            "call-id": cid, "from-tag": "server", "sdp": ev["sdp"],
            **PLAIN})

    def event(ev):
        cid = ev.get("id")
        if cid not in calls:
            return
        e = ev.get("event")
        if e == "webrtc_offer" and ev.get("leg") == "customer":
            offer(cid, ev)
        elif e == "bridged":
            calls[cid]["bridged"] = True
        elif e == "ended":
            calls[cid]["ended"] = True
            if not calls[cid].get("failed"):
                fail(cid, "ended %s" % ev.get("reason"))
        elif e == "error":
            fail(cid, "error %s" % ev.get("code"))

    def ready():
        return all(c.get("media") and c.get("bridged") or c.get("failed")
                   for c in calls.values())

    def microphones():
        for cid, c in calls.items():
            if "mic" in c:
                c["mic"] += 1
                rtp.sendto(mic_packet(int(cid[1:]), c["mic"]),
                           ("127.0.0.1", c["port"]))

    t0 = time.monotonic()
    next_mic = t0
    while not stop and time.monotonic() < deadline:
        now = time.monotonic()
        if now >= next_mic:
            microphones()
            next_mic += PTIME
        while len(calls) < total and len(calls) < (now - t0) * rate + 1:
            cid = "b%d" % len(calls)
            calls[cid] = {"t0": time.monotonic()}
            ctl.send({"cmd": "originate", "id": cid,
                      "customer": "webrtc:" + cid, "customer_ring": 10})
        if len(calls) == total and ready():
            break
        r, _, _ = select.select([ctl.s, ng.s, rtp], [], [], 0.01)
        if ctl.s in r:
            for ev in ctl.lines():
                event(ev)
        if ng.s in r:
            ng.replies()
        if rtp in r:
            while True:
                try:
                    _, src = rtp.recvfrom(2048)
                except BlockingIOError:
                    break
                c = calls.get(by_port.get(src[1]))
                if c and "media" not in c:
                    c["media"] = (time.monotonic() - c["t0"]) * 1000
                    ctl.send({"cmd": "offer_agent", "id": by_port[src[1]],
                              "agent": agent, "agent_ring": 10})
        ng.resend(now)
    rtp.close()

    setup = sorted(c["media"] for c in calls.values() if "media" in c)
    good = sum(1 for c in calls.values()
               if c.get("media") and c.get("bridged") and
               not c.get("failed"))
    with open(out + "/setup.json", "w") as f:
        json.dump({"calls": total, "with_media": len(setup),
                   "bridged": sum(1 for c in calls.values()
                                  if c.get("bridged")),
                   "setup_p50_ms": pct(setup, 0.5),
                   "setup_p99_ms": pct(setup, 0.99),
                   "setup_max_ms": pct(setup, 1),
                   "seconds": round(time.monotonic() - t0, 2),
                   "failures": failures}, f)
    with open(out + "/ports.tmp", "w") as f:
        f.write("".join("%d\n" % c["port"] for c in calls.values()
                        if c.get("port")))
    # the script waits for this name: the file is complete
    os.rename(out + "/ports.tmp", out + "/ports")

    while not stop and time.monotonic() < deadline + 300:
        time.sleep(0.1)
    for cid in calls:
        ctl.send({"cmd": "hangup", "id": cid})
        ng.request("delete", lambda r: None, **{"call-id": cid})
    end = time.monotonic() + 5
    while time.monotonic() < end and (
            ng.pending or not all(c.get("ended") for c in calls.values())):
        select.select([ctl.s, ng.s], [], [], 0.05)
        try:
            for ev in ctl.lines():
                if ev.get("event") == "ended" and ev.get("id") in calls:
                    calls[ev["id"]]["ended"] = True
        except EOFError:
            break
        ng.replies()
        ng.resend(time.monotonic())
    return 0 if good == total else 1


if __name__ == "__main__":
    sys.exit(main())
