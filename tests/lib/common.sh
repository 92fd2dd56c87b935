# Shared helpers for the integration tests (sourced, not run by ctest).
#
# Each test starts its own beckon on a free loopback port with a scratch
# database, talks to it with curl, and stops only the processes it started,
# by pid. Everything a test writes lives in $T, removed on success and kept
# (and named) on failure.

set -eu

: "${BECKON:?BECKON must point at the beckon binary}"
: "${BECKON_SRC:=$(cd "$(dirname "$0")/../.." && pwd)}"

T=$(mktemp -d /tmp/beckon-it.XXXXXX)
PIDS=""
NTESTS=0

# sanitizer builds: fail on the first report, leaks included
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=23}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

cleanup() {
	rc=$?
	for p in $PIDS; do
		kill -KILL "$p" 2>/dev/null || true
	done
	if [ "$rc" = 0 ]; then
		rm -rf "$T"
	else
		echo "test files kept in $T" >&2
		for f in "$T"/*.log; do
			[ -f "$f" ] || continue
			echo "---- $f (last 40 lines)" >&2
			tail -n 40 "$f" >&2
		done
	fi
	exit "$rc"
}
trap cleanup EXIT INT TERM

fail() {
	echo "FAIL: $*" >&2
	if [ -n "${BODY:-}" ]; then
		echo "  last status: ${STATUS:-}" >&2
		echo "  last body: $BODY" >&2
	fi
	exit 1
}

ok() {
	NTESTS=$((NTESTS + 1))
	echo "ok $NTESTS - $*"
}

# free_port [N]: a port P free for both TCP and UDP on 127.0.0.1 (with
# P+1 .. P+N-1 free too when N is given: baresip opens TLS on P+1), taken
# at random from 10000-19999. Not from the kernel's ephemeral range
# (32768-60999): there any outgoing connection or UDP client socket of a
# test running alongside (curl, a browser, a SIP client) may take the port
# between this choice and the bind of the server it is for; the server
# then fails with "Address already in use" while the test talks to the
# stranger. Below 20000 it meets neither that nor beckon's RTP ranges.
# Ports handed out before (listed in $T/ports.given) are never handed out
# again, even before their server binds them: a sipp's media block must
# not take the SIP port chosen for another sipp that starts later.
free_port() {
	python3 - "${1:-1}" "$T/ports.given" <<'PY'
import fcntl, random, socket, sys
n, given = int(sys.argv[1]), sys.argv[2]
def free(p):
    try:
        for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            s = socket.socket(socket.AF_INET, kind)
            s.bind(("127.0.0.1", p))
            s.close()
    except OSError:
        return False
    return True
with open(given, "a+") as f:
    fcntl.flock(f, fcntl.LOCK_EX)
    f.seek(0)
    taken = {int(w) for w in f.read().split()}
    for _ in range(200):
        p = random.randrange(10000, 20000 - n)
        block = range(p, p + n)
        if not taken.intersection(block) and all(free(q) for q in block):
            f.write("".join("%d\n" % q for q in block))
            print(p)
            break
    else:
        raise SystemExit("no free port in 10000-19999")
PY
}

# start_beckon NAME [--key value ...]: sets URL, PID, DB; waits for /healthz
start_beckon() {
	name=$1
	shift
	PORT=$(free_port)
	URL="http://127.0.0.1:$PORT"
	DB="${DB:-$T/$name.db}"
	# the demo shop listens on a port of its own choosing (tests run
	# side by side)
	"$BECKON" serve --http_listen "127.0.0.1:$PORT" --db "sqlite:$DB" \
		--demo_listen 127.0.0.1:0 "$@" >>"$T/$name.log" 2>&1 &
	PID=$!
	PIDS="$PIDS $PID"
	i=0
	until curl -s -o /dev/null "$URL/healthz" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 200 ] || ! kill -0 "$PID" 2>/dev/null; then
			fail "beckon ($name) did not start"
		fi
		sleep 0.05
	done
}

# stop_beckon: SIGTERM, wait, and insist on a clean exit and a clean log
stop_beckon() {
	kill -TERM "$PID"
	rc=0
	wait "$PID" || rc=$?
	[ "$rc" = 0 ] || fail "beckon exited with $rc"
	if grep -q "Sanitizer\|runtime error" "$T"/*.log; then
		fail "sanitizer report in the log"
	fi
}

# req METHOD PATH [curl args...]: sets STATUS, BODY and HDRS ($T/hdrs)
req() {
	method=$1
	path=$2
	shift 2
	BODY=$(curl -s -S -X "$method" -D "$T/hdrs" -o - \
		-w '\n%{http_code}' "$@" "$URL$path") || fail "curl $method $path"
	STATUS=$(printf '%s' "$BODY" | tail -n 1)
	BODY=$(printf '%s' "$BODY" | sed '$d')
}

post_json() {
	req POST /v1/callbacks -H 'Content-Type: application/json' \
		--data-binary "$@"
}

expect_status() {
	[ "$STATUS" = "$1" ] || fail "${2:-request}: status $STATUS, expected $1"
}

# jv FILTER: a value of the last body (jq -r)
jv() {
	printf '%s' "$BODY" | jq -r "$1" 2>/dev/null || fail "not JSON: $BODY"
}

expect_jv() {
	got=$(jv "$1")
	[ "$got" = "$2" ] || fail "${3:-$1}: $1 is '$got', expected '$2'"
}

# expect_error STATUS CODE [FIELD]
expect_error() {
	expect_status "$1" "error $2"
	expect_jv .error.code "$2"
	if [ $# -ge 3 ]; then
		expect_jv .error.field "$3"
	fi
	[ -n "$(jv .error.message)" ] || fail "no error message"
}

hdr() {
	grep -i "^$1:" "$T/hdrs" | head -n 1 | cut -d: -f2- | tr -d '\r' |
		sed 's/^ *//'
}

# ---- waiting for a server

# wait_tcp PORT: until something listens on the TCP port (bounded)
wait_tcp() {
	i=0
	until ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; do
		i=$((i + 1))
		[ $i -le 250 ] || fail "nothing listens on tcp port $1"
		sleep 0.02
	done
}

# wait_log FILE PATTERN COUNT: until PATTERN is in FILE COUNT times
wait_log() {
	i=0
	# grep -c reads the pipe: a count (0 too) even while $1 is missing
	until [ "$(cat "$1" 2>/dev/null | grep -c -- "$2")" -ge "$3" ]; do
		i=$((i + 1))
		[ $i -le 300 ] || fail "'$2' not seen $3 times in $1"
		sleep 0.05
	done
}

# ---- SIP peers and the callback's life, for the tests with the dialer

# wait_udp PORT [PID]: until something (process PID, when given) listens
# on the UDP port (bounded). With PID a stranger on the port is an error
# at once, not a peer the test would then talk to.
wait_udp() {
	i=0
	while :; do
		l=$(ss -Hlunp "sport = :$1" 2>/dev/null)
		if [ -n "$l" ]; then
			[ -z "${2:-}" ] && return 0
			case $l in *"pid=$2,"*) return 0 ;; esac
		fi
		if [ -n "${2:-}" ] && ! kill -0 "$2" 2>/dev/null; then
			fail "process $2 for udp port $1 exited (taken: $l)"
		fi
		i=$((i + 1))
		[ $i -le 250 ] || fail "process ${2:-?} not on udp port $1: $l"
		sleep 0.02
	done
}

# start_sipp NAME SCENARIO PORT CALLS: a sipp UAS from
# tests/sipp/SCENARIO/scenario.xml on 127.0.0.1:PORT, in the background,
# for CALLS calls. Sets PID_NAME; its errors go to $T/NAME.err and every
# message it saw to $T/NAME.msg (see invites).
start_sipp() {
	sipp -sf "$BECKON_SRC/tests/sipp/$2/scenario.xml" -i 127.0.0.1 \
		-p "$3" -m "$4" -nostdin -trace_err -error_file "$T/$1.err" \
		-trace_msg -message_file "$T/$1.msg" >"$T/$1.out" 2>&1 &
	eval "PID_$1=$!"
	PIDS="$PIDS $!"
	wait_udp "$3" "$!"
}

# invites NAME [USER]: how many INVITEs the sipp NAME has received so far
# (only those for sip:USER@... when USER is given)
invites() {
	grep -c "^INVITE sip:${2:+$2@}" "$T/$1.msg" 2>/dev/null || true
}

# wait_status ID STATUS [SECONDS]: poll the public status of callback ID
# until it is STATUS (at most SECONDS, 15 by default)
wait_status() {
	i=0
	while :; do
		req GET "/v1/callbacks/$1"
		[ "$(jv .status)" = "$2" ] && return 0
		i=$((i + 1))
		[ $i -lt $((${3:-15} * 10)) ] ||
			fail "callback $1 is $(jv .status), expected $2"
		sleep 0.1
	done
}

# sipp_wait NAME...: each sipp started as NAME (PID_NAME) must have ended
# its scenario, exit status 0
sipp_wait() {
	for s in "$@"; do
		eval "pid=\$PID_$s"
		rc=0
		wait "$pid" || rc=$?
		log="$T/$s.out"
		[ -f "$log" ] || log="$T/sipp-$s.log"
		[ "$rc" = 0 ] || fail "sipp $s exited $rc: $(tail -5 "$log")"
	done
}

# agent_login LOGIN: log in to the desktop API with the demo password;
# sets CSRF_LOGIN (the token) and C_LOGIN (a "Cookie: ..." header)
agent_login() {
	req POST /agent/api/login -H 'Content-Type: application/json' \
		--data "{\"login\":\"$1\",\"password\":\"demo\"}"
	expect_status 200 "log-in $1"
	eval "CSRF_$1=\$(jv .csrf)"
	eval "C_$1=\"Cookie: beckon_session=\$(hdr Set-Cookie |
		sed 's/^beckon_session=\([^;]*\);.*/\1/')\""
}

# ---- rtpengine, the media engine between browsers (WebRTC) and the dialer

# ng_ping HOST PORT: rtpengine at HOST:PORT answers an ng "ping" (bencode
# after a cookie) with "pong" within 200 ms
ng_ping() {
	python3 - "$1" "$2" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.2)
s.sendto(b"p1 d7:command4:pinge", (sys.argv[1], int(sys.argv[2])))
try:
    ok = s.recv(512) == b"p1 d6:result4:ponge"
except OSError:
    ok = False
sys.exit(0 if ok else 1)
PY
}

# need_browser: node and the browser tests' tools (playwright-core,
# Chromium) are there, or the test fails saying which
need_browser() {
	command -v node >/dev/null ||
		fail "node is not installed (scripts/deps.sh)"
	sh "$BECKON_SRC/tests/browser/setup.sh" || fail "browser test set-up"
}

# the audio checks (tones.py) and the ng client for rtpengine
TONES="python3 $BECKON_SRC/tests/sipp/lib/tones.py"
NG="$(dirname "$BECKON")/beckon-ng"

# mic_wav HZ SECS: $T/micHZ.wav, SECS s of a HZ tone at 48 kHz, a page's
# microphone in Chromium
mic_wav() {
	sox -n -r 48000 -c 1 -b 16 "$T/mic$1.wav" synth "$2" sine "$1" vol 0.5
}

# hears WAV CHECK MARK TO FRAC: tones.py's CHECK holds in FRAC of WAV
# from 0.6 s after MARK (a page's "connected": media may start half a
# second later on a loaded machine) to MARK + TO s
hears() {
	$TONES "$1" "$2" "$(awk "BEGIN { print $3 + 0.6 }")" \
		"$(awk "BEGIN { print $3 + $4 }")" "$5"
}

# start_rtpengine NAME: an rtpengine on 127.0.0.1 with a free ng control
# port and a free block of 40 media ports, until it answers a ping.
# Userspace only (--table=-1: no kernel module, runs as root in a
# sandbox); no config file (the packaged one would open fixed CLI and
# HTTP ports); a deleted call is gone at once (--delete-delay=0), so a
# test can check that nothing is left. Sets RTPE_NG (127.0.0.1:PORT) and
# PID_NAME; logs to $T/NAME.log.
start_rtpengine() {
	ng=$(free_port)
	rtp=$(free_port 40)
	rtpengine --config-file=none --table=-1 --foreground --log-stderr \
		--interface=127.0.0.1 --listen-ng="127.0.0.1:$ng" \
		--port-min="$rtp" --port-max=$((rtp + 39)) --delete-delay=0 \
		>>"$T/$1.log" 2>&1 &
	rpid=$!
	eval "PID_$1=$rpid"
	PIDS="$PIDS $rpid"
	i=0
	until ng_ping 127.0.0.1 "$ng"; do
		kill -0 "$rpid" 2>/dev/null || fail "rtpengine ($1) exited"
		i=$((i + 1))
		[ $i -le 50 ] || fail "rtpengine ($1) did not answer a ping"
	done
	RTPE_NG="127.0.0.1:$ng"
}

# stop_rtpengine NAME: SIGTERM the rtpengine started as NAME; it must
# exit cleanly
stop_rtpengine() {
	eval "pid=\$PID_$1"
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" = 0 ] || fail "rtpengine ($1) exited with $rc"
}

# ---- PostgreSQL, the store shared by several nodes (issue 12)

# start_postgres NAME: a PostgreSQL of its own in $T/NAME (initdb, trust
# for the superuser "postgres"), on a Unix socket in that folder only (no
# TCP: listen_addresses empty), until pg_isready says it accepts
# connections. PostgreSQL refuses to run as root, which CI is: then initdb
# and postgres run as the system's postgres user (setpriv execs, so the
# pid is the postmaster's own). The binaries are Debian's, under
# /usr/lib/postgresql/VERSION/bin (not on PATH). Sets PGSOCK (the socket
# folder), PGURI (a libpq URI for the postgres database, as beckon's db
# key takes it), PG_BIN and PID_NAME; logs to $T/NAME.log.
start_postgres() {
	PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V |
		tail -n 1)
	[ -x "$PG_BIN/postgres" ] ||
		fail "PostgreSQL missing: see scripts/deps.sh"
	PGSOCK="$T/$1"
	mkdir -p "$PGSOCK"
	as_pg=""
	if [ "$(id -u)" = 0 ]; then
		id postgres >/dev/null 2>&1 || fail "no postgres user"
		# its own folder, and a way through $T (search only)
		chown postgres: "$PGSOCK"
		chmod o+x "$T"
		as_pg="setpriv --reuid=postgres --regid=postgres --init-groups"
	fi
	$as_pg "$PG_BIN/initdb" -D "$PGSOCK/data" -U postgres -A trust \
		-E UTF8 --locale=C.UTF-8 >>"$T/$1.log" 2>&1 ||
		fail "initdb ($1) failed"
	$as_pg "$PG_BIN/postgres" -D "$PGSOCK/data" -k "$PGSOCK" \
		-c listen_addresses= -c port=5432 ${PG_EXTRA_OPTS:-} \
		>>"$T/$1.log" 2>&1 &
	ppid=$!
	eval "PID_$1=$ppid"
	PIDS="$PIDS $ppid"
	i=0
	until "$PG_BIN/pg_isready" -q -h "$PGSOCK" -p 5432; do
		kill -0 "$ppid" 2>/dev/null || fail "postgres ($1) exited"
		i=$((i + 1))
		[ $i -le 300 ] || fail "postgres ($1) not ready after 30 s"
		sleep 0.1
	done
	PGURI="postgres://postgres@/postgres?host=$PGSOCK&port=5432"
}

# stop_postgres NAME: a fast shutdown (SIGINT: sessions ended, a
# checkpoint) of the PostgreSQL started as NAME; it must exit cleanly
stop_postgres() {
	eval "pid=\$PID_$1"
	kill -INT "$pid"
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" = 0 ] || fail "postgres ($1) exited with $rc"
}

# pg_createdb NAME: a new database NAME on the PostgreSQL started last
# (start_postgres); sets PGDB, its URI (the db key takes it)
pg_createdb() {
	"$PG_BIN/createdb" -h "$PGSOCK" -p 5432 -U postgres "$1" ||
		fail "createdb $1"
	PGDB="postgres://postgres@/$1?host=$PGSOCK&port=5432"
}

# psql_q SQL: the rows of SQL on $PGDB, unaligned, '|' between columns
psql_q() {
	"$PG_BIN/psql" -X -A -t -q -d "$PGDB" -c "$1" || fail "psql: $1"
}

# beckon_dialer NAME SIP CTL TRUNK [--key value ...]: a `beckon dialer`
# with SIP on SIP, call control on CTL (secret $SECRET), its trunk the
# sipp on TRUNK; logs to $T/NAME.log; sets DPID
beckon_dialer() {
	bd_log=$1 bd_sip=$2 bd_ctl=$3 bd_trunk=$4
	shift 4
	"$BECKON" dialer --sip_listen "127.0.0.1:$bd_sip" \
		--control_listen "127.0.0.1:$bd_ctl" \
		--control_secret "$SECRET" --rtp_ports 30000-39999 \
		--prompt_dir "$BECKON_SRC/share/prompts" \
		--trunk_uri "sip:\${e164}@127.0.0.1:$bd_trunk;user=phone" "$@" \
		>>"$T/$bd_log.log" 2>&1 &
	DPID=$!
	PIDS="$PIDS $DPID"
	wait_tcp "$bd_ctl"
}
