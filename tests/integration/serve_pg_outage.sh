#!/bin/sh
# PostgreSQL restarted and killed under load (issue 12): beckon serve on
# a PostgreSQL of the test's own takes POST /v1/callbacks from four
# connections (serve_pg_outage.py: each request with a key of its own,
# a 503 retried with the same key until 202, a 3 s client timeout) and
# /healthz every 50 ms while the test (a) restarts PostgreSQL (pg_ctl
# restart -m fast) and (b) kills the postmaster with SIGKILL, waits for
# its backends, holds it down 6.5 s and starts it again. Meanwhile
# every answer is 202 or 503 store_unavailable with Retry-After, none
# takes 3 s, /healthz says 503; afterwards the node answers 202 again by
# itself within 2.5 s of PostgreSQL, /healthz 200, and in the database
# each key made exactly the one callback its 202 named.
. "$(dirname "$0")/../lib/common.sh"

start_postgres pg
"$PG_BIN/createdb" -h "$PGSOCK" -p 5432 -U postgres beckon_o ||
	fail "createdb"
PGDB="postgres://postgres@/beckon_o?host=$PGSOCK&port=5432"

cat >"$T/beckon.conf" <<CONF
limit_ip_minute 0
limit_phone_15min 0
limit_phone_day 0
[business load]
name Load
timezone UTC
country 1
CONF
start_beckon srv -f "$T/beckon.conf" --db "$PGDB"
grep -q "database PostgreSQL" "$T/srv.log" || fail "not on PostgreSQL"

now() {
	date +%s.%N
}

# until the client has N more answers 202 than it had (bounded)
answered() {
	[ -f "$T/answers.jsonl" ] || { echo 0; return; }
	grep -c '"status": 202' "$T/answers.jsonl" 2>/dev/null || true
}
no_answers() {
	[ -f "$T/answers.jsonl" ] || { echo 0; return; }
	grep -c '"status": 503' "$T/answers.jsonl" 2>/dev/null || true
}
wait_202s() {
	want=$(($(answered) + $1))
	i=0
	until [ "$(answered)" -ge "$want" ]; do
		i=$((i + 1))
		[ $i -le 200 ] || fail "no 202 within 10 s; the last other" \
			"answer: $(grep -v '"status": \(20[02]\|503\)' \
			"$T/answers.jsonl" | tail -n 1)"
		kill -0 "$LOAD" 2>/dev/null || fail "the load client ended"
		sleep 0.05
	done
}

python3 "$BECKON_SRC/tests/integration/serve_pg_outage.py" load "$URL" \
	"$T" 4 +14152 >"$T/load.log" 2>&1 &
LOAD=$!
PIDS="$PIDS $LOAD"
wait_202s 50
ok "under load: 50 callbacks answered 202"

# (a) a fast restart: sessions ended, a checkpoint, started again
echo "down $(now)" >>"$T/marks"
pg_restart
echo "up $PG_UP" >>"$T/marks"
wait_202s 50
ok "PostgreSQL restarted (pg_ctl restart -m fast): 202 again"

# (b) the postmaster killed: its backends (its children, the test's own
# processes) end when they see it gone, or are killed by pid
NO=$(no_answers)
echo "down $(now)" >>"$T/marks"
pg_kill9
# held down 6.5 s from the node's first 503 (its first failed batch):
# long enough for its reconnection attempts to space out to their
# longest, so that how soon it answers 202 once PostgreSQL is back says
# how far apart they are (the check's bound: RECOVERY_MAX)
i=0
until [ "$(no_answers)" -gt "$NO" ]; do
	i=$((i + 1))
	[ $i -le 200 ] || fail "no 503 within 10 s of kill -9"
	sleep 0.05
done
sleep 6.5
pg_start
echo "up $PG_UP" >>"$T/marks"
wait_202s 50
ok "PostgreSQL killed (kill -9) and started: 202 again"

touch "$T/stop"
wait "$LOAD" || fail "the load client failed"
[ -s "$T/load.log" ] && fail "load client: $(tail -n 5 "$T/load.log")"

"$PG_BIN/psql" -X -A -t -q -F ' ' -d "$PGDB" -c "SELECT i.key,
	COALESCE(c.id, 'none') FROM idempotency AS i LEFT JOIN callbacks AS c
	ON c.id = i.callback_id WHERE i.business_id = 'load'" >"$T/db" ||
	fail "psql"
[ "$("$PG_BIN/psql" -X -A -t -q -d "$PGDB" -c "SELECT count(*)
	FROM callbacks WHERE business_id = 'load'")" = "$(wc -l <"$T/db")" ] ||
	fail "callbacks without a key in the database"
python3 "$BECKON_SRC/tests/integration/serve_pg_outage.py" check "$T" ||
	fail "the checks above"
ok "every answer 202 or 503 store_unavailable, none hung;" \
	"each key one callback"

req GET /healthz
expect_status 200
stop_beckon
pg_stop
ok "beckon stops cleanly"
