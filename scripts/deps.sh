#!/bin/sh
# Install the Debian packages beckon needs to build, run, test and bench.
# Idempotent: it installs only what is missing, so `make run` and `make test`
# can call it every time at the cost of one dpkg query. `deps.sh fuzz`
# adds what `make fuzz` needs: clang and its runtime (libFuzzer, ASan).
set -e

# prometheus for its promtool, which checks GET /metrics in a test (its
# service is kept from starting, below).
# groff-base for groff, which renders the manual pages in a test
# (tests/integration/install.sh; systemd-analyze is used there only if the
# machine has systemd: not installed for it, too heavy for a check).
# strace: what a node's loop resolves (tests/integration/pg_listen_addr.sh).
# valgrind: the instructions a request (bench/intake/instr.sh).
# postgresql for the tests' own servers (tests/lib/common.sh,
# start_postgres; its service is kept from starting, below) and for
# pgbench (bench/intake/pg.sh; in Debian's postgresql-NN it depends on),
# libpq-dev for the store's PostgreSQL backend.
# rtpengine-daemon, not the rtpengine metapackage: that one pulls a kernel
# module; beckon runs rtpengine in userspace (--table=-1).
PKGS="build-essential cmake pkg-config libre-dev libsqlite3-dev libsodium-dev
libssl-dev openssl libpq-dev postgresql
curl jq python3 sqlite3 tzdata chromium sip-tester baresip sox espeak-ng wrk nginx-light
rtpengine-daemon cppcheck prometheus groff-base strace valgrind
asterisk-core-sounds-en-wav asterisk-core-sounds-fr-wav asterisk-moh-opsound-wav"
if [ "${1:-}" = fuzz ]; then
	PKGS="$PKGS clang libclang-rt-14-dev"
fi

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

# the browser tests run on Node.js and npm (the machine's own, or Debian's)
if ! command -v npm >/dev/null 2>&1; then
	missing="$missing nodejs npm"
fi

if [ -z "$missing" ]; then
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing" >&2
	echo "deps: run as root or: sudo apt-get install$missing" >&2
	exit 1
fi

echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# nginx-light's post-install starts a system nginx on port 80,
# prometheus's one on 9090, postgresql's a cluster on 5432, and
# rtpengine-daemon's a system rtpengine on 2223; the tests and the bench
# start their own on loopback, so keep the system ones from starting.
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d.beckon
chmod +x /usr/sbin/policy-rc.d.beckon
if [ ! -e /usr/sbin/policy-rc.d ]; then
	cp /usr/sbin/policy-rc.d.beckon /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
rm -f /usr/sbin/policy-rc.d.beckon
apt-get install -y -qq --no-install-recommends $missing
