#!/bin/sh
# The store's unit tests (tests/unit/test_store*.c,
# test_webhook_outbox.c) on PostgreSQL: the
# unit test binary with BECKON_TEST_PG set to a database of a server of
# the test's own (start_postgres). Every store test runs there (none
# skips: every op and statement runs on PostgreSQL); a test that cannot
# says so. Then store_pg_server_restart: the server
# stopped while ops are queued and started again (BECKON_TEST_PG_CTL, a
# script below that the unit test runs); store_notify_pg_restart: the
# same under a listener (LISTEN/NOTIFY).
. "$(dirname "$0")/../lib/common.sh"

UNIT="$(dirname "$BECKON")/beckon-test"
[ -x "$UNIT" ] || fail "no unit test binary at $UNIT"

start_postgres pg
pg_createdb beckon_t
export BECKON_TEST_PG="$PGDB"

# stop: a fast shutdown of whichever postmaster runs (its pid from its
# pid file); start: the same server again, ready when this returns
as_pg=""
[ "$(id -u)" = 0 ] &&
	as_pg="setpriv --reuid=postgres --regid=postgres --init-groups"
cat >"$T/pgctl.sh" <<CTL
#!/bin/sh
set -eu
case "\$1" in
stop)
	pid=\$(head -n 1 "$PGSOCK/data/postmaster.pid")
	kill -INT "\$pid"
	while kill -0 "\$pid" 2>/dev/null; do sleep 0.05; done ;;
start)
	$as_pg "$PG_BIN/postgres" -D "$PGSOCK/data" -k "$PGSOCK" \
		-c listen_addresses= -c port=5432 >>"$T/pg.log" 2>&1 &
	echo \$! >"$T/pg2.pid"
	i=0
	until "$PG_BIN/pg_isready" -q -h "$PGSOCK" -p 5432; do
		i=\$((i + 1)); [ \$i -le 300 ]; sleep 0.1
	done ;;
esac
CTL
export BECKON_TEST_PG_CTL="sh $T/pgctl.sh"

rc=0
"$UNIT" store_ >"$T/store.log" 2>&1 || rc=$?
"$UNIT" webhook_outbox >"$T/outbox.log" 2>&1 || rc=$?
cat "$T/store.log" "$T/outbox.log" >"$T/unit.log"
# the server started again by the restart test is stopped by pid too
[ -f "$T/pg2.pid" ] && PIDS="$PIDS $(cat "$T/pg2.pid")"
cat "$T/unit.log"
[ "$rc" = 0 ] || fail "the store's unit tests on PostgreSQL failed"

grep -q "^store_moved_ops  *ok" "$T/unit.log" &&
	grep -q "  on postgres" "$T/unit.log" ||
	fail "the moved ops did not run on PostgreSQL"
ok "the moved ops pass on PostgreSQL"
grep -q "^store_pg_server_restart  *ok" "$T/unit.log" &&
	! grep -q "skipped: needs BECKON_TEST_PG_CTL" "$T/unit.log" ||
	fail "the restart test did not run"
[ -f "$T/pg2.pid" ] || fail "the server was not started again"
ok "a server restart: queued ops fail ENOTCONN, reconnected, kept"
for t in store_lead_takeover_fences_the_old_leader \
	store_lead_survives_its_reconnect; do
	grep -q "^$t  *ok" "$T/unit.log" || fail "$t did not pass"
done
! grep -q "skipped: PostgreSQL only" "$T/unit.log" ||
	fail "a PostgreSQL-only test skipped on PostgreSQL"
ok "the leader's lock and fence: takeover, reconnect (on PostgreSQL)"
grep -q "^store_notify_pg_restart  *ok" "$T/unit.log" ||
	fail "the listener's restart test did not run"
ok "a listener under a server restart: resynced, hears again"
! grep "skipped on" "$T/store.log" ||
	fail "a store test skipped on PostgreSQL"
ok "every store test ran on PostgreSQL"
n=$(grep -c "skipped on postgres" "$T/outbox.log" || true)
ok "$n outbox tests skipped on PostgreSQL, each saying why"

# four processes open one new database at once: one migrates, the
# others wait on the advisory lock and find nothing to do
"$PG_BIN/createdb" -h "$PGSOCK" -p 5432 -U postgres beckon_race ||
	fail "createdb"
race="postgres://postgres@/beckon_race?host=$PGSOCK&port=5432"
rpids=""
for i in 1 2 3 4; do
	BECKON_TEST_PG_RACE="$race" "$UNIT" store_pg_open_race \
		>"$T/race$i.log" 2>&1 &
	rpids="$rpids $!"
done
for p in $rpids; do
	wait "$p" || fail "a process opening at once failed: $(cat "$T"/race*.log)"
done
n=$(cat "$T"/race*.log | grep -c "applied schema migration 18" || true)
[ "$n" = 1 ] || fail "$n processes migrated, expected 1"
! grep -q "already exists" "$T/pg.log" || fail "a migration ran twice"
ok "four processes open a new database at once: one migrates"

# stopped the way it was started
pid=$(cat "$T/pg2.pid")
kill -INT "$pid"
i=0
while kill -0 "$pid" 2>/dev/null; do
	i=$((i + 1))
	[ $i -le 300 ] || fail "postgres did not stop"
	sleep 0.1
done
ok "the server stops cleanly"
