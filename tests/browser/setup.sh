#!/bin/sh
# Install playwright-core for the browser tests (once; node_modules is
# kept between runs). Chromium itself is Debian's, from scripts/deps.sh.
set -e
cd "$(dirname "$0")"
if [ ! -d node_modules/playwright-core ]; then
	npm install --no-audit --no-fund --loglevel=error >/dev/null
fi
test -x /usr/bin/chromium || { echo "no /usr/bin/chromium" >&2; exit 1; }
