/*
 * webhook: one POST on the wire.
 *
 * libre 1.1.0's HTTP client cannot serve here: its OpenSSL context is
 * left at SSL_VERIFY_NONE (any certificate is accepted, the CA file it
 * loads is never consulted), http_client_set_tls_hostname stores
 * nothing, a caller cannot reach its TLS connection before the request
 * is written, and it resolves the name again itself (so the address
 * the sender checked is not the one it connects to). So a delivery is
 * sent here, with libre's TCP and TLS: to the address given, and over
 * TLS only to a server whose chain verifies against the trust store and
 * whose certificate names the host (tls_set_verify_server), checked in
 * the handshake, before libre reports the connection established and
 * the request is written. The answer is read up to the end of its
 * headers (http_msg_decode), then the connection is dropped.
 *
 * Each post has an OpenSSL context of its own (sharing the one trust
 * store) so that its verify callback knows whose handshake it judges
 * and can say why a certificate was refused.
 */
#include <errno.h>
#include <string.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
/* libre declares its OpenSSL accessor only for USE_OPENSSL builds */
#define USE_OPENSSL 1
#include <re.h>
#include "webhook/webhook_int.h"

enum {
	ANSWER_MAX = 16384,    /* a status line and headers, at most */
};

struct webhook_trust {
	X509_STORE *store;
};

struct webhook_post {
	struct tcp_conn *tc;
	struct tls_conn *sc;
	struct tls *tls;
	struct mbuf *msg;
	struct mbuf *answer;
	struct tmr done;           /* h, called from the loop */
	webhook_post_h *h;
	void *arg;
	long verify_err;           /* X509_V_OK, or why the chain failed */
	uint16_t status;
	char why[80];
	bool finished;
};


static void trust_destructor(void *arg)
{
	struct webhook_trust *t = arg;

	X509_STORE_free(t->store);
}


int webhook_trust_alloc(struct webhook_trust **tp, const char *ca_file)
{
	struct webhook_trust *t;
	int err = 0;

	if (!tp)
		return EINVAL;

	t = mem_zalloc(sizeof(*t), trust_destructor);
	if (!t)
		return ENOMEM;

	t->store = X509_STORE_new();
	if (!t->store || !X509_STORE_set_default_paths(t->store)) {
		err = ENOMEM;
		goto out;
	}
	if (ca_file && *ca_file && !X509_STORE_load_file(t->store, ca_file))
		err = EINVAL;

 out:
	if (err)
		mem_deref(t);
	else
		*tp = t;

	return err;
}


static void post_destructor(void *arg)
{
	struct webhook_post *p = arg;

	tmr_cancel(&p->done);
	mem_deref(p->sc);
	mem_deref(p->tc);
	mem_deref(p->tls);
	mem_deref(p->msg);
	mem_deref(p->answer);
}


static void done_h(void *arg)
{
	struct webhook_post *p = arg;

	p->h(p->status, p->status ? NULL : p->why, p->arg);
}


/* the first result counts; the handler runs from the loop, where the
 * caller may free the post and its connection */
static void finish(struct webhook_post *p, uint16_t status, const char *why)
{
	if (p->finished)
		return;
	p->finished = true;
	p->status = status;
	str_ncpy(p->why, why ? why : "", sizeof(p->why));
	tmr_start(&p->done, 0, done_h, p);
}


static void estab_h(void *arg)
{
	struct webhook_post *p = arg;
	int err;

	p->msg->pos = 0;
	err = tcp_send(p->tc, p->msg);
	if (err)
		finish(p, 0, strerror(err));
}


static void recv_h(struct mbuf *mb, void *arg)
{
	struct webhook_post *p = arg;
	struct http_msg *msg = NULL;
	int err;

	if (p->finished)
		return;

	if (mbuf_get_left(p->answer) + mbuf_get_left(mb) > ANSWER_MAX) {
		finish(p, 0, "the answer's headers are too long");
		return;
	}
	p->answer->pos = p->answer->end;
	err = mbuf_write_mem(p->answer, mbuf_buf(mb), mbuf_get_left(mb));
	if (err) {
		finish(p, 0, strerror(err));
		return;
	}

	p->answer->pos = 0;
	err = http_msg_decode(&msg, p->answer, false);
	if (err == ENODATA)
		return;
	if (err || !msg->scode)
		finish(p, 0, "not an HTTP answer");
	else
		finish(p, msg->scode, NULL);
	mem_deref(msg);
}


static void close_h(int err, void *arg)
{
	struct webhook_post *p = arg;
	char why[sizeof(p->why)];

	if (p->verify_err != X509_V_OK) {
		re_snprintf(why, sizeof(why), "TLS certificate refused: %s",
			    X509_verify_cert_error_string(p->verify_err));
		finish(p, 0, why);
	}
	else if (p->sc && err == EPROTO) {
		finish(p, 0, "TLS handshake failed");
	}
	else {
		finish(p, 0, err ? strerror(err) :
		       "the connection closed before an answer");
	}
}


/* OpenSSL's verdict on each certificate of the chain: kept, with the
 * first reason, for close_h */
static int verify_h(int ok, X509_STORE_CTX *x)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(x,
				SSL_get_ex_data_X509_STORE_CTX_idx());
	struct webhook_post *p;

	p = ssl ? SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)) : NULL;
	if (!ok && p && p->verify_err == X509_V_OK)
		p->verify_err = X509_STORE_CTX_get_error(x);

	return ok;
}


static int tls_setup(struct webhook_post *p, struct webhook_trust *trust,
		     const char *host)
{
	struct sa sa;
	SSL_CTX *ctx;
	int err;

	err = tls_alloc(&p->tls, TLS_METHOD_SSLV23, NULL, NULL);
	if (err)
		return err;
	err = tls_set_verify_purpose(p->tls, "sslserver");
	if (err)
		return err;

	ctx = tls_openssl_context(p->tls);
	SSL_CTX_set1_cert_store(ctx, trust->store);
	SSL_CTX_set_app_data(ctx, p);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_h);

	err = tls_start_tcp(&p->sc, p->tls, p->tc, 0);
	if (err)
		return err;

	/* SNI carries names only (RFC 6066, 3) */
	if (sa_set_str(&sa, host, 0)) {
		err = tls_set_servername(p->sc, host);
		if (err)
			return err;
	}

	/* the name, or the address, the certificate must carry */
	return tls_set_verify_server(p->sc, host);
}


int webhook_post_send(struct webhook_post **pp, struct webhook_trust *trust,
		      const struct sa *addr, const char *host,
		      struct mbuf *msg, webhook_post_h *h, void *arg)
{
	struct webhook_post *p;
	int err;

	if (!pp || !addr || !host || !msg || !h)
		return EINVAL;

	p = mem_zalloc(sizeof(*p), post_destructor);
	if (!p)
		return ENOMEM;
	tmr_init(&p->done);
	p->msg = mem_ref(msg);
	p->h = h;
	p->arg = arg;
	p->verify_err = X509_V_OK;

	p->answer = mbuf_alloc(1024);
	if (!p->answer) {
		err = ENOMEM;
		goto out;
	}

	err = tcp_connect(&p->tc, addr, estab_h, recv_h, close_h, p);
	if (err)
		goto out;

	if (trust)
		err = tls_setup(p, trust, host);

 out:
	if (err)
		mem_deref(p);
	else
		*pp = p;

	return err;
}
