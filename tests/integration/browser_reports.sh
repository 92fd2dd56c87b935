#!/bin/sh
# The supervisor's Reports and Find callbacks in a real browser (headless
# Chromium through playwright-core, tests/browser/reports.mjs) over a
# month of callbacks written into beckon's SQLite file by
# tests/integration/reports.py (New York's DST change on March 8th, keys
# and pages that carry markup). Screenshots go to artifacts/reports/.
. "$(dirname "$0")/../lib/common.sh"

need_browser

ART="${BECKON_ARTIFACTS:-$PWD/artifacts}/reports"
rm -rf "$ART"
mkdir -p "$ART"

start_beckon reports --demo --www_dir "$BECKON_SRC/share/www"
# a business bob does not supervise: none of it may show
req PUT /v1/admin/businesses/paris -H 'Authorization: Bearer demo' \
	-H 'Content-Type: application/json' \
	--data '{"name":"Paris","timezone":"Europe/Paris","country":"33"}'
expect_status 201 "business paris"
stop_beckon
python3 "$BECKON_SRC/tests/integration/reports.py" gen "$DB" >/dev/null ||
	fail "generating the month"
start_beckon reports --demo --www_dir "$BECKON_SRC/share/www"
ok "beckon with a generated month of callbacks"

SLOW=1
[ "${BECKON_SANITIZE:-0}" = 1 ] || [ "${BECKON_SANITIZE:-}" = ON ] && SLOW=3

rc=0
BECKON_URL="$URL" ART="$ART" SLOW="$SLOW" \
	node "$BECKON_SRC/tests/browser/reports.mjs" >"$T/browser.log" 2>&1 ||
	rc=$?
sed "s/^/  browser: /" "$T/browser.log"
[ "$rc" = 0 ] || fail "the browser test failed (screenshots in $ART)"

stop_beckon
