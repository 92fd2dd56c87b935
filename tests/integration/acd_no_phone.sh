#!/bin/sh
# Nobody left waiting for nothing (issue 14), with real SIP peers: sipp
# plays the customer behind the trunk and an agent's phone that answers
# 503. An agent whose softphone is not registered cannot go Available
# (409 phone_unreachable, the reason said), the customer is not called
# and the business says nobody can call now; an agent whose phone answers 503 is set away at once with the
# reason, and the customer, with nobody left, hears goodbye and is
# retried as no_agent, long before max_hold.
. "$(dirname "$0")/../lib/common.sh"

command -v sipp >/dev/null || fail "sipp is not installed"
SIP=$(free_port)
CUST=$(free_port)
AGENT=$(free_port)
CTL=$(free_port)

start_sipp cust uas_answer "$CUST" 1
start_sipp agent uas_unavailable "$AGENT" 1

start_beckon nophone --demo --dialer local --sip_listen "127.0.0.1:$SIP" \
	--control_listen "127.0.0.1:$CTL" \
	--prompt_dir "$BECKON_SRC/share/prompts" \
	--trunk_uri "sip:\${e164}@127.0.0.1:$CUST;user=phone"

export BECKON_SERVER="$URL" BECKON_TOKEN=demo
"$BECKON" business set demo --max_hold 120 >/dev/null ||
	fail "business set"

# alice is the demo's softphone agent, never registered
agent_login alice
req POST /agent/api/state -H "$C_alice" -H "X-CSRF-Token: $CSRF_alice" \
	-H 'Content-Type: application/json' --data '{"state":"available"}'
expect_error 409 phone_unreachable endpoint
expect_jv .error.message "your phone is your softphone, and it is not \
registered: register it (your agent id as the SIP user, your SIP password), \
then choose Available"
"$BECKON" agent state alice available >"$T/admin.out" 2>&1 &&
	fail "the admin set alice available with no phone registered"
grep -q "phone_unreachable" "$T/admin.out" ||
	fail "the CLI does not say why: $(cat "$T/admin.out")"
[ "$(sqlite3 "$DB" "SELECT state FROM agents WHERE id='alice'")" = \
	offline ] || fail "alice is not offline"
req GET /v1/businesses/demo
expect_status 200
expect_jv .now.ok false
expect_jv .now.reason no_agent
expect_jv .now.agents_available false
expect_jv .now.wait_s null
ok "Available with a softphone not registered: 409 phone_unreachable \
with the reason (desk and admin), alice stays offline; now.ok false, \
no_agent"

post_json '{"business":"demo","phone":"+14155550190"}'
expect_status 202
ID=$(jv .id)
# nothing to wait for: only time shows that nothing is dialed
sleep 1
req GET "/v1/callbacks/$ID"
expect_jv .status queued
[ "$(invites cust)" = 0 ] || fail "the customer was called"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM events WHERE callback_id='$ID'
	AND type='offered'")" = 0 ] || fail "offered to alice"
ok "the customer is not called while no agent has a reachable phone"

# bob, on a phone that answers 503, becomes available: the customer is
# called, answers, bob's leg fails: bob away at once, the customer told
# goodbye and retried with the real reason
"$BECKON" agent set bob --endpoint "sip:bob@127.0.0.1:$AGENT" >/dev/null ||
	fail "agent set bob"
"$BECKON" agent state bob available >/dev/null || fail "bob"
wait_status "$ID" scheduled 30
req GET "/v1/callbacks/$ID"
expect_jv '.events[-1].type' retry_scheduled
expect_jv '.events[-1].data.reason' no_agent
held=$(sqlite3 "$DB" "SELECT (SELECT t FROM events WHERE callback_id='$ID'
	AND type='retry_scheduled') - (SELECT t FROM events WHERE
	callback_id='$ID' AND type='answered')")
[ "$held" -lt 60000 ] || fail "held $held ms"
[ "$(sqlite3 "$DB" "SELECT json_extract(data, '\$.reason') ||
	json_extract(data, '\$.sip') FROM events WHERE callback_id='$ID'
	AND type='agent_failed'")" = unreachable503 ] ||
	fail "agent_failed: $(sqlite3 "$DB" "SELECT data FROM events
		WHERE callback_id='$ID' AND type='agent_failed'")"
[ "$(sqlite3 "$DB" "SELECT state || '|' || state_reason FROM agents
	WHERE id='bob'")" = "away|your phone cannot be reached (SIP 503)" ] ||
	fail "bob: $(sqlite3 "$DB" "SELECT state, state_reason FROM agents
		WHERE id='bob'")"
sipp_wait cust agent
ok "bob's phone answers 503: bob away with the reason at once; the" \
	"customer hears goodbye after ${held} ms on hold (max_hold 120 s)" \
	"and is retried as no_agent"

# bob's desk says why, and the way back
agent_login bob
req GET /agent/api/me -H "$C_bob"
expect_status 200
expect_jv .agent.state away
expect_jv .agent.state_reason "your phone cannot be reached (SIP 503)"
expect_jv .agent.phone_reachable true
req GET /agent/api/me -H "$C_alice"
expect_jv .agent.phone_reachable false
ok "the desk tells bob why he is away, and alice that her phone is not" \
	"registered"
