# `make run` under test (sourced after common.sh): scripts/run.sh with
# its rtpengine on the ports RTPE_NG_PORT and RTPE_PORTS (set by the
# caller), started, checked and stopped by pid. Used by make_run.sh and
# make_run_call.sh.

command -v rtpengine >/dev/null || fail "rtpengine is not installed"
BUILD=$(dirname "$BECKON")
mkdir -p "$T/run"

# run NAME [serve arguments...]: scripts/run.sh in $T/run with
# `make run`'s demo (and these arguments), in a process group of its own
# with SIGINT at its default (as from a terminal); sets RUN_PID, and
# BECKON_PID once beckon answers on URL
run() {
	name=$1
	shift
	PORT=$(free_port)
	URL="http://127.0.0.1:$PORT"
	(cd "$T/run" && exec python3 -c '
import os, signal, sys
os.setsid()
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execvp("sh", ["sh"] + sys.argv[1:])' "$BECKON_SRC/scripts/run.sh" "$BUILD" \
		--demo --db "sqlite:$T/$name.db" --http_listen "127.0.0.1:$PORT" \
		--demo_listen 127.0.0.1:0 --www_dir "$BECKON_SRC/share/www" \
		"$@" >>"$T/$name.log" 2>&1) &
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

