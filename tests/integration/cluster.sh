#!/bin/sh
# One ACD brain, many edges (docs/cluster.md): three `beckon serve` nodes
# on one PostgreSQL (start_postgres), one `beckon dialer`, sipp as the
# customers behind the trunk and as the agents' phones:
#   - exactly one node leads (/healthz roles); a follower relays the
#     desk's API to the leader (cluster_relay.sh has the rest) or, with
#     relay_max_conns 0, answers it and the admin API's changes 503
#     not_leader naming the leader, Retry-After: 1, and still serves the
#     widget and the desk's page; dialer local is refused on PostgreSQL;
#   - callbacks posted round-robin to the three nodes reach the leader's
#     ACD (its resync) and are called and bridged through the dialer:
#     completed, each customer dialed once;
#   - kill -9 of the leader while two calls are bridged: another node
#     leads within 5 s (measured, printed), attaches both calls, which go
#     on and end completed; nobody dialed twice, no agent offered two
#     callbacks at once;
#   - a leader whose lock is taken while it is stopped (SIGSTOP, its
#     session ended) with a call bridged and its dialer link still open:
#     the new leader takes the call (an attach of a higher epoch), which
#     completes, the customer dialed once; the old one wakes up stale
#     and exits 75, saying why;
#   - kill -9 of a follower during intake: every request it answered 202
#     is in the store exactly once, and ends (canceled by its token);
#   - a stale leader that wakes after a restart of the dialer and
#     reaches it before the new leader: its link is not up (carries no
#     command) until the store confirms its epoch.
. "$(dirname "$0")/../lib/common.sh"
. "$BECKON_SRC/tests/lib/cluster.sh"

SIPP=$(command -v sipp) || fail "sipp is not installed"
SIP=$(free_port)
DCTL=$(free_port)
CUST=$(free_port)
AGENT=$(free_port)
SECRET="cluster-secret-$$-q7"
SCN="$BECKON_SRC/tests/sipp"
export BECKON_TOKEN=demo

DIALERS="tcp://127.0.0.1:$DCTL"
cluster_pg

# sipp_uas NAME SCENARIO PORT CALLS: in background; sets SPID
sipp_uas() {
	"$SIPP" -sf "$2" -i 127.0.0.1 -p "$3" -m "$4" -nostdin \
		-timeout 80s -timeout_error \
		-trace_msg -message_file "$T/$1.msg" -trace_err \
		-error_file "$T/$1.err" >"$T/$1.out" 2>&1 &
	SPID=$!
	PIDS="$PIDS $SPID"
	wait_udp "$3" "$SPID"
}

sipp_done() {
	rc=0
	wait "$1" || rc=$?
	[ "$rc" = 0 ] || fail "sipp $2 exited $rc: $(tail -n 5 "$T/$2.out")"
}

# callbacks IDS...: wait until each is STATUS (through node $2's API)
wait_all() {
	st=$1
	shift
	for id in "$@"; do
		wait_status "$id" "$st" 40
	done
}

# customer_invites PHONE: INVITEs the customers' sipps got for PHONE
customer_invites() {
	cat "$T"/cust*.msg 2>/dev/null | grep -c "^INVITE sip:$1@" || true
}

# ---- dialer local is refused on PostgreSQL

rc=0
"$BECKON" serve --db "$PGDB" --dialer local \
	--http_listen "127.0.0.1:$(free_port)" >"$T/local.log" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "not with db postgres://" "$T/local.log" ||
	fail "dialer local on PostgreSQL: exit $rc, $(cat "$T/local.log")"
ok "dialer local with db postgres:// stops the start-up, saying why"

# ---- three nodes, one leader

beckon_dialer dialer "$SIP" "$DCTL" "$CUST"

node 1
node 2
node 3 --relay_max_conns 0
LIVE="1 2 3"
[ "$(role "$U1")" = leader ] || fail "n1 is $(role "$U1")"
[ "$(role "$U2")" = follower ] || fail "n2 is $(role "$U2")"
[ "$(role "$U3")" = follower ] || fail "n3 is $(role "$U3")"
[ "$(psql_q "SELECT leader FROM cluster")" = n1 ] ||
	fail "cluster row: $(psql_q "SELECT * FROM cluster")"
at 2
req GET /healthz
expect_jv .node n2
grep -q "^app: info: n2: ready" "$T/n2.log" || fail "no node in text lines"
wait_log "$T/n2.log" "node n2 follows: the leader is n1" 1
ok "three nodes on one PostgreSQL: n1 leads, n2 and n3 follow (/healthz)"

at 2
req GET /agent/api/me
expect_error 401 not_logged_in
at 3
req GET /agent/api/me
expect_error 503 not_leader
expect_jv .error.leader n1
[ "$(hdr Retry-After)" = 1 ] || fail "Retry-After: $(hdr Retry-After)"
req POST /v1/admin/agents/alice/state -H "Authorization: Bearer demo" \
	-H 'Content-Type: application/json' --data '{"state":"available"}'
expect_error 503 not_leader
req GET /v1/admin/agents/alice -H "Authorization: Bearer demo"
expect_status 200 "an admin read on a follower"
req GET /widget.js
expect_status 200 "the widget on a follower"
req GET /agent/
expect_status 200 "the desk's page on a follower"
if grep -q "dialer tcp://127.0.0.1:$DCTL: connected" "$T/n2.log"; then
	fail "a follower connected to the dialer"
fi
ok "a follower relays the desk to the leader (n2), or, with relaying off \
(n3), answers 503 not_leader (leader n1, Retry-After: 1) for the desk and \
admin changes; reads, the widget and the desk's page served"

# a callback taken and withdrawn on a follower: the leader learns both
# through the store (acd_resync)
at 2
post_json '{"business":"demo","phone":"+14155550199"}'
expect_status 202
QID=$(jv .id)
QTOK=$(jv .cancel_token)
wait_log "$T/n1.log" "$QID: taken from the store" 1
req DELETE "/v1/callbacks/$QID" -H "Authorization: Bearer $QTOK"
expect_status 200 "cancel on a follower"
wait_log "$T/n1.log" "$QID: no longer open in the store" 1
ok "a callback taken and canceled on a follower reaches the leader's queue \
and leaves it"

# the agents' phones, through the leader
export BECKON_SERVER="$U1"
for a in alice bob; do
	"$BECKON" agent set "$a" --endpoint "sip:$a@127.0.0.1:$AGENT" \
		--wrap_up 1 >/dev/null || fail "agent set $a"
	"$BECKON" agent state "$a" available >/dev/null ||
		fail "$a available"
done
wait_log "$T/n1.log" "dialer tcp://127.0.0.1:$DCTL: connected" 1

# ---- callbacks round-robin to the three nodes

sipp_uas agents "$SCN/uas_answer/scenario.xml" "$AGENT" 8
APID=$SPID
sipp_uas custB "$SCN/answer/customer.xml" "$CUST" 6
CPID=$SPID
IDS=""
for i in 1 2 3 4 5 6; do
	at $(( (i - 1) % 3 + 1 ))
	post_json "{\"business\":\"demo\",\"phone\":\"+1415555020$i\"}"
	expect_status 202 "callback $i"
	IDS="$IDS $(jv .id)"
done
at 3
wait_all completed $IDS
sipp_done "$CPID" custB
for i in 1 2 3 4 5 6; do
	[ "$(customer_invites "+1415555020$i")" = 1 ] ||
		fail "+1415555020$i dialed $(customer_invites "+1415555020$i") times"
done
ok "6 callbacks posted round-robin to n1, n2, n3: each dialed once by the \
leader's dialer, bridged, completed"

# ---- kill -9 of the leader while two calls are bridged

sipp_uas custA "$SCN/talk_then_hangup/scenario.xml" "$CUST" 2
CPID=$SPID
at 2
post_json '{"business":"demo","phone":"+14155550301"}'
expect_status 202
KA=$(jv .id)
at 3
post_json '{"business":"demo","phone":"+14155550302"}'
expect_status 202
KB=$(jv .id)
wait_all connected "$KA" "$KB"

T0_NS=$(date +%s%N)
kill -KILL "$P1"
wait "$P1" 2>/dev/null || true
LIVE="2 3"
take_over
NLOG="$T/n$NEW.log"
wait_log "$NLOG" "call $KA taken back (bridged)" 1
wait_log "$NLOG" "call $KB taken back (bridged)" 1
at "$NEW"
req GET "/v1/callbacks/$KA"
expect_jv .status connected
ok "kill -9 of the leader mid-call: n$NEW leads in $MS ms, both bridged \
calls attached"

wait_all completed "$KA" "$KB"
sipp_done "$CPID" custA
sipp_done "$APID" agents
for p in +14155550301 +14155550302; do
	[ "$(customer_invites "$p")" = 1 ] ||
		fail "$p dialed $(customer_invites "$p") times"
done
[ "$(psql_q "SELECT string_agg(ended_reason || ' ' || attempts, ',')
	FROM callbacks WHERE id IN ('$KA', '$KB')")" = \
	"customer_hangup 1,customer_hangup 1" ] || fail "not completed once"
[ "$(grep -c '^INVITE sip:' "$T/agents.msg")" = 8 ] ||
	fail "agents called $(grep -c '^INVITE sip:' "$T/agents.msg") times"
no_double_offer
ok "the attached calls completed: every customer dialed once, agents \
called 8 times for 8 callbacks, never offered two at once"

# ---- a leader that lost its lock while it slept, a call bridged and its
# link to the dialer open: the new leader takes the call (a higher
# epoch's attach), which completes; the old one wakes stale, exits 75.
# n4 names the dialer twice (two names, one address): its two links
# attach the call with the same epoch, the second takes it from the
# first, which is told detached with n4's own epoch: no lead lost

D1=$DIALERS
DIALERS="$D1, tcp://localhost:$DCTL"
node 4
DIALERS=$D1
[ "$(role "$U4")" = follower ] || fail "n4 is $(role "$U4")"
eval "OLD=\$P$NEW"
sipp_uas agents2 "$SCN/uas_answer/scenario.xml" "$AGENT" 1
APID=$SPID
sipp_uas custC "$SCN/talk_then_hangup/scenario.xml" "$CUST" 1
CPID=$SPID
at "$NEW"
post_json '{"business":"demo","phone":"+14155550401"}'
expect_status 202
KC=$(jv .id)
wait_all connected "$KC"
# the other follower sits the takeover out: n4 is the one to take it
for n in $LIVE; do [ "$n" = "$NEW" ] || eval "FROZEN=\$P$n"; done
kill -STOP "$FROZEN"
kill -STOP "$OLD"
# its session ends as a cut connection would: the lock goes with it
psql_q "SELECT pg_terminate_backend(pid) FROM pg_locks
	WHERE locktype = 'advisory' AND granted" >/dev/null
i=0
until [ "$(role "$U4")" = leader ]; do
	i=$((i + 1))
	[ $i -le 100 ] || fail "n4 does not take the lead"
	sleep 0.05
done
kill -CONT "$FROZEN"
wait_log "$T/n4.log" "call $KC taken back (bridged)" 1
# (the second link attaches it only if it is up before the first link's
# ok, which has the others forget the call: most runs here)
if grep -q "call $KC: taken from control client .* (epoch \([0-9]*\)) by \
epoch \1\$" "$T/dialer.log"; then
	wait_log "$T/n4.log" "call $KC taken by the leader of epoch .*: \
another link of this node, attached again" 1
fi
ok "a leader frozen with a bridged call and its dialer link open: n4 \
leads and takes the call (attach of a higher epoch; the dialer named \
twice, its second link's attach of the same epoch does not stop it)"
kill -CONT "$OLD"
rc=0
wait "$OLD" || rc=$?
[ "$rc" = 75 ] || fail "the stale leader n$NEW exited $rc"
grep -q "the lead is lost" "$T/n$NEW.log" || fail "n$NEW does not say why"
# the dialer's word is on its socket when it wakes, before any answer of
# the store
grep -q "the lead is lost (dialer tcp://127.0.0.1:$DCTL: call $KC taken by \
the leader of epoch" "$T/n$NEW.log" ||
	fail "n$NEW did not learn it from the dialer's detached: \
$(grep 'lead is lost' "$T/n$NEW.log")"
ok "a leader whose lock was taken while it slept finds out (the dialer's \
detached) and exits 75 (n4 leads)"
at 4
wait_all completed "$KC"
sipp_done "$CPID" custC
sipp_done "$APID" agents2
[ "$(customer_invites +14155550401)" = 1 ] ||
	fail "+14155550401 dialed $(customer_invites +14155550401) times"
[ "$(psql_q "SELECT ended_reason || ' ' || attempts FROM callbacks
	WHERE id = '$KC'")" = "customer_hangup 1" ] ||
	fail "$KC not completed once"
ok "the call taken from the frozen leader completed under n4, the \
customer dialed once"
OTHER=$(for n in $LIVE; do [ "$n" = "$NEW" ] || echo "$n"; done)
LIVE="$OTHER 4"
NEW=4

# ---- kill -9 of a follower during intake

FOL=$(for n in $LIVE; do [ "$n" = "$NEW" ] || echo "$n"; done)
export BECKON_SERVER
eval "BECKON_SERVER=\$U$NEW"
for a in alice bob; do
	"$BECKON" agent state "$a" away >/dev/null || fail "$a away"
done
eval "FURL=\$U$FOL FPID=\$P$FOL"
python3 - "$FURL" "$T/answered" >"$T/intake.out" 2>&1 <<'PY' &
import http.client, json, sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
out = open(sys.argv[2], "a", buffering=1)
for i in range(400):
    try:
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
        c.request("POST", "/v1/callbacks", json.dumps(
            {"business": "demo", "phone": "+1415556%04d" % i}),
            {"Content-Type": "application/json"})
        r = c.getresponse()
        body = json.loads(r.read() or b"{}")
        if r.status == 202:
            out.write("%s %s\n" % (body["id"], body["cancel_token"]))
        c.close()
    except OSError:
        break
PY
IPID=$!
PIDS="$PIDS $IPID"
wait_log "$T/answered" "cb_" 20
kill -KILL "$FPID"
wait "$FPID" 2>/dev/null || true
wait "$IPID" 2>/dev/null || true
N=$(wc -l <"$T/answered")
[ "$N" -ge 20 ] && [ "$N" -lt 400 ] || fail "$N answered"
at "$NEW"
while read -r id tok; do
	[ "$(psql_q "SELECT count(*) FROM callbacks WHERE id = '$id'")" = 1 ] ||
		fail "$id answered 202 by n$FOL is not stored once"
	req DELETE "/v1/callbacks/$id" -H "Authorization: Bearer $tok"
	expect_status 200 "cancel $id"
done <"$T/answered"
# (a request cut by the kill may be stored without its 202: no promise)
ANS=$(sed "s/^\([^ ]*\) .*/'\1'/" "$T/answered" | paste -sd, -)
[ "$(psql_q "SELECT count(*) FROM callbacks WHERE id IN ($ANS)
	AND open = 0 AND status = 'canceled'")" = "$N" ] ||
	fail "an intake callback answered 202 did not end"
ok "kill -9 of n$FOL during intake: its $N answers (202) are each stored \
once, and end (canceled)"

# ---- the dialer fences too: once it has heard a higher epoch than the
# leader's (another leader's link, here a client of the test), the
# leader's originate is refused stale and it exits 75, the customer
# never dialed

E=$(psql_q "SELECT epoch FROM cluster WHERE id = 1")
echo "expect ok cmd=auth" >"$T/epoch.txt"
CTL_EPOCH=$((E + 1)) python3 "$SCN/lib/ctl.py" "127.0.0.1:$DCTL" "$SECRET" \
	"$T/epoch.txt" >"$T/epoch.ctl" || fail "epoch $((E + 1)): auth"
at 4
post_json '{"business":"demo","phone":"+14155550501"}'
expect_status 202
KD=$(jv .id)
"$BECKON" agent state alice available >/dev/null || fail "alice available"
wait_log "$T/n4.log" "refused originate as stale: a leader of a higher \
epoch than $E" 1
rc=0
wait "$P4" || rc=$?
[ "$rc" = 75 ] || fail "n4, stale at the dialer, exited $rc"
grep -q "the lead is lost (dialer tcp://127.0.0.1:$DCTL refused originate" \
	"$T/n4.log" || fail "n4 does not say the dialer found it stale"
! grep -q "$KD" "$T/dialer.log" || fail "$KD reached the dialer's SIP side"
ok "a leader whose dialer has heard a higher epoch: its originate is \
refused stale, it exits 75, the customer is not dialed"

# a node that comes after leads; with its agents offline it places no
# call (one in flight when it is frozen below would reach it first as
# the new leader's detached, and stop it before it reconnects)
psql_q "UPDATE agents SET state = 'offline'" >/dev/null
node 5
i=0
until [ "$(role "$U5")" = leader ]; do
	i=$((i + 1))
	[ $i -le 100 ] || fail "n5 does not take the lead"
	sleep 0.05
done
wait_log "$T/n5.log" "dialer tcp://127.0.0.1:$DCTL: connected" 1

# ---- a restarted dialer has forgotten every epoch: the old leader,
# frozen while n6 took over, wakes after the dialer's restart and reaches
# it first (n6 frozen too), its epoch accepted there. Its link carries
# nothing until the store says its epoch still leads; here the store
# cannot answer (PostgreSQL stopped, so the node cannot learn it is
# stale either): the link is dropped and tried again, never up
node 6
E5=$(psql_q "SELECT epoch FROM cluster WHERE id = 1")
kill -STOP "$P5"
psql_q "SELECT pg_terminate_backend(pid) FROM pg_locks
	WHERE locktype = 'advisory' AND granted" >/dev/null
i=0
until [ "$(role "$U6")" = leader ]; do
	i=$((i + 1))
	[ $i -le 100 ] || fail "n6 does not take the lead"
	sleep 0.05
done
wait_log "$T/n6.log" "dialer tcp://127.0.0.1:$DCTL: connected" 1
kill -STOP "$P6"
kill -TERM "$DPID"
wait "$DPID" || fail "the dialer exited $?"
beckon_dialer dialer "$SIP" "$DCTL" "$CUST"
stop_postgres pg
UP5=$(grep -c "dialer tcp://127.0.0.1:$DCTL: connected" "$T/n5.log")
AUTHS=$(grep -c "authenticated (epoch $E5, node n5)" "$T/dialer.log")
kill -CONT "$P5"
wait_log "$T/n5.log" "the store cannot confirm epoch $E5" 1
# and again, after the backoff: each attempt authenticated, none up
wait_log "$T/dialer.log" "authenticated (epoch $E5, node n5)" $((AUTHS + 2))
[ "$(grep -c "dialer tcp://127.0.0.1:$DCTL: connected" "$T/n5.log")" = \
	"$UP5" ] || fail "n5's link is up at the restarted dialer, unconfirmed"
ok "a stale leader reaching a restarted dialer first (its epoch accepted \
there): its link carries nothing while the store cannot confirm its epoch"

# both stop cleanly, the store still down
PID=$P5
stop_beckon
kill -CONT "$P6"
PID=$P6
stop_beckon
kill -TERM "$DPID"
wait "$DPID" || fail "the dialer exited $?"
