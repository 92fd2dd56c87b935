#!/bin/sh
# Agent first with Accept on the desk in a real browser
# (tests/browser/accept.mjs): with the business's accept_timeout, bob
# declines the first offer with a click, alice accepts it with the
# keyboard, then her phone and the customer's (sipp) are called and
# bridged. The store shows the offer's events, one attempt, and no call
# to bob's phone. Screenshots go to artifacts/desktop-accept/.
. "$(dirname "$0")/../lib/common.sh"

command -v sipp >/dev/null || fail "sipp is not installed"
command -v sqlite3 >/dev/null || fail "sqlite3 is not installed"
need_browser

ART="${BECKON_ARTIFACTS:-$PWD/artifacts}/desktop-accept"
rm -rf "$ART"
mkdir -p "$ART"

SIP=$(free_port)
CUST=$(free_port)
ALICE=$(free_port)
BOB=$(free_port)
CTL=$(free_port)

start_sipp cust uas_answer "$CUST" 1
start_sipp alice uas_answer "$ALICE" 1
start_sipp bob uas_answer "$BOB" 1

start_beckon deskaccept --demo --dialer local \
	--sip_listen "127.0.0.1:$SIP" --control_listen "127.0.0.1:$CTL" \
	--prompt_dir "$BECKON_SRC/share/prompts" \
	--www_dir "$BECKON_SRC/share/www" \
	--trunk_uri "sip:\${e164}@127.0.0.1:$CUST;user=phone"

# under ASan everything is slower: the browser waits longer
SLOW=1
[ "${BECKON_SANITIZE:-0}" = 1 ] || [ "${BECKON_SANITIZE:-}" = ON ] && SLOW=3
ACCEPT_S=$((30 * SLOW))

export BECKON_SERVER="$URL" BECKON_TOKEN=demo
"$BECKON" business set demo --dial_mode agent_first \
	--accept_timeout "$ACCEPT_S" >/dev/null || fail "business set"
"$BECKON" agent set alice --endpoint "sip:alice@127.0.0.1:$ALICE" \
	>/dev/null || fail "agent set alice"
"$BECKON" agent set bob --endpoint "sip:bob@127.0.0.1:$BOB" \
	>/dev/null || fail "agent set bob"
ok "beckon with the dialer and three sipp phones; demo: agent_first, $ACCEPT_S s to accept"

rc=0
BECKON_URL="$URL" ART="$ART" SLOW="$SLOW" ACCEPT_S="$ACCEPT_S" \
	node "$BECKON_SRC/tests/browser/accept.mjs" \
	>"$T/browser.log" 2>&1 || rc=$?
sed "s/^/  browser: /" "$T/browser.log"
[ "$rc" = 0 ] || fail "the browser test failed (screenshots in $ART)"

ID=$(cat "$ART/accept-id.txt")
EVS=$(sqlite3 "$DB" "SELECT group_concat(type, ' ') FROM (SELECT type
	FROM events WHERE callback_id='$ID' ORDER BY rowid)")
case "$EVS" in
	*"offered declined offered dialing accepted agent_ringing"*bridged*) ;;
	*) fail "events: $EVS" ;;
esac
[ "$(sqlite3 "$DB" "SELECT json_extract(data, '$.agent') FROM events
	WHERE callback_id='$ID' AND type='declined'")" = bob ] ||
	fail "declined names bob"
[ "$(sqlite3 "$DB" "SELECT agent_id||'|'||attempts||'|'||status
	FROM callbacks WHERE id='$ID'")" = 'alice|1|completed' ] ||
	fail "callback row: $(sqlite3 "$DB" "SELECT agent_id, attempts, status
	FROM callbacks WHERE id='$ID'")"
[ "$(invites bob)" = 0 ] || fail "bob's phone was called"
[ "$(invites cust)" = 1 ] || fail "the customer got $(invites cust) calls"
ok "the store: $EVS; alice, one attempt; bob's phone never rang"

sipp_wait cust alice
ok "one call each for alice and the customer, both ended by a BYE"

stop_beckon
ls "$ART"/*.png >/dev/null 2>&1 || fail "no screenshots"
ok "screenshots: $(cd "$ART" && ls *.png | tr '\n' ' ')"
