#!/bin/sh
# bench/media: N concurrent bridged calls with RTP both ways through the
# dialer: packet loss and CPU per relayed packet, next to a bare
# recvfrom/sendto relay (bench/media/rtpbench.c, epoll, symmetric
# latching, nothing else) relaying the same streams in the same run.
#
#   sh bench/media/run.sh [path/to/beckon]      (or: make bench-media)
#
# For each N: a fresh beckon sets up N calls (sipps answer both legs, no
# media from them), hung up only after the measurement. rtpbench gen then
# sends 20 ms PCMU packets to both RTP ports of every call (50 a second
# each, 100 per call) from one socket, onto which both legs latch, so
# everything relayed comes back to it: BENCH_WARM seconds to latch, then
# BENCH_SECONDS measured. Loss = 1 - received / sent; CPU per packet =
# the relay's CPU in the measured seconds / packets received. Then the
# bare relay with N pairs of sockets, the same way. beckon and the bare
# relay run on core 0, the generator on core 1 (taskset).
# Knobs: BENCH_CALLS ("500 1000 2000 3000"), BENCH_SECONDS (10),
# BENCH_WARM (2).
set -eu

BECKON=${1:-build/beckon}
NS=${BENCH_CALLS:-500 1000 2000 3000}
SECS=${BENCH_SECONDS:-10}
WARM=${BENCH_WARM:-2}
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
T=$(mktemp -d /tmp/beckon-bench-media.XXXXXX)
PIDS=""

cleanup() {
	for p in $PIDS; do
		kill "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

. "$HERE/lib.sh"

echo "media benchmark: $SECS s measured per N (after $WARM s), 100 packets" \
	"a second per call aimed at; relays on core 0, generator on core 1"
echo "sent/s: the packets a second the generator managed to send"
printf '%6s | %8s %7s %10s | %8s %7s %10s | %6s\n' calls \
	"sent/s" "loss %" "cpu us/pkt" "sent/s" "loss %" "cpu us/pkt" ratio
printf '%6s | %27s | %27s |\n' "" "beckon" "bare relay"
for n in $NS; do
	set -- $(run_beckon "$n" | figures)
	bs=$1 bl=$2 bu=$3
	set -- $(run_bare "$n" | figures)
	rs=$1 rl=$2 ru=$3
	printf '%6s | %8s %7s %10s | %8s %7s %10s | %6s\n' "$n" \
		"$bs" "$bl" "$bu" "$rs" "$rl" "$ru" \
		"$(awk -v a="$bu" -v b="$ru" 'BEGIN {
			if (b > 0) printf "%.2f", a / b; else print "-" }')"
done
