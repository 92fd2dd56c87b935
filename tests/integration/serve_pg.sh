#!/bin/sh
# beckon serve on PostgreSQL (db postgres://..., a server of the test's
# own, start_postgres): it starts (the schema made, the demo business and
# agents loaded through the records' ops), takes a callback (POST 202),
# shows it (GET: status, position, its created event), joins a second
# request for the same number to it, and the rows are in PostgreSQL.
. "$(dirname "$0")/../lib/common.sh"

start_postgres pg
pg_createdb beckon_s

# the db given last wins over start_beckon's SQLite file
start_beckon srv --demo --db "$PGDB"
grep -q "database PostgreSQL" "$T/srv.log" || fail "not on PostgreSQL"
[ "$(psql_q "SELECT count(*) FROM agents")" = 2 ] || fail "demo agents"
ok "beckon serve starts on PostgreSQL (schema made, demo loaded)"

post_json '{"business":"demo","phone":"+1 (415) 555-0100","name":"Ann"}'
expect_status 202 "create"
ID=$(jv .id)
expect_jv .status queued
expect_jv .position 1
[ "$(psql_q "SELECT phone || '|' || name FROM callbacks
	WHERE id = '$ID'")" = "+14155550100|Ann" ] || fail "row"
ok "POST /v1/callbacks answers 202 and the row is in PostgreSQL"

req GET "/v1/callbacks/$ID"
expect_status 200
expect_jv .id "$ID"
expect_jv .status queued
expect_jv .position 1
expect_jv '.events[0].type' created
ok "GET /v1/callbacks/ID shows it with its created event"

# a second request for the number: joined, counted after the callback
# that was queued when it came (SQ_CALLBACKS_MARK, SQ_AHEAD)
post_json '{"business":"demo","phone":"415-555-0100"}'
expect_status 202 "duplicate"
DUP=$(jv .id)
[ "$DUP" != "$ID" ] || fail "the duplicate was told the open callback's id"
req GET "/v1/callbacks/$DUP"
expect_status 200
expect_jv .position 2     # after the open callback, as on SQLite
[ "$(psql_q "SELECT callback_id FROM joined_requests
	WHERE id = '$DUP'")" = "$ID" ] || fail "not joined"
ok "a second request for the number is joined to the open one"

stop_beckon
ok "beckon stops cleanly"
