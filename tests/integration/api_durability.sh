#!/bin/sh
# A 202 means on disk: kill -9 the server right after the answer, restart
# it on the same file, and the callback and its created event are there.
# Also: SIGTERM while requests are in flight answers them before exiting.
. "$(dirname "$0")/../lib/common.sh"

DB="$T/durable.db"
start_beckon durable --demo

ids=""
for n in 10 11 12 13 14; do
	post_json "{\"business\":\"demo\",\"phone\":\"+141555504$n\"}"
	expect_status 202
	ids="$ids $(jv .id)"
done
kill -KILL "$PID"
wait "$PID" 2>/dev/null || true
ok "5 callbacks accepted, then kill -9"

start_beckon durable --demo
for id in $ids; do
	req GET "/v1/callbacks/$id"
	expect_status 200 "after kill -9: $id"
	expect_jv '.events[0].type' created
done
ok "after restart every accepted callback and its created event are there"

# a burst from parallel clients, then SIGTERM at once: every request that
# got a 2xx is stored; the others were refused a connection, never cut off
# after being accepted
stop_beckon
start_beckon durable --demo --limit_ip_minute 1000
for n in $(seq 10 49); do
	curl -s -o "$T/burst.$n" -w '%{http_code}' -H 'Content-Type: application/json' \
		--data "{\"business\":\"demo\",\"phone\":\"+141555506$n\"}" \
		"$URL/v1/callbacks" >"$T/burst.$n.code" 2>/dev/null &
done
sleep 0.2
stop_beckon
wait
accepted=0
for n in $(seq 10 49); do
	code=$(cat "$T/burst.$n.code")
	case "$code" in
	202|000) ;;
	*) fail "burst request $n: $code" ;;
	esac
	if [ "$code" = 202 ]; then
		accepted=$((accepted + 1))
		id=$(jq -r .id "$T/burst.$n")
		[ "$(sqlite3 "$DB" "SELECT count(*) FROM callbacks WHERE id='$id'
			AND created_status='queued'")" = 1 ] ||
			fail "accepted $id not stored"
	fi
done
[ "$accepted" -ge 1 ] || fail "no request of the burst was accepted"
ok "SIGTERM during a burst: all $accepted accepted requests are stored"

# the schema is at its version and the file passes an integrity check
[ "$(sqlite3 "$DB" 'PRAGMA integrity_check')" = ok ] || fail "integrity"
[ "$(sqlite3 "$DB" 'PRAGMA journal_mode')" = wal ] || fail "WAL"
ok "the database is in WAL mode and passes integrity_check"
