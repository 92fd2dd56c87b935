#!/bin/sh
# bench/webrtc: N concurrent WebRTC-to-RTP bridged calls: the customer a
# browser (ICE, DTLS-SRTP, rtcp-mux) through rtpengine, the agent a plain
# SIP phone; set-up time and CPU per packet, next to beckon's plain relay
# (bench/media's measurement) in the same run.
#
#   sh bench/webrtc/run.sh [path/to/beckon]      (or: make bench-webrtc)
#
# A browser is too heavy as a generator, and Debian has no small
# DTLS-SRTP one: a second rtpengine plays every page
# (bench/webrtc/browsers.py). For each N, on a fresh beckon with its own
# rtpengine (the "server" one, as in production): browsers.py originates
# the N calls over the call-control protocol (customer webrtc:bN, agent a
# sipp), BENCH_RATE a second, hands each webrtc_offer to the "browser"
# rtpengine (ng offer: plain RTP/AVP on its other side; ng answer with a
# plain SDP naming one local port: its SAVPF answer), answers with it
# (webrtc_answer); the two rtpengines run ICE and DTLS between them.
# Set-up time: originate sent to the first packet of beckon's hold prompt
# at that plain port, decrypted (the page hearing the prompt after "Talk
# now"; the HTTP and WebSocket hops of beckon serve are not in it).
#
# Then rtpbench gen (bench/media/rtpbench.c), bound to that port, sends
# 20 ms PCMU to the browser rtpengine's plain port and to beckon's agent
# port of every call (100 packets a second a call): plain RTP -> browser
# rtpengine -> SRTP -> server rtpengine -> RTP -> beckon -> agent leg ->
# back to gen, and the other way. Loss and CPU per packet received of
# beckon, of the server rtpengine and of the browser one (/proc/PID/stat,
# all threads), in the BENCH_SECONDS measured. Then the same N plain
# calls through a fresh beckon (sipps on both legs, bench/media's
# run_beckon): beckon's CPU per packet there is the reference, and the
# ratios are beckon's and the server rtpengine's over it.
#
# beckon and the server rtpengine share core 0; the browser rtpengine,
# the generator, the driver and the sipps core 1 (taskset). Loopback
# only; every process started here is stopped by its pid.
# Knobs: BENCH_CALLS ("50 100 200"), BENCH_SECONDS (10), BENCH_WARM (2),
# BENCH_RATE (20 calls a second), BENCH_KEEP (1: keep the logs),
# BENCH_RTPE_LOG (rtpengine's --log-level, 5; 7 shows ICE, DTLS, packets).
set -eu

BECKON=${1:-build/beckon}
NS=${BENCH_CALLS:-50 100 200}
SECS=${BENCH_SECONDS:-10}
WARM=${BENCH_WARM:-2}
RATE=${BENCH_RATE:-20}
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
NG="$(dirname "$BECKON")/beckon-ng"
T=$(mktemp -d /tmp/beckon-bench-webrtc.XXXXXX)
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

. "$SRC/bench/media/lib.sh"

# rtpengine NAME CORE PORT_MIN PORT_MAX: userspace, on loopback, until it
# answers a ping; sets RPID and RNG (its ng port)
rtpengine_start() {
	RNG=$(free_port)
	taskset -c "$2" rtpengine --config-file=none --table=-1 \
		--foreground --log-stderr --log-level=${BENCH_RTPE_LOG:-5} \
		--interface=127.0.0.1 --listen-ng="127.0.0.1:$RNG" \
		--port-min="$3" --port-max="$4" --delete-delay=0 \
		>"$T/$1.log" 2>&1 &
	RPID=$!
	PIDS="$PIDS $RPID"
	i=0
	until "$NG" "udp:127.0.0.1:$RNG" ping >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 50 ] || { echo "rtpengine $1 did not start" >&2; exit 1; }
	done
}

# stop PID...: SIGTERM each, wait for it
stop() {
	for p in "$@"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "$@"; do
		wait "$p" 2>/dev/null || true
	done
}

# run_webrtc N: "setup_p50 setup_p99 sent/s loss_% us_beckon us_server
# us_browser"
run_webrtc() {
	n=$1
	rtpengine_start server$n 0 24000 27999
	spid=$RPID sng=$RNG
	rtpengine_start browser$n 1 28000 31999
	bbpid=$RPID bng=$RNG
	sip=$(free_port)
	ctl=$(free_port)
	agent=$(free_port)
	taskset -c 0 "$BECKON" serve --http_listen "127.0.0.1:$(free_port)" \
		--db "sqlite:$T/w$n.db" --log_level warn --dialer local \
		--sip_listen "127.0.0.1:$sip" \
		--control_listen "127.0.0.1:$ctl" --control_secret "$SECRET" \
		--trunk_proxy "sip:127.0.0.1:$(free_port)" \
		--rtpengine "udp:127.0.0.1:$sng" \
		--rtp_ports 12000-23999 --prompt_dir "$SRC/share/prompts" \
		2>"$T/wbeckon$n.log" &
	bpid=$!
	PIDS="$PIDS $bpid"
	wait_port "$ctl"
	hygiene_uas agent "$agent" "$n" -trace_msg \
		-message_file "$T/agent$n.msg"

	gport=$(free_port)
	mkdir -p "$T/w$n"
	taskset -c 1 python3 "$HERE/browsers.py" "127.0.0.1:$ctl" "$SECRET" \
		"127.0.0.1:$bng" "$gport" "$n" "sip:agent@127.0.0.1:$agent" \
		"$T/w$n" --rate "$RATE" --timeout $((n / RATE + 30)) \
		>"$T/w$n/out" 2>&1 &
	dpid=$!
	PIDS="$PIDS $dpid"
	i=0
	until [ -f "$T/w$n/ports" ]; do
		i=$((i + 1))
		kill -0 "$dpid" 2>/dev/null && [ $i -lt $(((n / RATE + 40) * 10)) ] ||
			{ echo "browsers.py: $(cat "$T/w$n/out")" >&2; exit 1; }
		sleep 0.1
	done
	jq -e '.failures == []' "$T/w$n/setup.json" >/dev/null ||
		echo "warning: $(cat "$T/w$n/setup.json")" >&2

	# beckon's agent ports: the m= line of each INVITE the sipp got
	awk '/^INVITE sip:/ { inv = 1 } /^SIP\/2.0/ { inv = 0 }
	inv && /^m=audio/ { print $2 }' "$T/agent$n.msg" | sort -u \
		>>"$T/w$n/ports"
	[ "$(wc -l <"$T/w$n/ports")" -eq $((2 * n)) ] ||
		echo "warning: $(wc -l <"$T/w$n/ports") RTP ports for $n calls" >&2

	jq -r '"\(.setup_p50_ms) \(.setup_p99_ms)"' "$T/w$n/setup.json" |
		tr '\n' ' '
	taskset -c 1 "$T/rtpbench" gen -l "$gport" "$T/w$n/ports" "$WARM" \
		"$SECS" "$bpid" "$spid" "$bbpid" | figures
	stop "$dpid"
	stop "$bpid" "$spid" "$bbpid" "$SIPP_PID"
}

echo "webrtc benchmark: $SECS s measured per N (after $WARM s), 100" \
	"packets a second per call aimed at; calls set up at $RATE/s"
echo "set-up: originate to the browser's first packet (ms); us/pkt: CPU" \
	"per packet received; ratios over beckon's plain relay"
printf '%5s | %6s %6s | %7s %6s | %6s %6s %6s | %6s | %5s %5s\n' \
	calls p50 p99 "sent/s" "loss%" beckon server brwsr plain beckon server
printf '%5s | %13s | %14s | %20s | %6s | %11s\n' "" "set-up ms" \
	"webrtc calls" "us/pkt, webrtc calls" "plain" "ratios"
# (not in $(...): the processes they start stay in PIDS for cleanup)
for n in $NS; do
	run_webrtc "$n" >"$T/webrtc$n"
	set -- $(cat "$T/webrtc$n")
	p50=$1 p99=$2 ws=$3 wl=$4 wb=$5 wsv=$6 wbr=$7
	run_beckon "$n" >"$T/plain$n"
	set -- $(figures <"$T/plain$n")
	pu=$3
	printf '%5s | %6s %6s | %7s %6s | %6s %6s %6s | %6s | %5s %5s\n' \
		"$n" "$p50" "$p99" "$ws" "$wl" "$wb" "$wsv" "$wbr" "$pu" \
		"$(awk -v a="$wb" -v b="$pu" 'BEGIN {
			if (b > 0) printf "%.2f", a / b; else print "-" }')" \
		"$(awk -v a="$wsv" -v b="$pu" 'BEGIN {
			if (b > 0) printf "%.2f", a / b; else print "-" }')"
done
