#!/bin/sh
# The agent desk in a real browser (headless Chromium through
# playwright-core, tests/browser/desktop.mjs) against the real server with
# the dialer in process and sipp phones on loopback: alice logs in and
# goes available, a callback with a page URL pops on her desk with the
# page and the customer's history, both phones answer, the call is
# connected, she hangs up and records a sale, which is in the store and in
# the history; bob's supervisor view shows the queue and the figures
# change. A name and a page title carrying script stay inert. Screenshots
# of the key screens go to artifacts/desktop/ in the build directory.
. "$(dirname "$0")/../lib/common.sh"

SIPP=$(command -v sipp) || fail "sipp is not installed"
command -v sqlite3 >/dev/null || fail "sqlite3 is not installed"
need_browser

ART="${BECKON_ARTIFACTS:-$PWD/artifacts}/desktop"
rm -rf "$ART"
mkdir -p "$ART"

SIP=$(free_port)
CUST=$(free_port)
AGENT=$(free_port)
CTL=$(free_port)
SITE=$(free_port)

# the customer's phone behind the trunk, which refuses the first call
# (rejected) and answers two, and alice's desk phone, which answers two:
# each answered call waits for the BYE
for s in cust:$CUST:uas_reject_first:3 agent:$AGENT:uas_answer:2; do
	# shellcheck disable=SC2046
	set -- $(echo "$s" | tr : ' ')
	name=$1 port=$2 scn=$3 calls=$4
	"$SIPP" -sf "$BECKON_SRC/tests/sipp/$scn/scenario.xml" \
		-i 127.0.0.1 -p "$port" -m "$calls" -nostdin -trace_err \
		-error_file "$T/sipp-$name.err" >"$T/sipp-$name.log" 2>&1 &
	eval "PID_$name=$!"
	PIDS="$PIDS $!"
done

# the shop's pages the customer was reading: one that may be framed, one
# that forbids it (X-Frame-Options and frame-ancestors)
cat >"$T/site.py" <<'EOF'
import http.server, sys

PAGE = b"""<!doctype html><html><head><meta charset="utf-8">
<title>Bikes - pricing</title></head><body>
<h1 id="shop-h">Demo Shop pricing</h1><p>City bike 499.90 USD</p>
</body></html>"""

class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.startswith("/noframe"):
            body, extra = PAGE, [("X-Frame-Options", "DENY"),
                                 ("Content-Security-Policy",
                                  "frame-ancestors 'none'")]
        elif self.path.startswith("/pricing"):
            body, extra = PAGE, []
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass

http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])),
                                H).serve_forever()
EOF
python3 "$T/site.py" "$SITE" >"$T/site.log" 2>&1 &
PID_site=$!
PIDS="$PIDS $PID_site"

start_beckon desk --demo --dialer local --sip_listen "127.0.0.1:$SIP" \
	--control_listen "127.0.0.1:$CTL" \
	--prompt_dir "$BECKON_SRC/share/prompts" \
	--www_dir "$BECKON_SRC/share/www" \
	--trunk_uri "sip:\${e164}@127.0.0.1:$CUST;user=phone"

i=0
until curl -s -o /dev/null "http://127.0.0.1:$SITE/pricing"; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "the test site did not start"
	sleep 0.05
done

"$BECKON" --server "$URL" --token demo agent set alice \
	--endpoint "sip:alice@127.0.0.1:$AGENT" >/dev/null ||
	fail "agent set alice"
ok "beckon with the dialer, two sipp phones and the shop's pages are up"

# under ASan everything is slower: the browser waits longer
SLOW=1
[ "${BECKON_SANITIZE:-0}" = 1 ] || [ "${BECKON_SANITIZE:-}" = ON ] && SLOW=3

rc=0
BECKON_URL="$URL" SITE_URL="http://127.0.0.1:$SITE" DB="$DB" ART="$ART" \
	SLOW="$SLOW" node "$BECKON_SRC/tests/browser/desktop.mjs" \
	>"$T/browser.log" 2>&1 || rc=$?
sed "s/^/  browser: /" "$T/browser.log"
[ "$rc" = 0 ] || fail "the browser test failed (screenshots in $ART)"

# what the browser saw is what the store holds
ID=$(cat "$ART/sale-id.txt")
[ "$(sqlite3 "$DB" "SELECT disposition||'|'||product||'|'||quantity||'|'||
	amount_cents||'|'||currency||'|'||order_ref||'|'||agent_id
	FROM outcomes WHERE callback_id='$ID'")" = \
	'sale|City bike|1|149990|USD|A-17|alice' ] ||
	fail "outcome row: $(sqlite3 "$DB" "SELECT * FROM outcomes")"
[ "$(sqlite3 "$DB" "SELECT status||'|'||ended_reason FROM callbacks
	WHERE id='$ID'")" = 'completed|agent_hangup' ] || fail "callback row"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM events WHERE callback_id='$ID'
	AND type='wrap_up'")" = 1 ] || fail "wrap_up event"
ok "the store: the sale (1,499.90 typed: 149990 cents USD, order A-17) by alice, completed by agent_hangup"

sipp_wait cust agent
ok "the customer's phone refused one call and took two, alice's took" \
	"two, each ended by a BYE"

kill "$PID_site" 2>/dev/null || true
stop_beckon
ls "$ART"/*.png >/dev/null 2>&1 || fail "no screenshots"
ok "screenshots: $(cd "$ART" && ls *.png | tr '\n' ' ')"
