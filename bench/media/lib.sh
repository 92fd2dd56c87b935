# bench/media/lib.sh: the plain relay's measurement, sourced by
# bench/media/run.sh and bench/webrtc/run.sh (which measures it as its
# reference). Needs BECKON, SRC, T, PIDS, SECS, WARM set, builds
# $T/rtpbench and defines:
#   run_beckon N   N bridged calls through a fresh beckon (sipps on both
#                  legs), rtpbench gen on both RTP ports of each
#   run_bare N     the same streams through rtpbench's bare relay
#   figures        rtpbench gen's line -> "sent/s loss_% us_per_packet..."
# and the helper calls_bridged, with bench/lib.sh's (free_port,
# wait_port, sipp_uas...).

. "$SRC/bench/lib.sh"

cc -std=gnu11 -O2 -Wall -Wextra -Werror -o "$T/rtpbench" \
	"$SRC/bench/media/rtpbench.c"

# hygiene_uas customer|agent PORT CALLS [SIPP_ARGS...]: tests/sipp/hygiene's
# customer or agent answering CALLS calls
hygiene_uas() {
	hu_sc=$1
	shift
	sipp_uas "$hu_sc" "$SRC/tests/sipp/hygiene/$hu_sc.xml" "$@"
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

# rtpbench gen's "sent S received R cpu_ticks T..." -> "packets_sent_a_second
# loss_% us_per_packet..." (one per PID measured; sent/s: what the
# generator managed to send, which on a loaded machine is less than the
# 100 a second per call it aims at)
figures() {
	awk -v hz="$HZ" -v secs="$SECS" '{
		printf "%d %.3f", $2 / secs, ($2 > 0 ? 100 * (1 - $4 / $2) : 100)
		for (i = 6; i <= NF; i++)
			printf " %.2f", ($4 > 0 ? $i / hz * 1e6 / $4 : 0)
		printf "\n"
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
	hygiene_uas customer "$trunk" "$n"
	hygiene_uas agent "$agent" "$n"

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
