#!/bin/sh
# A leader killed after it read a call's answered and bridged but before
# it stored them (docs/cluster.md, "A call's end that the dying leader
# never read"): `beckon serve` nodes and a `beckon dialer` on a
# PostgreSQL of the test's own. The leader reaches it through pg_cut.py
# in hold mode: once armed, the first transaction binding `on_hold` (the
# customer's answer, stored) is held for good, so nothing the leader
# writes after it is stored; it is killed (kill -9) once the dialer has
# bridged the call. A sipp answers as the trunk, one as the agents.
#   (a) the call goes on (the customer talks 12 s): n2, following, takes
#       over and attaches it while bridged; the attach's answer says
#       when the customer answered and when the call was bridged, and
#       the store says connected, with answered and bridged, while the
#       call goes on (before: dialing until the end, the agent offered);
#   (b) the call ends (the customer talks 1.5 s) before any node leads:
#       n4, started then, takes over and hears only the legs' ends and
#       the end, which carry those times (before: the agent's leg's end
#       was taken for the agent failing, the end for a customer never
#       answered, and a retry was scheduled: dialed again).
# Each time: the callback completed in its one attempt, answered and
# bridged once in its history, before the end, no agent_failed, the
# end's talk time the dialer's, the customer dialed once.
. "$(dirname "$0")/../lib/common.sh"
. "$BECKON_SRC/tests/lib/cluster.sh"

command -v sipp >/dev/null || fail "sipp is not installed"
SECRET="takeover-secret-$$-r5"
SCN="$BECKON_SRC/tests/sipp"
SIP=$(free_port)
CTL=$(free_port)
CUST=$(free_port)
AGENT=$(free_port)
PROXY=$(free_port)
export BECKON_TOKEN=demo
DIALERS="tcp://127.0.0.1:$CTL"

cluster_pg
DIRECT=$PGDB
pg_cut "$PROXY" hold on_hold
PROXIED=$PG_CUT

# proxied N: node N through the proxy
proxied() {
	PGDB=$PROXIED
	node "$1" --dialer_resume 5
	PGDB=$DIRECT
}

# held PHONE: a callback for PHONE posted to $URL with the proxy armed,
# until the dialer bridged it and the proxy holds the answer's write;
# sets ID
held() {
	: >"$T/armed"
	post_json "{\"business\":\"demo\",\"phone\":\"$1\"}"
	expect_status 202 "the callback"
	ID=$(jv .id)
	wait_log "$T/dialer.log" "call $ID: bridged" 1
	[ ! -e "$T/armed" ] || fail "the proxy held nothing"
	[ "$(psql_q "SELECT status FROM callbacks WHERE id = '$ID'")" = \
		dialing ] || fail "the store has $ID $(psql_q "SELECT status
		FROM callbacks WHERE id = '$ID'"), not dialing"
}

# whole TALK_MIN TALK_MAX MSG...: the callback $ID completed in one
# attempt, answered and bridged once, in order, no agent_failed, talk_s
# in bounds, each customer dialed once (MSG: the trunk's sipps')
whole() {
	[ "$(psql_q "SELECT status || ' ' || attempts FROM callbacks
		WHERE id = '$ID'")" = "completed 1" ] ||
		fail "$ID: $(psql_q "SELECT status, attempts FROM callbacks
		WHERE id = '$ID'"): $(psql_q "SELECT string_agg(type, ' '
		ORDER BY seq) FROM events WHERE callback_id = '$ID'")"
	histories_whole
	H=$(psql_q "SELECT string_agg(type, ' ' ORDER BY seq) FROM events
		WHERE callback_id = '$ID' AND type IN ('answered',
		'bridged', 'ended', 'agent_failed')")
	[ "$H" = "answered bridged ended" ] || fail "$ID's history: $H"
	TALK=$(psql_q "SELECT data::json->>'talk_s' FROM events
		WHERE callback_id = '$ID' AND type = 'ended'")
	[ "$TALK" -ge "$1" ] && [ "$TALK" -le "$2" ] ||
		fail "$ID: talk_s $TALK"
	shift 2
	once_per_attempt "$@"
}

uas agents "$SCN/uas_answer/scenario.xml" "$AGENT"
APID=$SPID
uas cust1 "$SCN/talk_then_hangup/scenario.xml" "$CUST"
CPID=$SPID
beckon_dialer dialer "$SIP" "$CTL" "$CUST"
proxied 1
node 2 --dialer_resume 5
LIVE="1 2"
[ "$(leader_now)" = 1 ] || fail "n1 does not lead: $(leader_now)"
export BECKON_SERVER="$U1"
for a in $(psql_q "SELECT id FROM agents"); do
	"$BECKON" agent set "$a" --endpoint "sip:$a@127.0.0.1:$AGENT" \
		--wrap_up 0 >/dev/null || fail "agent set $a"
	"$BECKON" agent state "$a" available >/dev/null ||
		fail "$a available"
done
wait_log "$T/n1.log" "dialer tcp://127.0.0.1:$CTL: connected" 1
ok "n1 leads through the holding proxy, n2 follows, a dialer, agents" \
	"available"

# ---- (a) taken back while bridged

URL=$U1
held +14155550143
T0_NS=$(date +%s%N)
kill -KILL "$P1"
wait "$P1" 2>/dev/null || true
LIVE=2
take_over
wait_log "$T/n2.log" "call $ID taken back (bridged)" 1
i=0
until [ "$(psql_q "SELECT status FROM callbacks WHERE id = '$ID'")" = \
	connected ]; do
	i=$((i + 1))
	[ $i -le 40 ] || fail "$ID not connected in the store after the" \
		"attach: $(psql_q "SELECT status FROM callbacks
		WHERE id = '$ID'")"
	sleep 0.05
done
AGENT_ID=$(psql_q "SELECT agent_id FROM callbacks WHERE id = '$ID'")
[ "$(psql_q "SELECT state FROM agents WHERE id = '$AGENT_ID'")" = \
	on_call ] || fail "$AGENT_ID is $(psql_q "SELECT state FROM agents
	WHERE id = '$AGENT_ID'")"
! grep -q "call $ID: \(customer \|agent \)\?ended:" "$T/dialer.log" ||
	fail "the call ended before the checks"
ok "n1 killed with the call bridged, the store saying dialing: n2 leads" \
	"in $MS ms, attaches it and stores it connected, $AGENT_ID on call," \
	"while it goes on"
all_closed 100
whole 10 12 "$T/cust1.msg"
ok "it completed in one attempt, answered and bridged once, talk" \
	"$TALK s, the customer dialed once"

# ---- (b) ended before anyone leads

# its port free again before the next trunk binds it
kill -KILL "$CPID"
wait "$CPID" 2>/dev/null || true
uas cust2 "$SCN/answer/customer.xml" "$CUST"
CPID=$SPID
proxied 3
LIVE="2 3"
T0_NS=$(date +%s%N)
kill -KILL "$P2"
wait "$P2" 2>/dev/null || true
LIVE=3
take_over
wait_log "$T/n3.log" "dialer tcp://127.0.0.1:$CTL: connected" 1
URL=$U3
held +14155550144
kill -KILL "$P3"
wait "$P3" 2>/dev/null || true
wait_log "$T/dialer.log" "call $ID: \(customer \|agent \)\?ended:" 1
node 4 --dialer_resume 5
LIVE=4
[ "$(leader_now)" = 4 ] || fail "n4 does not lead"
wait_log "$T/n4.log" "call $ID taken back (ended)" 1
all_closed 100
whole 1 2 "$T/cust1.msg" "$T/cust2.msg"
ok "n3 (leading through the proxy) killed with the call bridged, the" \
	"call ended, then n4 started: it completed in one attempt," \
	"answered and bridged once, talk $TALK s, the customer dialed once"

kill -KILL "$CPID" "$APID"
PID=$P4
stop_beckon
kill -TERM "$DPID"
wait "$DPID" || fail "the dialer exited $?"
