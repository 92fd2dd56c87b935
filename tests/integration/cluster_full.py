#!/usr/bin/env python3
"""The intake of cluster_full.sh (a raw HTTP client).

  cluster_full.py URLS N RATE OUT [BUSINESS]
      POST /v1/callbacks N times, request i to node i mod the number of
      URLS (a file, one node's URL a line), at RATE requests a second
      from four threads; each request with an Idempotency-Key of its
      own and a phone of its own (+1415557iiii). A request that gets no
      answer (the node killed) or a 5xx is sent again with the same key
      to the next node, and so on, 0.1 s apart, for at most RETRY_FOR
      seconds: what a client of a cluster behind a load balancer does.
      Each request's outcome is a line of OUT: "i key status id node
      tries" (status 202 with the callback's id, or the last status,
      0 for no answer, and id "-"). Exits 1 when a request was not
      answered 202 in the end. BUSINESS: demo unless given (the
      cluster benchmark, bench/calls/cluster.sh, uses its own).
      With CLUSTER_TRIES set (a file), every try is a line of it too:
      "t0 t1 node status retry_after code key" (wall-clock seconds at
      its start and its answer; retry_after and code "-" when none):
      cluster_pg_outage.sh counts and times the 503s from it.
"""
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse

TIMEOUT = 3.0      # a node that does not answer is given up on
RETRY_FOR = 15.0   # a request is tried this long over the nodes
THREADS = 4

lock = threading.Lock()


BUSINESS = sys.argv[5] if len(sys.argv) > 5 else "demo"


TRIES = open(os.environ["CLUSTER_TRIES"], "a") \
    if os.environ.get("CLUSTER_TRIES") else None


def post(url, key, phone, node):
    """One try: (status, id or "-"), in TRIES when set."""
    t0 = time.time()
    status, cid, hd, code = post1(url, key, phone)
    if TRIES:
        with lock:
            TRIES.write("%.3f %.3f %d %d %s %s %s\n" % (
                t0, time.time(), node + 1, status,
                hd.get("Retry-After") or "-", code or "-", key))
            TRIES.flush()
    return status, cid


def post1(url, key, phone):
    """One try: (status, id or "-", headers, error code or None)."""
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=TIMEOUT)
    try:
        conn.request("POST", "/v1/callbacks",
                     json.dumps({"business": BUSINESS, "phone": phone}),
                     {"Content-Type": "application/json",
                      "Idempotency-Key": key})
        r = conn.getresponse()
        body = r.read()
        hd = dict(r.getheaders())
        if r.status == 202:
            return 202, json.loads(body)["id"], hd, None
        try:
            code = json.loads(body)["error"]["code"]
        except (ValueError, KeyError, TypeError):
            code = None
        return r.status, "-", hd, code
    except (OSError, http.client.HTTPException, ValueError, KeyError):
        return 0, "-", {}, None
    finally:
        conn.close()


def one(urls, i, run, out):
    key = "full-%s-%d" % (run, i)
    phone = "+1415557%04d" % i
    end = time.monotonic() + RETRY_FOR
    tries = 0
    status, cid, node = 0, "-", i % len(urls)
    while True:
        tries += 1
        status, cid = post(urls[node], key, phone, node)
        if status == 202 or (0 < status < 500 and status != 429):
            break
        if time.monotonic() > end:
            break
        node = (node + 1) % len(urls)
        time.sleep(0.1)
    with lock:
        out.write("%d %s %d %s %d %d\n" % (i, key, status, cid, node + 1,
                                          tries))
        out.flush()
    return status == 202


def worker(urls, n, rate, run, out, k, bad):
    t0 = time.monotonic()
    for i in range(k, n, THREADS):
        wait = t0 + i / rate - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        if not one(urls, i, run, out):
            bad.append(i)


def main():
    urls = open(sys.argv[1]).read().split()
    n, rate = int(sys.argv[2]), float(sys.argv[3])
    out = open(sys.argv[4], "a")
    run = "%d" % time.time()
    bad = []
    ts = [threading.Thread(target=worker,
                           args=(urls, n, rate, run, out, k, bad))
          for k in range(THREADS)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if bad:
        print("not answered 202: %s" % sorted(bad)[:20])
        sys.exit(1)


main()
