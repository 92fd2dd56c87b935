#!/bin/sh
# `make run`: beckon serve with the demo, and beside it an rtpengine on
# loopback for voice in the browser (WebRTC), stopped when beckon stops.
#
#   scripts/run.sh BUILD_DIR [beckon serve arguments...]
#
# rtpengine (Debian rtpengine-daemon) runs in userspace (--table=-1), on
# 127.0.0.1 only: its ng control port RTPE_NG_PORT (default 22223, not
# the system rtpengine's 2223) and its media ports RTPE_PORTS (default
# 30000-30999: below the kernel's ephemeral range, above beckon's own
# rtp_ports), its pid in var/rtpengine.pid and its log in
# var/rtpengine.log. A call beckon deletes is gone at once
# (--delete-delay=0: beckon's delete is final, no SIP branch comes
# late). beckon is then started with --rtpengine. If
# rtpengine is missing or does not answer a ping within 5 seconds, beckon
# runs without voice in the browser and this says so.
#
# Ctrl-C, SIGTERM to this script, or beckon exiting: beckon is stopped
# (SIGTERM) if still running, then rtpengine; the exit status is beckon's.
set -u

BUILD_DIR=${1:?usage: scripts/run.sh BUILD_DIR [serve arguments...]}
shift
NG_PORT=${RTPE_NG_PORT:-22223}
PORTS=${RTPE_PORTS:-30000-30999}
RTPENGINE=${RTPENGINE:-rtpengine}
VAR=var
PIDFILE="$VAR/rtpengine.pid"

mkdir -p "$VAR"
RPID=""
BPID=""

stop_rtpengine() {
	[ -n "$RPID" ] || return 0
	kill -TERM "$RPID" 2>/dev/null
	wait "$RPID" 2>/dev/null
	rm -f "$PIDFILE"
	echo "run: rtpengine stopped"
	RPID=""
}

# rtpengine answers a ping on its ng port (beckon's own client)
rtpengine_up() {
	"$BUILD_DIR/beckon-ng" "udp:127.0.0.1:$NG_PORT" ping \
		>/dev/null 2>&1
}

start_rtpengine() {
	if ! command -v "$RTPENGINE" >/dev/null 2>&1; then
		echo "run: rtpengine is not installed (Debian" \
		     "rtpengine-daemon): no voice in the browser" >&2
		return 1
	fi
	"$RTPENGINE" --config-file=none --table=-1 --foreground \
		--log-stderr --interface=127.0.0.1 \
		--listen-ng="127.0.0.1:$NG_PORT" \
		--port-min="${PORTS%-*}" --port-max="${PORTS#*-}" \
		--delete-delay=0 --pidfile="$PIDFILE" \
		>"$VAR/rtpengine.log" 2>&1 &
	RPID=$!
	i=0
	until rtpengine_up; do
		i=$((i + 1))
		if ! kill -0 "$RPID" 2>/dev/null || [ $i -ge 25 ]; then
			echo "run: rtpengine did not start (see" \
			     "$VAR/rtpengine.log): beckon runs without" \
			     "voice in the browser (WebRTC)" >&2
			stop_rtpengine >/dev/null
			return 1
		fi
	done
	echo "run: rtpengine on udp:127.0.0.1:$NG_PORT (media $PORTS," \
	     "pid $RPID), for voice in the browser"
}

# beckon gets SIGTERM from here; rtpengine follows once beckon is gone.
# Ctrl-C reaches beckon itself (the terminal signals the whole process
# group): passing a TERM on too would be a second signal, which beckon
# takes as "stop now" and cuts its orderly shutdown short.
trap '[ -n "$BPID" ] && kill -TERM "$BPID" 2>/dev/null' TERM
trap ':' INT

if start_rtpengine; then
	"$BUILD_DIR/beckon" serve "$@" --rtpengine "udp:127.0.0.1:$NG_PORT" &
else
	"$BUILD_DIR/beckon" serve "$@" &
fi
BPID=$!

# wait returns early when a trapped signal arrives: wait again
rc=0
while kill -0 "$BPID" 2>/dev/null; do
	wait "$BPID"
	rc=$?
done
BPID=""
stop_rtpengine
exit "$rc"
