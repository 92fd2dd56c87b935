#!/bin/sh
# Static files: the desktop's pages with their security headers, the
# widget with caching, and paths that try to leave www_dir.
. "$(dirname "$0")/../lib/common.sh"

mkdir -p "$T/www/agent/js" "$T/www/widget" "$T/secret"
printf '<!doctype html><title>desk</title>\n' >"$T/www/agent/index.html"
printf 'console.log(1);\n' >"$T/www/agent/js/app.js"
printf '/* w */\n' >"$T/www/widget/widget.js"
printf 'top secret\n' >"$T/secret/key"
printf 'hidden\n' >"$T/www/agent/.env"

start_beckon static --www_dir "$T/www"

req GET /agent
expect_status 301
[ "$(hdr Location)" = /agent/ ] || fail "redirect"
req GET /agent/
expect_status 200
printf '%s' "$BODY" | grep -q '<title>desk</title>' || fail "index"
hdr Content-Type | grep -q 'text/html' || fail "content type"
CSP=$(hdr Content-Security-Policy)
printf '%s' "$CSP" | grep -q "frame-ancestors 'none'" || fail "CSP: $CSP"
printf '%s' "$CSP" | grep -q "script-src 'self'" || fail "CSP: $CSP"
[ "$(hdr X-Content-Type-Options)" = nosniff ] || fail "nosniff"
req GET /agent/js/app.js
expect_status 200
hdr Content-Type | grep -q 'text/javascript' || fail "js type"
ok "/agent/ serves the desktop with CSP, frame-ancestors, nosniff"

for p in "/agent/../secret/key" "/agent/js/../../../secret/key" \
	"/agent/.env" "/agent//js/app.js" "/agent/%2e%2e/secret/key" \
	"/agent/nope.html"; do
	req GET "$p" --path-as-is
	expect_status 404 "$p"
	printf '%s' "$BODY" | grep -q secret && fail "leaked via $p"
done
req POST /agent/index.html --data x
expect_status 405
ok "paths outside www_dir, hidden files and missing files: 404"

req GET /widget.js
expect_status 200
hdr Cache-Control | grep -q 'max-age' || fail "widget caching"
[ "$(hdr Access-Control-Allow-Origin)" = '*' ] || fail "widget CORS"
ok "/widget.js with caching headers, loadable from any site"

stop_beckon
