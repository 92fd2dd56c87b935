#!/bin/sh
# PostgreSQL restarted under load with several nodes (issue 12,
# docs/cluster.md, "What happens on each failure"): three `beckon serve`
# nodes and one `beckon dialer` on a PostgreSQL of the test's own, a
# sipp as the dialer's trunk (the customers answer, talk 1.5 s, hang up)
# and one as the agents' phones. A raw client (cluster_full.py, every
# try logged) posts callbacks round-robin to the nodes, each with a key
# of its own, a 5xx or no answer sent again with the same key to the
# next node, while the test
#   (a) restarts PostgreSQL (pg_ctl restart -m fast) with calls bridged;
#   (b) kills its postmaster (kill -9; its backends, its children, end
#       or are killed by pid), holds it down 2 s and starts it again.
# After each: every node's /healthz is 200 again, exactly one leads,
# n1 as before, and every node's LISTEN connections are back (the
# outage-to-first-202 per node and the time to one leader printed).
# In the end: every request was answered 202, each key made one
# callback and the store has exactly those; every try was answered
# 202 or 503 store_unavailable with Retry-After: 1 (at least one 503),
# none in 2.5 s or more (the client gives up at 3 s);
# every callback ended completed (the calls bridged at a cut completed
# or were interrupted and retried), its last attempt's history with
# answered and bridged once (reports the store could not take written
# again), no event twice; no callback went through every
# agent (claims refused while the store was away count no agent as
# tried); each customer dialed once per attempt; no agent offered two
# callbacks at once.
. "$(dirname "$0")/../lib/common.sh"
. "$BECKON_SRC/tests/lib/cluster.sh"

command -v sipp >/dev/null || fail "sipp is not installed"
N=160
RATE=8
AGENTS=8
SECRET="pgout-secret-$$-m4"
SCN="$BECKON_SRC/tests/sipp"
SIP=$(free_port)
CTL=$(free_port)
CUST=$(free_port)
AGENT=$(free_port)
export BECKON_TOKEN=demo
DIALERS="tcp://127.0.0.1:$CTL"

now() {
	date +%s.%N
}

ms_since() {
	echo "$(now) $1" | awk '{ printf "%d", ($1 - $2) * 1000 }'
}

# recovered WHAT: after the cut at $CUT, until every live node's
# /healthz is 200 and exactly one of them leads (bounded); prints the
# time to one leader and, per node, the cut to its first 202 (from the
# client's tries; a node given no request since says so)
recovered() {
	i=0
	while :; do
		up=0
		for n in $LIVE; do
			eval "u=\$U$n"
			[ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' \
				"$u/healthz")" != 200 ] || up=$((up + 1))
		done
		[ "$up" != "$(echo $LIVE | wc -w)" ] ||
			[ "$(leader_now | wc -l)" != 1 ] || break
		i=$((i + 1))
		[ $i -le 200 ] || fail "$1: not recovered 10 s after" \
			"PostgreSQL (healthz 200 on $up," \
			"leaders: $(leader_now))"
		sleep 0.05
	done
	echo "# $1: n$(leader_now) leads, every node healthy, $(ms_since \
		"$CUT") ms after the cut (PostgreSQL back after $UP_MS ms)"
	# the leader took its lock back: nobody failed over, nobody exited
	[ "$(leader_now)" = 1 ] || fail "$1: n$(leader_now) leads, not n1"
	OUTAGES=$((OUTAGES + 1))
	for n in $LIVE; do
		eval "p=\$P$n"
		kill -0 "$p" 2>/dev/null || fail "$1: n$n exited"
		listening "$n"
	done
}

# listening N: until every LISTEN connection node N lost (a warning,
# the first failure of each) is connected again (then it resyncs),
# bounded; at least one lost per outage
listening() {
	i=0
	until lost=$(grep -c "warn: n$1: listener:" "$T/n$1.log") &&
		back=$(grep -c "n$1: listener: connected again" \
		"$T/n$1.log") && [ "$lost" -ge "$OUTAGES" ] &&
		[ "$back" -ge "$lost" ]; do
		i=$((i + 1))
		[ $i -le 200 ] || fail "n$1's LISTEN connections not back" \
			"($(grep "listener" "$T/n$1.log" | tail -n 1))"
		sleep 0.05
	done
}

# first_202s WHAT CUT UP: per node, its first 202 (the client's) after
# the cut CUT, in ms from the cut and from PostgreSQL back (UP)
first_202s() {
	for n in 1 2 3; do
		awk -v c="$2" -v u="$3" -v n="$n" '$3 == n && $4 == 202 &&
			$1 >= c { printf "%d ms after the cut, %d after " \
			"PostgreSQL was back", ($2 - c) * 1000, ($2 - u) * 1000
			exit }' "$T/tries" >"$T/f"
		[ -s "$T/f" ] || fail "$1: n$n answered no 202 after the cut"
		echo "# $1: n$n's first 202 $(cat "$T/f")"
	done
}

cluster_pg
uas cust "$SCN/answer/customer.xml" "$CUST"
CPID=$SPID
uas agents "$SCN/uas_answer/scenario.xml" "$AGENT"
APID=$SPID
beckon_dialer dialer "$SIP" "$CTL" "$CUST"
for n in 1 2 3; do
	node "$n" --dialer_resume 2
done
LIVE="1 2 3"
OUTAGES=0
[ "$(leader_now)" = 1 ] || fail "n1 does not lead: $(leader_now)"

export BECKON_SERVER="$U1"
"$BECKON" business set demo --retry_delays 1 >/dev/null ||
	fail "business set"
k=0
while [ $k -lt $AGENTS ]; do
	k=$((k + 1))
	"$BECKON" agent add "a$k" --password "a$k-pw-$$" --businesses demo \
		>/dev/null || fail "agent add a$k"
done
for a in $(psql_q "SELECT id FROM agents"); do
	"$BECKON" agent set "$a" --endpoint "sip:$a@127.0.0.1:$AGENT" \
		--wrap_up 0 >/dev/null || fail "agent set $a"
	"$BECKON" agent state "$a" available >/dev/null ||
		fail "$a available"
done
wait_log "$T/n1.log" "dialer tcp://127.0.0.1:$CTL: connected" 1
ok "three nodes (n1 leads), a dialer, $(psql_q "SELECT count(*)
	FROM agents") agents available"

# ---- intake, round-robin, and the outages meanwhile

: >"$T/answers"
: >"$T/tries"
printf '%s\n' "$U1" "$U2" "$U3" >"$T/urls"
CLUSTER_TRIES="$T/tries" python3 \
	"$BECKON_SRC/tests/integration/cluster_full.py" "$T/urls" "$N" \
	"$RATE" "$T/answers" >"$T/client.out" 2>&1 &
CLIENT=$!
PIDS="$PIDS $CLIENT"

# (a) a fast restart with calls bridged
answered 30
bridged 1
KEPT=$BRIDGED
CUT=$(now)
pg_restart
UP_MS=$(ms_since "$CUT")
recovered "fast restart"
ok "PostgreSQL restarted (pg_ctl restart -m fast) with" \
	"$(echo "$KEPT" | wc -l) calls bridged: every node healthy and" \
	"listening again, n1 still leads"
CUT_A=$CUT
UP_A=$PG_UP

# (b) the postmaster killed, its backends gone, held down 2 s
answered 90
CUT=$(now)
pg_kill9
sleep 2
pg_start
UP_MS=$(ms_since "$CUT")
recovered "kill -9"
ok "PostgreSQL killed (kill -9), down 2 s and started: every node" \
	"healthy and listening again, n1 still leads"
CUT_B=$CUT
UP_B=$PG_UP

rc=0
wait "$CLIENT" || rc=$?
[ "$rc" = 0 ] || fail "the client: $(cat "$T/client.out")"
first_202s "fast restart" "$CUT_A" "$UP_A"
first_202s "kill -9" "$CUT_B" "$UP_B"

# ---- every callback ends

all_closed 150

# ---- the checks

answers_kept "$N"
ok "$N requests, each answered 202 in the end; each key one callback," \
	"stored once"

# every try: 202, or 503 store_unavailable with Retry-After: 1 (no node
# goes down here: no answer is a failure too); none near the client's
# timeout (3 s)
NO=$(awk '$4 == 503' "$T/tries" | wc -l)
[ "$NO" -ge 1 ] || fail "no 503 during the outages"
awk '$4 != 202 && !($4 == 503 && $5 == 1 && $6 == "store_unavailable")' \
	"$T/tries" >"$T/odd"
[ ! -s "$T/odd" ] || fail "answers neither 202 nor 503 store_unavailable" \
	"with Retry-After: 1: $(head -n 3 "$T/odd")"
SLOW=$(awk '{ d = $2 - $1; if (d > m) m = d } END { printf "%d", m * 1000 }' \
	"$T/tries")
[ "$SLOW" -lt 2500 ] || fail "a try took $SLOW ms"
ok "$NO tries answered 503 store_unavailable with Retry-After: 1, the" \
	"rest 202; the slowest try $SLOW ms (none hung)"

ENDS=$(psql_q "SELECT status || ' ' || count(*) FROM callbacks
	GROUP BY status ORDER BY 1" | paste -sd, -)
[ "$ENDS" = "completed $N" ] || fail "the ends: $ENDS: $(psql_q "SELECT
	c.id, string_agg(e.type, ' ' ORDER BY e.seq) FROM callbacks c
	JOIN events e ON e.callback_id = c.id WHERE c.status <> 'completed'
	GROUP BY c.id")"
for id in $KEPT; do
	psql_q "SELECT status || ' ' || attempts FROM callbacks
		WHERE id = '$id'" | grep -q "^completed " ||
		fail "$id (bridged at the restart) did not complete"
done
ok "every callback ended completed ($(psql_q "SELECT count(DISTINCT
	callback_id) FROM events WHERE type = 'interrupted'") interrupted" \
	"and retried), those bridged at the restart included"
histories_whole
ok "every completed call's history has its answered and bridged once," \
	"no event twice ($(grep -c "not stored (" "$T/n1.log") reports" \
	"the store could not take at first)"

# every agent answers every call here: a callback that went through
# them all (a new round after reoffer_after) had its claims refused by
# the store away, each counting its agent as tried
! grep -q "every agent was tried" "$T/n1.log" ||
	fail "claims refused by the store away used up the agents:" \
		"$(grep -c "every agent was tried" "$T/n1.log") new rounds"
once_per_attempt "$T/cust.msg"
no_double_offer
ok "each customer dialed once per attempt (the trunk's INVITEs); no agent" \
	"offered two callbacks at once"

# the sipps answer forever: ours to stop; the nodes exit cleanly
kill -KILL "$CPID" "$APID"
for n in $LIVE; do
	eval "PID=\$P$n"
	stop_beckon
done
kill -TERM "$DPID"
wait "$DPID" || fail "the dialer exited $?"
pg_stop
