#!/bin/sh
# The log as a system administrator reads it: one line per fact, no
# terminal escapes in a file, libre's messages among beckon's own (and
# its harmless ones out of sight at info), no warning about a setting
# nobody made, records of the configuration named, and with --log_format
# json one JSON object a line with time, level, subsys and msg.
. "$(dirname "$0")/../lib/common.sh"

SIP_PORT=$(free_port)
# the demo runs its dialer only with a trunk (nothing listens there)
TRUNK_PORT=$(free_port)
DB="$T/log.db"

# json_lines FILE: every line one object with exactly these five fields
json_lines() {
	python3 - "$1" "${URL##*:}" <<'PY' || fail "not one JSON object a line: $1"
import json, sys
n = 0
for line in open(sys.argv[1], encoding="utf-8"):
    d = json.loads(line)
    assert set(d) == {"time", "level", "subsys", "node", "msg"}, d
    assert d["node"].endswith(":%s" % sys.argv[2]), d
    assert d["level"] in ("error", "warn", "info", "debug"), d
    assert d["time"].endswith("Z") and "T" in d["time"], d
    n += 1
assert n >= 5, n
PY
}

# sip_junk: what a SIP port meets that is not a fault: a response no
# transaction waits for, a NAT keep-alive
sip_junk() {
	python3 - "$SIP_PORT" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
dst = ("127.0.0.1", int(sys.argv[1]))
s.sendto(b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKx\r\n"
         b"From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: 1\r\n"
         b"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n", dst)
s.sendto(b"\r\n\r\n", dst)
PY
}

# a first start, in JSON, on a fresh database
start_beckon json --demo --dialer local --sip_listen "127.0.0.1:$SIP_PORT" \
	--trunk_proxy "sip:127.0.0.1:$TRUNK_PORT" --log_format json
sip_junk
req GET /healthz
stop_beckon
json_lines "$T/json.log"
grep -q '"subsys":"app","node":"[^"]*","msg":"ready"' "$T/json.log" || fail "no ready line"
ok "--log_format json: one object a line (time, level, subsys, node, msg)"

# the same database again, in text, with libre's messages in sight
start_beckon text --demo --dialer local --sip_listen "127.0.0.1:$SIP_PORT" \
	--trunk_proxy "sip:127.0.0.1:$TRUNK_PORT" --log_level debug
sip_junk
req GET /healthz
# the stray response reaches the log (at debug) before the stop
i=0
until grep -q "^libre: debug: .*unhandeled response" "$T/text.log"; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "libre's message did not reach the log"
	sleep 0.05
done
stop_beckon
! grep -q "$(printf '\033')" "$T/text.log" ||
	fail "a terminal escape in the log file"
! grep -v '^[a-z]*: \(error\|warn\|info\|debug\): ' "$T/text.log" ||
	fail "a line that is not 'subsystem: level: message'"
ok "text: every line 'subsystem: level: ...', libre's too, no escapes"

for r in "business demo" "agent alice" "agent bob"; do
	grep -q "^app: info: $r exists already" "$T/text.log" ||
		fail "restart: '$r' not named"
done
! grep -q "a record of the configuration" "$T/text.log" ||
	fail "restart: an unnamed record"
! grep -q "warn: control_listen" "$T/text.log" ||
	fail "a warning about control_listen, which nobody set"
ok "a restart names each record it leaves alone; no control_listen warning"

# at info, the stray response and the keep-alive are not in sight
start_beckon quiet --dialer local --sip_listen "127.0.0.1:$SIP_PORT"
sip_junk
req GET /healthz
stop_beckon
! grep -q "^libre:" "$T/quiet.log" || fail "benign libre message at info"
ok "at info: a stray SIP response and a keep-alive log nothing"

# whoever sets control_listen without a secret is told
CTL_PORT=$(free_port)
start_beckon ctl --dialer local --sip_listen "127.0.0.1:$SIP_PORT" \
	--control_listen "127.0.0.1:$CTL_PORT"
stop_beckon
grep -q "^dialer: warn: control_listen is set but control_secret is empty" \
	"$T/ctl.log" || fail "control_listen set: no warning"
ok "control_listen set without control_secret: a warning"
