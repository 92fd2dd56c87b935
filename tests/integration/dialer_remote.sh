#!/bin/sh
# beckon serve driving a dialer in another process (`beckon dialer`) over
# the call-control protocol, `--dialer tcp://...`, with sipp as the
# customer behind the trunk and as the agent's desk phone:
#   - a callback is called, bridged and ended, the reason in the store;
#   - the link breaks mid-call (a TCP relay between the two is killed):
#     the call goes on at the dialer, the customer hangs up meanwhile,
#     and once the link is back (within dialer_resume) beckon takes the
#     call back and hears how it ended: completed, one attempt;
#   - kill -9 of the server mid-call: the restarted server takes the
#     call back from the dialer (attach), the callback stays connected
#     and alice on the call (nobody else is offered to her), and the
#     customer's hang-up completes it; nobody is dialed twice;
#   - kill -9 of the dialer mid-call: after dialer_resume, interrupted,
#     retried; nothing is dialed while it is down (the retry waits
#     queued, no attempt spent); after it comes back, agents' credentials
#     reach its registrar again (a real REGISTER with digest) and the
#     retry completes;
#   - the dialer restarts mid-call: the new link's attach is refused
#     (not_found) and the call is interrupted at once;
#   - a wrong control_secret: a clear error, nothing dialed;
#   - a fake dialer: an over-long line ends the link (and beckon comes
#     back, with the HMAC); a refused originate is retried (dialer_error);
#     a call whose link closes, with a dialer that knows no attach: hung
#     up there, interrupted here;
#   - a softphone agent over the protocol (agent_watch): not called while
#     not registered at the dialer (the customer is not dialed for
#     nobody); once a softphone registers, called; its 503 sets the agent
#     away and the held customer hears the goodbye (release), no_agent;
#   - SIGTERM to either side mid-call: the call ends (system_hangup), the
#     end is stored; secrets in no log; both exit 0.
. "$(dirname "$0")/../lib/common.sh"

SIPP=$(command -v sipp) || fail "sipp is not installed"
SIP=$(free_port)
DCTL=$(free_port)     # the dialer's control_listen
RELAY=$(free_port)    # a TCP relay to it, that the test can cut
CUST=$(free_port)
AGENT=$(free_port)
SECRET="remote-secret-$$-x9"
SCN="$BECKON_SRC/tests/sipp"
export BECKON_TOKEN=demo

# ---- helpers

# sipp_uas NAME SCENARIO PORT: one call, in background; sets SPID
sipp_uas() {
	"$SIPP" -sf "$2" -i 127.0.0.1 -p "$3" -m 1 -nostdin -timeout 40s \
		-timeout_error \
		-trace_msg -message_file "$T/$1.msg" -trace_err \
		-error_file "$T/$1.err" >"$T/$1.out" 2>&1 &
	SPID=$!
	PIDS="$PIDS $SPID"
	wait_udp "$3" "$SPID"
}

# call_up N PHONE CUSTOMER_SCENARIO: alice available, sipps as the
# customer (custN) and alice's phone (agentN, answers and waits for the
# BYE), a callback for PHONE posted and connected. Sets CPID, APID (the
# sipps), CID and CTOK (the callback's id and cancel token).
call_up() {
	"$BECKON" agent state alice available >/dev/null 2>&1 || true
	sipp_uas "cust$1" "$3" "$CUST"
	CPID=$SPID
	sipp_uas "agent$1" "$SCN/uas_answer/scenario.xml" "$AGENT"
	APID=$SPID
	post_json "{\"business\":\"demo\",\"phone\":\"$2\"}"
	expect_status 202
	CID=$(jv .id)
	CTOK=$(jv .cancel_token)
	wait_status "$CID" connected
}

# sipp_done PID NAME: the peer finished its scenario
sipp_done() {
	rc=0
	wait "$1" || rc=$?
	[ "$rc" = 0 ] || fail "sipp $2 exited $rc: $(tail -n 5 "$T/$2.out")"
}

# stop_pid PID: kill -9 one process we started, and reap it
stop_pid() {
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

sql() {
	sqlite3 "$DB" "$1"
}

# types ID: the callback's event types, in order (its "created" implied
# by the row unless an event row holds it: schema migration 21)
types() {
	sql "SELECT group_concat(type, ' ') FROM (SELECT 0 AS seq,
		'created' AS type FROM callbacks WHERE id='$1'
		AND created_status IS NOT NULL UNION ALL SELECT seq, type
		FROM events WHERE callback_id='$1' ORDER BY seq)"
}

agent_state() {
	req GET /v1/admin/agents/alice -H "Authorization: Bearer demo"
	jv .state
}

start_dialer() {
	beckon_dialer dialer "$SIP" "$DCTL" "$CUST"
}

# a relay that forwards each connection to the dialer, and that the test
# kills to break the link while the dialer lives on
cat >"$T/relay.py" <<'EOF'
import asyncio, sys

async def pipe(r, w):
    try:
        while data := await r.read(65536):
            w.write(data)
            await w.drain()
    except Exception:
        pass
    w.close()

async def client(cr, cw):
    try:
        ur, uw = await asyncio.open_connection("127.0.0.1", int(sys.argv[2]))
    except OSError:
        cw.close()
        return
    await asyncio.gather(pipe(cr, uw), pipe(ur, cw))

async def main():
    srv = await asyncio.start_server(client, "127.0.0.1", int(sys.argv[1]))
    async with srv:
        await srv.serve_forever()

asyncio.run(main())
EOF

start_relay() {
	python3 "$T/relay.py" "$RELAY" "$DCTL" >"$T/relay.out" 2>&1 &
	RPID=$!
	PIDS="$PIDS $RPID"
	wait_tcp "$RELAY"
}

# serve_via NAME URL [args]: a server of its own (database NAME.db, log
# NAME.log) whose dialer is URL, with the right secret
serve_via() {
	sname=$1
	surl=$2
	shift 2
	DB="$T/$sname.db"
	start_beckon "$sname" --demo --dialer "$surl" \
		--control_secret "$SECRET" \
		--sip_listen "127.0.0.1:$(free_port)" "$@"
}

# ---- beckon dialer --help, and what it refuses

"$BECKON" dialer --help >"$T/help.out" || fail "dialer --help"
grep -q "usage: beckon dialer" "$T/help.out" || fail "no dialer usage"
grep -q -- "--control_secret" "$T/help.out" || fail "help lacks keys"
if grep -q -- "--http_listen" "$T/help.out"; then
	fail "dialer --help lists keys it does not read"
fi
rc=0
"$BECKON" dialer --control_listen "127.0.0.1:$DCTL" >"$T/nosecret.log" \
	2>&1 || rc=$?
[ "$rc" = 1 ] || fail "a dialer without control_secret exited $rc"
grep -q "needs control_listen and control_secret" "$T/nosecret.log" ||
	fail "no clear error without control_secret"
rc=0
"$BECKON" serve --db "sqlite:$T/bad.db" --dialer tcp://nowhere:x \
	>"$T/badurl.log" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "not tcp://HOST:PORT" "$T/badurl.log" ||
	fail "a bad dialer URL: exit $rc, $(cat "$T/badurl.log")"
ok "beckon dialer --help; no secret or a bad URL stops the start-up"

# ---- a call through the remote dialer

start_dialer
start_relay
serve_via serve "tcp://127.0.0.1:$RELAY" --dialer_resume 8
SLOG="$T/serve.log"
wait_log "$SLOG" "dialer tcp://127.0.0.1:$RELAY: connected" 1
wait_log "$T/dialer.log" "control client .* authenticated" 1
# its node id (host name and port) names it: a new link of the same
# server takes back its calls from an old one left open (call-control.md)
grep -q "authenticated (epoch 0, node $(hostname):[0-9]*)" \
	"$T/dialer.log" || fail "serve did not say its node id in its auth"
if grep -q "dialer: info: SIP on" "$SLOG"; then
	fail "serve started a dialer of its own"
fi

export BECKON_SERVER="$URL"
"$BECKON" agent set alice --endpoint "sip:alice@127.0.0.1:$AGENT" \
	--sip_password alicepw >/dev/null || fail "agent set alice"
"$BECKON" business set demo --retry_delays 4 >/dev/null ||
	fail "business set"
"$BECKON" agent state alice available >/dev/null || fail "alice available"
ok "serve connects to the dialer with --dialer tcp://, HMAC auth"

sipp_uas cust1 "$SCN/answer/customer.xml" "$CUST"
C1=$SPID
sipp_uas agent1 "$SCN/uas_answer/scenario.xml" "$AGENT"
A1=$SPID
post_json '{"business":"demo","phone":"+14155550170","name":"Ann"}'
expect_status 202
ID1=$(jv .id)
wait_status "$ID1" completed
sipp_done "$C1" cust1
sipp_done "$A1" agent1
[ "$(types "$ID1")" = "created dialing offered ringing answered \
agent_ringing agent_answered bridged ended" ] ||
	fail "events of $ID1: $(types "$ID1")"
[ "$(sql "SELECT ended_reason FROM callbacks WHERE id='$ID1'")" = \
	customer_hangup ] || fail "ended_reason of $ID1"
[ "$(sql "SELECT json_extract(data, '$.sip') FROM events
	WHERE callback_id='$ID1' AND type='ended'")" = 200 ] ||
	fail "ended without the SIP status"
ok "POST -> dialed by the remote dialer -> bridged -> ended (customer_hangup, 200)"

# ---- the link breaks mid-call; the dialer lives on, and the call too

call_up 2 +14155550171 "$SCN/answer/customer.xml"
C2=$CPID A2=$APID ID2=$CID

stop_pid "$RPID"
wait_log "$SLOG" "link lost" 1
wait_log "$SLOG" "1 call in flight wait up to 8 s for the link" 1
# the customer hangs up (1.5 s after answering) while nobody watches
wait_log "$T/dialer.log" "call $ID2: customer ended: customer_hangup" 1
req GET "/v1/callbacks/$ID2"
expect_jv .status connected
[ "$(agent_state)" = on_call ] || fail "alice is $(agent_state)"
sipp_done "$C2" cust2
sipp_done "$A2" agent2
ok "link lost mid-call: the call goes on at the dialer, still connected here"

start_relay
wait_log "$SLOG" "dialer tcp://127.0.0.1:$RELAY: connected" 2
wait_log "$SLOG" "call $ID2 taken back (ended)" 1
wait_status "$ID2" completed
[ "$(types "$ID2")" = "created dialing offered ringing answered \
agent_ringing agent_answered bridged ended" ] ||
	fail "events of $ID2: $(types "$ID2")"
[ "$(sql "SELECT ended_reason || ' ' || attempts FROM callbacks
	WHERE id='$ID2'")" = "customer_hangup 1" ] ||
	fail "$ID2 did not end as the customer's hang-up, first attempt"
[ "$(agent_state)" != on_call ] || fail "alice is still on the call"
ok "link back: the call is taken back (attach), its end heard: completed"

# ---- kill -9 of the server mid-call: the dialer lives on, and the call
# too; the restarted server takes the call back instead of interrupting
# it and dialing the customer again

call_up 3 +14155550177 "$SCN/talk_then_hangup/scenario.xml"
C3=$CPID A3=$APID IDK=$CID
stop_pid "$PID"
serve_via serve "tcp://127.0.0.1:$RELAY" --dialer_resume 8
export BECKON_SERVER="$URL"
wait_log "$SLOG" "$IDK: was connected when beckon stopped: kept" 1
wait_log "$SLOG" "call $IDK taken back (bridged)" 1
req GET "/v1/callbacks/$IDK"
expect_jv .status connected
[ "$(agent_state)" = on_call ] || fail "alice is $(agent_state)"
# another customer asks meanwhile: alice is on the call, so nobody is
# offered it
post_json '{"business":"demo","phone":"+14155550178"}'
expect_status 202
IDQ=$(jv .id)
TOKQ=$(jv .cancel_token)
sleep 1.5
req GET "/v1/callbacks/$IDQ"
expect_jv .status queued
[ "$(agent_state)" = on_call ] || fail "alice is $(agent_state)"
req DELETE "/v1/callbacks/$IDQ" -H "Authorization: Bearer $TOKQ"
expect_status 200
# the customer hangs up: the end reaches the restarted server
wait_status "$IDK" completed 20
sipp_done "$C3" cust3
sipp_done "$A3" agent3
[ "$(types "$IDK")" = "created dialing offered ringing answered \
agent_ringing agent_answered bridged ended" ] ||
	fail "events of $IDK: $(types "$IDK")"
[ "$(sql "SELECT ended_reason || ' ' || attempts FROM callbacks
	WHERE id='$IDK'")" = "customer_hangup 1" ] ||
	fail "$IDK did not end as the customer's hang-up, first attempt"
[ "$(invites cust3)" = 1 ] ||
	fail "the customer was dialed $(invites cust3) times"
[ "$(invites agent3)" = 1 ] ||
	fail "alice was called $(invites agent3) times"
[ "$(sql "SELECT count(*) FROM events WHERE callback_id='$IDQ'
	AND type IN ('dialing', 'offered')")" = 0 ] ||
	fail "$IDQ was offered while alice was on the call"
[ "$(agent_state)" != on_call ] || fail "alice is still on the call"
ok "kill -9 of the server mid-call: taken back (attach), alice kept on it, \
nobody dialed twice, completed"

# ---- kill -9 of the dialer mid-call

call_up 4 +14155550172 "$SCN/uas_answer/scenario.xml"
C4=$CPID A4=$APID ID3=$CID
stop_pid "$DPID"
wait_log "$SLOG" "the link was not back within 8 s: 1 call given up" 1
wait_status "$ID3" scheduled
req GET "/v1/callbacks/$ID3"
expect_jv '.events[-2].type' interrupted
expect_jv '.events[-2].data.was' connected
expect_jv '.events[-1].type' retry_scheduled
[ "$(agent_state)" = available ] || fail "alice is $(agent_state)"
# the phones of a dead dialer get no BYE: ours to stop
stop_pid "$C4"
stop_pid "$A4"
ok "kill -9 of the dialer mid-call: interrupted, retry scheduled, alice free"

# its retry falls while the dialer is down: queued, not dialed, no
# attempt spent
wait_status "$ID3" queued
sleep 1.5
req GET "/v1/callbacks/$ID3"
expect_jv .status queued
[ "$(sql "SELECT attempts FROM callbacks WHERE id='$ID3'")" = 1 ] ||
	fail "an attempt was spent while the dialer was down"
grep -q "cannot connect" "$SLOG" || fail "no log of the failed reconnects"
ok "while the dialer is down nothing is dispatched (queued, attempt 1)"

# it comes back: credentials first (a real REGISTER with digest), then
# the retry
sipp_uas cust5 "$SCN/answer/customer.xml" "$CUST"
C5=$SPID
sipp_uas agent5 "$SCN/uas_answer/scenario.xml" "$AGENT"
A5=$SPID
start_dialer
wait_log "$SLOG" "dialer tcp://127.0.0.1:$RELAY: connected" 3
wait_status "$ID3" completed
sipp_done "$C5" cust5
sipp_done "$A5" agent5
[ "$(sql "SELECT attempts FROM callbacks WHERE id='$ID3'")" = 2 ] ||
	fail "attempts of $ID3"
"$SIPP" -sf "$SCN/register/uac.xml" "127.0.0.1:$SIP" -i 127.0.0.1 \
	-p "$(free_port)" -m 1 -nostdin -timeout 20s -timeout_error \
	-trace_err -error_file "$T/register.err" >"$T/register.out" 2>&1 ||
	fail "REGISTER to the restarted dialer: $(tail -n 5 "$T/register.err")"
ok "the dialer is back: the retry completes; alice's credentials reached its registrar"

# ---- the dialer restarts mid-call: the call it forgot is given up as
# soon as the new link says so, not after dialer_resume

# a link up 3 s is stable: once lost, the backoff starts over at 0.2 s
sleep 3
call_up 6 +14155550173 "$SCN/uas_answer/scenario.xml"
C6=$CPID A6=$APID ID4=$CID TOK4=$CTOK
stop_pid "$DPID"
T0=$(date +%s)
start_dialer
wait_log "$SLOG" "call $ID4 not taken back: not_found" 1
wait_status "$ID4" scheduled
[ $(($(date +%s) - T0)) -lt 8 ] || fail "given up only after dialer_resume"
req GET "/v1/callbacks/$ID4"
expect_jv '.events[-2].type' interrupted
expect_jv '.events[-2].data.reason' dialer_lost
# the phones of the dead dialer get no BYE: ours to stop; no retry
stop_pid "$C6"
stop_pid "$A6"
req DELETE "/v1/callbacks/$ID4" -H "Authorization: Bearer $TOK4"
expect_status 200
ok "the dialer restarted mid-call: the call it forgot is interrupted at once (not_found)"

# ---- a wrong secret: a clear error, nothing dialed

SERVE_PID=$PID
SERVE_URL=$URL
DB_MAIN=$DB
DB="$T/wrong.db"
start_beckon wrong --demo --dialer "tcp://127.0.0.1:$DCTL" \
	--control_secret "not-the-secret-$$" --sip_listen "127.0.0.1:$(free_port)"
WRONG_PID=$PID
wait_log "$T/wrong.log" "authentication failed" 1
grep -q "control_secret is not the dialer's; nothing is dialed" \
	"$T/wrong.log" || fail "the error does not say what to fix"
wait_log "$T/dialer.log" "authentication failed" 1
BECKON_SERVER="$URL" "$BECKON" agent set alice \
	--endpoint "sip:alice@127.0.0.1:$AGENT" >/dev/null || fail "agent set"
BECKON_SERVER="$URL" "$BECKON" agent state alice available >/dev/null ||
	fail "alice available"
post_json '{"business":"demo","phone":"+14155550173"}'
expect_status 202
ID4=$(jv .id)
sleep 1.5
req GET "/v1/callbacks/$ID4"
expect_jv .status queued
[ "$(sql "SELECT count(*) FROM events WHERE callback_id='$ID4'
	AND type='dialing'")" = 0 ] || fail "dialed with a wrong secret"
ok "a wrong control_secret: 'authentication failed' logged, nothing dialed"

stop_beckon

# ---- the dialer by name: /etc/hosts, a name server, a name that is not

DNSP=$(free_port)
python3 "$BECKON_SRC/tests/lib/dns.py" "$DNSP" dialer.beckon.test=127.0.0.1 \
	>"$T/dns.log" 2>&1 &
DNS_PID=$!
PIDS="$PIDS $DNS_PID"
wait_udp "$DNSP"

serve_via byname "tcp://localhost:$DCTL"
wait_log "$T/byname.log" "dialer tcp://localhost:$DCTL: connected" 1
stop_beckon

serve_via bydns "tcp://dialer.beckon.test:$DCTL" \
	--dns_servers "127.0.0.1:$DNSP"
wait_log "$T/bydns.log" "dialer tcp://dialer.beckon.test:$DCTL: connected" 1
grep -q "^QUERY dialer.beckon.test 1$" "$T/dns.log" ||
	fail "no A query reached the name server: $(cat "$T/dns.log")"
stop_beckon

serve_via nxdomain "tcp://gone.beckon.test:$DCTL" \
	--dns_servers "127.0.0.1:$DNSP"
wait_log "$T/nxdomain.log" "cannot resolve gone.beckon.test" 1
req GET /healthz
expect_status 200
stop_beckon
ok "the dialer by name: localhost from /etc/hosts, a name from dns_servers; an unknown name retried, the server serving"

# ---- a dialer that misbehaves: a fake one, in Python

# the first connection gets a line over the bound; the next ones are
# served: auth checked against the HMAC, every originate refused but the
# one to +14155550175, which is bridged at once and then the link is
# closed; attach is unknown to this dialer (as to one older than it)
cat >"$T/fake.py" <<'EOF'
import hashlib, hmac, json, socket, sys

srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(sys.argv[1])))
srv.listen(8)
secret = sys.argv[2].encode()
log = open(sys.argv[3], "a", buffering=1)
n = 0
while True:
    c, _ = srv.accept()
    n += 1
    # reading and writing apart: a text file's write drops what it had
    # read ahead, so lines that came in one segment would be lost
    f = c.makefile("r", newline="\n")
    w = c.makefile("w")
    nonce = "00112233445566778899aabbccddeeff%d" % n
    w.write(json.dumps({"event": "hello",
                        "protocol": "beckon-call-control/1",
                        "nonce": nonce}) + "\n")
    w.flush()
    auth = json.loads(f.readline())
    want = hmac.new(secret, nonce.encode(), hashlib.sha256).hexdigest()
    good = auth.get("hmac") == want and "secret" not in auth
    log.write("conn %d auth %s\n" % (n, "hmac-ok" if good else "bad"))
    if n == 1:
        w.write('{"event":"ok","cmd":"auth","pad":"' + "x" * 9000 + '"}\n')
        w.flush()
        log.write("conn 1 closed: %r\n" % (c.recv(1) == b""))
        c.close()
        continue
    w.write('{"event":"ok","cmd":"auth"}\n')
    w.flush()
    for line in f:
        cmd = json.loads(line)
        log.write("cmd %s\n" % cmd["cmd"])
        if cmd.get("id"):
            log.write("cmd %s %s\n" % (cmd["cmd"], cmd["id"]))
        if (cmd["cmd"] == "originate" and
                cmd.get("customer") == "+14155550175"):
            for ev in ({"event": "ok", "cmd": "originate"},
                       {"event": "answered", "leg": "customer"},
                       {"event": "answered", "leg": "agent"},
                       {"event": "bridged"}):
                ev["id"] = cmd["id"]
                w.write(json.dumps(ev) + "\n")
            w.flush()
            break
        elif cmd["cmd"] == "originate":
            w.write(json.dumps({"event": "error", "cmd": "originate",
                                "id": cmd["id"], "code": "failed",
                                "message": "test"}) + "\n")
        elif cmd["cmd"] == "attach":
            w.write(json.dumps({"event": "error", "cmd": "attach",
                                "id": cmd["id"],
                                "code": "unknown_command",
                                "message": "test"}) + "\n")
        elif cmd["cmd"] == "ping":
            w.write('{"event":"pong","t":0}\n')
        else:
            w.write(json.dumps({"event": "ok", "cmd": cmd["cmd"]}) + "\n")
        w.flush()
    # the file holds the socket open: both go
    f.close()
    w.close()
    c.close()
EOF
FAKE=$(free_port)
python3 "$T/fake.py" "$FAKE" "$SECRET" "$T/fake.out" >"$T/fake.err" 2>&1 &
FAKE_PID=$!
PIDS="$PIDS $FAKE_PID"
wait_tcp "$FAKE"
serve_via fake "tcp://127.0.0.1:$FAKE"
wait_log "$T/fake.log" "a line longer than 8192 bytes" 1
wait_log "$T/fake.log" "dialer tcp://127.0.0.1:$FAKE: connected" 1
grep -q "conn 1 auth hmac-ok" "$T/fake.out" || fail "auth: $(cat "$T/fake.out")"
grep -q "conn 2 auth hmac-ok" "$T/fake.out" || fail "auth again"
grep -q "conn 1 closed: True" "$T/fake.out" || fail "over-long line kept"
ok "an over-long line ends the link; beckon connects again (HMAC, no secret sent)"

BECKON_SERVER="$URL" "$BECKON" agent set alice \
	--endpoint "sip:alice@127.0.0.1:$AGENT" >/dev/null || fail "agent set"
BECKON_SERVER="$URL" "$BECKON" agent state alice available >/dev/null ||
	fail "alice available"
post_json '{"business":"demo","phone":"+14155550174"}'
expect_status 202
ID5=$(jv .id)
wait_status "$ID5" scheduled
req GET "/v1/callbacks/$ID5"
expect_jv '.events[-1].type' retry_scheduled
expect_jv '.events[-1].data.reason' dialer_error
[ "$(agent_state)" = available ] || fail "alice is $(agent_state)"
grep -q "cmd agent_set" "$T/fake.out" || fail "no agent_set sent"
grep -q "refused call $ID5: failed" "$T/fake.log" ||
	fail "no log of the refusal"
ok "an originate the dialer refuses: retry scheduled (dialer_error), agent free"

# a call in flight when the link closes, and a dialer that does not know
# attach: the call is hung up there and interrupted here, at once
"$BECKON" agent state alice available >/dev/null 2>&1 || true
post_json '{"business":"demo","phone":"+14155550175"}'
expect_status 202
ID6=$(jv .id)
wait_log "$T/fake.out" "cmd hangup $ID6" 1
wait_status "$ID6" scheduled
req GET "/v1/callbacks/$ID6"
expect_jv '.events[-2].type' interrupted
expect_jv '.events[-2].data.was' connected
expect_jv '.events[-2].data.reason' dialer_lost
grep -q "cmd attach $ID6" "$T/fake.out" || fail "no attach of $ID6"
grep -q "call $ID6 not taken back: unknown_command" "$T/fake.log" ||
	fail "no log of the refused attach"
ok "a dialer without attach: the call of the lost link is hung up there, interrupted here"
stop_beckon
stop_pid "$FAKE_PID"
DB=$DB_MAIN
PID=$SERVE_PID
URL=$SERVE_URL

# ---- softphones and the goodbye, over the protocol (agent_watch,
# release): bob's softphone (endpoint registered) is reachable only once
# it has registered with the remote dialer, which tells the server; his
# phone answers the call 503: he is set away at once, and the held
# customer, with nobody left, hears the goodbye and is retried as
# no_agent, as with the dialer in process (acd_no_phone.sh)

# bob's softphone: sipraw registers it (digest) from PHONE
# (tests/lib/sip_register.py), then the 503 phone of acd_no_phone.sh
# (sipp, uas_unavailable) answers there

"$BECKON" agent state alice away >/dev/null || fail "alice away"
"$BECKON" agent set bob --endpoint registered --sip_password bob-sip-pw \
	>/dev/null || fail "agent set bob"
# Available needs a reachable phone: refused while not registered
"$BECKON" agent state bob available >"$T/bob.out" 2>&1 &&
	fail "bob was set available with no softphone registered"
grep -q phone_unreachable "$T/bob.out" || fail "bob: $(cat "$T/bob.out")"
req GET /v1/businesses/demo
expect_jv .now.ok false
expect_jv .now.reason no_agent
sipp_uas cust8 "$SCN/uas_answer/scenario.xml" "$CUST"
C8=$SPID
post_json '{"business":"demo","phone":"+14155550179"}'
expect_status 202
ID8=$(jv .id)
TOK8=$(jv .cancel_token)
# nothing to wait for: only time shows that nothing is dialed
sleep 1
req GET "/v1/callbacks/$ID8"
expect_jv .status queued
[ "$(invites cust8)" = 0 ] || fail "the customer was called for nobody"
agent_login bob
req GET /agent/api/me -H "$C_bob"
expect_jv .agent.phone_reachable false
ok "a remote dialer: bob's softphone is not registered: Available is" \
	"refused (phone_unreachable), the customer is not called, bob's desk" \
	"says so"

PHONE=$(free_port)
python3 "$BECKON_SRC/tests/lib/sip_register.py" "$SIP" bob bob-sip-pw \
	"$PHONE" >"$T/register.out" 2>&1 ||
	fail "bob's softphone did not register: $(cat "$T/register.out")"
sipp_uas bob503 "$SCN/uas_unavailable/scenario.xml" "$PHONE"
B503=$SPID
# the dialer's registration event reaches the server: Available now
i=0
until "$BECKON" agent state bob available >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -le 100 ] || fail "bob registered and still not available"
	sleep 0.05
done
wait_status "$ID8" scheduled 30
req GET "/v1/callbacks/$ID8"
expect_jv '.events[-1].type' retry_scheduled
expect_jv '.events[-1].data.reason' no_agent
# its one call: the INVITE to the registered contact, 503, the ACK
sipp_done "$B503" bob503
grep -q "call $ID8: no agent can take it: goodbye" "$T/dialer.log" ||
	fail "the customer was hung up on without the goodbye"
[ "$(sql "SELECT state || '|' || state_reason FROM agents
	WHERE id='bob'")" = "away|your phone cannot be reached (SIP 503)" ] ||
	fail "bob: $(sql "SELECT state, state_reason FROM agents
		WHERE id='bob'")"
req GET /agent/api/me -H "$C_bob"
expect_jv .agent.phone_reachable true
sipp_done "$C8" cust8
req DELETE "/v1/callbacks/$ID8" -H "Authorization: Bearer $TOK8"
expect_status 200
ok "bob registers at the remote dialer and is called; his phone's 503" \
	"sets him away, the held customer hears the goodbye (release) and is" \
	"retried as no_agent"

# ---- orderly stops with a call up: each side ends it with a reason

# the dialer stops (SIGTERM): its calls end (system_hangup), the server
# records the end, sees the link go and waits for the dialer's return
call_up 6 +14155550175 "$SCN/uas_answer/scenario.xml"
C6=$CPID A6=$APID ID6=$CID
kill -TERM "$DPID"
rc=0
wait "$DPID" || rc=$?
[ "$rc" = 0 ] || fail "beckon dialer exited $rc on SIGTERM"
grep -q "app: info: stopped" "$T/dialer.log" || fail "dialer did not stop"
sipp_done "$C6" cust6
sipp_done "$A6" agent6
wait_status "$ID6" completed
req GET "/v1/callbacks/$ID6"
expect_jv '.events[-1].type' ended
expect_jv '.events[-1].data.reason' system_hangup
wait_log "$SLOG" "link lost: closed by the dialer" 1
ok "SIGTERM to the dialer mid-call: BYE to both, ended (system_hangup), exit 0"

# the server stops (SIGTERM): it asks the dialer to hang up its calls and
# records their ends before it exits
start_dialer
wait_log "$SLOG" "dialer tcp://127.0.0.1:$RELAY: connected" 4
call_up 7 +14155550176 "$SCN/uas_answer/scenario.xml"
C7=$CPID A7=$APID ID7=$CID
stop_beckon
sipp_done "$C7" cust7
sipp_done "$A7" agent7
[ "$(sql "SELECT status || ' ' || ended_reason FROM callbacks
	WHERE id='$ID7'")" = "completed system_hangup" ] ||
	fail "$ID7 after the stop: $(sql "SELECT status, ended_reason
		FROM callbacks WHERE id='$ID7'")"
ok "SIGTERM to the server mid-call: the dialer hangs up, the end is stored"

# ---- no secret in any log; the dialer's clean stop

for f in "$T"/*.log; do
	if grep -q -e "$SECRET" -e "not-the-secret" -e alicepw \
		-e bob-sip-pw "$f"; then
		fail "a secret in $f"
	fi
done
ok "no secret in any log"

kill -TERM "$DPID"
rc=0
wait "$DPID" || rc=$?
[ "$rc" = 0 ] || fail "beckon dialer exited $rc on SIGTERM"
if grep -q "Sanitizer\|runtime error" "$T"/*.log; then
	fail "sanitizer report in the log"
fi
ok "the dialer stops cleanly on SIGTERM; no sanitizer report"
