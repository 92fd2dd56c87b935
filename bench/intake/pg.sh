#!/bin/sh
# bench/intake on PostgreSQL, one node: how many durable callback
# requests per second `beckon serve --db postgres://...` takes (wrk and
# post.lua, as bench/intake/run.sh on SQLite), next to pgbench running
# the same statements a request makes beckon run (create.pgbench,
# prepared: -M prepared) on the same server in the same run.
#
#   sh bench/intake/pg.sh [path/to/beckon]      (or: make bench-intake-pg)
#
# The PostgreSQL is the bench's own (tests/lib/common.sh, start_postgres:
# initdb in a scratch folder, a Unix socket there only, fsync on), pinned
# to core BENCH_CORE; beckon and the load generators (wrk, pgbench) share
# core WRK_CORE: PostgreSQL gets one core, what drives it the other.
# pgbench runs twice: with one client (beckon's own connection count: one
# connection on its store thread) and with CONNS clients (wrk's
# connections); beckon's rate is given over each. pgbench commits each
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
	kill -TERM "$BPID"
	wait "$BPID" || fail "beckon exited with $?"
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
printf '\n%-6s %12s %8s %8s %14s %14s %8s %8s\n' round "beckon/s" \
	"p50 ms" "p99 ms" "pgbench -c1" "pgbench -c$CONNS" "ratio1" "ratioN"
r=0
while [ $r -lt "$ROUNDS" ]; do
	r=$((r + 1))
	for d in b$r p1$r pn$r; do
		"$PG_BIN/createdb" -h "$PGSOCK" -p 5432 -U postgres -T tmpl \
			"$d" || fail "createdb $d"
	done
	serve "b$r"
	set -- $(intake_wrk "$BURL/v1/callbacks" "+14153")
	B_RPS=$1 B_P50=$2 B_P99=$3 B_REQ=$4 B_BAD=$5
	unserve
	STORED=$(psql_q "b$r" "SELECT count(*) FROM callbacks")
	[ "$B_BAD" = 0 ] || fail "beckon answered $B_BAD requests with an error"
	[ "$STORED" -ge "$B_REQ" ] ||
		fail "$B_REQ requests answered, $STORED rows stored"
	P1=$(pgbench 1 "p1$r")
	PN=$(pgbench "$CONNS" "pn$r")
	printf '%-6s %12.0f %8.2f %8.2f %14.0f %14.0f %8.2f %8.2f\n' "$r" \
		"$B_RPS" "$B_P50" "$B_P99" "$P1" "$PN" \
		"$(echo "$B_RPS $P1" | awk '{ print $1 / $2 }')" \
		"$(echo "$B_RPS $PN" | awk '{ print $1 / $2 }')" |
		tee -a "$T/rounds"
done
# each one's best round
awk '{ if ($2 > b) b = $2; if ($5 > p1) p1 = $5; if ($6 > pn) pn = $6 }
	END { printf "\nbest of the rounds: beckon %.0f/s, pgbench -c1 %.0f/s," \
		" -c%s %.0f/s; ratio beckon/pgbench %.2f (-c1), %.2f (-c%s)\n",
		b, p1, n, pn, b / p1, b / pn, n }' n="$CONNS" "$T/rounds"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
stop_postgres pg
