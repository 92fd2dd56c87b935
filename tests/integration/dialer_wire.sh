#!/bin/sh
# beckon's SIP port on the wire, with raw UDP and TCP requests
# (dialer_wire.py): the Server header; the TCP listening sockets' backlog;
# RFC 4475's invalid requests answered 400/416 before any challenge;
# log lines bounded whatever the Request-URI.
. "$(dirname "$0")/../lib/common.sh"
. "$BECKON_SRC/tests/sipp/lib/dialer.sh"

WIRE="$BECKON_SRC/tests/integration/dialer_wire.py"

# backlog PORT: the backlog of the TCP socket listening on 127.0.0.1:PORT
# (ss shows it as the Send-Q of a listening socket)
backlog() {
	ss -Hltn "sport = :$1" | awk '{ print $3 }'
}

# expect_backlog N: HTTP and SIP listen with a backlog of N (at most
# net.core.somaxconn, the kernel's cap)
expect_backlog() {
	max=$(cat /proc/sys/net/core/somaxconn)
	[ "$1" -le "$max" ] || set -- "$max"
	[ "$(backlog "$PORT")" = "$1" ] ||
		fail "HTTP backlog $(backlog "$PORT"), expected $1"
	[ "$(backlog "$SIP_PORT")" = "$1" ] ||
		fail "SIP backlog $(backlog "$SIP_PORT"), expected $1"
}

start_dialer wire --log_level debug
wait_udp "$SIP_PORT"
python3 "$WIRE" "$SIP_PORT" invalid || fail "invalid requests"
ok "RFC 4475 invalid requests: 400, 416 (UDP, TCP); bad ACK unanswered"

python3 "$WIRE" "$SIP_PORT" longuri || fail "long Request-URI"
grep -q "INVITE from .* to sip:?\[31muuu.*\.\.\.: not authenticated" \
	"$T/wire.log" || fail "the INVITE is not logged"
[ "$(awk '{ if (length($0) > n) n = length($0) } END { print n }' \
	"$T/wire.log")" -lt 300 ] || fail "a log line of 300 bytes or more"
grep -q "$(printf '\033')" "$T/wire.log" && fail "an escape in the log"
ok "a 3,000-byte Request-URI: logged cut, without its escape"

python3 "$WIRE" "$SIP_PORT" server beckon || fail "default Server"
ok "Server: beckon, without the version (UDP and TCP)"
expect_backlog 1024
ok "HTTP and SIP listen with a backlog of 1024 (libre's is 5)"
stop_beckon

start_dialer wire2 --sip_user_agent "Acme PBX 1" --listen_backlog 200
wait_udp "$SIP_PORT"
expect_backlog 200
ok "listen_backlog 200: HTTP and SIP"
python3 "$WIRE" "$SIP_PORT" server "Acme PBX 1" || fail "configured Server"
stop_beckon
if "$BECKON" serve --dialer local --sip_listen 127.0.0.1:0 \
	--http_listen 127.0.0.1:0 --db "sqlite:$T/bad.db" \
	--sip_user_agent "$(printf 'x\001y')" >"$T/bad.out" 2>&1; then
	fail "a control character in sip_user_agent was accepted"
fi
grep -q "sip_user_agent" "$T/bad.out" || fail "the error names no key"
ok "sip_user_agent sets it; a control character stops the start-up"
