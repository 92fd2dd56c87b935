#!/bin/sh
# bench/intake: how many durable callback requests per second beckon takes,
# next to nginx answering a static 202 to the same load in the same run.
#
#   sh bench/intake/run.sh [path/to/beckon]      (or: make bench-intake)
#
# Both servers are pinned to the same single core (taskset), wrk runs on
# another with keep-alive connections. beckon commits every request to
# SQLite (WAL, synchronous=FULL) before answering 202; nginx just answers.
# Afterwards the database is counted: every 2xx must be a stored row.
# Between the two, the floor: bench/intake/floor.c (built here with cc
# against libre) answers the same static 202 through libre's receive
# and send path, as beckon's httpd takes them, and nothing else: the
# least a request can cost beckon on libre.
# Then the store alone (beckon-storebench, built next to beckon): the same
# store calls for 100,000 requests, CONNS to a commit, on the same core,
# no HTTP at all: the most beckon could take with this store. Then the
# floor (beckon-floorbench): the same row into the same schema, with the
# same commit, bare SQLite and nothing else; the least a durable create
# costs here, whatever the store's code. Last, the
# disk's own bound: with CONNS connections at most CONNS requests share a
# commit, and each commit waits for one fsync of the WAL, so CONNS over
# the median fsync (timed here, in the same folder) is the most any
# durable server could answer, whatever its CPU.
# Knobs: BENCH_SECONDS (10), BENCH_CONNS (64), BENCH_CORE (0), WRK_CORE (1).
set -eu

BECKON=${1:-build/beckon}
SECS=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNS:-64}
CORE=${BENCH_CORE:-0}
WRK_CORE=${WRK_CORE:-1}
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/beckon-bench.XXXXXX)
PIDS=""

cleanup() {
	for p in $PIDS; do
		kill "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

NCPU=$(nproc)
if [ "$NCPU" -lt 2 ]; then
	WRK_CORE=$CORE
	echo "note: one CPU only: wrk shares the server's core" >&2
fi

SRC=$(cd "$HERE/../.." && pwd)
. "$SRC/bench/lib.sh"

# ---- nginx: a static 202 with a small JSON body, one worker
NPORT=$(free_port)
mkdir -p "$T/nginx"
cat >"$T/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $T/nginx;
	proxy_temp_path $T/nginx;
	fastcgi_temp_path $T/nginx;
	uwsgi_temp_path $T/nginx;
	scgi_temp_path $T/nginx;
	keepalive_requests 1000000;
	server {
		listen 127.0.0.1:$NPORT;
		location / {
			default_type application/json;
			return 202 '{"id":"cb_static","status":"queued"}';
		}
	}
}
CONF
taskset -c "$CORE" nginx -c "$T/nginx/nginx.conf" -p "$T/nginx" \
	2>"$T/nginx/stderr" &
PIDS="$PIDS $!"
NGINX_PID=$!
wait_http "http://127.0.0.1:$NPORT/"

# ---- the floor: a static 202 through libre's receive and send path
FPORT=$(free_port)
cc -O2 -DHAVE_INTTYPES_H -DHAVE_STDBOOL_H -DHAVE_INET6 \
	$(pkg-config --cflags libre) "$HERE/floor.c" -o "$T/floor" \
	$(pkg-config --libs libre)
taskset -c "$CORE" "$T/floor" "127.0.0.1:$FPORT" 2>"$T/floor.log" &
PIDS="$PIDS $!"
FLOOR_PID=$!
wait_http "http://127.0.0.1:$FPORT/"

# ---- beckon: limits off for the bench business, a scratch database
BPORT=$(free_port)
intake_conf "$T/beckon.conf"
taskset -c "$CORE" "$BECKON" serve -f "$T/beckon.conf" \
	--http_listen "127.0.0.1:$BPORT" --db "sqlite:$T/bench.db" \
	2>"$T/beckon.log" &
PIDS="$PIDS $!"
BECKON_PID=$!
wait_http "http://127.0.0.1:$BPORT/healthz"

echo "intake benchmark: wrk -c$CONNS for ${SECS}s, servers on core $CORE," \
	"wrk on core $WRK_CORE"

# the CPU a request costs each server (its ticks over its requests): the
# figure that stays put when others' load halves the rates. nginx's
# worker is its master's child.
NGINX_W=$(ps -o pid= --ppid "$NGINX_PID" | awk 'NR == 1 { print $1 }')
C0=$(cpu "$NGINX_W")
set -- $(intake_wrk "http://127.0.0.1:$NPORT/v1/callbacks" "+14152")
N_RPS=$1 N_P50=$2 N_P99=$3
N_US=$(awk -v t="$(( $(cpu "$NGINX_W") - C0 ))" -v n="$4" -v hz="$HZ" \
	'BEGIN { printf "%.1f", t * 1e6 / hz / n }')
C0=$(cpu "$FLOOR_PID")
set -- $(intake_wrk "http://127.0.0.1:$FPORT/v1/callbacks" "+14154")
F_RPS=$1 F_P50=$2 F_P99=$3
F_US=$(awk -v t="$(( $(cpu "$FLOOR_PID") - C0 ))" -v n="$4" -v hz="$HZ" \
	'BEGIN { printf "%.1f", t * 1e6 / hz / n }')
kill "$FLOOR_PID"
C0=$(cpu "$BECKON_PID")
set -- $(intake_wrk "http://127.0.0.1:$BPORT/v1/callbacks" "+14153")
B_RPS=$1 B_P50=$2 B_P99=$3 B_REQ=$4 B_BAD=$5
B_US=$(awk -v t="$(( $(cpu "$BECKON_PID") - C0 ))" -v n="$4" -v hz="$HZ" \
	'BEGIN { printf "%.1f", t * 1e6 / hz / n }')

kill "$BECKON_PID"
wait "$BECKON_PID" 2>/dev/null || true
kill "$NGINX_PID"
STORED=$(sqlite3 "$T/bench.db" "SELECT count(*) FROM callbacks")
SYNC=$(sqlite3 "$T/bench.db" "PRAGMA journal_mode")

printf '\n%-22s %12s %10s %10s %10s\n' "server" "requests/s" "p50 ms" \
	"p99 ms" "CPU us/req"
printf '%-22s %12.0f %10.2f %10.2f %10s\n' "nginx (static 202)" "$N_RPS" \
	"$N_P50" "$N_P99" "$N_US"
printf '%-22s %12.0f %10.2f %10.2f %10s\n' "libre floor (static)" \
	"$F_RPS" "$F_P50" "$F_P99" "$F_US"
printf '%-22s %12.0f %10.2f %10.2f %10s\n' "beckon (durable 202)" \
	"$B_RPS" "$B_P50" "$B_P99" "$B_US"
awk -v b="$B_RPS" -v n="$N_RPS" -v bu="$B_US" -v nu="$N_US" 'BEGIN {
	printf "\nratio beckon/nginx: %.2f (goal: >= 0.50); by CPU a " \
		"request: %.2f\n", b / n, nu / bu }'
awk -v f="$F_RPS" -v n="$N_RPS" -v fu="$F_US" -v nu="$N_US" \
	-v bu="$B_US" 'BEGIN { printf "libre floor/nginx: %.2f; by CPU a " \
	"request: %.2f (beckon above the floor: %.1f us a request)\n", \
	f / n, nu / fu, bu - fu }'
echo "beckon: $B_REQ requests, $B_BAD non-2xx, $STORED rows stored" \
	"(journal $SYNC, synchronous=FULL)"
# ---- the store alone: the ceiling of beckon's rate
SB="$(dirname "$BECKON")/beckon-storebench"
if [ -x "$SB" ]; then
	mkdir -p "$T/sb"
	# its CPU: the child's ticks, read by the shell that waited for it
	set -- $(taskset -c "$CORE" sh -c '"$0" "$@" &&
		awk "{ print \$16 + \$17 }" /proc/$$/stat' \
		"$SB" "$T/sb" 100000 "$CONNS")
	awk -v r="$2" -v s="$6" -v us="$8" -v t="$9" -v hz="$HZ" \
		-v n="$N_RPS" -v nu="$N_US" 'BEGIN { c = t * 1e6 / hz / r
		printf "store alone (no HTTP, %s us a request, CPU %.1f): " \
			"%.0f req/s, %.2f of nginx; by CPU a request: " \
			"%.2f\n", us, c, s, s / n, nu / c }'
	SB_CPU=$(awk -v r="$2" -v t="$9" -v hz="$HZ" \
		'BEGIN { printf "%.2f", t * 1e6 / hz / r }')
	# ---- the floor: the row alone into the same schema, the same
	# commit, bare SQLite (beckon-floorbench); what no store code can go
	# under on this machine
	FB="$(dirname "$BECKON")/beckon-floorbench"
	mkdir -p "$T/fb"
	set -- $(taskset -c "$CORE" sh -c '"$0" "$@" &&
		awk "{ print \$16 + \$17 }" /proc/$$/stat' \
		"$FB" "$T/sb/storebench.db" "$T/fb" 100000 "$CONNS")
	awk -v r="$2" -v t="$9" -v hz="$HZ" -v sc="$SB_CPU" -v nu="$N_US" \
		'BEGIN { c = t * 1e6 / hz / r
		printf "floor (the row alone, bare SQLite, CPU %.1f): " \
			"%.2f of the store alone; by CPU a request: %.2f " \
			"of nginx\n", c, c / sc, nu / c }'
else
	echo "($SB not built: no store-alone figure)"
fi
# ---- the disk: one page written and fsync()ed, 200 times
FSYNC_US=$(python3 -c 'import os, sys, time
fd = os.open(sys.argv[1], os.O_CREAT | os.O_WRONLY)
ts = []
for i in range(200):
    os.pwrite(fd, b"x" * 4096, i * 4096)
    t = time.perf_counter(); os.fsync(fd); ts.append(time.perf_counter() - t)
os.close(fd)
print("%.0f" % (sorted(ts)[len(ts) // 2] * 1e6))' "$T/fsync.test")
awk -v us="$FSYNC_US" -v c="$CONNS" -v n="$N_RPS" 'BEGIN {
	d = c * 1e6 / us
	printf "disk bound (fsync p50 %s us, %d requests a commit): " \
		"%.0f req/s, %.2f of nginx\n", us, c, d, d / n }'
if [ "$B_BAD" != 0 ]; then
	echo "warning: beckon answered $B_BAD requests with an error" >&2
fi
