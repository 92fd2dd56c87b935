#!/bin/sh
# A business's webhook endpoints through the admin API and `beckon
# webhook` (issue 13): bad input named by field, private destinations
# refused unless allowed, the secret shown once and never logged, one
# business's endpoints invisible to another, and a callback's events in
# the outbox of the enabled endpoints only.
. "$(dirname "$0")/../lib/common.sh"

start_beckon wh --demo
A='Authorization: Bearer demo'
J='Content-Type: application/json'
W=/v1/admin/businesses/demo/webhooks

req POST "$W" -H "$J" --data '{"url":"https://crm.example/h"}'
expect_error 401 missing_token
req POST "$W" -H "$A" --data '{"url":"https://crm.example/h"}'
expect_status 415
req POST "$W" -H "$A" -H "$J" --data '{"events":"callback.created"}'
expect_error 400 invalid_field url
req POST "$W" -H "$A" -H "$J" --data '{"url":"ftp://crm.example/h"}'
expect_error 400 invalid_field url
req POST "$W" -H "$A" -H "$J" --data '{"url":"http://127.0.0.1:9/h"}'
expect_error 400 invalid_field url
req POST "$W" -H "$A" -H "$J" --data '{"url":"http://[::ffff:10.0.0.1]/"}'
expect_error 400 invalid_field url
req POST "$W" -H "$A" -H "$J" \
	--data '{"url":"https://crm.example/h","events":"callback.nope"}'
expect_error 400 invalid_field events
req POST "$W" -H "$A" -H "$J" \
	--data '{"url":"https://crm.example/h","secret":"short"}'
expect_error 400 invalid_field secret
req POST "$W" -H "$A" -H "$J" \
	--data '{"url":"https://crm.example/h","enabled":"maybe"}'
expect_error 400 invalid_field enabled
req POST "$W" -H "$A" -H "$J" \
	--data '{"url":"https://crm.example/h","colour":"red"}'
expect_error 400 invalid_field colour
req POST /v1/admin/businesses/nope/webhooks -H "$A" -H "$J" \
	--data '{"url":"https://crm.example/h"}'
expect_error 404 not_found
[ "$(sqlite3 "$DB" 'SELECT count(*) FROM webhooks')" = 0 ] ||
	fail "a refused request left a row"
ok "bad input: 401, 415, 400 naming url/events/secret/enabled, 404"

# ---- created: the secret shown once
req POST "$W" -H "$A" -H "$J" --data '{"url":"https://crm.example/h",
  "events":"callback.created callback.ended","secret":"s3cret-0123456789abc"}'
expect_status 201
ID1=$(jv .id)
expect_jv .secret s3cret-0123456789abc
expect_jv .enabled true
req POST "$W" -H "$A" -H "$J" --data '{"url":"https://crm2.example/h",
  "enabled":false}'
expect_status 201
ID2=$(jv .id)
SECRET2=$(jv .secret)
[ ${#SECRET2} -ge 32 ] || fail "a made secret of ${#SECRET2} characters"
req GET "$W" -H "$A"
expect_status 200
expect_jv '.webhooks | length' 2
expect_jv "[.webhooks[] | has(\"secret\")] | any" false
req GET "$W/$ID1" -H "$A"
expect_jv .events "callback.created callback.ended"
expect_jv 'has("secret")' false
grep -q "s3cret-0123456789abc\|$SECRET2" "$T/wh.log" && fail "secret logged"
ok "created: 201 with the secret (given, or made), never shown again"

# ---- another business sees none of them
export BECKON_SERVER="$URL" BECKON_TOKEN=demo
"$BECKON" business add acme --timezone UTC >/dev/null || fail "acme"
req GET /v1/admin/businesses/acme/webhooks -H "$A"
expect_jv '.webhooks | length' 0
req GET "/v1/admin/businesses/acme/webhooks/$ID1" -H "$A"
expect_error 404 not_found
req DELETE "/v1/admin/businesses/acme/webhooks/$ID1" -H "$A"
expect_error 404 not_found
ok "another business neither sees nor removes them"

# ---- a callback: its events go to the enabled endpoint's outbox only
post_json '{"business":"demo","phone":"+14155550150"}'
expect_status 202
CB=$(jv .id)
[ "$(sqlite3 "$DB" "SELECT webhook_id || ' ' || type || ' ' || state ||
	' ' || json_extract(payload, '\$.callback.id') FROM webhook_outbox")" \
	= "$ID1 created pending $CB" ] ||
	fail "outbox: $(sqlite3 "$DB" 'SELECT * FROM webhook_outbox')"
sqlite3 "$DB" 'SELECT payload FROM webhook_outbox' | grep -q 4155550150 &&
	fail "the phone number is in the outbox"
ok "a POST puts callback.created in the enabled endpoint's outbox"

# ---- the command line: add, list, set, rm
OUT=$("$BECKON" webhook add demo --url https://cli.example/h \
	--events callback.created,callback.bridged) || fail "webhook add"
printf '%s\n' "$OUT" | grep -q '^secret  *[A-Za-z0-9_-]\{32,\}$' ||
	fail "no secret: $OUT"
ID3=$(printf '%s\n' "$OUT" | sed -n 's/^id  *//p')
EV="callback.created callback.bridged"
LINE="$ID3	https://cli.example/h	$EV	true	false	0"
"$BECKON" webhook list demo | grep -qx "$LINE" ||
	fail "list: $("$BECKON" webhook list demo)"
"$BECKON" webhook set demo "$ID3" --enabled false >/dev/null ||
	fail "webhook set"
req GET "$W/$ID3" -H "$A"
expect_jv .enabled false
rc=0
"$BECKON" webhook add demo --url http://10.1.2.3/ 2>"$T/err" || rc=$?
[ "$rc" = 1 ] || fail "private URL: exit $rc"
grep -q url "$T/err" || fail "error: $(cat "$T/err")"
"$BECKON" webhook rm demo "$ID3" >/dev/null || fail "webhook rm"
"$BECKON" webhook rm demo "$ID2" >/dev/null || fail "webhook rm"
req GET "$W" -H "$A"
expect_jv '[.webhooks[].id] | join(" ")' "$ID1"
"$BECKON" webhook --help >"$T/out" || fail "webhook --help"
grep -q '^  webhook add BUSINESS --url URL' "$T/out" || fail "help: add"
grep -q '^  webhook list BUSINESS | set BUSINESS ID' "$T/out" ||
	fail "help: list"
rc=0
"$BECKON" webhook list 2>"$T/err" || rc=$?
[ "$rc" = 2 ] && grep -q 'business ID' "$T/err" || fail "usage: $rc"
ok "beckon webhook add, list, set, rm; --help; a usage error"
stop_beckon

# ---- an administrator may allow private destinations (tests, LANs)
DB="$T/private.db" start_beckon private --demo --webhook_allow_private yes
req POST "$W" -H "$A" -H "$J" --data '{"url":"http://127.0.0.1:9/h"}'
expect_status 201
stop_beckon
ok "webhook_allow_private yes: a loopback endpoint is accepted"
