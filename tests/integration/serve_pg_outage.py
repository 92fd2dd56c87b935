#!/usr/bin/env python3
"""The load and the checks of serve_pg_outage.sh (a raw HTTP client).

  serve_pg_outage.py load URL DIR CONNS PREFIX
      CONNS threads POST /v1/callbacks, each request with a key of its
      own (Idempotency-Key) and a client timeout; a 503 is retried with
      the same key until it is answered 202. One more thread asks
      /healthz every 50 ms. Every answer is a line of DIR/answers.jsonl.
      Runs until DIR/stop exists, then finishes the keys in flight
      (bounded) and exits.
  serve_pg_outage.py check DIR
      reads DIR/answers.jsonl, DIR/marks (the shell's "down T" / "up T"
      lines: PostgreSQL cut, PostgreSQL answering again) and DIR/db (the
      database's "key id" lines) and checks what the test promises;
      prints each outage's figures, exits 1 on a failed check.
"""
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse

TIMEOUT = 3.0        # no answer may take longer (the bound of the test)
RETRY_PAUSE = 0.1    # before a 503 is retried (Retry-After is 1 s: the
                     # test asks sooner to time the recovery closely)
FINISH = 20.0        # after stop, the keys in flight get this long
RECOVERY_MAX = 2.5   # PostgreSQL answering to the node's next 202: its
                     # reconnection attempts (src/store/pg.c, at most
                     # PG_BACKOFF_MAX_MS apart), a connection, a batch

lock = threading.Lock()


def record(out, entry):
    with lock:
        out.write(json.dumps(entry) + "\n")
        out.flush()


def ask(conn, method, path, body=None, headers=None):
    """One request: (status, headers, body); status 0 on no answer."""
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    except (OSError, http.client.HTTPException) as e:
        conn.close()
        return 0, {}, str(e).encode()


def poster(url, n, prefix, out, stop):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=TIMEOUT)
    i = 0
    while not os.path.exists(stop):
        i += 1
        key = "k%d-%d" % (n, i)
        phone = "%s%d%05d" % (prefix, n, i)
        body = json.dumps({"business": "load", "phone": phone,
                           "name": "Load"})
        deadline = None
        while True:
            t0 = time.time()
            st, hd, b = ask(conn, "POST", "/v1/callbacks", body,
                            {"Content-Type": "application/json",
                             "Idempotency-Key": key})
            t1 = time.time()
            e = {"kind": "post", "t0": t0, "t1": t1, "status": st,
                 "key": key}
            try:
                j = json.loads(b)
            except ValueError:
                j = {}
            if st == 202:
                e["id"] = j.get("id")
            else:
                e["retry_after"] = hd.get("Retry-After")
                e["code"] = (j.get("error") or {}).get("code")
                e["message"] = (j.get("error") or {}).get("message")
                if st == 0:
                    e["why"] = b.decode(errors="replace")
            record(out, e)
            if st != 503:
                break
            if os.path.exists(stop):
                deadline = deadline or time.time() + FINISH
                if time.time() > deadline:
                    break
            time.sleep(RETRY_PAUSE)
        if st not in (202, 503):
            break    # the check reports it
    conn.close()


def health(url, out, stop):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=TIMEOUT)
    while not os.path.exists(stop):
        t0 = time.time()
        st, _, _ = ask(conn, "GET", "/healthz")
        record(out, {"kind": "health", "t0": t0, "t1": time.time(),
                     "status": st})
        time.sleep(0.05)
    conn.close()


def load(url, d, conns, prefix):
    stop = os.path.join(d, "stop")
    with open(os.path.join(d, "answers.jsonl"), "w") as out:
        ts = [threading.Thread(target=poster,
                               args=(url, n, prefix, out, stop))
              for n in range(conns)]
        ts.append(threading.Thread(target=health, args=(url, out, stop)))
        for t in ts:
            t.start()
        for t in ts:
            t.join()


def outages(d):
    marks = [l.split() for l in open(os.path.join(d, "marks"))]
    downs = [float(t) for w, t in marks if w == "down"]
    ups = [float(t) for w, t in marks if w == "up"]
    if len(downs) != len(ups) or not downs:
        raise SystemExit("bad marks file")
    return list(zip(downs, ups))


def check(d):
    es = [json.loads(l) for l in open(os.path.join(d, "answers.jsonl"))]
    posts = [e for e in es if e["kind"] == "post"]
    checks = [e for e in es if e["kind"] == "health"]
    bad = []

    for e in es:
        took = e["t1"] - e["t0"]
        ok = (202, 503) if e["kind"] == "post" else (200, 503)
        if e["status"] not in ok:
            bad.append("%s answered %s after %.2f s: %s" % (
                e["kind"], e["status"], took, e.get("why", e)))
        if took > TIMEOUT:
            bad.append("%s took %.2f s" % (e["kind"], took))
        # the message tells the way to retry safely: the commit of a
        # request answered 503 may have been done
        if e["kind"] == "post" and e["status"] == 503 and (
                e.get("code") != "store_unavailable" or
                e.get("retry_after") != "1" or
                "Idempotency-Key" not in (e.get("message") or "")):
            bad.append("a 503 without store_unavailable, Retry-After "
                       "and the key to retry with: %s" % e)

    # every key ends with a 202, always the same id
    ids = {}
    for e in posts:
        if e["status"] == 202:
            if ids.setdefault(e["key"], e["id"]) != e["id"]:
                bad.append("key %s answered two ids" % e["key"])
    keys = {e["key"] for e in posts}
    for k in sorted(keys - set(ids)):
        bad.append("key %s never answered 202" % k)

    # the database: each key one callback, the one its 202 named
    db = dict(l.split() for l in open(os.path.join(d, "db")))
    for k, i in sorted(ids.items()):
        if db.get(k) != i:
            bad.append("key %s: 202 said %s, the database has %s" % (
                k, i, db.get(k)))
    for k in sorted(set(db) - keys):
        bad.append("the database has key %s nobody sent" % k)

    ws = outages(d)
    for n, (down, up) in enumerate(ws):
        end = ws[n + 1][0] if n + 1 < len(ws) else float("inf")
        # what began after this cut and ended before the next one
        near = [e for e in posts if down <= e["t0"] and e["t1"] < end]
        no = [e for e in near if e["status"] == 503]
        if not no:
            bad.append("outage %d: no 503" % (n + 1))
            continue
        last = max(e["t1"] for e in no)
        back = [e["t1"] for e in near
                if e["status"] == 202 and e["t0"] >= last]
        hs = [e for e in checks if down <= e["t0"] and e["t1"] < end]
        h503 = [e for e in hs if e["status"] == 503]
        h200 = [e for e in hs if e["status"] == 200 and
                e["t0"] > max(e2["t1"] for e2 in h503 or [hs[0]])]
        if not back:
            bad.append("outage %d: no 202 after it" % (n + 1))
            continue
        print("outage %d: %d answers 503 (the slowest %.3f s), "
              "PostgreSQL down %.2f s, the first 202 %.2f s after it "
              "answered again (%.2f s after the cut); /healthz %d x 503"
              % (n + 1, len(no), max(e["t1"] - e["t0"] for e in no),
                 up - down, min(back) - up, min(back) - down, len(h503)))
        if min(back) - up > RECOVERY_MAX:
            bad.append("outage %d: 202 again only %.2f s after "
                       "PostgreSQL" % (n + 1, min(back) - up))
        if not h503:
            bad.append("outage %d: /healthz never 503" % (n + 1))
        if not h200:
            bad.append("outage %d: /healthz not 200 after" % (n + 1))

    print("%d keys, %d answers 202, %d answers 503, %d /healthz" % (
        len(keys), len(ids), sum(e["status"] == 503 for e in posts),
        len(checks)))
    for b in bad[:20]:
        print("FAIL:", b)
    return 1 if bad else 0


if __name__ == "__main__":
    if sys.argv[1] == "load":
        load(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    else:
        sys.exit(check(sys.argv[2]))
