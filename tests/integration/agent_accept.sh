#!/bin/sh
# Accepting an offer on the desktop, agent first with accept_timeout: the
# offer reserves the agent and waits on the desk with nothing dialed.
# bob lets the 5 s countdown run out (a missed offer: his phone, a sipp,
# never gets an INVITE) and the callback goes to alice; she accepts over
# the API (CSRF required, bob may not), then her phone (sipp) and the
# customer's are called and bridged, one attempt spent. A second callback
# offered to bob is declined: back in the queue, no attempt spent, not a
# miss. The business setting is checked (0 or 5 to 300).
. "$(dirname "$0")/../lib/common.sh"

command -v sipp >/dev/null || fail "sipp is not installed"
SIP=$(free_port)
CUST=$(free_port)
ALICE=$(free_port)
BOB=$(free_port)
CTL=$(free_port)

start_sipp cust uas_answer "$CUST" 1
start_sipp alice uas_answer "$ALICE" 1
start_sipp bob uas_answer "$BOB" 1

start_beckon accept --demo --dialer local --sip_listen "127.0.0.1:$SIP" \
	--control_listen "127.0.0.1:$CTL" \
	--prompt_dir "$BECKON_SRC/share/prompts" --ring_timeout 30 \
	--trunk_uri "sip:\${e164}@127.0.0.1:$CUST;user=phone"

export BECKON_SERVER="$URL" BECKON_TOKEN=demo
if "$BECKON" business set demo --accept_timeout 3 >"$T/set.out" 2>&1; then
	fail "accept_timeout 3 was taken"
fi
grep -q accept_timeout "$T/set.out" || fail "no reason: $(cat "$T/set.out")"
"$BECKON" business set demo --dial_mode agent_first --accept_timeout 5 \
	>/dev/null || fail "business set"
"$BECKON" agent set alice --endpoint "sip:alice@127.0.0.1:$ALICE" \
	>/dev/null || fail "agent set alice"
"$BECKON" agent set bob --endpoint "sip:bob@127.0.0.1:$BOB" \
	>/dev/null || fail "agent set bob"
ok "accept_timeout: 3 refused (5 to 300, or 0), 5 set with agent_first"

J='Content-Type: application/json'
agent_login alice
agent_login bob

# bob first (idle longer), then alice
req POST /agent/api/state -H "$C_bob" -H "$J" -H "X-CSRF-Token: $CSRF_bob" \
	--data '{"state":"available"}'
expect_status 200
sleep 0.05
req POST /agent/api/state -H "$C_alice" -H "$J" \
	-H "X-CSRF-Token: $CSRF_alice" --data '{"state":"available"}'
expect_status 200

post_json '{"business":"demo","phone":"+14155550171","name":"Ed"}'
expect_status 202
ID=$(jv .id)

# offer_of AGENT: wait until the pop shows AGENT an offer to accept
offer_of() {
	i=0
	while :; do
		eval "req GET \"/agent/api/callbacks/$ID\" -H \"\$C_$1\""
		expect_status 200 "screen pop"
		[ "$(jv '.offer != null')" = true ] && break
		i=$((i + 1))
		[ $i -lt 150 ] || fail "no offer for $1: $BODY"
		sleep 0.1
	done
}
offer_of bob
T0=$(date +%s%N)
expect_jv .dial_mode agent_first
expect_jv .accept_timeout_s 5
expect_jv '.offer.left_ms > 0 and .offer.left_ms <= 5000' true
expect_jv .callback.status queued
expect_jv .callback.agent bob
req GET /agent/api/me -H "$C_bob"
expect_jv .agent.state offered
expect_jv .callback "$ID"
ok "bob is offered the callback: reserved, still queued, 5 s to accept"

# the countdown runs out: alice is offered it, bob missed one
offer_of alice
MS=$(( ($(date +%s%N) - T0) / 1000000 ))
[ "$MS" -ge 4000 ] || fail "the offer ended after $MS ms, not 5 s"
expect_jv .callback.agent alice
expect_jv .callback.attempts 0
req GET /agent/api/me -H "$C_bob"
expect_jv .agent.state available
expect_jv .agent.state_reason "offer missed"
[ "$(invites bob)" = 0 ] || fail "bob's phone was called"
[ "$(invites cust)" = 0 ] || fail "the customer was called"
ok "after ~5 s ($MS ms) the offer went to alice; bob missed it; nobody was called"

# bob may not accept any more; CSRF is required; alice accepts
req POST "/agent/api/callbacks/$ID/accept" -H "$C_bob" \
	-H "X-CSRF-Token: $CSRF_bob"
expect_error 409 not_acceptable
req POST "/agent/api/callbacks/$ID/accept" -H "$C_alice"
expect_error 403 csrf
req POST "/agent/api/callbacks/$ID/accept" -H "$C_alice" \
	-H "X-CSRF-Token: $CSRF_alice"
expect_status 200 "accept"
expect_jv .status accepted
req POST "/agent/api/callbacks/$ID/accept" -H "$C_alice" \
	-H "X-CSRF-Token: $CSRF_alice"
expect_error 409 not_acceptable
ok "alice accepts (once; bob too late: 409; no CSRF: 403)"

wait_status "$ID" connected 20
[ "$(sqlite3 "$DB" "SELECT agent_id||'|'||attempts FROM callbacks
	WHERE id='$ID'")" = 'alice|1' ] || fail "callback row: $(sqlite3 "$DB" \
	"SELECT agent_id, attempts FROM callbacks WHERE id='$ID'")"
EVS=$(sqlite3 "$DB" "SELECT group_concat(type, ' ') FROM (SELECT type
	FROM events WHERE callback_id='$ID' ORDER BY rowid)")
case "$EVS" in
	*"offered offer_timeout offered dialing accepted agent_ringing"*) ;;
	*) fail "events: $EVS" ;;
esac
[ "$(sqlite3 "$DB" "SELECT json_extract(data, '$.agent') FROM events
	WHERE callback_id='$ID' AND type='offer_timeout'")" = bob ] ||
	fail "offer_timeout names bob"
[ "$(invites cust)" = 1 ] || fail "the customer got $(invites cust) calls"
[ "$(invites bob)" = 0 ] || fail "bob's phone was called"
ok "connected with alice, one attempt; events $EVS"

req POST "/agent/api/callbacks/$ID/hangup" -H "$C_alice" \
	-H "X-CSRF-Token: $CSRF_alice"
expect_status 200 "hangup"
wait_status "$ID" completed

# a second callback: alice is in wrap-up, bob is offered it, declines
post_json '{"business":"demo","phone":"+14155550172","name":"Flo"}'
expect_status 202
ID=$(jv .id)
offer_of bob
req POST "/agent/api/callbacks/$ID/decline" -H "$C_bob"
expect_error 403 csrf
req POST "/agent/api/callbacks/$ID/decline" -H "$C_bob" \
	-H "X-CSRF-Token: $CSRF_bob"
expect_status 200 "decline"
req POST "/agent/api/callbacks/$ID/accept" -H "$C_bob" \
	-H "X-CSRF-Token: $CSRF_bob"
expect_error 409 not_acceptable
req GET /agent/api/me -H "$C_bob"
expect_jv .agent.state available
expect_jv .agent.state_reason declined
req GET "/v1/callbacks/$ID"
expect_jv .status queued
[ "$(sqlite3 "$DB" "SELECT agent_id||'|'||attempts FROM callbacks
	WHERE id='$ID'")" = '|0' ] || fail "declined row"
[ "$(sqlite3 "$DB" "SELECT group_concat(type, ' ') FROM (SELECT type
	FROM events WHERE callback_id='$ID' ORDER BY rowid)")" = \
	'offered declined' ] || fail "declined events: $(sqlite3 "$DB" \
	"SELECT type FROM events WHERE callback_id='$ID'")"
[ "$(invites bob)" = 0 ] || fail "bob's phone was called"
ok "bob declines the next one: queued again, no attempt spent, not a miss, nothing dialed"

sipp_wait cust alice
ok "the phones: one call each for alice and the customer"

stop_beckon
