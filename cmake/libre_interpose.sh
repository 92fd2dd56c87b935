#!/bin/sh
# The configure-time check of libre (cmake/libre_interpose.c) as a test:
# it passes with the libre beckon is built against, and it can fail: with
# the same libre linked -Bsymbolic-functions (made here from Debian's
# libre.a), whose calls to its own functions never leave it, it must
# exit non-zero naming the functions. Usage: libre_interpose.sh CHECK
set -eu

check=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! out=$("$check"); then
	echo "FAIL: the libre found: $out" >&2
	exit 1
fi

a=$(pkg-config --variable=libdir libre)/libre.a
libs=$(pkg-config --static --libs-only-l libre | sed 's/-lre\b//g')
# shellcheck disable=SC2086
cc -shared -o "$tmp/libre.so.0" -Wl,-soname,libre.so.0 \
	-Wl,--whole-archive "$a" -Wl,--no-whole-archive \
	-Wl,-Bsymbolic-functions $libs

if out=$(LD_LIBRARY_PATH=$tmp "$check"); then
	echo "FAIL: passed with a -Bsymbolic libre" >&2
	exit 1
fi
case $out in
*"never reached: tmr_start, tmr_cancel, tmr_poll, tmr_next_timeout,"*)
	;;
*)
	echo "FAIL: with a -Bsymbolic libre: $out" >&2
	exit 1
	;;
esac
echo "ok: passes with $(pkg-config --modversion libre), fails with" \
	"it -Bsymbolic: $out"
