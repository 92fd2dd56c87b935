#!/bin/sh
# `make run`'s script (scripts/run.sh): it starts rtpengine on loopback
# beside beckon (pid file under var/, beckon given --rtpengine), and
# stops it whichever way the run ends: SIGTERM to the script, Ctrl-C
# (SIGINT to its process group), beckon exiting by itself. When
# rtpengine cannot start (its ng port taken), beckon runs without it and
# the script says so.
. "$(dirname "$0")/../lib/common.sh"

command -v rtpengine >/dev/null || fail "rtpengine is not installed"
BUILD=$(dirname "$BECKON")
mkdir -p "$T/run"

# run NAME: scripts/run.sh in $T/run, in a process group of its own
# with SIGINT at its default (as from a terminal); sets RUN_PID, and
# BECKON_PID once beckon answers on URL
run() {
	name=$1
	PORT=$(free_port)
	URL="http://127.0.0.1:$PORT"
	(cd "$T/run" && exec python3 -c '
import os, signal, sys
os.setsid()
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execvp("sh", ["sh"] + sys.argv[1:])' "$BECKON_SRC/scripts/run.sh" "$BUILD" \
		--demo --db "sqlite:$T/$name.db" --http_listen "127.0.0.1:$PORT" \
		--demo_listen 127.0.0.1:0 --www_dir "$BECKON_SRC/share/www" \
		>>"$T/$name.log" 2>&1) &
	RUN_PID=$!
	PIDS="$PIDS $RUN_PID"
	i=0
	until curl -s -o /dev/null "$URL/healthz" 2>/dev/null; do
		i=$((i + 1))
		[ $i -le 200 ] && kill -0 "$RUN_PID" 2>/dev/null ||
			fail "$name: beckon did not start"
		sleep 0.05
	done
	BECKON_PID=$(ps -o pid= --ppid "$RUN_PID" -o comm= |
		awk '$2 == "beckon" { print $1 }')
	[ -n "$BECKON_PID" ] || fail "$name: no beckon under the script"
}

# rtpengine_of NAME: the pid in var/rtpengine.pid, which must be running
# with the beckon of this run pointed at it
rtpengine_of() {
	RPID=$(cat "$T/run/var/rtpengine.pid" 2>/dev/null) ||
		fail "$1: no var/rtpengine.pid"
	kill -0 "$RPID" 2>/dev/null || fail "$1: rtpengine $RPID not running"
	ng_ping 127.0.0.1 "$RTPE_NG_PORT" || fail "$1: rtpengine does not answer"
	grep -q "rtpengine on udp:127.0.0.1:$RTPE_NG_PORT" "$T/$1.log" ||
		fail "$1: the script did not say where rtpengine is"
	tr '\0' ' ' <"/proc/$BECKON_PID/cmdline" |
		grep -q -- "--rtpengine udp:127.0.0.1:$RTPE_NG_PORT" ||
		fail "$1: beckon runs without --rtpengine"
}

# ended NAME: the script, beckon and rtpengine are all gone, the pid
# file removed
ended() {
	rc=0
	wait "$RUN_PID" || rc=$?
	i=0
	while kill -0 "$RPID" 2>/dev/null || kill -0 "$BECKON_PID" 2>/dev/null
	do
		i=$((i + 1))
		[ $i -le 100 ] || fail "$1: beckon or rtpengine left running"
		sleep 0.05
	done
	[ ! -e "$T/run/var/rtpengine.pid" ] || fail "$1: pid file left"
	grep -q "run: rtpengine stopped" "$T/$1.log" ||
		fail "$1: the script did not stop rtpengine"
	if grep -q "Sanitizer\|runtime error" "$T/$1.log"; then
		fail "$1: sanitizer report in the log"
	fi
}

RTPE_NG_PORT=$(free_port)
RTPE_MEDIA=$(free_port 20)
export RTPE_NG_PORT RTPE_PORTS="$RTPE_MEDIA-$((RTPE_MEDIA + 19))"

run term
rtpengine_of term
kill -TERM "$RUN_PID"
ended term
ok "SIGTERM to make run's script: beckon, then rtpengine, stop"

run ctrlc
rtpengine_of ctrlc
kill -INT "-$RUN_PID"
ended ctrlc
ok "Ctrl-C (SIGINT to the group): beckon and rtpengine stop"

run exits
rtpengine_of exits
kill -TERM "$BECKON_PID"
ended exits
[ "$rc" = 0 ] || fail "the script's status is not beckon's 0: $rc"
ok "beckon exits by itself: rtpengine stops, the script exits 0"

# rtpengine cannot start: its ng port is taken
python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
time.sleep(60)' "$RTPE_NG_PORT" &
HOLDER=$!
PIDS="$PIDS $HOLDER"
until ! ng_ping 127.0.0.1 "$RTPE_NG_PORT" &&
	python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(0)
sys.exit(1)' "$RTPE_NG_PORT"; do
	sleep 0.05
done
run nortpe
grep -q "run: rtpengine did not start (see var/rtpengine.log): beckon runs \
without voice in the browser" "$T/nortpe.log" || fail "no clear message"
! tr '\0' ' ' <"/proc/$BECKON_PID/cmdline" | grep -q -- --rtpengine ||
	fail "beckon was given --rtpengine all the same"
[ ! -e "$T/run/var/rtpengine.pid" ] || fail "a pid file without rtpengine"
kill -TERM "$RUN_PID"
wait "$RUN_PID" || fail "the script's status without rtpengine"
kill "$HOLDER"
ok "rtpengine cannot start: beckon runs without WebRTC and says so"
