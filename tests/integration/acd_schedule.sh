#!/bin/sh
# The ACD's clock, end to end with real SIP peers on loopback:
# - a customer who is always busy is called retry_attempts times, the
#   retries spaced by retry_delays, and the callback then ends failed
#   with the reason (INVITEs counted at the sipp trunk);
# - a request while the business is closed is scheduled for the next
#   opening (the 202 says when), nothing is dialed before it, and the
#   call is placed and bridged once the business opens.
. "$(dirname "$0")/../lib/common.sh"

command -v sipp >/dev/null || fail "sipp is not installed"
SIP=$(free_port)
CUST=$(free_port)
AGENT=$(free_port)
CTL=$(free_port)
ZONE=America/New_York

start_sipp busy uas_busy "$CUST" 3
start_sipp agent uas_answer "$AGENT" 1

start_beckon sched --demo --dialer local --sip_listen "127.0.0.1:$SIP" \
	--control_listen "127.0.0.1:$CTL" \
	--prompt_dir "$BECKON_SRC/share/prompts" \
	--trunk_uri "sip:\${e164}@127.0.0.1:$CUST;user=phone"

export BECKON_SERVER="$URL" BECKON_TOKEN=demo
"$BECKON" business set demo --retry_attempts 3 --retry_delays "1 2" \
	>/dev/null || fail "business set retries"
"$BECKON" agent set alice --endpoint "sip:alice@127.0.0.1:$AGENT" \
	>/dev/null || fail "agent set alice"
"$BECKON" agent state alice available >/dev/null || fail "alice"

# ---- busy three times, then failed
post_json '{"business":"demo","phone":"+14155550191"}'
expect_status 202
ID=$(jv .id)
wait_status "$ID" failed 30
req GET "/v1/callbacks/$ID"
expect_jv '.events[-1].type' failed
expect_jv '.events[-1].data.reason' busy
N=$(echo "$BODY" | jq '[.events[] | select(.type == "retry_scheduled")]
	| length')
[ "$N" = 2 ] || fail "$N retries scheduled, expected 2"
rc=0
wait "$PID_busy" || rc=$?
[ "$rc" = 0 ] || fail "sipp busy exited $rc"
[ "$(invites busy)" = 3 ] || fail "$(invites busy) INVITEs, expected 3"
# the second retry waited its 2 s (the store has the times)
GAP=$(sqlite3 "$DB" "SELECT max(t) - min(t) FROM events
	WHERE callback_id='$ID' AND type='dialing'")
[ "$GAP" -ge 3000 ] || fail "attempts $GAP ms apart, expected >= 3000"
ok "a busy customer is called 3 times, 1 s then 2 s apart, then failed"

# ---- closed now: scheduled for the opening, called then
start_sipp cust uas_answer "$CUST" 1

# The business opens at the next whole minute (its own zone). Near the
# end of a minute the POST could race the opening, and "24:00" cannot
# be an opening time: wait those out.
while :; do
	S=$(TZ=$ZONE date +%S)
	HM=$(TZ=$ZONE date +%H%M)
	[ "${S#0}" -le 50 ] && [ "$HM" != 2359 ] && break
	sleep 1
done
OPEN_AT=$(TZ=$ZONE date -d '+1 minute' +%H:%M)
OPEN_UTC=$(date -u -d "$(TZ=$ZONE date -d '+1 minute' \
	'+%Y-%m-%d %H:%M:00 %z')" +%Y-%m-%dT%H:%M:00.000Z)
"$BECKON" business set demo --hours "daily $OPEN_AT-24:00" >/dev/null ||
	fail "business set hours"

post_json '{"business":"demo","phone":"+14155550192"}'
expect_status 202
expect_jv .status scheduled
expect_jv .scheduled_for "$OPEN_UTC"
ID2=$(jv .id)
ok "closed: the 202 says scheduled for the opening, $OPEN_UTC"

sleep 2
[ "$(invites cust)" = 0 ] || fail "dialed before the opening"
req GET "/v1/callbacks/$ID2"
expect_jv .status scheduled

wait_status "$ID2" connected 75
FIRST=$(sqlite3 "$DB" "SELECT min(t) FROM events
	WHERE callback_id='$ID2' AND type='dialing'")
OPEN_MS=$(($(date -u -d "$OPEN_UTC" +%s) * 1000))
[ "$FIRST" -ge "$OPEN_MS" ] ||
	fail "dialed at $FIRST, before the opening at $OPEN_MS"
[ "$(invites cust)" = 1 ] || fail "$(invites cust) INVITEs, expected 1"
ok "called once the business opened, and bridged"

stop_beckon
