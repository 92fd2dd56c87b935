#!/bin/sh
# A supervisor who acts (issue 13), against a real server with its
# dialer, sipp phones and a real webhook receiver: why each waiting
# callback waits (nobody logged in, away, outside hours, scheduled, the
# agent or team assigned, busy), cancel, reschedule, move to the front,
# assign to an agent or a team, put an agent away and log them out. Only
# supervisors (bob), only with the CSRF token; a callback no longer
# waiting (canceled, connected) is a 409 naming its status and nothing
# changes; every action is an event naming bob, in the history and in
# the webhooks.
. "$(dirname "$0")/../lib/common.sh"

command -v sipp >/dev/null || fail "sipp is not installed"
SIP=$(free_port)
CUST=$(free_port)
ALICE=$(free_port)
CTL=$(free_port)
R=$(free_port)
SECRET=whsec-test-0123456789
J='Content-Type: application/json'

start_sipp cust uas_answer "$CUST" 1
start_sipp alice uas_answer "$ALICE" 1
python3 "$BECKON_SRC/tests/integration/webhook_receiver.py" "$R" \
	"$SECRET" "$T/hook.got" >"$T/hook.out" 2>&1 &
PIDS="$PIDS $!"

start_beckon sup --demo --dialer local --sip_listen "127.0.0.1:$SIP" \
	--control_listen "127.0.0.1:$CTL" --webhook_allow_private yes \
	--prompt_dir "$BECKON_SRC/share/prompts" --ring_timeout 30 \
	--trunk_uri "sip:\${e164}@127.0.0.1:$CUST;user=phone"
export BECKON_SERVER="$URL" BECKON_TOKEN=demo
"$BECKON" agent set alice --endpoint "sip:alice@127.0.0.1:$ALICE" \
	>/dev/null || fail "agent set alice"
"$BECKON" webhook add demo --url "http://127.0.0.1:$R/hook" \
	--secret "$SECRET" >/dev/null || fail "webhook add"
# a business closed all day today (UTC), bob's too
"$BECKON" business add night --timezone UTC --hours "daily 00:00-24:00" \
	--closed "$(date -u +%F)" --origins https://night.example \
	>/dev/null || fail "business add night"
"$BECKON" agent set bob --businesses "demo night" >/dev/null ||
	fail "agent set bob"

agent_login alice
agent_login bob

# sup PATH [JSON]: bob acts
sup() {
	req POST "/agent/api/supervisor/$1" -H "$C_bob" -H "$J" \
		-H "X-CSRF-Token: $CSRF_bob" --data "${2:-{\}}"
}

# view: bob's supervisor view; q ID FIELD: that field of ID's queue row
view() {
	req GET /agent/api/supervisor -H "$C_bob"
	expect_status 200 "supervisor view"
}
q() {
	printf '%s' "$BODY" | jq -r --arg id "$1" \
		".queue[] | select(.id == \$id) | $2"
}

post_json '{"business":"demo","phone":"+14155550181","name":"Ann"}'
expect_status 202
A=$(jv .id)
post_json '{"business":"demo","phone":"+14155550182","name":"Ben"}'
expect_status 202
B=$(jv .id)
post_json '{"business":"demo","phone":"+14155550183","name":"Cy",
  "agent":"sales"}'
expect_status 202
C=$(jv .id)
post_json '{"business":"night","phone":"+14155550184"}'
expect_status 202
N=$(jv .id)
expect_jv .status scheduled

view
[ "$(q "$A" .why)" = no_agent_logged_in ] || fail "A: $BODY"
[ "$(q "$A" .why_until)" = null ] || fail "A until: $BODY"
[ "$(q "$C" .why)" = no_agent_logged_in ] || fail "C: $BODY"
req POST /agent/api/state -H "$C_alice" -H "$J" \
	-H "X-CSRF-Token: $CSRF_alice" --data '{"state":"away"}'
expect_status 200
view
[ "$(q "$C" .why)" = agents_away ] || fail "C with alice away: $BODY"
[ "$(q "$A" .why)" = agents_away ] || fail "A with alice away: $BODY"
[ "$(q "$N" .why)" = outside_hours ] || fail "N: $BODY"
[ "$(q "$N" .why_until | cut -c1-10)" = "$(date -u -d tomorrow +%F)" ] ||
	fail "N until: $BODY"
ok "why: nobody logged in, then the one who could is away; outside hours"

# only supervisors, only with the CSRF token, only their callbacks
req POST "/agent/api/supervisor/callbacks/$A/cancel" -H "$C_alice" \
	-H "$J" -H "X-CSRF-Token: $CSRF_alice" --data '{}'
expect_error 403 forbidden
req POST "/agent/api/supervisor/callbacks/$A/cancel" -H "$C_bob" \
	-H "$J" --data '{}'
expect_error 403 csrf
req POST "/agent/api/supervisor/callbacks/$A/cancel" -H "$J" --data '{}'
expect_error 401 not_logged_in
sup "callbacks/$A/explode"
expect_error 404 not_found
# listening needs WebRTC, which this server (no rtpengine) has not
sup "callbacks/$A/listen"
expect_error 503 no_webrtc
sup "callbacks/cb_nosuchcallbackatall0000000000/cancel"
expect_error 404 not_found
"$BECKON" business add far --timezone UTC --origins https://far.example \
	>/dev/null || fail "business add far"
post_json '{"business":"far","phone":"+14155550185"}'
expect_status 202
F=$(jv .id)
sup "callbacks/$F/cancel"
expect_error 404 not_found
wait_status "$F" queued 1
sup "callbacks/$A/reschedule" '{"when":"yesterday"}'
expect_error 400 invalid_field when
sup "callbacks/$A/assign" '{}'
expect_error 400 invalid_field agent
sup "callbacks/$A/assign" '{"team":"nosuchteam"}'
expect_error 400 invalid_field team
sup "callbacks/$A/assign" '{"agent":"nobody"}'
expect_error 400 invalid_field agent
sup "agents/alice/state" '{"state":"available"}'
expect_error 400 invalid_field state
view
[ "$(printf '%s' "$BODY" | jq '.queue | length')" = 4 ] || fail "$BODY"
ok "agents, no CSRF token, no session, another business, a listen" \
	"with no WebRTC (503): refused; bad fields named; nothing changed"

# the front; an assignment to bob, who is offline; a reschedule; a cancel
sup "callbacks/$C/front"
expect_status 200 "front"
expect_jv .done front
sup "callbacks/$A/assign" '{"agent":"bob"}'
expect_status 200 "assign"
sup "callbacks/$B/reschedule" '{"when":"2099-01-02T10:00:00Z"}'
expect_error 400 invalid_field when
WHEN=$(date -u -d '+2 days' +%Y-%m-%dT10:00:00Z)
sup "callbacks/$B/reschedule" "{\"when\":\"$WHEN\"}"
expect_status 200 "reschedule"
view
[ "$(q "$C" .position)" = 1 ] || fail "C not first: $BODY"
[ "$(q "$A" .assigned)" = agent:bob ] || fail "A assigned: $BODY"
[ "$(q "$A" .why)" = no_agent_logged_in ] || fail "A for bob: $BODY"
[ "$(q "$B" .status)" = scheduled ] || fail "B: $BODY"
[ "$(q "$B" .why)" = scheduled ] || fail "B why: $BODY"
[ "$(q "$B" .why_until | cut -c1-16)" = "$(echo "$WHEN" | cut -c1-16)" ] ||
	fail "B until: $BODY"
ok "front: C first; A assigned to bob (offline); B scheduled for a time"

sup "callbacks/$B/cancel"
expect_status 200 "cancel"
wait_status "$B" canceled
sup "callbacks/$B/cancel"
expect_error 409 not_waiting
printf '%s' "$BODY" | grep -q canceled || fail "409 says: $BODY"
req GET "/agent/api/callbacks/$B" -H "$C_bob"
expect_status 200
[ "$(jv '[.callback.events[] | select(.type == "supervised") |
	.data.action + ":" + .data.by] | join(" ")')" = \
	"reschedule:bob cancel:bob" ] || fail "B's history: $BODY"
req GET "/v1/callbacks/$B"
[ "$(jv '[.events[] | select(.type == "supervised")] | length')" = 0 ] ||
	fail "the customer sees who: $BODY"
expect_jv '.events[-1].data.by' supervisor
ok "cancel: B canceled; again: 409 naming it; history names bob (not public)"

# alice available: C (first, team sales) goes to her, then connects;
# A stays for bob
req POST /agent/api/state -H "$C_alice" -H "$J" \
	-H "X-CSRF-Token: $CSRF_alice" --data '{"state":"available"}'
expect_status 200
wait_status "$C" connected
view
[ "$(q "$A" .status)" = queued ] || fail "A was taken: $BODY"
[ "$(q "$A" .why)" = no_agent_logged_in ] || fail "A: $BODY"
sup "callbacks/$C/cancel"
expect_error 409 not_waiting
printf '%s' "$BODY" | grep -q connected || fail "409 says: $BODY"
sup "callbacks/$C/front"
expect_error 409 not_waiting
sup "agents/alice/state" '{"state":"away"}'
expect_error 409 agent_busy
wait_status "$C" connected 1
ok "C went first, to alice; A waits for bob; a call: 409s, nothing changed"

# reassigned to the team billing (alice's): A waits for her, busy
sup "callbacks/$A/assign" '{"team":"billing"}'
expect_status 200 "assign team"
view
[ "$(q "$A" .assigned)" = billing ] || fail "A team: $BODY"
[ "$(q "$A" .why)" = all_agents_busy ] || fail "A with alice busy: $BODY"
sup "callbacks/$A/assign" '{"agent":"bob"}'
expect_status 200 "assign back"
req POST "/agent/api/callbacks/$C/hangup" -H "$C_alice" -H "$J" \
	-H "X-CSRF-Token: $CSRF_alice" --data '{}'
expect_status 200 "hangup"
wait_status "$C" completed
ok "A assigned to the team billing waits for alice, on a call; then bob's"

# away, then logged out by bob: her session ends
i=0
until sup "agents/alice/state" '{"state":"away"}' && [ "$STATUS" = 200 ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "alice never free: $BODY"
	sleep 0.1
done
view
[ "$(printf '%s' "$BODY" | jq -r '.agents[] | select(.id == "alice") |
	.state + "|" + .reason')" = "away|set away by supervisor bob" ] ||
	fail "alice: $BODY"
sup "agents/alice/state" '{"state":"offline"}'
expect_status 200 "log out"
req GET /agent/api/me -H "$C_alice"
expect_error 401 not_logged_in
view
[ "$(printf '%s' "$BODY" | jq -r '.agents[] | select(.id == "alice") |
	.reason')" = "logged out by supervisor bob" ] || fail "alice: $BODY"
[ "$(q "$A" .why)" = no_agent_logged_in ] || fail "A: $BODY"
ok "alice set away, then logged out by bob (her session ended)"

# the webhooks: the same events, naming bob
i=0
until grep -q "callback.supervised $A" "$T/hook.got" 2>/dev/null &&
	grep -q 'agent.presence agent:alice offline' "$T/hook.got"; do
	i=$((i + 1))
	[ $i -lt 200 ] || fail "webhooks: $(cat "$T/hook.got")"
	sleep 0.05
done
[ "$(jq -r "select(.type == \"callback.supervised\" and
	.callback.id == \"$B\") | .data.action + \":\" + .data.by" \
	"$T/hook.got.json" | tr '\n' ' ')" = "reschedule:bob cancel:bob " ] ||
	fail "B's webhooks: $(cat "$T/hook.got")"
# (the away of bob's may come during the wrap-up or after it)
SEQ='^away available offered on_call wrap_up (available )?away offline $'
jq -r 'select(.type == "agent.presence") | .data.state' "$T/hook.got.json" |
	tr '\n' ' ' | grep -Eq "$SEQ" || fail "presence: $(cat "$T/hook.got")"
jq -e 'select(.type == "agent.presence") | select(.data.state ==
	"offline") | .data.reason == "logged out by supervisor bob" and
	.data.previous == "away" and .business == "demo"' \
	"$T/hook.got.json" >/dev/null || fail "offline: $(cat "$T/hook.got")"
ok "webhooks: callback.supervised naming bob, and alice's every presence"

stop_beckon
