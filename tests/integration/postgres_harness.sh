#!/bin/sh
# The PostgreSQL the cluster tests run on (tests/lib/common.sh,
# start_postgres): a server of the test's own on a Unix socket in its
# scratch folder, a database created in it, a query answered through
# that socket alone, and a clean fast shutdown by pid.
. "$(dirname "$0")/../lib/common.sh"

start_postgres pg
ok "postgres ready on $PGSOCK ($PG_BIN)"

"$PG_BIN/createdb" -h "$PGSOCK" -p 5432 -U postgres beckon_t ||
	fail "createdb"
PSQL="$PG_BIN/psql -X -q -t -A -v ON_ERROR_STOP=1"
$PSQL "postgres://postgres@/beckon_t?host=$PGSOCK&port=5432" \
	-c "CREATE TABLE t (id text PRIMARY KEY, n bigint NOT NULL)" \
	-c "INSERT INTO t VALUES ('a', 40), ('b', 2)" >"$T/psql.out" ||
	fail "psql: $(cat "$T/psql.out")"
got=$($PSQL "postgres://postgres@/beckon_t?host=$PGSOCK&port=5432" \
	-c "SELECT sum(n) FROM t")
[ "$got" = 42 ] || fail "sum is '$got', expected 42"
ok "a database made with createdb answers psql through the socket"

# the URI the tests give beckon reaches the same server
got=$($PSQL "$PGURI" -c "SELECT count(*) FROM pg_database
	WHERE datname = 'beckon_t'")
[ "$got" = 1 ] || fail "PGURI does not reach the server: '$got'"
# no TCP: only the socket
$PSQL -c "SHOW listen_addresses" "$PGURI" | grep -q '^$' ||
	fail "postgres listens on TCP"
ok "PGURI ($PGURI) reaches it, no TCP listener"

stop_postgres pg
[ ! -e "$PGSOCK/.s.PGSQL.5432" ] || fail "socket left after shutdown"
grep -q "database system is shut down" "$T/pg.log" ||
	fail "no clean shutdown in the log"
ok "fast shutdown by pid, socket gone"
