#!/bin/sh
# A claim whose COMMIT was stored but never answered (docs/cluster.md,
# "PostgreSQL outages"): one `beckon serve` node and one `beckon dialer`
# on a PostgreSQL of the test's own, reached through pg_cut.py, a proxy
# on loopback that forwards the COMMIT of the first transaction binding
# `dialing` (the claim) once armed, reads its answer, throws it away and
# closes both sides: committed, the node hears nothing (ENOTCONN). A
# sipp answers as the trunk (the customer talks 1.5 s) and one as the
# agents' phones. One callback is posted with the proxy armed:
#   - the proxy cut that claim's COMMIT, and the store has it (dialing);
#   - the callback still ends completed (before: the next claim, from
#     queued, was refused by the store's dialing, the callback dropped
#     by the ACD and left dialing in the store for good);
#   - the customer was dialed once (one INVITE Call-ID), its history
#     has answered and bridged once, and the store counts one attempt.
. "$(dirname "$0")/../lib/common.sh"
. "$BECKON_SRC/tests/lib/cluster.sh"

command -v sipp >/dev/null || fail "sipp is not installed"
SECRET="claimcut-secret-$$-k2"
SCN="$BECKON_SRC/tests/sipp"
SIP=$(free_port)
CTL=$(free_port)
CUST=$(free_port)
AGENT=$(free_port)
PROXY=$(free_port)
export BECKON_TOKEN=demo
DIALERS="tcp://127.0.0.1:$CTL"
PHONE=+14155550142

cluster_pg
pg_cut "$PROXY"
PGDB=$PG_CUT

uas cust "$SCN/answer/customer.xml" "$CUST"
CPID=$SPID
uas agents "$SCN/uas_answer/scenario.xml" "$AGENT"
APID=$SPID
beckon_dialer dialer "$SIP" "$CTL" "$CUST"
node 1
LIVE=1
[ "$(leader_now)" = 1 ] || fail "n1 does not lead"
export BECKON_SERVER="$U1"
for a in $(psql_q "SELECT id FROM agents"); do
	"$BECKON" agent set "$a" --endpoint "sip:$a@127.0.0.1:$AGENT" \
		--wrap_up 0 >/dev/null || fail "agent set $a"
	"$BECKON" agent state "$a" available >/dev/null ||
		fail "$a available"
done
wait_log "$T/n1.log" "dialer tcp://127.0.0.1:$CTL: connected" 1
ok "a node on PostgreSQL through the cutting proxy, a dialer, agents" \
	"available"

: >"$T/armed"
URL=$U1
post_json "{\"business\":\"demo\",\"phone\":\"$PHONE\"}"
expect_status 202 "the callback"
ID=$(jv .id)
wait_log "$T/cut.log" "cut" 1
[ ! -e "$T/armed" ] || fail "armed still"
[ "$(psql_q "SELECT count(*) FROM events WHERE callback_id = '$ID'
	AND type = 'dialing'")" -ge 1 ] ||
	fail "the cut claim is not in the store"
ok "the claim's COMMIT was stored, its answer cut"

all_closed 100
[ "$(psql_q "SELECT status || ' ' || attempts FROM callbacks
	WHERE id = '$ID'")" = "completed 1" ] ||
	fail "$ID: $(psql_q "SELECT status, attempts FROM callbacks
	WHERE id = '$ID'")"
histories_whole
once_per_attempt "$T/cust.msg"
[ "$(grep -c "^INVITE sip:$PHONE@" "$T/cust.msg")" -ge 1 ] ||
	fail "the customer was never dialed"
ok "the callback completed in one attempt, the customer dialed once," \
	"answered and bridged once in its history"

kill -KILL "$CPID" "$APID"
PID=$P1
stop_beckon
kill -TERM "$DPID"
wait "$DPID" || fail "the dialer exited $?"
