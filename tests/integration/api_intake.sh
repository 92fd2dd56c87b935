#!/bin/sh
# The public intake API against a real server and a real SQLite file, with
# curl: every row of the API table, every error, duplicates, idempotency,
# cancel and CORS. (Limits and durability have their own scripts.)
. "$(dirname "$0")/../lib/common.sh"

start_beckon api --demo

# ---- health
req GET /healthz
expect_status 200
expect_jv .status ok
expect_jv .role leader
expect_jv .node "$(hostname):$PORT"
ok "healthz: the node (node_id's default, HOST:PORT) leads"

# ---- the demo agents, with argon2id hashes, never the password
[ "$(sqlite3 "$DB" "SELECT group_concat(login||':'||role, ' ') FROM
	(SELECT * FROM agents ORDER BY login)")" = "alice:agent bob:supervisor" ] ||
	fail "demo agents"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM agents WHERE password_hash
	LIKE '\$argon2id\$%'")" = 2 ] || fail "argon2id hashes"
grep -q 'DEMO MODE' "$T/api.log" || fail "demo warning"
ok "demo: agents alice and bob with argon2id hashes, loud warning"

# ---- a JSON request
post_json '{"business":"demo","phone":"+1 (415) 555-0100","name":"Ann",
  "page_url":"https://shop.example/pricing?x=1","page_title":"Pricing",
  "note":"about the\nblue plan","referrer":"https://search.example/?q=bikes"}'
expect_status 202 "create"
ID=$(jv .id)
TOKEN=$(jv .cancel_token)
expect_jv .status queued
expect_jv .status_url "/v1/callbacks/$ID"
expect_jv .position 1
expect_jv .scheduled_for null
expect_jv .existing false
expect_jv .eta_seconds null   # no agent is working yet
printf '%s' "$ID" | grep -Eq '^cb_[0-9a-f]{12}[A-Za-z0-9_-]{22}$' || fail "id $ID"
[ ${#TOKEN} -ge 43 ] || fail "cancel token too short: $TOKEN"
[ "$(hdr Cache-Control)" = no-store ] || fail "Cache-Control"
ok "POST JSON answers 202 queued with id, token and position"

# stored as sent (E.164) with its created event, which the row implies
# (created_status: no endpoint takes callback.created, so no event row)
[ "$(sqlite3 "$DB" "SELECT phone||'|'||business_id||'|'||name||'|'||referrer
	||'|'||created_status FROM callbacks WHERE id='$ID'")" = \
	"+14155550100|demo|Ann|https://search.example/?q=bikes|queued" ] ||
	fail "row"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM events WHERE callback_id='$ID'")" \
	= 0 ] || fail "an event row"
ok "the callback row, its created event implied, is in the database"

req GET "/v1/callbacks/$ID"
expect_status 200
expect_jv .id "$ID"
expect_jv .status queued
expect_jv .position 1
expect_jv '.events[0].type' created
expect_jv .phone '+1********00'
[ "$(jv .note)" = null ] || fail "GET must not show the note"
ok "GET shows status, position and public history, phone masked"

# ---- a form, another number in national form
req POST /v1/callbacks --data-urlencode business=demo \
	--data-urlencode 'phone=(212) 555-0199' --data-urlencode name=Bob
expect_status 202 "form create"
ID2=$(jv .id)
expect_jv .position 2
[ "$ID2" != "$ID" ] || fail "same id"
ok "POST form-urlencoded with a national number answers 202, position 2"

# ---- duplicate: a request of its own, joined to the open callback
# (api_privacy.sh tests what it may see and do)
post_json '{"business":"demo","phone":"415-555-0100"}'
expect_status 202 "duplicate"
DUP=$(jv .id)
[ "$DUP" != "$ID" ] || fail "the duplicate was told the open callback's id"
expect_jv .existing false
TOKEN_DUP=$(jv .cancel_token)
[ "$TOKEN_DUP" != "$TOKEN" ] || fail "duplicate got the same token"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM callbacks")" = 2 ] ||
	fail "duplicate created a row"
[ "$(sqlite3 "$DB" "SELECT callback_id FROM joined_requests
	WHERE id='$DUP'")" = "$ID" ] || fail "duplicate not joined"
ok "a request for a number already waiting is joined to its callback: no second call"

# ---- scheduled
WHEN=$(date -u -d '+2 days' +%Y-%m-%dT%H:%M:%S-05:00)
post_json "{\"business\":\"demo\",\"phone\":\"+14155550111\",\"when\":\"$WHEN\"}"
expect_status 202 "scheduled"
expect_jv .status scheduled
expect_jv .position 0
[ "$(jv .scheduled_for)" != null ] || fail "scheduled_for"
ok "a future when is scheduled with scheduled_for"

post_json '{"business":"demo","phone":"+14155550112","when":"asap"}'
expect_status 202
expect_jv .status queued
ok "when=asap is queued"

# ---- errors, each with its field
post_json '{"business":"demo","phone":"+14155550113","when":"2020-01-01T00:00:00Z"}'
expect_error 400 invalid_when when
FAR=$(date -u -d '+31 days' +%Y-%m-%dT%H:%M:%SZ)
post_json "{\"business\":\"demo\",\"phone\":\"+14155550113\",\"when\":\"$FAR\"}"
expect_error 400 invalid_when when
post_json '{"business":"demo","phone":"+14155550113","when":"tomorrow"}'
expect_error 400 invalid_when when
ok "when in the past, too far ahead or malformed: 400 invalid_when"

post_json '{"business":"demo","phone":"call me maybe"}'
expect_error 400 invalid_phone phone
post_json '{"business":"demo","phone":"+1415555010099999"}'
expect_error 400 invalid_phone phone
post_json '{"business":"demo"}'
expect_error 400 missing_field phone
post_json '{"business":"demo","phone":"+1 900 555 0100"}'
[ "$STATUS" = 400 ] && [ "$(jv .error.field)" = phone ] &&
	[ "$(jv .error.code)" = phone_denied ] || fail "premium number"
post_json '{"business":"demo","phone":"+44 20 7946 0958"}'
expect_error 400 phone_country_not_allowed phone
ok "bad, missing, premium-rate and foreign numbers: 400 on phone"

post_json '{"phone":"+14155550113"}'
expect_error 400 missing_field business
post_json '{"business":"nope","phone":"+14155550113"}'
expect_error 404 unknown_business business
ok "missing business 400, unknown business 404"

post_json '{"business":"demo","phone":"+14155550113","colour":"red"}'
expect_error 400 unknown_field colour
post_json '{"business":"demo","phone":14155550113}'
expect_error 400 invalid_type phone
post_json '{"business":"demo","phone":"+14155550113",}'
expect_error 400 invalid_json
post_json '{"business":"demo","business":"demo","phone":"+14155550113"}'
expect_error 400 duplicate_field business
post_json ''
expect_error 400 invalid_json
ok "unknown field, wrong type, bad JSON, duplicate key, empty body: 400"

post_json '{"business":"demo","phone":"+14155550113","page_url":"javascript:alert(1)"}'
expect_error 400 invalid_url page_url
LONG=$(head -c 2100 /dev/zero | tr '\0' a)
post_json "{\"business\":\"demo\",\"phone\":\"+14155550113\",\"page_url\":\"https://x.example/$LONG\"}"
expect_error 400 too_long page_url
T301=$(head -c 301 /dev/zero | tr '\0' t)
post_json "{\"business\":\"demo\",\"phone\":\"+14155550113\",\"page_title\":\"$T301\"}"
expect_error 400 too_long page_title
N101=$(head -c 101 /dev/zero | tr '\0' n)
post_json "{\"business\":\"demo\",\"phone\":\"+14155550113\",\"name\":\"$N101\"}"
expect_error 400 too_long name
N1001=$(head -c 1001 /dev/zero | tr '\0' n)
post_json "{\"business\":\"demo\",\"phone\":\"+14155550113\",\"note\":\"$N1001\"}"
expect_error 400 too_long note
post_json '{"business":"demo","phone":"+14155550113","name":"a\u0007b"}'
expect_error 400 invalid_text name
ok "page_url scheme and lengths, title/name/note bounds, control chars: 400"

post_json '{"business":"demo","phone":"+14155550113","agent":"sip:evil@x"}'
expect_error 400 unknown_agent agent
post_json '{"business":"demo","phone":"+14155550113","agent":"sales"}'
expect_status 202 "published agent key"
[ "$(sqlite3 "$DB" "SELECT agent_key FROM callbacks WHERE phone='+14155550113'")" \
	= sales ] || fail "agent key stored"
ok "agent: only keys the business publishes"

req POST /v1/callbacks -H 'Content-Type: text/plain' --data 'x'
expect_error 415 unsupported_media_type
req POST /v1/callbacks -H 'Content-Type: application/json; charset=latin1' \
	--data '{}'
expect_error 415 unsupported_media_type
ok "other content types: 415"

head -c 17000 /dev/zero | tr '\0' ' ' >"$T/big"
req POST /v1/callbacks -H 'Content-Type: application/json' \
	--data-binary @"$T/big"
expect_status 413 "big body"
ok "a body over 16 KiB: 413"

req PUT /v1/callbacks -H 'Content-Type: application/json' --data '{}'
expect_error 405 method_not_allowed
hdr Allow | grep -q POST || fail "Allow header"
req GET /v1/nothing
expect_error 404 not_found
req GET /v1/callbacks/cb_019a0b1c2d3edoesnotexistdoesnotexi
expect_error 404 not_found
req GET "/v1/callbacks/../../etc/passwd"
expect_status 404
ok "405 with Allow, 404 for unknown paths and ids"

# nothing above wrote a row
[ "$(sqlite3 "$DB" "SELECT count(*) FROM callbacks")" = 5 ] ||
	fail "rejected requests left rows"
ok "rejected requests wrote nothing"

# ---- idempotency
IK="retry-$(date +%s%N)"
post_json '{"business":"demo","phone":"+14155550120"}' -H "Idempotency-Key: $IK"
expect_status 202
IID=$(jv .id)
post_json '{"business":"demo","phone":"+14155550120"}' -H "Idempotency-Key: $IK"
expect_status 202 "replay"
expect_jv .id "$IID"
expect_jv .existing false
post_json '{"business":"demo","phone":"+14155550121"}' -H "Idempotency-Key: $IK"
expect_error 422 idempotency_key_reused
[ "$(sqlite3 "$DB" "SELECT count(*) FROM callbacks WHERE phone IN
	('+14155550120','+14155550121')")" = 1 ] || fail "replay added a row"
post_json '{"business":"demo","phone":"+14155550122"}' -H "Idempotency-Key: a b"
expect_error 400 invalid_idempotency_key Idempotency-Key
ok "Idempotency-Key: replay returns the first answer, reuse is 422"

# ---- cancel
req DELETE "/v1/callbacks/$ID"
expect_error 401 missing_token
hdr WWW-Authenticate | grep -q Bearer || fail "WWW-Authenticate"
req DELETE "/v1/callbacks/$ID" -H "Authorization: Bearer wrong"
expect_error 401 invalid_token
req DELETE "/v1/callbacks/$ID" -H 'Origin: http://localhost:3000'
expect_error 401 missing_token
[ "$(hdr Access-Control-Allow-Origin)" = "http://localhost:3000" ] ||
	fail "a page cannot read the 401 without CORS headers"
req DELETE "/v1/callbacks/$ID" -H "Authorization: Bearer $TOKEN_DUP"
expect_error 401 invalid_token
req DELETE "/v1/callbacks/$DUP" -H "Authorization: Bearer $TOKEN_DUP"
expect_status 200 "the duplicate withdraws"
req DELETE "/v1/callbacks/$ID" -H "Authorization: Bearer $TOKEN"
expect_status 200 "cancel"
expect_jv .status canceled
expect_jv '.events[-1].type' canceled
req DELETE "/v1/callbacks/$ID" -H "Authorization: Bearer $TOKEN"
expect_error 409 not_cancelable
req DELETE /v1/callbacks/cb_019a0b1c2d3edoesnotexistdoesnotexi -H "Authorization: Bearer $TOKEN"
expect_error 404 not_found
req GET "/v1/callbacks/$ID2"
expect_jv .position 1
ok "DELETE: 401 without/with a wrong token, 200 canceled, then 409; queue moves up"

# ---- CORS
req OPTIONS /v1/callbacks -H 'Origin: http://localhost:3000' \
	-H 'Access-Control-Request-Method: POST' \
	-H 'Access-Control-Request-Headers: content-type, idempotency-key'
expect_status 204 "preflight"
[ "$(hdr Access-Control-Allow-Origin)" = "http://localhost:3000" ] ||
	fail "ACAO"
hdr Access-Control-Allow-Methods | grep -q POST || fail "ACAM"
hdr Access-Control-Allow-Headers | grep -qi idempotency-key || fail "ACAH"
hdr Vary | grep -q Origin || fail "Vary"
req OPTIONS /v1/callbacks -H 'Origin: https://evil.example' \
	-H 'Access-Control-Request-Method: POST'
expect_status 403 "preflight from another origin"
[ -z "$(hdr Access-Control-Allow-Origin)" ] || fail "ACAO for evil"
req OPTIONS /v1/callbacks -H 'Origin: http://localhost:3000' \
	-H 'Access-Control-Request-Method: PUT'
expect_status 403 "preflight PUT"
req OPTIONS /v1/callbacks -H 'Origin: http://localhost:3000' \
	-H 'Access-Control-Request-Method: POST' \
	-H 'Access-Control-Request-Headers: x-evil'
expect_status 403 "preflight header"
ok "preflight: allowed origin 204 with CORS headers; others 403"

post_json '{"business":"demo","phone":"+14155550130"}' \
	-H 'Origin: http://127.0.0.1:8000'
expect_status 202 "POST from an allowed origin"
[ "$(hdr Access-Control-Allow-Origin)" = "http://127.0.0.1:8000" ] ||
	fail "ACAO on POST"
post_json '{"business":"demo","phone":"+14155550131"}' \
	-H 'Origin: https://evil.example'
expect_error 403 origin_not_allowed
[ -z "$(hdr Access-Control-Allow-Origin)" ] || fail "ACAO for evil"
post_json '{"business":"demo","phone":"+14155550131"}' \
	-H 'Origin: http://127.0.0.1.evil.example:80'
expect_error 403 origin_not_allowed
[ "$(sqlite3 "$DB" "SELECT count(*) FROM callbacks WHERE phone='+14155550131'")" \
	= 0 ] || fail "refused origin wrote a row"
ok "POST: allowed origin gets CORS headers, other origins 403 and nothing stored"

# ---- opening hours: a request while closed is scheduled for the opening
TOMORROW=$(date -u -d tomorrow +%a | tr A-Z a-z)
OPENS=$(date -u -d tomorrow +%Y-%m-%dT09:00:00.000Z)
"$BECKON" --server "$URL" --token demo business add shut --timezone UTC \
	--hours "$TOMORROW 09:00-10:00" >/dev/null || fail "business shut"
post_json '{"business":"shut","phone":"+14155550170"}'
expect_status 202 "while closed"
expect_jv .status scheduled
expect_jv .scheduled_for "$OPENS"
WHEN=$(date -u -d tomorrow +%Y-%m-%dT09:30:00Z)
post_json "{\"business\":\"shut\",\"phone\":\"+14155550171\",\"when\":\"$WHEN\"}"
expect_jv .scheduled_for "$(date -u -d tomorrow +%Y-%m-%dT09:30:00.000Z)"
WHEN=$(date -u -d tomorrow +%Y-%m-%dT11:00:00Z)
post_json "{\"business\":\"shut\",\"phone\":\"+14155550172\",\"when\":\"$WHEN\"}"
expect_jv .scheduled_for "$(date -u -d '8 days' +%Y-%m-%dT09:00:00.000Z)"
"$BECKON" --server "$URL" --token demo business add never --timezone UTC \
	--hours closed >/dev/null || fail "business never"
post_json '{"business":"never","phone":"+14155550173"}'
expect_error 409 business_closed
ok "outside opening hours: scheduled for the next opening; a when inside hours is kept; never open: 409"

# the widget's view of a business: settings and "call me later" slots
req GET /v1/businesses/shut
expect_status 200
expect_jv .open_now false
expect_jv .next_open "$OPENS"
expect_jv .timezone UTC
req GET "/v1/businesses/shut/slots?days=2&minutes=30"
expect_status 200
expect_jv '.slots | join(" ")' "$OPENS $(date -u -d tomorrow +%Y-%m-%dT09:30:00.000Z)"
req GET /v1/businesses/demo -H 'Origin: http://localhost:3000'
expect_status 200
expect_jv .open_now true
expect_jv '.agent_keys | join(" ")' "sales support agent:alice agent:bob"
[ "$(hdr Access-Control-Allow-Origin)" = "http://localhost:3000" ] ||
	fail "CORS on business settings"
req GET /v1/businesses/nope
expect_error 404 unknown_business
ok "GET /v1/businesses/ID and its slots: hours, next opening, published keys"

# ---- an honest ETA: agents working, the average handle time
req POST /v1/admin/agents/alice/state -H 'Authorization: Bearer demo' \
	-H 'Content-Type: application/json' --data '{"state":"available"}'
expect_status 200 "alice available"
req GET "/v1/callbacks/$ID2"
expect_jv .position 1
# this server runs no dialer: nobody will call, and the ETA says so
expect_jv .eta_seconds null
ok "eta_seconds: null with nobody working or no dialer to call"

stop_beckon
ok "SIGTERM: clean exit"

# ---- the client address of each request on one kept-alive connection
# (formatted once a connection, httpd_req_peer_str), and of a new one;
# limits off, as the requests above used this address's minute
printf 'limit_ip_minute 0\n' >"$T/peer.conf"
DB="$T/peer.db"
start_beckon peer --demo -f "$T/peer.conf"
curl -s -o /dev/null -w '%{num_connects}\n' \
	-H 'Content-Type: application/json' \
	--data-binary '{"business":"demo","phone":"+14155550901"}' \
	"$URL/v1/callbacks" --next -o /dev/null -w '%{num_connects}\n' \
	-H 'Content-Type: application/json' \
	--data-binary '{"business":"demo","phone":"+14155550902"}' \
	"$URL/v1/callbacks" >"$T/conns" || fail "curl keep-alive"
[ "$(tr '\n' ' ' <"$T/conns")" = "1 0 " ] || \
	fail "not one connection: $(cat "$T/conns")"
post_json '{"business":"demo","phone":"+14155550903"}'
expect_status 202
[ "$(sqlite3 "$DB" "SELECT group_concat(client_ip, ' ') FROM
	(SELECT client_ip FROM callbacks ORDER BY phone)")" = \
	"127.0.0.1 127.0.0.1 127.0.0.1" ] || fail "client_ip: $(sqlite3 \
	"$DB" "SELECT phone, client_ip FROM callbacks")"
ok "the client address of kept-alive and new connections: 127.0.0.1"
stop_beckon
