#!/bin/sh
# SIGHUP re-reads the configuration (issue 13, "reload on SIGHUP"): a
# real server, its file edited, kill -HUP. It keeps running; the keys
# that can change while running are applied (webhook_allow_private: the
# admin API then takes a loopback endpoint and the sender delivers to
# it; log_level), the others are named as needing a restart, values
# never logged; changed sections are named; a bad file is refused and
# the running configuration kept.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/webhook.sh"

SECRET=whsec-test-0123456789
J='Content-Type: application/json'
A='Authorization: Bearer demo'
W=/v1/admin/businesses/demo/webhooks
CONF="$T/beckon.conf"

# hup N: SIGHUP, then wait for the Nth "reload: done" or "refused"
hup() {
	kill -HUP "$PID"
	i=0
	until [ "$(grep -c 'reload: \(done\|the configuration was refused\)' \
	    "$T/hup.log")" -ge "$1" ]; do
		i=$((i + 1))
		[ $i -le 200 ] || fail "no reload $1 in the log"
		kill -0 "$PID" 2>/dev/null || fail "beckon died of SIGHUP"
		sleep 0.05
	done
	kill -0 "$PID" 2>/dev/null || fail "beckon died of SIGHUP"
	curl -sf -o /dev/null "$URL/healthz" || fail "not answering"
}

cat >"$CONF" <<CNF
log_level info
metrics_token metrics-secret-one
CNF
start_beckon hup --demo -f "$CONF" --webhook_retry_min 1

# ---- the same file: nothing changes, it keeps running
hup 1
grep -q "reload: .* changed" "$T/hup.log" && fail "a change reported"
ok "SIGHUP with the same file: still running, nothing reported changed"

# ---- before: a loopback endpoint is refused
R=$(free_port)
start_receiver crm "$R"
HOOK="{\"url\":\"http://127.0.0.1:$R/hook\",\"secret\":\"$SECRET\"}"
req POST "$W" -H "$A" -H "$J" --data "$HOOK"
expect_status 400 "loopback refused before the reload"

cat >"$CONF" <<CNF
log_level debug
metrics_token metrics-secret-two
webhook_allow_private yes
reoffer_after 30
[agent carol]
businesses demo
CNF
hup 2
grep -q "reload: webhook_allow_private changed: applied" "$T/hup.log" ||
	fail "allow_private not applied"
grep -q "reload: log_level changed: applied" "$T/hup.log" ||
	fail "log_level not applied"
grep -q "reload: metrics_token changed: needs a restart" "$T/hup.log" ||
	fail "metrics_token not named"
grep -q "reload: reoffer_after changed: needs a restart" "$T/hup.log" ||
	fail "reoffer_after not named"
grep -q "reload: the \[business\], \[agent\] or \[rule\] sections changed" \
	"$T/hup.log" || fail "sections not named"
grep -q "metrics-secret" "$T/hup.log" && fail "a token in the log"
ok "changed keys named: live ones applied, the others need a restart"

req POST "$W" -H "$A" -H "$J" --data "$HOOK"
expect_status 201 "loopback allowed after the reload"
post_json '{"business":"demo","phone":"+14155550180"}'
expect_status 202
CB=$(jv .id)
i=0
until got crm | grep -q "callback.created $CB"; do
	i=$((i + 1))
	[ $i -le 300 ] || fail "not delivered: $(cat "$T/crm.got")"
	sleep 0.05
done
# the running metrics_token is still the first one
curl -s -o /dev/null -w '%{http_code}' "$URL/metrics" \
	-H "Authorization: Bearer metrics-secret-one" | grep -qx 200 ||
	fail "the running metrics_token changed"
grep -q "webhook: debug: .* delivered (200)" "$T/hup.log" ||
	fail "log_level debug not in force"
ok "applied: the API takes the endpoint, the sender delivers, debug logs"

# ---- a bad file: refused, the running configuration kept
printf 'log_level info\nno_such_key 1\n' >"$CONF"
hup 3
grep -q "reload: the configuration was refused" "$T/hup.log" ||
	fail "not refused"
req POST "$W" -H "$A" -H "$J" --data "$HOOK"
expect_status 201 "still allowed after a refused reload"
N=$(grep -c "webhook: debug:" "$T/hup.log")
post_json '{"business":"demo","phone":"+14155550181"}'
expect_status 202
i=0
until [ "$(grep -c "webhook: debug:" "$T/hup.log")" -gt "$N" ]; do
	i=$((i + 1))
	[ $i -le 300 ] || fail "log_level debug lost after a refused file"
	sleep 0.05
done
ok "a bad file: refused, still running with the configuration it had"
stop_beckon
