#!/bin/sh
# A supervisor who acts, in a real browser (tests/browser/supervise.mjs):
# the demo without a phone line, so callbacks wait; bob moves one to the
# front, reschedules, assigns and cancels from the supervisor view, sets
# alice away and logs her out; the view names the node (node_id, with
# markup shown as text). The store then holds each action as an
# event naming bob. Screenshots go to artifacts/supervise/.
. "$(dirname "$0")/../lib/common.sh"

command -v sqlite3 >/dev/null || fail "sqlite3 is not installed"
need_browser

ART="${BECKON_ARTIFACTS:-$PWD/artifacts}/supervise"
rm -rf "$ART"
mkdir -p "$ART"

# a node id with markup: the view shows it as text
NODE_ID='web<b>1</b>:&amp;'
start_beckon supervise --demo --www_dir "$BECKON_SRC/share/www" \
	--node_id "$NODE_ID"

# under ASan everything is slower: the browser waits longer
SLOW=1
[ "${BECKON_SANITIZE:-0}" = 1 ] || [ "${BECKON_SANITIZE:-}" = ON ] && SLOW=3

rc=0
BECKON_URL="$URL" ART="$ART" SLOW="$SLOW" NODE_ID="$NODE_ID" \
	node "$BECKON_SRC/tests/browser/supervise.mjs" \
	>"$T/browser.log" 2>&1 || rc=$?
sed "s/^/  browser: /" "$T/browser.log"
[ "$rc" = 0 ] || fail "the browser test failed (screenshots in $ART)"

read -r ANN BEN CY <"$ART/supervise-ids.txt"
sup_events() {
	sqlite3 "$DB" "SELECT group_concat(json_extract(data, '$.action') ||
		':' || json_extract(data, '$.by'), ' ') FROM (SELECT data
		FROM events WHERE callback_id = '$1' AND type = 'supervised'
		ORDER BY seq)"
}
[ "$(sup_events "$CY")" = "front:bob" ] || fail "Cy: $(sup_events "$CY")"
[ "$(sup_events "$ANN")" = "assign:bob" ] || fail "Ann: $(sup_events "$ANN")"
[ "$(sup_events "$BEN")" = "reschedule:bob cancel:bob" ] ||
	fail "Ben: $(sup_events "$BEN")"
[ "$(sqlite3 "$DB" "SELECT assigned FROM callbacks WHERE id = '$ANN'")" = \
	agent:alice ] || fail "Ann not assigned in the store"
[ "$(sqlite3 "$DB" "SELECT status || '|' || ended_reason FROM callbacks
	WHERE id = '$BEN'")" = "canceled|supervisor" ] ||
	fail "Ben in the store (a supervisor's cancel, not the customer's)"
[ "$(sqlite3 "$DB" "SELECT state || '|' || state_reason FROM agents
	WHERE id = 'alice'")" = "offline|logged out by supervisor bob" ] ||
	fail "alice in the store"
ok "the store: each action an event naming bob; alice logged out by him"

stop_beckon
