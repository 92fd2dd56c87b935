#!/bin/sh
# bench/calls: complete callback flows through the dialer at increasing
# rates: originate over the call-control protocol, the customer answers
# (sipp as the trunk), hold prompt, the agent answers (sipp as the agent's
# phone), bridged, media both ways for BENCH_HOLD ms, hung up over the
# protocol. For each rate: calls with the complete flow, failures, set-up
# time (originate sent to bridged received) p50/p99, beckon's CPU per
# call; at the end the highest rate with zero failures.
#
#   sh bench/calls/run.sh [path/to/beckon]      (or: make bench-calls)
#
# Media: the agent's sipp streams a looped 440 Hz PCMU tone (rtp_stream)
# from the ACK on; the customer's sipp echoes every packet it gets
# (-rtp_echo): first beckon's prompt, then the agent's tone relayed by
# beckon, which beckon relays back to the agent.
#
# The reference, in the same run and at the same rates: sipp itself
# placing the same SIP dialogs, two per flow (INVITE with the same SDP,
# 180, 200, ACK, the same hold, BYE, 200) against the same answering
# scenario. It is the cost of the bare SIP signalling of a flow in a
# mature C++ SIP tool, without the B2BUA's logic, media or events; baresip's
# b2bua module was not used because it bridges incoming calls to outgoing
# ones (it needs a caller) rather than placing two calls on command. The
# ratio is beckon's CPU per flow over sipp's CPU for two dialogs.
#
# Each rate runs on a fresh beckon: libre keeps each answered leg's ACK
# 32 s, so a rate reaches its steady state (in memory) only after 32 s
# (BENCH_SECONDS=40 to see it; the default is shorter). Since the timers
# are kept by delay (src/util/timer.c), those ~64 x rate pending timers
# no longer make each new timer dearer.
#
# The "core1" column is the CPU the two sipps and the driver used over
# the run's time: the harness shares core 1, and near 100% it, not
# beckon, would be the limit. It stayed under 50% up to 1,200 flows/s.
#
# Measured (2 cores, shared, noisy; hold 1000 ms, agent over UDP): zero
# failed flows up to 1,200/s; set-up p50/p99 1.7/4.7 ms at 200/s,
# 3.3/15 ms at 600/s; at 1,000/s beckon's core is at its limit: p50/p99
# from 5.6/521 ms (the p99 one INVITE retransmission, T1) to 564/1,800
# ms between runs, and p50 0.8 s at 1,200/s. The kernel counted UDP
# receive-buffer drops during runs at 1,000/s (RTP, most likely at the
# sipps' media sockets on the busy core 1): flows are unaffected. CPU a
# flow 1.4 ms at 200/s, 0.9 ms at 1,000/s, 6x sipp's two bare dialogs;
# about half of it relays the second of RTP (loopback sendto charges
# beckon the receiver's side too). Before the timers by delay: 2.3 ms a
# flow at 200/s and collapse at 400/s.
#
# beckon runs on core 0, the sipps and the driver on core 1 (taskset); the
# reference sipp UAC runs alone on core 0 the same way.
# Knobs: BENCH_SECONDS (10), BENCH_RATES ("200 400 600 800 1000 1200"),
# BENCH_HOLD (1000 ms), BENCH_AGENT_TRANSPORT (udp or tcp), BENCH_KEEP
# (1: keep the logs, the driver's JSON and sipp's errors in /tmp).
set -eu

BECKON=${1:-build/beckon}
SECS=${BENCH_SECONDS:-10}
RATES=${BENCH_RATES:-200 400 600 800 1000 1200}
HOLD=${BENCH_HOLD:-1000}
ATP=${BENCH_AGENT_TRANSPORT:-udp}
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
T=$(mktemp -d /tmp/beckon-bench-calls.XXXXXX)
PIDS=""

cleanup() {
	for p in $PIDS; do
		kill "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "logs kept in $T" >&2
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT INT TERM

. "$SRC/bench/lib.sh"

sox -n -r 8000 -c 1 -e u-law -t wav "$T/tone.wav" synth 5 sine 440 \
	vol 0.5
sed "s#@TONE@#$T/tone.wav#" "$HERE/agent.xml" >"$T/agent.xml"
sed "s#@HOLD@#$HOLD#" "$HERE/uac.xml" >"$T/uac.xml"

# uas NAME XML PORT CALLS [args]: an answering sipp (bench/lib.sh's)
# that keeps its errors in $T/NAME.err
uas() {
	sipp_uas "$@" -trace_err -error_file "$T/$1.err"
}

# run_beckon RATE: prints "ok failed p50 p99 cpu_ms_per_call core1_%"
# (core1_%: the CPU the sipps and the driver used, over the run's time:
# near 100 means the harness, not beckon, is the limit)
run_beckon() {
	rate=$1
	n=$((rate * SECS))
	sip=$(free_port)
	ctl=$(free_port)
	trunk=$(free_port)
	agent=$(free_port)
	taskset -c 0 "$BECKON" serve --http_listen "127.0.0.1:$(free_port)" \
		--db "sqlite:$T/b$rate.db" --log_level warn --dialer local \
		--sip_listen "127.0.0.1:$sip" \
		--control_listen "127.0.0.1:$ctl" --control_secret "$SECRET" \
		--trunk_proxy "sip:127.0.0.1:$trunk" \
		--rtp_ports 12000-31999 --prompt_dir "$SRC/share/prompts" \
		2>"$T/beckon$rate.log" &
	bpid=$!
	PIDS="$PIDS $bpid"
	wait_port "$ctl"

	uas cust$rate "$HERE/customer.xml" "$trunk" "$n" -rtp_echo
	cpid=$SIPP_PID
	if [ "$ATP" = tcp ]; then
		uas agent$rate "$T/agent.xml" "$agent" "$n" -t t1
		auri="sip:agent@127.0.0.1:$agent;transport=tcp"
	else
		uas agent$rate "$T/agent.xml" "$agent" "$n"
		auri="sip:agent@127.0.0.1:$agent"
	fi
	apid=$SIPP_PID

	c0=$(cpu "$bpid")
	s0=$(( $(cpu "$cpid") + $(cpu "$apid") ))
	w0=$(date +%s%N)
	# in flight: a flow lasts its set-up and its hold; room for twice
	conc=$((rate * (HOLD + 500) * 2 / 1000 + 10))
	taskset -c 1 python3 "$LOAD" "127.0.0.1:$ctl" "$SECRET" "$n" \
		"$conc" "$auri" --rate "$rate" --hold "$HOLD" \
		--timeout $((SECS * 3 + 30)) >"$T/load$rate.json" || true
	c1=$(cpu "$bpid")
	s1=$(( $(cpu "$cpid") + $(cpu "$apid") ))
	w1=$(date +%s%N)

	kill "$bpid" "$cpid" "$apid" 2>/dev/null || true
	wait "$bpid" "$cpid" "$apid" 2>/dev/null || true

	# the harness's share of core 1: both sipps and the driver
	jq -r --arg cpu "$(( (c1 - c0) * 1000000 / HZ ))" \
		--arg sipp "$(( (s1 - s0) * 1000000 / HZ ))" \
		--arg wall "$(( (w1 - w0) / 1000 ))" \
		'"\(.ok) \(.failed) \(.setup_p50_ms) \(.setup_p99_ms) " +
		 "\(($cpu | tonumber) / ([.ok, 1] | max) / 1000 | . * 1000 |
		     round / 1000) " +
		 "\((($sipp | tonumber) + .cpu_s * 1e6) /
		     ($wall | tonumber) * 100 | round)"' "$T/load$rate.json"
}

# run_ref RATE: sipp places 2 * RATE dialogs a second for SECS seconds;
# prints "dialogs failed cpu_ms_per_two_dialogs"
run_ref() {
	rate=$1
	n=$((rate * SECS * 2))
	uas=$(free_port)
	uas ref$rate "$HERE/customer.xml" "$uas" "$n"
	upid=$SIPP_PID
	taskset -c 0 sipp -sf "$T/uac.xml" "127.0.0.1:$uas" -i 127.0.0.1 \
		-p "$(free_port)" -mi 127.0.0.1 -mp "$(free_port)" -nostdin \
		-r $((rate * 2)) -l $((rate * 8 + 100)) -m "$n" \
		-timeout $((SECS * 3 + 30))s -trace_stat -stf "$T/ref$rate.csv" \
		>"$T/uac$rate.out" 2>&1 &
	rpid=$!
	PIDS="$PIDS $rpid"
	c0=$(cpu "$rpid")
	c1=$c0
	while kill -0 "$rpid" 2>/dev/null; do
		c1=$(cpu "$rpid" 2>/dev/null || echo "$c1")
		sleep 0.2
	done
	wait "$rpid" 2>/dev/null || true
	kill "$upid" 2>/dev/null || true
	wait "$upid" 2>/dev/null || true
	awk -F';' -v cpu="$(( (c1 - c0) * 1000000 / HZ ))" '
	NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
	{ ok = $col["SuccessfulCall(C)"]; bad = $col["FailedCall(C)"] }
	END { printf "%d %d %.3f\n", ok, bad, ok ? cpu / ok * 2 / 1000 : 0 }
	' "$T/ref$rate.csv"
}

echo "calls benchmark: $SECS s per rate, hold $HOLD ms, agent over $ATP;" \
	"beckon on core 0, sipps and driver on core 1"
printf '%6s | %7s %6s %8s %8s %9s %6s | %8s %6s %9s | %6s\n' \
	rate flows failed "p50 ms" "p99 ms" "cpu ms" "core1" \
	dialogs failed "cpu ms" ratio
best=0
for r in $RATES; do
	set -- $(run_beckon "$r")
	ok=$1 bad=$2 p50=$3 p99=$4 bcpu=$5 h1=$6
	set -- $(run_ref "$r")
	rok=$1 rbad=$2 rcpu=$3
	ratio=$(awk -v a="$bcpu" -v b="$rcpu" \
		'BEGIN { if (b > 0) printf "%.1f", a / b; else print "-" }')
	printf '%6s | %7s %6s %8s %8s %9s %5s%% | %8s %6s %9s | %6s\n' \
		"$r" "$ok" "$bad" "$p50" "$p99" "$bcpu" "$h1" "$rok" "$rbad" \
		"$rcpu" "$ratio"
	[ "$bad" != 0 ] || best=$r
done
echo "highest rate with zero failed flows: $best/s" \
	"(cpu ms: per flow for beckon, per two dialogs for sipp)"
