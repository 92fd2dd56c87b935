#!/bin/sh
# bench/calls through a cluster: complete callback flows, from the POST
# to the end of the call, through three `beckon serve` nodes on one
# PostgreSQL (intake round-robin, the leader's ACD) and two `beckon
# dialer`s, next to the same flows through one node on SQLite with the
# same two dialers (the reference, in the same run, at the same rates).
#
#   sh bench/calls/cluster.sh [path/to/beckon]   (or: make bench-calls-cluster)
#
# A flow: POST /v1/callbacks (tests/integration/cluster_full.py: a key
# of its own, request i to node i mod 3), the ACD offers it to a free
# agent and dials, the customer answers (sipp, tests/sipp/answer: talks
# 1.5 s and hangs up), the agent answers (sipp, uas_answer), bridged,
# ended. For each rate, BENCH_SECONDS of requests at that rate on a
# fresh database (a copy of one made with the agents), then until every
# callback has ended; per set-up: flows completed and not, flows a
# second (completed over the first POST to the last end), POST to
# bridged p50/p99, and the CPU of every beckon process (nodes and
# dialers; for the cluster PostgreSQL's too) per completed flow; then
# the cluster's over the reference's.
# Nothing is pinned to a core (eight processes on two cores): the CPU
# per flow, not the rate, is the figure a busy machine leaves standing.
# Knobs: BENCH_SECONDS (10), BENCH_RATES ("20 40 80"), BENCH_AGENTS
# (200: each is busy about 2.2 s a flow).
BECKON=${1:-build/beckon}
export BECKON
. "$(dirname "$0")/../../tests/lib/common.sh"
. "$BECKON_SRC/tests/lib/cluster.sh"
SRC=$BECKON_SRC
. "$SRC/bench/lib.sh"

SECS=${BENCH_SECONDS:-10}
RATES=${BENCH_RATES:-20 40 80}
AGENTS=${BENCH_AGENTS:-200}
MTOK="bench-metrics-$$"
CLIENT="$SRC/tests/integration/cluster_full.py"
SCN="$SRC/tests/sipp"
export BECKON_TOKEN=demo

# the peers, for the whole run: the customers (both dialers' trunk), the
# agents' phones, the two dialers
CUST=$(free_port)
AG=$(free_port)
for s in "cust $SCN/answer/customer.xml $CUST" \
	 "agents $SCN/uas_answer/scenario.xml $AG"; do
	set -- $s
	sipp -sf "$2" -i 127.0.0.1 -p "$3" -nostdin -trace_err \
		-error_file "$T/$1.err" >"$T/$1.out" 2>&1 &
	PIDS="$PIDS $!"
	wait_udp "$3" "$!"
done

# dialers_start / dialers_stop: two dialers of a set-up's own. A dialer
# keeps the highest leader's epoch it was told (the fence) and refuses
# the epoch 0 of a single node after a cluster's: each set-up, the
# templates included, gets fresh ones.
dialers_start() {
	CTLA=$(free_port)
	CTLB=$(free_port)
	beckon_dialer dialerA "$(free_port)" "$CTLA" "$CUST"
	DPIDS=$DPID
	beckon_dialer dialerB "$(free_port)" "$CTLB" "$CUST"
	DPIDS="$DPIDS $DPID"
	DIALERS="tcp://127.0.0.1:$CTLA, tcp://127.0.0.1:$CTLB"
}
dialers_stop() {
	for p in $DPIDS; do
		kill -TERM "$p"
		wait "$p" || fail "a dialer exited with $?"
	done
}
dialers_start

# the config: the business; with the agents for the templates only
{
	printf 'log_level warn\nlimit_ip_minute 0\nlimit_phone_15min 0\n'
	printf 'limit_phone_day 0\nmetrics_token %s\n' "$MTOK"
	printf '[business bench]\ntimezone UTC\ncountry 1\n'
} >"$T/bench.conf"
# one argon2id hash for every agent (hashing each would take longer
# than a start-up may): made by beckon for an agent a0, read back
cp "$T/bench.conf" "$T/agents.conf"
printf '[agent a0]\npassword bench-agent\nbusinesses bench\n' \
	>>"$T/agents.conf"
DB="$T/hash.db"
start_beckon hash -f "$T/agents.conf" --dialer "$DIALERS" \
	--control_secret "$SECRET"
kill -TERM "$PID"
wait "$PID" || fail "beckon (hash) exited with $?"
HASH=$(sqlite3 "$DB" "SELECT password_hash FROM agents WHERE id = 'a0'")
cp "$T/bench.conf" "$T/agents.conf"
k=0
while [ $k -lt "$AGENTS" ]; do
	k=$((k + 1))
	printf '[agent a%d]\npassword_hash %s\nbusinesses bench\n' $k "$HASH"
	printf 'endpoint sip:a%d@127.0.0.1:%s\nwrap_up 0\n' $k "$AG"
done >>"$T/agents.conf"

# template DB: the schema, the business and the agents, made by beckon
template() {
	DB="$T/tmpl.db"
	start_beckon tmpl -f "$T/agents.conf" --db "$1" \
		--dialer "$DIALERS" --control_secret "$SECRET"
	kill -TERM "$PID"
	wait "$PID" || fail "beckon (template) exited with $?"
}
template "sqlite:$T/tmpl.db"
cluster_pg
"$PG_BIN/createdb" -h "$PGSOCK" -p 5432 -U postgres tmpl || fail createdb
template "postgres://postgres@/tmpl?host=$PGSOCK&port=5432"
dialers_stop

# dialers_up URL: until the node at URL has both dialers up (metrics)
dialers_up() {
	i=0
	until [ "$(curl -s -H "Authorization: Bearer $MTOK" "$1/metrics" |
		grep -c '^beckon_dialer_up{.*} 1')" = 2 ]; do
		i=$((i + 1))
		[ $i -le 200 ] || fail "the dialers are not up at $1"
		sleep 0.05
	done
}

# ticks: the CPU clock ticks so far of the nodes, the dialers and, for
# the cluster, PostgreSQL (its postmaster and every backend)
ticks() {
	echo "$(ticks_of $NODES) $(ticks_of $DPIDS) $(ticks_pg)"
}
ticks_pg() {
	if [ "$SETUP" = one ]; then
		echo 0
	else
		ticks_of "$PID_pg" $(ps -o pid= --ppid "$PID_pg")
	fi
}
# ticks_of PID...: their CPU clock ticks so far
ticks_of() {
	t=0
	for p in "$@"; do
		# a backend may end between ps and the read (a psql's)
		c=$(cpu "$p" || :)
		t=$((t + ${c:-0}))
	done
	echo "$t"
}

# pg_top_statements: the cluster's run, its statements that took
# PostgreSQL the longest (BENCH_PG_STATEMENTS=1): calls, rows, ms
pg_top_statements() {
	echo "PostgreSQL's statements, the longest first: calls|rows|ms|text"
	psql_q "SELECT calls, rows, round(total_exec_time),
		left(regexp_replace(query, '\s+', ' ', 'g'), 100)
		FROM pg_stat_statements ORDER BY total_exec_time DESC
		LIMIT ${BENCH_PG_STATEMENTS_TOP:-8}"
	echo "statements|commits|rollbacks: $(psql_q "SELECT
		(SELECT sum(calls) FROM pg_stat_statements),
		xact_commit, xact_rollback FROM pg_stat_database
		WHERE datname = current_database()")"
}

# q SQL: a query of the run's database
q() {
	if [ "$SETUP" = one ]; then
		sqlite3 "$RUNDB" "$1"
	else
		psql_q "$1"
	fi
}

# run SETUP RATE: one set-up at one rate; prints "completed failed
# flows/s p50 p99 cpu_ms_per_flow"
run() {
	SETUP=$1
	dialers_start
	nreq=$(($2 * SECS))
	if [ "$SETUP" = one ]; then
		RUNDB="$T/one$2.db"
		cp "$T/tmpl.db" "$RUNDB"
		DB=$RUNDB
		start_beckon "one$2" -f "$T/bench.conf" --demo \
			--dialer "$DIALERS" --control_secret "$SECRET"
		NODES=$PID
		echo "$URL" >"$T/urls"
	else
		"$PG_BIN/createdb" -h "$PGSOCK" -p 5432 -U postgres -T tmpl \
			"c$2" || fail "createdb c$2"
		PGDB="postgres://postgres@/c$2?host=$PGSOCK&port=5432"
		[ -z "$BENCH_PG_STATEMENTS" ] || psql_q "CREATE EXTENSION IF
			NOT EXISTS pg_stat_statements;
			SELECT pg_stat_statements_reset()" >/dev/null
		NODES=""
		: >"$T/urls"
		for k in 1 2 3; do
			node "$k" -f "$T/bench.conf"
			NODES="$NODES $PID"
			echo "$URL" >>"$T/urls"
		done
		URL=$U1
	fi
	dialers_up "$URL"
	k=0
	while [ $k -lt "$AGENTS" ]; do
		k=$((k + 1))
		"$BECKON" --server "$URL" agent state "a$k" available \
			>/dev/null || fail "a$k available"
	done
	c0=$(ticks)
	python3 "$CLIENT" "$T/urls" "$nreq" "$2" "$T/answers$SETUP$2" bench \
		>"$T/client.out" 2>&1 || fail "client: $(cat "$T/client.out")"
	i=0
	until [ "$(q "SELECT count(*) FROM callbacks WHERE open = 1")" = 0 ]
	do
		i=$((i + 1))
		[ $i -le $((SECS * 10 + 600)) ] || break
		sleep 0.1
	done
	c1=$(ticks)
	q "SELECT c.status, c.created_at, (SELECT min(e.t) FROM events e
		WHERE e.callback_id = c.id AND e.type = 'bridged'),
		(SELECT max(e.t) FROM events e WHERE e.callback_id = c.id
		AND e.type = 'ended') FROM callbacks c" >"$T/flows"
	for p in $NODES; do
		kill -TERM "$p"
		wait "$p" || fail "beckon exited with $?"
	done
	# the rows PostgreSQL read for the run (its backends report them
	# when they end: the nodes' just did), the leader's reads of the
	# queue included; SQLite keeps no such count
	read_rows=0
	[ "$SETUP" = one ] || [ -z "$BENCH_PG_STATEMENTS" ] ||
		pg_top_statements >&2
	[ "$SETUP" = one ] || read_rows=$(psql_q "SELECT tup_returned +
		tup_fetched FROM pg_stat_database WHERE datname = 'c$2'")
	dialers_stop
	python3 - "$T/flows" "$nreq" "$c0" "$c1" "$HZ" \
		"${read_rows:-0}" <<'PY'
import sys
rows = [l.strip().split("|") for l in open(sys.argv[1]) if l.strip()]
n, read, hz = int(sys.argv[2]), int(sys.argv[6]), int(sys.argv[5])
# the CPU ms of the nodes, the dialers and PostgreSQL over the run
cpu = [(int(b) - int(a)) * 1000.0 / hz
       for a, b in zip(sys.argv[3].split(), sys.argv[4].split())]
cpu_ms = sum(cpu)
done = [r for r in rows if r[0] == "completed" and r[2] and r[3]]
setup = sorted(int(r[2]) - int(r[1]) for r in done)
t0 = min(int(r[1]) for r in rows)
t1 = max(int(r[3]) for r in done) if done else t0 + 1
pct = lambda p: setup[min(len(setup) - 1, int(len(setup) * p))] \
    if setup else 0
per = max(len(done), 1)
print("%d %d %.1f %d %d %.1f %d %s" % (len(done), n - len(done),
      len(done) / ((t1 - t0) / 1000.0), pct(0.5), pct(0.99),
      cpu_ms / per, read / per, "/".join("%.1f" % (c / per) for c in cpu)))
PY
}

echo "calls through a cluster: ${SECS}s of callbacks per rate, $AGENTS" \
	"agents, two dialers; load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '\n%5s | %-36s | %5s %6s %7s %7s %7s %7s | %6s %6s %6s | %s\n' \
	rate set-up ok failed flows/s "p50 ms" "p99 ms" "cpu ms" \
	flows p50 cpu "rows read a flow | cpu ms: nodes/dialers/pg"
best_one=0 best_cl=0
for r in $RATES; do
	run one "$r" >"$T/result"
	set -- $(cat "$T/result")
	o_ok=$1 o_bad=$2 o_fps=$3 o_p50=$4 o_p99=$5 o_cpu=$6 o_split=$8
	run cluster "$r" >"$T/result"
	set -- $(cat "$T/result")
	c_ok=$1 c_bad=$2 c_fps=$3 c_p50=$4 c_p99=$5 c_cpu=$6 c_read=$7
	c_split=$8
	printf '%5s | %-36s | %5s %6s %7s %7s %7s %7s | %20s | %s\n' \
		"$r" "1 node, SQLite (reference)" "$o_ok" "$o_bad" "$o_fps" \
		"$o_p50" "$o_p99" "$o_cpu" "" "$o_split"
	printf '%5s | %-36s | %5s %6s %7s %7s %7s %7s | %6s %6s %6s | %s\n' \
		"$r" "3 nodes, PostgreSQL" "$c_ok" "$c_bad" "$c_fps" "$c_p50" \
		"$c_p99" "$c_cpu" \
		"$(awk "BEGIN { printf \"%.2f\", $c_fps / $o_fps }")" \
		"$(awk "BEGIN { printf \"%.2f\", $c_p50 / ($o_p50 + 0.001) }")" \
		"$(awk "BEGIN { printf \"%.2f\", $c_cpu / ($o_cpu + 0.001) }")" \
		"$c_read | $c_split"
	[ "$o_bad" != 0 ] || best_one=$r
	[ "$c_bad" != 0 ] || best_cl=$r
done
echo "highest rate with none failed: one node $best_one/s, the cluster" \
	"$best_cl/s (ratios: the cluster over the reference; cpu: all" \
	"beckon processes, nodes and dialers, and the cluster's PostgreSQL," \
	"per completed flow)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
stop_postgres pg
