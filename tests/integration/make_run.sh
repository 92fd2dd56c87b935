#!/bin/sh
# `make run`'s script (scripts/run.sh): it starts rtpengine on loopback
# beside beckon (pid file under var/, beckon given --rtpengine), and
# stops it whichever way the run ends: SIGTERM to the script, Ctrl-C
# (SIGINT to its process group), beckon exiting by itself. When
# rtpengine cannot start (its ng port taken), beckon runs without it and
# the script says so.
. "$(dirname "$0")/../lib/common.sh"
. "$BECKON_SRC/tests/lib/make_run.sh"

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
grep -q "signal 2: shutting down" "$T/ctrlc.log" ||
	fail "Ctrl-C: beckon did not shut down on its SIGINT"
! grep -q "again: stopping now" "$T/ctrlc.log" ||
	fail "Ctrl-C: beckon got a second signal and cut its shutdown short"
ok "Ctrl-C (SIGINT to the group): beckon shuts down once, in order, and \
rtpengine stops"

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
