#!/bin/sh
# bench/startup: how long beckon serve takes to start with many open
# callbacks (from exec to the first /healthz answer: loading businesses,
# agents and the open callbacks, recovery, the queue in memory), per open
# callback, next to the bare sqlite3 CLI reading the same rows in the
# same order (the reference, measured in the same run), as a ratio. The
# ratio should stay flat from 10k to 100k: start-up is linear.
#
#   sh bench/startup/run.sh [path/to/beckon]    (or: make bench-startup)
#
# Knobs: BENCH_SIZES ("10000 100000"). Each store is made with sqlite3
# directly: 95% queued, 5% scheduled for later, one business.
set -eu

BECKON=${1:-build/beckon}
SIZES=${BENCH_SIZES:-10000 100000}
T=$(mktemp -d /tmp/beckon-bench-startup.XXXXXX)
PID=""

cleanup() {
	[ -z "$PID" ] || kill "$PID" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

free_port() {
	python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

now_ns() {
	date +%s%N
}

printf 'log_level info\n[business bench]\ntimezone UTC\ncountry 1\n' \
	>"$T/bench.conf"

# serve DB: start beckon on DB, wait for /healthz; sets PID, URL, and
# MS (milliseconds from exec to the first answer)
serve() {
	port=$(free_port)
	URL="http://127.0.0.1:$port"
	t0=$(now_ns)
	"$BECKON" serve -f "$T/bench.conf" --http_listen "127.0.0.1:$port" \
		--db "sqlite:$1" --dialer off >"$T/beckon.log" 2>&1 &
	PID=$!
	i=0
	until curl -s -o /dev/null "$URL/healthz"; do
		i=$((i + 1))
		kill -0 "$PID" 2>/dev/null && [ $i -lt 60000 ] ||
			{ echo "beckon did not start" >&2; exit 1; }
		sleep 0.005
	done
	MS=$((($(now_ns) - t0) / 1000000))
}

unserve() {
	kill -TERM "$PID"
	wait "$PID" || true
	PID=""
}

# the schema, as beckon makes it
serve "$T/empty.db"
unserve

# what ACD start-up reads (the store's S_OPEN_LIST), for the reference
COLS="id, business_id, phone, status, open, created_at, updated_at,
scheduled_for, page_url, page_title, name, note, agent_key, priority,
attempts, agent_id, rule_id, lease_until, ended_reason"

echo "start-up with N open callbacks: beckon (exec to /healthz) vs the"
echo "sqlite3 CLI reading the same rows in queue order"
printf '%8s %10s %12s %10s %12s %7s\n' N beckon_ms us_per_cb sqlite_ms \
	us_per_cb ratio
for n in $SIZES; do
	db="$T/open$n.db"
	rm -f "$db"
	sqlite3 "$T/empty.db" ".backup $db"
	sqlite3 "$db" "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL
		SELECT i + 1 FROM k WHERE i < $n)
		INSERT INTO callbacks (id, business_id, phone, status,
		created_at, updated_at, scheduled_for, page_url, page_title,
		name)
		SELECT printf('cb_bench%09d', i), 'bench',
		printf('+1415%07d', i),
		CASE WHEN i % 20 = 0 THEN 'scheduled' ELSE 'queued' END,
		1700000000000 + i, 1700000000000 + i,
		CASE WHEN i % 20 = 0 THEN 4102444800000 ELSE 0 END,
		'https://shop.example/p', 'A page', 'N' FROM k;
		INSERT OR REPLACE INTO queue_counts
		SELECT business_id, count(*) FROM callbacks
		WHERE open = 1 AND status = 'queued' GROUP BY business_id;"

	t0=$(now_ns)
	sqlite3 "$db" "SELECT $COLS FROM callbacks WHERE open = 1
		ORDER BY priority DESC, created_at" >/dev/null
	ref=$((($(now_ns) - t0) / 1000000))

	serve "$db"
	grep -q "acd: info: $n open callbacks" "$T/beckon.log" ||
		{ echo "beckon did not load $n: $(grep 'open callbacks' \
			"$T/beckon.log")" >&2; exit 1; }
	unserve

	python3 - "$n" "$MS" "$ref" <<'PY'
import sys
n, ms, ref = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
ref = max(ref, 1)
print("%8d %10d %12.2f %10d %12.2f %7.1f" %
      (n, ms, 1000.0 * ms / n, ref, 1000.0 * ref / n, ms / ref))
PY
done
