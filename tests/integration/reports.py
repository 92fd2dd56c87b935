#!/usr/bin/env python3
"""Reports against the store's events (tests/integration/reports.sh).

  reports.py gen DB          writes a month of closed callbacks (March
                             2026: New York's DST change on the 8th,
                             Paris's on the 29th), their events and
                             wrap-ups into beckon's SQLite file, as the
                             store writes them
  reports.py today DB        writes two callbacks of demo connected a
                             minute ago, after 10 s and 31 s (an even
                             count: where two median definitions
                             differ), and prints today's date in New York
  reports.py check URL DB    asks GET /v1/admin/reports for several
                             shapes (JSON and CSV) and compares them with
                             the figures computed here from the events,
                             with Python's own time zones

The expected figures never come from beckon's code: local days and hours
from zoneinfo, connect time from the first 'bridged' event, sales from
the outcomes table.
"""
import csv
import io
import json
import random
import sqlite3
import sys
import urllib.request
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

ZONES = {"demo": "America/New_York", "paris": "Europe/Paris"}
SLA = {"demo": 30, "paris": 90}
AGENTS = ["alice", "carol", "dave", ""]
XSS = '<img src=x onerror="window.__xss=1">'
KEYS = ["sales", "support", "", XSS + "team",
        "=HYPERLINK(\"http://x\",\"y\")", "+cmd",
        "-2+3", "@SUM(1)", "\tTab", "a,b \"q\"", "x\r\ny"]
PAGES = ["https://shop.example/a?x=1", "https://shop.example/b#frag",
         "https://shop.example/c", "=cmd|' /C calc'!A0",
         "https://shop.example/a?y=2", "javascript:window.__xss=2"]
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
PHONES = ["+1415555%04d" % i for i in range(20)]
TOKEN = "demo"


def local_midnight(zone, d):
    return int(datetime(d.year, d.month, d.day, tzinfo=ZoneInfo(zone))
               .timestamp() * 1000)


def gen(db):
    rnd = random.Random(13)
    con = sqlite3.connect(db)
    n = 0
    for biz, zone in ZONES.items():
        d = date(2026, 2, 27)
        while d <= date(2026, 4, 2):
            lo = local_midnight(zone, d)
            hi = local_midnight(zone, d + timedelta(days=1))
            times = [rnd.randrange(lo, hi) for _ in range(rnd.randint(3, 9))]
            # the first and last minutes of the day: the edges of a period
            times += [lo, hi - 1, lo + rnd.randrange(60000)]
            for t in times:
                write_callback(con, rnd, biz, t)
                n += 1
            d += timedelta(days=1)
    con.commit()
    con.close()
    print("generated %d callbacks" % n)


def write_callback(con, rnd, biz, t):
    cid = "cb_%012x%s" % (t, "".join(rnd.choice(B64) for _ in range(22)))
    status = rnd.choices(["completed", "abandoned", "failed", "canceled"],
                         [60, 15, 15, 10])[0]
    agent = rnd.choice(AGENTS) if status == "completed" else ""
    con.execute(
        "INSERT INTO callbacks (id, business_id, phone, status, open,"
        " created_at, updated_at, page_url, agent_key, agent_id, name)"
        " VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?)",
        (cid, biz, rnd.choice(PHONES), status, t, t, rnd.choice(PAGES),
         rnd.choice(KEYS), agent, rnd.choice([None, XSS + "Ann"])))
    ev = [(t, "created", 1, '{"status":"queued"}')]
    end = t + 1000
    if status == "completed":
        end = t + rnd.randrange(2000, 200000)
        ev.append((end, "bridged", 1, None))
        if rnd.random() < 0.1:   # bridged again after an interruption
            ev.append((end + 30000, "bridged", 1, None))
    ev.append((end + 5000, "ended" if status == "completed" else status,
               1, None))
    for e in ev:
        con.execute("INSERT INTO events (callback_id, t, type, public, data)"
                    " VALUES (?, ?, ?, ?, ?)", (cid,) + e)
    if status == "completed":
        sale = rnd.random() < 0.4
        cur = rnd.choice(["USD", "EUR", ""]) if sale else ""
        con.execute(
            "INSERT INTO outcomes (callback_id, business_id, agent_id,"
            " disposition, amount_cents, currency, t)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (cid, biz, agent or "alice", "sale" if sale else "follow_up",
             rnd.randrange(100, 100000) if cur else 0, cur, end + 9000))


def today(db):
    con = sqlite3.connect(db)
    now = int(datetime.now(timezone.utc).timestamp() * 1000) - 60000
    for i, s in enumerate((10, 31)):
        t = now + i
        cid = "cb_%012xtoday%017d" % (t, i)
        con.execute(
            "INSERT INTO callbacks (id, business_id, phone, status, open,"
            " created_at, updated_at) VALUES (?, 'demo', ?, 'completed',"
            " 0, ?, ?)", (cid, PHONES[i], t, t))
        for e in ((t, "created", '{"status":"queued"}'),
                  (t + s * 1000, "bridged", None),
                  (t + s * 1000 + 5000, "ended", None)):
            con.execute("INSERT INTO events (callback_id, t, type, public,"
                        " data) VALUES (?, ?, ?, 1, ?)", (cid,) + e)
    con.commit()
    con.close()
    print(datetime.fromtimestamp(now / 1000, ZoneInfo(ZONES["demo"]))
          .date().isoformat())


# ---- the expected figures, from the store's rows

def facts(db):
    con = sqlite3.connect(db)
    rows = con.execute(
        "SELECT c.id, c.business_id, c.created_at, c.status, c.agent_id,"
        " c.agent_key, c.page_url, o.disposition, o.currency,"
        " o.amount_cents FROM callbacks c"
        " LEFT JOIN outcomes o ON o.callback_id = c.id").fetchall()
    bridged = dict(con.execute(
        "SELECT callback_id, min(t) FROM events WHERE type = 'bridged'"
        " GROUP BY callback_id").fetchall())
    con.close()
    out = []
    for (cid, biz, t, status, agent, key, page, disp, cur, cents) in rows:
        loc = datetime.fromtimestamp(t / 1000, timezone.utc).astimezone(
            ZoneInfo(ZONES[biz]))
        b = bridged.get(cid)
        out.append(dict(biz=biz, day=loc.date(), hour="%02d" % loc.hour,
                        status=status, agent=agent, key=key,
                        page=page.split("?")[0].split("#")[0],
                        connect=None if b is None else (b - t) // 1000,
                        sale=disp == "sale", cur=cur or "",
                        cents=cents or 0))
    return out


def period(d, by, frm):
    if by == "week":
        return d - timedelta(days=d.weekday())
    if by == "month":
        return d.replace(day=1)
    if by == "range":
        return frm
    return d


def rank(v, p):
    if not v:
        return None
    v = sorted(v)
    return v[max(-(-p * len(v) // 100), 1) - 1]


def expected(fs, biz, frm, to, by, breakdown):
    groups = {}
    if not breakdown:
        d = frm
        while d <= to:
            groups.setdefault((period(d, by, frm), ""), [])
            d += timedelta(days=1)
    for f in fs:
        if (biz and f["biz"] != biz) or not frm <= f["day"] <= to:
            continue
        k = f[{"business": "biz"}.get(breakdown, breakdown)] \
            if breakdown else ""
        groups.setdefault((period(f["day"], by, frm), k), []).append(f)
    out = {}
    for (p, k), g in groups.items():
        conn = [f["connect"] for f in g if f["connect"] is not None]
        tot = {}
        for f in g:
            if f["sale"] and f["cur"]:
                s = tot.setdefault(f["cur"], [0, 0])
                s[0] += 1
                s[1] += f["cents"]
        out[(p.isoformat(), k)] = dict(
            requested=len(g), connected=len(conn),
            connected_60s=sum(c <= 60 for c in conn),
            connected_sla=sum(f["connect"] <= SLA[f["biz"]] for f in g
                              if f["connect"] is not None),
            abandoned=sum(f["status"] == "abandoned" for f in g),
            failed=sum(f["status"] == "failed" for f in g),
            canceled=sum(f["status"] == "canceled" for f in g),
            sales=sum(f["sale"] for f in g),
            median_connect_s=rank(conn, 50), p90_connect_s=rank(conn, 90),
            totals={c: v for c, v in tot.items()})
    return out


def get(url):
    rq = urllib.request.Request(url, headers={
        "Authorization": "Bearer " + TOKEN})
    with urllib.request.urlopen(rq, timeout=30) as r:
        return r.headers.get("Content-Type"), r.read().decode()


def from_json(body, breakdown):
    out = {}
    for r in json.loads(body)["rows"]:
        k = (r["period"], r[breakdown] if breakdown else "")
        assert k not in out, "row %r twice" % (k,)
        row = {n: r[n] for n in (
            "requested", "connected", "connected_60s", "connected_sla",
            "abandoned", "failed", "canceled", "sales", "median_connect_s",
            "p90_connect_s")}
        row["totals"] = {t["currency"]: [t["sales"], t["amount_cents"]]
                         for t in r["totals"]}
        out[k] = row
    return out


def unformula(s):
    """What the CSV writer did to a text cell, undone (and checked)."""
    if s[:2] in ("'=", "'+", "'-", "'@", "'\t", "'\r"):
        return s[1:]
    assert not s or s[0] not in "=+-@\t\r", "formula cell %r" % s
    return s


def from_csv(body, breakdown):
    assert body.endswith("\r\n"), "CSV lines end in CRLF"
    rows = list(csv.reader(io.StringIO(body, newline="")))
    head = rows[0]
    out = {}
    for r in rows[1:]:
        c = dict(zip(head, r))
        k = (c["period"], unformula(c[breakdown]) if breakdown else "")
        row = {n: (int(c[n]) if c[n] != "" else None) for n in (
            "requested", "connected", "connected_60s", "connected_sla",
            "abandoned", "failed", "canceled", "sales", "median_connect_s",
            "p90_connect_s")}
        row["totals"] = {}
        for h in head:
            if h.endswith("_sales") and int(c[h]):
                cur = h[:-6]
                row["totals"][cur] = [int(c[h]),
                                      int(c[cur + "_amount_cents"])]
        out[k] = row
    return out


def check(url, db):
    fs = facts(db)
    shapes = [
        ("demo", "2026-03-01", "2026-03-31", "day", ""),
        ("paris", "2026-03-01", "2026-03-31", "day", ""),
        ("paris", "2026-03-02", "2026-03-29", "week", "hour"),
        ("", "2026-02-27", "2026-04-02", "month", "business"),
        ("demo", "2026-03-01", "2026-03-31", "range", "agent"),
        ("demo", "2026-03-07", "2026-03-09", "day", "key"),
        ("", "2026-03-01", "2026-03-31", "week", "page"),
    ]
    for biz, frm, to, by, bd in shapes:
        q = "from=%s&to=%s&by=%s" % (frm, to, by)
        q += "&business=" + biz if biz else ""
        q += "&breakdown=" + bd if bd else ""
        want = expected(fs, biz, date.fromisoformat(frm),
                        date.fromisoformat(to), by, bd)
        for w in want.values():
            w["totals"] = {c: v for c, v in w["totals"].items()}
        ctype, body = get(url + "/v1/admin/reports?" + q)
        assert ctype.startswith("application/json"), ctype
        got = from_json(body, bd)
        compare(q, got, want)
        ctype, body = get(url + "/v1/admin/reports?format=csv&" + q)
        assert ctype.startswith("text/csv"), ctype
        compare(q + " (csv)", from_csv(body, bd), got)
        print("ok %s: %d rows, %d callbacks" % (
            q, len(got), sum(r["requested"] for r in got.values())))
    # the DST day itself has its callbacks, local midnight to midnight
    day = expected(fs, "demo", date(2026, 3, 8), date(2026, 3, 8), "day",
                   "")[("2026-03-08", "")]
    assert day["requested"] >= 3, day


def compare(what, got, want):
    if got == want:
        return
    for k in sorted(set(got) | set(want)):
        if got.get(k) != want.get(k):
            print("%s: row %r:\n  got  %r\n  want %r" % (
                what, k, got.get(k), want.get(k)), file=sys.stderr)
            break
    raise SystemExit("FAIL: %s differs (%d rows, %d expected)" % (
        what, len(got), len(want)))


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2])
    elif sys.argv[1] == "today":
        today(sys.argv[2])
    else:
        check(sys.argv[2], sys.argv[3])
