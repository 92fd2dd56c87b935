#!/bin/sh
# bench/acd: POST /v1/callbacks -> the customer's INVITE at the trunk,
# p50/p99 at increasing rates, next to the HTTP round trip of /healthz
# at the same rates (the bare limit of the path), as a ratio.
#
#   sh bench/acd/run.sh [path/to/beckon]      (or: make bench-acd)
#
# 20 agents are available; the trunk answers 486 at once so each agent is
# free again immediately. Knobs: BENCH_SECONDS (5), BENCH_RATES
# ("50 100 200 400 800").
set -eu

BECKON=${1:-build/beckon}
SECS=${BENCH_SECONDS:-5}
RATES=${BENCH_RATES:-50 100 200 400 800}
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
T=$(mktemp -d /tmp/beckon-bench-acd.XXXXXX)
PIDS=""

cleanup() {
	for p in $PIDS; do
		kill "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

free_port() {
	python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

HTTP=$(free_port)
SIP=$(free_port)
CTL=$(free_port)
TRUNK=$(free_port)

{
	printf 'log_level warn\nlimit_ip_minute 0\nlimit_phone_15min 0\n'
	printf 'limit_phone_day 0\n[business bench]\ntimezone UTC\ncountry 1\n'
	i=0
	while [ $i -lt 20 ]; do
		printf '[agent a%d]\npassword bench-agent\nbusinesses bench\n' $i
		printf 'endpoint sip:a%d@127.0.0.1:9\n' $i
		i=$((i + 1))
	done
} >"$T/bench.conf"

taskset -c 0 "$BECKON" serve -f "$T/bench.conf" --admin_token bench \
	--http_listen "127.0.0.1:$HTTP" --db "sqlite:$T/acd.db" \
	--dialer local --sip_listen "127.0.0.1:$SIP" \
	--control_listen "127.0.0.1:$CTL" --prompt_dir "$SRC/share/prompts" \
	--trunk_uri "sip:\${e164}@127.0.0.1:$TRUNK" 2>"$T/beckon.log" &
PIDS="$PIDS $!"

i=0
until curl -s -o /dev/null "http://127.0.0.1:$HTTP/healthz"; do
	i=$((i + 1))
	[ $i -lt 200 ] || { echo "beckon did not start" >&2; exit 1; }
	sleep 0.05
done

i=0
while [ $i -lt 20 ]; do
	"$BECKON" --server "http://127.0.0.1:$HTTP" --token bench \
		agent state "a$i" available >/dev/null
	i=$((i + 1))
done

echo "acd benchmark: $SECS s per rate, beckon on core 0, client on core 1"
# shellcheck disable=SC2086
taskset -c 1 python3 "$HERE/acd_bench.py" "http://127.0.0.1:$HTTP" \
	"$TRUNK" "$SECS" $RATES
