# Shared set-up of the cluster tests (sourced after common.sh):
# tests/integration/cluster*.sh.
# A PostgreSQL of the test's own, `beckon serve` nodes on it, `beckon
# dialer`s, and the questions asked of them (who leads, what the rows
# say).

# cluster_pg: a PostgreSQL of the test's own (start_postgres pg) with a
# database beckon_c; sets PGDB (the nodes' db URI)
cluster_pg() {
	start_postgres pg
	pg_createdb beckon_c
}

# pg_cut PORT [MODE ARGS]: tests/integration/pg_cut.py on PORT before
# the PostgreSQL of cluster_pg (armed by $T/armed, its log $T/cut.log),
# until it listens; sets PG_CUT, a db URI through it
pg_cut() {
	pc_port=$1
	shift
	python3 "$BECKON_SRC/tests/integration/pg_cut.py" "$pc_port" \
		"$PGSOCK/.s.PGSQL.5432" "$T/armed" "$T/cut.log" "$@" \
		>"$T/proxy.out" 2>&1 &
	PIDS="$PIDS $!"
	wait_tcp "$pc_port"
	PG_CUT="postgres://postgres@127.0.0.1:$pc_port/beckon_c"
	PG_CUT="$PG_CUT?sslmode=disable"
}

# node N [--key value ...]: a serve node named nN on $PGDB driving the
# dialers $DIALERS; sets UN, PN (its URL and pid)
node() {
	n=$1
	shift
	DB="$T/unused$n.db"
	start_beckon "n$n" --demo --db "$PGDB" --node_id "n$n" \
		--dialer "$DIALERS" --control_secret "$SECRET" \
		--limit_ip_minute 0 --www_dir "$BECKON_SRC/share/www" "$@"
	eval "U$n=\$URL P$n=\$PID"
}

# role URL: what /healthz says
role() {
	curl -s "$1/healthz" | jq -r .role
}

# at N: the next requests go to node N
at() {
	eval "URL=\$U$1"
}

# leader_now: the node that leads now among the live ones ($LIVE), or
# nothing
leader_now() {
	for n in $LIVE; do
		eval "u=\$U$n"
		[ "$(role "$u")" != leader ] || echo "$n"
	done
	return 0
}

# takeover: after the leader's death (LIVE the nodes left), until one of
# them leads (bounded); sets NEW (the node) and MS (ms since T0_NS,
# date +%s%N taken at the kill), prints it; fails past 5 s or with two
take_over() {
	NEW=""
	i=0
	while [ -z "$NEW" ]; do
		NEW=$(leader_now)
		i=$((i + 1))
		[ $i -le 200 ] || fail "nobody leads 10 s after the leader's death"
		[ -n "$NEW" ] || sleep 0.05
	done
	MS=$(( ($(date +%s%N) - T0_NS) / 1000000 ))
	echo "# takeover: n$NEW leads ${MS} ms after kill -9 of the leader" \
		"(bound 5000 ms)"
	[ "$MS" -lt 5000 ] || fail "takeover took $MS ms"
	[ "$(leader_now | wc -l)" = 1 ] || fail "two leaders: $(leader_now)"
}

# no_double_offer: no agent was offered a callback while an offer of
# theirs was open. An offer lasts from its `offered` event to the first
# later event of its callback that frees the agent (the call's end, an
# interruption, the agent's leg failing, the callback canceled); per
# agent, each offer starts after the one before it ended, and each ends.
no_double_offer() {
	psql_q "SELECT e.data::json->>'agent', e.t, (SELECT min(x.t)
		FROM events x WHERE x.callback_id = e.callback_id
		AND x.seq > e.seq AND x.type IN ('ended', 'interrupted',
		'agent_failed', 'abandoned', 'canceled', 'failed'))
		FROM events e WHERE e.type = 'offered' ORDER BY 1, 2" \
		>"$T/offers"
	[ -s "$T/offers" ] || fail "no offer at all"
	python3 - "$T/offers" <<'PY' || fail "an agent offered two at once"
import sys
last = {}
for line in open(sys.argv[1]):
    agent, start, end = line.strip().split("|")
    assert end, "an offer never ended: " + line
    assert int(start) >= last.get(agent, 0), line
    last[agent] = int(end)
PY
}

# once_per_attempt MSG...: each customer was dialed once per attempt:
# the distinct INVITE Call-IDs per number in the trunks' sipp message
# files (a retransmission is not a new dial) against the callback's
# attempts, the distinct numbers of its `dialing` events (a claim whose
# COMMIT's answer was lost is claimed again with the same number)
once_per_attempt() {
	psql_q "SELECT c.phone, (SELECT count(DISTINCT e.data::json->>
		'attempt') FROM events e
		WHERE e.callback_id = c.id AND e.type = 'dialing')
		FROM callbacks c" >"$T/attempts"
	python3 - "$T/attempts" "$@" <<'PY' ||
import collections, re, sys
dials = collections.defaultdict(set)
for f in sys.argv[2:]:
    phone = None
    for line in open(f, errors="replace"):
        m = re.match(r"INVITE sip:(\+\d+)@", line)
        if m:
            phone = m.group(1)
        m = re.match(r"Call-ID:\s*(\S+)", line, re.I)
        if m and phone:
            dials[phone].add(m.group(1))
            phone = None
bad = []
for line in open(sys.argv[1]):
    phone, n = line.strip().split("|")
    if len(dials[phone]) != int(n):
        bad.append("%s: %d dials, %s attempts" % (phone, len(dials[phone]),
                                                  n))
assert not bad, bad[:5]
PY
		fail "a customer dialed more than once for one attempt"
}

# uas NAME XML PORT: an answering sipp for as many calls as come, until
# the test stops it; every message it saw in $T/NAME.msg; sets SPID
uas() {
	sipp -sf "$2" -i 127.0.0.1 -p "$3" -nostdin -trace_msg \
		-message_file "$T/$1.msg" -trace_err -error_file "$T/$1.err" \
		>"$T/$1.out" 2>&1 &
	SPID=$!
	PIDS="$PIDS $SPID"
	wait_udp "$3" "$SPID"
}

# answered N: until the client (pid $CLIENT, cluster_full.py) has N
# outcomes in $T/answers
answered() {
	i=0
	until [ "$(wc -l <"$T/answers")" -ge "$1" ]; do
		i=$((i + 1))
		[ $i -le 600 ] || fail "the client has not $1 answers"
		kill -0 "$CLIENT" 2>/dev/null || fail "the client stopped early"
		sleep 0.1
	done
}

# bridged N: until N calls are bridged at once (status connected); sets
# BRIDGED (their ids)
bridged() {
	i=0
	while :; do
		BRIDGED=$(psql_q "SELECT id FROM callbacks
			WHERE status = 'connected'")
		[ "$(echo "$BRIDGED" | grep -c .)" -lt "$1" ] || return 0
		i=$((i + 1))
		[ $i -le 300 ] || fail "never $1 calls bridged at once"
		sleep 0.1
	done
}

# all_closed TRIES: until no callback is open, polled every 0.2 s at
# most TRIES times
all_closed() {
	i=0
	until [ "$(psql_q "SELECT count(*) FROM callbacks WHERE open = 1")" \
		= 0 ]
	do
		i=$((i + 1))
		[ $i -le "$1" ] || fail "still open: $(psql_q "SELECT id, status
			FROM callbacks WHERE open = 1")"
		sleep 0.2
	done
}

# answers_kept N: the client's $T/answers (cluster_full.py) hold N
# outcomes, each 202 with a key of its own, and the store holds exactly
# those N callbacks, each key naming the one it was answered
answers_kept() {
	[ "$(wc -l <"$T/answers")" = "$1" ] ||
		fail "$(wc -l <"$T/answers") outcomes"
	[ "$(awk '$3 != 202' "$T/answers" | wc -l)" = 0 ] ||
		fail "not 202: $(awk '$3 != 202' "$T/answers" | head -n 5)"
	[ "$(awk '{ print $4 }' "$T/answers" | sort -u | wc -l)" = "$1" ] ||
		fail "two keys answered with one callback"
	[ "$(psql_q "SELECT count(*) FROM callbacks")" = "$1" ] ||
		fail "$(psql_q "SELECT count(*) FROM callbacks") callbacks stored"
	psql_q "SELECT callback_id, key FROM idempotency" | tr '|' ' ' |
		sort >"$T/stored"
	awk '{ print $4, $2 }' "$T/answers" | sort >"$T/promised"
	cmp -s "$T/stored" "$T/promised" ||
		fail "the keys' callbacks and the answers differ: $(diff \
			"$T/stored" "$T/promised" | head -n 5)"
}

# histories_whole: every completed callback's last attempt (its events
# after its last "dialing") holds "answered" and "bridged" exactly once,
# and no history holds one event twice (the same type at the same ms: a
# report written again after its answer was lost)
histories_whole() {
	psql_q "SELECT c.id, (SELECT string_agg(e.type, ' ' ORDER BY e.seq)
		FROM events e WHERE e.callback_id = c.id)
		FROM callbacks c WHERE c.status = 'completed' AND (
		SELECT count(*) FILTER (WHERE e.type = 'answered') <> 1 OR
			count(*) FILTER (WHERE e.type = 'bridged') <> 1
		FROM events e WHERE e.callback_id = c.id AND e.seq >
		(SELECT max(d.seq) FROM events d WHERE d.callback_id = c.id
			AND d.type = 'dialing'))" >"$T/unwhole"
	[ ! -s "$T/unwhole" ] || fail "$(wc -l <"$T/unwhole") completed" \
		"calls without answered and bridged once: $(head -n 3 \
		"$T/unwhole")"
	psql_q "SELECT callback_id, type, t FROM events GROUP BY 1, 2, 3
		HAVING count(*) > 1" >"$T/twice"
	[ ! -s "$T/twice" ] || fail "$(wc -l <"$T/twice") events stored" \
		"twice: $(head -n 3 "$T/twice")"
}
