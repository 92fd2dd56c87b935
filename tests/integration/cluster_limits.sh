#!/bin/sh
# The per-phone limits hold across nodes (issue 12): two `beckon serve`
# nodes on one PostgreSQL (start_postgres), limit_phone_15min 3. Each
# node counts its own requests in memory, so before the limits were
# counted in the create's transaction a number got 3 requests on each
# node; now, whichever node is asked:
#   - requests for one number alternated between the nodes: the 4th is
#     refused 429 rate_limited (the answer and Retry-After of a node's
#     own limit) by the node whose memory had room, and stays refused on
#     both; nothing of a refused request is written;
#   - 8 requests for another number at once, 4 to each node: exactly 3
#     are answered 202 (the count waits for the number's lock).
. "$(dirname "$0")/../lib/common.sh"

start_postgres pg
pg_createdb beckon_l

# node N: a serve node on the shared database; sets UN, PN
node() {
	DB="$T/unused$1.db"
	start_beckon "n$1" --demo --db "$PGDB" --node_id "n$1" \
		--limit_phone_15min 3 --limit_ip_minute 0
	eval "U$1=\$URL P$1=\$PID"
}

# at N: the next requests go to node N
at() {
	eval "URL=\$U$1"
}

# requests PHONE: what the store holds for the number (callbacks and
# the requests joined to them)
requests() {
	psql_q "SELECT (SELECT count(*) FROM callbacks WHERE phone = '$1')
		+ (SELECT count(*) FROM joined_requests AS j
		JOIN callbacks AS c ON c.id = j.callback_id
		WHERE c.phone = '$1')"
}

node 1
node 2

# ---- alternated: 1, 2, 1 are answered; 2 and 1 then refuse
A=+14155550161
for n in 1 2 1; do
	at $n
	post_json "{\"business\":\"demo\",\"phone\":\"$A\"}"
	expect_status 202 "request at node $n"
done
at 2
post_json "{\"business\":\"demo\",\"phone\":\"$A\"}"
expect_error 429 rate_limited
expect_jv .error.message \
	"too many requests for this phone number; try again later"
RA=$(hdr Retry-After)
[ "$RA" -gt 60 ] && [ "$RA" -le 900 ] || fail "Retry-After '$RA'"
grep -q "rate limit: .* (phone number)" "$T/n2.log" ||
	fail "node 2 did not log the refusal"
at 1
post_json "{\"business\":\"demo\",\"phone\":\"$A\"}"
expect_error 429 rate_limited
[ "$(requests "$A")" = 3 ] || fail "$(requests "$A") requests stored"
ok "alternated between two nodes, the 4th request is 429 (Retry-After $RA s), 3 stored"

# ---- at once: 4 to each node, 3 answered in all
B=+14155550162
for i in 1 2 3 4 5 6 7 8; do
	u=$U1
	[ $((i % 2)) = 0 ] && u=$U2
	curl -s -o /dev/null -w '%{http_code}\n' -X POST \
		-H 'Content-Type: application/json' \
		--data-binary "{\"business\":\"demo\",\"phone\":\"$B\"}" \
		"$u/v1/callbacks" >"$T/at_once$i" &
	CPIDS="${CPIDS:-} $!"
done
for p in $CPIDS; do
	wait "$p" || fail "a curl failed"
done
n202=$(cat "$T"/at_once* | grep -c '^202$' || true)
n429=$(cat "$T"/at_once* | grep -c '^429$' || true)
[ "$n202" = 3 ] && [ "$n429" = 5 ] ||
	fail "at once: $n202 answered 202, $n429 answered 429"
[ "$(requests "$B")" = 3 ] || fail "$(requests "$B") requests stored"
ok "8 requests at once to two nodes: 3 answered 202, 5 refused 429"

PID=$P2
stop_beckon
PID=$P1
stop_beckon
ok "both nodes stop cleanly"
