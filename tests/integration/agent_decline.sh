#!/bin/sh
# Declining an offer on the desktop, agent first: alice's phone rings
# (sipp that never answers), she declines from the desktop API; the call
# is dropped before the customer is called, the callback goes back to the
# queue without spending an attempt, bob takes it and talks with the
# customer (who got exactly one call); alice is available again, not
# counted as a missed offer. Declining is refused when it is not an
# agent-first offer still ringing.
. "$(dirname "$0")/../lib/common.sh"

SIPP=$(command -v sipp) || fail "sipp is not installed"
SIP=$(free_port)
CUST=$(free_port)
ALICE=$(free_port)
BOB=$(free_port)
CTL=$(free_port)

start_sipp() {
	"$SIPP" -sf "$BECKON_SRC/tests/sipp/$2" -i 127.0.0.1 -p "$3" -m 1 \
		-nostdin -trace_err -error_file "$T/$1.err" \
		>"$T/sipp-$1.log" 2>&1 &
	eval "PID_$1=$!"
	PIDS="$PIDS $!"
}

start_sipp cust uas_answer/scenario.xml "$CUST"
start_sipp alice agent_no_answer/agent.xml "$ALICE"
start_sipp bob uas_answer/scenario.xml "$BOB"

start_beckon decline --demo --dialer local --sip_listen "127.0.0.1:$SIP" \
	--control_listen "127.0.0.1:$CTL" \
	--prompt_dir "$BECKON_SRC/share/prompts" --ring_timeout 60 \
	--trunk_uri "sip:\${e164}@127.0.0.1:$CUST;user=phone"

export BECKON_SERVER="$URL" BECKON_TOKEN=demo
"$BECKON" business set demo --dial_mode agent_first >/dev/null ||
	fail "business set"
"$BECKON" agent set alice --endpoint "sip:alice@127.0.0.1:$ALICE" \
	>/dev/null || fail "agent set alice"
"$BECKON" agent set bob --endpoint "sip:bob@127.0.0.1:$BOB" \
	>/dev/null || fail "agent set bob"

J='Content-Type: application/json'
agent_login alice
agent_login bob

# alice first (idle longer), then bob
req POST /agent/api/state -H "$C_alice" -H "$J" -H "X-CSRF-Token: $CSRF_alice" \
	--data '{"state":"available"}'
expect_status 200
sleep 0.05
req POST /agent/api/state -H "$C_bob" -H "$J" -H "X-CSRF-Token: $CSRF_bob" \
	--data '{"state":"available"}'
expect_status 200

post_json '{"business":"demo","phone":"+14155550170","name":"Di"}'
expect_status 202
ID=$(jv .id)

# alice's phone rings: the screen pop says agent first, and how long
i=0
while :; do
	req GET "/agent/api/callbacks/$ID" -H "$C_alice"
	expect_status 200 "screen pop"
	[ "$(jv '[.callback.events[].type] | index("agent_ringing") != null')" \
		= true ] && break
	i=$((i + 1))
	[ $i -lt 150 ] || fail "alice's phone never rang: $(jv '[.callback.events[].type]')"
	sleep 0.1
done
expect_jv .dial_mode agent_first
expect_jv .ring_timeout_s 60
expect_jv .callback.agent alice
expect_jv .callback.status dialing
ok "agent first: alice is offered the callback, her phone rings; the pop says agent_first, 60 s"

# bob cannot decline alice's offer; CSRF is required
req POST "/agent/api/callbacks/$ID/decline" -H "$C_bob" -H "X-CSRF-Token: $CSRF_bob"
expect_error 404 not_found
req POST "/agent/api/callbacks/$ID/decline" -H "$C_alice"
expect_error 403 csrf
req POST "/agent/api/callbacks/$ID/decline" -H "$C_alice" \
	-H "X-CSRF-Token: $CSRF_alice"
expect_status 200 "decline"
expect_jv .status declining
ok "alice declines on the desktop (bob may not, nor a request without CSRF)"

# bob takes it, the customer is called once
i=0
while :; do
	req GET "/v1/callbacks/$ID"
	[ "$(jv .status)" = connected ] && break
	i=$((i + 1))
	[ $i -lt 150 ] || fail "not connected: $(jv .status)"
	sleep 0.1
done
[ "$(sqlite3 "$DB" "SELECT agent_id||'|'||attempts FROM callbacks
	WHERE id='$ID'")" = 'bob|1' ] || fail "callback row: $(sqlite3 "$DB" \
	"SELECT agent_id, attempts FROM callbacks WHERE id='$ID'")"
[ "$(sqlite3 "$DB" "SELECT json_extract(data, '$.agent')||'|'||
	json_extract(data, '$.reason') FROM events WHERE callback_id='$ID'
	AND type='agent_failed'")" = 'alice|declined' ] || fail "agent_failed"
[ "$(sqlite3 "$DB" "SELECT json_extract(data, '$.reason') FROM events
	WHERE callback_id='$ID' AND type='requeued'")" = agent_declined ] ||
	fail "requeued: $(sqlite3 "$DB" "SELECT type, data FROM events
	WHERE callback_id='$ID'")"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM events WHERE callback_id='$ID'
	AND type='ringing' AND json_extract(data, '$.leg')='customer'")" = 1 ] ||
	fail "the customer was called more than once"
req GET /agent/api/me -H "$C_alice"
expect_jv .agent.state available
expect_jv .agent.state_reason declined
ok "back in the queue (requeued: agent_declined, no attempt spent), bob connected; alice available, not a missed offer"

# nothing left to decline: connected, and not alice's
req POST "/agent/api/callbacks/$ID/decline" -H "$C_bob" \
	-H "X-CSRF-Token: $CSRF_bob"
expect_error 409 not_declinable
req POST "/agent/api/callbacks/$ID/decline" -H "$C_alice" \
	-H "X-CSRF-Token: $CSRF_alice"
expect_error 404 not_found
ok "a connected call cannot be declined (409), nor by a former agent (404)"

req POST "/agent/api/callbacks/$ID/hangup" -H "$C_bob" \
	-H "X-CSRF-Token: $CSRF_bob"
expect_status 200 "hangup"
sipp_wait cust alice bob
ok "the phones: alice's canceled, one call each for bob and the customer"

stop_beckon
