#!/bin/sh
# bench/intake on PostgreSQL, one node and three: how many durable
# callback requests per second `beckon serve --db postgres://...` takes
# (wrk and post.lua, as bench/intake/run.sh on SQLite), alone and as
# three nodes on one database (a cluster: each node takes intake on its
# own store connection; a wrk of CONNS/3 connections at each, the rates
# added up, the slowest node's p50 and p99), next to pgbench running
# the same statements a request makes beckon run (create.pgbench,
# prepared: -M prepared) on the same server in the same run.
#
#   sh bench/intake/pg.sh [path/to/beckon]      (or: make bench-intake-pg)
#
# The PostgreSQL is the bench's own (tests/lib/common.sh, start_postgres:
# initdb in a scratch folder, a Unix socket there only, fsync on), pinned
# to core BENCH_CORE; beckon and the load generators (wrk, pgbench) share
# core WRK_CORE: PostgreSQL gets one core, what drives it the other.
# pgbench runs three times: with one client (one node's connection
# count: one connection on its store thread), three (the three nodes')
# and CONNS (wrk's connections); each beckon rate is given over the
# pgbench of as many connections as it has (1 or 3) and over CONNS. pgbench commits each
# request alone, beckon a batch of them (group commit). Each round uses
# fresh copies of one database (schema and business made by beckon),
# so all runs start alike; afterwards every 2xx must be a stored row.
# Knobs: BENCH_SECONDS (10), BENCH_CONNS (64), BENCH_ROUNDS (3),
# BENCH_CORE (0), WRK_CORE (1).
BECKON=${1:-build/beckon}
export BECKON
. "$(dirname "$0")/../../tests/lib/common.sh"
SRC=$BECKON_SRC
. "$SRC/bench/lib.sh"

SECS=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNS:-64}
ROUNDS=${BENCH_ROUNDS:-3}
CORE=${BENCH_CORE:-0}
WRK_CORE=${WRK_CORE:-1}
[ "$(nproc)" -ge 2 ] || { CORE=0; WRK_CORE=0; }
PGBENCH="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/pgbench"
[ -x "$PGBENCH" ] || fail "no pgbench (Debian's postgresql: scripts/deps.sh)"

start_postgres pg
taskset -a -p -c "$CORE" "$PID_pg" >/dev/null
for p in $(ps -o pid= --ppid "$PID_pg"); do
	taskset -p -c "$CORE" "$p" >/dev/null
done
db() {
	echo "postgres://postgres@/$1?host=$PGSOCK&port=5432"
}
psql_q() {
	"$PG_BIN/psql" -X -A -t -q -d "$(db "$1")" -c "$2" || fail "psql: $2"
}

intake_conf "$T/beckon.conf"

# serve DB: beckon on that database, on core WRK_CORE (sets BPID, BURL)
serve() {
	BPORT=$(free_port)
	BURL="http://127.0.0.1:$BPORT"
	taskset -c "$WRK_CORE" "$BECKON" serve -f "$T/beckon.conf" \
		--http_listen "127.0.0.1:$BPORT" --db "$(db "$1")" \
		2>>"$T/beckon.log" &
	BPID=$!
	PIDS="$PIDS $BPID"
	wait_http "$BURL/healthz"
}
unserve() {
	for p in $BPID; do
		kill -TERM "$p"
		wait "$p" || fail "beckon exited with $?"
	done
}
# serve3 DB: three nodes on that database (BPID their pids, BURLS their
# URLs); the first leads, the others follow (docs/cluster.md)
serve3() {
	pids="" BURLS=""
	for k in 1 2 3; do
		serve "$1"
		pids="$pids $BPID" BURLS="$BURLS $BURL"
	done
	BPID=$pids
}
# wrk3: a wrk of CONNS/3 connections at each node at once; prints
# wrk_summary's line
wrk3() {
	k=0 wpids=""
	for u in $BURLS; do
		k=$((k + 1))
		intake_wrk_to "$T/wrk3-$k.out" "$u/v1/callbacks" "+1415$((k + 5))" \
			$((CONNS / 3)) &
		wpids="$wpids $!"
	done
	wait $wpids
	wrk_summary "$T"/wrk3-*.out
}

# the template: the schema and the business, made by beckon itself
"$PG_BIN/createdb" -h "$PGSOCK" -p 5432 -U postgres tmpl || fail createdb
serve tmpl
unserve

# pgbench CLIENTS DB: its rate (transactions, i.e. requests, a second)
pgbench() {
	taskset -c "$WRK_CORE" "$PGBENCH" -n -M prepared -c "$1" -j 1 \
		-T "$SECS" -f "$SRC/bench/intake/create.pgbench" \
		-D now="$(date +%s%3N)" -h "$PGSOCK" -p 5432 -U postgres "$2" \
		>"$T/pgbench.out" 2>&1 || { cat "$T/pgbench.out" >&2;
		fail "pgbench"; }
	sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$T/pgbench.out" | head -n 1
}

echo "intake on PostgreSQL: wrk -c$CONNS and pgbench for ${SECS}s each," \
	"$ROUNDS rounds; PostgreSQL on core $CORE, the rest on core $WRK_CORE;" \
	"load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '\n%-5s %9s %7s %8s %9s %7s %8s %8s %8s %8s %7s %7s %7s %7s\n' \
	round "1 node/s" "p50 ms" "p99 ms" "3 nodes/s" "p50 ms" "p99 ms" \
	"pgb -c1" "pgb -c3" "pgb -c$CONNS" "1n/c1" "1n/cN" "3n/c3" "3n/cN"
# bench_db DB: one node's (or three nodes') requests answered 2xx are
# all stored rows, none answered with an error
bench_db() {
	STORED=$(psql_q "$1" "SELECT count(*) FROM callbacks")
	[ "$B_BAD" = 0 ] || fail "beckon answered $B_BAD requests with an error"
	[ "$STORED" -ge "$B_REQ" ] ||
		fail "$B_REQ requests answered, $STORED rows stored"
}
r=0
while [ $r -lt "$ROUNDS" ]; do
	r=$((r + 1))
	for d in b$r c$r p1$r p3$r pn$r; do
		"$PG_BIN/createdb" -h "$PGSOCK" -p 5432 -U postgres -T tmpl \
			"$d" || fail "createdb $d"
	done
	serve "b$r"
	set -- $(intake_wrk "$BURL/v1/callbacks" "+14153")
	B_RPS=$1 B_P50=$2 B_P99=$3 B_REQ=$4 B_BAD=$5
	unserve
	bench_db "b$r"
	serve3 "c$r"
	set -- $(wrk3)
	C_RPS=$1 C_P50=$2 C_P99=$3 B_REQ=$4 B_BAD=$5
	unserve
	bench_db "c$r"
	P1=$(pgbench 1 "p1$r")
	P3=$(pgbench 3 "p3$r")
	PN=$(pgbench "$CONNS" "pn$r")
	printf '%-5s %9.0f %7.2f %8.2f %9.0f %7.2f %8.2f %8.0f %8.0f %8.0f' \
		"$r" "$B_RPS" "$B_P50" "$B_P99" "$C_RPS" "$C_P50" "$C_P99" \
		"$P1" "$P3" "$PN" | tee -a "$T/rounds"
	echo "$B_RPS $C_RPS $P1 $P3 $PN" | awk '{ printf \
		" %7.2f %7.2f %7.2f %7.2f\n", $1 / $3, $1 / $5, $2 / $4,
		$2 / $5 }' | tee -a "$T/rounds"
done
# each one's best round
awk '{ if ($2 > b) b = $2; if ($5 > c) c = $5; if ($8 > p1) p1 = $8
	if ($9 > p3) p3 = $9; if ($10 > pn) pn = $10 }
	END { printf "\nbest of the rounds: one node %.0f/s, three nodes" \
		" %.0f/s; pgbench -c1 %.0f/s, -c3 %.0f/s, -c%s %.0f/s;" \
		" ratios one node/pgbench %.2f (-c1), %.2f (-c%s);" \
		" three nodes/pgbench %.2f (-c3), %.2f (-c%s);" \
		" three nodes/one node %.2f\n",
		b, c, p1, p3, n, pn, b / p1, b / pn, n, c / p3, c / pn, n,
		c / b }' n="$CONNS" "$T/rounds"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
stop_postgres pg
