#!/bin/sh
# The dialer against real SIP peers on loopback: sipp plays the trunk
# (the customer's side) and the agents' phones, one folder of
# tests/sipp per case (README, scenarios, control script). Each case
# checks the exact sequence of events the control protocol reported, and
# each sipp checks what beckon sent it (it fails on anything unexpected).
. "$(dirname "$0")/../lib/common.sh"
. "$BECKON_SRC/tests/sipp/lib/dialer.sh"

start_dialer calls --trunk_user acct --trunk_password trunkpw

case_ok() {
	ok "$1 (${CASE_TIME}s)"
}

run_case answer
expect_events answer "invite:customer ringing:customer answered:customer \
invite:agent ringing:agent answered:agent bridged \
leg_ended:customer:customer_hangup:200 leg_ended:agent:customer_hangup:200 \
ended:customer:customer_hangup:200"
# libre reports a BYE as ECONNRESET: the log says BYE, not a fault
grep -q "customer leg: customer_hangup (200, BYE)" "$T/calls.log" ||
	fail "answer: the customer's BYE is not logged as one"
! grep -q "Connection reset by peer" "$T/calls.log" ||
	fail "answer: a hang-up logged as a connection reset"
case_ok "answer: customer, prompt, agent, bridge, customer hangs up"

run_case busy
expect_events busy "invite:customer leg_ended:customer:busy:486 \
ended:customer:busy:486"
case_ok "busy: 486 ends the call with busy, no agent called"

run_case no_answer
expect_events no_answer "invite:customer ringing:customer \
leg_ended:customer:no_answer:487 ended:customer:no_answer:487"
case_ok "no answer: CANCEL after customer_ring, no_answer 487"

run_case decline_488
expect_events decline_488 "invite:customer \
leg_ended:customer:incompatible:488 ended:customer:incompatible:488"
case_ok "488: the leg fails cleanly as incompatible"

run_case no_codec
expect_events no_codec "invite:customer \
leg_ended:customer:incompatible:488 ended:customer:incompatible:488"
case_ok "200 OK without G.711: ACK, BYE, incompatible"

run_case early_media
expect_events early_media "invite:customer ringing:customer \
answered:customer leg_ended:customer:system_hangup:200 \
ended:system_hangup:200"
[ "$(jq -r 'select(.event == "ringing") | .early_media' \
	"$T/early_media.ctl")" = true ] || fail "early_media: not flagged"
grep -q "^m=audio [0-9]* RTP/AVP 0 8 101" "$T/early_media-customer.msg" ||
	fail "early_media: our offer"
case_ok "183 with SDP and RTP: ringing with early_media, then answered"

run_case bye_during_prompt
expect_events bye_during_prompt "invite:customer ringing:customer \
answered:customer invite:agent ringing:agent \
leg_ended:customer:customer_hangup:200 leg_ended:agent:canceled:487 \
ended:customer:customer_hangup:200"
case_ok "BYE during the prompt: the ringing agent is canceled"

run_case cancel_race
expect_events cancel_race "invite:customer ringing:customer \
leg_ended:customer:no_answer:487 ended:customer:no_answer:487"
case_ok "CANCEL crossing a 200 OK: ACK and BYE"

run_case reinvite_hold
expect_events reinvite_hold "invite:customer ringing:customer \
answered:customer invite:agent ringing:agent answered:agent bridged \
hold:customer unhold:customer hold:customer \
leg_ended:customer:customer_hangup:200 leg_ended:agent:customer_hangup:200 \
ended:customer:customer_hangup:200"
case_ok "re-INVITE and UPDATE hold/unhold, in-dialog OPTIONS"

run_case agent_hangup
expect_events agent_hangup "invite:customer ringing:customer \
answered:customer invite:agent ringing:agent answered:agent bridged \
leg_ended:agent:agent_hangup:200 leg_ended:customer:agent_hangup:200 \
ended:agent:agent_hangup:200"
case_ok "the agent hangs up: the customer is hung up"

run_case redirect
expect_events redirect "invite:customer ringing:customer \
answered:customer leg_ended:customer:system_hangup:200 \
ended:system_hangup:200"
case_ok "302: one redirect followed"

run_case redirect_twice
expect_events redirect_twice "invite:customer \
leg_ended:customer:unreachable:302 ended:customer:unreachable:302"
case_ok "a second 302: not followed, unreachable"

run_case trunk_auth
expect_events trunk_auth "invite:customer answered:customer leg_ended:customer:system_hangup:200 \
ended:system_hangup:200"
grep -q "^Authorization: Digest username=\"acct\"" \
	"$T/trunk_auth-customer.msg" || fail "trunk_auth: no credentials"
case_ok "401 from the trunk: digest credentials, verified by the trunk"

run_case agent_busy_offer 2
expect_events agent_busy_offer "invite:customer ringing:customer \
answered:customer invite:agent leg_ended:agent:busy:486 invite:agent \
ringing:agent answered:agent bridged \
leg_ended:customer:system_hangup:200 leg_ended:agent:system_hangup:200 \
ended:system_hangup:200"
case_ok "agent busy: the customer holds, offer_agent to another: bridged"

run_case agent_no_answer
expect_events agent_no_answer "invite:customer ringing:customer \
answered:customer invite:agent ringing:agent \
leg_ended:agent:no_answer:487 leg_ended:customer:system_hangup:200 \
ended:system_hangup:200"
case_ok "agent no answer: CANCEL after agent_ring, the customer holds"

run_case max_hold
expect_events max_hold "invite:customer ringing:customer \
answered:customer leg_ended:customer:max_hold:200 \
ended:customer:max_hold:200"
case_ok "max_hold: goodbye prompt, then BYE"

run_case release
expect_events release "invite:customer ringing:customer \
answered:customer leg_ended:customer:no_agent:200 \
ended:customer:no_agent:200"
case_ok "release: goodbye prompt, then BYE (no_agent); refused while \
calling (busy), for no id and an unknown one"

run_case agent_first
expect_events agent_first "invite:agent ringing:agent answered:agent \
invite:customer ringing:customer answered:customer bridged \
leg_ended:customer:customer_hangup:200 leg_ended:agent:customer_hangup:200 \
ended:customer:customer_hangup:200"
case_ok "agent first: whisper, then the customer, bridged"

# a controller's link breaks: its calls go on, and another connection
# takes them over with attach, missing none of their events
sipp_start attach-customer "$SIPP_CASES/max_hold/customer.xml" \
	"$TRUNK_PORT" 2
apid=$SIPP_PID
cat >"$T/attach1.txt" <<'S'
expect ok cmd=auth
send {"cmd":"originate","id":"att_a","customer":"+14155550100","max_hold":6}
expect answered id=att_a leg=customer
send {"cmd":"originate","id":"att_b","customer":"+14155550100","max_hold":1}
expect answered id=att_b leg=customer
S
cat >"$T/attach2.txt" <<'S'
expect ok cmd=auth
send {"cmd":"status","id":"att_a"}
expect status id=att_a controller=none
send {"cmd":"attach","id":"att_a"}
expect ok cmd=attach id=att_a state=holding dropped=0
send {"cmd":"status","id":"att_a"}
expect status id=att_a controller=this
send {"cmd":"attach","id":"att_a"}
expect ok cmd=attach id=att_a state=holding
send {"cmd":"attach","id":"nosuch"}
expect error cmd=attach id=nosuch code=not_found
shell $ATTACH3
sleep 4
send {"cmd":"attach","id":"att_b"}
expect ok cmd=attach id=att_b state=ended dropped=0
expect ended id=att_b reason=max_hold
expect ended id=att_a reason=max_hold
S
cat >"$T/attach3.txt" <<'S'
expect ok cmd=auth
send {"cmd":"attach","id":"att_a"}
expect error cmd=attach id=att_a code=busy
send {"cmd":"hangup","id":"att_a"}
expect error cmd=hangup id=att_a code=busy
send {"cmd":"announce","id":"att_a","position":1}
expect error cmd=announce id=att_a code=busy
send {"cmd":"status"}
expect status
S
# a third connection, run from the second's script while it holds att_a
ATTACH3="python3 $CTL 127.0.0.1:$CTL_PORT $SECRET $T/attach3.txt"
ATTACH3="$ATTACH3 >$T/attach3.ctl"
export ATTACH3
ctl "$T/attach1.txt" "$T/attach1.ctl"
ctl "$T/attach2.txt" "$T/attach2.ctl"
peer_wait "$apid" attach-customer
# call_events ID: that call's events on the second connection
call_events() {
	jq -r --arg id "$1" 'select(.id == $id and .event != "ok" and
		.event != "status") |
		[.event, (.leg // empty), (.reason // empty)] | join(":")' \
		"$T/attach2.ctl" | tr '\n' ' '
}
# att_b ended while nobody watched: what the new connection got first
B=$(call_events att_b)
[ "$B" = "leg_ended:customer:max_hold ended:customer:max_hold " ] ||
	fail "att_b replayed: $B"
A=$(call_events att_a)
[ "$A" = "leg_ended:customer:max_hold ended:customer:max_hold " ] ||
	fail "att_a after attach: $A"
[ "$(jq -r 'select(.event == "status") | .calls[] |
	select(.id == "att_a") | .controller' "$T/attach3.ctl")" = other ] ||
	fail "status: att_a is not another's"
ok "a lost control link: the calls go on; attach takes them over, with \
the events missed (and not a call another connection holds: neither attach \
nor hangup nor announce)"

# a controller that dies as the call ends: the end was sent to it but
# never read (a leader killed then); the next controller's attach still
# hears how the call went (state ended, the end), not not_found, which a
# leader takes for a call never placed, and dials the customer again
sipp_start unread-customer "$SIPP_CASES/max_hold/customer.xml" \
	"$TRUNK_PORT" 1
upid=$SIPP_PID
cat >"$T/unread1.txt" <<'S'
expect ok cmd=auth
send {"cmd":"originate","id":"att_c","customer":"+14155550100","max_hold":1}
expect answered id=att_c leg=customer
sleep 3
S
cat >"$T/unread2.txt" <<'S'
expect ok cmd=auth
send {"cmd":"attach","id":"att_c"}
expect ok cmd=attach id=att_c state=ended
expect ended id=att_c reason=max_hold
send {"cmd":"attach","id":"att_c"}
expect error cmd=attach id=att_c code=not_found
S
ctl "$T/unread1.txt" "$T/unread1.ctl"
peer_wait "$upid" unread-customer
if grep -q '"ended"' "$T/unread1.ctl"; then
	fail "the first connection read the end: the case is not made"
fi
ctl "$T/unread2.txt" "$T/unread2.ctl"
ok "a call that ended while its controller held the end unread: the next \
connection's attach hears it ended (max_hold), once"

# a single node (no epoch) on a new link while its old one is still open
# here, as after a blip that left it half-open: the node id its auth says
# names it, so the new link's attach takes the call (the old one is told
# detached, with the taker's node); another node still gets busy, and so
# does a client naming none (attach3 above); an empty node id is refused
sipp_start node-customer "$SIPP_CASES/max_hold/customer.xml" \
	"$TRUNK_PORT" 1
npid=$SIPP_PID
cat >"$T/node1.txt" <<'S'
expect ok cmd=auth
send {"cmd":"originate","id":"nd_a","customer":"+14155550100","max_hold":5}
expect answered id=nd_a leg=customer
shell CTL_NODE=web2:8080 $NODE3
shell CTL_NODE=web1:8080 $NODE2
expect detached id=nd_a epoch=0 node=web1:8080
send {"cmd":"ping"}
expect pong
S
cat >"$T/node2.txt" <<'S'
expect ok cmd=auth
send {"cmd":"attach","id":"nd_a"}
expect ok cmd=attach id=nd_a state=holding
send {"cmd":"status","id":"nd_a"}
expect status id=nd_a controller=this
expect ended id=nd_a reason=max_hold
S
cat >"$T/node3.txt" <<'S'
expect ok cmd=auth
send {"cmd":"attach","id":"nd_a"}
expect error cmd=attach id=nd_a code=busy
S
cat >"$T/node4.txt" <<'S'
send {"cmd":"auth","secret":"${SECRET}","node":""}
expect error cmd=auth code=bad_request field=node
expect_close
S
NODE2="python3 $CTL 127.0.0.1:$CTL_PORT $SECRET $T/node2.txt >$T/node2.ctl"
NODE3="python3 $CTL 127.0.0.1:$CTL_PORT $SECRET $T/node3.txt >$T/node3.ctl"
export NODE2 NODE3 SECRET
CTL_NODE=web1:8080 ctl "$T/node1.txt" "$T/node1.ctl"
peer_wait "$npid" node-customer
[ "$(jq -r 'select(.id == "nd_a") | .event' "$T/node1.ctl" |
	tr '\n' ' ')" = "ok invite ringing answered detached " ] ||
	fail "node web1's old link after the detach: $(cat "$T/node1.ctl")"
CTL_SECRET=- ctl "$T/node4.txt" "$T/node4.ctl"
ok "a single node's new link (the same node id, no epoch) takes its call \
from its old link still open (told detached), and the call ends under it; \
another node's attach is busy; an empty node id is refused"

# the leader's epoch (a cluster's fence): an attach from a higher epoch
# takes a call from the open connection that holds it, which is told
# "detached"; a lower epoch's commands are refused stale, reads aside
sipp_start epoch-customer "$SIPP_CASES/max_hold/customer.xml" \
	"$TRUNK_PORT" 1
epid=$SIPP_PID
cat >"$T/epoch1.txt" <<'S'
expect ok cmd=auth
send {"cmd":"originate","id":"ep_a","customer":"+14155550100","max_hold":5}
expect answered id=ep_a leg=customer
shell CTL_EPOCH=2 $EPOCH2
expect detached id=ep_a epoch=2
send {"cmd":"hangup","id":"ep_a"}
expect error cmd=hangup id=ep_a code=stale field=epoch
send {"cmd":"originate","id":"ep_b","customer":"+14155550100"}
expect error cmd=originate id=ep_b code=stale
send {"cmd":"attach","id":"ep_a"}
expect error cmd=attach id=ep_a code=stale
send {"cmd":"status"}
expect status
send {"cmd":"ping"}
expect pong
S
cat >"$T/epoch2.txt" <<'S'
expect ok cmd=auth
send {"cmd":"attach","id":"ep_a"}
expect ok cmd=attach id=ep_a state=holding
send {"cmd":"status","id":"ep_a"}
expect status id=ep_a controller=this
expect ended id=ep_a reason=max_hold
S
# an old epoch's auth is refused; no epoch (an older client) gets in but
# may only read
cat >"$T/epoch3.txt" <<'S'
send {"cmd":"auth","secret":"${SECRET}","epoch":1}
expect error cmd=auth code=stale field=epoch
expect_close
S
cat >"$T/epoch4.txt" <<'S'
expect ok cmd=auth
send {"cmd":"originate","id":"ep_c","customer":"+14155550100"}
expect error cmd=originate id=ep_c code=stale
send {"cmd":"status"}
expect status count=0
S
EPOCH2="python3 $CTL 127.0.0.1:$CTL_PORT $SECRET $T/epoch2.txt"
EPOCH2="$EPOCH2 >$T/epoch2.ctl"
export EPOCH2 SECRET
CTL_EPOCH=1 ctl "$T/epoch1.txt" "$T/epoch1.ctl"
peer_wait "$epid" epoch-customer
[ "$(jq -r 'select(.id == "ep_a") | .event' "$T/epoch1.ctl" |
	tr '\n' ' ')" = "ok invite ringing answered detached error error " ] ||
	fail "epoch 1 after the detach: $(cat "$T/epoch1.ctl")"
CTL_SECRET=- ctl "$T/epoch3.txt" "$T/epoch3.ctl"
ctl "$T/epoch4.txt" "$T/epoch4.ctl"
grep -q "ep_a: taken from control client .* (epoch 1) by epoch 2" \
	"$T/calls.log" || fail "the take-over is not logged"
ok "epochs: a higher epoch's attach takes a call from a live connection \
(told detached), and it ends under the new one; the old epoch's hangup, \
originate and attach are refused stale, its reads answered; an old epoch's \
auth is refused, an epoch-less client may only read"

# the same leader again (its epoch, not 0) on a new link while its old one
# is still open here, as after a blip that left it half-open: the new
# link's attach takes the call (the old one is told detached, and gets
# nothing more of it: not its end); epoch 0 keeps its calls (attach3)
sipp_start epoch-same-customer "$SIPP_CASES/max_hold/customer.xml" \
	"$TRUNK_PORT" 1
espid=$SIPP_PID
cat >"$T/epoch5.txt" <<'S'
expect ok cmd=auth
send {"cmd":"originate","id":"ep_d","customer":"+14155550100","max_hold":5}
expect answered id=ep_d leg=customer
shell CTL_EPOCH=2 $EPOCH6
expect detached id=ep_d epoch=2
send {"cmd":"ping"}
expect pong
S
cat >"$T/epoch6.txt" <<'S'
expect ok cmd=auth
send {"cmd":"attach","id":"ep_d"}
expect ok cmd=attach id=ep_d state=holding
send {"cmd":"status","id":"ep_d"}
expect status id=ep_d controller=this
expect ended id=ep_d reason=max_hold
S
EPOCH6="python3 $CTL 127.0.0.1:$CTL_PORT $SECRET $T/epoch6.txt"
EPOCH6="$EPOCH6 >$T/epoch6.ctl"
export EPOCH6
CTL_EPOCH=2 ctl "$T/epoch5.txt" "$T/epoch5.ctl"
peer_wait "$espid" epoch-same-customer
[ "$(jq -r 'select(.id == "ep_d") | .event' "$T/epoch5.ctl" |
	tr '\n' ' ')" = "ok invite ringing answered detached " ] ||
	fail "the same epoch's old link after the detach: \
$(cat "$T/epoch5.ctl")"
grep -q "ep_d: taken from control client .* (epoch 2) by epoch 2" \
	"$T/calls.log" || fail "the same epoch's take-over is not logged"
ok "epochs: the same leader's new link (its epoch) takes its call from its \
old link still open (told detached, nothing more of it); the call ends \
under the new link"

# nothing left behind: no call, and beckon stops cleanly
echo '{"cmd":"status"}' >"$T/status.txt"
printf 'expect ok cmd=auth\nsend {"cmd":"status"}\nexpect status count=0\n' \
	>"$T/status.txt"
ctl "$T/status.txt" "$T/status.ctl"
stop_beckon
ok "no call left; clean shutdown"
