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
LOAD="$SRC/tests/sipp/lib/load.py"
T=$(mktemp -d /tmp/beckon-bench-media.XXXXXX)
PIDS=""
SECRET=bench-secret
HZ=$(getconf CLK_TCK)

cleanup() {
	for p in $PIDS; do
		kill "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

cc -std=gnu11 -O2 -Wall -Wextra -Werror -o "$T/rtpbench" \
	"$HERE/rtpbench.c"

free_port() {
	python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_port() {
	i=0
	until ss -Hln "sport = :$1" 2>/dev/null | grep -q .; do
		i=$((i + 1))
		[ $i -lt 500 ] || { echo "nothing listens on $1" >&2; exit 1; }
		sleep 0.02
	done
}

sipp_uas() {
	taskset -c 1 sipp -sf "$SRC/tests/sipp/hygiene/$1.xml" -i 127.0.0.1 \
		-p "$2" -mi 127.0.0.1 -mp "$(free_port)" -nostdin -m "$3" \
		-timeout 300s -max_recv_loops 10000 >"$T/$1.out" 2>&1 &
	PIDS="$PIDS $!"
	SIPP_PID=$!
	wait_port "$2"
}

# calls_bridged PORT N: until N calls are bridged (bounded)
calls_bridged() {
	python3 - "$1" "$SECRET" "$2" <<'PY'
import json, socket, sys, time
port, secret, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
deadline = time.time() + 120
while time.time() < deadline:
    s = socket.create_connection(("127.0.0.1", port))
    f = s.makefile("r")
    f.readline()
    s.sendall((json.dumps({"cmd": "auth", "secret": secret}) + "\n" +
               json.dumps({"cmd": "status"}) + "\n").encode())
    f.readline()
    st = json.loads(f.readline())
    s.close()
    if sum(c["state"] == "bridged" for c in st["calls"]) >= n:
        sys.exit(0)
    time.sleep(0.5)
sys.exit("not all bridged")
PY
}

# "sent received ticks" -> "packets_sent_a_second loss_% us_per_packet"
# (what the generator managed to send, which on a loaded machine is less
# than the 100 a second per call it aims at)
figures() {
	awk -v hz="$HZ" -v secs="$SECS" '{
		loss = $2 > 0 ? 100 * (1 - $4 / $2) : 100
		us = $4 > 0 ? $6 / hz * 1e6 / $4 : 0
		printf "%d %.3f %.2f\n", $2 / secs, loss, us
	}'
}

run_beckon() {
	n=$1
	sip=$(free_port)
	ctl=$(free_port)
	trunk=$(free_port)
	agent=$(free_port)
	taskset -c 0 "$BECKON" serve --http_listen "127.0.0.1:$(free_port)" \
		--db "sqlite:$T/m$n.db" --log_level warn --dialer local \
		--sip_listen "127.0.0.1:$sip" \
		--control_listen "127.0.0.1:$ctl" --control_secret "$SECRET" \
		--trunk_proxy "sip:127.0.0.1:$trunk" \
		--rtp_ports 12000-31999 --prompt_dir "$SRC/share/prompts" \
		2>"$T/beckon$n.log" &
	bpid=$!
	PIDS="$PIDS $bpid"
	wait_port "$ctl"
	sipp_uas customer "$trunk" "$n"
	sipp_uas agent "$agent" "$n"

	# the calls stay up until the measurement is over
	hold=$(( (n / 200 + WARM + SECS + 15) * 1000 ))
	taskset -c 1 python3 "$LOAD" "127.0.0.1:$ctl" "$SECRET" "$n" "$n" \
		"sip:agent@127.0.0.1:$agent" --rate 200 --hold "$hold" \
		--timeout $((hold / 1000 + 60)) >"$T/load$n.json" &
	lpid=$!
	PIDS="$PIDS $lpid"
	calls_bridged "$ctl" "$n" >&2

	ss -Hlnup 2>/dev/null | awk -v pid="pid=$bpid," '
	index($0, pid) { split($4, a, ":"); p = a[length(a)]
		if (p >= 12000 && p <= 31999 && p % 2 == 0) print p }' \
		>"$T/ports$n"
	[ "$(wc -l <"$T/ports$n")" -eq $((2 * n)) ] ||
		echo "warning: $(wc -l <"$T/ports$n") RTP ports for $n calls" >&2

	taskset -c 1 "$T/rtpbench" gen "$T/ports$n" "$WARM" "$SECS" "$bpid"
	wait "$lpid" || echo "warning: $(cat "$T/load$n.json")" >&2
	kill "$bpid" 2>/dev/null || true
	wait "$bpid" 2>/dev/null || true
}

run_bare() {
	n=$1
	taskset -c 0 "$T/rtpbench" relay "$n" "$T/bports$n" >"$T/bare$n.out" &
	rpid=$!
	PIDS="$PIDS $rpid"
	i=0
	until [ -s "$T/bports$n" ] && \
		[ "$(wc -l <"$T/bports$n")" -eq $((2 * n)) ]; do
		i=$((i + 1))
		[ $i -lt 500 ] || { echo "bare relay did not start" >&2; exit 1; }
		sleep 0.02
	done
	taskset -c 1 "$T/rtpbench" gen "$T/bports$n" "$WARM" "$SECS" "$rpid"
	kill "$rpid" 2>/dev/null || true
	wait "$rpid" 2>/dev/null || true
}

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
