/*
 * webhook: the sender. Every POLL_MS it asks the store for the deliveries
 * that are due (the first pending one of each callback at each endpoint,
 * so one callback's events arrive in order) and POSTs them (post.c: to
 * the address checked here, HTTPS verified against the system's CA store
 * and webhook_ca_file), at most `concurrency` at once, each bounded by
 * `timeout`:
 * a slow endpoint holds one slot, never the loop. The result of each
 * attempt is stored; a failure is tried again after an exponential delay
 * with jitter, until the event is retry_hours old. A delivery whose
 * result was not stored (kill -9 meanwhile) is sent again after a
 * restart: at least once, with the same event id.
 */
#include <errno.h>
#include <string.h>
#include <sodium.h>
#include <re.h>
#define LOG_SUBSYS "webhook"
#include "util/util.h"
#include "store/store.h"
#include "metrics/metrics.h"
#include "webhook/webhook.h"
#include "webhook/webhook_int.h"

enum {
	POLL_MS = 1000,
	BACKOFF_MAX_S = 3600,
};

struct webhook_sender {
	struct store *st;
	struct webhook_sender_conf conf;
	struct dnsc *dnsc;
	struct webhook_trust *trust;
	struct tmr poll;
	struct list inflight;     /* struct delivery */
	struct poll *polling;     /* the store_outbox_due that is out */
};

/* a read of the outbox in flight: it may come back after the sender has
 * gone (the store is flushed at shutdown), so it holds no reference to
 * it, only this pointer, cleared by the sender's destructor */
struct poll {
	struct webhook_sender *s;
};

struct delivery {
	struct le le;
	struct webhook_sender *s;   /* NULL once the sender is gone */
	struct webhook_post *post;
	struct tmr tmr;
	struct outbox_row *row;
	struct dns_query *dq;     /* the host name's addresses, checked */
	char *body;               /* signed, sent once the name is checked */
	struct outbox_result res;
	struct webhook_url url;   /* its path points into row->url */
	struct sa addr;           /* where it goes: checked, then used */
	char host[WEBHOOK_HOST_MAX];
	char why[96];
	bool storing;
};


static void delivery_destructor(void *arg)
{
	struct delivery *d = arg;

	tmr_cancel(&d->tmr);
	list_unlink(&d->le);
	mem_deref(d->dq);
	mem_deref(d->post);
	mem_deref(d->row);
	mem_deref(d->body);
}


static bool in_flight(const struct webhook_sender *s, int64_t seq)
{
	struct le *le;

	LIST_FOREACH(&s->inflight, le) {
		const struct delivery *d = le->data;

		if (d->row->seq == seq)
			return true;
	}

	return false;
}


/* the next try: retry_min, doubling to at most an hour, times 0.5..1.5 */
static int64_t backoff_ms(const struct webhook_sender *s, int64_t attempts)
{
	int64_t d = s->conf.retry_min_s;
	int64_t i;

	for (i = 1; i < attempts && d < BACKOFF_MAX_S; i++)
		d *= 2;
	if (d > BACKOFF_MAX_S)
		d = BACKOFF_MAX_S;

	return d * 500 + (int64_t)randombytes_uniform((uint32_t)d * 1000);
}


static void stored_h(int err, void *arg)
{
	struct delivery *d = arg;

	if (err && d->s)
		log_warn("%s %s: the result was not stored: %s",
			 d->row->webhook_id, d->row->event_id, strerror(err));
	mem_deref(d);
}


static void finish(struct delivery *d, int status, const char *why)
{
	struct webhook_sender *s = d->s;
	struct outbox_result *r = &d->res;
	bool ok = status >= 200 && status < 300;

	tmr_cancel(&d->tmr);
	/* why may be the post's own words: kept before it goes (and not
	 * while a stored result still points at them) */
	if (s && !d->storing)
		str_bcpy(d->why, why ? why : "", sizeof(d->why));
	d->post = mem_deref(d->post);
	d->dq = mem_deref(d->dq);
	if (!s || d->storing)
		return;
	d->storing = true;

	metrics_webhook(ok);
	memset(r, 0, sizeof(*r));
	r->seq = d->row->seq;
	r->now = time_now_ms();
	r->attempts = d->row->attempts + 1;
	r->status = status;
	r->fail_max = s->conf.fail_max;
	r->error = ok ? NULL : d->why;

	if (ok)
		r->state = OUTBOX_DELIVERED;
	else if (r->now - d->row->t >= s->conf.retry_hours * 3600000LL)
		r->state = OUTBOX_FAILED;
	else
		r->next_at = r->now + backoff_ms(s, r->attempts);

	if (ok)
		log_debug("%s %s to %s: delivered (%d)", d->row->webhook_id,
			  d->row->event_id, d->host, status);
	else
		log_info("%s %s to %s: attempt %lld failed (%s)%s",
			 d->row->webhook_id, d->row->event_id, d->host,
			 (long long)r->attempts, d->why,
			 r->state == OUTBOX_FAILED ? ": given up" : "");

	/* out of the flight list once its result is queued: the next poll
	 * reads the outbox after this write (operations run in order) */
	list_unlink(&d->le);
	if (store_outbox_done(s->st, r, stored_h, d))
		mem_deref(d);
}


static void answer_h(uint16_t status, const char *why, void *arg)
{
	struct delivery *d = arg;
	char text[16];

	if (status)
		re_snprintf(text, sizeof(text), "HTTP %u", status);
	finish(d, status, status ? text : why);
}


static void timeout_h(void *arg)
{
	finish(arg, 0, "timed out");
}


/* HMAC-SHA256(secret, t "." body) in hex */
static void sign(char hex[65], const char *secret, int64_t t,
		 const char *body, size_t len)
{
	crypto_auth_hmacsha256_state st;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char ts[24];

	re_snprintf(ts, sizeof(ts), "%lld.", (long long)t);
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret,
				    strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts,
				      strlen(ts));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(hex, 65, mac, sizeof(mac));
	sodium_memzero(&st, sizeof(st));
}


/* the body: the event's id and time, then what the outbox holds */
static int body_make(char **bodyp, const struct outbox_row *row)
{
	char time[32];

	if (!row->payload || row->payload[0] != '{' || !row->payload[1])
		return EBADMSG;

	time_fmt_rfc3339(time, sizeof(time), row->t);

	return re_sdprintf(bodyp, "{\"id\":\"%s\",\"time\":\"%s\",%s",
			   row->event_id, time, row->payload + 1);
}


/* the request: Host as the URL has it, the port only when not the
 * scheme's own */
static int request_make(struct mbuf **mbp, const struct delivery *d,
			int64_t t, const char *sig)
{
	const struct webhook_url *u = &d->url;
	bool v6 = u->host_is_addr && strchr(u->host, ':');
	struct mbuf *mb = mbuf_alloc(512 + strlen(d->body));
	int err;

	if (!mb)
		return ENOMEM;

	err = mbuf_printf(mb, "POST %s%s HTTP/1.1\r\n"
			  "Host: %s%s%s",
			  *u->path == '/' ? "" : "/", u->path,
			  v6 ? "[" : "", u->host, v6 ? "]" : "");
	if (!err && u->port != (u->tls ? 443 : 80))
		err = mbuf_printf(mb, ":%u", u->port);
	if (!err)
		err = mbuf_printf(mb, "\r\n"
				  "Content-Type: application/json\r\n"
				  "User-Agent: beckon/" BECKON_VERSION "\r\n"
				  "Beckon-Signature: t=%lld,v1=%s\r\n"
				  "Content-Length: %zu\r\n"
				  "Connection: close\r\n"
				  "\r\n"
				  "%s",
				  (long long)t, sig, strlen(d->body), d->body);
	if (err)
		mem_deref(mb);
	else
		*mbp = mb;

	return err;
}


static void post(struct delivery *d)
{
	struct webhook_sender *s = d->s;
	struct mbuf *mb = NULL;
	char sig[65];
	int64_t t = time_now_ms() / 1000;
	int err;

	sign(sig, d->row->secret, t, d->body, strlen(d->body));

	err = request_make(&mb, d, t, sig);
	if (!err)
		err = webhook_post_send(&d->post, d->url.tls ? s->trust : NULL,
					&d->addr, d->host, mb, answer_h, d);
	mem_deref(mb);
	if (err)
		finish(d, 0, strerror(err));
}


/* the name's A records: the first is where the delivery goes; one
 * private address among them is enough to refuse it (unless allowed) */
struct resolved {
	struct delivery *d;
	bool found;
	bool priv;
};


static bool rr_addr(struct dnsrr *rr, void *arg)
{
	struct resolved *r = arg;
	struct sa sa;

	if (rr->type != DNS_TYPE_A)
		return false;
	sa_set_in(&sa, rr->rdata.a.addr, r->d->url.port);
	r->priv |= webhook_addr_private(&sa);
	if (!r->found)
		r->d->addr = sa;
	r->found = true;

	return false;
}


static void resolved_h(int err, const struct dnshdr *hdr, struct list *ansl,
		       struct list *authl, struct list *addl, void *arg)
{
	struct delivery *d = arg;
	struct resolved r = {d, false, false};

	(void)hdr;
	(void)authl;
	(void)addl;
	d->dq = mem_deref(d->dq);

	if (!err)
		dns_rrlist_apply2(ansl, d->host, DNS_TYPE_A, DNS_TYPE_A,
				  DNS_CLASS_IN, true, rr_addr, &r);
	if (!r.found) {
		finish(d, 0, "the name could not be resolved");
		return;
	}
	if (r.priv && !d->s->conf.allow_private) {
		finish(d, 0, "the name resolves to a private address, "
		       "refused");
		return;
	}

	post(d);
}


static void deliver(struct webhook_sender *s, struct outbox_row *row)
{
	struct webhook_url *u;
	struct delivery *d;
	const char *why = NULL;
	int err;

	d = mem_zalloc(sizeof(*d), delivery_destructor);
	if (!d)
		return;
	d->s = s;
	d->row = mem_ref(row);
	tmr_init(&d->tmr);
	list_append(&s->inflight, &d->le, d);
	u = &d->url;

	if (webhook_url_parse(u, row->url, &why)) {
		finish(d, 0, why);
		return;
	}
	str_bcpy(d->host, u->host, sizeof(d->host));

	if (u->host_is_addr && (sa_set_str(&d->addr, u->host, u->port) ||
	    (!s->conf.allow_private && webhook_addr_private(&d->addr)))) {
		finish(d, 0, "a private address, refused");
		return;
	}

	if (body_make(&d->body, row)) {
		finish(d, 0, "no payload");
		return;
	}

	/* the bound covers the name's resolution too */
	tmr_start(&d->tmr, s->conf.timeout_ms, timeout_h, d);

	if (u->host_is_addr) {
		post(d);
		return;
	}

	err = dnsc_query(&d->dq, s->dnsc, u->host, DNS_TYPE_A, DNS_CLASS_IN,
			 true, resolved_h, d);
	if (err)
		finish(d, 0, "the name could not be resolved");
}


static void poll_timeout(void *arg);


static void due_h(int err, void *const *v, size_t n, void *arg)
{
	struct poll *p = arg;
	struct webhook_sender *s = p->s;
	size_t i;

	mem_deref(p);
	if (!s)
		return;
	s->polling = NULL;

	if (err) {
		log_warn("reading the outbox: %s", strerror(err));
		n = 0;
	}

	for (i = 0; i < n; i++) {
		struct outbox_row *row = v[i];

		if (list_count(&s->inflight) >= s->conf.concurrency)
			break;
		if (!in_flight(s, row->seq))
			deliver(s, row);
	}

	tmr_start(&s->poll, POLL_MS, poll_timeout, s);
}


static void poll_timeout(void *arg)
{
	struct webhook_sender *s = arg;
	size_t room = s->conf.concurrency - list_count(&s->inflight);
	struct poll *p;

	p = room ? mem_zalloc(sizeof(*p), NULL) : NULL;
	if (!p) {
		tmr_start(&s->poll, POLL_MS, poll_timeout, s);
		return;
	}
	p->s = s;

	/* the rows in flight come back as due: ask for room beyond them */
	if (store_outbox_due(s->st, time_now_ms(),
			     room + list_count(&s->inflight), due_h, p)) {
		mem_deref(p);
		tmr_start(&s->poll, POLL_MS, poll_timeout, s);
		return;
	}
	s->polling = p;
}


void webhook_sender_poll(struct webhook_sender *s)
{
	if (!s || s->polling)
		return;

	tmr_cancel(&s->poll);
	poll_timeout(s);
}


static void sender_destructor(void *arg)
{
	struct webhook_sender *s = arg;
	struct le *le;

	tmr_cancel(&s->poll);
	if (s->polling)
		s->polling->s = NULL;

	/* what is in flight stays pending in the outbox: sent again after
	 * a restart */
	while ((le = list_head(&s->inflight))) {
		struct delivery *d = le->data;

		list_unlink(le);
		d->s = NULL;
		mem_deref(d);
	}
	mem_deref(s->trust);
	mem_deref(s->dnsc);
}


int webhook_sender_alloc(struct webhook_sender **sp, struct store *st,
			 const struct webhook_sender_conf *conf)
{
	struct webhook_sender *s;
	struct sa nsv[8];
	uint32_t nsc = ARRAY_SIZE(nsv);
	int err;

	if (!sp || !st || !conf || !conf->concurrency || !conf->timeout_ms)
		return EINVAL;

	s = mem_zalloc(sizeof(*s), sender_destructor);
	if (!s)
		return ENOMEM;
	s->st = st;
	s->conf = *conf;
	/* read here only: they belong to the caller */
	s->conf.ca_file = NULL;
	s->conf.nsv = NULL;
	tmr_init(&s->poll);
	list_init(&s->inflight);

	/* dns_servers, or the system's (/etc/resolv.conf) */
	if (conf->nsc) {
		nsc = MIN(conf->nsc, nsc);
		memcpy(nsv, conf->nsv, nsc * sizeof(*nsv));
	}
	else if (dns_srv_get(NULL, 0, nsv, &nsc)) {
		nsc = 0;
	}
	err = dnsc_alloc(&s->dnsc, NULL, nsv, nsc);
	if (err)
		goto out;

	err = webhook_trust_alloc(&s->trust, conf->ca_file);
	if (err) {
		log_error("webhook_ca_file %s: not a PEM file of certificates "
			  "that can be read", conf->ca_file);
		goto out;
	}

	tmr_start(&s->poll, POLL_MS, poll_timeout, s);

 out:
	if (err)
		mem_deref(s);
	else
		*sp = s;

	return err;
}
