#!/bin/sh
# A supervisor listens to a live call (issue 11), with real peers: beckon
# serve with its dialer and a real rtpengine; a phone customer through
# the trunk (baresip, 440 Hz) answered on alice's desk (Chromium, 880 Hz);
# bob (supervisor) in another Chromium whose microphone plays 659 Hz
# listens from the supervisor view (tests/browser/listen.mjs; a second
# listen meanwhile is 409 listening). bob's page
# hears both tones mixed, alice and the customer never hear bob; Stop,
# the page closed and the call's end each end the listener leg and
# rtpengine is left empty. Then the endpoint's refusals, by raw clients:
# an agent (403), no CSRF token (403), another business's callback
# (404), a callback that is not connected (409), DELETE of what is not listened to (404) or of another action (405).
. "$(dirname "$0")/../lib/common.sh"
. "$BECKON_SRC/tests/sipp/lib/dialer.sh"

need_browser

start_rtpengine rtpe
start_dialer listen --demo --rtpengine "udp:$RTPE_NG" \
	--www_dir "$BECKON_SRC/share/www"
export BECKON_SERVER="$URL" BECKON_TOKEN=demo
J='Content-Type: application/json'

"$BECKON" agent set alice --endpoint desk --wrap_up 0 --auto_answer 1 \
	>/dev/null || fail "agent set alice"

sox -n -r 48000 -c 1 -b 16 "$T/mic880.wav" synth 90 sine 880 vol 0.5
sox -n -r 48000 -c 1 -b 16 "$T/mic659.wav" synth 90 sine 659 vol 0.5
# the customer speaks softly: the desk's microphone comes through
# Chromium's audio processing about 20 dB down, and a mix of a loud and
# a faint tone would not show the faint one
sox -n -r 8000 -c 1 -b 16 "$T/c440.wav" synth 60 sine 440 vol 0.05
CUST_CTRL=$(free_port)
start_baresip cust "$TRUNK_PORT" "$CUST_CTRL" "$T/c440.wav" PCMU \
	"<sip:+14155550100@127.0.0.1>;regint=0;answermode=auto"

mkdir -p "$T/pages"
node "$BECKON_SRC/tests/browser/listen.mjs" "$URL" "$T/mic880.wav" \
	"$T/mic659.wav" "$T/pages" >"$T/pages.out" 2>&1 || {
	cat "$T/pages.out" >&2
	fail "the supervisor's listening"
}
sed 's/^/  pages: /' "$T/pages.out"
M="$T/pages/marks.json"
ID=$(cat "$T/pages/phone.id")

# bob hears the customer and alice at once: media may start half a
# second after "listening" on a loaded machine
S=$(jq .sup_l1 "$M")
$TONES "$T/pages/sup.wav" 440+880 "$(awk "BEGIN { print $S + 0.6 }")" \
	"$(awk "BEGIN { print $S + 3.6 }")" 0.7 ||
	fail "bob does not hear both the customer (440) and alice (880)"
ok "the supervisor's page hears the customer (440 Hz) and the agent \
(880 Hz) mixed"

# alice hears the customer alone while bob listens (and talks, 659 Hz)
A=$(jq .desk_l1 "$M")
$TONES "$T/pages/desk.wav" 440 "$(awk "BEGIN { print $A + 0.3 }")" \
	"$(awk "BEGIN { print $A + 3.6 }")" 0.8 ||
	fail "alice does not hear the customer while bob listens"
$TONES "$T/pages/desk.wav" '!659' 0 "$(soxi -D "$T/pages/desk.wav")" 1 ||
	fail "alice hears bob"
CUST_WAV=$(ls -t "$T"/cust/dump-*-dec.wav | head -n 1)
[ -f "$CUST_WAV" ] || fail "no dump of what the customer heard"
dur=$(soxi -D "$CUST_WAV")
L3=$(jq .l3_s "$M")
$TONES "$CUST_WAV" 880 "$(awk "BEGIN { print $dur - $L3 + 0.3 }")" \
	"$(awk "BEGIN { print $dur - 0.3 }")" 0.8 ||
	fail "the customer does not hear alice while bob listens"
$TONES "$CUST_WAV" '!659' 0 "$dur" 1 || fail "the customer hears bob"
ok "alice and the customer hear each other and never bob"

# the dialer's log: three listens, each leg ended (Stop and the page
# closed: listener_hangup; the call's end: agent_hangup), one rtpengine
# call each
[ "$(grep -c "call $ID: webrtc:listen.bob listens" "$T/listen.log")" = 3 ] ||
	fail "not three listens: $(grep "call $ID: .*listen" "$T/listen.log")"
[ "$(grep -c "call $ID: listener leg_ended: listener_hangup" \
	"$T/listen.log")" = 2 ] || fail "Stop and the page closed: \
$(grep "call $ID: listener" "$T/listen.log")"
grep -q "call $ID: listener leg_ended: agent_hangup" "$T/listen.log" ||
	fail "the call's end did not end the listener"
"$NG" "udp:$RTPE_NG" list >"$T/list.json" || fail "ng list"
[ "$(jq -c .calls "$T/list.json")" = '[]' ] ||
	fail "rtpengine still holds $(jq -c .calls "$T/list.json")"
ok "Stop, the page closed and the call's end each end the listener leg \
(the dialer's leg_ended), rtpengine holds no call after"

# ---- the endpoint's refusals, raw clients
agent_login alice
agent_login bob
listen() {
	req "${2:-POST}" "/agent/api/supervisor/callbacks/$1/listen" \
		-H "$C_bob" -H "$J" -H "X-CSRF-Token: $CSRF_bob" --data '{}'
}
listen "$ID"
expect_error 409 not_connected
expect_jv .error.message "the callback is completed, not connected: only a \
call in progress can be listened to"
req POST "/agent/api/supervisor/callbacks/$ID/listen" -H "$C_alice" \
	-H "$J" -H "X-CSRF-Token: $CSRF_alice" --data '{}'
expect_error 403 forbidden
req POST "/agent/api/supervisor/callbacks/$ID/listen" -H "$C_bob" \
	-H "$J" --data '{}'
expect_error 403 csrf
"$BECKON" business add far --timezone UTC --origins https://far.example \
	>/dev/null || fail "business add far"
post_json '{"business":"far","phone":"+14155550185"}'
expect_status 202
F=$(jv .id)
listen "$F"
expect_error 404 not_found
listen "$F" DELETE
expect_error 404 not_listening
req DELETE "/agent/api/supervisor/callbacks/$F/cancel" -H "$C_bob" \
	-H "$J" -H "X-CSRF-Token: $CSRF_bob"
expect_error 405 method_not_allowed
ok "listen refused: an agent (403 forbidden), no CSRF token (403), \
another business's callback (404), a completed one (409 not_connected, \
why said); DELETE of no listen (404), of an action (405)"

stop_beckon
