#!/bin/sh
# The desk across nodes (docs/cluster.md): three `beckon serve` on one
# PostgreSQL and a `beckon dialer`; n1 leads (a node whose cluster_url
# would be 0.0.0.0's does not start). Through a follower:
#   - an agent logs in, sets the business up and goes available (the
#     desk's API and admin changes, relayed to the leader);
#   - the desk's WebSocket (a raw client, cluster_relay.py) gets the
#     presence change and the offer the leader's ACD makes (agent first,
#     nothing dialed);
#   - the leader sees the client's address, not one the client wrote in
#     X-Forwarded-For; a forged relay proof sent to the leader is
#     refused 403, and a follower never relays a relayed request again;
#   - a business changed through a follower (on the leader) reaches the
#     other follower's directory (NOTIFY beckon_businesses);
#   - with relay_max_conns 0 a follower answers 503 not_leader as before;
#   - kill -9 of the leader: the relayed WebSocket closes; while the
#     new leader's load of the sessions waits (agent_sessions locked by
#     a psql), the desk through a follower gets 503 sessions_loading,
#     never 401; after the
#     takeover (n2 or n4), the same cookie through the other answers
#     200 (the new leader loaded the sessions from the store), the
#     desk's WebSocket reconnects and the same CSRF token changes the
#     presence: nobody logs in again.
. "$(dirname "$0")/../lib/common.sh"
. "$BECKON_SRC/tests/lib/cluster.sh"

DCTL=$(free_port)
SECRET="relay-secret-$$-k2"
J='Content-Type: application/json'
export BECKON_TOKEN=demo

DIALERS="tcp://127.0.0.1:$DCTL"
cluster_pg
beckon_dialer dialer "$(free_port)" "$DCTL" 9

# ws N COOKIE NAME: the desk's WebSocket through node N, in background;
# its lines in $T/NAME.ws; sets WPID
ws() {
	eval "u=\$U$1"
	: >"$T/$3.ws"
	python3 "$BECKON_SRC/tests/integration/cluster_relay.py" \
		"${u##*:}" "$2" "$T/$3.ws" &
	WPID=$!
	PIDS="$PIDS $WPID"
	wait_log "$T/$3.ws" "^HTTP/1.1" 1
	grep -q "^HTTP/1.1 101" "$T/$3.ws" || fail "$3: $(cat "$T/$3.ws")"
}

# all interfaces is no address to reach: cluster_url must be set
rc=0
"$BECKON" serve --db "$PGDB" --dialer "tcp://127.0.0.1:$DCTL" \
	--control_secret "$SECRET" \
	--http_listen "0.0.0.0:$(free_port)" >"$T/any.log" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "set cluster_url" "$T/any.log" ||
	fail "http_listen 0.0.0.0 without cluster_url: exit $rc, \
$(cat "$T/any.log")"
ok "on PostgreSQL, http_listen 0.0.0.0 without cluster_url stops the \
start-up, saying why"

# n1 closes an idle connection after 2 s, the follower's kept ones too
node 1 --log_level debug --http_idle_timeout 2
node 2 --log_level debug
node 3 --relay_max_conns 0 --log_level debug
[ "$(role "$U1")" = leader ] || fail "n1 is $(role "$U1")"
wait_log "$T/n2.log" "node n2 follows: the leader is n1" 1

# ---- the desk through a follower

at 2
agent_login alice
wait_log "$T/n1.log" "/agent/api/login relayed by a node for client \
127.0.0.1" 1
export BECKON_SERVER="$U2"
"$BECKON" business set demo --dial_mode agent_first --accept_timeout 60 \
	--widget_label "Ring me" >/dev/null || fail "business set through n2"
"$BECKON" agent set alice --endpoint "sip:alice@127.0.0.1:9" \
	>/dev/null || fail "agent set through n2"
ws 2 "${C_alice#Cookie: beckon_session=}" a1
A1=$WPID
req POST /agent/api/state -H "$C_alice" -H "$J" \
	-H "X-CSRF-Token: $CSRF_alice" --data '{"state":"available"}'
expect_status 200 "alice available through n2"
expect_jv .agent.state available
wait_log "$T/a1.ws" '"state":"available"' 1
post_json '{"business":"demo","phone":"+14155550401"}'
expect_status 202
ID=$(jv .id)
TOK=$(jv .cancel_token)
wait_log "$T/a1.ws" "\"state\":\"offered\",\"callback\":\"$ID\"" 1
req POST "/agent/api/callbacks/$ID/decline" -H "$C_alice" \
	-H "X-CSRF-Token: $CSRF_alice"
expect_status 200 "decline through n2"
wait_log "$T/a1.ws" '"state":"available","callback":null' 2
# withdrawn, so that the next leader offers it to nobody
req DELETE "/v1/callbacks/$ID" -H "Authorization: Bearer $TOK"
expect_status 200 "cancel"
ok "through follower n2: log-in, admin changes, presence and the \
WebSocket, which gets the leader's offer of $ID, declined"

# the business changed on the leader reaches the other follower's
# directory (NOTIFY beckon_businesses, then a re-read)
i=0
until [ "$(curl -s "$U3/v1/businesses/demo" | jq -r .widget.label)" = \
	"Ring me" ]; do
	i=$((i + 1))
	[ $i -le 100 ] || fail "n3 still has the old business"
	sleep 0.05
done
grep -q "business read again" "$T/n3.log" || fail "n3 did not read again"
ok "a business changed through n2 on the leader reaches n3's directory"

# ---- who the client is

req GET /agent/api/me -H "$C_alice" -H "X-Forwarded-For: 203.0.113.9"
expect_status 200 "me through n2"
expect_jv .agent.id alice
wait_log "$T/n1.log" "/agent/api/me relayed by a node for client \
127.0.0.1" 1
if grep -q "203.0.113.9" "$T/n1.log"; then
	fail "the leader took the client's own X-Forwarded-For"
fi
at 1
req GET /agent/api/me -H "$C_alice" -H "X-Forwarded-For: 203.0.113.9" \
	-H "X-Beckon-Relay: forged"
expect_error 403 forbidden
expect_jv .error.field X-Beckon-Relay
at 2
req GET /agent/api/me -H "$C_alice" -H "X-Beckon-Relay: forged"
expect_error 503 not_leader
ok "the leader sees the client's address, not its X-Forwarded-For; a \
forged relay proof: 403 on the leader, never relayed by a follower"

# ---- kept connections to the leader

# to N: the local ports of the established connections to node N's
# port (the relays' to it: no client talks to it meanwhile)
to() {
	eval "u=\$U$1"
	ss -Htn state established "( dport = :${u##*:} )" |
		awk '{ print $3 }' | sort | tr '\n' ' '
}
# nto N COUNT: until there are COUNT of them (5 s at most)
nto() {
	i=0
	until [ "$(to "$1" | wc -w)" = "$2" ]; do
		i=$((i + 1))
		[ $i -le 100 ] || fail "connections to n$1: $(to "$1"), not $2"
		sleep 0.05
	done
}

# GETs and POSTs through n2 ride one kept connection to n1 (with the
# WebSocket's: two); the leader sees each
req GET /agent/api/me -H "$C_alice"
expect_status 200 "me through n2"
nto 1 2
K=$(to 1)
before=$(grep -c "relayed by a node" "$T/n1.log")
for i in 1 2 3 4 5; do
	req GET /agent/api/me -H "$C_alice"
	expect_status 200 "me through n2, $i"
	req POST /agent/api/state -H "$C_alice" -H "$J" \
		-H "X-CSRF-Token: $CSRF_alice" --data '{"state":"available"}'
	expect_status 200 "alice available through n2, $i"
	[ "$(to 1)" = "$K" ] || fail "request $i: n2 to n1 $(to 1), was $K"
done
wait_log "$T/n1.log" "relayed by a node" $((before + 10))
# the client's connection to n2 is kept as well: two requests, a connect
c=$(curl -s -o /dev/null -o /dev/null -w '%{num_connects} ' \
	-H "$C_alice" "$U2/agent/api/me" "$U2/agent/api/me")
[ "$c" = "1 0 " ] || fail "two relayed requests made connects $c"
# the leader closes it idle: the next request takes a new one
nto 1 1
req GET /agent/api/me -H "$C_alice"
expect_status 200 "me through n2 after n1 closed the kept connection"
nto 1 2
[ "$(to 1)" != "$K" ] || fail "n2 to n1 still $K"
ok "10 requests through n2 on one kept connection to n1, the client's \
kept too; closed by n1 idle, the next request on a new one"

# ---- relaying off: the old answer

at 3
req GET /agent/api/me -H "$C_alice"
expect_error 503 not_leader
expect_jv .error.leader n1
[ "$(hdr Retry-After)" = 1 ] || fail "Retry-After: $(hdr Retry-After)"
ok "relay_max_conns 0: 503 not_leader naming n1, Retry-After: 1"
PID=$P3
stop_beckon
node 4 --log_level debug
wait_log "$T/n4.log" "node n4 follows: the leader is n1" 1

# ---- the leader dies: the relayed WebSocket closes; a new one works

# agent_sessions locked by another client, so that the next leader's
# load of the sessions waits: meanwhile the desk gets 503
# sessions_loading, never 401
{
	printf 'BEGIN;\nLOCK TABLE agent_sessions IN ACCESS EXCLUSIVE MODE;\n'
	i=0
	until [ -f "$T/unlock" ] || [ $i -gt 600 ]; do
		i=$((i + 1))
		sleep 0.05
	done
	printf 'COMMIT;\n'
} | "$PG_BIN/psql" -X -q -d "$PGDB" >"$T/lock.log" 2>&1 &
LPID=$!
PIDS="$PIDS $LPID"
i=0
until [ "$(psql_q "SELECT count(*)
	FROM pg_locks AS l JOIN pg_class AS c ON c.oid = l.relation
	WHERE c.relname = 'agent_sessions' AND l.granted AND
	l.mode = 'AccessExclusiveLock'")" = 1 ]; do
	i=$((i + 1))
	[ $i -le 100 ] || fail "agent_sessions not locked: \
$(cat "$T/lock.log")"
	sleep 0.05
done

kill -KILL "$P1"
wait "$P1" 2>/dev/null || true
wait_log "$T/a1.ws" "^closed" 1
wait "$A1" 2>/dev/null || true
NEW=""
i=0
while [ -z "$NEW" ]; do
	# its log, not /healthz: its store answers nothing (a ping
	# neither) while the load of the sessions waits for the lock
	for n in 2 4; do
		! grep -q "node n$n leads now" "$T/n$n.log" || NEW=$n
	done
	i=$((i + 1))
	[ $i -le 200 ] || fail "nobody leads 10 s after the leader's death"
	[ -n "$NEW" ] || sleep 0.05
done
FOL=$((6 - NEW))
wait_log "$T/n$FOL.log" "node n$FOL follows: the leader is n$NEW" 1
at "$FOL"
# until the follower relays to the new leader: 503 not_leader
i=0
while :; do
	req GET /agent/api/me -H "$C_alice"
	[ "$STATUS" = 503 ] && [ "$(jv .error.code)" = not_leader ] || break
	i=$((i + 1))
	[ $i -le 100 ] || fail "n$FOL does not relay 5 s after the takeover"
	sleep 0.05
done
expect_error 503 sessions_loading
[ "$(hdr Retry-After)" = 1 ] || fail "Retry-After: $(hdr Retry-After)"
req POST /agent/api/state -H "$C_alice" -H "$J" \
	-H "X-CSRF-Token: $CSRF_alice" --data '{"state":"away"}'
expect_error 503 sessions_loading
ok "the new leader n$NEW loading the sessions (the table locked): 503 \
sessions_loading with Retry-After: 1, not 401"
touch "$T/unlock"
wait "$LPID" || fail "the locking psql: $(cat "$T/lock.log")"
eval "u=\$U$NEW"
[ "$(role "$u")" = leader ] || fail "n$NEW does not say it leads"
i=0
while :; do
	req GET /agent/api/me -H "$C_alice"
	[ "$STATUS" = 503 ] || break
	expect_error 503 sessions_loading
	i=$((i + 1))
	[ $i -le 100 ] || fail "me still 503 5 s after the table's unlock"
	sleep 0.05
done
expect_status 200 "alice's cookie through n$FOL after the failover"
expect_jv .agent.id alice
wait_log "$T/n$NEW.log" "1 desk session restored" 1
ws "$FOL" "${C_alice#Cookie: beckon_session=}" a2
A2=$WPID
req POST /agent/api/state -H "$C_alice" -H "$J" \
	-H "X-CSRF-Token: $CSRF_alice" --data '{"state":"away"}'
expect_status 200 "alice away, on the new leader"
wait_log "$T/a2.ws" '"state":"away"' 1
wait_log "$T/n$NEW.log" "/agent/ws relayed by a node for client" 1
ok "kill -9 of n1: the relayed WebSocket closed; through n$FOL the same \
cookie, a new WebSocket and the same CSRF token reach the new leader n$NEW \
(the session restored, no new log-in)"

# ---- a new leader closes the kept connections to the old one

kill -TERM "$A2" 2>/dev/null || true
wait "$A2" 2>/dev/null || true
req GET /agent/api/me -H "$C_alice"
expect_status 200 "me through n$FOL"
nto "$NEW" 1
# n$NEW stopped, its sockets open, and its store sessions ended: n$FOL
# leads; only it can close its kept connection to n$NEW
eval "OLD=\$P$NEW"
kill -STOP "$OLD"
psql_q "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
	WHERE application_name = 'beckon'" >/dev/null
i=0
until grep -q "node n$FOL leads now" "$T/n$FOL.log"; do
	i=$((i + 1))
	[ $i -le 200 ] || fail "n$FOL does not lead 10 s after n$NEW stopped"
	sleep 0.05
done
nto "$NEW" 0
grep -q "the leader changed: 1 kept connection(s) to the old one closed" \
	"$T/n$FOL.log" || fail "n$FOL did not close its kept connection"
kill -KILL "$OLD"
wait "$OLD" 2>/dev/null || true
ok "n$FOL taking the lead from a stopped n$NEW closes its kept \
connection to it"

eval "PID=\$P$FOL"
stop_beckon
kill -TERM "$DPID"
wait "$DPID" || fail "the dialer exited $?"
stop_postgres pg
