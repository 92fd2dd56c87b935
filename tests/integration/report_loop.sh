#!/bin/sh
# A report does not hold the event loop (issue 13): over 100k callbacks
# (bench/report's generator) it reads on the store's own thread, so that
# while it runs /healthz and a POST /v1/callbacks are answered, one after
# the other, before the report's reply; its numbers are whole. Order, not
# time: with the report on the loop, the first /healthz waits for it.
# A report still running at SIGTERM: beckon exits cleanly (no leak).
. "$(dirname "$0")/../lib/common.sh"

N=100000
GEN="$BECKON_SRC/bench/report/report.py"
# the generator's 300 days, whatever the time zone
Q="business=demo&from=$(date -d '-302 days' +%F)&to=$(date -d '+1 day' +%F)"

start_beckon report_loop --demo
stop_beckon
python3 "$GEN" gen "$DB" "$N" || fail "generating $N callbacks"
start_beckon report_loop --demo

# the report's request is sent whole before the first /healthz; then
# /healthz and one POST, each after the last is answered, until the
# report's reply is there
python3 - "$URL" "$N" "$Q" >"$T/o.out" 2>&1 <<'PY' || fail "$(cat "$T/o.out")"
import http.client, json, select, sys
url, n, q = sys.argv[1], int(sys.argv[2]), sys.argv[3]
host, port = url[len("http://"):].split(":")
rep = http.client.HTTPConnection(host, int(port), timeout=600)
rep.request("GET", "/v1/admin/reports?%s&by=range" % q,
            headers={"Authorization": "Bearer demo"})
pings, posted = 0, None
while not select.select([rep.sock], [], [], 0)[0]:
    c = http.client.HTTPConnection(host, int(port), timeout=600)
    if pings == 2 and posted is None:
        c.request("POST", "/v1/callbacks",
                  "business=demo&phone=%2B14155550123",
                  {"Content-Type": "application/x-www-form-urlencoded"})
        posted = c.getresponse().status
    else:
        c.request("GET", "/healthz")
        assert c.getresponse().status == 200
        pings += 1
    c.close()
r = rep.getresponse()
body = json.loads(r.read())
assert r.status == 200, (r.status, body)
got = body["rows"][0]["requested"]
print("before the report's reply: %d /healthz, POST %s; %d callbacks"
      % (pings, posted, got))
assert pings >= 3 and posted == 202, "the report held the loop"
# the POST's callback is in range: in the report's snapshot or not
assert got in (n, n + 1), "the report counted %d of %d" % (got, n)
PY
ok "$(cat "$T/o.out")"

# SIGTERM while a report runs: its reply or not, a clean exit
curl -s -o /dev/null -H 'Authorization: Bearer demo' \
	"$URL/v1/admin/reports?$Q&by=range" &
CURL=$!
req GET /healthz
expect_status 200 "/healthz after the report's request"
stop_beckon
wait "$CURL" || true
ok "SIGTERM with a report running: a clean exit"
