#!/bin/sh
# beckon's SIP port on the wire, with raw UDP and TCP requests
# (dialer_wire.py): the Server header.
. "$(dirname "$0")/../lib/common.sh"
. "$BECKON_SRC/tests/sipp/lib/dialer.sh"

WIRE="$BECKON_SRC/tests/integration/dialer_wire.py"

start_dialer wire
wait_udp "$SIP_PORT"
python3 "$WIRE" "$SIP_PORT" server beckon || fail "default Server"
ok "Server: beckon, without the version (UDP and TCP)"
stop_beckon

start_dialer wire2 --sip_user_agent "Acme PBX 1"
wait_udp "$SIP_PORT"
python3 "$WIRE" "$SIP_PORT" server "Acme PBX 1" || fail "configured Server"
stop_beckon
if "$BECKON" serve --dialer local --sip_listen 127.0.0.1:0 \
	--http_listen 127.0.0.1:0 --db "sqlite:$T/bad.db" \
	--sip_user_agent "$(printf 'x\001y')" >"$T/bad.out" 2>&1; then
	fail "a control character in sip_user_agent was accepted"
fi
grep -q "sip_user_agent" "$T/bad.out" || fail "the error names no key"
ok "sip_user_agent sets it; a control character stops the start-up"
