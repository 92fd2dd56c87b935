#!/bin/sh
# bench/intake/pairs.sh: the CPU a request of two beckon binaries under
# bench/intake's load, in alternated runs (A, B, A, B, ...), each on a
# fresh database: for telling a change from the machine's noise.
#
#   sh bench/intake/pairs.sh A/beckon B/beckon [PAIRS]     (PAIRS: 4)
#
# Prints one line a run ("A 23.1" : us a request) and each binary's
# range. Knobs as run.sh: BENCH_SECONDS (10), BENCH_CONNS (64),
# BENCH_CORE (0), WRK_CORE (1).
set -eu

A=$1 B=$2 PAIRS=${3:-4}
SECS=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNS:-64}
CORE=${BENCH_CORE:-0}
WRK_CORE=${WRK_CORE:-1}
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
T=$(mktemp -d /tmp/beckon-pairs.XXXXXX)
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

# run NAME BINARY: one run, its CPU a request on stdout
run() {
	intake_serve "$1" "$2"
	c0=$(cpu "$RUN_PID")
	set -- $(intake_wrk "http://127.0.0.1:$PORT/v1/callbacks" "+14153")
	c1=$(cpu "$RUN_PID")
	intake_stop
	[ "$5" = 0 ] || echo "warning: $5 non-2xx answers" >&2
	awk -v t="$((c1 - c0))" -v n="$4" -v hz="$HZ" \
		'BEGIN { printf "%.1f", t * 1e6 / hz / n }'
}

i=0
while [ $i -lt "$PAIRS" ]; do
	echo "A $(run A "$A")" | tee -a "$T/all"
	echo "B $(run B "$B")" | tee -a "$T/all"
	i=$((i + 1))
done
awk '{ v[$1] = v[$1] " " $2; s[$1] += $2; n[$1]++
	if (!($1 in lo) || $2 < lo[$1]) lo[$1] = $2
	if (!($1 in hi) || $2 > hi[$1]) hi[$1] = $2 }
END { for (k in n) printf "%s: %.1f-%.1f us a request, mean %.2f\n",
	k, lo[k], hi[k], s[k] / n[k]
	printf "B - A, mean: %+.2f us\n",
		s["B"] / n["B"] - s["A"] / n["A"] }' \
	"$T/all"
