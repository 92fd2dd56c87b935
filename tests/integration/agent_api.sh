#!/bin/sh
# The agent desktop's API against a real server: log-in with argon2id,
# lock-out, session cookie flags, CSRF, presence, the screen pop with the
# customer's history, business isolation, the live WebSocket, log-out.
. "$(dirname "$0")/../lib/common.sh"

start_beckon agent --demo
J='Content-Type: application/json'

req POST /agent/api/login -H "$J" --data '{"login":"alice","password":"nope"}'
expect_error 401 invalid_credentials
req POST /agent/api/login -H "$J" --data '{"login":"nobody","password":"demo"}'
expect_error 401 invalid_credentials
req POST /agent/api/login -H "$J" -H 'Origin: https://evil.example' \
	--data '{"login":"alice","password":"demo"}'
expect_error 403 origin
ok "wrong password and unknown login: the same 401; a foreign page: 403"

req POST /agent/api/login -H "$J" --data '{"login":"alice","password":"demo"}'
expect_status 200 "log-in"
expect_jv .agent alice
CSRF=$(jv .csrf)
SC=$(hdr Set-Cookie)
printf '%s' "$SC" | grep -q 'HttpOnly' && printf '%s' "$SC" |
	grep -q 'SameSite=Strict' || fail "cookie flags: $SC"
COOKIE=$(printf '%s' "$SC" | sed 's/^beckon_session=\([^;]*\);.*/\1/')
[ ${#COOKIE} -ge 43 ] || fail "session token $COOKIE"
ok "log-in: an HttpOnly, SameSite=Strict session cookie and a CSRF token"

C="Cookie: beckon_session=$COOKIE"
req GET /agent/api/me -H "$C"
expect_status 200
expect_jv .agent.id alice
expect_jv .agent.state offline
expect_jv .csrf "$CSRF"
req GET /agent/api/me
expect_error 401 not_logged_in
req POST /agent/api/state -H "$C" -H "$J" --data '{"state":"away"}'
expect_error 403 csrf
req POST /agent/api/state -H "$C" -H "$J" -H "X-CSRF-Token: $CSRF" \
	--data '{"state":"busy"}'
expect_error 400 invalid_field state
req POST /agent/api/state -H "$C" -H "$J" -H "X-CSRF-Token: $CSRF" \
	--data '{"state":"away"}'
expect_status 200
expect_jv .agent.state away
ok "me and state: session required, CSRF required, states checked"

# the screen pop: the callback with every event, the customer's history
post_json '{"business":"demo","phone":"+14155550160","name":"<b>Zed</b>",
  "page_url":"https://shop.example/x","page_title":"X"}'
expect_status 202
OLD=$(jv .id)
OLDTOK=$(jv .cancel_token)
req DELETE "/v1/callbacks/$OLD" -H "Authorization: Bearer $OLDTOK"
expect_status 200
post_json '{"business":"demo","phone":"+14155550160","note":"again"}'
expect_status 202
NEW=$(jv .id)
req GET "/agent/api/callbacks/$NEW" -H "$C"
expect_status 200 "screen pop"
expect_jv .callback.phone +14155550160
expect_jv .callback.note again
expect_jv '.callback.events[0].type' created
expect_jv '.history | length' 1
expect_jv '.history[0].id' "$OLD"
expect_jv '.history[0].status' canceled
expect_jv '.history[0].name' '<b>Zed</b>'
expect_jv '.callback.outcome' null
expect_jv '.history[0].outcome' null
ok "screen pop: the callback, its events and the customer's earlier callback"

# a business alice does not serve: its callbacks do not exist for her
"$BECKON" --server "$URL" --token demo business add other --timezone UTC \
	--origins https://other.example >/dev/null
post_json '{"business":"other","phone":"+14155550161"}'
expect_status 202
OTHER=$(jv .id)
req GET "/agent/api/callbacks/$OTHER" -H "$C"
expect_error 404 not_found
ok "another business's callback is 404 for the agent"

python3 "$BECKON_SRC/tests/integration/agent_api.py" "$PORT" "$COOKIE" \
	"$CSRF" || fail "websocket"
ok "WebSocket: same-origin with a session only; live presence updates"

req POST /agent/api/logout -H "$C" -H "X-CSRF-Token: $CSRF"
expect_status 204
req GET /agent/api/me -H "$C"
expect_error 401 not_logged_in
ok "log-out ends the session"

# the supervisor's view: bob is a supervisor, alice is not
req GET /agent/api/supervisor -H "$C"
expect_error 401 not_logged_in
req POST /agent/api/login -H "$J" --data '{"login":"alice","password":"demo"}'
CA="Cookie: beckon_session=$(hdr Set-Cookie | sed 's/^beckon_session=\([^;]*\);.*/\1/')"
req GET /agent/api/supervisor -H "$CA"
expect_error 403 forbidden
req POST /agent/api/login -H "$J" --data '{"login":"bob","password":"demo"}'
expect_status 200
CB="Cookie: beckon_session=$(hdr Set-Cookie | sed 's/^beckon_session=\([^;]*\);.*/\1/')"
req GET /agent/api/supervisor -H "$CB"
expect_status 200
expect_jv '[.queue[].id] | index("'"$NEW"'") != null' true
expect_jv '[.queue[].business] | unique | join(" ")' demo
expect_jv '.figures.demo.requested' 2
expect_jv '.figures.demo.sales' 0
expect_jv '.figures.demo.totals | length' 0
expect_jv '[.agents[].id] | sort | join(" ")' "alice bob"
ok "supervisor: the queue and agents of its businesses, today's figures; agents get 403"

# five failures lock the login for the window
for n in 1 2 3 4 5; do
	req POST /agent/api/login -H "$J" --data '{"login":"bob","password":"x"}'
	expect_status 401 "failure $n"
done
req POST /agent/api/login -H "$J" --data '{"login":"bob","password":"demo"}'
expect_error 429 locked
[ "$(hdr Retry-After)" -gt 0 ] || fail "Retry-After"
ok "five failures lock the login, even with the right password"

stop_beckon
