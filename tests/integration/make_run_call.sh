#!/bin/sh
# `make run` shows a full callback, heard end to end, with no phone at
# all (issues 11 and 14): scripts/run.sh with `make run`'s arguments
# (--demo --dialer local, no trunk) on free loopback ports starts
# rtpengine and beckon; alice's desk (Chromium, 880 Hz microphone) goes
# Available with the desk as her phone, a visitor on the demo shop
# (Chromium, 440 Hz) presses the widget's Talk now, alice answers, each
# hears the other's tone, the visitor hangs up, and rtpengine holds no
# call (tests/browser/make_run_call.mjs drives the pages).
. "$(dirname "$0")/../lib/common.sh"
. "$BECKON_SRC/tests/lib/make_run.sh"

need_browser

RTPE_NG_PORT=$(free_port)
RTPE_MEDIA=$(free_port 20)
export RTPE_NG_PORT RTPE_PORTS="$RTPE_MEDIA-$((RTPE_MEDIA + 19))"

# make run's RUN_ARGS (Makefile), its ports moved to free ones; the
# prompts where make run finds them (it runs in the source tree)
run call --dialer local --sip_listen "127.0.0.1:$(free_port)" \
	--rtp_ports 30000-39999 --prompt_dir "$BECKON_SRC/share/prompts"
rtpengine_of call
DEMO=$(sed -n 's/.*demo shop on \(http:\/\/[0-9.:]*\).*/\1/p' \
	"$T/call.log")
[ -n "$DEMO" ] || fail "no demo shop in the log"
grep -q 'demo: no phone line is configured: only calls in the browser' \
	"$T/call.log" || fail "the log does not say why no number is called"

mic_wav 440 60
mic_wav 880 60
mkdir -p "$T/pages"
timeout 60 node "$BECKON_SRC/tests/browser/make_run_call.mjs" "$URL" \
	"$DEMO" "$T/mic440.wav" "$T/mic880.wav" "$T/pages" \
	>"$T/pages.out" 2>&1 || {
	cat "$T/pages.out" >&2
	fail "the call in make run's demo"
}
sed 's/^/  pages: /' "$T/pages.out"

# The marks are when each page saw "connected"; media may start half a
# second later on a loaded machine, so 70% of the 2.4 s after must hold
# the other's tone (silence or the wrong tone still fails).
M="$T/pages/marks.json"
A=$(jq .desk "$M")
hears "$T/pages/desk.wav" 440 "$A" 3.0 0.7 ||
	fail "alice's desk does not hear the visitor"
V=$(jq .visitor "$M")
hears "$T/pages/visitor.wav" 880 "$V" 3.0 0.7 ||
	fail "the visitor does not hear alice's desk"
ok "the visitor on the shop hears alice's desk (880 Hz) and the desk \
the visitor (440 Hz)"

"$BUILD/beckon-ng" "udp:127.0.0.1:$RTPE_NG_PORT" list >"$T/list.json" ||
	fail "ng list"
[ "$(jq -c .calls "$T/list.json")" = '[]' ] ||
	fail "rtpengine still holds $(jq -c .calls "$T/list.json")"
ok "after the call, make run's rtpengine holds none"

kill -TERM "$RUN_PID"
ended call
[ "$rc" = 0 ] || fail "make run's script exited $rc"
ok "make run stops: beckon, then rtpengine"
