#!/bin/sh
# A call in the browser across a kill -9: its page talked to the process
# that died, over a voice socket whose secret only that process knew, so
# after the restart no attempt could reach it. It must fail at once with
# the reason browser_gone instead of waiting to dial a browser leg nobody
# answers, while a phone callback queued beside it waits as before.
. "$(dirname "$0")/../lib/common.sh"

start_rtpengine rtpe
ARGS="--demo --dialer local --rtpengine udp:$RTPE_NG
	--sip_listen 127.0.0.1:$(free_port)
	--trunk_proxy sip:127.0.0.1:$(free_port)"
# shellcheck disable=SC2086
start_beckon voice $ARGS
export BECKON_SERVER="$URL" BECKON_TOKEN=demo
"$BECKON" agent state alice away >/dev/null || fail "alice away"
"$BECKON" agent state bob away >/dev/null || fail "bob away"

post_json '{"business":"demo","voice":"browser"}'
expect_status 202 "voice browser"
V=$(jv .id)
[ "$(jv .voice_secret)" != null ] || fail "no voice_secret: $BODY"
post_json '{"business":"demo","phone":"+14155550193"}'
expect_status 202 "a phone callback"
P=$(jv .id)
wait_status "$V" queued
wait_status "$P" queued
ok "a call in the browser and a phone callback wait, no agent free"

kill -KILL "$PID"
wait "$PID" 2>/dev/null || true
# shellcheck disable=SC2086
start_beckon voice $ARGS

wait_status "$V" failed 5
req GET "/v1/callbacks/$V"
expect_jv '.events[-1].type' failed
expect_jv '.events[-1].data.reason' browser_gone
[ "$(jv '[.events[].type] | index("dialing")')" = null ] ||
	fail "the browser's callback was dialed: $(jv '[.events[].type]')"
grep -q "$V: a call in the browser whose page was on the stopped" \
	"$T/voice.log" || fail "no log line for the failed browser call"
ok "after kill -9: the browser's callback failed (browser_gone), not dialed"

req GET "/v1/callbacks/$P"
expect_jv .status queued
ok "the phone callback still waits for an agent"

stop_beckon
stop_rtpengine rtpe
