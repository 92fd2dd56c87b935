#!/bin/sh
# What knowing someone's number gets a stranger (issue 14): a second
# request for a number already waiting is a request of its own, answered
# as a first request would be; it can neither read nor cancel the first
# one, its cancel withdraws only itself, an Idempotency-Key replay answers
# for the request it first answered, and the call goes on until the last
# request for it is withdrawn. And that the time of a refused log-in
# does not tell which logins exist.
. "$(dirname "$0")/../lib/common.sh"

printf 'limit_ip_minute 1000\n' >"$T/privacy.conf"
start_beckon privacy --demo -f "$T/privacy.conf"
J='Content-Type: application/json'
N='+14155550140'
FIRST="{\"business\":\"demo\",\"phone\":\"$N\",\"page_url\":\"https://shop.example/p\"}"
OTHER='{"business":"demo","phone":"(415) 555-0140"}'

# body without the token, for comparing answers
untokened() { printf '%s' "$1" | jq -cS 'del(.cancel_token)'; }

# ---- the first request, then a stranger's for the same number
post_json "$FIRST" -H 'Idempotency-Key: first-1'
expect_status 202 "first"
A=$(jv .id)
TA=$(jv .cancel_token)
A_BODY=$BODY
KEYS=$(jv 'keys | join(" ")')

post_json "$OTHER" -H 'Idempotency-Key: other-1'
expect_status 202 "the stranger's request"
S=$(jv .id)
TS=$(jv .cancel_token)
S_BODY=$BODY
[ "$(jv 'keys | join(" ")')" = "$KEYS" ] || fail "not a first answer's shape"
[ "$S" != "$A" ] || fail "the stranger was told the first request's id"
printf '%s' "$BODY" | grep -q "$A" && fail "the first id leaked"
expect_jv .status queued
expect_jv .status_url "/v1/callbacks/$S"
expect_jv .existing false
SP=$(jv .position)
[ "$SP" = 2 ] || fail "position $SP: not after the queued first request"
# a first request for a new number at this moment gets the same place
post_json '{"business":"demo","phone":"+14155550141"}'
expect_status 202
expect_jv .position "$SP"
ok "a stranger's duplicate gets a 202 of its own, shaped and placed as a first request's"

# ---- it can neither cancel nor read the first request
req DELETE "/v1/callbacks/$A" -H "Authorization: Bearer $TS"
expect_error 401 invalid_token
req GET "/v1/callbacks/$S"
expect_status 200
expect_jv .id "$S"
expect_jv .status queued
expect_jv .created_at "$(printf '%s' "$S_BODY" | jq -r .created_at)"
expect_jv .position "$SP"
expect_jv '.events | length' 1
expect_jv '.events[0].type' created
expect_jv '.events[0].t' "$(printf '%s' "$S_BODY" | jq -r .created_at)"
printf '%s' "$BODY" | grep -q "$A" && fail "the first id leaked in GET"
req GET "/v1/callbacks/$A"
expect_jv .status queued
ok "its token cannot cancel the first; GET of its id shows only its own request"

# ---- a scheduled first request: a stranger's "now" learns nothing of it
M='+14155550142'
WHEN=$(date -u -d '+2 days' +%Y-%m-%dT15:00:00Z)
post_json "{\"business\":\"demo\",\"phone\":\"$M\",\"when\":\"$WHEN\"}"
expect_status 202
expect_jv .status scheduled
post_json "{\"business\":\"demo\",\"phone\":\"$M\"}"
expect_status 202 "now, for a scheduled number"
expect_jv .status queued
expect_jv .scheduled_for null
MS=$(jv .id)
req GET "/v1/callbacks/$MS"
expect_jv .status queued
expect_jv .scheduled_for null
ok "a duplicate never sees the first request's scheduled time"

# ---- the stranger's cancel withdraws only its own request
req DELETE "/v1/callbacks/$S" -H "Authorization: Bearer $TS"
expect_status 200 "the stranger withdraws"
expect_jv .id "$S"
expect_jv .status canceled
expect_jv '.events[-1].type' canceled
req GET "/v1/callbacks/$A"
expect_jv .status queued
expect_jv '.events | length' 1
[ "$(sqlite3 "$DB" "SELECT status FROM callbacks WHERE id='$A'")" = queued ] ||
	fail "the call was canceled"
ok "the stranger's cancel withdraws its request only; the first still waits"

# ---- replays answer for the request the key first answered
post_json "$FIRST" -H 'Idempotency-Key: first-1'
expect_status 202 "replay"
expect_jv .id "$A"
TA2=$(jv .cancel_token)
[ "$TA2" != "$TA" ] || fail "a replay got the same token"
[ "$(untokened "$BODY")" = "$(untokened "$A_BODY")" ] ||
	fail "a replay's answer differs from the first"
post_json "$OTHER" -H 'Idempotency-Key: other-1'
expect_status 202 "the stranger's replay"
expect_jv .id "$S"
[ "$(untokened "$BODY")" = "$(untokened "$S_BODY")" ] ||
	fail "the stranger's replay differs from its first answer"
ok "an Idempotency-Key replay returns the first answer with a fresh token"

# ---- the creator withdraws while another request waits: the call goes
# on for it, until that one withdraws too
post_json "{\"business\":\"demo\",\"phone\":\"$N\"}"
expect_status 202
K=$(jv .id)
TK=$(jv .cancel_token)
req DELETE "/v1/callbacks/$A" -H "Authorization: Bearer $TA2"
expect_status 200 "the creator withdraws (with the replay's token)"
expect_jv .status canceled
req GET "/v1/callbacks/$A"
expect_jv .status canceled
expect_jv '.events[-1].type' canceled
req GET "/v1/callbacks/$K"
expect_jv .status queued
[ "$(sqlite3 "$DB" "SELECT status FROM callbacks WHERE id='$A'")" = queued ] ||
	fail "the creator's cancel called off the call of a waiting request"
req POST /agent/api/login -H "$J" --data '{"login":"bob","password":"demo"}'
expect_status 200
CB="Cookie: beckon_session=$(hdr Set-Cookie | sed 's/^beckon_session=\([^;]*\);.*/\1/')"
req GET /agent/api/supervisor -H "$CB"
expect_jv '[.queue[].id] | index("'"$A"'") != null' true
req DELETE "/v1/callbacks/$A" -H "Authorization: Bearer $TA"
expect_error 409 not_cancelable
req DELETE "/v1/callbacks/$K" -H "Authorization: Bearer $TK"
expect_status 200 "the last request withdraws"
expect_jv .status canceled
[ "$(sqlite3 "$DB" "SELECT status FROM callbacks WHERE id='$A'")" = canceled ] ||
	fail "the call goes on for nobody"
req GET /agent/api/supervisor -H "$CB"
expect_jv '[.queue[].id] | index("'"$A"'") != null' false
ok "the creator's cancel leaves the call to a waiting request; the last withdrawal cancels it"

# ---- a 401 for an unknown login takes as long as one for a wrong
# password (each the fastest of three; a wide margin, the machine is
# shared): its time must not tell which logins exist
login_s() {
	curl -s -o /dev/null -w '%{time_total}' -H "$J" \
		--data "{\"login\":\"$1\",\"password\":\"nope\"}" \
		"$URL/agent/api/login"
}
KNOWN=9
UNKNOWN=9
for n in 1 2 3; do
	KNOWN=$(printf '%s\n%s\n' "$KNOWN" "$(login_s alice)" | sort -g | head -1)
	UNKNOWN=$(printf '%s\n%s\n' "$UNKNOWN" "$(login_s "nobody$n")" |
		sort -g | head -1)
done
awk -v k="$KNOWN" -v u="$UNKNOWN" 'BEGIN { exit !(k > 0 && k < 9 &&
	u * 3 >= k) }' ||
	fail "unknown login refused in ${UNKNOWN}s, a wrong password in ${KNOWN}s"
ok "an unknown login is refused as slowly as a wrong password (${UNKNOWN}s, ${KNOWN}s)"

stop_beckon
