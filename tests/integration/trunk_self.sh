#!/bin/sh
# A trunk that leads back to beckon's own SIP listener is refused at
# start-up (README "Real phones"): trunk_uri's host:port or trunk_proxy,
# an address or a name in /etc/hosts, against a listener on one address
# or on 0.0.0.0; `beckon dialer` the same. The demo with no trunk set
# (`make run`) starts without a dialer and says why, in the log, in the
# widget's business settings and on the desk ("phone_line": false),
# instead of failing every call on itself; with rtpengine (`make run`)
# it starts its dialer for calls in the browser only and refuses a
# number (503 no_phone_line).
. "$(dirname "$0")/../lib/common.sh"

SIP=$(free_port)
OTHER=$(free_port)

# refused: serve|dialer NAME ARGS...: exits non-zero at once, saying so
refused() {
	cmd=$1
	name=$2
	shift 2
	rc=0
	timeout 20 "$BECKON" "$cmd" --db "sqlite:$T/$name.db" \
		--http_listen 127.0.0.1:0 "$@" >"$T/$name.log" 2>&1 || rc=$?
	[ "$rc" != 0 ] && [ "$rc" != 124 ] ||
		fail "$name: started (rc $rc) with a trunk to itself"
	grep -q "beckon's own SIP listener" "$T/$name.log" ||
		fail "$name: no clear message: $(cat "$T/$name.log")"
}

refused serve uri --dialer local --sip_listen "127.0.0.1:$SIP" \
	--trunk_uri "sip:\${e164}@127.0.0.1:$SIP;user=phone"
grep -q "trunk_uri sip:\${e164}@127.0.0.1:$SIP;user=phone leads to 127.0.0.1:$SIP, beckon's own SIP listener (sip_listen 127.0.0.1:$SIP)" \
	"$T/uri.log" || fail "the message: $(cat "$T/uri.log")"
ok "trunk_uri at sip_listen's address and port: refused, both named"

refused serve any --dialer local --sip_listen "0.0.0.0:$SIP" \
	--trunk_proxy "sip:localhost:$SIP"
ok "trunk_proxy sip:localhost:P with sip_listen 0.0.0.0:P: refused"

refused serve port --dialer local --sip_listen "127.0.0.1:5060" \
	--control_listen "127.0.0.1:$OTHER"
ok "the defaults (trunk_uri on 127.0.0.1, sip_listen 127.0.0.1:5060): " \
	"refused"

refused dialer alone --sip_listen "127.0.0.1:$SIP" \
	--control_listen "127.0.0.1:$OTHER" --control_secret s3cret-s3cret \
	--trunk_uri "sip:\${digits}@127.0.0.1:$SIP"
ok "beckon dialer with a trunk to itself: refused"

# a trunk elsewhere on the same host is fine
start_beckon fine --dialer local --sip_listen "127.0.0.1:$SIP" \
	--trunk_uri "sip:\${e164}@127.0.0.1:$OTHER;user=phone"
stop_beckon
ok "a trunk on another port of the same address: serves"

# the demo with no trunk set: no dialer, said in the log and to the pages
DB="$T/demo.db" start_beckon demo --demo --dialer local \
	--sip_listen "127.0.0.1:$SIP"
grep -q '^app: warn: demo: no phone line is configured: set trunk_proxy (see README "Real phones")' \
	"$T/demo.log" || fail "the demo's log: $(cat "$T/demo.log")"
req GET /v1/businesses/demo
[ "$STATUS" = 200 ] || fail "GET business: $STATUS"
printf '%s' "$BODY" | grep -q '"phone_line":false' ||
	fail "phone_line: $BODY"
if ss -Hlun "sport = :$SIP" | grep -q .; then
	fail "the demo with no phone line listens for SIP on $SIP"
fi
post_json '{"business":"demo","phone":"+14155550123"}'
[ "$STATUS" = 202 ] || fail "POST: $STATUS"
ID=$(printf '%s' "$BODY" | sed 's/.*"id":"\([^"]*\)".*/\1/')
agent_login alice
req POST /agent/api/state -H "$C_alice" -H "X-CSRF-Token: $CSRF_alice" \
	-H 'Content-Type: application/json' --data '{"state":"available"}'
[ "$STATUS" = 200 ] || fail "alice available: $STATUS $BODY"
req GET /agent/api/me -H "$C_alice"
printf '%s' "$BODY" | grep -q '"countries":{"demo":1},"phone_line":false' ||
	fail "me: $BODY"
# the ACD has had its chance: nothing was dialed, nothing failed
req GET "/v1/callbacks/$ID"
printf '%s' "$BODY" | grep -q '"status":"queued"' ||
	fail "the request: $BODY"
stop_beckon
ok "the demo with no trunk: warns, no SIP listener, phone_line false " \
	"to the widget and the desk, the request waits (not failed)"

# the demo with no trunk but rtpengine (`make run`): the dialer runs for
# calls in the browser only; a number is refused, and one queued before
# is never dialed (a reachable agent takes the browser's call after it)
start_rtpengine rtpe
DB="$T/demo.db" start_beckon webrtc --demo --dialer local \
	--sip_listen "127.0.0.1:$SIP" --rtp_ports 30000-39999 \
	--rtpengine "udp:$RTPE_NG" --prompt_dir "$BECKON_SRC/share/prompts"
grep -q '^app: warn: demo: no phone line is configured: only calls in the browser are placed ("Talk now"); set trunk_proxy to call numbers' \
	"$T/webrtc.log" || fail "the log: $(cat "$T/webrtc.log")"
req GET /v1/businesses/demo
expect_jv .phone_line false
expect_jv .webrtc true
expect_jv .voice_in_browser only
post_json '{"business":"demo","phone":"+14155550124"}'
expect_error 503 no_phone_line phone
export BECKON_SERVER="$URL" BECKON_TOKEN=demo
"$BECKON" agent set alice --endpoint "sip:alice@127.0.0.1:$OTHER" \
	>/dev/null || fail "agent set alice"
agent_login alice
req POST /agent/api/state -H "$C_alice" -H "X-CSRF-Token: $CSRF_alice" \
	-H 'Content-Type: application/json' --data '{"state":"available"}'
expect_status 200 "alice available"
post_json '{"business":"demo","voice":"browser"}'
expect_status 202 "a call in the browser"
BID=$(jv .id)
wait_status "$BID" dialing
req GET "/v1/callbacks/$ID"
expect_jv .status queued "the number queued before"
[ "$(sqlite3 "$T/demo.db" "SELECT attempts FROM callbacks WHERE id='$ID'")" = 0 ] ||
	fail "an attempt was spent on $ID"
"$BECKON" agent set alice --endpoint registered >/dev/null ||
	fail "alice back to a softphone"
stop_beckon
stop_rtpengine rtpe
ok "the demo with rtpengine and no trunk: the dialer runs, the widget " \
	"is told talk in the browser only, a number is refused (503 " \
	"no_phone_line) and one queued before waits while alice takes a " \
	"call in the browser"

DB="$T/demo.db" start_beckon demo2 --demo --dialer local \
	--sip_listen "127.0.0.1:$SIP" \
	--trunk_proxy "sip:127.0.0.1:$OTHER"
req GET /v1/businesses/demo
printf '%s' "$BODY" | grep -q '"phone_line":true' ||
	fail "phone_line with a trunk: $BODY"
! grep -q "no phone line" "$T/demo2.log" || fail "warned with a trunk"
stop_beckon
ok "the demo with a trunk: a phone line"
