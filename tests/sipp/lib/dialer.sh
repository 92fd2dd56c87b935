# Helpers for the dialer's integration tests (sourced after
# tests/lib/common.sh by tests/integration/dialer_*.sh).
#
# start_dialer starts beckon with the dialer on free loopback ports:
#   SIP_PORT    beckon's SIP (UDP and TCP)
#   CTL_PORT    the call-control listener (secret $SECRET)
#   TRUNK_PORT  where the trunk (a sipp, per case) listens
#   AGENT_PORT  where agents' phones (a sipp, per case) listen
# run_case NAME runs tests/sipp/NAME/: customer.xml as the trunk and
# agent.xml as the agent (each when present, each for the calls its
# README says), and ctl.txt through tests/sipp/lib/ctl.py, which may run
# uac.xml against beckon ($RUN_UAC); every peer must finish its scenario
# and the control script must reach its end.

SIPP_CASES="$BECKON_SRC/tests/sipp"
SECRET="test-secret-$$"
CTL="$SIPP_CASES/lib/ctl.py"

# a prompt folder with short prompts, so that tests do not wait for the
# whole goodbye: whisper and goodbye one second, and as the music on
# hold (--moh) a soft C major arpeggio kept clear of 440 and 880 Hz, the
# voices of customer and agent in the tests (tests/integration/
# dialer_hold.sh plays Debian's real music and prompts)
make_test_prompts() {
	mkdir -p "$T/prompts"
	for f in 523.25 659.25 783.99 659.25; do
		sox -n -r 8000 -c 1 -b 16 -e signed-integer "$T/prompts/n$f.wav" \
			synth 0.9 sine "$f" fade q 0.05 0.9 0.2 vol 0.25
	done
	sox "$T/prompts/n523.25.wav" "$T/prompts/n659.25.wav" \
		"$T/prompts/n783.99.wav" "$T/prompts/n659.25.wav" \
		"$T/prompts/hold.wav"
	rm -f "$T"/prompts/n*.wav
	sox "$BECKON_SRC/share/prompts/goodbye.wav" "$T/prompts/goodbye.wav" \
		trim 0 1
	sox "$BECKON_SRC/share/prompts/whisper.wav" "$T/prompts/whisper.wav" \
		trim 0 1
}

start_dialer() {
	name=$1
	shift
	SIP_PORT=$(free_port)
	CTL_PORT=$(free_port)
	TRUNK_PORT=$(free_port 2)
	AGENT_PORT=$(free_port 2)
	make_test_prompts
	start_beckon "$name" --dialer local \
		--sip_listen "127.0.0.1:$SIP_PORT" \
		--control_listen "127.0.0.1:$CTL_PORT" \
		--control_secret "$SECRET" \
		--trunk_proxy "sip:127.0.0.1:$TRUNK_PORT" \
		--rtp_ports 30000-39999 \
		--prompt_dir "$T/prompts" --moh "$T/prompts/hold.wav" \
		--record_dir "$T/rec" "$@"
	# (not from the log: a test may run with log_level warn)
	wait_tcp "$CTL_PORT"
	export SIP_PORT CTL_PORT TRUNK_PORT AGENT_PORT
}

# sipp_start NAME XML PORT CALLS [sipp args]: sets SIPP_PID
sipp_start() {
	sname=$1
	xml=$2
	sport=$3
	calls=$4
	shift 4
	# sipp binds ports above -mp too (RTCP, video): a free block of 8
	sipp -sf "$xml" -i 127.0.0.1 -p "$sport" -mi 127.0.0.1 \
		-mp "$(free_port 8)" -nostdin -m "$calls" -timeout 30s \
		-timeout_error -max_recv_loops 1000 \
		-trace_err -error_file "$T/$sname.err" \
		-trace_msg -message_file "$T/$sname.msg" \
		-key dialer "127.0.0.1:$SIP_PORT" \
		-key trunk_port "$TRUNK_PORT" -key agent_port "$AGENT_PORT" \
		"$@" >"$T/$sname.out" 2>&1 &
	SIPP_PID=$!
	PIDS="$PIDS $SIPP_PID"
	wait_udp "$sport" "$SIPP_PID"
}

# peer_wait PID NAME: the sipp must have finished its scenario
peer_wait() {
	rc=0
	wait "$1" || rc=$?
	if [ "$rc" != 0 ]; then
		echo "---- sipp $2 (exit $rc)" >&2
		tail -n 20 "$T/$2.err" >&2 2>/dev/null || true
		tail -n 60 "$T/$2.msg" >&2 2>/dev/null || true
		fail "sipp $2 did not finish its scenario (exit $rc)"
	fi
}

# ctl SCRIPT [OUT]: run a control script, its lines into OUT
ctl() {
	out=${2:-$T/ctl.out}
	CTL_TIMEOUT=${CTL_TIMEOUT:-20} python3 "$CTL" "127.0.0.1:$CTL_PORT" \
		"${CTL_SECRET:-$SECRET}" "$1" >"$out" 2>"$out.err" || {
		cat "$out" "$out.err" >&2
		fail "control script $1 did not reach its end"
	}
}

# events FILE: the event sequence, one "event[:leg][:reason]" a line
events() {
	jq -r 'select(.event != "hello" and .event != "ok" and
		.event != "error" and .event != "status" and
		.event != "pong") |
		[.event, (.leg // empty), (.reason // empty),
		 (if .sip then (.sip | tostring) else empty end)] | join(":")' \
		"$1"
}

# run_case NAME [AGENT_CALLS]: the peers of tests/sipp/NAME and its script
run_case() {
	case_dir="$SIPP_CASES/$1"
	cpid=""
	apid=""
	t0=$(date +%s.%N)
	if [ -f "$case_dir/customer.xml" ]; then
		sipp_start "$1-customer" "$case_dir/customer.xml" \
			"$TRUNK_PORT" "${CUSTOMER_CALLS:-1}"
		cpid=$SIPP_PID
	fi
	if [ -f "$case_dir/agent.xml" ]; then
		sipp_start "$1-agent" "$case_dir/agent.xml" "$AGENT_PORT" \
			"${2:-1}"
		apid=$SIPP_PID
	fi
	# a client of beckon's SIP port, run from the control script
	RUN_UAC="sipp -sf $case_dir/uac.xml 127.0.0.1:$SIP_PORT -i 127.0.0.1"
	RUN_UAC="$RUN_UAC -p $(free_port) -m 1 -nostdin -timeout 20s"
	RUN_UAC="$RUN_UAC -timeout_error -trace_err -error_file $T/$1-uac.err"
	RUN_UAC="$RUN_UAC -trace_msg -message_file $T/$1-uac.msg"
	RUN_UAC="$RUN_UAC >$T/$1-uac.out 2>&1"
	export RUN_UAC
	ctl "$case_dir/ctl.txt" "$T/$1.ctl"
	[ -z "$cpid" ] || peer_wait "$cpid" "$1-customer"
	[ -z "$apid" ] || peer_wait "$apid" "$1-agent"
	CASE_TIME=$(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $t0 }")
	EVENTS=$(events "$T/$1.ctl")
}

# expect_events NAME "ev ev ...": the case's events, exactly these
expect_events() {
	got=$(printf '%s' "$EVENTS" | tr '\n' ' ' | sed 's/ $//')
	[ "$got" = "$2" ] || fail "$1: events
  got:      $got
  expected: $2"
}

# ---- baresip softphones

# tone FILE HZ: 30 s of a sine, 8 kHz mono 16-bit
tone() {
	sox -n -r 8000 -c 1 -b 16 "$1" synth 30 sine "$2" vol 0.5
}

# start_baresip NAME SIP_PORT CTRL_PORT SOURCE_WAV CODEC ACCOUNT
# A headless baresip: audio from SOURCE_WAV, what it hears in
# $T/NAME/dump-*-dec.wav (sndfile), commands and events on CTRL_PORT
# (ctrl_tcp), only CODEC (PCMU or PCMA), the one account ACCOUNT.
# Sets BS_PID.
start_baresip() {
	bdir="$T/$1"
	mkdir -p "$bdir"
	cat >"$bdir/config" <<CONF
poll_method		epoll
sip_listen		127.0.0.1:$2
net_interface		127.0.0.1
audio_player		aufile,/dev/null
audio_source		aufile,$4
audio_alert		aufile,/dev/null
ausrc_srate		8000
auplay_srate		8000
ausrc_channels		1
auplay_channels		1
module_path		/usr/lib/baresip/modules
module			g711.so
module			aufile.so
module			sndfile.so
module_app		account.so
module_app		menu.so
module_app		ctrl_tcp.so
ctrl_tcp_listen		127.0.0.1:$3
snd_path		$bdir
CONF
	printf '%s;audio_codecs=%s\n' "$6" "$5" >"$bdir/accounts"
	: >"$bdir/contacts"
	baresip -f "$bdir" -t 120 >"$T/$1.log" 2>&1 &
	BS_PID=$!
	PIDS="$PIDS $BS_PID"
	wait_tcp "$3"
}
