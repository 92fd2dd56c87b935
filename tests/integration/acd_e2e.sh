#!/bin/sh
# From a POST to a bridged call and back, with real SIP peers on loopback:
# sipp plays the customer behind the trunk and the agent's desk phone.
# The callback is routed to the agent by its page URL, both legs answer,
# the call is bridged, the agent hangs up from the desktop API, and the
# history records every step; a busy customer is retried later.
. "$(dirname "$0")/../lib/common.sh"

command -v sipp >/dev/null || fail "sipp is not installed"
SIP=$(free_port)
CUST=$(free_port)
AGENT=$(free_port)
CTL=$(free_port)

start_sipp cust uas_answer "$CUST" 1
start_sipp agent uas_answer "$AGENT" 1

start_beckon e2e --demo --dialer local --sip_listen "127.0.0.1:$SIP" \
	--control_listen "127.0.0.1:$CTL" --prompt_dir "$BECKON_SRC/share/prompts" \
	--trunk_uri "sip:\${e164}@127.0.0.1:$CUST;user=phone"

export BECKON_SERVER="$URL" BECKON_TOKEN=demo
"$BECKON" agent set alice --endpoint "sip:alice@127.0.0.1:$AGENT" \
	--skills billing >/dev/null || fail "agent set"
"$BECKON" agent set bob --endpoint "sip:bob@127.0.0.1:9" \
	--skills sales >/dev/null || fail "agent set bob"
"$BECKON" rule add demo --match_url 'http://127.0.0.1:*/billing*' \
	--skills billing >/dev/null || fail "rule add"
"$BECKON" agent state alice available >/dev/null || fail "alice"
"$BECKON" agent state bob available >/dev/null || fail "bob"

# the page says billing: alice (billing), not bob, who idled longer
post_json '{"business":"demo","phone":"+14155550180",
  "page_url":"http://127.0.0.1:8000/billing/invoice","name":"Cy"}'
expect_status 202
ID=$(jv .id)
wait_status "$ID" connected
req GET "/v1/callbacks/$ID"
EVENTS=$(jv '[.events[].type] | join(" ")')
case "$EVENTS" in
created\ dialing*ringing*answered*bridged*) ;;
*) fail "public events: $EVENTS" ;;
esac
[ "$(sqlite3 "$DB" "SELECT agent_id FROM callbacks WHERE id='$ID'")" \
	= alice ] || fail "routed to $(sqlite3 "$DB" "SELECT agent_id FROM callbacks WHERE id='$ID'")"
[ "$(sqlite3 "$DB" "SELECT json_extract(data, '$.rule') FROM events
	WHERE callback_id='$ID' AND type='offered'")" != "" ] || fail "rule event"
ok "POST -> routed by page URL to alice -> customer and agent answer -> bridged"

# alice hangs up from her desktop
req POST /agent/api/login -H 'Content-Type: application/json' \
	--data '{"login":"alice","password":"demo"}'
expect_status 200
CSRF=$(jv .csrf)
COOKIE=$(hdr Set-Cookie | sed 's/^beckon_session=\([^;]*\);.*/\1/')
req POST "/agent/api/callbacks/$ID/hangup" -H "Cookie: beckon_session=$COOKIE" \
	-H "X-CSRF-Token: $CSRF"
expect_status 200 "hangup"
wait_status "$ID" completed
req GET "/v1/callbacks/$ID"
expect_jv '.events[-1].type' ended
expect_jv '.events[-1].data.reason' agent_hangup
ok "the agent hangs up from the desktop: completed, ended with agent_hangup"

# both phones saw one call and its BYE
sipp_wait cust agent
ok "sipp customer and agent each completed exactly one call"

# wrap-up: a sale, recorded once
req POST "/agent/api/callbacks/$ID/wrapup" -H "Cookie: beckon_session=$COOKIE" \
	-H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json' \
	--data '{"disposition":"sale","product":"Bike","quantity":1,"amount":"499.90","currency":"USD","ready":true}'
expect_status 200 "wrap-up"
[ "$(sqlite3 "$DB" "SELECT disposition||amount_cents||currency FROM outcomes
	WHERE callback_id='$ID'")" = sale49990USD ] || fail "outcome"
req POST "/agent/api/callbacks/$ID/wrapup" -H "Cookie: beckon_session=$COOKIE" \
	-H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json' \
	--data '{"disposition":"sale"}'
expect_error 409 already_recorded
req GET "/agent/api/callbacks/$ID" -H "Cookie: beckon_session=$COOKIE"
expect_status 200 "screen pop after the wrap-up"
expect_jv '.callback.outcome.disposition' sale
expect_jv '.callback.outcome.agent' alice
expect_jv '.callback.outcome.product' Bike
expect_jv '.callback.outcome.amount_cents' 49990
expect_jv '.callback.outcome.currency' USD
expect_jv '.callback.events[-1].type' wrap_up
ok "wrap-up: the sale is stored once, and the screen pop shows it"

# a busy customer: retried later, per policy
start_sipp busy uas_busy "$CUST" 1
"$BECKON" agent state alice available >/dev/null 2>&1 || true
post_json '{"business":"demo","phone":"+14155550181",
  "page_url":"http://127.0.0.1:8000/billing/x"}'
expect_status 202
ID2=$(jv .id)
wait_status "$ID2" scheduled
req GET "/v1/callbacks/$ID2"
expect_jv '.events[-1].type' retry_scheduled
expect_jv '.events[-1].data.reason' busy
expect_jv '.events[-1].data.sip' 486
rc=0
wait "$PID_busy" || rc=$?
[ "$rc" = 0 ] || fail "sipp busy exited $rc"
ok "a busy customer (486): retry scheduled, attempt 1 of 3"

# an agent who does not take the call: the customer stays on hold and
# the next agent gets it
BOBPORT=$(free_port)
start_sipp cust2 uas_answer "$CUST" 1
start_sipp alicebusy uas_busy "$AGENT" 1
start_sipp bobphone uas_answer "$BOBPORT" 1
"$BECKON" agent set bob --endpoint "sip:bob@127.0.0.1:$BOBPORT" \
	--skills billing >/dev/null || fail "bob billing"
# bob becomes available last, so alice (idle longer) is offered first
"$BECKON" agent state alice available >/dev/null 2>&1 || true
"$BECKON" agent state bob away >/dev/null || fail "bob away"
"$BECKON" agent state bob available >/dev/null || fail "bob available"
post_json '{"business":"demo","phone":"+14155550182",
  "page_url":"http://127.0.0.1:8000/billing/y"}'
expect_status 202
ID3=$(jv .id)
wait_status "$ID3" connected
A3=$(sqlite3 "$DB" "SELECT agent_id FROM callbacks WHERE id='$ID3'")
FAILED=$(sqlite3 "$DB" "SELECT json_extract(data, '$.agent') FROM events
	WHERE callback_id='$ID3' AND type='agent_failed'")
[ -n "$FAILED" ] && [ "$A3" != "$FAILED" ] ||
	fail "agent_failed '$FAILED', connected with '$A3'"
[ "$FAILED" = alice ] && [ "$A3" = bob ] || fail "$FAILED failed, $A3 took it"
ok "alice's phone is busy: the customer stays on hold and bob takes the call"

stop_beckon
