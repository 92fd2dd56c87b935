#!/bin/sh
# The dialer's audio, proved with the audio itself. Two baresip
# softphones: the customer (behind the "trunk", sending a 440 Hz tone,
# PCMA only) and the agent alice (registered to beckon with digest
# credentials, sending 880 Hz, PCMU only, auto-answer). Goertzel checks
# on what each one heard (tests/sipp/lib/tones.py) show that the customer
# hears the hold prompt and then the agent, that the agent hears the
# customer (through PCMA<->PCMU transcoding), that a DTMF digit crosses
# the bridge as RFC 4733, that the agent-first whisper reaches the agent,
# and that the stereo recording holds the customer left and the agent
# right. Last, a sipp customer that sends no RTP: media_timeout.
. "$(dirname "$0")/../lib/common.sh"
. "$BECKON_SRC/tests/sipp/lib/dialer.sh"

BCTL="python3 $SIPP_CASES/lib/bctl.py"

start_dialer audio --rtp_timeout 3

tone "$T/c440.wav" 440
tone "$T/a880.wav" 880

# alice's credentials, then her softphone registers
script() {
	cat >"$T/$1.txt"
}
script setup <<'S'
expect ok cmd=auth
send {"cmd":"agent_set","agent":"alice","password":"alicepw"}
expect ok cmd=agent_set
S
ctl "$T/setup.txt" "$T/setup.ctl"

AGENT_CTRL=$(free_port)
CUST_CTRL=$(free_port)
export AGENT_CTRL CUST_CTRL BCTL
start_baresip agent "$AGENT_PORT" "$AGENT_CTRL" "$T/a880.wav" PCMU \
	"<sip:alice@127.0.0.1:$SIP_PORT>;auth_pass=alicepw;regint=60;answermode=auto"
AGENT_PID=$BS_PID
i=0
until grep -q "agent alice registered" "$T/audio.log"; do
	i=$((i + 1))
	[ $i -le 250 ] || fail "alice's softphone did not register"
	sleep 0.02
done
start_baresip customer "$TRUNK_PORT" "$CUST_CTRL" "$T/c440.wav" PCMA \
	"<sip:+14155550100@127.0.0.1>;regint=0;answermode=auto"
CUST_PID=$BS_PID
ok "alice's softphone registered with digest credentials"

# ---- customer first: 4 s of prompt, then alice; a digit; recorded
#
# The dump files' time is the count of frames baresip decoded, not the
# wall clock: on a loaded machine it runs up to half a second behind, so
# "before the bridge" stops 1.2 s short of the 4 s wait.
$BCTL "127.0.0.1:$AGENT_CTRL" watch "$T/agent-events.json" 30 &
WATCH_PID=$!
PIDS="$PIDS $WATCH_PID"

script first <<'S'
expect ok cmd=auth
send {"cmd":"originate","id":"audio1","customer":"+14155550100","record":true}
expect answered leg=customer
sleep 4
send {"cmd":"offer_agent","id":"audio1","agent":"alice"}
expect bridged
sleep 1
shell $BCTL 127.0.0.1:$CUST_CTRL sndcode 5 >/dev/null
expect dtmf leg=customer digit=5
sleep 2
send {"cmd":"hangup","id":"audio1"}
expect ended reason=system_hangup
S
ctl "$T/first.txt" "$T/first.ctl"
EVENTS=$(events "$T/first.ctl" | tr '\n' ' ')
[ "$EVENTS" = "invite:customer ringing:customer answered:customer \
invite:agent ringing:agent answered:agent bridged dtmf:customer \
leg_ended:customer:system_hangup:200 leg_ended:agent:system_hangup:200 \
ended:system_hangup:200 " ] || fail "events: $EVENTS"
ok "customer first: events, and the offer to a registered agent"

kill "$WATCH_PID" 2>/dev/null || true
wait "$WATCH_PID" 2>/dev/null || true
jq -se 'map(select(.type == "CALL_DTMF_START" and .param == "5")) |
	length == 1' "$T/agent-events.json" >/dev/null ||
	fail "alice got no DTMF 5"
ok "DTMF 5 from the customer reached alice (RFC 4733 through the bridge)"

CUST_WAV=$(ls "$T"/customer/dump-*-dec.wav | head -n 1)
AGENT_WAV=$(ls "$T"/agent/dump-*-dec.wav | head -n 1)
[ -f "$CUST_WAV" ] && [ -f "$AGENT_WAV" ] || fail "no dump files"
$TONES "$CUST_WAV" loud 0.5 2.5 0.7 || fail "no prompt for the customer"
$TONES "$CUST_WAV" '!880' 0.0 2.8 1.0 || fail "agent audio before bridge"
$TONES "$CUST_WAV" '!440' 0.0 2.8 1.0 || fail "customer echoed"
ok "the customer hears the hold prompt (speech and music) while waiting"
$TONES "$CUST_WAV" 880 4.6 6.5 0.9 || fail "the customer does not hear alice"
ok "then the customer hears alice (880 Hz, PCMU to PCMA)"
$TONES "$AGENT_WAV" 440 0.3 2.5 0.9 || fail "alice does not hear the customer"
grep -q "audio decoder: PCMA" "$T/customer.log" &&
	grep -q "audio decoder: PCMU" "$T/agent.log" ||
	fail "not PCMA on one side and PCMU on the other"
ok "alice hears the customer (440 Hz, PCMA to PCMU)"

REC=$(jq -r 'select(.event == "ended") | .recording' "$T/first.ctl")
[ -f "$REC" ] || fail "no recording ($REC)"
[ "$(soxi -c "$REC")" = 2 ] && [ "$(soxi -r "$REC")" = 8000 ] ||
	fail "recording format"
$TONES "$REC" --channel 0 440 0.3 2.5 0.9 || fail "recording: left"
$TONES "$REC" --channel 1 880 0.3 2.5 0.9 || fail "recording: right"
ok "stereo recording: the customer left, alice right"

# ---- agent first: the whisper, then the customer
rm -f "$T"/customer/dump-* "$T"/agent/dump-*
script second <<'S'
expect ok cmd=auth
send {"cmd":"originate","id":"audio2","customer":"+14155550100","agent":"alice","mode":"agent_first","whisper":"whisper"}
expect bridged
sleep 2
send {"cmd":"hangup","id":"audio2"}
expect ended reason=system_hangup
S
ctl "$T/second.txt" "$T/second.ctl"
AGENT_WAV=$(ls "$T"/agent/dump-*-dec.wav | head -n 1)
CUST_WAV=$(ls "$T"/customer/dump-*-dec.wav | head -n 1)
$TONES "$AGENT_WAV" loud 0.2 0.9 0.6 || fail "alice hears no whisper"
$TONES "$AGENT_WAV" '!440' 0.0 0.9 1.0 || fail "customer before whisper"
$TONES "$AGENT_WAV" 440 1.6 2.6 0.9 || fail "alice does not hear customer"
$TONES "$CUST_WAV" 880 0.3 1.5 0.9 || fail "customer does not hear alice"
ok "agent first: alice hears the whisper, then the customer"

# ---- a customer that sends no RTP
kill "$CUST_PID"
wait "$CUST_PID" 2>/dev/null || true
run_case media_timeout
[ "$(echo $EVENTS)" = "invite:customer ringing:customer answered:customer \
leg_ended:customer:media_timeout:200 ended:customer:media_timeout:200" ] ||
	fail "media_timeout: $EVENTS"
ok "no RTP for rtp_timeout (3 s): media_timeout (${CASE_TIME}s)"

kill "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null || true
stop_beckon
ok "clean shutdown"
