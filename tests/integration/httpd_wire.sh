#!/bin/sh
# beckon's HTTP server on the wire (raw sockets, python3): pipelining,
# keep-alive, Connection: close, HTTP/1.0, early 413, 411, 400/431/505.
. "$(dirname "$0")/../lib/common.sh"

start_beckon wire --demo
python3 "$BECKON_SRC/tests/integration/httpd_wire.py" "$PORT" ||
	fail "wire test"
stop_beckon
