#!/bin/sh
# The desk as a phone with the dialer in another process (`beckon serve
# --dialer tcp://...` and `beckon dialer` with rtpengine): the dialer's
# auth answer says it has WebRTC, the webrtc legs' offer, answer and
# hang-up are relayed over the call-control protocol. A visitor
# (Chromium, 440 Hz) and alice's desk (Chromium, 880 Hz) hear each
# other; bob (supervisor) listens from the supervisor view and hears both
# (the listener leg relayed too), Stop ends his leg alone, the call's end
# ends it; Hang up on the desk ends the call; the microphone refused; the
# desk reloaded while a call rings on it; a listen that reaches the
# dialer after the call's end is refused and bob's page says why
# (tests/browser/desk_remote.mjs); rtpengine is left empty. The dialer
# killed (kill -9) mid-call while bob listens: after dialer_resume the
# visitor's page, alice's desk and bob's page are told the call ended
# (dialer_lost) and bob's listen is gone (tests/browser/desk_linkdown.mjs).
# A dialer without rtpengine: the desk is refused as a phone, with why.
. "$(dirname "$0")/../lib/common.sh"
. "$BECKON_SRC/tests/sipp/lib/dialer.sh"

need_browser

DCTL=$(free_port)
export BECKON_TOKEN=demo

# run_dialer [args]: beckon dialer on DCTL; sets DPID
run_dialer() {
	"$BECKON" dialer --sip_listen "127.0.0.1:$(free_port 2)" \
		--control_listen "127.0.0.1:$DCTL" \
		--control_secret "$SECRET" --rtp_ports 30000-39999 \
		--prompt_dir "$BECKON_SRC/share/prompts" "$@" \
		>>"$T/dialer.log" 2>&1 &
	DPID=$!
	PIDS="$PIDS $DPID"
	wait_tcp "$DCTL"
}

stop_dialer() {
	kill -TERM "$DPID"
	rc=0
	wait "$DPID" || rc=$?
	[ "$rc" = 0 ] || fail "beckon dialer exited with $rc"
}

# ---- a dialer without rtpengine: the desk is no phone
run_dialer
start_beckon nortc --demo --dialer "tcp://127.0.0.1:$DCTL" \
	--control_secret "$SECRET" --sip_listen "127.0.0.1:$(free_port)"
export BECKON_SERVER="$URL"
i=0
until grep -q "dialer tcp://127.0.0.1:$DCTL: connected" "$T/nortc.log"; do
	i=$((i + 1))
	[ $i -le 200 ] || fail "the server did not connect to the dialer"
	sleep 0.05
done
"$BECKON" agent set alice --endpoint desk >/dev/null || fail "agent set"
agent_login alice
req GET /agent/api/me -H "$C_alice"
expect_jv .agent.phone.webrtc false
req POST /agent/api/state -H "$C_alice" -H "X-CSRF-Token: $CSRF_alice" \
	-H 'Content-Type: application/json' --data '{"state":"available"}'
expect_error 409 phone_unreachable endpoint
ok "a remote dialer without rtpengine: the desk says no WebRTC and \
Available is refused (409 phone_unreachable)"
stop_beckon
stop_dialer

# ---- with rtpengine at the dialer
start_rtpengine rtpe
run_dialer --rtpengine "udp:$RTPE_NG"
DB="$T/desk.db"
start_beckon desk --demo --dialer "tcp://127.0.0.1:$DCTL" \
	--control_secret "$SECRET" --sip_listen "127.0.0.1:$(free_port)" \
	--www_dir "$BECKON_SRC/share/www" --dialer_resume 2
export BECKON_SERVER="$URL"
"$BECKON" agent set alice --endpoint desk --wrap_up 0 >/dev/null ||
	fail "agent set alice"
"$BECKON" agent set bob --endpoint desk >/dev/null || fail "agent set bob"

mic_wav 440 60
mic_wav 880 60
mkdir -p "$T/pages"
node "$BECKON_SRC/tests/browser/desk_remote.mjs" "$URL" "$T/mic440.wav" \
	"$T/mic880.wav" "$T/pages" "$DPID" "$T/desk.log" >"$T/pages.out" 2>&1 || {
	cat "$T/pages.out" >&2
	fail "the desk's call through the remote dialer"
}
sed 's/^/  pages: /' "$T/pages.out"
grep -q "has WebRTC: browsers talk through it" "$T/desk.log" ||
	fail "the server did not learn that the dialer has WebRTC"

M="$T/pages/marks.json"
A=$(jq .desk "$M")
hears "$T/pages/desk.wav" 440 "$A" 3.0 0.9 ||
	fail "alice's desk does not hear the visitor"
V=$(jq .visitor "$M")
hears "$T/pages/visitor.wav" 880 "$V" 3.0 0.9 ||
	fail "the visitor does not hear alice's desk"
ok "through the remote dialer the visitor hears alice's desk (880 Hz) \
and the desk the visitor (440 Hz)"

# media may start half a second after "listening" on a loaded machine
S=$(jq .sup "$M")
$TONES "$T/pages/sup.wav" 440+880 "$(awk "BEGIN { print $S + 0.6 }")" \
	"$(awk "BEGIN { print $S + 3.0 }")" 0.7 ||
	fail "bob does not hear both the visitor (440) and alice (880)"
ID=$(jq -r .id "$M")
[ "$(grep -c "call $ID: webrtc:listen.bob listens" "$T/dialer.log")" = 2 ] ||
	fail "not two listens: $(grep "call $ID: .*listen" "$T/dialer.log")"
grep -q "call $ID: listener leg_ended: listener_hangup" "$T/dialer.log" ||
	fail "Stop did not end the listener leg: \
$(grep "call $ID: listener" "$T/dialer.log")"
grep -q "call $ID: listener leg_ended: agent_hangup" "$T/dialer.log" ||
	fail "the call's end did not end the listener"
ok "through the remote dialer bob hears the visitor (440 Hz) and alice \
(880 Hz) mixed; Stop ends his leg (listener_hangup), the call's end ends \
it (agent_hangup)"

"$NG" "udp:$RTPE_NG" list >"$T/list.json" || fail "ng list"
[ "$(jq -c .calls "$T/list.json")" = '[]' ] ||
	fail "rtpengine still holds $(jq -c .calls "$T/list.json")"
[ "$(sqlite3 "$DB" "SELECT state || '|' || state_reason FROM agents
	WHERE id='bob'")" = "offline|" ] || fail "bob: $(sqlite3 "$DB" \
	"SELECT state, state_reason FROM agents WHERE id='bob'")"
ok "after the calls, rtpengine holds none"

# ---- the dialer killed mid-call: given up after dialer_resume, and
# every browser side of the call told (tests/browser/desk_linkdown.mjs)
stop_dialer
run_dialer --rtpengine "udp:$RTPE_NG"
i=0
until [ "$(grep -c "dialer tcp://127.0.0.1:$DCTL: connected" \
	"$T/desk.log")" = 2 ]; do
	i=$((i + 1))
	[ $i -le 200 ] || fail "the server did not connect to the new dialer"
	sleep 0.05
done
node "$BECKON_SRC/tests/browser/desk_linkdown.mjs" "$URL" "$T/mic440.wav" \
	"$T/mic880.wav" "$DPID" >"$T/linkdown.out" 2>&1 || {
	cat "$T/linkdown.out" >&2
	fail "the browsers of a call given up with its dialer"
}
sed 's/^/  pages: /' "$T/linkdown.out"
wait "$DPID" 2>/dev/null || true
grep -q "the link was not back within 2 s: 1 call given up" "$T/desk.log" ||
	fail "the call was not given up"
stop_beckon
