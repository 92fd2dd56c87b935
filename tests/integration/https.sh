#!/bin/sh
# HTTPS built in (https_listen, tls_cert, tls_key): a certificate made by
# openssl here; curl trusting it (--cacert) and raw TLS clients (python
# ssl, https_wire.py) for keep-alive, pipelining, the desk's WebSocket
# over TLS and failed handshakes; and a server that refuses to start,
# saying which file and why, on a missing, non-PEM, encrypted or
# mismatched certificate or key, without logging the key.
. "$(dirname "$0")/../lib/common.sh"

# mkcert NAME: a self-signed EC certificate for localhost and 127.0.0.1
mkcert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -keyout "$T/$1.key" -out "$T/$1.crt" -days 2 \
		-subj /CN=localhost \
		-addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
		>/dev/null 2>&1 || fail "openssl req ($1)"
}
mkcert good
mkcert other
openssl pkey -in "$T/good.key" -aes256 -passout pass:secret \
	-out "$T/enc.key" 2>/dev/null || fail "openssl pkey -aes256"
echo "not a certificate" >"$T/junk.pem"

# refuse NAME EXPECTED CERT KEY: beckon must exit non-zero (without
# waiting on a terminal for a password) and say EXPECTED
refuse() {
	name=$1
	want=$2
	rc=0
	timeout 20 "$BECKON" serve --http_listen 127.0.0.1:0 \
		--db "sqlite:$T/r.db" --https_listen 127.0.0.1:0 \
		--tls_cert "$3" --tls_key "$4" </dev/null \
		>"$T/$name.out" 2>&1 || rc=$?
	[ "$rc" != 0 ] && [ "$rc" != 124 ] ||
		fail "$name: exit $rc: $(cat "$T/$name.out")"
	grep -q -- "$want" "$T/$name.out" ||
		fail "$name: no '$want' in: $(cat "$T/$name.out")"
	! grep -q "PRIVATE KEY\|$(sed -n 2p "$T/good.key")" "$T/$name.out" ||
		fail "$name: key material in the log"
	if grep -q "Sanitizer\|runtime error" "$T/$name.out"; then
		fail "$name: sanitizer report"
	fi
}

refuse missing "tls_cert $T/none.crt: No such file or directory" \
	"$T/none.crt" "$T/good.key"
refuse nokey "tls_key $T/none.key: No such file or directory" \
	"$T/good.crt" "$T/none.key"
refuse unset "tls_key is not set" "$T/good.crt" ""
refuse junk "tls_cert $T/junk.pem: no PEM certificate" \
	"$T/junk.pem" "$T/good.key"
refuse keyjunk "tls_key $T/junk.pem: no PEM private key" \
	"$T/good.crt" "$T/junk.pem"
refuse encrypted "tls_key $T/enc.key: no PEM private key" \
	"$T/good.crt" "$T/enc.key"
refuse mismatch "tls_key $T/other.key is not the key of tls_cert" \
	"$T/good.crt" "$T/other.key"
ok "missing, unset, non-PEM, encrypted and mismatched files are refused"

HTTPS_PORT=$(free_port)
start_beckon https --demo --https_listen "127.0.0.1:$HTTPS_PORT" \
	--www_dir "$BECKON_SRC/share/www" \
	--tls_cert "$T/good.crt" --tls_key "$T/good.key"
grep -q "HTTPS listening on https://127.0.0.1:$HTTPS_PORT" "$T/https.log" ||
	fail "no HTTPS listening line"

S="https://localhost:$HTTPS_PORT"
out=$(curl -sS --cacert "$T/good.crt" "$S/healthz") || fail "curl healthz"
[ "$(printf '%s' "$out" | jq -r .status)" = ok ] || fail "healthz: $out"
code=$(curl -sS --cacert "$T/good.crt" -o /dev/null -w '%{http_code}' \
	"$S/agent/") || fail "curl /agent/"
[ "$code" = 200 ] || fail "/agent/ over HTTPS: $code"
code=$(curl -sS --cacert "$T/good.crt" -o /dev/null -w '%{http_code}' \
	-H 'Content-Type: application/json' --data '{"phone":1}' \
	"$S/v1/callbacks") || fail "curl POST"
[ "$code" = 422 ] || [ "$code" = 400 ] || fail "bad POST over HTTPS: $code"
if curl -sS -o /dev/null "$S/healthz" 2>"$T/untrusted.err"; then
	fail "curl trusted a certificate it was not given"
fi
ok "curl --cacert: the same routes over HTTPS (health, desk, API)"

python3 "$BECKON_SRC/tests/integration/https_wire.py" "$HTTPS_PORT" \
	"$T/good.crt" || fail "https_wire.py"
curl -sS -o /dev/null "$URL/healthz" || fail "plain HTTP stopped answering"
ok "raw TLS clients: keep-alive, close, wss, failed handshakes"

stop_beckon
