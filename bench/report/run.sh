#!/bin/sh
# bench/report: GET /v1/admin/reports over a period of N callbacks (issue
# 13: a report reads at most REPORT_ROWS_MAX = 500,000 of them), next to
# the bare limit measured in the same run: the sqlite3 CLI running the
# store's own query (SQ_REPORT_ROWS, src/store/sql.c) on the same file,
# as a ratio. While each report runs, /healthz is asked again and again:
# the longest of those answers is how long the report held the event
# loop (calls wait as long).
#
#   sh bench/report/run.sh [path/to/beckon]      (or: make bench-report)
#
# Knobs: BENCH_SIZES ("50000 200000 500000" callbacks, spread over the
# last 300 days of the demo business), BENCH_RUNS (3, the best is kept).
set -eu

BECKON=${1:-build/beckon}
SIZES=${BENCH_SIZES:-50000 200000 500000}
RUNS=${BENCH_RUNS:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/beckon-bench-report.XXXXXX)
PID=""

cleanup() {
	[ -z "$PID" ] || kill "$PID" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

command -v sqlite3 >/dev/null || { echo "needs sqlite3 (the CLI)"; exit 1; }

SRC=$(cd "$HERE/../.." && pwd)
. "$SRC/bench/lib.sh"
PORT=$(free_port)
URL="http://127.0.0.1:$PORT"

start() {
	"$BECKON" serve --demo --http_listen "127.0.0.1:$PORT" \
		--demo_listen 127.0.0.1:0 --db "sqlite:$1" \
		--log_level warn >>"$T/beckon.log" 2>&1 &
	PID=$!
	i=0
	until curl -s -o /dev/null "$URL/healthz"; do
		i=$((i + 1))
		[ $i -le 600 ] || { echo "beckon did not start"; exit 1; }
		sleep 0.05
	done
}

stop() {
	kill -TERM "$PID"
	wait "$PID" || true
	PID=""
}

printf '%-9s %10s %12s %7s %14s\n' callbacks report_ms sqlite3_ms ratio \
	loop_held_ms
for n in $SIZES; do
	db="$T/r$n.db"
	start "$db"    # the schema
	stop
	python3 "$HERE/report.py" gen "$db" "$n" >"$T/gen.out"
	start "$db"
	python3 "$HERE/report.py" run "$URL" "$db" "$RUNS" "$n"
	stop
	rm -f "$db" "$db-wal" "$db-shm"
done
