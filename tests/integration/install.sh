#!/bin/sh
# make install, as a system administrator runs it: `cmake --install` (what
# `make install PREFIX=... DESTDIR=...` runs) of the build under test into
# a scratch DESTDIR with PREFIX /usr/local:
#   - the executable, share/ (web files, prompts), both manual pages, the
#     example configuration and the systemd unit land under DESTDIR, and
#     the files name /usr/local (PREFIX), never DESTDIR;
#   - the manual pages hold every key of `beckon serve --help` and render
#     without a warning;
#   - a second install keeps the administrator's edited configuration;
#   - the installed binary, started from DESTDIR with the installed
#     configuration (loopback, random ports), serves the installed files;
#   - beckon check -f: the installed configuration is ok; bad files are
#     refused with the file, the line and the key; it starts nothing;
#   - systemd-analyze verify finds nothing to say about the unit (when
#     the machine has systemd-analyze).
. "$(dirname "$0")/../lib/common.sh"

command -v groff >/dev/null || fail "groff is not installed (scripts/deps.sh)"

BUILD=$(dirname "$BECKON")
ROOT="$T/root"
P=/usr/local
I="$ROOT$P"

DESTDIR="$ROOT" cmake --install "$BUILD" --prefix "$P" >"$T/install.log" \
	2>&1 || fail "cmake --install: $(tail -n 5 "$T/install.log")"

[ -x "$I/bin/beckon" ] || fail "no executable $I/bin/beckon"
for f in share/beckon/www/widget/widget.js share/beckon/www/agent/index.html \
	share/beckon/prompts/goodbye.wav share/man/man8/beckon.8 \
	share/man/man5/beckon.conf.5 etc/beckon/beckon.conf \
	etc/beckon/beckon.conf.example lib/systemd/system/beckon.service; do
	[ -s "$I/$f" ] || fail "not installed: $P/$f"
done
[ ! -e "$I/share/beckon/prompts/make.sh" ] || fail "make.sh installed"
if grep -rl "$T" "$ROOT" >/dev/null 2>&1; then
	fail "DESTDIR in installed files: $(grep -rl "$T" "$ROOT")"
fi
grep -qx "www_dir $P/share/beckon/www" "$I/etc/beckon/beckon.conf" ||
	fail "the configuration does not name the installed www_dir"
grep -qx "db sqlite:/var/lib/beckon/beckon.db" \
	"$I/etc/beckon/beckon.conf" || fail "the database is not in /var/lib"
grep -qx "ExecStart=$P/bin/beckon serve -f $P/etc/beckon/beckon.conf" \
	"$I/lib/systemd/system/beckon.service" || fail "ExecStart"
ok "installed under DESTDIR with PREFIX $P: executable, share/, man pages," \
	"configuration, unit; the files name $P, not DESTDIR"

# the manual pages: every key, rendered without a warning
"$BECKON" serve --help | sed -n 's/^  --\([a-z_0-9]*\) .*/\1/p' \
	>"$T/keys"
[ "$(wc -l <"$T/keys")" -gt 50 ] || fail "keys from --help: $(cat "$T/keys")"
while read -r k; do
	grep -q "^\.B \\\\-\\\\-$k$" "$I/share/man/man8/beckon.8" ||
		fail "beckon(8) lacks --$k"
	grep -q "^\.B $k$" "$I/share/man/man5/beckon.conf.5" ||
		fail "beckon.conf(5) lacks $k"
done <"$T/keys"
for kind in business agent rule; do
	grep -q "^\.SH \[$kind ID\] KEYS" "$I/share/man/man5/beckon.conf.5" ||
		fail "beckon.conf(5) has no $kind keys"
done
for m in man8/beckon.8 man5/beckon.conf.5; do
	w=$(groff -man -ww -z "$I/share/man/$m" 2>&1)
	[ -z "$w" ] || fail "groff warns on $m: $w"
done
ok "beckon(8) and beckon.conf(5) list all $(wc -l <"$T/keys") keys;" \
	"groff renders them without a warning"

# the administrator's configuration survives a second install
echo "# edited by the administrator" >>"$I/etc/beckon/beckon.conf"
DESTDIR="$ROOT" cmake --install "$BUILD" --prefix "$P" >"$T/install2.log" \
	2>&1 || fail "second cmake --install"
tail -n 1 "$I/etc/beckon/beckon.conf" | grep -q "edited by" ||
	fail "a second install overwrote beckon.conf"
ok "a second install keeps the edited beckon.conf"

# the installed binary, from DESTDIR, with the installed configuration
# (its paths point at DESTDIR here: / is not ours to write)
BECKON="$I/bin/beckon" start_beckon installed -f "$I/etc/beckon/beckon.conf" \
	--www_dir "$I/share/beckon/www" \
	--prompt_dir "$I/share/beckon/prompts" \
	--record_dir "$T/recordings" --greeting_dir "$T/greetings"
req GET /v1/businesses/acme
expect_status 200
expect_jv .id acme
curl -s -o "$T/widget.js" "$URL/widget.js" || fail "GET /widget.js"
cmp -s "$T/widget.js" "$I/share/beckon/www/widget/widget.js" ||
	fail "/widget.js is not the installed file"
ok "the installed beckon starts from DESTDIR with the installed" \
	"configuration: its example business, the installed widget.js"

# beckon check: good, then bad files, each error with file, line and key
"$I/bin/beckon" check -f "$I/etc/beckon/beckon.conf" \
	--db "sqlite:$T/never.db" --http_listen "127.0.0.1:$PORT" \
	>"$T/check.out" 2>&1 || fail "check of the installed file: $(cat \
	"$T/check.out")"
grep -qx "$I/etc/beckon/beckon.conf: ok" "$T/check.out" ||
	fail "check says: $(cat "$T/check.out")"
[ ! -e "$T/never.db" ] || fail "beckon check opened the store"
ok "beckon check -f on the installed file: ok, exit 0; no store opened," \
	"no listener (its port is the running server's)"

# bad_check NAME 'CONTENT' 'EXPECTED LINE': refused, exit 1, with it
bad_check() {
	printf '%b' "$2" >"$T/$1.conf"
	rc=0
	"$I/bin/beckon" check -f "$T/$1.conf" >"$T/$1.out" 2>&1 || rc=$?
	[ "$rc" = 1 ] || fail "check of $1 exited $rc: $(cat "$T/$1.out")"
	grep -qF -- "$3" "$T/$1.out" ||
		fail "check of $1 says: $(cat "$T/$1.out")"
	if grep -q ": ok$" "$T/$1.out"; then
		fail "check of $1 says ok"
	fi
}
bad_check unknown "# a comment\nhttp_listen 127.0.0.1:8080\nrign_timeout 30\n" \
	"$T/unknown.conf:3: unknown key 'rign_timeout'"
bad_check range "\n\nring_timeout 9000\n" \
	"$T/range.conf:3: ring_timeout: 9000 is outside 1..600"
bad_check type "demo maybe\n" "$T/type.conf:1: demo: 'maybe' is not yes or no"
bad_check addr "http_listen localhost\n" \
	"$T/addr.conf:1: http_listen: 'localhost' is not host:port"
bad_check section "[business shop]\nhours always\nmax_hold lots\n" \
	"$T/section.conf:3: max_hold: 'lots' is not a whole number"
bad_check seckey "[agent ann]\nwings 2\n" \
	"$T/seckey.conf:2: unknown agent key 'wings'"
bad_check dialer "dialer tcp://nowhere\n" \
	"dialer tcp://nowhere: not tcp://HOST:PORT"
printf 'log_level info\n' >"$T/nofile.conf"
rc=0
"$I/bin/beckon" check >"$T/nofile.out" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "check: -f FILE is required" "$T/nofile.out" ||
	fail "check without -f: exit $rc, $(cat "$T/nofile.out")"
ok "beckon check refuses bad files (exit 1) naming the file, the line" \
	"and the key: unknown key, out of range, not a boolean, not" \
	"host:port, a section's value and key, a dialer URL; no -f"

stop_beckon

# the unit, with its paths moved into DESTDIR (systemd-analyze wants the
# executable to exist): nothing to say about it
if command -v systemd-analyze >/dev/null; then
	sed "s#$P/#$I/#g" "$I/lib/systemd/system/beckon.service" \
		>"$T/beckon.service"
	out=$(systemd-analyze verify --man=no "$T/beckon.service" 2>&1) ||
		fail "systemd-analyze verify: $out"
	[ -z "$out" ] || fail "systemd-analyze verify says: $out"
	ok "systemd-analyze verify: the unit is clean"
else
	ok "systemd-analyze is not installed: the unit was not verified"
fi
