#!/bin/sh
# The "Call me" widget in headless Chromium (tests/browser/widget.mjs):
# the demo shop on one origin, beckon's API on another, the dialer in
# process, and sipp answering the customer's phone (behind the trunk)
# and the agent's, each after four seconds of ringing so that the page
# sees every step. Screenshots are kept in artifacts/widget/ of the
# directory ctest runs in (the build directory).
. "$(dirname "$0")/../lib/common.sh"

command -v sipp >/dev/null || fail "sipp is not installed"
need_browser

SIP=$(free_port)
CTL=$(free_port)

# start_sipp NAME SCENARIO CALLS: a UAS on a free loopback UDP port, in
# background; sets PID_NAME and PORT_NAME once that sipp listens. Tests
# run side by side, and another's RTP may take a port between free_port
# and the bind: then sipp exits and another port is tried.
start_sipp() {
	tries=0
	while :; do
		port=$(free_port)
		sipp -sf "$BECKON_SRC/tests/sipp/$2/scenario.xml" \
			-i 127.0.0.1 -p "$port" -m "$3" -nostdin -trace_err \
			-error_file "$T/$1.err" >"$T/$1.out" 2>&1 &
		pid=$!
		i=0
		until ss -Hlunp "sport = :$port" 2>/dev/null |
				grep -q "pid=$pid,"; do
			kill -0 "$pid" 2>/dev/null || break
			i=$((i + 1))
			[ $i -le 250 ] || fail "sipp $1 does not listen"
			sleep 0.02
		done
		if kill -0 "$pid" 2>/dev/null; then
			break
		fi
		tries=$((tries + 1))
		[ $tries -lt 5 ] || fail "sipp $1 found no free port"
	done
	PIDS="$PIDS $pid"
	eval "PID_$1=$pid PORT_$1=$port"
}

start_sipp cust uas_slow_answer 1
start_sipp agent uas_slow_answer 1
CUST=$PORT_cust
AGENT=$PORT_agent

start_beckon widget --demo --dialer local --sip_listen "127.0.0.1:$SIP" \
	--control_listen "127.0.0.1:$CTL" \
	--prompt_dir "$BECKON_SRC/share/prompts" \
	--www_dir "$BECKON_SRC/share/www" \
	--trunk_uri "sip:\${e164}@127.0.0.1:$CUST;user=phone"

DEMO=$(sed -n 's/.*demo shop on \(http:\/\/[0-9.:]*\).*/\1/p' \
	"$T/widget.log" | head -n 1)
[ -n "$DEMO" ] || fail "no demo shop address in the log"
[ "$DEMO" != "$URL" ] || fail "the demo shop is on the API's origin"

# alice takes the calls, on the sipp agent phone, once the browser test
# makes her available; bob stays offline. The test's own requests all
# come from 127.0.0.1: no per-address limit for them.
export BECKON_SERVER="$URL" BECKON_TOKEN=demo
"$BECKON" agent set alice --endpoint "sip:alice@127.0.0.1:$AGENT" \
	>/dev/null || fail "agent set alice"
"$BECKON" business set demo --limit_ip_minute 0 >/dev/null ||
	fail "business set demo"

mkdir -p artifacts/widget
API="$URL" DEMO="$DEMO" DB="$DB" ART="$PWD/artifacts/widget" \
	node "$BECKON_SRC/tests/browser/widget.mjs" >"$T/browser.out" 2>&1 ||
	{ cat "$T/browser.out"; fail "tests/browser/widget.mjs failed"; }
cat "$T/browser.out"

sipp_wait cust agent
ok "sipp customer and agent phones each answered exactly one call"

stop_beckon
