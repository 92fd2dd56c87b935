#!/bin/sh
# Webhook deliveries to real HTTP receivers on loopback (issue 13): every
# event of a callback arrives signed, in order, with an id of its own; a
# receiver that fails and then recovers gets them all, in order, after
# retries; and a server killed with kill -9 while deliveries wait sends
# them after its restart (none lost; a duplicate only with the same id).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/webhook.sh"

SECRET=whsec-test-0123456789
J='Content-Type: application/json'
A='Authorization: Bearer demo'
W=/v1/admin/businesses/demo/webhooks

# wait_got NAME N: until it has accepted N deliveries (bounded)
wait_got() {
	i=0
	while [ "$(got "$1" | wc -l)" -lt "$2" ]; do
		i=$((i + 1))
		[ $i -le 300 ] || fail "$1 got $(got "$1" | wc -l) of $2:" \
			"$(cat "$T/$1.got")"
		sleep 0.05
	done
}

# a callback created, then canceled: two events
callback_and_cancel() {
	post_json "{\"business\":\"demo\",\"phone\":\"$1\"}"
	expect_status 202
	CB=$(jv .id)
	TOK=$(jv .cancel_token)
	req DELETE "/v1/callbacks/$CB" -H "Authorization: Bearer $TOK"
	expect_status 200 "cancel"
}

add_webhook() {
	req POST "$W" -H "$A" -H "$J" --data \
		"{\"url\":\"http://127.0.0.1:$1/hook\",\"secret\":\"$SECRET\"}"
	expect_status 201
}

R1=$(free_port)
R2=$(free_port)
start_receiver ok "$R1"
start_receiver flaky "$R2" 2
start_beckon wh --demo --webhook_allow_private yes --webhook_retry_min 1
add_webhook "$R1"
WH_OK=$(jv .id)
add_webhook "$R2"

# ---- every event, signed, in order, once
callback_and_cancel +14155550160
CB1=$CB
wait_got ok 2
[ "$(got ok | cut -d' ' -f2-)" = "callback.created $CB1 queued
callback.canceled $CB1 canceled" ] || fail "ok got: $(cat "$T/ok.got")"
grep -q BADSIG "$T/ok.got" && fail "a bad signature"
[ "$(got ok | cut -d' ' -f1 | sort -u | wc -l)" = 2 ] || fail "ids"
ok "created then canceled: both events, signed, in order, ids distinct"

# ---- the flaky receiver: two 500s, then everything, in order
wait_got flaky 2
[ "$(grep -c FAILED "$T/flaky.got")" = 2 ] || fail "no failures seen"
[ "$(got flaky | cut -d' ' -f2-)" = "callback.created $CB1 queued
callback.canceled $CB1 canceled" ] || fail "flaky got: $(cat "$T/flaky.got")"
[ "$(got flaky | cut -d' ' -f1)" = "$(got ok | cut -d' ' -f1)" ] ||
	fail "not the same event ids at both endpoints"
[ "$(sqlite3 "$DB" "SELECT max(attempts) FROM webhook_outbox
	WHERE state = 'delivered'")" = 3 ] || fail "attempts: $(sqlite3 "$DB" \
	'SELECT webhook_id, type, state, attempts FROM webhook_outbox')"
ok "a receiver that fails twice gets both events after retries, in order"

# ---- kill -9 while deliveries wait
kill -KILL "$PID_ok"
wait "$PID_ok" 2>/dev/null || true
callback_and_cancel +14155550161
CB2=$CB
wait_got flaky 4
kill -KILL "$PID"
wait "$PID" 2>/dev/null || true
# (the flaky receiver's last result may not be stored yet: a duplicate,
# with the same id, after the restart)
[ "$(sqlite3 "$DB" "SELECT count(*) FROM webhook_outbox
	WHERE callback_id = '$CB2' AND webhook_id = '$WH_OK'
	AND state = 'pending'")" = 2 ] || fail "not pending before the restart"
start_receiver ok "$R1"
DB="$DB" start_beckon wh --demo --webhook_allow_private yes \
	--webhook_retry_min 1 --webhook_timeout 60 --metrics_token mt
wait_got ok 2
[ "$(got ok | cut -d' ' -f2-)" = "callback.created $CB2 queued
callback.canceled $CB2 canceled" ] || fail "after restart: $(cat "$T/ok.got")"
# (the flaky receiver's duplicate may still be on its way: bounded)
i=0
until [ "$(sqlite3 "$DB" "SELECT count(*) FROM webhook_outbox
	WHERE state != 'delivered'")" = 0 ]; do
	i=$((i + 1))
	[ $i -le 100 ] || fail "left undelivered"
	sleep 0.05
done
ok "kill -9 with two events waiting: delivered after the restart, in order"

# ---- deliveries shown, and one sent again (same id)
export BECKON_SERVER="$URL" BECKON_TOKEN=demo
req GET "$W/$WH_OK/deliveries" -H "$A"
expect_status 200
expect_jv '.deliveries | length' 4
expect_jv '[.deliveries[].state] | unique | join(" ")' delivered
expect_jv '.deliveries[0].type' callback.canceled
expect_jv '.deliveries[0].callback_id' "$CB2"
# the first of CB2 failed while its receiver was down; the second was
# not tried before it (in order)
[ "$(jv '.deliveries[1].attempts')" -ge 2 ] || fail "attempts after kill"
expect_jv '.deliveries[0].attempts' 1
SEQ=$(jv '.deliveries[-1].seq')
EVT=$(jv '.deliveries[-1].event_id')
"$BECKON" webhook deliveries demo "$WH_OK" | grep -q "^$SEQ	$EVT	" ||
	fail "beckon webhook deliveries: $("$BECKON" webhook deliveries demo \
	"$WH_OK")"
"$BECKON" webhook replay demo "$WH_OK" "$SEQ" >/dev/null || fail "replay"
wait_got ok 3
[ "$(got ok | tail -n 1 | cut -d' ' -f1-3)" = "$EVT callback.created $CB1" ] ||
	fail "replayed: $(cat "$T/ok.got")"
req POST "$W/$WH_OK/deliveries/999999/replay" -H "$A"
expect_error 404 not_found
req GET "$W/$WH_OK/deliveries/1/replay" -H "$A"
expect_status 405
ok "deliveries listed (API, CLI); a replay sends the same event again"

# ---- an endpoint that never answers holds one slot, not the others
R3=$(free_port)
start_receiver hang "$R3" hang
add_webhook "$R3"
callback_and_cancel +14155550162
CB3=$CB
wait_got ok 5
[ "$(got ok | tail -n 2 | cut -d' ' -f2-)" = "callback.created $CB3 queued
callback.canceled $CB3 canceled" ] || fail "ok got: $(cat "$T/ok.got")"
grep -q HUNG "$T/hang.got" || fail "the hanging receiver was not called"
ok "a receiver that hangs (timeout 60 s) delays no other endpoint"

# ---- the metrics count the attempts since the restart
req GET /metrics -H 'Authorization: Bearer mt'
expect_status 200
D=$(printf '%s\n' "$BODY" | awk \
	'$1 == "beckon_webhook_deliveries_total{result=\"delivered\"}" {
	print $2 }')
[ "${D:-0}" -ge 7 ] || fail "delivered attempts counted: '$D'"
ok "beckon_webhook_deliveries_total counts the deliveries ($D)"
stop_beckon
