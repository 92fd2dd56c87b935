#!/bin/sh
# The desk is the agent's phone (issue 11), with real peers: beckon serve
# with its dialer and a real rtpengine; the agents' desks in headless
# Chromium (microphone 880 Hz), visitors in another Chromium (440 Hz), a
# phone customer through the trunk (baresip, 440 Hz). Available is
# refused while the desk is no phone; a visitor and alice's desk hear
# each other, a hang-up on either side ends both and leaves rtpengine
# empty; a phone customer is answered on the desk and heard both ways;
# Hold on the desk plays the hold music to a phone customer, Resume
# gives them the agent again; alice's desk closed while the customer
# holds moves them to bob at once
# (tests/browser/desk_phone.mjs drives the pages).
. "$(dirname "$0")/../lib/common.sh"
. "$BECKON_SRC/tests/sipp/lib/dialer.sh"

need_browser


start_rtpengine rtpe
start_dialer desk --demo --rtpengine "udp:$RTPE_NG" \
	--www_dir "$BECKON_SRC/share/www" --reoffer_after 120
export BECKON_SERVER="$URL" BECKON_TOKEN=demo

"$BECKON" agent set alice --endpoint desk --wrap_up 0 >/dev/null ||
	fail "agent set alice"
"$BECKON" agent set bob --endpoint desk --wrap_up 0 --auto_answer 1 \
	>/dev/null || fail "agent set bob"
"$BECKON" agent set bob --endpoint telepathy >/dev/null 2>&1 &&
	fail "a bad endpoint was taken"

# ---- Available without a reachable phone: refused, with why
agent_login alice
req POST /agent/api/state -H "$C_alice" -H "X-CSRF-Token: $CSRF_alice" \
	-H 'Content-Type: application/json' --data '{"state":"available"}'
expect_error 409 phone_unreachable endpoint
expect_jv .error.message "your phone is the desk: keep it open and allow the \
microphone, then choose Available"
req GET /agent/api/me -H "$C_alice"
expect_jv .agent.phone.kind desk
expect_jv .agent.phone.webrtc true
expect_jv .agent.phone_reachable false
expect_jv .agent.state offline
"$BECKON" agent state bob available >/dev/null 2>&1 &&
	fail "the admin set bob available with no desk open"
ok "Available with the desk as the phone and no desk open: 409 \
phone_unreachable, the reason said; the desk says kind desk, unreachable"

# ---- the pages
mic_wav 440 90
mic_wav 880 90
tone "$T/c440.wav" 440
CUST_CTRL=$(free_port)
start_baresip cust "$TRUNK_PORT" "$CUST_CTRL" "$T/c440.wav" PCMU \
	"<sip:+14155550100@127.0.0.1>;regint=0;answermode=auto"

mkdir -p "$T/pages"
node "$BECKON_SRC/tests/browser/desk_phone.mjs" "$URL" "$T/mic440.wav" \
	"$T/mic880.wav" "$T/pages" >"$T/pages.out" 2>&1 || {
	cat "$T/pages.out" >&2
	fail "the desk's calls"
}
sed 's/^/  pages: /' "$T/pages.out"
M="$T/pages/marks.json"

# (a) visitor <-> alice's desk. The marks are when each page said
# "connected"; media may start half a second later on a loaded machine,
# so 70% of the 2.4 s after them must hold the other's tone (silence or
# the wrong tone still fails).
A=$(jq .desk_a "$M")
hears "$T/pages/desk.wav" 440 "$A" 3.0 0.7 ||
	fail "alice's desk does not hear the visitor"
V=$(jq .visitor_a "$M")
hears "$T/pages/visitor.wav" 880 "$V" 3.0 0.7 ||
	fail "the visitor does not hear alice's desk"
ok "the visitor hears alice's desk (880 Hz) and the desk the visitor \
(440 Hz)"

# (b) the phone customer <-> alice's desk
B=$(jq .desk_b "$M")
hears "$T/pages/desk.wav" 440 "$B" 3.0 0.7 ||
	fail "alice's desk does not hear the phone customer"
CUST_WAV=$(ls -t "$T"/cust/dump-*-dec.wav | head -n 1)
[ -f "$CUST_WAV" ] || fail "no dump of what the customer heard"
dur=$(soxi -D "$CUST_WAV")
$TONES "$CUST_WAV" 880 "$(awk "BEGIN { print $dur - 3.0 }")" \
	"$(awk "BEGIN { print $dur - 0.5 }")" 0.9 ||
	fail "the phone customer does not hear alice's desk"
# held: seconds before the dump's end (the hang-up), 0.8 s of margin
H0=$(awk "BEGIN { print $dur - $(jq .hold_s "$M") + 0.8 }")
H1=$(awk "BEGIN { print $dur - $(jq .resume_s "$M") - 0.3 }")
$TONES "$CUST_WAV" '!880' "$H0" "$H1" 0.95 ||
	fail "the held customer still hears alice's desk"
$TONES "$CUST_WAV" loud "$H0" "$H1" 0.8 ||
	fail "the held customer hears no hold music"
# the arpeggio's E (659 Hz) sounds twice in each 3.6 s round of notes
$TONES "$CUST_WAV" 659 "$H0" "$H1" 0.15 ||
	fail "the held customer does not hear the test's hold arpeggio"
PHONE_ID=$(cat "$T/pages/phone.id")
[ "$(sqlite3 "$DB" "SELECT agent_id || '/' || status FROM callbacks
	WHERE id='$PHONE_ID'")" = alice/completed ] || fail "the phone call: \
$(sqlite3 "$DB" "SELECT agent_id, status FROM callbacks
	WHERE id='$PHONE_ID'")"
grep -q "call $PHONE_ID: agent dtmf" "$T/desk.log" ||
	fail "the keypad's key did not reach the dialer"
grep -q "call $PHONE_ID: agent hold" "$T/desk.log" &&
	grep -q "call $PHONE_ID: agent unhold" "$T/desk.log" ||
	fail "no hold and unhold events in the dialer's log"
ok "a phone customer through the trunk and alice's desk hear each \
other (440/880 Hz); the keypad's key crossed the bridge (RFC 4733); \
Hold: the customer hears the hold music, not the desk, Resume: 880 Hz \
again"

# (c) alice's desk closed while the customer held: bob at once
MID=$(cat "$T/pages/moved.id")
[ "$(sqlite3 "$DB" "SELECT json_extract(data, '\$.agent') || '/' ||
	json_extract(data, '\$.reason') FROM events WHERE callback_id='$MID'
	AND type='agent_failed'")" = alice/unreachable ] ||
	fail "agent_failed: $(sqlite3 "$DB" "SELECT data FROM events
		WHERE callback_id='$MID' AND type='agent_failed'")"
[ "$(sqlite3 "$DB" "SELECT agent_id FROM callbacks WHERE id='$MID'")" = \
	bob ] || fail "not bob's call"
[ "$(sqlite3 "$DB" "SELECT state || '|' || state_reason FROM agents
	WHERE id='alice'")" = "away|your desk phone was lost: the desk page \
closed or went offline" ] || fail "alice: $(sqlite3 "$DB" "SELECT state,
	state_reason FROM agents WHERE id='alice'")"
[ "$(jq .moved_ms "$M")" -lt 10000 ] ||
	fail "moved after $(jq .moved_ms "$M") ms"
ok "alice's desk closed while the customer held: alice away with the \
reason, the customer connected to bob in $(jq .moved_ms "$M") ms \
(reoffer_after 120 s)"

"$NG" "udp:$RTPE_NG" list >"$T/list.json" || fail "ng list"
[ "$(jq -c .calls "$T/list.json")" = '[]' ] ||
	fail "rtpengine still holds $(jq -c .calls "$T/list.json")"
ok "after every call, rtpengine holds none"
stop_beckon
