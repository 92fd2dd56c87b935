#!/bin/sh
# bench/store_pg: the PostgreSQL backend's cost (src/store/pg.c: a worker
# thread, ops handed over and back) next to bare libpq sending the same
# prepared upsert from one thread, in the same run, on a PostgreSQL of
# its own (tests/lib/common.sh, start_postgres: a Unix socket, fsync on).
# One op per transaction (BATCH 1: the latency path) and 64 (group
# commit). Knob: BENCH_REQUESTS (5000).
#
#   sh bench/store_pg/run.sh [path/to/beckon]     (or: make bench-store-pg)
BECKON=${1:-build/beckon}
export BECKON
. "$(dirname "$0")/../../tests/lib/common.sh"

N=${BENCH_REQUESTS:-5000}
BENCH="$(dirname "$BECKON")/beckon-pgopsbench"
[ -x "$BENCH" ] || fail "no $BENCH (make build)"

start_postgres pg
for b in 1 64; do
	"$PG_BIN/createdb" -h "$PGSOCK" -p 5432 -U postgres "b$b" ||
		fail "createdb"
	"$BENCH" "postgres://postgres@/b$b?host=$PGSOCK&port=5432" "$N" "$b" ||
		fail "pgopsbench"
done
stop_postgres pg
