#!/bin/sh
# A business's own greeting, uploaded through the admin API and the CLI:
# a 16 kHz PCM file (larger than http_max_body) is taken, converted to
# 8 kHz and stored under greeting_dir by the business's id; a baresip
# customer called for that business hears it (a 1000 Hz tone as the
# greeting, checked with a Goertzel filter) before the music; get returns
# the stored file, rm removes it. Refused, naming the field: not a WAV, a
# stereo file, one too long, one too large (413 before it is read), an
# unknown business, the wrong Content-Type, no admin token (and a large
# body without the token is 413: only the admin earns the larger bound).
. "$(dirname "$0")/../lib/common.sh"
. "$BECKON_SRC/tests/sipp/lib/dialer.sh"

TOK=greeting-admin-token
G="$T/greetings"
start_dialer greet --admin_token "$TOK" --greeting_dir "$G"
export BECKON_SERVER="$URL" BECKON_TOKEN="$TOK"
AUTH="Authorization: Bearer $TOK"

"$BECKON" business add acme --name Acme >/dev/null ||
	fail "business add"

# ---- a good file: 16 kHz PCM, 3 s of 1000 Hz (96 KB > http_max_body)
sox -n -r 16000 -c 1 -b 16 "$T/good.wav" synth 3 sine 1000 vol 0.5
[ "$(stat -c %s "$T/good.wav")" -gt 16384 ] || fail "the file is small"
"$BECKON" business greeting set acme "$T/good.wav" >"$T/set.out" ||
	fail "greeting set: $(cat "$T/set.out")"
grep -Eq "^seconds +3$" "$T/set.out" || fail "set says: $(cat "$T/set.out")"
[ "$(soxi -r "$G/acme.wav")" = 8000 ] || fail "not stored at 8 kHz"
[ "$(soxi -D "$G/acme.wav")" = 3.000000 ] || fail "not 3 s long"
[ -z "$(find "$G" -name '.*')" ] || fail "a temporary file was left"
ok "a 16 kHz greeting (over http_max_body) is stored at 8 kHz as acme.wav"

"$BECKON" business greeting get acme >"$T/got.wav" || fail "greeting get"
cmp -s "$T/got.wav" "$G/acme.wav" || fail "get is not the stored file"
req GET /v1/admin/businesses/acme/greeting -H "$AUTH"
grep -qi "^Content-Type: audio/wav" "$T/hdrs" || fail "not audio/wav"
ok "get returns the stored file (audio/wav)"

# ---- heard on a call for the business, before the music (arpeggio)
sox -n -r 8000 -c 1 -b 16 "$T/silence.wav" trim 0 30
CUST_CTRL=$(free_port)
start_baresip cust "$TRUNK_PORT" "$CUST_CTRL" "$T/silence.wav" PCMU \
	"<sip:+14155550100@127.0.0.1>;regint=0;answermode=auto"
cat >"$T/call.txt" <<'S'
expect ok cmd=auth
send {"cmd":"originate","id":"g1","customer":"+14155550100","greeting":"acme"}
expect answered leg=customer
sleep 6
send {"cmd":"hangup","id":"g1"}
expect ended reason=system_hangup
S
ctl "$T/call.txt" "$T/call.ctl"
kill "$BS_PID" 2>/dev/null || true
wait "$BS_PID" 2>/dev/null || true
REC=$(ls "$T"/cust/dump-*-dec.wav | head -n 1)
[ -f "$REC" ] || fail "no recording of what the customer heard"
$TONES "$REC" 1000 0.3 2.8 0.8 || fail "the greeting was not heard"
$TONES "$REC" !1000 3.8 5.5 0.9 || fail "the greeting did not end"
$TONES "$REC" loud 3.8 5.5 0.8 || fail "no music after the greeting"
ok "the customer hears the uploaded greeting, then the music"

# ---- refusals, each naming the field
put() {
	req PUT "/v1/admin/businesses/$1/greeting" -H "$AUTH" \
		-H "Content-Type: ${3:-audio/wav}" --data-binary "@$2"
}
printf 'RIFF....WAVEjunk' >"$T/junk.wav"
put acme "$T/junk.wav"
expect_status 400 "not a WAV"
[ "$(jv .error.field)" = greeting ] && [ "$(jv .error.code)" = invalid_audio ] ||
	fail "not a WAV: $BODY"
sox -n -r 8000 -c 2 -b 16 "$T/stereo.wav" synth 1 sine 440
put acme "$T/stereo.wav"
expect_status 400 "stereo"
jv .error.message | grep -q "not mono" || fail "stereo: $BODY"
sox -n -r 8000 -c 1 -b 16 "$T/long.wav" synth 31 sine 440
put acme "$T/long.wav"
expect_status 400 "too long"
[ "$(jv .error.code)" = too_long ] && [ "$(jv .error.field)" = greeting ] ||
	fail "too long: $BODY"
jv .error.message | grep -q "31.0 s: a greeting is at most 30 s" ||
	fail "too long: $BODY"
sox -n -r 16000 -c 1 -b 16 "$T/big.wav" synth 40 sine 440
put acme "$T/big.wav"
expect_status 413 "too large"
[ "$(jv .error.code)" = body_too_large ] || fail "too large: $BODY"
put nosuch "$T/good.wav"
expect_status 404 "unknown business"
[ "$(jv .error.field)" = business ] || fail "unknown business: $BODY"
put acme "$T/good.wav" application/octet-stream
expect_status 415 "Content-Type"
[ "$(jv .error.field)" = Content-Type ] || fail "Content-Type: $BODY"
cmp -s "$T/got.wav" "$G/acme.wav" || fail "a refusal changed the greeting"
ok "refused: not a WAV, stereo, 31 s, 1.3 MB, unknown business, wrong type"

sox -n -r 8000 -c 1 -b 16 "$T/small.wav" synth 0.5 sine 440
req PUT /v1/admin/businesses/acme/greeting -H "Content-Type: audio/wav" \
	--data-binary "@$T/small.wav"
expect_status 401 "no token"
req PUT /v1/admin/businesses/acme/greeting -H "Content-Type: audio/wav" \
	--data-binary "@$T/good.wav"
expect_status 413 "a large body without the token"
req PUT /v1/admin/businesses/acme/greeting -H "Content-Type: audio/wav" \
	-H "Authorization: Bearer wrong" --data-binary "@$T/good.wav"
expect_status 413 "a large body with a wrong token"
req PUT '/v1/admin/businesses/..%2F..%2Fx/greeting' --path-as-is \
	-H "$AUTH" -H "Content-Type: audio/wav" --data-binary "@$T/small.wav"
expect_status 404 "a path as the id"
ok "no token: 401, and a large body without it 413 unread; no paths"

"$BECKON" business greeting set acme "$T/long.wav" 2>"$T/cli.err" &&
	fail "the CLI took a 31 s file"
grep -q "too_long (greeting): 31.0 s" "$T/cli.err" ||
	fail "the CLI says: $(cat "$T/cli.err")"
ok "the CLI prints the refusal and its field"

# ---- rm
"$BECKON" business greeting rm acme >/dev/null || fail "greeting rm"
[ ! -e "$G/acme.wav" ] || fail "the file is still there"
req GET /v1/admin/businesses/acme/greeting -H "$AUTH"
expect_status 404 "get after rm"
[ "$(jv .error.field)" = greeting ] || fail "get after rm: $BODY"
"$BECKON" business greeting rm acme 2>/dev/null && fail "rm twice"
ok "rm removes it; get and rm then say there is none"

stop_beckon
