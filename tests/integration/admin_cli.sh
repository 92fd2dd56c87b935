#!/bin/sh
# The admin API through the `beckon` command line, against a real server:
# businesses, agents, rules, presence and the live queue; tokens; errors.
. "$(dirname "$0")/../lib/common.sh"

start_beckon admin --demo
export BECKON_SERVER="$URL" BECKON_TOKEN=demo
B="$BECKON"

# run_cli EXPECTED_EXIT ARGS...: output in $T/out, errors in $T/err
run_cli() {
	want=$1
	shift
	rc=0
	"$B" "$@" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" = "$want" ] || fail "beckon $*: exit $rc, expected $want:
$(cat "$T/out" "$T/err")"
}

run_cli 0 --server "http://localhost:$PORT" business list
grep -q '^demo	Demo Shop	America/New_York	1	daily 00:00-24:00' "$T/out" ||
	fail "business list: $(cat "$T/out")"
# a host name is looked up (the system's resolver: /etc/hosts first)
run_cli 0 --server "http://LOCALHOST:$PORT" business list
run_cli 1 --server "http://no-such-host.invalid:$PORT" business list
grep -q 'no-such-host.invalid' "$T/err" || fail "unknown host: $(cat "$T/err")"
ok "business list shows the demo business; --server takes a host name"

run_cli 0 business add acme --name "Acme Corp" --timezone Europe/Paris \
	--country 33 --origins https://acme.example
grep -q '^timezone *Europe/Paris' "$T/out" || fail "add output"
run_cli 1 business add acme --name again
grep -q '409 exists' "$T/err" || fail "add twice: $(cat "$T/err")"
run_cli 1 business set nosuch --name x
grep -q '404' "$T/err" || fail "set missing"
run_cli 1 business add bad --timezone Mars/Olympus
grep -q 'invalid_field (timezone)' "$T/err" || fail "bad tz: $(cat "$T/err")"
run_cli 1 business add bad2 --country 0
grep -q 'invalid_field (country)' "$T/err" || fail "bad country"
run_cli 1 business add bad3 --colour red
grep -q 'unknown_field (colour)' "$T/err" || fail "unknown field"
run_cli 1 business add bad7 --hours "mon-fry 09:00-17:00"
grep -q 'invalid_field (hours)' "$T/err" || fail "hours: $(cat "$T/err")"
run_cli 1 business add bad8 --closed "2026-13-01"
grep -q 'invalid_field (closed)' "$T/err" || fail "closed: $(cat "$T/err")"
run_cli 1 business add bad4 --retry_attempts 99
grep -q 'between 1 and 20' "$T/err" || fail "bounds: $(cat "$T/err")"
run_cli 1 business add bad5 --caller_id 12345
grep -q 'invalid_field (caller_id)' "$T/err" || fail "caller_id"
run_cli 1 business add bad6 --retry_delays "2 minutes"
grep -q 'invalid_field (retry_delays)' "$T/err" || fail "retry_delays"
run_cli 1 business add bad9 --widget_color "red;background:url(x)"
grep -q 'invalid_field (widget_color)' "$T/err" || fail "widget_color"
run_cli 1 business add bad10 --widget_position middle
grep -q 'invalid_field (widget_position)' "$T/err" || fail "widget_position"
run_cli 1 business add bad11 --widget_language de
grep -q 'invalid_field (widget_language)' "$T/err" || fail "widget_language"
run_cli 1 business add bad12 --widget_label "$(printf 'a\tb\001')"
grep -q 'invalid_field (widget_label)' "$T/err" || fail "widget_label"
run_cli 1 business add bad13 --dial_mode sideways
grep -q 'invalid_field (dial_mode).*customer_first or agent_first' "$T/err" ||
	fail "dial_mode: $(cat "$T/err")"
ok "business add/set: 409 on a second add, 404 on set of a missing id, fields checked"

# the new business takes callbacks at once, from its own origin only
post_json '{"business":"acme","phone":"01 23 45 67 89"}' \
	-H 'Origin: https://acme.example'
expect_status 202 "POST for a business added by the CLI"
post_json '{"business":"acme","phone":"01 23 45 67 88"}' \
	-H 'Origin: http://127.0.0.1:8000'
expect_error 403 origin_not_allowed
run_cli 0 business set acme --origins "https://acme.example http://127.0.0.1:*"
post_json '{"business":"acme","phone":"01 23 45 67 88"}' \
	-H 'Origin: http://127.0.0.1:8000'
expect_status 202 "after business set origins"
run_cli 0 business set acme --widget_label "Rappelez-moi" \
	--widget_color "#C2185B" --widget_position top-left --widget_language fr
req GET /v1/businesses/acme
expect_status 200
[ "$(printf '%s' "$BODY" | jq -c .widget)" = \
	'{"label":"Rappelez-moi","color":"#C2185B","position":"top-left","language":"fr"}' ] ||
	fail "public widget settings: $BODY"
ok "a business added or changed by the CLI is live for the public API (its widget look too)"

run_cli 0 agent add carol --password 'carol-secret-1' --name "Carol C" \
	--businesses acme --skills billing,sales --endpoint +14155550150
grep -q '^skills *billing sales' "$T/out" || fail "skills list"
grep -q 'password' "$T/out" && fail "password shown"
[ "$(sqlite3 "$DB" "SELECT password_hash LIKE '\$argon2id\$%' AND
	password_hash NOT LIKE '%carol-secret%' FROM agents WHERE id='carol'")" \
	= 1 ] || fail "password stored as argon2id"
run_cli 1 agent add dave --businesses acme
grep -q 'invalid_field (password)' "$T/err" || fail "agent without password"
run_cli 1 agent add dave --password 'dave-secret-1' --businesses nowhere
grep -q 'invalid_field (businesses)' "$T/err" || fail "unknown business"
run_cli 1 agent add dave --password 'dave-secret-1' --endpoint 'tel:123'
grep -q 'invalid_field (endpoint)' "$T/err" || fail "bad endpoint"
run_cli 1 agent add dave --password short
grep -q 'invalid_field (password)' "$T/err" || fail "short password"
run_cli 1 agent add dave --password 'dave-secret-1' --role root
grep -q 'invalid_field (role).*agent, supervisor or admin' "$T/err" ||
	fail "role: $(cat "$T/err")"
run_cli 1 agent set carol --endpoint registered
grep -q 'invalid_field (sip_password)' "$T/err" || fail "registered, no secret"
run_cli 0 agent set carol --endpoint registered --sip_password sip-secret-9
grep -q 'sip' "$T/out" && grep -q 'sip-secret-9' "$T/out" && fail "secret shown"
[ "$(sqlite3 "$DB" "SELECT sip_password FROM agents WHERE id='carol'")" \
	= sip-secret-9 ] || fail "sip_password stored"
run_cli 1 agent set carol --state available
grep -q 'invalid_field (state)' "$T/err" || fail "state via set"
ok "agent add: argon2id password never shown; endpoint, businesses, password checked"

run_cli 0 agent set alice --endpoint sip:alice@127.0.0.1:5070 --skills billing
grep -q '^endpoint *sip:alice@127.0.0.1:5070' "$T/out" || fail "agent set"
run_cli 0 agent state alice available
grep -q '^state *available' "$T/out" || fail "state"
grep -q '^state_since *20[0-9-]*T[0-9:.]*Z$' "$T/out" ||
	fail "state_since not RFC 3339: $(cat "$T/out")"
run_cli 1 agent state alice busy
run_cli 0 agent list --business acme
grep -q '^carol' "$T/out" && ! grep -q '^alice' "$T/out" ||
	fail "agent list --business: $(cat "$T/out")"
run_cli 0 agent list
grep -q '^alice	Alice Archer	agent	available	sip:alice@127.0.0.1:5070' \
	"$T/out" || fail "agent list: $(cat "$T/out")"
ok "agent set, state (persisted) and list"

run_cli 0 rule add acme --id billing --match_url 'https://acme.example/billing*' \
	--skills billing --priority 5
run_cli 0 rule add demo --match_title "pricing plans"
run_cli 0 rule list acme
[ "$(wc -l <"$T/out")" = 2 ] && grep -q '^billing	acme	100	https://acme.example/billing\*' \
	"$T/out" || fail "rule list acme: $(cat "$T/out")"
run_cli 1 rule add nowhere --skills x
grep -q 'invalid_field (business)' "$T/err" || fail "rule for no business"
run_cli 0 rule rm billing
run_cli 1 rule rm billing
grep -q '404' "$T/err" || fail "rm twice"
run_cli 0 rule list acme
[ "$(wc -l <"$T/out")" = 1 ] || fail "rule not removed"
ok "rule add/list/rm, per business"

run_cli 0 callbacks
grep -q '^cb_.*	acme	queued	1	+33123456789' "$T/out" ||
	fail "callbacks: $(cat "$T/out")"
ok "callbacks lists the live queue with positions"

# tokens
req GET /v1/admin/agents
expect_error 401 missing_token
req GET /v1/admin/agents -H 'Authorization: Bearer nope'
expect_error 401 invalid_token
BECKON_TOKEN=wrong run_cli 1 agent list
grep -q '401 invalid_token' "$T/err" || fail "cli wrong token"
req GET /v1/admin/nothing -H 'Authorization: Bearer demo'
expect_error 404 not_found
req DELETE /v1/admin/businesses/demo -H 'Authorization: Bearer demo'
expect_error 405 method_not_allowed
grep -qi 'bearer' "$T/admin.log" && fail "a bearer token was logged"
ok "admin API: 401 without or with a wrong token, 404/405 as fits"

# --help is not an error, and lists every command of every kind
for cmd in business agent rule callbacks; do
	run_cli 0 "$cmd" --help
	for line in "business add ID" "business set ID" "business list | show ID" \
		"agent add ID" "agent set ID" "agent list .* | show ID" \
		"agent rm ID \[--force\]" "agent state ID" "rule add BUSINESS" \
		"rule list \[BUSINESS\] | show ID | set ID --KEY VALUE ... | rm ID" \
		"callbacks"; do
		grep -q "^  $line" "$T/out" || fail "$cmd --help: no '$line'"
	done
done
ok "COMMAND --help exits 0 and lists every command (rule show and set too)"

# usage_err EXPECTED ARGS...: exit 2, the message, then the usage
usage_err() {
	msg=$1
	shift
	run_cli 2 "$@"
	[ "$(head -n 1 "$T/err")" = "beckon: $msg" ] ||
		fail "beckon $*: $(head -n 1 "$T/err"), expected '$msg'"
	grep -q '^usage: beckon' "$T/err" || fail "beckon $*: no usage"
}
usage_err "agent rm: missing the agent ID" agent rm
usage_err "business show: missing the business ID" business show
usage_err "rule add: missing the business ID" rule add
usage_err "agent set: missing the --KEY VALUE pairs to change" agent set alice
usage_err "agent state: missing the state (available, away or offline)" \
	agent state alice
usage_err "agent: missing the command (add, set, list, show, rm, state)" agent
usage_err "business rm: unknown command" business rm demo
usage_err "callbacks: unexpected 'now'" callbacks now
ok "a usage error says what is missing or wrong, then the usage (exit 2)"

# a logged-in agent is removed only with --force; the server decides
run_cli 1 agent rm alice
grep -q '409 agent_logged_in: the agent is logged in (available)' \
	"$T/err" || fail "rm of an available agent: $(cat "$T/err")"
req DELETE /v1/admin/agents/alice -H 'Authorization: Bearer demo'
expect_error 409 agent_logged_in
run_cli 0 agent show alice
req POST /agent/api/login -H 'Content-Type: application/json' \
	--data '{"login":"carol","password":"carol-secret-1"}'
expect_status 200 "carol's log-in"
CAROL="Cookie: beckon_session=$(hdr Set-Cookie |
	sed 's/^beckon_session=\([^;]*\);.*/\1/')"
run_cli 1 agent rm carol
grep -q 'logged in (offline, desk open)' "$T/err" ||
	fail "rm of an agent at the desk: $(cat "$T/err")"
run_cli 0 agent rm carol --force
req GET /agent/api/me -H "$CAROL"
expect_status 401 "carol's desk after her removal"
run_cli 0 agent rm alice --force
run_cli 1 agent show alice
ok "agent rm: 409 agent_logged_in while available or at the desk; --force removes and logs out"
stop_beckon

# no demo, no token configured: the admin API is off
DB="$T/off.db"
start_beckon off
req GET /v1/admin/agents -H 'Authorization: Bearer demo'
expect_error 403 admin_disabled
stop_beckon
DB="$T/on.db"
start_beckon on --admin_token 's3cret-t0ken'
req GET /v1/admin/businesses -H 'Authorization: Bearer s3cret-t0ken'
expect_status 200
grep -q 's3cret-t0ken' "$T/on.log" && fail "token logged"
stop_beckon
ok "without admin_token the admin API is off; with one it works and is not logged"
