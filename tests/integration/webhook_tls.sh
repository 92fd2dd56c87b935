#!/bin/sh
# HTTPS webhook endpoints are verified (issue 13), against real TLS
# receivers on loopback with certificates made here by openssl: a private
# CA given in webhook_ca_file, a name served by a real name server. A
# certificate of that CA for the endpoint's name is delivered, signed;
# a self-signed one (an unknown CA), one for another name, one for the
# name but not the URL's address, and an expired one are refused before
# anything is sent, the delivery's error naming the certificate's fault.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/webhook.sh"

SECRET=whsec-test-0123456789
J='Content-Type: application/json'
A='Authorization: Bearer demo'
W=/v1/admin/businesses/demo/webhooks
NAME=hook.beckon.test

# ---- the certificates: a CA, and leaves signed by it (openssl ca, which
# can date a certificate in the past)
mkdir "$T/ca"
: >"$T/ca/index.txt"
echo 01 >"$T/ca/serial"
cat >"$T/ca/ca.cnf" <<CNF
[ca]
default_ca = test
[test]
database = $T/ca/index.txt
new_certs_dir = $T/ca
serial = $T/ca/serial
default_md = sha256
policy = any
copy_extensions = copy
unique_subject = no
[any]
commonName = supplied
CNF
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/ca/ca.key" -out "$T/ca/ca.pem" -days 2 \
	-subj "/CN=beckon test CA" \
	-addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null

# leaf FILE SAN [START END]: FILE.pem, the certificate then its key
leaf() {
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$T/$1.key" -out "$T/$1.csr" -subj "/CN=$NAME" \
		-addext "subjectAltName=$2" \
		-addext "extendedKeyUsage=serverAuth" 2>/dev/null
	if [ -n "${3:-}" ]; then
		set -- "$1" "$2" -startdate "$3" -enddate "$4"
	else
		set -- "$1" "$2" -days 2
	fi
	f=$1
	shift 2
	openssl ca -batch -notext -config "$T/ca/ca.cnf" \
		-cert "$T/ca/ca.pem" -keyfile "$T/ca/ca.key" \
		-in "$T/$f.csr" -out "$T/$f.crt" "$@" 2>/dev/null ||
		fail "openssl ca: $f"
	cat "$T/$f.crt" "$T/$f.key" >"$T/$f.pem"
}
leaf good "DNS:$NAME"
leaf other "DNS:other.beckon.test"
leaf expired "DNS:$NAME" 20200101000000Z 20200201000000Z
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/self.key" -out "$T/self.crt" -days 2 -subj "/CN=$NAME" \
	-addext "subjectAltName=DNS:$NAME" 2>/dev/null
cat "$T/self.crt" "$T/self.key" >"$T/self.pem"
# the one we trust is valid for openssl itself
openssl verify -CAfile "$T/ca/ca.pem" "$T/good.crt" >/dev/null ||
	fail "the test's own certificate does not verify"

# ---- the receivers, the name server, beckon
for r in good other expired self; do
	eval "P_$r=\$(free_port)"
	eval "start_receiver $r \$P_$r 0 '$T/$r.pem'"
done
DNSP=$(free_port)
python3 "$BECKON_SRC/tests/lib/dns.py" "$DNSP" "$NAME=127.0.0.1" \
	>"$T/dns.out" 2>&1 &
PIDS="$PIDS $!"
wait_udp "$DNSP" "$!"
start_beckon tls --demo --webhook_allow_private yes \
	--dns_servers "127.0.0.1:$DNSP" --webhook_ca_file "$T/ca/ca.pem"

# add_webhook VAR URL: its id in VAR
add_webhook() {
	req POST "$W" -H "$A" -H "$J" --data \
		"{\"url\":\"$2\",\"secret\":\"$SECRET\"}"
	expect_status 201
	eval "$1=\$(jv .id)"
}
add_webhook WH_good "https://$NAME:$P_good/hook"
add_webhook WH_other "https://$NAME:$P_other/hook"
add_webhook WH_expired "https://$NAME:$P_expired/hook"
add_webhook WH_self "https://$NAME:$P_self/hook"
add_webhook WH_addr "https://127.0.0.1:$P_good/hook"

post_json '{"business":"demo","phone":"+14155550170"}'
expect_status 202
CB=$(jv .id)

# tried WH: its first delivery was attempted (bounded wait)
tried() {
	req GET "$W/$1/deliveries" -H "$A"
	[ "$(jv '.deliveries[0].attempts')" -ge 1 ]
}
wait_tried() {
	i=0
	until tried "$1"; do
		i=$((i + 1))
		[ $i -le 300 ] || fail "no attempt to $1"
		sleep 0.05
	done
}

wait_tried "$WH_good"
expect_jv '.deliveries[0].state' delivered
[ "$(got good | cut -d' ' -f2-3)" = "callback.created $CB" ] ||
	fail "good got: $(cat "$T/good.got")"
ok "a certificate of webhook_ca_file's CA for the name: delivered, signed"

# refused WH RECEIVER WHY: not delivered, the error says why, nothing
# reached the receiver
refused() {
	wait_tried "$1"
	expect_jv '.deliveries[0].state' pending
	expect_jv ".deliveries[0].last_error | test(\"^TLS certificate \
refused: .*$3\")" true
	[ ! -s "$T/$2.got" ] || fail "$2 got: $(cat "$T/$2.got")"
}
refused "$WH_self" self "self.signed certificate"
ok "a self-signed certificate (unknown CA): refused, the error says so"
refused "$WH_other" other "hostname mismatch"
ok "the CA's certificate for another name: refused (hostname mismatch)"
refused "$WH_addr" none "IP address mismatch"
ok "the name's certificate at an address URL: refused (IP mismatch)"
refused "$WH_expired" expired "certificate has expired"
ok "an expired certificate of the CA: refused"
got good | grep -c . | grep -qx 1 || fail "good: $(cat "$T/good.got")"
stop_beckon

# ---- the system's store alone does not trust the test's CA
DB="$T/noca.db" start_beckon noca --demo --webhook_allow_private yes \
	--dns_servers "127.0.0.1:$DNSP"
add_webhook WH_noca "https://$NAME:$P_good/hook"
post_json '{"business":"demo","phone":"+14155550171"}'
expect_status 202
refused "$WH_noca" none "local issuer"
got good | grep -c . | grep -qx 1 || fail "good: $(cat "$T/good.got")"
ok "without webhook_ca_file the same endpoint is refused (unknown issuer)"
stop_beckon

# ---- a webhook_ca_file that cannot be read stops the start, named
"$BECKON" serve --http_listen 127.0.0.1:0 --db "sqlite:$T/bad.db" \
	--webhook_ca_file "$T/nothing.pem" >"$T/bad.out" 2>&1 &&
	fail "started with an unreadable webhook_ca_file"
grep -q "webhook_ca_file $T/nothing.pem" "$T/bad.out" ||
	fail "not named: $(cat "$T/bad.out")"
ok "an unreadable webhook_ca_file: beckon does not start, says which"
