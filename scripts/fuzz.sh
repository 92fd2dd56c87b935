#!/bin/sh
# Run the libFuzzer targets built in DIR (make fuzz), each for SECONDS.
#
#   sh scripts/fuzz.sh DIR SECONDS [NAME...]     (NAME: http_head, ...)
#
# Each target starts from its seed corpus (fuzz/corpus/NAME, read only)
# and keeps what it finds in DIR/corpus/NAME; a crash, leak, UB or
# timeout is written to DIR/artifacts/NAME/ and fails the run. FUZZ_JOBS
# targets run at a time (default 1), under nice. One summary line per
# target: its runs, coverage and result; the full logs are DIR/logs/.
set -u

dir=$1
secs=$2
shift 2
src=$(cd "$(dirname "$0")/.." && pwd)
jobs=${FUZZ_JOBS:-1}

names="$*"
if [ -z "$names" ]; then
	for f in "$src"/fuzz/fuzz_*.c; do
		n=$(basename "$f" .c)
		names="$names ${n#fuzz_}"
	done
fi

mkdir -p "$dir/logs"

run_one() {
	n=$1
	bin="$dir/fuzz_$n"
	log="$dir/logs/$n.log"
	dict=""

	mkdir -p "$dir/corpus/$n" "$dir/artifacts/$n"
	[ -f "$src/fuzz/$n.dict" ] && dict="-dict=$src/fuzz/$n.dict"
	# shellcheck disable=SC2086
	nice -n 10 "$bin" -max_total_time="$secs" -timeout=10 \
		-print_final_stats=1 -artifact_prefix="$dir/artifacts/$n/" \
		$dict "$dir/corpus/$n" "$src/fuzz/corpus/$n" >"$log" 2>&1
	rc=$?
	runs=$(LC_ALL=C sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	cov=$(grep -ao 'cov: [0-9]*' "$log" | tail -1)
	if [ $rc = 0 ]; then
		echo "fuzz: $n: ${secs}s, ${runs:-?} runs, ${cov:-cov: ?}, clean"
	else
		echo "fuzz: $n: FAILED (exit $rc) after ${runs:-?} runs," \
		     "see $log and $dir/artifacts/$n/"
		: >"$dir/logs/$n.failed"
	fi
}

rm -f "$dir"/logs/*.failed
i=0
for n in $names; do
	if [ ! -x "$dir/fuzz_$n" ]; then
		echo "fuzz: no target $dir/fuzz_$n" >&2
		exit 2
	fi
	run_one "$n" &
	i=$((i + 1))
	if [ $((i % jobs)) = 0 ]; then
		wait
	fi
done
wait

if ls "$dir"/logs/*.failed >/dev/null 2>&1; then
	exit 1
fi
