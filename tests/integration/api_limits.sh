#!/bin/sh
# The limits that stop call bombing, against a real server: per client IP
# per minute, per phone per 15 minutes (duplicates count too), per-business
# overrides, the Retry-After they answer, and that they survive a restart.
. "$(dirname "$0")/../lib/common.sh"

cat >"$T/limits.conf" <<CONF
limit_ip_minute 4
[business tight]
name Tight
timezone Europe/Paris
country 33
limit_phone_15min 2
limit_ip_minute 100
CONF

start_beckon limits --demo -f "$T/limits.conf"

# ---- per IP: 4 a minute for demo (from the file), the 5th is refused
for n in 01 02 03 04; do
	post_json "{\"business\":\"demo\",\"phone\":\"+141555502$n\"}"
	expect_status 202 "request $n"
done
post_json '{"business":"demo","phone":"+14155550205"}'
expect_error 429 rate_limited
RA=$(hdr Retry-After)
[ "$RA" -ge 1 ] && [ "$RA" -le 60 ] || fail "Retry-After '$RA'"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM callbacks WHERE phone='+14155550205'")" \
	= 0 ] || fail "a limited request was stored"
ok "per IP: the 5th request in a minute is 429 with Retry-After <= 60"

# ---- per phone, with a per-business override: 2 per 15 minutes
post_json '{"business":"tight","phone":"01 23 45 67 89"}'
expect_status 202
TOK=$(jv .cancel_token)
TID=$(jv .id)
post_json '{"business":"tight","phone":"+33 1 23 45 67 89"}'
expect_status 202 "duplicate counts"
expect_jv .existing false
post_json '{"business":"tight","phone":"+33123456789"}'
expect_error 429 rate_limited
RA=$(hdr Retry-After)
[ "$RA" -gt 60 ] && [ "$RA" -le 900 ] || fail "phone Retry-After '$RA'"
ok "per phone: duplicates count, the 3rd in 15 minutes is 429 (Retry-After $RA s)"

# canceling does not give the attacker a fresh allowance
req DELETE "/v1/callbacks/$TID" -H "Authorization: Bearer $TOK"
expect_status 200
post_json '{"business":"tight","phone":"+33123456789"}'
expect_error 429 rate_limited
ok "a canceled request still counts"

# ---- the limits survive a restart (rebuilt from the intake log)
stop_beckon
start_beckon limits --demo -f "$T/limits.conf"
post_json '{"business":"tight","phone":"+33123456789"}'
expect_error 429 rate_limited
post_json '{"business":"demo","phone":"+14155550206"}'
expect_error 429 rate_limited
ok "after a restart the same requests are still refused"

# other phones of the tight business are not affected
post_json '{"business":"tight","phone":"+33987654321"}'
expect_status 202
ok "other numbers are not affected"
stop_beckon

# ---- defaults: 5 per phone per 15 minutes, 10 per IP per minute
DB="$T/defaults.db"
start_beckon defaults --demo
for n in 1 2 3 4 5; do
	post_json '{"business":"demo","phone":"+14155550300"}'
	[ "$STATUS" = 202 ] || [ "$STATUS" = 200 ] || fail "default $n: $STATUS"
done
post_json '{"business":"demo","phone":"+14155550300"}'
expect_error 429 rate_limited
# refused requests do not count: 5 counted so far, 5 more are allowed
for n in 01 02 03 04 05; do
	post_json "{\"business\":\"demo\",\"phone\":\"+141555503$n\"}"
	expect_status 202 "ip $n"
done
post_json '{"business":"demo","phone":"+14155550399"}'
expect_error 429 rate_limited
ok "defaults: 6th request for a phone in 15 min and 11th from an IP in a minute are 429"
stop_beckon

# ---- limits off (0): nothing is counted, so one turned on later (admin
# PUT, in force at once) counts from then, not the requests made before
DB="$T/off.db"
cat >"$T/off.conf" <<CONF
limit_ip_minute 0
limit_phone_15min 0
limit_phone_day 0
CONF
start_beckon off --demo -f "$T/off.conf"
for n in 1 2 3; do
	post_json "{\"business\":\"demo\",\"phone\":\"+1415555040$n\"}"
	expect_status 202 "limits off, request $n"
done
req PUT /v1/admin/businesses/demo -H "Authorization: Bearer demo" \
	-H 'Content-Type: application/json' \
	--data-binary '{"limit_ip_minute":2}'
expect_status 200 "turning the address limit on"
for n in 4 5; do
	post_json "{\"business\":\"demo\",\"phone\":\"+1415555040$n\"}"
	expect_status 202 "address limit on, request $n"
done
post_json '{"business":"demo","phone":"+14155550406"}'
expect_error 429 rate_limited
ok "limits off count nothing: a limit turned on counts from then"
stop_beckon
