#!/bin/sh
# rtpengine, the media engine between browsers and the dialer, driven
# through beckon's own ng client (beckon-ng, tests/tools/ng.c): the
# dialer's plain RTP/AVP offer turned into a browser's (ICE, DTLS-SRTP,
# rtcp-mux, PCMU and telephone-event only), a browser's answer turned
# back into plain RTP/AVP, delete leaving nothing, ETIMEDOUT after the
# retries when nobody answers; and the rtpengine key of beckon serve.
. "$(dirname "$0")/../lib/common.sh"


# sdp FILE LINE...: an SDP with CRLF line ends
sdp() {
	f=$1
	shift
	printf '%s\r\n' "$@" >"$f"
}

# sdp_of JSON_FILE: the reply's SDP, LF line ends
sdp_of() {
	jq -r .sdp "$1" | tr -d '\r'
}

start_rtpengine rtpe
grep -q "Startup complete" "$T/rtpe.log" || fail "no start-up line"
"$NG" "udp:$RTPE_NG" ping >"$T/ping.json" || fail "ping"
[ "$(jq -r .result "$T/ping.json")" = pong ] || fail "$(cat "$T/ping.json")"
ok "rtpengine runs in userspace on $RTPE_NG and answers beckon's ping"

# the dialer's offer: PCMU, PCMA and events, plain RTP/AVP
sdp "$T/offer.sdp" v=0 "o=beckon 1 1 IN IP4 127.0.0.1" s=beckon \
	"c=IN IP4 127.0.0.1" "t=0 0" "m=audio 20000 RTP/AVP 0 8 101" \
	"a=rtpmap:0 PCMU/8000" "a=rtpmap:8 PCMA/8000" \
	"a=rtpmap:101 telephone-event/8000" "a=fmtp:101 0-15" a=sendrecv
"$NG" "udp:$RTPE_NG" offer call1 dialer1 webrtc "$T/offer.sdp" \
	>"$T/offer.json" || fail "offer: $(cat "$T/offer.json")"
sdp_of "$T/offer.json" >"$T/web.sdp"
grep -Eq '^m=audio [0-9]+ RTP/SAVPF 0 101$' "$T/web.sdp" ||
	fail "not RTP/SAVPF with PCMU and events only: $(cat "$T/web.sdp")"
for a in a=ice-ufrag: a=ice-pwd: "a=fingerprint:sha-256 " a=rtcp-mux \
	a=mid: "a=candidate:.* 127.0.0.1 "; do
	grep -q "^$a" "$T/web.sdp" || fail "no $a in $(cat "$T/web.sdp")"
done
! grep -q '^a=rtpmap:8 \|^a=crypto:' "$T/web.sdp" ||
	fail "PCMA or SDES keys left: $(cat "$T/web.sdp")"
ok "offer: a plain PCMU/PCMA offer becomes a browser's (ICE, DTLS, PCMU)"

# a browser's answer (as Chromium writes one: trickle ICE, so the
# address is 0.0.0.0 and the candidates say where), back to the dialer
# as plain RTP/AVP
half=11:22:33:44:55:66:77:88:99:00:AA:BB:CC:DD:EE:FF
sdp "$T/answer.sdp" v=0 "o=- 46117 2 IN IP4 127.0.0.1" s=- "t=0 0" \
	"m=audio 9 RTP/SAVPF 0 101" "c=IN IP4 0.0.0.0" \
	"a=rtcp:9 IN IP4 0.0.0.0" a=ice-ufrag:abcd \
	a=ice-pwd:abcdefghijklmnopqrstuvwx a=ice-options:trickle \
	"a=fingerprint:sha-256 $half:$half" \
	a=setup:active a=mid:1 a=sendrecv a=rtcp-mux "a=rtpmap:0 PCMU/8000" \
	"a=rtpmap:101 telephone-event/8000" \
	"a=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host"
"$NG" "udp:$RTPE_NG" answer call1 dialer1 browser1 rtp "$T/answer.sdp" \
	>"$T/answer.json" || fail "answer: $(cat "$T/answer.json")"
sdp_of "$T/answer.json" >"$T/rtp.sdp"
grep -Eq '^m=audio [0-9]+ RTP/AVP 0 101$' "$T/rtp.sdp" ||
	fail "not RTP/AVP: $(cat "$T/rtp.sdp")"
grep -q '^c=IN IP4 127.0.0.1' "$T/rtp.sdp" && grep -q '^a=sendrecv' \
	"$T/rtp.sdp" || fail "no address or on hold: $(cat "$T/rtp.sdp")"
! grep -q '^a=ice-\|^a=fingerprint\|^a=rtcp-mux\|^a=candidate' \
	"$T/rtp.sdp" || fail "WebRTC left for the dialer: $(cat "$T/rtp.sdp")"
ok "answer: the browser's answer reaches the dialer as plain RTP/AVP"

"$NG" "udp:$RTPE_NG" query call1 >"$T/query.json" || fail "query"
[ "$(jq -r '.tags | keys | sort | join(" ")' "$T/query.json")" = \
	"browser1 dialer1" ] || fail "query: $(head -c 300 "$T/query.json")"
"$NG" "udp:$RTPE_NG" list >"$T/list.json" || fail "list"
[ "$(jq -c .calls "$T/list.json")" = '["call1"]' ] ||
	fail "list: $(cat "$T/list.json")"
"$NG" "udp:$RTPE_NG" delete call1 dialer1 >"$T/delete.json" ||
	fail "delete: $(cat "$T/delete.json")"
rc=0
"$NG" "udp:$RTPE_NG" query call1 >"$T/query.json" 2>"$T/query.err" || rc=$?
[ "$rc" = 1 ] || fail "query after delete: exit $rc"
[ "$(jq -r '."error-reason"' "$T/query.json")" = "Unknown call-id" ] ||
	fail "query after delete: $(cat "$T/query.json")"
"$NG" "udp:$RTPE_NG" list >"$T/list.json" || fail "list"
[ "$(jq -c .calls "$T/list.json")" = '[]' ] ||
	fail "left after delete: $(cat "$T/list.json")"
ok "query and list show the call; delete ends it (query: Unknown call-id)"

start_beckon webrtc --rtpengine "udp:$RTPE_NG"
stop_beckon
rc=0
"$BECKON" serve --http_listen 127.0.0.1:0 --db "sqlite:$T/r.db" \
	--rtpengine "$RTPE_NG" >"$T/refused.out" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "--rtpengine without udp: accepted"
grep -q "rtpengine: '$RTPE_NG' is not udp:IP:PORT" "$T/refused.out" ||
	fail "refusal: $(cat "$T/refused.out")"
ok "beckon serve --rtpengine udp:IP:PORT starts; anything else is refused"

stop_rtpengine rtpe
t0=$(date +%s%N)
rc=0
"$NG" "udp:$RTPE_NG" ping >"$T/dead.out" 2>&1 || rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$rc" = 2 ] || fail "ping of a stopped rtpengine: exit $rc"
grep -q "after 4 tries" "$T/dead.out" && grep -q "timed out" "$T/dead.out" ||
	fail "no ETIMEDOUT: $(cat "$T/dead.out")"
[ "$ms" -ge 1900 ] || fail "ETIMEDOUT after $ms ms, before the 4 tries"
ok "rtpengine gone: ETIMEDOUT after 4 tries ($ms ms)"
