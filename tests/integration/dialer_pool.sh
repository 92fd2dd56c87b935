#!/bin/sh
# beckon serve driving two dialers at once, `--dialer "tcp://A, tcp://B"`
# (src/app/pool.c), each a `beckon dialer` on loopback with its own trunk
# (a sipp per dialer as the customers), the agents' fixed phones one sipp,
# dave's softphone a baresip registered at B:
#   - a list with a bad entry or a dialer twice: the server does not
#     start, the error names the entry;
#   - dave (endpoint registered) is called through B, where his softphone
#     registered, although A (first in the list, as idle) would be chosen
#     by load;
#   - two callbacks at once are spread, one per dialer (each dialer's log,
#     each trunk's INVITEs, the metrics by dialer);
#   - kill -9 of A with a bridged call on each: A's call is interrupted
#     after dialer_resume and retried through B; B's call goes on and
#     completes; both reach completed, each customer dialed once per
#     attempt;
#   - A restarted: it gets the agents again (a REGISTER with digest
#     succeeds there) and takes the next call (B is the busier);
#   - kill -9 of the server with calls on both: the restarted server asks
#     every call back on every link (attach); each is taken back by its
#     own dialer, the other's not_found interrupts nothing; all complete.
. "$(dirname "$0")/../lib/common.sh"
# start_baresip, tone
. "$BECKON_SRC/tests/sipp/lib/dialer.sh"

command -v sipp >/dev/null || fail "sipp is not installed"
command -v baresip >/dev/null || fail "baresip is not installed"
SCN="$BECKON_SRC/tests/sipp"
SECRET="pool-secret-$$-x7"
SIPA=$(free_port)
CTLA=$(free_port)
SIPB=$(free_port)
CTLB=$(free_port)
CUSTA=$(free_port)
CUSTB=$(free_port)
AG=$(free_port)
DAVE=$(free_port 2)      # baresip opens TLS on P+1
DAVE_CTRL=$(free_port)
MTOK="pool-metrics-$$"
export BECKON_TOKEN=demo

# ---- helpers

# count ID TYPE: the callback's events of TYPE
count() {
	sqlite3 "$DB" "SELECT count(*) FROM events WHERE callback_id='$1' AND
		type='$2'"
}

# wait_count ID TYPE N: until the callback has N events of TYPE
wait_count() {
	i=0
	until [ "$(count "$1" "$2")" -ge "$3" ]; do
		i=$((i + 1))
		[ $i -le 200 ] || fail "$1: $2 not seen $3 times"
		sleep 0.1
	done
}

# post PHONE: a callback; sets ID
post() {
	post_json "{\"business\":\"demo\",\"phone\":\"$1\"}"
	expect_status 202
	ID=$(jv .id)
}

# dialed_by LOG ID: the dialer of LOG placed call ID
dialed_by() {
	grep -q "call $2: " "$T/$1.log"
}

# metric 'NAME{LABELS}': its value now ("" if none); the scrape is
# checked by promtool
metric() {
	curl -s -S -o "$T/m.txt" -H "Authorization: Bearer $MTOK" \
		"$URL/metrics" || fail "curl /metrics"
	promtool check metrics <"$T/m.txt" >"$T/promtool.out" 2>&1 ||
		fail "promtool: $(cat "$T/promtool.out")"
	awk -v k="$1" '$1 == k { print $2 }' "$T/m.txt"
}

# ---- a bad list stops the start-up, naming the entry

for bad in "tcp://127.0.0.1:$CTLA, tcp://127.0.0.1" \
	   "tcp://127.0.0.1:$CTLA,, tcp://127.0.0.1:$CTLB" \
	   "tcp://127.0.0.1:$CTLA, tcp://127.0.0.1:$CTLA"; do
	rc=0
	"$BECKON" serve --db "sqlite:$T/bad.db" --dialer "$bad" \
		--control_secret "$SECRET" --http_listen 127.0.0.1:0 \
		>"$T/bad.out" 2>&1 || rc=$?
	[ "$rc" = 1 ] || fail "dialer '$bad': exit $rc"
done
grep -q "listed twice" "$T/bad.out" ||
	fail "a dialer twice: $(cat "$T/bad.out")"
"$BECKON" serve --db "sqlite:$T/bad.db" --http_listen 127.0.0.1:0 \
	--dialer "tcp://127.0.0.1:$CTLA, tcp://127.0.0.1" \
	--control_secret "$SECRET" >"$T/bad.out" 2>&1 &&
	fail "a bad entry started"
grep -q "dialer tcp://127.0.0.1: not tcp://HOST:PORT" "$T/bad.out" ||
	fail "the bad entry is not named: $(cat "$T/bad.out")"
ok "a bad entry, an empty one or a dialer twice: named, no start-up"

# ---- two dialers, one server

beckon_dialer dialerA "$SIPA" "$CTLA" "$CUSTA"
APID=$DPID
beckon_dialer dialerB "$SIPB" "$CTLB" "$CUSTB"
A_URL="tcp://127.0.0.1:$CTLA"
B_URL="tcp://127.0.0.1:$CTLB"
start_beckon serve --demo --dialer "$A_URL, $B_URL" \
	--control_secret "$SECRET" --dialer_resume 2 --metrics_token "$MTOK" \
	--sip_listen "127.0.0.1:$(free_port)"
SLOG="$T/serve.log"
wait_log "$SLOG" "dialer $A_URL: connected" 1
wait_log "$SLOG" "dialer $B_URL: connected" 1
wait_log "$T/dialerA.log" "control client .* authenticated" 1
wait_log "$T/dialerB.log" "control client .* authenticated" 1

export BECKON_SERVER="$URL"
"$BECKON" business set demo --retry_delays 1 >/dev/null ||
	fail "business set"
# alice (of the demo), carol and erin: fixed phones; dave and frank:
# softphones
"$BECKON" agent set alice --endpoint "sip:alice@127.0.0.1:$AG" \
	--wrap_up 0 >/dev/null || fail "agent set alice"
for a in carol erin; do
	"$BECKON" agent add "$a" --password "$a-pw-$$" --businesses demo \
		--endpoint "sip:$a@127.0.0.1:$AG" --wrap_up 0 >/dev/null ||
		fail "agent add $a"
done
"$BECKON" agent add dave --password "dave-pw-$$" --businesses demo \
	--endpoint registered --sip_password dave-sip-pw --wrap_up 0 \
	>/dev/null || fail "agent add dave"
"$BECKON" agent add frank --password "frank-pw-$$" --businesses demo \
	--endpoint registered --sip_password frank-sip-pw >/dev/null ||
	fail "agent add frank"
# the agents' fixed phones, for every call of the test
start_sipp agents uas_answer "$AG" 10
[ "$(metric "beckon_dialer_up{dialer=\"$A_URL\"}")" = 1 ] &&
	[ "$(metric "beckon_dialer_up{dialer=\"$B_URL\"}")" = 1 ] ||
	fail "metrics: $(grep dialer "$T/m.txt")"
ok "serve links to both dialers (HMAC auth each); the metrics name each"

# ---- dave's softphone registered at B: his call goes through B

tone "$T/dave.wav" 880
ACCT="<sip:dave@127.0.0.1:$SIPB>;auth_pass=dave-sip-pw"
start_baresip dave "$DAVE" "$DAVE_CTRL" "$T/dave.wav" PCMU \
	"$ACCT;regint=60;answermode=auto"
wait_log "$T/dialerB.log" "agent dave registered" 1
i=0
until "$BECKON" agent state dave available >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -le 100 ] || fail "dave registered at B and still not available"
	sleep 0.05
done
start_sipp custR uas_answer "$CUSTB" 1
post +14155550301
IDR=$ID
wait_status "$IDR" connected
dialed_by dialerB "$IDR" || fail "dave's call not placed by B"
dialed_by dialerA "$IDR" && fail "dave's call placed by A"
[ "$(invites custR +14155550301)" = 1 ] || fail "INVITEs to dave's customer"
# dave hangs up: the end comes back through B
python3 "$SCN/lib/bctl.py" "127.0.0.1:$DAVE_CTRL" hangup >/dev/null ||
	fail "dave's hangup"
wait_status "$IDR" completed
sipp_wait custR
"$BECKON" agent state dave away >/dev/null || fail "dave away"
ok "dave's softphone registered at B: his call goes through B (A idle" \
	"and first in the list), his hang-up ends it"

# ---- two calls at once: one per dialer

# the customers talk 12 s and hang up (a call of each dialer is bridged
# when A is killed); B's takes two: its own and A's retry
start_sipp custA talk_then_hangup "$CUSTA" 1
start_sipp custB talk_then_hangup "$CUSTB" 2
"$BECKON" agent state alice available >/dev/null || fail "alice available"
"$BECKON" agent state carol available >/dev/null || fail "carol available"
post +14155550311
ID1=$ID
wait_status "$ID1" connected
post +14155550312
ID2=$ID
wait_status "$ID2" connected
dialed_by dialerA "$ID1" || fail "the first call not placed by A"
dialed_by dialerB "$ID2" || fail "the second call not placed by B"
[ "$(invites custA +14155550311)" = 1 ] || fail "INVITEs of $ID1 at A"
[ "$(invites custB +14155550312)" = 1 ] || fail "INVITEs of $ID2 at B"
[ "$(metric "beckon_dialer_calls{dialer=\"$A_URL\"}")" = 1 ] &&
	[ "$(metric "beckon_dialer_calls{dialer=\"$B_URL\"}")" = 1 ] ||
	fail "calls by dialer: $(grep dialer_calls "$T/m.txt")"
ok "two callbacks at once: one through each dialer (their logs, trunks" \
	"and metrics)"

# ---- kill -9 of A: its call is interrupted and retried through B

kill -KILL "$APID"
wait "$APID" 2>/dev/null || true
wait_log "$SLOG" "dialer $A_URL: link lost" 1
wait_log "$SLOG" "dialer $A_URL: 1 call in flight wait" 1
wait_count "$ID1" interrupted 1
wait_count "$ID1" bridged 2
[ "$(invites custB +14155550311)" = 1 ] ||
	fail "the retry of $ID1 did not go through B once"
[ "$(count "$ID2" interrupted)" = 0 ] || fail "B's call was interrupted"
[ "$(metric "beckon_dialer_up{dialer=\"$A_URL\"}")" = 0 ] ||
	fail "A still up in the metrics"
ok "kill -9 of A: its call interrupted after dialer_resume, retried" \
	"through B; B's call goes on"

# ---- A restarted: agents again, and the next call

CUSTA2=$(free_port)
start_sipp custA2 talk_then_hangup "$CUSTA2" 1
beckon_dialer dialerA2 "$SIPA" "$CTLA" "$CUSTA2"
wait_log "$SLOG" "dialer $A_URL: connected" 2
# frank's credentials reached the new A's registrar (a REGISTER with
# digest, from a port nobody answers on: frank stays away)
i=0
until python3 "$BECKON_SRC/tests/lib/sip_register.py" "$SIPA" frank \
	frank-sip-pw "$(free_port)" >"$T/register.out" 2>&1; do
	i=$((i + 1))
	[ $i -le 20 ] || fail "REGISTER at the new A: $(cat "$T/register.out")"
	sleep 0.1
done
# B holds two calls, A none: the next one goes to A
"$BECKON" agent state erin available >/dev/null || fail "erin available"
post +14155550313
ID3=$ID
wait_status "$ID3" connected
dialed_by dialerA2 "$ID3" || fail "the call after the restart not on A"
[ "$(invites custA2 +14155550313)" = 1 ] || fail "INVITEs of $ID3"
ok "A restarted: it has the agents again (REGISTER with digest) and" \
	"takes the next call"

# ---- kill -9 of the server with calls on both dialers: the restarted
# server asks each back on every link (attach); the dialer that holds it
# gives it back, the other's not_found interrupts nothing

kill -KILL "$PID"
wait "$PID" 2>/dev/null || true
start_beckon serve --demo --dialer "$A_URL, $B_URL" \
	--control_secret "$SECRET" --dialer_resume 10 --metrics_token "$MTOK" \
	--sip_listen "127.0.0.1:$(free_port)"
export BECKON_SERVER="$URL"
wait_log "$SLOG" "dialer $A_URL: call $ID3 taken back" 1
wait_log "$SLOG" "dialer $B_URL: call $ID2 taken back" 1

# ---- every callback completes, each customer dialed once an attempt

wait_status "$ID2" completed 20
wait_status "$ID1" completed 20
wait_status "$ID3" completed 20
sipp_wait custB custA2
for id in "$ID2" "$ID3"; do
	[ "$(count "$id" interrupted)" = 0 ] || fail "$id was interrupted"
done
for id in "$IDR" "$ID1" "$ID2" "$ID3"; do
	[ "$(count "$id" dialing)" = "$(sqlite3 "$DB" "SELECT attempts
		FROM callbacks WHERE id='$id'")" ] ||
		fail "$id: dialing events and attempts differ"
done
[ "$(count "$ID1" dialing)" = 2 ] || fail "attempts of $ID1"
[ "$(count "$ID2" dialing)" = 1 ] || fail "attempts of $ID2"
# the customer of A's dead call is ours to stop; agents' sipp too
kill -KILL "$PID_agents" 2>/dev/null || true
ok "the server killed and restarted: each call taken back from its own" \
	"dialer, none interrupted; all complete, each customer dialed once" \
	"per attempt"

stop_beckon
