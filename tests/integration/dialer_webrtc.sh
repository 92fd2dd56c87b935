#!/bin/sh
# A browser on a call: the dialer's webrtc leg through a real rtpengine.
# The customer is webrtc:v1, a page in headless Chromium whose
# microphone plays 440 Hz (tests/browser/webrtc.mjs is the controller and
# relays offer and answer); the agent alice is a baresip softphone
# sending 880 Hz. Checked with the audio itself (tests/sipp/lib/tones.py):
# the page hears the hold prompt, then alice; alice hears the page; the
# recording holds the page left and alice right; the page's hang-up ends
# both legs. Then, with ctl.py's fixed answers: a browser that never
# answers (no_answer), that fails ICE (webrtc_hangup media_failed), that
# answers but sends nothing (media_timeout), a browser as the agent, the
# commands' refusals; after each, rtpengine holds no call (ng list).
# Last, rtpengine down (the leg fails, reason failed) and a dialer with
# no rtpengine (webrtc endpoints refused, webrtc_unavailable).
. "$(dirname "$0")/../lib/common.sh"
. "$BECKON_SRC/tests/sipp/lib/dialer.sh"

need_browser


# rtpe_empty WHAT: rtpengine holds no call
rtpe_empty() {
	"$NG" "udp:$RTPE_NG" list >"$T/list.json" || fail "ng list"
	[ "$(jq -c .calls "$T/list.json")" = '[]' ] ||
		fail "$1: rtpengine still holds $(jq -c .calls "$T/list.json")"
}

script() {
	cat >"$T/$1.txt"
}

start_rtpengine rtpe
start_dialer webrtc --rtp_timeout 3 --rtpengine "udp:$RTPE_NG"
grep -q "rtpengine at 127.0.0.1:.* answers: webrtc endpoints on" \
	"$T/webrtc.log" || {
	sleep 1
	grep -q "answers: webrtc endpoints on" "$T/webrtc.log"
} || fail "the dialer did not log rtpengine's pong"
ok "the dialer pings rtpengine at start-up and says it answers"

# 48 kHz: Chromium's fake microphone plays the file as it is
sox -n -r 48000 -c 1 -b 16 "$T/mic440.wav" synth 60 sine 440 vol 0.5
tone "$T/a880.wav" 880

script setup <<'S'
expect ok cmd=auth
send {"cmd":"agent_set","agent":"alice","password":"alicepw"}
expect ok cmd=agent_set
S
ctl "$T/setup.txt" "$T/setup.ctl"
AGENT_CTRL=$(free_port)
start_baresip agent "$AGENT_PORT" "$AGENT_CTRL" "$T/a880.wav" PCMU \
	"<sip:alice@127.0.0.1:$SIP_PORT>;auth_pass=alicepw;regint=60;answermode=auto"
i=0
until grep -q "agent alice registered" "$T/webrtc.log"; do
	i=$((i + 1))
	[ $i -le 250 ] || fail "alice's softphone did not register"
	sleep 0.02
done

# ---- the page and alice
mkdir -p "$T/page"
node "$BECKON_SRC/tests/browser/webrtc.mjs" "$CTL_PORT" "$SECRET" \
	"$T/mic440.wav" "$T/page" alice >"$T/page.out" 2>&1 || {
	cat "$T/page.out" >&2
	fail "the browser's call"
}
sed 's/^/  page: /' "$T/page.out"
EVENTS=$(events "$T/page/ctl.json" | tr '\n' ' ')
[ "$EVENTS" = "invite:customer webrtc_offer:customer ringing:customer \
answered:customer invite:agent ringing:agent answered:agent bridged \
leg_ended:customer:customer_hangup:200 leg_ended:agent:customer_hangup:200 \
ended:customer:customer_hangup:200 " ] || fail "events: $EVENTS"
ok "events: webrtc_offer, answered, bridged, customer_hangup ends both"
rtpe_empty "after the page hung up"
ok "rtpengine holds no call after the page's hang-up"

jq -e '.stats.packetsReceived > 150 and .stats.connectionState ==
	"connected"' "$T/page/marks.json" >/dev/null ||
	fail "the page's inbound RTP: $(cat "$T/page/marks.json")"
A=$(jq .answered "$T/page/marks.json")
B=$(jq .bridged "$T/page/marks.json")
P0=$(awk "BEGIN { print $A + 0.5 }")
P1=$(awk "BEGIN { print $B - 0.3 }")
B0=$(awk "BEGIN { print $B + 0.6 }")
B1=$(awk "BEGIN { print $B + 3.4 }")
$TONES "$T/page/heard.wav" loud "$P0" "$P1" 0.7 ||
	fail "the page hears no hold prompt"
$TONES "$T/page/heard.wav" '!880' "$P0" "$P1" 1.0 ||
	fail "the page hears alice before the bridge"
$TONES "$T/page/heard.wav" 880 "$B0" "$B1" 0.9 ||
	fail "the page does not hear alice"
ok "the page hears the hold prompt, then alice (880 Hz; \
$(jq .stats.packetsReceived "$T/page/marks.json") RTP packets in)"

AGENT_WAV=$(ls "$T"/agent/dump-*-dec.wav | head -n 1)
[ -f "$AGENT_WAV" ] || fail "no dump of what alice heard"
$TONES "$AGENT_WAV" 440 0.5 3.0 0.9 || fail "alice does not hear the page"
ok "alice hears the page's microphone (440 Hz, PCMU through rtpengine)"

# ---- without the page: ctl.py, fixed answers (as Chromium writes one)
half=11:22:33:44:55:66:77:88:99:00:AA:BB:CC:DD:EE:FF
FAKE_ANSWER=$(printf '%s\\r\\n' v=0 "o=- 46117 2 IN IP4 127.0.0.1" s=- \
	"t=0 0" "m=audio 9 RTP/SAVPF 0 101" "c=IN IP4 0.0.0.0" \
	a=ice-ufrag:abcd a=ice-pwd:abcdefghijklmnopqrstuvwx \
	"a=fingerprint:sha-256 $half:$half" a=setup:active a=mid:0 \
	a=sendrecv a=rtcp-mux "a=rtpmap:0 PCMU/8000" \
	"a=rtpmap:101 telephone-event/8000" \
	"a=candidate:1 1 udp 2122260223 127.0.0.1 9 typ host")
NOPCMU_ANSWER=$(printf '%s' "$FAKE_ANSWER" | sed \
	's/RTP\/SAVPF 0 101/RTP\/SAVPF 101/; s/a=rtpmap:0 PCMU\/8000\\r\\n//')
export FAKE_ANSWER NOPCMU_ANSWER

script noanswer <<'S'
expect ok cmd=auth
send {"cmd":"originate","id":"w2","customer":"webrtc:cb-2","customer_ring":2}
expect webrtc_offer leg=customer endpoint=webrtc:cb-2
expect ended reason=no_answer
S
ctl "$T/noanswer.txt" "$T/noanswer.ctl"
[ "$(events "$T/noanswer.ctl" | tr '\n' ' ')" = "invite:customer \
webrtc_offer:customer ringing:customer leg_ended:customer:no_answer:487 \
ended:customer:no_answer:487 " ] ||
	fail "no answer: $(events "$T/noanswer.ctl")"
rtpe_empty "after no_answer"
ok "a page that never answers: no_answer at customer_ring; nothing left"

script iceFail <<'S'
expect ok cmd=auth
send {"cmd":"originate","id":"w3","customer":"webrtc:cb-3"}
expect ringing leg=customer
send {"cmd":"webrtc_hangup","id":"w3","leg":"customer","reason":"media_failed"}
expect ok cmd=webrtc_hangup
expect ended reason=media_failed
send {"cmd":"webrtc_hangup","id":"w3","leg":"customer","reason":"hangup"}
expect error code=not_found field=id
S
ctl "$T/iceFail.txt" "$T/iceFail.ctl"
rtpe_empty "after media_failed"
ok "webrtc_hangup media_failed (ICE or DTLS failed) ends the call; \
nothing left"

script silent <<'S'
expect ok cmd=auth
send {"cmd":"originate","id":"w4","customer":"webrtc:cb-4"}
expect ringing leg=customer
send {"cmd":"webrtc_answer","id":"w4","leg":"customer","sdp":"$FAKE_ANSWER"}
expect ok cmd=webrtc_answer
expect answered leg=customer
send {"cmd":"webrtc_answer","id":"w4","leg":"customer","sdp":"$FAKE_ANSWER"}
expect error code=busy field=leg
expect ended reason=media_timeout
S
ctl "$T/silent.txt" "$T/silent.ctl"
rtpe_empty "after media_timeout"
ok "a page that answers and sends nothing (ICE never completes): \
media_timeout after rtp_timeout; nothing left"

script nopcmu <<'S'
expect ok cmd=auth
send {"cmd":"originate","id":"w5","customer":"webrtc:cb-5"}
expect ringing leg=customer
send {"cmd":"webrtc_answer","id":"w5","leg":"customer","sdp":"$NOPCMU_ANSWER"}
expect ok cmd=webrtc_answer
expect ended reason=incompatible
S
ctl "$T/nopcmu.txt" "$T/nopcmu.ctl"
rtpe_empty "after incompatible"
ok "an answer without PCMU: incompatible; nothing left"

# a browser as the agent too (agent first, both legs browsers)
script agentweb <<'S'
expect ok cmd=auth
send {"cmd":"originate","id":"w6","customer":"webrtc:cb-6","agent":"webrtc:agent-alice","mode":"agent_first"}
expect webrtc_offer leg=agent endpoint=webrtc:agent-alice
send {"cmd":"status","id":"w6"}
expect status agent_uri=webrtc:agent-alice
send {"cmd":"webrtc_answer","id":"w6","leg":"agent","sdp":"$FAKE_ANSWER"}
expect answered leg=agent
expect webrtc_offer leg=customer endpoint=webrtc:cb-6
send {"cmd":"webrtc_answer","id":"w6","leg":"customer","sdp":"$FAKE_ANSWER"}
expect bridged
send {"cmd":"webrtc_unhold","id":"w6","leg":"agent"}
expect error code=busy field=leg
send {"cmd":"webrtc_hold","id":"w6","leg":"agent"}
expect ok cmd=webrtc_hold
expect hold leg=agent
send {"cmd":"webrtc_hold","id":"w6","leg":"agent"}
expect error code=busy field=leg
send {"cmd":"webrtc_unhold","id":"w6","leg":"agent"}
expect ok cmd=webrtc_unhold
expect unhold leg=agent
send {"cmd":"listen","id":"w6","endpoint":"webrtc:sup-bob"}
expect ok cmd=listen
expect webrtc_offer leg=listener endpoint=webrtc:sup-bob
send {"cmd":"listen","id":"w6","endpoint":"webrtc:sup-eve"}
expect error code=busy field=endpoint
send {"cmd":"webrtc_answer","id":"w6","leg":"listener","sdp":"$FAKE_ANSWER"}
expect answered leg=listener
send {"cmd":"webrtc_hold","id":"w6","leg":"listener"}
expect error code=not_found field=leg
send {"cmd":"webrtc_hangup","id":"w6","leg":"listener","reason":"hangup"}
expect ok cmd=webrtc_hangup
expect leg_ended leg=listener reason=listener_hangup
send {"cmd":"listen","id":"w6","endpoint":"webrtc:sup-bob"}
expect webrtc_offer leg=listener endpoint=webrtc:sup-bob
send {"cmd":"webrtc_hangup","id":"w6","leg":"agent","reason":"hangup"}
expect ok cmd=webrtc_hangup
expect leg_ended leg=listener reason=canceled
expect ended reason=agent_hangup
S
ctl "$T/agentweb.txt" "$T/agentweb.ctl"
rtpe_empty "after two browsers"
ok "a browser as the agent (agent first, two browsers bridged): \
webrtc_hold and webrtc_unhold (hold, unhold; twice is busy), \
a listener (listen: offer, answer; a second is busy, no hold; its \
hang-up leaves the call, the call's end cancels the next one), \
agent_hangup; nothing left"

script refusals <<'S'
expect ok cmd=auth
send {"cmd":"originate","id":"w7","customer":"webrtc:bad label"}
expect error code=bad_request field=customer
send {"cmd":"originate","id":"w7","customer":"webrtc:"}
expect error code=bad_request field=customer
send {"cmd":"webrtc_answer","id":"nope","leg":"customer","sdp":"v=0"}
expect error code=not_found field=id
send {"cmd":"originate","id":"w7","customer":"webrtc:cb-7","customer_ring":30}
expect ringing leg=customer
send {"cmd":"webrtc_answer","id":"w7","leg":"customer"}
expect error code=bad_request field=sdp
send {"cmd":"webrtc_answer","id":"w7","leg":"client","sdp":"v=0"}
expect error code=bad_request field=leg
send {"cmd":"webrtc_answer","id":"w7","leg":"agent","sdp":"v=0"}
expect error code=not_found field=leg
send {"cmd":"webrtc_hold","id":"w7","leg":"customer"}
expect error code=busy field=leg
send {"cmd":"webrtc_hold","id":"w7","leg":"agent"}
expect error code=not_found field=leg
send {"cmd":"listen","id":"nope","endpoint":"webrtc:sup-bob"}
expect error code=not_found field=id
send {"cmd":"listen","id":"w7","endpoint":"sip:bob@127.0.0.1"}
expect error code=bad_request field=endpoint
send {"cmd":"listen","id":"w7","endpoint":"webrtc:sup-bob"}
expect error code=busy field=id
send {"cmd":"webrtc_hangup","id":"w7","leg":"listener","reason":"hangup"}
expect error code=not_found field=leg
send {"cmd":"webrtc_hangup","id":"w7","leg":"customer","reason":"bored"}
expect error code=bad_request field=reason
send {"cmd":"webrtc_hangup","id":"w7","leg":"customer","reason":"declined"}
expect ok cmd=webrtc_hangup
expect ended reason=declined
S
ctl "$T/refusals.txt" "$T/refusals.ctl"
rtpe_empty "after the refusals"
ok "refusals: a bad label, no sdp, a bad leg, no webrtc leg there, a bad \
reason, a hold before the answer, a listen of no call, to a SIP URI, of a \
call not bridged, a listener that is not there; declined ends the call"

# a call left live (its controller gone) when the dialer stops
script live <<'S'
expect ok cmd=auth
send {"cmd":"originate","id":"w10","customer":"webrtc:cb-10"}
expect ringing leg=customer
send {"cmd":"webrtc_answer","id":"w10","leg":"customer","sdp":"$FAKE_ANSWER"}
expect answered leg=customer
S
ctl "$T/live.txt" "$T/live.ctl"
"$NG" "udp:$RTPE_NG" list >"$T/list.json" || fail "ng list"
[ "$(jq '.calls | length' "$T/list.json")" = 1 ] ||
	fail "the live call is not in rtpengine: $(cat "$T/list.json")"
stop_beckon
rtpe_empty "after the dialer stopped"
ok "a live browser's call when the dialer stops: deleted; clean shutdown"

# ---- rtpengine gone: the leg fails, and says why
stop_rtpengine rtpe
start_dialer webrtc-down --rtpengine "udp:$RTPE_NG"
script down <<'S'
expect ok cmd=auth
send {"cmd":"originate","id":"w8","customer":"webrtc:cb-8"}
expect ok cmd=originate
expect ended reason=failed
S
ctl "$T/down.txt" "$T/down.ctl"
[ "$(events "$T/down.ctl" | tr '\n' ' ')" = "invite:customer \
leg_ended:customer:failed:0 ended:customer:failed:0 " ] ||
	fail "rtpengine down: $(events "$T/down.ctl")"
grep -q "does not answer a ping" "$T/webrtc-down.log" ||
	fail "no warning at start-up"
grep -q "customer leg: rtpengine refused or did not answer the offer (no \
reply: is rtpengine running?)" "$T/webrtc-down.log" || fail "no reason logged"
stop_beckon
ok "rtpengine down: a warning at start-up, the leg fails (reason failed) \
and the log says why"

# ---- no rtpengine at all
start_dialer webrtc-none
script none <<'S'
expect ok cmd=auth
send {"cmd":"originate","id":"w9","customer":"webrtc:cb-9"}
expect error code=webrtc_unavailable field=customer
send {"cmd":"originate","id":"w9","customer":"+14155550100","agent":"webrtc:agent-alice"}
expect error code=webrtc_unavailable field=agent
S
ctl "$T/none.txt" "$T/none.ctl"
stop_beckon
ok "no rtpengine: originate of a webrtc endpoint is refused \
(webrtc_unavailable, naming the field)"
