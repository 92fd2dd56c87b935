#!/bin/sh
# bench/relay: what the desk across nodes costs (docs/cluster.md, "The
# desk across nodes"). Two `beckon serve` on a PostgreSQL of their own:
# n1 leads, n2 follows and relays the desk to it. wrk sends the desk's
# GET /agent/api/me (a logged-in agent's cookie) for BENCH_SECS (5) with
# BENCH_CONNS (8) connections, three rounds each, to:
#   direct     the leader, keep-alive (the reference)
#   close      the leader, "Connection: close" (a connection a request,
#              as every relayed request was before kept connections)
#   relayed    the follower, keep-alive, which relays each request on a
#              kept connection to the leader
# and prints each best-of-three next to the references, as ratios.
#
#   sh bench/relay/run.sh [path/to/beckon]     (or: make bench-relay)
BECKON=${1:-build/beckon}
export BECKON
. "$(dirname "$0")/../../tests/lib/common.sh"
. "$BECKON_SRC/tests/lib/cluster.sh"
SRC=$BECKON_SRC
. "$SRC/bench/lib.sh"

SECS=${BENCH_SECS:-5}
CONNS=${BENCH_CONNS:-8}
command -v wrk >/dev/null || fail "wrk is not installed"

cluster_pg
for n in 1 2; do
	DB="$T/unused$n.db"
	start_beckon "n$n" --demo --db "$PGDB" --node_id "n$n" \
		--log_level warn --http_idle_timeout 60
	eval "U$n=\$URL P$n=\$PID"
done
[ "$(role "$U1")" = leader ] || fail "n1 leads not"
i=0
until [ "$(curl -s -o /dev/null -w '%{http_code}' "$U2/agent/api/me")" = \
	401 ]; do
	i=$((i + 1))
	[ $i -le 100 ] || fail "n2 does not relay"
	sleep 0.05
done
URL=$U1
agent_login alice

# run NAME URL [WRK_ARGS...]: the best round's "rps p50 p99 non2xx"
run() {
	name=$1 url=$2
	shift 2
	for r in 1 2 3; do
		wrk -t1 -c"$CONNS" -d"${SECS}s" --latency -H "$C_alice" "$@" \
			"$url/agent/api/me" >"$T/$name.$r"
		# rps p50 p99 non2xx
		wrk_summary "$T/$name.$r" | cut -d' ' -f1-3,5
	done | sort -n -r | head -n 1
}

echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
D=$(run direct "$U1")
C=$(run close "$U1" -H "Connection: close")
R=$(run relayed "$U2")
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-9s %10s %8s %8s %7s\n' case req/s p50_ms p99_ms non2xx
for l in "direct $D" "close $C" "relayed $R"; do
	# shellcheck disable=SC2086
	printf '%-9s %10s %8s %8s %7s\n' $l
done
set -- $R
RR=$1
set -- $D
DR=$1
set -- $C
CR=$1
awk -v r="$RR" -v d="$DR" -v c="$CR" 'BEGIN {
	printf "relayed/direct %.2f, relayed/close %.2f (requests a second)\n",
	    r / d, r / c }'

for p in "$P1" "$P2"; do
	PID=$p
	stop_beckon
done
stop_postgres pg
