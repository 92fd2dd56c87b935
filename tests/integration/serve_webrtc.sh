#!/bin/sh
# A visitor talks in the browser, through beckon serve (the dialer in
# process, a real rtpengine): a page in headless Chromium (microphone:
# 440 Hz) posts {"voice":"browser"} for the demo business, the ACD routes
# it to alice, a registered baresip softphone (880 Hz), and the page
# takes the offer over its voice socket (tests/browser/voice.mjs). Each
# hears the other (tests/sipp/lib/tones.py on the page's received audio
# and alice's dump); the offer hands the page ice_servers (a STUN server
# of tests/lib/stun.py, TURN with credentials of turn_secret); a
# stranger with the id but not the secret is
# refused (401); the tab closed mid-call ends the call at once and
# rtpengine keeps nothing. Then refusals: no rtpengine (409
# voice_unavailable, the phone path unchanged), a business with
# voice_in_browser off, a phone number with voice browser, a bad voice.
. "$(dirname "$0")/../lib/common.sh"
. "$BECKON_SRC/tests/sipp/lib/dialer.sh"

need_browser


# a STUN server the pages are handed (ice_servers), and a TURN URL
# whose port refuses: the page's configuration must take its credentials
STUN_PORT=$(free_port)
python3 "$BECKON_SRC/tests/lib/stun.py" "$STUN_PORT" "$T/stun.count" &
PIDS="$PIDS $!"
TURN_PORT=$(free_port)
start_rtpengine rtpe
start_dialer voice --demo --rtpengine "udp:$RTPE_NG" \
	--www_dir "$BECKON_SRC/share/www" --turn_secret turn-test-secret \
	--ice_servers "stun:127.0.0.1:$STUN_PORT \
turn:127.0.0.1:$TURN_PORT?transport=tcp"
DEMO=$(sed -n 's/.*demo shop on \(http:\/\/[0-9.:]*\).*/\1/p' \
	"$T/voice.log" | head -n 1)
export BECKON_SERVER="$URL" BECKON_TOKEN=demo

req GET /v1/businesses/demo
expect_status 200
[ "$(jv .webrtc)/$(jv .voice_in_browser)" = true/offered ] ||
	fail "the business says: $BODY"
ok "GET /v1/businesses/demo: webrtc true, voice_in_browser offered"

# alice: her softphone, registered with beckon, 880 Hz, auto-answer
mic_wav 440 60
tone "$T/a880.wav" 880
"$BECKON" agent set alice --endpoint registered --wrap_up 0 \
	--sip_password alice-sip-pw >/dev/null || fail "agent set alice"
"$BECKON" agent state bob away >/dev/null || fail "bob away"
AGENT_CTRL=$(free_port)
start_baresip agent "$AGENT_PORT" "$AGENT_CTRL" "$T/a880.wav" PCMU \
	"<sip:alice@127.0.0.1:$SIP_PORT>;auth_pass=alice-sip-pw;regint=60;answermode=auto"
i=0
until grep -q "agent alice registered" "$T/voice.log"; do
	i=$((i + 1))
	[ $i -le 250 ] || fail "alice's softphone did not register"
	sleep 0.02
done
"$BECKON" agent state alice available >/dev/null || fail "alice available"

mkdir -p "$T/page"
node "$BECKON_SRC/tests/browser/voice.mjs" "$URL" "$T/mic440.wav" \
	"$T/page" >"$T/page.out" 2>&1 || {
	cat "$T/page.out" >&2
	fail "the visitor's call"
}
sed 's/^/  page: /' "$T/page.out"
ID=$(cat "$T/page/id")
[ "$(sqlite3 "$DB" "SELECT phone||'/'||agent_id FROM callbacks
	WHERE id='$ID'")" = "/alice" ] || fail "the callback is not alice's \
browser call: $(sqlite3 "$DB" "SELECT phone, agent_id FROM callbacks
	WHERE id='$ID'")"

# the offer handed the page the servers, TURN with a credential of the
# shared secret (checked here with openssl), and the page took them
ICE="$T/page/ice.json"
[ "$(jq -c '[.offered[].urls]' "$ICE")" = \
  "[\"stun:127.0.0.1:$STUN_PORT\",\"turn:127.0.0.1:$TURN_PORT?transport=tcp\"]" ] ||
	fail "the offer's ice_servers: $(cat "$ICE")"
TUSER=$(jq -r '.offered[1].username' "$ICE")
[ "${TUSER#*:}" = "$ID" ] || fail "the TURN user is not EXPIRY:ID: $TUSER"
[ "$(printf '%s' "$TUSER" | openssl dgst -sha1 -binary \
	-hmac turn-test-secret | base64)" = \
  "$(jq -r '.offered[1].credential' "$ICE")" ] ||
	fail "the TURN credential is not HMAC-SHA1(turn_secret, username)"
[ "$(jq -c .used "$ICE" | jq -c '[.[].urls] | flatten')" = \
  "$(jq -c '[.offered[].urls]' "$ICE")" ] ||
	fail "the page's RTCPeerConnection did not take them: $(cat "$ICE")"
[ -s "$T/stun.count" ] || fail "the page never asked the STUN server"
ok "the offer carries ice_servers (STUN, TURN with a credential of \
turn_secret); the page's RTCPeerConnection took them and asked STUN"

jq -e '.stats.packetsReceived > 150' "$T/page/marks.json" >/dev/null ||
	fail "the page's inbound RTP: $(cat "$T/page/marks.json")"
C=$(jq .connected "$T/page/marks.json")
hears "$T/page/heard.wav" 880 "$C" 3.4 0.9 ||
	fail "the page does not hear alice"
ok "the visitor hears alice (880 Hz; \
$(jq .stats.packetsReceived "$T/page/marks.json") RTP packets in)"
AGENT_WAV=$(ls "$T"/agent/dump-*-dec.wav | head -n 1)
[ -f "$AGENT_WAV" ] || fail "no dump of what alice heard"
$TONES "$AGENT_WAV" 440 0.5 3.0 0.9 || fail "alice does not hear the visitor"
ok "alice hears the visitor's microphone (440 Hz)"

"$NG" "udp:$RTPE_NG" list >"$T/list.json" || fail "ng list"
[ "$(jq -c .calls "$T/list.json")" = '[]' ] ||
	fail "rtpengine still holds $(jq -c .calls "$T/list.json")"
ok "after the tab closed, rtpengine holds no call"

# ---- the widget on the demo shop: Talk now
widget() {
	node "$BECKON_SRC/tests/browser/widget_voice.mjs" "$URL" "$DEMO" \
		"$T/mic440.wav" "$1" >"$T/widget-$1.out" 2>&1 || {
		cat "$T/widget-$1.out" >&2
		fail "the widget ($1)"
	}
	sed 's/^/  widget: /' "$T/widget-$1.out"
}
widget talk
ID=$(sqlite3 "$DB" "SELECT id FROM callbacks ORDER BY created_at DESC
	LIMIT 1")
wait_status "$ID" completed
req GET "/v1/callbacks/$ID"
expect_jv '.events[-1].data.reason' customer_hangup
AGENT_WAV=$(ls -t "$T"/agent/dump-*-dec.wav | head -n 1)
$TONES "$AGENT_WAV" 440 0.5 2.0 0.9 ||
	fail "alice does not hear the widget's visitor"
"$NG" "udp:$RTPE_NG" list >"$T/list.json" || fail "ng list"
[ "$(jq -c .calls "$T/list.json")" = '[]' ] ||
	fail "rtpengine still holds $(jq -c .calls "$T/list.json")"
ok "the widget's call: alice hears the visitor (440 Hz), Hang up \
completes it (customer_hangup), rtpengine holds no call"

# no agent free: the place in line, then the tab closed: withdrawn
"$BECKON" agent state alice away >/dev/null || fail "alice away"

# two visitors talk in the browser at once (raw requests): two
# callbacks, neither joined to the other (a browser's call has no phone;
# the second was refused while the first was open, schema migration 25)
for k in 1 2; do
	post_json '{"business":"demo","voice":"browser"}'
	expect_status 202 "browser call $k while another is open"
	eval "B$k=\$(jv .id) T$k=\$(jv .cancel_token)"
done
[ "$B1" != "$B2" ] || fail "the second browser call joined the first"
for k in 1 2; do
	eval "req DELETE /v1/callbacks/\$B$k -H \"Authorization: Bearer \$T$k\""
	expect_status 200 "withdrawing browser call $k"
done
ok "two browser calls of one business at once: two callbacks (202, \
202), each withdrawn with its own token"
widget leave
ID=$(sqlite3 "$DB" "SELECT id FROM callbacks ORDER BY created_at DESC
	LIMIT 1")
wait_status "$ID" canceled 5
"$BECKON" agent state alice available >/dev/null || fail "alice back"
ok "the tab closed while in line: the request is withdrawn (canceled)"

N=$(sqlite3 "$DB" "SELECT count(*) FROM callbacks")
widget denied
[ "$(sqlite3 "$DB" "SELECT count(*) FROM callbacks")" = "$N" ] ||
	fail "a callback was stored with the microphone refused"
ok "microphone refused: no callback stored"

stop_rtpengine rtpe
widget down
ID=$(sqlite3 "$DB" "SELECT id FROM callbacks ORDER BY created_at DESC
	LIMIT 1")
[ "$(sqlite3 "$DB" "SELECT open FROM callbacks WHERE id='$ID'")" = 0 ] ||
	fail "rtpengine down: the browser's callback is still open: \
$(sqlite3 "$DB" "SELECT status FROM callbacks WHERE id='$ID'")"
ok "rtpengine down: the widget falls back to Call me back, its request \
withdrawn ($(sqlite3 "$DB" "SELECT status FROM callbacks WHERE id='$ID'"))"

# ---- refusals
post_json '{"business":"demo","voice":"loud"}'
expect_error 400 invalid_voice voice
post_json '{"business":"demo","voice":"browser","phone":"+14155550100"}'
expect_error 400 invalid_phone phone
"$BECKON" business set demo --voice_in_browser sometimes >/dev/null 2>&1 &&
	fail "voice_in_browser sometimes accepted"
"$BECKON" business set demo --voice_in_browser off >/dev/null ||
	fail "business set voice_in_browser off"
post_json '{"business":"demo","voice":"browser"}'
expect_error 409 voice_unavailable voice
"$BECKON" business set demo --voice_in_browser only >/dev/null ||
	fail "business set voice_in_browser only"
post_json '{"business":"demo","phone":"+14155550100"}'
expect_error 400 voice_browser_only voice
ok "refused: a bad voice, a number with voice browser, voice_in_browser \
off (409), a phone call where the business talks in the browser only"
stop_beckon

# ---- no rtpengine: no voice in the browser, the phone as before
DB="$T/none.db" start_beckon none --demo --dialer local \
	--sip_listen "127.0.0.1:$(free_port)" \
	--trunk_proxy "sip:127.0.0.1:$TRUNK_PORT"
req GET /v1/businesses/demo
[ "$(jv .webrtc)" = false ] || fail "webrtc without rtpengine: $BODY"
post_json '{"business":"demo","voice":"browser"}'
expect_error 409 voice_unavailable voice
post_json '{"business":"demo","phone":"+14155550100"}'
expect_status 202 "a phone callback without rtpengine"
[ "$(jv .voice_secret)" = null ] || fail "a phone callback has a secret"
stop_beckon
ok "no rtpengine: webrtc false, voice browser 409 voice_unavailable, \
the phone callback as before (no secret)"
