# Helpers of the webhook tests (sourced after common.sh): receivers
# (tests/integration/webhook_receiver.py) started and read back.

# start_receiver NAME PORT [FAILS [PEM]]: the receiver, logging to
# $T/NAME.got, over TLS with the certificate and key in PEM when given;
# PID_NAME is its pid
start_receiver() {
	python3 "$BECKON_SRC/tests/integration/webhook_receiver.py" "$2" \
		"$SECRET" "$T/$1.got" "${3:-0}" ${4:+"$4"} \
		>"$T/$1.out" 2>&1 &
	eval "PID_$1=$!"
	PIDS="$PIDS $!"
	scheme=http
	[ -z "${4:-}" ] || scheme=https
	i=0
	until curl -sk -o /dev/null "$scheme://127.0.0.1:$2/" 2>/dev/null; do
		i=$((i + 1))
		[ $i -le 100 ] || fail "receiver $1 did not start"
		sleep 0.05
	done
	: >"$T/$1.got"
}

# got NAME: the deliveries it accepted
got() {
	grep -v '^\(BADSIG\|FAILED\|HUNG\)$' "$T/$1.got" || true
}
