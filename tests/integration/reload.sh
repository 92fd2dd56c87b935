#!/bin/sh
# SIGHUP re-reads the configuration (issue 13, "reload on SIGHUP"): a
# real server, its file edited, kill -HUP. It keeps running; the keys
# that can change while running are applied (webhook_allow_private: the
# admin API then takes a loopback endpoint and the sender delivers to
# it; log_level), the others are named as needing a restart, values
# never logged; a bad file is refused and the running configuration
# kept. The [business], [agent] and [rule] sections: a new or changed one
# goes to the store, the API and the ACD (a business renamed keeps what
# the admin API set in its other fields, a new one takes requests, a new
# agent logs in and goes available), a bad one refuses the whole file,
# one gone from the file is kept and named. `beckon dialer` too: SIGHUP
# applies its log keys and names the others, a call-control connection
# open across it still answers, a bad file changes nothing.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/webhook.sh"
. "$BECKON_SRC/tests/sipp/lib/dialer.sh"

SECRET=whsec-test-0123456789
J='Content-Type: application/json'
A='Authorization: Bearer demo'
W=/v1/admin/businesses/demo/webhooks
CONF="$T/beckon.conf"

# hup_wait PID LOG N: SIGHUP to PID, then wait for the Nth "reload:
# done" or "refused" in LOG; PID must live on
hup_wait() {
	kill -HUP "$1"
	i=0
	until [ "$(grep -c 'reload: \(done\|the configuration was refused\)' \
	    "$2")" -ge "$3" ]; do
		i=$((i + 1))
		[ $i -le 200 ] || fail "no reload $3 in $2"
		kill -0 "$1" 2>/dev/null || fail "$1 died of SIGHUP"
		sleep 0.05
	done
	kill -0 "$1" 2>/dev/null || fail "$1 died of SIGHUP"
}

# wait_log TEXT: until the server's log has TEXT (a section is applied
# once the store has it, after "reload: done")
wait_log() {
	i=0
	until grep -q "$1" "$T/hup.log"; do
		i=$((i + 1))
		[ $i -le 200 ] || fail "not in the log: $1"
		sleep 0.05
	done
}

# hup N: the same for the server, which still answers
hup() {
	hup_wait "$PID" "$T/hup.log" "$1"
	curl -sf -o /dev/null "$URL/healthz" || fail "not answering"
}

cat >"$CONF" <<CNF
log_level info
metrics_token metrics-secret-one
[business acme]
name Acme Bikes
timezone America/Chicago
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
[business acme]
name Acme Bikes
timezone America/Chicago
[agent carol]
businesses demo
password carol-secret-1
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
wait_log "reload: agent carol applied"
grep -q "reload: business acme" "$T/hup.log" &&
	fail "an unchanged section applied"
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

# ---- sections: a changed business, a new business and agent applied
# live, through the store, the API's view and the ACD
req PUT /v1/admin/businesses/acme -H "$A" -H "$J" --data '{"max_hold":600}'
expect_status 200 "acme's max_hold set through the admin API"
post_json '{"business":"bravo","phone":"+14155550182"}'
[ "$STATUS" -ge 400 ] || fail "bravo takes requests before it exists"
cat >"$CONF" <<CNF
log_level debug
metrics_token metrics-secret-two
webhook_allow_private yes
reoffer_after 30
[business acme]
name Acme Two
timezone America/Chicago
[business bravo]
name Bravo
[agent carol]
businesses demo
password carol-secret-1
[agent dave]
name Dave Dunn
password dave-secret-42
endpoint +14155550199
businesses acme
CNF
hup 4
wait_log "reload: agent dave applied"
grep -q "reload: agent carol applied" "$T/hup.log" ||
	fail "carol applied again"
req GET /v1/admin/businesses/acme -H "$A"
expect_jv .name "Acme Two"
expect_jv .max_hold 600
ok "a changed [business]: its keys over the stored record, the" \
	"admin API's other changes kept"

post_json '{"business":"bravo","phone":"+14155550182"}'
expect_status 202 "a new [business] takes requests"
req GET /v1/admin/agents/dave -H "$A"
expect_status 200
expect_jv .name "Dave Dunn"
req POST /agent/api/login -H "$J" \
	--data '{"login":"dave","password":"dave-secret-42"}'
expect_status 200 "the new agent logs in"
req POST /v1/admin/agents/dave/state -H "$A" -H "$J" \
	--data '{"state":"available"}'
expect_status 200 "the ACD knows the new agent"
req GET /v1/admin/agents/dave -H "$A"
expect_jv .state available
ok "a new [agent]: stored, logs in, the ACD sets them available"

# a bad section refuses the whole file: nothing of it is applied
sed -e 's/^name Acme Two/name Acme Three/' \
	-e 's|^timezone America/Chicago|timezone Mars/Olympus|' \
	"$CONF" >"$CONF.bad"
printf '[agent erin]\nbusinesses acme\n' >>"$CONF.bad"
cp "$CONF.bad" "$CONF"
hup 5
grep -q "reload: the configuration was refused" "$T/hup.log" ||
	fail "a bad timezone taken"
req GET /v1/admin/businesses/acme -H "$A"
expect_jv .name "Acme Two"
req GET /v1/admin/agents/erin -H "$A"
expect_status 404 "nothing of a refused file applied"
ok "a bad [business] refuses the file: no section of it applied"

# a section gone from the file: kept, and said so (dave is available)
sed -e '/^\[agent dave\]/,$d' "$CONF.bad" |
	sed -e 's|^timezone Mars/Olympus|timezone America/Chicago|' \
	    -e 's/^name Acme Three/name Acme Two/' >"$CONF"
hup 6
grep -q "reload: agent dave is no longer in the file: it is kept" \
	"$T/hup.log" || fail "the removal not logged"
grep -q "reload: agent erin" "$T/hup.log" && fail "erin applied"
[ "$(grep -c "reload: business acme applied" "$T/hup.log")" = 1 ] ||
	fail "an unchanged section applied again"
req GET /v1/admin/agents/dave -H "$A"
expect_status 200
expect_jv .state available
ok "a section gone from the file: the agent kept, as they were"
stop_beckon

# ---- beckon dialer
DSIP=$(free_port)
DCTL=$(free_port)
DSECRET="reload-secret-$$-x7"
DCONF="$T/dialer.conf"
cat >"$DCONF" <<CNF
log_level info
control_listen 127.0.0.1:$DCTL
control_secret $DSECRET
CNF
"$BECKON" dialer -f "$DCONF" --sip_listen "127.0.0.1:$DSIP" \
	--rtp_ports 30000-39999 --prompt_dir "$BECKON_SRC/share/prompts" \
	--trunk_uri "sip:\${e164}@127.0.0.1:$(free_port);user=phone" \
	>>"$T/dialer.log" 2>&1 &
DPID=$!
PIDS="$PIDS $DPID"
wait_tcp "$DCTL"

# one call-control connection, open across two SIGHUPs (the same file,
# then a changed one), asking for the status after each
cat >"$DCONF.2" <<CNF
log_level debug
control_listen 127.0.0.1:$DCTL
control_secret $DSECRET
sip_user_agent Acme PBX 2
CNF
W="i=0; until [ \$(grep -c 'reload: done' $T/dialer.log) -ge N ]; do"
W="$W i=\$((i+1)); [ \$i -le 200 ] || exit 1; sleep 0.05; done"
cat >"$T/ctl.txt" <<CTL
expect ok cmd=auth
send {"cmd":"status"}
expect status count=0
shell kill -HUP $DPID
shell $(echo "$W" | sed 's/ N / 1 /')
send {"cmd":"status"}
expect status count=0
shell cp $DCONF.2 $DCONF && kill -HUP $DPID
shell $(echo "$W" | sed 's/ N / 2 /')
send {"cmd":"status"}
expect status count=0
CTL
python3 "$BECKON_SRC/tests/sipp/lib/ctl.py" "127.0.0.1:$DCTL" "$DSECRET" \
	"$T/ctl.txt" >"$T/ctl.out" 2>&1 || fail "call control across SIGHUP"
kill -0 "$DPID" 2>/dev/null || fail "the dialer died of SIGHUP"
grep -q "app: info: SIGHUP: reading the configuration again" "$T/dialer.log" ||
	fail "the dialer's reload is not logged"
grep -q "reload: log_level changed: applied" "$T/dialer.log" ||
	fail "log_level not applied in the dialer"
grep -q "reload: sip_user_agent changed: needs a restart" \
	"$T/dialer.log" || fail "sip_user_agent not named"
grep -q "$DSECRET" "$T/dialer.log" && fail "the secret in the log"
ok "beckon dialer: SIGHUP logged, log_level applied, the rest named," \
	"call control answers across it"

printf 'log_level info\nno_such_key 1\n' >"$DCONF"
hup_wait "$DPID" "$T/dialer.log" 3
grep -q "reload: the configuration was refused" "$T/dialer.log" ||
	fail "the dialer took a bad file"
cat >"$T/ctl2.txt" <<CTL
expect ok cmd=auth
send {"cmd":"status"}
expect status count=0
CTL
python3 "$BECKON_SRC/tests/sipp/lib/ctl.py" "127.0.0.1:$DCTL" "$DSECRET" \
	"$T/ctl2.txt" >"$T/ctl2.out" 2>&1 || fail "no call control after"
ok "beckon dialer: a bad file refused, still answering"

kill -TERM "$DPID"
rc=0
wait "$DPID" || rc=$?
[ "$rc" = 0 ] || fail "the dialer exited with $rc"
grep -q "Sanitizer\|runtime error" "$T/dialer.log" &&
	fail "sanitizer report in the dialer's log"
ok "beckon dialer: exits 0 after the reloads"
