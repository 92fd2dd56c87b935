#!/bin/sh
# Webhook endpoints that fail, and names that resolve to private addresses
# (issue 13), with real receivers and a real name server on loopback:
# an endpoint that fails webhook_fail_max attempts in a row is stopped
# and shown failing (API, CLI, supervisor view), nothing more is sent to
# it (an attempt already in flight may add one), and once the admin
# enables it again what waited is delivered, in order; a host name that
# resolves to 127.0.0.1 is refused at delivery time unless
# webhook_allow_private, and delivered through the same name server when
# it is allowed.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/webhook.sh"

SECRET=whsec-test-0123456789
J='Content-Type: application/json'
A='Authorization: Bearer demo'
W=/v1/admin/businesses/demo/webhooks

# wait_for CMD...: until CMD succeeds (bounded: 15 s)
wait_for() {
	i=0
	until "$@"; do
		i=$((i + 1))
		[ $i -le 300 ] || fail "waited in vain for: $*"
		sleep 0.05
	done
}

failing_is() {
	req GET "$W/$WH" -H "$A"
	[ "$(jv .failing)" = "$1" ]
}

# every attempt the receiver answered is counted in the endpoint's failures
settled() {
	req GET "$W/$WH" -H "$A"
	[ "$(jv .failures)" = "$(fails)" ]
}

fails() {
	grep -c '^FAILED$' "$T/down.got" || true
}

# ---- an endpoint that keeps failing: stopped after 3, then enabled
R=$(free_port)
start_receiver down "$R" 1000
start_beckon wh --demo --webhook_allow_private yes --webhook_retry_min 1 \
	--webhook_fail_max 3
req POST "$W" -H "$A" -H "$J" --data \
	"{\"url\":\"http://127.0.0.1:$R/hook\",\"secret\":\"$SECRET\"}"
expect_status 201
WH=$(jv .id)
expect_jv .failing false
expect_jv .failures 0
expect_jv .failing_since null

post_json '{"business":"demo","phone":"+14155550191"}'
expect_status 202
CB1=$(jv .id)
post_json '{"business":"demo","phone":"+14155550192"}'
expect_status 202
CB2=$(jv .id)
wait_for failing_is true
# (two deliveries go out at once: the one in flight at the stop counts,
# once its answer is stored: every attempt the receiver failed is counted)
wait_for settled
expect_jv '.failures >= 3 and .failures <= 4' true
expect_jv '.failing_since | test("^20[0-9-]+T")' true
N=$(jv .failures)
"$BECKON" --server "$URL" --token demo webhook list demo |
	grep -q "^$WH	.*	true	true	$N\$" ||
	fail "CLI: $("$BECKON" --server "$URL" --token demo webhook list demo)"
agent_login bob
req GET /agent/api/supervisor -H "$C_bob"
expect_status 200
expect_jv "[.webhooks_failing[] | .id + \" \" + .host] | join(\",\")" \
	"$WH 127.0.0.1"
ok "three failed attempts in a row: stopped, failing (API, CLI, supervisor)"

# stopped: no attempt once every retry is due, nor for a new event
post_json '{"business":"demo","phone":"+14155550193"}'
expect_status 202
CB3=$(jv .id)
# all_due: every pending delivery was due over a second ago (the
# sender reads the outbox every second)
all_due() {
	req GET "$W/$WH/deliveries" -H "$A"
	[ "$(jv "[.deliveries[] | select(.state == \"pending\") |
		(.next_at // \"1970-01-01T00:00:00Z\") |
		sub(\"\\\\.[0-9]+Z\$\"; \"Z\") | fromdate] | max <
		now - 1.5")" = true ]
}
wait_for all_due
expect_jv '.deliveries | length' 3
[ "$(fails)" = "$N" ] || fail "attempts while stopped: $(fails), not $N"
ok "nothing is sent to a failing endpoint, every retry due, a new event"

# the CRM is back; the admin enables the endpoint: all of it, in order
kill "$PID_down"
wait "$PID_down" 2>/dev/null || true
start_receiver up "$R"
req PATCH "$W/$WH" -H "$A" -H "$J" --data '{"enabled":true}'
expect_status 200
expect_jv .failing false
expect_jv .failures 0
wait_for sh -c "[ \$(grep -vc FAILED '$T/up.got') -ge 3 ]"
req GET /agent/api/supervisor -H "$C_bob"
expect_jv '.webhooks_failing | length' 0
[ "$(got up | cut -d' ' -f2-3)" = "callback.created $CB1
callback.created $CB2
callback.created $CB3" ] || fail "after enabling: $(cat "$T/up.got")"
ok "enabled again: the three waiting events delivered"
stop_beckon

# ---- a name that resolves to a loopback address
DNSP=$(free_port)
python3 "$BECKON_SRC/tests/lib/dns.py" "$DNSP" hook.beckon.test=127.0.0.1 \
	>"$T/dns.out" 2>&1 &
PIDS="$PIDS $!"
wait_udp "$DNSP" "$!"
R2=$(free_port)
start_receiver named "$R2"
DB="$T/private.db" start_beckon private --demo \
	--dns_servers "127.0.0.1:$DNSP" --webhook_retry_min 1
req POST "$W" -H "$A" -H "$J" --data \
	"{\"url\":\"http://hook.beckon.test:$R2/hook\",\"secret\":\"$SECRET\"}"
expect_status 201 "a name is taken (checked when delivering)"
WH=$(jv .id)
post_json '{"business":"demo","phone":"+14155550194"}'
expect_status 202
refused() {
	req GET "$W/$WH/deliveries" -H "$A"
	[ "$(jv '.deliveries[0].attempts')" -ge 1 ]
}
wait_for refused
expect_jv '.deliveries[0].state' pending
expect_jv '.deliveries[0].last_error | test("private address")' true
grep -q "QUERY hook.beckon.test 1" "$T/dns.out" || fail "no query"
[ -z "$(got named)" ] || fail "delivered: $(cat "$T/named.got")"
ok "a name resolving to 127.0.0.1: refused when delivering, nothing sent"
stop_beckon

# the same database and name server, private destinations allowed
DB="$T/private.db" start_beckon private --demo \
	--dns_servers "127.0.0.1:$DNSP" --webhook_allow_private yes
wait_for sh -c "[ -n \"\$(grep -v FAILED '$T/named.got')\" ]"
got named | grep -q "callback.created" || fail "$(cat "$T/named.got")"
ok "with webhook_allow_private the same name is delivered (dns_servers)"
stop_beckon
