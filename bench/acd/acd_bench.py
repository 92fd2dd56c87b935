"""bench/acd: time from a POST /v1/callbacks leaving the client to the
customer's INVITE arriving at the trunk, at increasing request rates.

The trunk is a small SIP responder here (UDP) that notes when each INVITE
arrives and answers 486 Busy, so the agent is free again at once and the
callback is retried minutes later (after the run). The reference, in the
same run and at the same rates, is the round trip of GET /healthz: the
bare cost of the HTTP path on this machine.

argv: API_URL TRUNK_PORT SECONDS RATE [RATE...]
"""
import http.client
import socket
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

api, trunk_port, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
rates = [int(r) for r in sys.argv[4:]]
host = urlparse(api)

invites = {}                     # phone -> arrival time
lock = threading.Lock()


def trunk():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", trunk_port))
    while True:
        data, peer = s.recvfrom(65535)
        t = time.time()
        msg = data.decode(errors="replace")
        if not msg.startswith("INVITE "):
            continue
        user = msg.split(" ", 2)[1].split(":", 1)[1].split("@", 1)[0]
        with lock:
            invites.setdefault(user, t)
        hdrs = {}
        for line in msg.split("\r\n")[1:]:
            if not line:
                break
            k, _, v = line.partition(":")
            hdrs.setdefault(k.strip().lower(), []).append(v.strip())
        resp = ["SIP/2.0 486 Busy Here"]
        for v in hdrs.get("via", []) + hdrs.get("v", []):
            resp.append("Via: " + v)
        for k in ("from", "call-id", "cseq"):
            for v in hdrs.get(k, []):
                resp.append("%s: %s" % (k.title(), v))
        for v in hdrs.get("to", []):
            resp.append("To: %s;tag=bench%d" % (v, int(t * 1000) % 100000))
        resp.append("Content-Length: 0")
        s.sendto(("\r\n".join(resp) + "\r\n\r\n").encode(), peer)


local = threading.local()


def conn():
    c = getattr(local, "c", None)
    if c is None:
        c = http.client.HTTPConnection(host.hostname, host.port, timeout=10)
        local.c = c
    return c


def post(phone, sent):
    body = '{"business":"bench","phone":"%s"}' % phone
    t = time.time()
    c = conn()
    try:
        c.request("POST", "/v1/callbacks", body,
                  {"Content-Type": "application/json"})
        r = c.getresponse()
        r.read()
        ok = r.status == 202
    except OSError:
        local.c = None
        ok = False
    sent[phone] = (t, ok)


def health(rtts):
    t = time.time()
    c = conn()
    try:
        c.request("GET", "/healthz")
        c.getresponse().read()
    except OSError:
        local.c = None
        return
    rtts.append((time.time() - t) * 1000)


def paced(rate, fn):
    """Call fn(i) at rate per second for secs seconds, on time."""
    n = int(rate * secs)
    t0 = time.time() + 0.2
    with ThreadPoolExecutor(max_workers=64) as pool:
        for i in range(n):
            delay = t0 + i / rate - time.time()
            if delay > 0:
                time.sleep(delay)
            pool.submit(fn, i)


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p))] if v else float("nan")


threading.Thread(target=trunk, daemon=True).start()
time.sleep(0.2)

print("%-8s %10s %10s %10s %10s %10s %8s" % (
    "req/s", "acd p50", "acd p99", "http p50", "http p99", "p99 ratio",
    "lost"))
base = None
knee = None
prefix = 2000000
for rate in rates:
    rtts = []
    paced(rate, lambda i: health(rtts))
    sent = {}
    prefix += 100000
    paced(rate, lambda i: post("+1415%07d" % (prefix + i), sent))
    deadline = time.time() + 5
    while time.time() < deadline:
        with lock:
            done = sum(1 for p in sent if p.lstrip("+") in invites or
                       p in invites)
        if done >= sum(1 for v in sent.values() if v[1]):
            break
        time.sleep(0.1)
    lat = []
    lost = 0
    with lock:
        for p, (t, ok) in sent.items():
            if not ok:
                lost += 1
                continue
            ti = invites.get(p) or invites.get(p.lstrip("+"))
            if ti is None:
                lost += 1
            else:
                lat.append((ti - t) * 1000)
    a50, a99 = pct(lat, 0.5), pct(lat, 0.99)
    h50, h99 = pct(rtts, 0.5), pct(rtts, 0.99)
    print("%-8d %9.2fms %9.2fms %9.2fms %9.2fms %10.1f %8d" % (
        rate, a50, a99, h50, h99, a99 / h99 if h99 else 0, lost))
    if base is None:
        base = a99
    elif knee is None and a99 > 2 * base:
        knee = rate
    sys.stdout.flush()

print()
print("p99 from POST to INVITE stays within twice its lowest-rate value "
      "up to %s" % ("every rate tried" if knee is None else
                    "below %d req/s" % knee))
print("goal: p99 under 5 ms at 200 req/s")
