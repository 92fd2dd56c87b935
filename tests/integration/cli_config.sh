#!/bin/sh
# The command line and the configuration: help texts, --KEY VALUE for
# every key, and bad configuration refused with a line that names it.
. "$(dirname "$0")/../lib/common.sh"

"$BECKON" --help | grep -q "serve" || fail "beckon --help"
"$BECKON" serve --help >"$T/help.txt" || fail "serve --help exit"
for k in http_listen db demo limit_phone_15min limit_ip_minute \
	http_max_body sip_listen trunk_uri control_listen; do
	grep -q -- "--$k" "$T/help.txt" || fail "serve --help lacks --$k"
done
"$BECKON" version | grep -Eq '[0-9]+\.[0-9]+' || fail "version"
ok "beckon --help, serve --help (every key) and version"

# refuse_start NAME EXPECTED_TEXT ARGS...: must exit non-zero, saying why
refuse_start() {
	name=$1
	want=$2
	shift 2
	rc=0
	"$BECKON" serve --http_listen 127.0.0.1:0 --db "sqlite:$T/r.db" "$@" \
		>"$T/$name.out" 2>&1 || rc=$?
	[ "$rc" != 0 ] || fail "$name: started anyway"
	grep -q -- "$want" "$T/$name.out" ||
		fail "$name: no '$want' in: $(cat "$T/$name.out")"
}

refuse_start unknown "unknown option '--no_such_key'" --no_such_key 1
refuse_start range "http_max_body" --http_max_body 5
refuse_start notint "limit_ip_minute" --limit_ip_minute lots
refuse_start badbool "unexpected argument 'maybe'" --demo maybe
refuse_start noval "needs a value" --db
refuse_start store "unsupported store URL" --db mysql://x
printf '[business x]\ntimezone Mars/Olympus\n' >"$T/tz.conf"
refuse_start tz "unknown time zone" -f "$T/tz.conf"
printf '[business x]\ncountry 999\n' >"$T/cc.conf"
refuse_start cc "not a calling code" -f "$T/cc.conf"
printf '[business x]\ndeny_prefixes 1900\n' >"$T/deny.conf"
refuse_start deny "deny_prefixes" -f "$T/deny.conf"
printf '[business x]\norigins ftp://x\n' >"$T/or.conf"
refuse_start origins "origins" -f "$T/or.conf"
printf '[business x]\ncolour red\n' >"$T/key.conf"
refuse_start seckey "colour" -f "$T/key.conf"
refuse_start nofile "missing.conf" -f "$T/missing.conf"
ok "bad options, values, store URLs and business sections stop the start-up"

# no config file at all: the defaults, and a business from the command
# line's config file; the command line wins over the file
printf 'limit_ip_minute 1\n[business acme]\nname Acme\ntimezone Europe/Paris\ncountry 33\norigins https://acme.example\n' \
	>"$T/acme.conf"
start_beckon acme -f "$T/acme.conf" --limit_ip_minute 3
post_json '{"business":"acme","phone":"01 23 45 67 89"}'
expect_status 202
post_json '{"business":"acme","phone":"01 23 45 67 88"}'
expect_status 202 "second: --limit_ip_minute 3 beats the file's 1"
[ "$(sqlite3 "$DB" "SELECT phone FROM callbacks ORDER BY created_at LIMIT 1")" \
	= "+33123456789" ] || fail "French national number"
post_json '{"business":"demo","phone":"+14155550100"}'
expect_error 404 unknown_business business

# a section is a first set-up: later admin changes survive a restart
BECKON_TOKEN=adm "$BECKON" --server "$URL" business set acme --name Renamed \
	>/dev/null 2>"$T/cli.err" && fail "admin API without a token is off"
stop_beckon
start_beckon acme -f "$T/acme.conf" --admin_token adm
"$BECKON" --server "$URL" --token adm business set acme --name Renamed \
	>/dev/null || fail "business set"
stop_beckon
start_beckon acme -f "$T/acme.conf" --admin_token adm
"$BECKON" --server "$URL" --token adm business show acme >"$T/show"
grep -q '^name  *Renamed$' "$T/show" || fail "the section undid an admin change"
stop_beckon
ok "a business from a config section; command line wins; no demo unless asked"

# agents and rules from the file, checked like the admin API checks them
cat >"$T/people.conf" <<CONF
[business shop]
timezone UTC
country 44
[agent carol]
password carol-secret-1
businesses shop
skills billing sales
endpoint sip:carol@127.0.0.1:5080
[rule billing]
business shop
match_url https://shop.example/billing
skills billing
CONF
DB="$T/people.db"
start_beckon people -f "$T/people.conf" --admin_token adm
"$BECKON" --server "$URL" --token adm agent show carol >"$T/show"
grep -q '^skills  *billing sales$' "$T/show" || fail "agent from the file"
"$BECKON" --server "$URL" --token adm rule list shop >"$T/show"
grep -q '^billing	shop	100	https://shop.example/billing' "$T/show" ||
	fail "rule from the file"
[ "$(sqlite3 "$DB" "SELECT password_hash LIKE '\$argon2id\$%' FROM agents
	WHERE id='carol'")" = 1 ] || fail "hashed"
stop_beckon
printf '[agent x]\npassword long-enough-1\nbusinesses nowhere\n' >"$T/bad.conf"
refuse_start badagent "agent x: businesses" -f "$T/bad.conf"
printf '[rule y]\nbusiness nowhere\n' >"$T/bad2.conf"
refuse_start badrule "rule y: business" -f "$T/bad2.conf"
printf '[agent z]\npassword short\n' >"$T/bad3.conf"
refuse_start shortpw "agent z: password" -f "$T/bad3.conf"
ok "[agent] and [rule] sections: a first set-up, checked like the admin API"
