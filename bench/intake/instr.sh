#!/bin/sh
# bench/intake/instr.sh: the instructions a request of one or more beckon
# binaries under bench/intake's load, counted by valgrind's callgrind:
# unlike the CPU time (pairs.sh), the count does not move with the
# machine's other load, so it tells small changes apart. It counts work,
# not cache misses or the kernel's side of the syscalls.
#
#   sh bench/intake/instr.sh BECKON... (knob: BENCH_SECONDS, 20)
#
# Each binary serves wrk -c64 on a fresh database for BENCH_SECONDS
# under callgrind (from the first request on; start-up not counted);
# prints "BINARY instructions/request requests" and leaves each profile
# as /tmp/beckon-instr.N.out for callgrind_annotate.
set -eu

SECS=${BENCH_SECONDS:-20}
CONNS=${BENCH_CONNS:-64}
CORE=${BENCH_CORE:-0}
WRK_CORE=${WRK_CORE:-1}
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
T=$(mktemp -d /tmp/beckon-instr.XXXXXX)
PIDS=""
RUN_PID=""

cleanup() {
	[ -z "$RUN_PID" ] || kill "$RUN_PID" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

. "$SRC/bench/lib.sh"
intake_conf "$T/beckon.conf"

i=0
for b in "$@"; do
	i=$((i + 1))
	out=/tmp/beckon-instr.$i.out
	intake_serve "$i" "$b" valgrind --tool=callgrind --instr-atstart=no \
		--callgrind-out-file="$out"
	callgrind_control -i on "$RUN_PID" >/dev/null 2>&1
	intake_wrk "http://127.0.0.1:$PORT/v1/callbacks" "+14153" >/dev/null
	callgrind_control -i off "$RUN_PID" >/dev/null 2>&1
	intake_stop
	n=$(sqlite3 "$T/bench.db" "SELECT count(*) FROM callbacks")
	# (callgrind's own summary line stays 0 once it was toggled)
	ir=$(callgrind_annotate "$out" | awk '/PROGRAM TOTALS/ {
		gsub(",", "", $1); print $1 }')
	awk -v b="$b" -v ir="$ir" -v n="$n" 'BEGIN {
		printf "%s %.0f %d\n", b, ir / n, n }'
done
