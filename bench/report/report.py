#!/usr/bin/env python3
"""bench/report's two halves (see run.sh).

  report.py gen DB N           N closed callbacks of demo over the last
                               300 days, 70% connected (a 'bridged'
                               event), 30% of those with a sale
  report.py run URL DB RUNS N  the report over those days, RUNS times,
                               the best kept; the sqlite3 CLI on the same
                               query and file, the best of RUNS; the
                               longest /healthz answer while a report ran
"""
import json
import random
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

DAYS = 300
ZONE = ZoneInfo("America/New_York")
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

# the store's SQ_REPORT_ROWS (src/store/sql.c), its parameters written in
REPORT_SQL = """SELECT c.business_id, CASE {key} WHEN 1 THEN c.agent_id
  WHEN 2 THEN c.agent_key WHEN 3 THEN c.page_url END,
 c.created_at, c.status,
 (SELECT min(e.t) FROM events AS e WHERE e.callback_id = c.id
  AND e.type = 'bridged') - c.created_at,
 o.disposition = 'sale', o.currency, o.amount_cents
 FROM callbacks AS c
 LEFT JOIN outcomes AS o ON o.callback_id = c.id
 WHERE c.id >= '{lo_id}' AND c.id < '{hi_id}'
 AND c.created_at >= {lo} AND c.created_at < {hi}
 AND instr(' ' || 'demo' || ' ', ' ' || c.business_id || ' ') > 0;"""


def span():
    """the local days of the report and their bounds in ms"""
    now = datetime.now(ZONE)
    first = (now - timedelta(days=DAYS)).date()
    last = now.date()
    lo = datetime(first.year, first.month, first.day, tzinfo=ZONE)
    hi = datetime(last.year, last.month, last.day, tzinfo=ZONE) + \
        timedelta(days=1)
    return first, last, int(lo.timestamp() * 1000), \
        int(hi.timestamp() * 1000)


def gen(db, n):
    rnd = random.Random(13)
    _, _, lo, hi = span()
    hi = min(hi, int(time.time() * 1000) - 60000)
    cbs, evs, outs = [], [], []
    for _ in range(n):
        t = rnd.randrange(lo, hi)
        cid = "cb_%012x%s" % (t, "".join(rnd.choice(B64)
                                         for _ in range(22)))
        conn = rnd.random() < 0.7
        cbs.append((cid, "+1415555%04d" % rnd.randrange(10000),
                    "completed" if conn else "failed", t, t))
        evs.append((cid, t, "created"))
        end = t + 1000
        if conn:
            end = t + rnd.randrange(2000, 200000)
            evs.append((cid, end, "bridged"))
            if rnd.random() < 0.3:
                outs.append((cid, "sale", 1999, "USD", end + 9000))
        evs.append((cid, end + 5000, "ended"))
    con = sqlite3.connect(db)
    con.executemany(
        "INSERT INTO callbacks (id, business_id, phone, status, open,"
        " created_at, updated_at) VALUES (?, 'demo', ?, ?, 0, ?, ?)", cbs)
    con.executemany(
        "INSERT INTO events (callback_id, t, type, public) VALUES"
        " (?, ?, ?, 1)", evs)
    con.executemany(
        "INSERT INTO outcomes (callback_id, business_id, agent_id,"
        " disposition, amount_cents, currency, t) VALUES"
        " (?, 'demo', 'alice', ?, ?, ?, ?)", outs)
    con.commit()
    con.close()


def get(url, token=True):
    rq = urllib.request.Request(url, headers={
        "Authorization": "Bearer demo"} if token else {})
    with urllib.request.urlopen(rq, timeout=600) as r:
        return r.read()


def run(url, db, runs, n):
    first, last, lo, hi = span()
    q = "%s/v1/admin/reports?business=demo&from=%s&to=%s&by=range" % (
        url, first.isoformat(), last.isoformat())
    best, held = None, 0.0
    for _ in range(runs):
        done = threading.Event()
        worst = [0.0]

        def ping():
            while not done.is_set():
                t0 = time.monotonic()
                get(url + "/healthz", False)
                worst[0] = max(worst[0], time.monotonic() - t0)

        th = threading.Thread(target=ping)
        th.start()
        t0 = time.monotonic()
        body = json.loads(get(q))
        dt = time.monotonic() - t0
        done.set()
        th.join()
        best = dt if best is None else min(best, dt)
        held = max(held, worst[0])
    rows = body["rows"][0]["requested"] if body["rows"] else 0
    assert rows == n, "the report counted %d of %d" % (rows, n)

    sql = REPORT_SQL.format(key=0, lo_id="cb_%012x" % lo,
                            hi_id="cb_%012x" % hi, lo=lo, hi=hi)
    ref = None
    for _ in range(runs):
        t0 = time.monotonic()
        subprocess.run(["sqlite3", "-readonly", db],
                       input=".output /dev/null\n" + sql, text=True,
                       check=True)
        dt = time.monotonic() - t0
        ref = dt if ref is None else min(ref, dt)
    print("%-9d %10.0f %12.0f %7.2f %14.0f" % (
        n, best * 1000, ref * 1000, best / ref, held * 1000))


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2], int(sys.argv[3]))
    else:
        run(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
