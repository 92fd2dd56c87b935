#!/bin/sh
# The whole cluster under load and failures (issue 12, docs/cluster.md):
# three `beckon serve` nodes and two `beckon dialer`s on one PostgreSQL
# of the test's own, a sipp as each dialer's trunk (the customers answer,
# talk 1.5 s, hang up) and one sipp as the agents' phones (16 agents,
# no wrap-up). 300 callbacks are posted round-robin to the nodes by a raw
# client (cluster_full.py: a key of its own each, a failed try sent again
# with the same key to the next node), and meanwhile:
#   - kill -9 of a follower during intake;
#   - kill -9 of the leader while calls are bridged: the last node leads
#     within 5 s (measured, printed) and attaches those calls;
#   - kill -9 of a dialer with calls on it: they are interrupted after
#     dialer_resume and retried through the other.
# Then: every request was answered 202 in the end, each key made one
# callback and the store has exactly those 300; every callback ended,
# completed; each customer was dialed once per attempt (distinct INVITE
# Call-IDs at the trunks against the callback's dialing events); no
# agent was offered two callbacks at once; the calls bridged at the
# leader's death were taken back and completed.
. "$(dirname "$0")/../lib/common.sh"
. "$BECKON_SRC/tests/lib/cluster.sh"

command -v sipp >/dev/null || fail "sipp is not installed"
N=300
RATE=10
AGENTS=16
SECRET="full-secret-$$-k2"
SCN="$BECKON_SRC/tests/sipp"
SIPA=$(free_port)
CTLA=$(free_port)
SIPB=$(free_port)
CTLB=$(free_port)
CUSTA=$(free_port)
CUSTB=$(free_port)
AGENT=$(free_port)
export BECKON_TOKEN=demo
DIALERS="tcp://127.0.0.1:$CTLA, tcp://127.0.0.1:$CTLB"

cluster_pg
uas custA "$SCN/answer/customer.xml" "$CUSTA"
CPA=$SPID
uas custB "$SCN/answer/customer.xml" "$CUSTB"
CPB=$SPID
uas agents "$SCN/uas_answer/scenario.xml" "$AGENT"
APID=$SPID
beckon_dialer dialerA "$SIPA" "$CTLA" "$CUSTA"
DPA=$DPID
beckon_dialer dialerB "$SIPB" "$CTLB" "$CUSTB"
for n in 1 2 3; do
	node "$n" --dialer_resume 2
done
LIVE="1 2 3"
[ "$(leader_now)" = 1 ] || fail "n1 does not lead: $(leader_now)"

# the agents, all on the agents' sipp: the demo's and a1..a16
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
wait_log "$T/n1.log" "dialer tcp://127.0.0.1:$CTLA: connected" 1
wait_log "$T/n1.log" "dialer tcp://127.0.0.1:$CTLB: connected" 1
ok "three nodes (n1 leads), two dialers, $(psql_q "SELECT count(*)
	FROM agents") agents available"

# ---- intake, round-robin, and the failures meanwhile

: >"$T/answers"
printf '%s\n' "$U1" "$U2" "$U3" >"$T/urls"
python3 "$BECKON_SRC/tests/integration/cluster_full.py" "$T/urls" "$N" \
	"$RATE" "$T/answers" >"$T/client.out" 2>&1 &
CLIENT=$!
PIDS="$PIDS $CLIENT"

answered 60
kill -KILL "$P3"
wait "$P3" 2>/dev/null || true
LIVE="1 2"
ok "kill -9 of the follower n3 during intake"

answered 120
bridged 3
KEPT=$BRIDGED
T0_NS=$(date +%s%N)
kill -KILL "$P1"
wait "$P1" 2>/dev/null || true
# the calls still bridged when it died: one may have ended, and n1
# stored its end, between the read and the kill (nothing to take back)
KEPT=$(psql_q "SELECT id FROM callbacks WHERE status = 'connected'
	AND id IN ($(echo "$KEPT" | sed "s/.*/'&'/" | paste -sd, -))")
[ -n "$KEPT" ] || fail "no call was still bridged when n1 died"
LIVE="2"
take_over
for id in $KEPT; do
	wait_log "$T/n$NEW.log" "call $id taken back" 1
done
# they end before dialer A dies (the customers talk 1.5 s)
i=0
until [ "$(psql_q "SELECT count(*) FROM callbacks WHERE open = 1
	AND id IN ($(echo "$KEPT" | sed "s/.*/'&'/" | paste -sd, -))")" = 0 ]
do
	i=$((i + 1))
	[ $i -le 100 ] || fail "the calls taken back do not end"
	sleep 0.1
done
ok "kill -9 of the leader n1 with $(echo "$KEPT" | wc -l) calls bridged:" \
	"n$NEW leads in $MS ms and takes each back (attach)"

bridged 2
kill -KILL "$DPA"
wait "$DPA" 2>/dev/null || true
wait_log "$T/n$NEW.log" "dialer tcp://127.0.0.1:$CTLA: link lost" 1
ok "kill -9 of dialer A with calls in flight"

rc=0
wait "$CLIENT" || rc=$?
[ "$rc" = 0 ] || fail "the client: $(cat "$T/client.out")"

# ---- every callback ends

all_closed 900

# ---- the checks

answers_kept "$N"
ok "$N requests, each answered 202 (some after a retry on another node:" \
	"$(awk '$6 > 1' "$T/answers" | wc -l)); each key one callback, stored" \
	"once"

ENDS=$(psql_q "SELECT status || ' ' || count(*) FROM callbacks
	GROUP BY status ORDER BY 1" | paste -sd, -)
[ "$ENDS" = "completed $N" ] || fail "the ends: $ENDS"
RETRIED=$(psql_q "SELECT count(DISTINCT callback_id) FROM events
	WHERE type = 'interrupted'")
[ "$RETRIED" -ge 1 ] || fail "no call interrupted by the dialer's death"
for id in $KEPT; do
	[ "$(psql_q "SELECT status || ' ' || attempts FROM callbacks
		WHERE id = '$id'")" = "completed 1" ] ||
		fail "$id (bridged at the leader's death) did not complete once"
done
ok "every callback ended completed ($RETRIED interrupted by dialer A's" \
	"death and retried); the calls bridged at the leader's death" \
	"completed in their first attempt"

once_per_attempt "$T/custA.msg" "$T/custB.msg"
no_double_offer
ok "each customer dialed once per attempt (trunks' INVITEs); no agent" \
	"offered two callbacks at once"

# the sipps answer forever: ours to stop; the nodes left exit cleanly
kill -KILL "$CPA" "$CPB" "$APID"
PID=$P2
stop_beckon
kill -TERM "$DPID"
wait "$DPID" || fail "dialer B exited $?"
stop_postgres pg
