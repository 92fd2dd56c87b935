#!/bin/sh
# What a customer on hold hears, heard by a real softphone: a baresip
# customer (auto-answer) is called with its place in line (3) and
# expected wait (5 minutes); it hears Debian's recorded announcement (as
# Asterisk's announce-position and announce-holdtime), then Debian's
# music on hold; an `announce` command moves it to 2nd with a minute to
# wait, and announce_every later it hears that, not the first. In
# French, the numbers are French. Speech is checked by its energy
# envelope against the same prompt files put together with sox
# (tests/sipp/lib/envelope.py, prompt by prompt, in order), music by
# its loudness (tones.py).
. "$(dirname "$0")/../lib/common.sh"
. "$BECKON_SRC/tests/sipp/lib/dialer.sh"

SOUNDS=/usr/share/asterisk/sounds
MOH=/usr/share/asterisk/moh/macroform-cold_day.wav
[ -f "$SOUNDS/en_US_f_Allison/queue-thereare.wav" ] && [ -f "$MOH" ] ||
	fail "Debian's asterisk sounds are missing (scripts/deps.sh)"

ENV="python3 $SIPP_CASES/lib/envelope.py"

# the real music, not the tests' arpeggio (the last --moh holds)
start_dialer hold --moh "$MOH"

# said VOICE START END FILE...: the recording $REC says these sounds of
# the voice in this order, the first between START and END seconds
said() {
	voice=$1
	from=$2
	to=$3
	shift 3
	$ENV "$REC" "$from" "$to" 0.9 \
		$(for f in "$@"; do echo "$SOUNDS/$voice/$f.wav"; done)
}
FIRST="queue-thereare digits/3 queue-callswaiting queue-holdtime digits/5
queue-minutes queue-thankyou"
SECOND="queue-thereare digits/2 queue-callswaiting queue-holdtime
queue-less-than digits/1 queue-minute queue-thankyou"
sox -n -r 8000 -c 1 -b 16 "$T/silence.wav" trim 0 60

hold_call() {
	name=$1
	originate=$2
	extra=$3
	wait_s=$4
	CUST_CTRL=$(free_port)
	start_baresip "$name" "$TRUNK_PORT" "$CUST_CTRL" "$T/silence.wav" \
		PCMU "<sip:+14155550100@127.0.0.1>;regint=0;answermode=auto"
	bs=$BS_PID
	cat >"$T/$name.txt" <<S
expect ok cmd=auth
send $originate
expect answered leg=customer
$extra
sleep $wait_s
send {"cmd":"hangup","id":"$name"}
expect ended reason=system_hangup
S
	CTL_TIMEOUT=90 ctl "$T/$name.txt" "$T/$name.ctl"
	kill "$bs" 2>/dev/null || true
	wait "$bs" 2>/dev/null || true
	REC=$(ls "$T/$name"/dump-*-dec.wav | head -n 1)
	[ -f "$REC" ] || fail "$name: no recording of what the customer heard"
}

# ---- English: the announcement, music, an update, the next one
hold_call en '{"cmd":"originate","id":"en","customer":"+14155550100","position":3,"eta":300,"announce_every":10}' \
	'send {"cmd":"announce","id":"en","position":2,"eta":45}
expect ok cmd=announce' 42

said en_US_f_Allison 0 1.5 $FIRST ||
	fail "the first announcement is not what the customer heard first"
ok "the customer hears 'caller number 3 ... 5 minutes' from Debian's prompts"

# about 11.5 s of announcement, then 10 s of music
$TONES "$REC" loud 13 21 0.8 || fail "no music after the announcement"
ok "then music on hold"

said en_US_f_Allison 20 25 $SECOND ||
	fail "the second announcement is not the updated one"
if said en_US_f_Allison 20 25 $FIRST; then
	fail "the second announcement still says the old numbers"
fi
ok "announce_every later: 'caller number 2 ... less than 1 minute'"

# ---- French: the numbers in French (21: vingt et un)
hold_call fr '{"cmd":"originate","id":"fr","customer":"+14155550100","language":"fr","position":21}' '' 11
said fr_CA_f_June 0 1.5 queue-thereare digits/20 digits/et digits/1 \
	queue-callswaiting queue-thankyou || fail "no French announcement"
ok "in French: 'vingt et un', from the French voice"

# ---- bad values are refused, naming the field
cat >"$T/bad.txt" <<'S'
expect ok cmd=auth
send {"cmd":"originate","id":"b1","customer":"+14155550100","language":"de"}
expect error code=bad_request field=language
send {"cmd":"originate","id":"b2","customer":"+14155550100","greeting":"../x"}
expect error code=bad_request field=greeting
send {"cmd":"announce","id":"nosuch","position":1}
expect error code=not_found field=id
send {"cmd":"announce","id":"nosuch","eta":-5}
expect error code=bad_request field=eta
S
ctl "$T/bad.txt" "$T/bad.ctl"
ok "a bad language, greeting or number is refused with its field"
