#!/bin/sh
# What beckon's dialer refuses: SIP requests from strangers (401, 403,
# 405, 481; nothing is ever dialed), bad registrations, and every kind of
# bad input on the call-control protocol (no auth, a wrong secret, bad
# JSON, long lines, bad fields), each with its error line.
. "$(dirname "$0")/../lib/common.sh"
. "$BECKON_SRC/tests/sipp/lib/dialer.sh"

start_dialer security

run_case unauth_invite
grep -q "^SIP/2.0 401" "$T/unauth_invite-uac.msg" || fail "no 401"
grep -q "call .*invite" "$T/security.log" && fail "a call was placed"
ok "unauthenticated INVITE: 401, wrong password 401, agent 403; \
OPTIONS 200, MESSAGE/SUBSCRIBE 405, stray BYE 481; nothing dialed"

run_case register
ok "registrar: 401, 403, 423, 200 with the binding, wrong AOR 403"

# ---- the control protocol
script() {
	cat >"$T/$1.txt"
}

script noauth <<'S'
send {"cmd":"status"}
expect error code=auth_required
expect_close
S
CTL_SECRET=- ctl "$T/noauth.txt" "$T/noauth.ctl"
ok "a command before auth: auth_required, then the connection closes"

script badsecret <<'S'
expect error code=auth_failed
expect_close
S
CTL_SECRET=wrong ctl "$T/badsecret.txt" "$T/badsecret.ctl"
grep -q "authentication failed" "$T/security.log" || fail "not logged"
grep -q "wrong" "$T/security.log" && fail "the secret was logged"
ok "a wrong secret: auth_failed, closed, logged without the secret"

script hmac <<'S'
expect ok cmd=auth
send {"cmd":"ping"}
expect pong
S
CTL_HMAC=1 ctl "$T/hmac.txt" "$T/hmac.ctl"
ok "auth by HMAC of the hello nonce"

script badjson <<'S'
raw {"cmd":\n
expect error code=bad_json
expect_close
S
CTL_SECRET=- ctl "$T/badjson.txt" "$T/badjson.ctl"
ok "bad JSON before auth: bad_json, closed"

script errors <<'S'
expect ok cmd=auth
raw not json\n
expect error code=bad_json
send {"nocmd":1}
expect error code=bad_request field=cmd
send {"cmd":"dance"}
expect error code=unknown_command
send {"cmd":"originate","id":"e1","customer":"4155550100"}
expect error code=bad_request field=customer
send {"cmd":"originate","id":"e1","customer":"+1415"}
expect error code=bad_request field=customer
send {"cmd":"originate","id":"e1","customer":14155550100}
expect error code=bad_request field=customer
send {"cmd":"originate","id":"a b","customer":"+14155550100"}
expect error code=bad_request field=id
send {"cmd":"originate","id":"e1","customer":"+14155550100","agent":"nobody"}
expect error code=bad_request field=agent
send {"cmd":"originate","id":"e1","customer":"+14155550100","agent":"sip:x@h\r\nRoute: <sip:evil>"}
expect error code=bad_request field=agent
send {"cmd":"originate","id":"e1","customer":"+14155550100","mode":"agent_first"}
expect error code=bad_request field=agent
send {"cmd":"originate","id":"e1","customer":"+14155550100","mode":"both"}
expect error code=bad_request field=mode
send {"cmd":"originate","id":"e1","customer":"+14155550100","prompt":"../../etc/passwd"}
expect error code=bad_request field=prompt
send {"cmd":"originate","id":"e1","customer":"+14155550100","customer_ring":-1}
expect error code=bad_request field=customer_ring
send {"cmd":"originate","id":"e1","customer":"+14155550100","record":"yes"}
expect error code=bad_request field=record
send {"cmd":"hangup","id":"nosuch"}
expect error code=not_found
send {"cmd":"offer_agent","id":"nosuch","agent":"sip:a@127.0.0.1"}
expect error code=not_found
send {"cmd":"status","id":"nosuch"}
expect error code=not_found
send {"cmd":"agent_set","agent":"bad id","password":"x"}
expect error code=bad_request field=agent
send {"cmd":"agent_set","agent":"carol","password":"pw","endpoint":"tel:+1"}
expect error code=bad_request field=endpoint
send {"cmd":"agent_set","agent":"carol","password":"pw"}
expect ok cmd=agent_set
send {"cmd":"agent_del","agent":"carol"}
expect ok cmd=agent_del
send {"cmd":"agent_del","agent":"carol"}
expect error code=not_found
send {"cmd":"ping"}
expect pong
long 9000
expect error code=line_too_long
expect_close
S
ctl "$T/errors.txt" "$T/errors.ctl"
# every error line names its code and says why
[ "$(jq -r 'select(.event == "error") | select(.message == null or
	.message == "") | .code' "$T/errors.ctl")" = "" ] ||
	fail "an error without a message"
ok "bad input: one error line each (code, field, message); long line closes"

# a duplicate id is refused while the first call lives
script dup <<'S'
expect ok cmd=auth
send {"cmd":"originate","id":"d1","customer":"+14155550100","customer_ring":5}
expect ok cmd=originate
send {"cmd":"originate","id":"d1","customer":"+14155550100"}
expect error code=duplicate_id
send {"cmd":"hangup","id":"d1"}
expect ok cmd=hangup
expect ended id=d1
S
ctl "$T/dup.txt" "$T/dup.ctl"
ok "a duplicate id: duplicate_id"

stop_beckon
ok "clean shutdown"
