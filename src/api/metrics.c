/*
 * api: GET /metrics, the Prometheus text exposition (metrics/metrics.h).
 *
 * Two ways to keep it from the public: on http_listen it is served only
 * with "Authorization: Bearer METRICS_TOKEN" (metrics_token empty: not
 * served there at all); on metrics_listen, a listener of its own meant
 * for a private address, it needs the token only when one is set. The
 * states (callbacks, queues, agents) are read from the store at each
 * scrape: two reads, the open callbacks and the agents.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <re.h>
#define LOG_SUBSYS "api"
#include "util/util.h"
#include "cfg/cfg.h"
#include "httpd/httpd.h"
#include "store/store.h"
#include "metrics/metrics.h"
#include "api/api_int.h"

struct scrape {
	struct api *api;
	struct httpd_req *req;
	struct callback **open;   /* references to the store's */
	size_t nopen;
};


static const char hdrs_text[] =
	"Cache-Control: no-store\r\n"
	"X-Content-Type-Options: nosniff\r\n";


static void scrape_destructor(void *arg)
{
	struct scrape *s = arg;
	size_t i;

	for (i = 0; i < s->nopen; i++)
		mem_deref(s->open[i]);
	mem_deref(s->open);
}


static bool biz_id_h(const struct biz *ab, void *arg)
{
	const char ***pp = arg;

	*(*pp)++ = ab->b->id;

	return false;
}


static bool biz_count_h(const struct biz *ab, void *arg)
{
	size_t *np = arg;

	(void)ab;
	++*np;

	return false;
}


static void agents_h(int err, void *const *v, size_t n, void *arg)
{
	struct scrape *s = arg;
	struct metrics_now now;
	const char **ids = NULL, **p;
	struct mbuf *mb = NULL;
	size_t nbiz = 0;

	if (err)
		goto fail;

	bizdir_apply(s->api->dir, biz_count_h, &nbiz);
	ids = mem_alloc((nbiz + 1) * sizeof(*ids), NULL);
	mb = mbuf_alloc(8192);
	if (!ids || !mb) {
		err = ENOMEM;
		goto fail;
	}
	p = ids;
	bizdir_apply(s->api->dir, biz_id_h, &p);

	memset(&now, 0, sizeof(now));
	now.now = time_now_ms();
	now.businesses = ids;
	now.nbusinesses = (size_t)(p - ids);
	now.open = (struct callback *const *)s->open;
	now.nopen = s->nopen;
	now.agents = (struct agent *const *)v;
	now.nagents = n;

	err = metrics_write(mb, &now);
	if (err)
		goto fail;

	httpd_reply(s->req, 200, "text/plain; version=0.0.4; charset=utf-8",
		    hdrs_text, mb->buf, mb->end);
	goto out;

 fail:
	log_warn("metrics: %s", strerror(err));
	api_reply_errno(s->req, err == ENOMEM ? ENOMEM : EIO, NULL);
 out:
	mem_deref(ids);
	mem_deref(mb);
	mem_deref(s);
}


static void open_h(int err, void *const *v, size_t n, void *arg)
{
	struct scrape *s = arg;
	size_t i;

	/* the list lives until this handler returns: keep its callbacks */
	if (!err) {
		s->open = mem_alloc((n + 1) * sizeof(*s->open), NULL);
		if (!s->open)
			err = ENOMEM;
	}
	if (!err) {
		for (i = 0; i < n; i++)
			s->open[i] = mem_ref(v[i]);
		s->nopen = n;
		err = store_list(s->api->st, &store_agents, agents_h, s);
		if (!err)
			return;
	}

	log_warn("metrics: %s", strerror(err));
	api_reply_errno(s->req, err == ENOMEM ? ENOMEM : EIO, NULL);
	mem_deref(s);
}


/* true when the request may read the metrics; else it is answered */
static bool allowed(struct api *api, struct httpd_req *req, bool own)
{
	char hash[HASH_HEX_LEN];
	struct pl auth;

	if (!api->metrics_hash[0]) {
		if (own)
			return true;
		api_reply_error(req, 404, NULL, "not_found", NULL,
				"metrics are off here: set metrics_token "
				"or metrics_listen");
		return false;
	}

	if (!httpd_req_hdr(req, "Authorization", &auth) || auth.l < 8 ||
	    strncasecmp(auth.p, "Bearer ", 7)) {
		api_reply_error(req, 401, "WWW-Authenticate: Bearer\r\n",
				"missing_token", NULL,
				"send Authorization: Bearer METRICS_TOKEN");
		return false;
	}

	/* compare hashes, in constant time: no length or prefix leaks */
	token_hash_hex(hash, auth.p + 7, auth.l - 7);
	if (!token_equal(hash, api->metrics_hash)) {
		log_warn("metrics: wrong token from a client");
		api_reply_error(req, 401, "WWW-Authenticate: Bearer\r\n",
				"invalid_token", NULL,
				"the metrics token is not valid");
		return false;
	}

	return true;
}


void api_metrics(struct api *api, struct httpd_req *req, bool own)
{
	struct scrape *s;

	httpd_req_set_route(req, MR_METRICS);

	if (!httpd_req_method_is(req, "GET") &&
	    !httpd_req_method_is(req, "HEAD")) {
		api_reply_error(req, 405, "Allow: GET, HEAD\r\n",
				"method_not_allowed", NULL,
				"this method is not allowed on this "
				"resource");
		return;
	}

	if (!allowed(api, req, own))
		return;

	s = mem_zalloc(sizeof(*s), scrape_destructor);
	if (!s) {
		api_reply_errno(req, ENOMEM, NULL);
		return;
	}
	s->api = api;
	s->req = req;

	if (store_callbacks_open(api->st, STORE_ALL, open_h, s)) {
		api_reply_errno(req, ENOMEM, NULL);
		mem_deref(s);
	}
}


/* metrics_listen: /metrics and nothing else */
static void metrics_request(struct httpd_req *req, void *arg)
{
	struct api *api = arg;

	if (!pl_strcmp(httpd_req_path(req), "/metrics")) {
		api_metrics(api, req, true);
		return;
	}

	httpd_req_set_route(req, MR_OTHER);
	api_reply_error(req, 404, NULL, "not_found", NULL,
			"no such resource");
}


int api_metrics_listen(struct api *api)
{
	const char *addr = cfg_str(api->cfg, "metrics_listen");
	struct httpd_conf conf;
	struct sa laddr;
	char buf[64];
	int err;

	if (!*addr)
		return 0;

	err = sa_decode(&laddr, addr, strlen(addr));
	if (err) {
		log_error("metrics_listen: not an address:port: %s", addr);
		return err;
	}

	/* a scraper or two: small limits */
	memset(&conf, 0, sizeof(conf));
	conf.max_body = 1024;
	conf.max_header = 8192;
	conf.max_conns = 64;
	conf.idle_timeout_ms = 60000;
	conf.req_timeout_ms = 10000;
	conf.backlog = 16;

	err = httpd_alloc(&api->metrics, &laddr, &conf, metrics_request, api);
	if (err) {
		log_error("cannot listen on %s: %s",
			  addr_str(buf, sizeof(buf), &laddr), strerror(err));
		return err;
	}

	httpd_local(api->metrics, &laddr);
	log_info("metrics listening on http://%s/metrics%s",
		 addr_str(buf, sizeof(buf), &laddr),
		 api->metrics_hash[0] ? " (token required)" : "");

	return 0;
}
