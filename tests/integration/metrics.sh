#!/bin/sh
# GET /metrics (issue 13): the Prometheus text format checked by promtool,
# the token refused and required, metrics_listen, values that move when a
# real callback flows (POST, routed, both legs answered by sipp, bridged,
# hung up), and no customer data in any label.
. "$(dirname "$0")/../lib/common.sh"

command -v promtool >/dev/null || fail "promtool missing: see scripts/deps.sh"
command -v sipp >/dev/null || fail "sipp is not installed"
SIP=$(free_port)
CUST=$(free_port)
AGENT=$(free_port)
CTL=$(free_port)
MPORT=$(free_port)
TOKEN=metrics-secret-1
PHONE=+14155550190

# scrape [URL]: the metrics into $T/m.txt (sets STATUS), checked by promtool
scrape() {
	STATUS=$(curl -s -S -o "$T/m.txt" -D "$T/hdrs" -w '%{http_code}' \
		-H "Authorization: Bearer $TOKEN" "${1:-$URL}/metrics") ||
		fail "curl /metrics"
	[ "$STATUS" = 200 ] || fail "/metrics: $STATUS: $(cat "$T/m.txt")"
	promtool check metrics <"$T/m.txt" >"$T/promtool.out" 2>&1 ||
		fail "promtool: $(cat "$T/promtool.out")"
}

# val 'NAME{LABELS}': the sample's value in the last scrape ("" if none)
val() {
	awk -v k="$1" '$1 == k { print $2 }' "$T/m.txt"
}

expect_val() {
	got=$(val "$1")
	[ "$got" = "$2" ] || fail "$1 is '$got', expected '$2'"
}

start_sipp cust uas_answer "$CUST" 1
start_sipp agent uas_answer "$AGENT" 1
start_beckon metrics --demo --dialer local --sip_listen "127.0.0.1:$SIP" \
	--control_listen "127.0.0.1:$CTL" \
	--prompt_dir "$BECKON_SRC/share/prompts" \
	--trunk_uri "sip:\${e164}@127.0.0.1:$CUST;user=phone" \
	--metrics_token "$TOKEN" --metrics_listen "127.0.0.1:$MPORT"

# ---- the token
req GET /metrics
expect_error 401 missing_token
[ "$(hdr WWW-Authenticate)" = Bearer ] || fail "no WWW-Authenticate"
req GET /metrics -H 'Authorization: Bearer wrong'
expect_error 401 invalid_token
req GET /metrics -H "Authorization: Bearer ${TOKEN}x"
expect_error 401 invalid_token
req POST /metrics -H "Authorization: Bearer $TOKEN"
expect_status 405
scrape
case $(hdr Content-Type) in
"text/plain; version=0.0.4"*) ;;
*) fail "Content-Type: $(hdr Content-Type)" ;;
esac
grep -q "$TOKEN" "$T/metrics.log" && fail "the token is in the log"
ok "/metrics: 401 without the token or with a wrong one, 200 with it"

# ---- metrics_listen: the token there too, and nothing but /metrics
STATUS=$(curl -s -o /dev/null -w '%{http_code}' \
	"http://127.0.0.1:$MPORT/metrics")
[ "$STATUS" = 401 ] || fail "metrics_listen without the token: $STATUS"
STATUS=$(curl -s -o /dev/null -w '%{http_code}' \
	-H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$MPORT/healthz")
[ "$STATUS" = 404 ] || fail "metrics_listen serves /healthz: $STATUS"
scrape "http://127.0.0.1:$MPORT"
ok "metrics_listen: the token required, /metrics only, promtool clean"

# ---- before any callback
expect_val 'beckon_queue_length{business="demo"}' 0
expect_val 'beckon_calls_in_progress{business="demo"}' 0
expect_val 'beckon_agents{state="offline"}' 2
expect_val 'beckon_dialer_up{dialer="local"}' 1
expect_val 'beckon_click_to_connect_seconds_count' 0
# three on http_listen, one on metrics_listen
expect_val 'beckon_http_requests_total{route="/metrics",code="401"}' 4
expect_val 'beckon_http_requests_total{route="/metrics",code="405"}' 1
[ "$(val 'beckon_http_requests_total{route="/healthz",code="200"}')" -ge 1 ] ||
	fail "no /healthz requests counted"
ok "an idle server: empty queue, agents offline, dialer up, requests counted"

# ---- a callback waits: no agent is available
export BECKON_SERVER="$URL" BECKON_TOKEN=demo
"$BECKON" agent set alice --endpoint "sip:alice@127.0.0.1:$AGENT" \
	>/dev/null || fail "agent set"
post_json "{\"business\":\"demo\",\"phone\":\"$PHONE\",
  \"page_url\":\"https://shop.example/p?email=x\",\"name\":\"Dee\"}"
expect_status 202
ID=$(jv .id)
sleep 0.2
scrape
expect_val 'beckon_callbacks{business="demo",status="queued"}' 1
expect_val 'beckon_queue_length{business="demo"}' 1
W=$(val 'beckon_queue_oldest_wait_seconds{business="demo"}')
awk -v w="$W" 'BEGIN { exit !(w >= 0.2 && w < 60) }' ||
	fail "oldest wait $W"
expect_val 'beckon_http_requests_total{route="/v1/callbacks",code="202"}' 1
[ "$(val beckon_store_commit_seconds_count)" -ge 1 ] || fail "no commits"
[ "$(val 'beckon_store_batch_size_bucket{le="+Inf"}')" = \
	"$(val beckon_store_batch_size_count)" ] || fail "+Inf != count"
ok "POST: queued 1 for demo, its wait, the 202 and the store's commits"

# ---- it flows: alice goes available, both legs answer, bridged
"$BECKON" agent state alice available >/dev/null || fail "alice"
wait_status "$ID" connected
scrape
expect_val 'beckon_calls_in_progress{business="demo"}' 1
expect_val 'beckon_callbacks{business="demo",status="connected"}' 1
expect_val 'beckon_queue_length{business="demo"}' 0
expect_val 'beckon_agents{state="on_call"}' 1
expect_val beckon_click_to_invite_seconds_count 1
expect_val beckon_click_to_connect_seconds_count 1
ok "bridged: one call in progress, alice on_call, click-to-INVITE and" \
	"click-to-connect observed once"

# the desk hangs the call up: the call's end is counted by its reason
agent_login alice
req POST "/agent/api/callbacks/$ID/hangup" -H "$C_alice" \
	-H "X-CSRF-Token: $CSRF_alice"
expect_status 200 "hangup"
wait_status "$ID" completed
sipp_wait cust agent
scrape
expect_val 'beckon_calls_in_progress{business="demo"}' 0
[ -z "$(val 'beckon_callbacks{business="demo",status="connected"}')" ] ||
	fail "a closed callback is still counted open"
N=$(awk '/^beckon_leg_outcomes_total\{/ { n += $2 } END { print n + 0 }' \
	"$T/m.txt")
[ "$N" -ge 1 ] || fail "no leg outcome counted"
grep -q '^beckon_leg_outcomes_total{leg="[a-z]*",reason="system_hangup"}' \
	"$T/m.txt" || fail "no system_hangup: $(grep leg_outcomes "$T/m.txt")"
ok "hung up: nothing in progress, the end counted as system_hangup"

# ---- no customer data anywhere in the exposition
for s in "$PHONE" 4155550190 "$ID" shop.example email Dee 127.0.0.1; do
	grep -qF "$s" "$T/m.txt" && fail "'$s' in /metrics"
done
ok "no phone number, callback id, URL, name or address in /metrics"

# ---- a raw client: pipelined requests, and one refused before routing
B=$(val 'beckon_http_requests_total{route="/metrics",code="200"}')
python3 - "$PORT" "$TOKEN" <<'PY' || fail "raw client"
import re, socket, sys
port, tok = int(sys.argv[1]), sys.argv[2]

def exchange(data):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(data)
    buf = b""
    while True:
        d = s.recv(65536)
        if not d:
            return buf
        buf += d

buf = exchange(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
               b"HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
               b"Authorization: Bearer " + tok.encode() + b"\r\n\r\n")
codes = re.findall(rb"(?:^|\n)HTTP/1\.1 (\d{3}) ", buf)
assert codes == [b"401", b"200"], codes
head = buf.split(b"HTTP/1.1 200")[1]
assert b"version=0.0.4" in head.split(b"\r\n\r\n")[0], head
assert head.endswith(b"\r\n\r\n"), "a body after HEAD"
buf = exchange(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: "
               + b"a" * 20000 + b"\r\n\r\n")
assert buf.startswith(b"HTTP/1.1 431"), buf[:40]
PY
scrape
# the scrape before and the raw client's HEAD
expect_val 'beckon_http_requests_total{route="/metrics",code="200"}' \
	$((B + 2))
expect_val 'beckon_http_requests_total{route="none",code="431"}' 1
ok "a raw client: pipelined 401 and HEAD 200, a 431 counted under none"

stop_beckon

# ---- without a token: not on http_listen at all, open on metrics_listen
MPORT=$(free_port)
DB="$T/open.db" start_beckon open --metrics_listen "127.0.0.1:$MPORT"
req GET /metrics
expect_error 404 not_found
STATUS=$(curl -s -o "$T/m.txt" -w '%{http_code}' \
	"http://127.0.0.1:$MPORT/metrics")
[ "$STATUS" = 200 ] || fail "open metrics_listen: $STATUS"
promtool check metrics <"$T/m.txt" >"$T/promtool.out" 2>&1 ||
	fail "promtool: $(cat "$T/promtool.out")"
grep -q '^beckon_dialer_up' "$T/m.txt" && fail "a dialer shown without one"
stop_beckon
ok "no metrics_token: 404 on http_listen, open on metrics_listen"
