#!/bin/sh
# The PostgreSQL listeners resolve no host name on the event loop
# (src/store/pg_listen.c): libpq's PQconnectStartParams would resolve
# the URI's host with a blocking getaddrinfo. A PostgreSQL on 127.0.0.1
# (TCP, a free port), `beckon serve` with db host "localhost" under
# strace: only the start-up's connection (the store's, before the loop
# runs) reads /etc/hosts; the listeners' connections, on the loop, go to
# the address it reached (hostaddr) and read it no more. Without that,
# each listener's connect reads it again (three reads for one node).
. "$(dirname "$0")/../lib/common.sh"

command -v strace >/dev/null || fail "strace is not installed"
start_postgres pg
stop_postgres pg
P=$(free_port)
$as_pg "$PG_BIN/postgres" -D "$PGSOCK/data" -k "$PGSOCK" \
	-c listen_addresses=127.0.0.1 -c port="$P" >>"$T/pg.log" 2>&1 &
PGP=$!
PIDS="$PIDS $PGP"
i=0
until "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$P" -U postgres; do
	i=$((i + 1))
	[ $i -le 100 ] || fail "postgres on 127.0.0.1:$P not ready"
	sleep 0.1
done
"$PG_BIN/createdb" -h 127.0.0.1 -p "$P" -U postgres beckon_l ||
	fail "createdb"

# ready, then the listeners connected (their LISTEN acknowledged) well
# within the 6 s; SIGINT stops the node cleanly
HP=$(free_port)
timeout -s INT 6 strace -f -qq -e trace=openat,connect -e signal=none \
	-o "$T/strace" "$BECKON" serve --http_listen "127.0.0.1:$HP" \
	--db "postgres://postgres@localhost:$P/beckon_l" --node_id n1 \
	>"$T/srv.log" 2>&1 || true
grep -q "app: info: n1: ready" "$T/srv.log" || fail "not ready: \
$(tail -n 5 "$T/srv.log")"
n=$(grep -c "connect(.*htons($P)" "$T/strace" || true)
[ "$n" -ge 3 ] || fail "$n connections to PostgreSQL, not the store's \
and two listeners'"
r=$(grep -c '"/etc/hosts"' "$T/strace" || true)
[ "$r" = 1 ] || fail "/etc/hosts read $r times (strace: $T/strace)"
ok "localhost resolved once, at start-up; $((n - 1)) listener \
connections to its address, none resolved on the loop"

kill -INT "$PGP"
wait "$PGP" || fail "postgres exited $?"
