#!/bin/sh
# rtpengine, the media engine between browsers and the dialer: the one the
# tests start (common.sh's start_rtpengine) runs in userspace on loopback
# and answers its ng control port.
. "$(dirname "$0")/../lib/common.sh"

start_rtpengine rtpe
ng_ping 127.0.0.1 "${RTPE_NG#*:}" || fail "no pong from $RTPE_NG"
grep -q "Startup complete" "$T/rtpe.log" || fail "no start-up line"
ok "rtpengine runs in userspace on $RTPE_NG and answers ping"

stop_rtpengine rtpe
! ng_ping 127.0.0.1 "${RTPE_NG#*:}" || fail "pong after stop"
ok "stop_rtpengine ends it cleanly"
