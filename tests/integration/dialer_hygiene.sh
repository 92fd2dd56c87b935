#!/bin/sh
# Resource hygiene: 10,000 complete calls through the dialer (customer
# answers, hold prompt, agent answers, bridged, hung up over the control
# protocol) leave no file descriptor and no memory behind.
#
# Two sipps answer every call (tests/sipp/hygiene): the trunk over UDP,
# the agent's phone over TCP. tests/sipp/lib/load.py keeps 20 calls in
# flight and checks each call's events. After a warm-up
# batch the dialer's descriptors (/proc/PID/fd) and heap are measured, then
# again after the 10,000:
#
# - descriptors: exactly as many as after the warm-up (each leg's two RTP
#   sockets are closed when it ends; SIP is one UDP and one TCP socket).
# - heap: the bytes in use that the status command reports (glibc's
#   mallinfo2), not the resident size, which keeps the allocator's high
#   water mark and so measures the busiest moment, not a leak. libre keeps
#   each answered leg's ACK for 32 s (64*T1, to repeat it if a 200 OK is
#   repeated; ~2 KiB each), and the dialer keeps each call's end for a
#   controller that may not have read it (60 s, docs/call-control.md,
#   attach; a few hundred bytes), so the heap after a batch falls back only
#   60 s later: we wait for it, up to DRAIN seconds. The warm-up is measured
#   right after it ran, with its own ACKs still kept (WARM calls, ~4 KiB
#   each), and the heap after the 10,000 must come back under that plus
#   SLACK: a call may leave at most (WARM * 4 KiB + SLACK) / CALLS bytes,
#   about 25 bytes (one libre allocation is 48 or more).
#
# The resident size is printed, not checked.
#
# Sanitizer build (BECKON_SANITIZE=1): ASan's allocator is not glibc's, so
# the heap figure means nothing there and is not checked; LeakSanitizer
# checks every allocation at exit instead (stop_beckon fails on a report).
# The 10,000 calls take about as long there (the time goes to libre's
# timer list, not to instrumented code), and there is no drain to wait.
. "$(dirname "$0")/../lib/common.sh"
. "$BECKON_SRC/tests/sipp/lib/dialer.sh"

CALLS=10000
WARM=50
CONC=20
SLACK=32768
DRAIN=75
SAN=0
case "${BECKON_SANITIZE:-0}" in
1|ON|on|TRUE|true) SAN=1 ;;
esac

LOAD="$SIPP_CASES/lib/load.py"

start_dialer hygiene --log_level warn

# each sipp takes every call of the test, then exits
TOTAL=$((WARM + CALLS))
sipp_start customer "$SIPP_CASES/hygiene/customer.xml" "$TRUNK_PORT" \
	"$TOTAL" -timeout 300s
CPID=$SIPP_PID
# the agent's phone over TCP (one connection, kept): both transports
sipp -sf "$SIPP_CASES/hygiene/agent.xml" -t t1 -i 127.0.0.1 \
	-p "$AGENT_PORT" -mi 127.0.0.1 -mp "$(free_port 8)" -nostdin \
	-m "$TOTAL" -timeout 300s -timeout_error -max_recv_loops 1000 \
	-trace_err -error_file "$T/agent.err" >"$T/agent.out" 2>&1 &
APID=$!
PIDS="$PIDS $APID"
wait_tcp "$AGENT_PORT"
AGENT="sip:agent@127.0.0.1:$AGENT_PORT;transport=tcp"

fds() {
	ls "/proc/$PID/fd" | wc -l
}

rss() {
	awk '$1 == "VmRSS:" { print $2 }' "/proc/$PID/status"
}

# status FIELD: a field of the all-calls status reply
status() {
	printf 'expect ok cmd=auth\nsend {"cmd":"status"}\nexpect status\n' \
		>"$T/status.txt"
	ctl "$T/status.txt" "$T/status.ctl"
	jq -r "select(.event == \"status\") | .$1" "$T/status.ctl"
}

# load NAME N: N complete calls, each must succeed
load() {
	python3 "$LOAD" "127.0.0.1:$CTL_PORT" "$SECRET" "$2" "$CONC" \
		"$AGENT" --prefix "$1" \
		--timeout 240 >"$T/$1.json" || {
		cat "$T/$1.json" >&2
		fail "$1: not every call was complete"
	}
	jq -e ".ok == $2" "$T/$1.json" >/dev/null ||
		fail "$1: $(cat "$T/$1.json")"
}

# fds_back N: the descriptors are N again (closing is asynchronous: the
# status client's connection goes a moment after it left)
fds_back() {
	i=0
	while [ "$(fds)" -gt "$1" ]; do
		i=$((i + 1))
		[ $i -le 50 ] || return 1
		sleep 0.1
	done
}

load warm "$WARM"
[ "$(status count)" = 0 ] || fail "calls left after the warm-up"
F1=$(fds)
H1=$(status heap)
R1=$(rss)
ok "warm-up: $WARM calls; $F1 descriptors, heap $H1 bytes, RSS $R1 kB"

t0=$(date +%s)
load main "$CALLS"
t1=$(date +%s)
ok "$CALLS calls, each complete, in $((t1 - t0)) s: \
$(jq -c '{calls_per_s, setup_p50_ms, setup_p99_ms}' "$T/main.json")"

[ "$(status count)" = 0 ] || fail "calls left after the $CALLS"
fds_back "$F1" || {
	ls -l "/proc/$PID/fd" >&2
	fail "descriptors: $(fds) after $CALLS calls, $F1 after the warm-up"
}
ok "no descriptor left: $(fds) after $CALLS calls, $F1 after the warm-up"

if [ "$SAN" = 1 ]; then
	ok "# skip heap check under ASan (LeakSanitizer checks at exit)"
else
	# the ACKs of the last calls go 32 s after they were answered
	LIMIT=$((H1 + SLACK))
	i=0
	H2=$(status heap)
	while [ "$H2" -gt "$LIMIT" ]; do
		i=$((i + 1))
		if [ $i -gt "$DRAIN" ]; then
			fail "heap: $H2 bytes $DRAIN s after $CALLS calls, \
$H1 after the warm-up (limit $LIMIT): at least \
$(( (H2 - H1) / CALLS )) bytes a call left behind"
		fi
		sleep 1
		H2=$(status heap)
	done
	ok "heap back to $H2 bytes after $i s (warm-up: $H1, limit $LIMIT); \
RSS $(rss) kB (warm-up $R1 kB)"
fi

# Each call was checked from beckon's side (load.py). A sipp counts a
# call as failed when, on a loaded machine, beckon's INVITE retransmission
# crosses its 200 and then its ACK arrives while sipp resends the 200
# (its scenario cannot follow that): tolerated (exit 1), reported; any
# other exit (a crash, its timeout) is not.
sipp_tolerant_wait() {
	rc=0
	wait "$1" || rc=$?
	[ "$rc" = 0 ] || [ "$rc" = 1 ] || fail "sipp $2 exited with $rc"
	RACES=$(grep -c 'Aborting call' "$T/$2.err" 2>/dev/null || true)
	RACES=${RACES:-0}
}
sipp_tolerant_wait "$CPID" customer
ca=$RACES
sipp_tolerant_wait "$APID" agent
ok "each sipp took its $TOTAL calls (retransmission races: customer \
$ca, agent $RACES)"

stop_beckon
ok "clean shutdown"
