#!/bin/sh
# Reports and the callback search (issue 13): a month of callbacks across
# New York's and Paris's DST changes written into beckon's own SQLite
# file (reports.py gen), the reports in JSON and CSV compared with the
# figures Python computes from the store's events (reports.py check),
# bad parameters answered 400 with the field, the search with each
# callback's whole history, paging, and supervisors kept to their
# businesses; the supervisor's Today shows the report's median.
. "$(dirname "$0")/../lib/common.sh"

PY="$BECKON_SRC/tests/integration/reports.py"
A='Authorization: Bearer demo'

start_beckon reports --demo
req PUT /v1/admin/businesses/paris -H "$A" -H 'Content-Type: application/json' \
	--data '{"name":"Paris","timezone":"Europe/Paris","country":"33","sla_seconds":"90"}'
expect_status 201 "business paris"
req PUT /v1/admin/businesses/demo -H "$A" -H 'Content-Type: application/json' \
	--data '{"sla_seconds":"30"}'
expect_status 200 "demo's sla_seconds"
expect_jv .sla_seconds 30
req PUT /v1/admin/businesses/demo -H "$A" -H 'Content-Type: application/json' \
	--data '{"sla_seconds":"0"}'
expect_error 400 invalid_field sla_seconds
stop_beckon

python3 "$PY" gen "$DB" >"$T/gen.out" || fail "generating the month"
start_beckon reports --demo
ok "a month of callbacks: $(cat "$T/gen.out")"

python3 "$PY" check "$URL" "$DB" >"$T/check.out" ||
	fail "reports differ from the events: $(cat "$T/check.out")"
ok "reports in JSON and CSV equal the events' figures ($(wc -l <"$T/check.out") shapes)"

# ---- CSV: a download, RFC 4180, formula cells made text
req GET '/v1/admin/reports?business=demo&from=2026-03-01&to=2026-03-31&breakdown=key&by=range&format=csv' -H "$A"
expect_status 200 "CSV"
case $(hdr Content-Disposition) in
attachment*) ;;
*) fail "CSV not a download: $(hdr Content-Disposition)" ;;
esac
curl -s -S -H "$A" -o "$T/keys.csv" \
	"$URL/v1/admin/reports?business=demo&from=2026-03-01&to=2026-03-31&breakdown=key&by=range&format=csv"
python3 - "$T/keys.csv" <<'PY' || fail "formula cells"
import csv, sys
raw = open(sys.argv[1], newline="").read()
keys = [r[1] for r in csv.reader(raw.splitlines(True)[1:])]
for k in ('=HYPERLINK("http://x","y")', "+cmd", "-2+3", "@SUM(1)", "\tTab"):
    assert "'" + k in keys, (k, keys)
assert 'a,b "q"' in keys and "x\r\ny" in keys, keys
assert not any(k[:1] in ("=", "+", "-", "@", "\t") for k in keys), keys
assert '"a,b ""q"""' in raw and '"x\r\ny"' in raw, raw
PY
ok "CSV cells: quoted, quotes doubled, formulas start with '"

# ---- beckon report: the same CSV, a table, the server's errors
Q='business=demo&from=2026-03-01&to=2026-03-31&by=week&breakdown=agent'
curl -s -S -H "$A" -o "$T/api.csv" "$URL/v1/admin/reports?$Q&format=csv"
"$BECKON" --server "$URL" --token demo report --business demo \
	--from 2026-03-01 --to 2026-03-31 --by week --breakdown agent --csv \
	>"$T/cli.csv" || fail "beckon report --csv"
cmp -s "$T/api.csv" "$T/cli.csv" || fail "beckon report --csv differs"
"$BECKON" --server "$URL" --token demo report --business demo \
	--from 2026-03-01 --to 2026-03-31 --by month >"$T/cli.txt" ||
	fail "beckon report"
[ "$(head -n 1 "$T/cli.txt" | cut -f 1-3)" = "$(printf 'period\trequested\tconnected')" ] ||
	fail "beckon report header: $(head -n 1 "$T/cli.txt")"
N=$(sqlite3 "$DB" "SELECT count(*) FROM callbacks WHERE business_id = 'demo'
	AND created_at >= 1772341200000 AND created_at < 1775016000000")
[ "$(sed -n 2p "$T/cli.txt" | cut -f 1-2)" = "$(printf '2026-03-01\t%s' "$N")" ] ||
	fail "beckon report: $(sed -n 2p "$T/cli.txt"), $N callbacks in March"
rc=0
"$BECKON" --server "$URL" --token demo report --by year \
	>/dev/null 2>"$T/cli.err" || rc=$?
[ "$rc" = 1 ] && grep -q "by" "$T/cli.err" || fail "beckon report --by year: $rc"
ok "beckon report: the API's CSV byte for byte, a table, the server's error"

# ---- bad parameters: 400 naming the field, 401, 405
for q in 'from=2026-02-30:from' 'from=2026-3-1:from' \
	'from=2026-03-02&to=2026-03-01:to' 'from=2025-01-01&to=2026-01-02:to' \
	'by=year:by' 'breakdown=phone:breakdown' 'format=xml:format' \
	'business=nope:business' 'business=demo&business=paris:business'; do
	req GET "/v1/admin/reports?${q%:*}" -H "$A"
	expect_status 400 "reports?${q%:*}"
	expect_jv .error.field "${q##*:}"
done
req GET '/v1/admin/reports?colour=red' -H "$A"
expect_error 400 unknown_field colour
req GET '/v1/admin/reports?from=2025-01-01&to=2025-12-31&by=month' -H "$A"
expect_status 200 "365 days"
req GET '/v1/admin/reports'
expect_error 401 missing_token
req POST '/v1/admin/reports' -H "$A"
expect_status 405
ok "bad report parameters: 400 with the field, 401, 405"

# ---- the search
PHONE=+14155550007
N=$(sqlite3 "$DB" "SELECT count(*) FROM callbacks WHERE phone = '$PHONE'
	AND created_at >= 1772341200000 AND created_at < 1775016000000
	AND business_id = 'demo'")
req GET "/v1/admin/callbacks/search?business=demo&number=(415)%20555-0007&from=2026-03-01&to=2026-03-31&limit=100" -H "$A"
expect_status 200 "search by number"
[ "$(jv '.callbacks | length')" = "$N" ] ||
	fail "search found $(jv '.callbacks | length'), the store has $N"
[ "$N" -gt 1 ] || fail "too few callbacks for $PHONE to page"
expect_jv '[.callbacks[].phone] | unique | join(" ")' "$PHONE"
expect_jv .next null
ID=$(jv '.callbacks[0].id')
EV=$(sqlite3 "$DB" "SELECT group_concat(type, ' ') FROM
	(SELECT type FROM events WHERE callback_id = '$ID' ORDER BY seq)")
expect_jv '[.callbacks[0].events[].type] | join(" ")' "$EV"
ok "search by number: $N callbacks, each with its whole history"

req GET "/v1/admin/callbacks/search?business=demo&number=4155550007&from=2026-03-01&to=2026-03-31&limit=1" -H "$A"
expect_jv '.callbacks[0].id' "$ID"
NEXT=$(jv .next)
seen=1
while [ "$NEXT" != null ]; do
	req GET "/v1/admin/callbacks/search?business=demo&number=4155550007&from=2026-03-01&to=2026-03-31&limit=1&before=$NEXT" -H "$A"
	expect_status 200 "page after $NEXT"
	seen=$((seen + $(jv '.callbacks | length')))
	NEXT=$(jv .next)
	[ $seen -le "$N" ] || fail "paging past the end"
done
[ $seen = "$N" ] || fail "paging saw $seen of $N"
ok "paging one at a time saw all $N"

req GET "/v1/admin/callbacks/search?from=2026-03-08&to=2026-03-08&status=abandoned&limit=100" -H "$A"
expect_jv '[.callbacks[].status] | unique | join(" ")' abandoned
N=$(sqlite3 "$DB" "SELECT count(*) FROM callbacks WHERE status = 'abandoned'
	AND created_at >= 1772928000000 AND created_at < 1773014400000")
[ "$(jv '.callbacks | length')" = "$N" ] || fail "abandoned on the 8th (UTC)"
req GET "/v1/admin/callbacks/search?business=demo&agent=carol&from=2026-03-01&to=2026-03-31&limit=100" -H "$A"
expect_jv '[.callbacks[].agent] | unique | join(" ")' carol
ok "search by status (UTC days without a business) and by agent"

for q in number=12:number number=4155x:number status=Done:status \
	limit=0:limit limit=101:limit before=x:before from=2026-13-01:from \
	business=nope:business; do
	req GET "/v1/admin/callbacks/search?${q%:*}" -H "$A"
	expect_status 400 "search?${q%:*}"
	expect_jv .error.field "${q##*:}"
done
ok "bad search parameters: 400 with the field"

# ---- supervisors: their businesses only
agent_login bob
req GET '/agent/api/reports?business=paris&from=2026-03-01&to=2026-03-31' -H "$C_bob"
expect_error 400 invalid_field business
req GET '/agent/api/reports?from=2026-03-01&to=2026-03-31&by=range&breakdown=business' -H "$C_bob"
expect_status 200 "bob's report"
expect_jv '[.rows[].business] | join(" ")' demo
req GET '/agent/api/search?number=4155550007&from=2026-03-01&to=2026-03-31&limit=100' -H "$C_bob"
expect_jv '[.callbacks[].business] | unique | join(" ")' demo
agent_login alice
req GET '/agent/api/reports' -H "$C_alice"
expect_error 403 forbidden
req GET '/agent/api/search'
expect_status 401
ok "supervisors see their own businesses; agents and strangers nothing"

# ---- one median: the supervisor's Today and the report of the same day
# agree, on an even count of connected calls (10 s and 31 s: the nearest
# rank is 10, the mean of the middle two would be 20)
D=$(python3 "$PY" today "$DB") || fail "writing today's callbacks"
agent_login bob
req GET /agent/api/supervisor -H "$C_bob"
expect_jv .figures.demo.connected 2
expect_jv .figures.demo.median_connect_s 10
req GET "/v1/admin/reports?business=demo&from=$D&to=$D&by=day" -H "$A"
expect_jv '.rows | length' 1
expect_jv '.rows[0].connected' 2
expect_jv '.rows[0].median_connect_s' 10
ok "the same median in the supervisor's Today and the day's report"

stop_beckon
