#!/bin/sh
# The desk's note on why an agent gets no calls, in headless Chromium
# (tests/browser/away.mjs): beckon with the dialer in process, sipp as the
# customer behind the trunk (answers) and as bob's desk phone (answers
# 503). alice's softphone never registers: Available is refused and
# her desk says why; bob's phone fails a call: beckon sets him away and his
# desk says why and how to come back. Screenshots go to artifacts/away/
# in the build directory.
. "$(dirname "$0")/../lib/common.sh"

command -v sipp >/dev/null || fail "sipp is not installed"
need_browser

ART="${BECKON_ARTIFACTS:-$PWD/artifacts}/away"
rm -rf "$ART"
mkdir -p "$ART"

SIP=$(free_port)
CUST=$(free_port)
AGENT=$(free_port)
CTL=$(free_port)

start_sipp cust uas_answer "$CUST" 1
start_sipp agent uas_unavailable "$AGENT" 1

start_beckon away --demo --dialer local --sip_listen "127.0.0.1:$SIP" \
	--control_listen "127.0.0.1:$CTL" \
	--prompt_dir "$BECKON_SRC/share/prompts" \
	--www_dir "$BECKON_SRC/share/www" \
	--trunk_uri "sip:\${e164}@127.0.0.1:$CUST;user=phone"

export BECKON_SERVER="$URL" BECKON_TOKEN=demo
"$BECKON" agent set bob --endpoint "sip:bob@127.0.0.1:$AGENT" >/dev/null ||
	fail "agent set bob"
"$BECKON" business set demo --max_hold 120 >/dev/null ||
	fail "business set"

# under ASan everything is slower: the browser waits longer
SLOW=1
[ "${BECKON_SANITIZE:-0}" = 1 ] || [ "${BECKON_SANITIZE:-}" = ON ] && SLOW=3

rc=0
BECKON_URL="$URL" ART="$ART" SLOW="$SLOW" \
	node "$BECKON_SRC/tests/browser/away.mjs" >"$T/browser.log" 2>&1 ||
	rc=$?
sed "s/^/  browser: /" "$T/browser.log"
[ "$rc" = 0 ] || fail "the browser test failed (screenshots in $ART)"

# what the desk said is what the store holds: the customer, held with
# nobody left, hears the goodbye and is retried as no_agent
i=0
until [ "$(sqlite3 "$DB" "SELECT json_extract(data, '\$.reason') FROM events
	WHERE type='retry_scheduled'")" = no_agent ]; do
	i=$((i + 1))
	[ $i -le 200 ] || fail "the callback was not retried as no_agent"
	sleep 0.1
done
sipp_wait cust agent
ok "alice's and bob's desks say why no call comes to them (Chromium)"
