#!/bin/sh
# The desk's sessions survive a restart of a single SQLite node (they are
# kept in the store, migration 23; src/api/agent.c): log in, kill -9 the
# server, start it again on the same file: the same cookie answers
# /agent/api/me, a change with the same CSRF token works. A session made
# expired in the file while the server is down is not restored (and its
# row is gone); a removed agent's is not either; a log-out ends a session
# for good, also across another restart.
. "$(dirname "$0")/../lib/common.sh"

J='Content-Type: application/json'
export BECKON_TOKEN=demo

# sessions N: the rows agent_sessions holds for agent N (the file read by
# python's sqlite3, as another program would)
sessions() {
	python3 - "$DB" "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(db.execute("SELECT count(*) FROM agent_sessions WHERE agent_id = ?",
                 (sys.argv[2],)).fetchone()[0])
PY
}

restart() {
	kill -KILL "$PID"
	wait "$PID" 2>/dev/null || true
	"$@"
	start_beckon sess --demo
}

start_beckon sess --demo
"$BECKON" --server "$URL" agent add carol --password 'carol-secret-1' \
	--name "Carol C" >/dev/null || fail "agent add carol"

agent_login alice
agent_login bob
req POST /agent/api/login -H "$J" \
	--data '{"login":"carol","password":"carol-secret-1"}'
expect_status 200 "log-in carol"
C_carol="Cookie: $(hdr Set-Cookie | sed 's/;.*//')"
[ "$(sessions alice)" = 1 ] && [ "$(sessions bob)" = 1 ] ||
	fail "sessions not in the file before the 200"
ok "a log-in's session is in the store when the 200 comes"

# carol removed (force: her desk is open): her session ends at once and
# is not restored
"$BECKON" --server "$URL" agent rm carol --force >/dev/null ||
	fail "agent rm carol"
req GET /agent/api/me -H "$C_carol"
expect_error 401 not_logged_in

# bob's session expires while the server is down
expire_bob() {
	python3 - "$DB" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE agent_sessions SET expires = 1 WHERE agent_id = 'bob'")
db.commit()
PY
}
restart expire_bob
wait_log "$T/sess.log" "1 desk session restored" 1

req GET /agent/api/me -H "$C_alice"
expect_status 200 "alice's cookie after kill -9 and a restart"
expect_jv .agent.id alice
expect_jv .csrf "$CSRF_alice"
req POST /agent/api/state -H "$C_alice" -H "$J" \
	-H "X-CSRF-Token: $CSRF_alice" --data '{"state":"away"}'
expect_status 200 "a change with the same CSRF token"
expect_jv .agent.state away
req POST /agent/api/state -H "$C_alice" -H "$J" \
	-H "X-CSRF-Token: wrong" --data '{"state":"available"}'
expect_error 403 csrf
ok "kill -9 and a restart: the same cookie answers me 200, the same \
CSRF token changes the state, another is refused"

python3 "$BECKON_SRC/tests/integration/agent_api.py" "$PORT" \
	"${C_alice#Cookie: beckon_session=}" "$CSRF_alice" ||
	fail "websocket"
ok "the restored session's WebSocket works"

req GET /agent/api/me -H "$C_bob"
expect_error 401 not_logged_in
[ "$(sessions bob)" = 0 ] || fail "bob's expired row is still there"
req GET /agent/api/me -H "$C_carol"
expect_error 401 not_logged_in
[ "$(sessions carol)" = 0 ] || fail "the removed carol's row is there"
ok "an expired session and a removed agent's are not restored, their \
rows gone"

req POST /agent/api/logout -H "$C_alice" -H "X-CSRF-Token: $CSRF_alice"
expect_status 204 "log-out"
[ "$(sessions alice)" = 0 ] || fail "alice's row after her log-out"
req GET /agent/api/me -H "$C_alice"
expect_error 401 not_logged_in
restart true
wait_log "$T/sess.log" "0 desk sessions restored" 2
req GET /agent/api/me -H "$C_alice"
expect_error 401 not_logged_in
ok "a log-out ends the session, also after another restart"

stop_beckon
