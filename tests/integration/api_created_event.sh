#!/bin/sh
# A callback's "created" event is implied by its row (schema migration
# 21: created_status, no event row) and reads exactly as the event row
# older binaries wrote: callbacks taken now (one queued, one scheduled)
# and copies of them as an older binary stored them (created_status
# NULL, a "created" event row with the same time and data), read through
# the public API (GET /v1/callbacks/ID: the public history) and the
# admin search (every event, private ones too), give the same JSON but
# for their ids, numbers and places.
. "$(dirname "$0")/../lib/common.sh"

start_beckon hist --demo
A=+14155550171
S=+14155550173
post_json "{\"business\":\"demo\",\"phone\":\"$A\"}"
expect_status 202
IDA=$(jv .id)
WHEN=$(date -u -d '+2 days' +%Y-%m-%dT%H:%M:%S-05:00)
post_json "{\"business\":\"demo\",\"phone\":\"$S\",\"when\":\"$WHEN\"}"
expect_status 202
expect_jv .status scheduled
IDS=$(jv .id)
[ "$(sqlite3 "$DB" "SELECT count(*) FROM events
	WHERE callback_id IN ('$IDA', '$IDS')")" = 0 ] ||
	fail "event rows for the created events"
stop_beckon
ok "two callbacks taken: their created events are their rows'"

# old ID: the id of ID's copy as an older binary stored it (its last
# character another: the same form)
old() {
	b=${1%?}
	if [ "${1#"$b"}" = 0 ]; then echo "${b}1"; else echo "${b}0"; fi
}
# jc FILTER: the last body through jq -c
jc() {
	printf '%s' "$BODY" | jq -c "$1" || fail "not JSON: $BODY"
}
# copy ID PHONE: ID's row under old's id and PHONE, its created event a
# row of its own
copy() {
	sqlite3 "$DB" "CREATE TEMP TABLE x AS SELECT * FROM callbacks
		WHERE id = '$1';
	UPDATE x SET id = '$(old "$1")', phone = '$2',
		created_status = NULL;
	INSERT INTO events (callback_id, t, type, public, data)
		SELECT x.id, x.created_at, 'created', 1,
		'{\"status\":\"' || c.created_status || '\"}'
		FROM x JOIN callbacks AS c ON c.id = '$1';
	INSERT INTO callbacks SELECT * FROM x;" ||
		fail "copy of $1"
}
copy "$IDA" +14155550172
copy "$IDS" +14155550174

start_beckon hist --demo
# same ID OLD: the public answers, but for id, number and place
same() {
	req GET "/v1/callbacks/$1"
	expect_status 200
	now=$(jc 'del(.id, .phone, .position, .eta_seconds)')
	[ "$(jv '.events[0].type')" = created ] || fail "no created: $BODY"
	req GET "/v1/callbacks/$2"
	expect_status 200
	was=$(jc 'del(.id, .phone, .position, .eta_seconds)')
	[ "$now" = "$was" ] || fail "now $now, before $was"
	echo "$now"
}
same "$IDA" "$(old "$IDA")" >"$T/a.json"
same "$IDS" "$(old "$IDS")" >"$T/s.json"
grep -q '"events":\[{"type":"created","t":"[^"]*","data":{"status":"queued"}}\]' \
	"$T/a.json" || fail "queued history: $(cat "$T/a.json")"
grep -q '"data":{"status":"scheduled"}' "$T/s.json" ||
	fail "scheduled history: $(cat "$T/s.json")"
ok "GET /v1/callbacks/ID: the same history, before and after"

# the admin search: every event, private ones too
req GET "/v1/admin/callbacks/search?limit=100" \
	-H "Authorization: Bearer demo"
expect_status 200
for id in "$IDA" "$IDS"; do
	now=$(jc ".callbacks[] | select(.id == \"$id\") | .events")
	was=$(jc ".callbacks[] | select(.id == \"$(old "$id")\") | .events")
	[ -n "$now" ] && [ "$now" = "$was" ] ||
		fail "search: now $now, before $was"
done
ok "the admin search: the same events, before and after"

stop_beckon
