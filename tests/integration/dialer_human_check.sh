#!/bin/sh
# The answering-machine guard (human_check), with real peers: a sipp
# customer that presses 1 as an RFC 4733 event is bridged to the agent,
# who is called only after the key; a sipp answering machine that talks
# and presses nothing is hung up on after human_check seconds (no_human,
# no agent called); a baresip customer that sends the key as tones in
# its audio (in-band, 697 + 1209 Hz) passes; one that plays Debian's
# music on hold is not taken for a key. Through the ACD, a business with
# human_check retries a no_human attempt as its policy says, shows it in
# the history, and connects the customer who then presses 1.
. "$(dirname "$0")/../lib/common.sh"
. "$BECKON_SRC/tests/sipp/lib/dialer.sh"

start_dialer guard --admin_token guard-admin
SOUNDS=/usr/share/asterisk/sounds/en_US_f_Allison
[ -f "$SOUNDS/vm-press.wav" ] || fail "Debian's sounds are missing"

# ---- RFC 4733: the key, then the agent, then the bridge
run_case guard_key
expect_events guard_key "invite:customer ringing:customer \
answered:customer dtmf:customer invite:agent ringing:agent answered:agent \
bridged leg_ended:customer:system_hangup:200 \
leg_ended:agent:system_hangup:200 ended:system_hangup:200"
ok "1 pressed (RFC 4733): then the agent is called and bridged"

# ---- an answering machine: no key, no agent, no_human
run_case guard_no_key
expect_events guard_no_key "invite:customer ringing:customer \
answered:customer leg_ended:customer:no_human:200 \
ended:customer:no_human:200"
awk "BEGIN { exit !($CASE_TIME >= 3 && $CASE_TIME < 15) }" ||
	fail "no_human after $CASE_TIME s, human_check was 3"
grep -q "call gnokey: no key in the guard's time" "$T/guard.log" ||
	fail "no log line"
ok "an answering machine talks, presses nothing: no_human in 3 s, no agent"

# ---- in-band: a softphone whose audio holds the key's two tones
python3 - "$T/key1.wav" "$T/silence.wav" <<'PY'
import math, struct, sys, wave
def write(path, samples):
    w = wave.open(path, "wb")
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
    w.writeframes(struct.pack("<%dh" % len(samples), *samples))
    w.close()
amp = 32767 * 10 ** (-12 / 20.0)
key = [int(amp * (math.sin(2 * math.pi * 697 * i / 8000) +
                  math.sin(2 * math.pi * 1209 * i / 8000)))
       for i in range(int(0.12 * 8000))]
write(sys.argv[1], [0] * 12000 + key + [0] * 8000 * 30)
write(sys.argv[2], [0] * 8000 * 30)
PY

inband_call() {
	name=$1
	src=$2
	script=$3
	CUST_CTRL=$(free_port)
	start_baresip "$name" "$TRUNK_PORT" "$CUST_CTRL" "$src" PCMU \
		"<sip:+14155550100@127.0.0.1>;regint=0;answermode=auto"
	bs=$BS_PID
	ctl "$script" "$T/$name.ctl"
	kill "$bs" 2>/dev/null || true
	wait "$bs" 2>/dev/null || true
}

sipp_start inband-agent "$SIPP_CASES/guard_key/agent.xml" "$AGENT_PORT" 1
apid=$SIPP_PID
cat >"$T/inband.txt" <<'S'
expect ok cmd=auth
send {"cmd":"originate","id":"ginband","customer":"+14155550100","agent":"sip:agent@127.0.0.1:${AGENT_PORT}","human_check":10}
expect answered leg=customer
expect dtmf leg=customer digit=1
expect bridged
send {"cmd":"hangup","id":"ginband"}
expect ended reason=system_hangup
S
inband_call inband "$T/key1.wav" "$T/inband.txt"
peer_wait "$apid" inband-agent
ok "1 pressed in-band (697 + 1209 Hz in the audio): bridged"

cat >"$T/music.txt" <<'S'
expect ok cmd=auth
send {"cmd":"originate","id":"gmusic","customer":"+14155550100","agent":"sip:agent@127.0.0.1:${AGENT_PORT}","human_check":4}
expect answered leg=customer
expect ended reason=no_human
S
inband_call music /usr/share/asterisk/moh/macroform-cold_day.wav \
	"$T/music.txt"
if grep -q '"event":"dtmf"' "$T/music.ctl"; then
	fail "music was taken for a key"
fi
ok "a softphone playing music on hold is no key: no_human"

# ---- a bad value is refused with its field
cat >"$T/bad.txt" <<'S'
expect ok cmd=auth
send {"cmd":"originate","id":"b1","customer":"+14155550100","human_check":2}
expect error code=bad_request field=human_check
send {"cmd":"originate","id":"b2","customer":"+14155550100","agent":"sip:a@127.0.0.1:5","mode":"agent_first","human_check":5}
expect error code=bad_request field=human_check
S
ctl "$T/bad.txt" "$T/bad.ctl"
ok "human_check 2, or in agent_first: refused, naming the field"

# ---- through the ACD: a business with the guard; an answering machine
# first (no_human, retried per its policy), then the customer, who
# presses 1 and is connected to the agent; the desk and the supervisor
# see no_human as its own outcome
export BECKON_SERVER="$URL" BECKON_TOKEN=guard-admin
"$BECKON" business add acme --human_check 3 --retry_attempts 3 \
	--retry_delays 4 >/dev/null || fail "business add"
"$BECKON" business set acme --dial_mode agent_first 2>"$T/mode.err" &&
	fail "agent_first with human_check was taken"
grep -q "human_check" "$T/mode.err" || fail "mode: $(cat "$T/mode.err")"
"$BECKON" agent add alice --password alice-secret-1 --businesses acme \
	--endpoint "sip:alice@127.0.0.1:$AGENT_PORT" >"$T/add.out" 2>&1 ||
	fail "agent add: $(cat "$T/add.out")"
"$BECKON" agent add sue --password sue-secret-1 --businesses acme \
	--role supervisor >/dev/null || fail "supervisor add"
sipp_start acd-machine "$SIPP_CASES/guard_no_key/customer.xml" \
	"$TRUNK_PORT" 1
mpid=$SIPP_PID
sipp_start acd-agent "$SIPP_CASES/guard_key/agent.xml" "$AGENT_PORT" 1
apid=$SIPP_PID
"$BECKON" agent state alice available >/dev/null || fail "alice"

post_json '{"business":"acme","phone":"+14155550100"}'
expect_status 202
ID=$(jv .id)
wait_status "$ID" scheduled 20
req GET "/v1/callbacks/$ID"
expect_jv '.events[-1].type' retry_scheduled
expect_jv '.events[-1].data.reason' no_human
peer_wait "$mpid" acd-machine
n=$(invites acd-agent)
[ "${n:-0}" = 0 ] || fail "the agent was called for an answering machine"
ok "an answering machine through the ACD: no_human, retry scheduled"

sipp_start acd-customer "$SIPP_CASES/guard_key/customer.xml" \
	"$TRUNK_PORT" 1
cpid=$SIPP_PID
wait_status "$ID" connected 20
cat >"$T/acd.txt" <<S
expect ok cmd=auth
send {"cmd":"hangup","id":"$ID"}
expect ok cmd=hangup
S
ctl "$T/acd.txt" "$T/acd.ctl"
wait_status "$ID" completed
peer_wait "$cpid" acd-customer
peer_wait "$apid" acd-agent
req GET "/v1/callbacks/$ID"
[ "$(jv '[.events[].type] | map(select(. == "dialing")) | length')" = 2 ] ||
	fail "attempts: $(jv '[.events[].type] | join(" ")')"
ok "the retry: the customer presses 1 and is connected"

req POST /agent/api/login -H 'Content-Type: application/json' \
	--data '{"login":"sue","password":"sue-secret-1"}'
expect_status 200 "supervisor log-in"
COOKIE="Cookie: beckon_session=$(hdr Set-Cookie |
	sed 's/^beckon_session=\([^;]*\);.*/\1/')"
req GET /agent/api/supervisor -H "$COOKIE"
expect_status 200 "supervisor view"
expect_jv '.figures.acme.no_human' 1
expect_jv '.figures.acme.connected' 1
ok "the supervisor's figures count the no_human attempt on its own"

stop_beckon
