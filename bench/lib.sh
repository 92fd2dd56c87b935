# bench/lib.sh: what the benchmarks share, sourced by bench/calls/run.sh,
# bench/media/lib.sh, bench/report/run.sh and bench/intake's run.sh and
# pg.sh. Needs SRC and T set (and PIDS for sipp_uas); sets LOAD (the
# call-control load driver), SECRET (the control secret), HZ and defines:
#   free_port      a free loopback port
#   wait_port P    until something listens on P (bounded)
#   wait_http URL  until URL answers (bounded)
#   intake_wrk URL PREFIX
#                  bench/intake's load: wrk posting post.lua's requests
#                  (numbers PREFIX...) with CONNS connections for SECS on
#                  core WRK_CORE; prints "rps p50 p99 requests non2xx"
#   intake_wrk_to FILE URL PREFIX CONNS
#                  the same load with CONNS connections, wrk's output in
#                  FILE (several at once: one per node of a cluster)
#   wrk_summary FILE...
#                  "rps p50 p99 requests non2xx" of wrk outputs: rates,
#                  requests and errors added up, the slowest p50 and p99
#   intake_serve NAME BINARY [WRAPPER...]
#                  BINARY serve (under WRAPPER, e.g. valgrind) on core
#                  CORE with $T/beckon.conf and a fresh $T/bench.db, log
#                  $T/NAME.log, until /healthz answers (60 s at most);
#                  sets RUN_PID and PORT
#   intake_stop    the server intake_serve started, stopped
#   cpu PID        its user + system clock ticks so far
#   sipp_uas NAME XML PORT CALLS [SIPP_ARGS...]
#                  an answering sipp on core 1 (SIPP_PID)

LOAD="$SRC/tests/sipp/lib/load.py"
SECRET=bench-secret
HZ=$(getconf CLK_TCK)

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

wait_http() {
	i=0
	until curl -s -o /dev/null "$1"; do
		i=$((i + 1))
		[ $i -lt 200 ] || { echo "server did not start: $1" >&2; exit 1; }
		sleep 0.05
	done
}

intake_serve() {
	is_name=$1 is_bin=$2
	shift 2
	rm -f "$T"/bench.db*
	PORT=$(free_port)
	taskset -c "$CORE" "$@" "$is_bin" serve -f "$T/beckon.conf" \
		--http_listen "127.0.0.1:$PORT" --db "sqlite:$T/bench.db" \
		2>"$T/$is_name.log" &
	RUN_PID=$!
	is_i=0
	until curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz"; do
		is_i=$((is_i + 1))
		[ $is_i -lt 600 ] ||
			{ echo "$is_bin did not start" >&2; exit 1; }
		sleep 0.1
	done
}

intake_stop() {
	kill "$RUN_PID"
	wait "$RUN_PID" 2>/dev/null || true
	RUN_PID=""
}

intake_wrk() {
	intake_wrk_to "$T/wrk.out" "$1" "$2" "$CONNS"
	wrk_summary "$T/wrk.out"
}

intake_wrk_to() {
	BENCH_PREFIX=$3 taskset -c "$WRK_CORE" wrk -t1 -c"$4" \
		-d"${SECS}s" --latency -s "$SRC/bench/intake/post.lua" "$2" \
		>"$1"
}

wrk_summary() {
	awk '
	function ms(v) {
		if (v ~ /us$/) { sub(/us$/, "", v); return v / 1000 }
		if (v ~ /ms$/) { sub(/ms$/, "", v); return v + 0 }
		if (v ~ /s$/)  { sub(/s$/, "", v);  return v * 1000 }
		return v
	}
	/Requests\/sec/ { rps += $2 }
	($1 == "50.000%" || $1 == "50%") && ms($2) > p50 { p50 = ms($2) }
	($1 == "99.000%" || $1 == "99%") && ms($2) > p99 { p99 = ms($2) }
	/requests in/ { req += $1 }
	/Non-2xx/ { bad += $NF }
	END { printf "%s %.2f %.2f %s %s\n", rps, p50, p99, req, bad + 0 }
	' "$@"
}

cpu() {
	awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null
}

# sipp_uas NAME XML PORT CALLS [SIPP_ARGS...]: sipp answering CALLS calls
# of scenario XML on PORT, on core 1, its output in $T/NAME.out; it gives
# up by itself after 300 s (the benchmarks stop it before)
sipp_uas() {
	su_name=$1 su_xml=$2 su_port=$3 su_calls=$4
	shift 4
	taskset -c 1 sipp -sf "$su_xml" -i 127.0.0.1 -p "$su_port" \
		-mi 127.0.0.1 -mp "$(free_port)" -nostdin -m "$su_calls" \
		-timeout 300s -max_recv_loops 10000 "$@" \
		>"$T/$su_name.out" 2>&1 &
	SIPP_PID=$!
	PIDS="$PIDS $SIPP_PID"
	wait_port "$su_port"
}

# intake_conf FILE: the intake benches' server config: limits off for
# the one business "bench", quiet logs
intake_conf() {
	cat >"$1" <<CONF
log_level warn
limit_ip_minute 0
limit_phone_15min 0
limit_phone_day 0
[business bench]
name Bench
timezone UTC
country 1
CONF
}
