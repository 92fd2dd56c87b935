#!/bin/sh
# Exactly once across a crash: kill -9 the server while one callback is
# on a call and two are queued; after the restart the interrupted one is
# recorded as such and retried later, the queued ones are called, and no
# number is dialed twice (INVITEs counted at the sipp trunk).
. "$(dirname "$0")/../lib/common.sh"

command -v sipp >/dev/null || fail "sipp is not installed"
SIP=$(free_port)
CUST=$(free_port)
AGENT=$(free_port)
CTL=$(free_port)

start_sipp cust uas_answer "$CUST" 10
start_sipp agent uas_answer "$AGENT" 10

ARGS="--demo --dialer local --sip_listen 127.0.0.1:$SIP
	--control_listen 127.0.0.1:$CTL --prompt_dir $BECKON_SRC/share/prompts"
# shellcheck disable=SC2086
start_beckon crash $ARGS --trunk_uri "sip:\${e164}@127.0.0.1:$CUST;user=phone"
export BECKON_SERVER="$URL" BECKON_TOKEN=demo
"$BECKON" agent set alice --endpoint "sip:alice@127.0.0.1:$AGENT" >/dev/null
"$BECKON" agent state alice available >/dev/null

post_json '{"business":"demo","phone":"+14155550190"}'
A=$(jv .id)
wait_status "$A" connected
post_json '{"business":"demo","phone":"+14155550191"}'
B=$(jv .id)
post_json '{"business":"demo","phone":"+14155550192"}'
C=$(jv .id)
req GET "/v1/callbacks/$C"
expect_jv .status queued
expect_jv .position 2
ok "one callback on a call, two queued behind it"

kill -KILL "$PID"
wait "$PID" 2>/dev/null || true
# shellcheck disable=SC2086
start_beckon crash $ARGS --trunk_uri "sip:\${e164}@127.0.0.1:$CUST;user=phone"

# the call that was up when the process died
req GET "/v1/callbacks/$A"
expect_jv .status scheduled
[ "$(jv '[.events[].type] | index("interrupted") != null')" = true ] ||
	fail "no interrupted event: $(jv '[.events[].type]')"
expect_jv '.events[-1].type' retry_scheduled
ok "the call in flight is recorded as interrupted and retried later"

# alice was on that call: she is free again, and B is called now
wait_status "$B" connected
req GET "/v1/callbacks/$C"
expect_jv .status queued
expect_jv .position 1
ok "after the restart the queue goes on: B is called, C is next"

[ "$(invites cust +14155550190)" = 1 ] || fail "A dialed $(invites cust +14155550190) times"
[ "$(invites cust +14155550191)" = 1 ] || fail "B dialed $(invites cust +14155550191) times"
[ "$(invites cust +14155550192)" = 0 ] || fail "C dialed already"
ok "INVITEs at the trunk: A once, B once, C not yet: none twice, none lost"

stop_beckon
