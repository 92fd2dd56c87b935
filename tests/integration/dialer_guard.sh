#!/bin/sh
# SIP password guessing (dialer_guard.py, a cracker with real digests on
# loopback): bans per address and per (address, user) that grow, the same
# answer for an unknown user, a wrong password and any password during a
# ban, the agent free to register from another address, one log line a
# ban.
. "$(dirname "$0")/../lib/common.sh"
. "$BECKON_SRC/tests/sipp/lib/dialer.sh"

start_dialer guard --sip_auth_fails 3 --sip_auth_fails_ip 10 \
	--sip_ban_time 2 --sip_ban_max 8
wait_udp "$SIP_PORT"

cat >"$T/agent.txt" <<'S'
expect ok cmd=auth
send {"cmd":"agent_set","agent":"alice","password":"alicepw"}
expect ok cmd=agent_set
S
ctl "$T/agent.txt" "$T/agent.ctl"

python3 "$BECKON_SRC/tests/integration/dialer_guard.py" "$SIP_PORT" ||
	fail "the cracker"

# one warning a ban, whatever the attempts during it
bans() {
	grep -c "warn.*failures from $1: banned for $2 s" "$T/guard.log" ||
		true
}
[ "$(bans "127.0.0.1 for user alice" 2)" = 1 ] || fail "first ban log"
[ "$(bans "127.0.0.1 for user alice" 4)" = 1 ] || fail "second ban log"
[ "$(grep -c "warn.*127.0.0.3: the address is banned for 2 s" \
	"$T/guard.log")" = 1 ] || fail "address ban log"
[ "$(bans "127.0.0.4 for user alice" 2)" = 1 ] || fail "INVITE ban log"
[ "$(grep -c "banned for" "$T/guard.log")" = 4 ] || fail "ban log lines"
grep -q "alicepw" "$T/guard.log" && fail "a password in the log"
ok "one warning a ban (4), the second one twice as long; no password"

stop_beckon
