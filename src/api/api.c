/*
 * api: the router, the reply helpers (one place maps errno to HTTP), CORS,
 * the in-memory view of businesses and /healthz.
 */
#include <errno.h>
#include <string.h>
#include <re.h>
#define LOG_SUBSYS "api"
#include "util/util.h"
#include "cfg/cfg.h"
#include "httpd/httpd.h"
#include "limit/limit.h"
#include "store/store.h"
#include "form/form.h"
#include "tz/tz.h"
#include "hours/hours.h"
#include "cluster/cluster.h"
#include "api/api_int.h"

enum {
	SWEEP_MS = 60000,
	RETRY_AFTER_S = 1,        /* a 503's: the store back, or less load */
};

/* every API answer: JSON, never cached, never sniffed */
static const char common_hdrs[] =
	"Cache-Control: no-store\r\n"
	"X-Content-Type-Options: nosniff\r\n";


int api_reply_json_pl(struct httpd_req *req, uint16_t status,
		      const char *hdrs, const struct pl *body, size_t n)
{
	struct pl h[2];

	pl_set_str(&h[0], common_hdrs);
	pl_set_str(&h[1], hdrs ? hdrs : "");

	return httpd_reply_pl(req, status, status == 204 ? NULL :
			      "application/json", h, 2, body, n);
}


int api_reply_body(struct httpd_req *req, uint16_t status, const char *ctype,
		   const char *hdrs, const char *body, size_t len)
{
	struct pl h[2], b;

	pl_set_str(&h[0], common_hdrs);
	pl_set_str(&h[1], hdrs ? hdrs : "");
	b.p = body;
	b.l = body ? len : 0;

	return httpd_reply_pl(req, status, status == 204 ? NULL : ctype, h,
			      2, &b, 1);
}


int api_reply_json(struct httpd_req *req, uint16_t status,
		   const char *hdrs, const char *body, size_t len)
{
	return api_reply_body(req, status, "application/json", hdrs, body,
			      len);
}


int api_reply_mb(struct httpd_req *req, uint16_t status, const char *hdrs,
		 const struct mbuf *mb, int err)
{
	if (err || !mb)
		return api_reply_errno(req, ENOMEM, hdrs);

	return api_reply_json(req, status, hdrs, (const char *)mb->buf,
			      mb->end);
}


int api_reply_error(struct httpd_req *req, uint16_t status,
		    const char *hdrs, const char *code, const char *field,
		    const char *message)
{
	struct mbuf *mb = mbuf_alloc(256);
	int err;

	if (!mb) {
		httpd_reply(req, 503, NULL, NULL, NULL, 0);
		return ENOMEM;
	}

	err = mbuf_write_str(mb, "{\"error\":{\"code\":");
	err |= form_json_str(mb, code);
	if (field) {
		err |= mbuf_write_str(mb, ",\"field\":");
		err |= form_json_str(mb, field);
	}
	err |= mbuf_write_str(mb, ",\"message\":");
	err |= form_json_str(mb, message);
	err |= mbuf_write_str(mb, "}}\n");

	if (err)
		err = httpd_reply(req, 503, NULL, NULL, NULL, 0);
	else
		err = api_reply_json(req, status, hdrs,
				     (const char *)mb->buf, mb->end);

	mem_deref(mb);

	return err;
}


/* A 503 with the caller's headers and Retry-After. */
static int reply_unavailable(struct httpd_req *req, const char *hdrs,
			     const char *code, const char *message)
{
	char h[512];

	re_snprintf(h, sizeof(h), "%sRetry-After: %d\r\n",
		    hdrs ? hdrs : "", RETRY_AFTER_S);

	return api_reply_error(req, 503, h, code, NULL, message);
}


/* The one place an errno becomes an HTTP answer. */
int api_reply_errno(struct httpd_req *req, int err, const char *hdrs)
{
	switch (err) {

	case ENOENT:
		return api_reply_error(req, 404, hdrs, "not_found", NULL,
				       "no such callback");
	case ENOMEM:
	case EBUSY:
		return reply_unavailable(req, hdrs, "unavailable",
					 "the server is overloaded; "
					 "try again");
	case ENOTCONN:   /* the database is away (PostgreSQL) */
		/* not "nothing was saved": a COMMIT whose answer was lost
		 * may have been (src/store/pg.c) */
		return reply_unavailable(req, hdrs, "store_unavailable",
					 "the store cannot be reached; try "
					 "again with the same Idempotency-Key");
	default:
		return api_reply_error(req, 500, hdrs, "store_error", NULL,
				       "the request could not be stored; "
				       "nothing was saved, try again");
	}
}


bool api_req_origin(const struct httpd_req *req, char *buf, size_t sz)
{
	struct pl v;

	if (!httpd_req_hdr(req, "Origin", &v) || !v.l || v.l >= sz)
		return false;

	pl_strcpy(&v, buf, sz);

	return true;
}


const char *api_cors_hdrs(char *buf, size_t sz, const char *origin,
			  bool allowed)
{
	if (!origin || !allowed) {
		/* the answer still depends on Origin for caches */
		re_snprintf(buf, sz, "%s", origin ? "Vary: Origin\r\n" : "");
		return buf;
	}

	re_snprintf(buf, sz,
		    "Access-Control-Allow-Origin: %s\r\n"
		    "Access-Control-Expose-Headers: Retry-After\r\n"
		    "Vary: Origin\r\n", origin);

	return buf;
}


struct biz *api_biz_find(const struct api *api, const char *id, size_t len)
{
	return bizdir_find(api->dir, id, len);
}


struct bizdir *api_bizdir(const struct api *api)
{
	return api ? api->dir : NULL;
}


struct origin_any {
	const char *origin;
};


static bool origin_any_h(const struct biz *ab, void *arg)
{
	const struct origin_any *oa = arg;

	return api_origin_in_list(ab->b->origins, oa->origin);
}


bool api_origin_allowed_any(const struct api *api, const char *origin)
{
	struct origin_any oa = {origin};

	return bizdir_apply(api->dir, origin_any_h, &oa) != NULL;
}


int api_business_set(struct api *api, const struct business *b)
{
	return api ? bizdir_set(api->dir, b) : EINVAL;
}


void api_limits_restore(struct api *api, const struct intake_row *v,
			size_t n)
{
	char key[256];
	size_t i;

	for (i = 0; i < n; i++) {
		re_snprintf(key, sizeof(key), "%s|%s", v[i].business,
			    v[i].phone);
		limit_add(api->limit_phone, key, v[i].t);
		re_snprintf(key, sizeof(key), "%s|ip|%s", v[i].business,
			    v[i].ip);
		limit_add(api->limit_ip, key, v[i].t);
	}

	if (n)
		log_info("rate limits restored from %zu recent requests", n);
}


struct ping {
	struct httpd_req *req;
	const struct api *api;
};


static void ping_h(int err, void *arg)
{
	struct ping *p = arg;
	const struct cluster *cl = p->api->cluster;
	struct mbuf *mb;

	if (err) {
		log_warn("health check: store: %s", strerror(err));
		reply_unavailable(p->req, NULL, "store_unavailable",
				  "the store does not answer");
		goto out;
	}

	/* without a cluster (tests) the one process leads */
	mb = mbuf_alloc(128);
	err = mb ? 0 : ENOMEM;
	err |= mbuf_write_str(mb, "{\"status\":\"ok\",\"store\":\"ok\","
			      "\"node\":");
	err |= form_json_str(mb, cluster_node(cl));
	err |= mbuf_printf(mb, ",\"role\":\"%s\"}\n", cluster_role_name(
				   !cl || cluster_leads(cl) ? CLUSTER_LEADER
				   : CLUSTER_FOLLOWER));
	api_reply_mb(p->req, 200, NULL, mb, err);
	mem_deref(mb);
 out:
	mem_deref(p);
}


static void health(const struct api *api, struct httpd_req *req)
{
	struct ping *p = mem_zalloc(sizeof(*p), NULL);

	if (!p || store_ping(api->st, ping_h, p)) {
		mem_deref(p);
		api_reply_errno(req, ENOMEM, NULL);
		return;
	}
	p->req = req;
	p->api = api;
}


static void method_not_allowed(struct httpd_req *req, const char *allow)
{
	char hdrs[128];

	re_snprintf(hdrs, sizeof(hdrs), "Allow: %s\r\n", allow);
	api_reply_error(req, 405, hdrs, "method_not_allowed", NULL,
			"this method is not allowed on this resource");
}


static bool relayed(struct api *api, struct httpd_req *req,
		    const struct pl *proof);


static void request_handler(struct httpd_req *req, void *arg)
{
	struct api *api = arg;
	const struct pl *path = httpd_req_path(req);
	struct pl id;

	httpd_req_set_route(req, MR_OTHER);

	if (httpd_req_hdr(req, CLUSTER_RELAY_HDR, &id) &&
	    !relayed(api, req, &id))
		return;

	if (!pl_strcmp(path, "/metrics")) {
		api_metrics(api, req, false);
		return;
	}

	if (!pl_strcmp(path, "/healthz")) {
		httpd_req_set_route(req, MR_HEALTHZ);
		if (!httpd_req_method_is(req, "GET") &&
		    !httpd_req_method_is(req, "HEAD")) {
			method_not_allowed(req, "GET, HEAD");
			return;
		}
		health(api, req);
		return;
	}

	if (!pl_strcmp(path, "/v1/callbacks")) {
		httpd_req_set_route(req, MR_CALLBACKS);
		if (httpd_req_method_is(req, "POST"))
			api_callbacks_post(api, req);
		else if (httpd_req_method_is(req, "OPTIONS"))
			api_callbacks_preflight(api, req);
		else
			method_not_allowed(req, "POST, OPTIONS");
		return;
	}

	if (path->l > 14 && !strncmp(path->p, "/v1/callbacks/", 14)) {
		id.p = path->p + 14;
		id.l = path->l - 14;
		httpd_req_set_route(req, MR_CALLBACK);

		/* /v1/callbacks/ID/voice: the visitor's call (voice.c) */
		if (id.l > 6 && !memcmp(id.p + id.l - 6, "/voice", 6)) {
			id.l -= 6;
			if (httpd_req_method_is(req, "GET"))
				api_voice_open(api, req, &id);
			else
				method_not_allowed(req, "GET");
			return;
		}

		if (httpd_req_method_is(req, "GET"))
			api_callback_get(api, req, &id);
		else if (httpd_req_method_is(req, "DELETE"))
			api_callback_delete(api, req, &id);
		else if (httpd_req_method_is(req, "OPTIONS"))
			api_callbacks_preflight(api, req);
		else
			method_not_allowed(req, "GET, DELETE, OPTIONS");
		return;
	}

	if (path->l > 15 && !strncmp(path->p, "/v1/businesses/", 15)) {
		struct pl rest;

		rest.p = path->p + 15;
		rest.l = path->l - 15;
		httpd_req_set_route(req, MR_BUSINESS);
		api_business_public(api, req, &rest);
		return;
	}

	if (!pl_strcmp(path, "/agent")) {
		httpd_req_set_route(req, MR_AGENT);
		api_reply_json(req, 301, "Location: /agent/\r\n", NULL, 0);
		return;
	}

	/* the widget's talk-in-the-browser part, loaded when pressed */
	if (!pl_strcmp(path, "/widget.js") ||
	    !pl_strcmp(path, "/widget-voice.js")) {
		char dir[400];

		httpd_req_set_route(req, MR_WIDGET);
		/* any site may load the widget; it talks to the API, where
		 * each business's origins are enforced */
		re_snprintf(dir, sizeof(dir), "%s/widget",
			    cfg_str(api->cfg, "www_dir"));
		api_static_send(api, req, dir, path->l == 10 ? "widget.js"
				: "voice.js",
				"Cache-Control: public, max-age=300\r\n"
				"Access-Control-Allow-Origin: *\r\n"
				"Cross-Origin-Resource-Policy: cross-origin\r\n");
		return;
	}

	if (path->l >= 7 && !strncmp(path->p, "/agent/", 7)) {
		struct pl rest;

		rest.p = path->p + 7;
		rest.l = path->l - 7;
		httpd_req_set_route(req, MR_AGENT);
		/* the desk's API and WebSocket need the ACD; its pages not */
		if ((!pl_strcmp(&rest, "ws") || (rest.l >= 4 &&
		     !strncmp(rest.p, "api/", 4))) && api_not_leader(api, req))
			return;
		api_agent(api, req, &rest);
		return;
	}

	if (path->l > 10 && !strncmp(path->p, "/v1/admin/", 10)) {
		struct pl rest;

		rest.p = path->p + 10;
		rest.l = path->l - 10;
		httpd_req_set_route(req, MR_ADMIN);
		api_admin(api, req, &rest);
		return;
	}

	api_reply_error(req, 404, NULL, "not_found", NULL,
			"no such resource");
}


static void sweep_timeout(void *arg)
{
	struct api *api = arg;

	limit_sweep(api->limit_phone, time_now_ms());
	limit_sweep(api->limit_ip, time_now_ms());
	tmr_start(&api->sweep, SWEEP_MS, sweep_timeout, api);
}


static void api_destructor(void *arg)
{
	struct api *api = arg;

	tmr_cancel(&api->sweep);
	/* sessions answer their pending requests before the server goes */
	api->agent = mem_deref(api->agent);
	api_voice_close_all(api);
	api_desk_close_all(api);
	api_listen_close_all(api);
	mem_deref(api->demo);
	mem_deref(api->metrics);
	mem_deref(api->https);
	mem_deref(api->httpd);
	mem_deref(api->dir);
	mem_deref(api->limit_phone);
	mem_deref(api->limit_ip);
}


int api_alloc(struct api **ap, const struct cfg *cfg, struct store *st)
{
	const char *tok;
	struct api *api;
	int err;

	if (!ap || !cfg || !st)
		return EINVAL;

	api = mem_zalloc(sizeof(*api), api_destructor);
	if (!api)
		return ENOMEM;

	api->cfg = cfg;
	api->st = st;
	api->max_schedule_ms = cfg_int(cfg, "max_schedule_days") * DAY_MS;
	api->lim_phone_15min = cfg_int(cfg, "limit_phone_15min");
	api->lim_phone_day = cfg_int(cfg, "limit_phone_day");
	api->lim_ip_minute = cfg_int(cfg, "limit_ip_minute");
	api->trust_xff = cfg_bool(cfg, "trust_forwarded_for");
	api->relay_max = (unsigned)cfg_int(cfg, "relay_max_conns");
	api->full_numbers = cfg_bool(cfg, "log_full_numbers");

	/* only the token's hash is kept */
	tok = cfg_str(cfg, "admin_token");
	if ((!tok || !*tok) && cfg_bool(cfg, "demo"))
		tok = "demo";
	if (tok && *tok)
		token_hash_hex(api->admin_hash, tok, strlen(tok));
	tok = cfg_str(cfg, "metrics_token");
	if (tok && *tok)
		token_hash_hex(api->metrics_hash, tok, strlen(tok));
	tmr_init(&api->sweep);

	err = api_ice_check(cfg_str(cfg, "ice_servers"),
			    *cfg_str(cfg, "turn_secret") != '\0');
	if (!err)
		err = bizdir_alloc(&api->dir);
	if (!err)
		err = limit_alloc(&api->limit_phone, DAY_MS);
	/* an address's times are kept only as long as its window: behind
	 * one proxy, a day of them would be every request of the day */
	if (!err)
		err = limit_alloc(&api->limit_ip, MIN_MS);
	if (err)
		goto out;

	tmr_start(&api->sweep, SWEEP_MS, sweep_timeout, api);

 out:
	if (err)
		mem_deref(api);
	else
		*ap = api;

	return err;
}


int api_set_acd(struct api *api, struct acd *acd)
{
	int err = 0;

	if (!api)
		return EINVAL;

	api->acd = acd;

	/* the desktop's sessions watch the ACD (a follower's none yet) */
	if (!api->agent)
		err = api_agent_alloc(api);
	else
		api_agent_watch(api);
	/* an ACD: this node leads, and the desk's sessions are its now */
	if (!err && acd)
		api_agent_restore(api);

	return err;
}


void api_set_cluster(struct api *api, struct cluster *cl)
{
	if (api)
		api->cluster = cl;
}


int api_node_json(const struct api *api, struct mbuf *mb)
{
	int err;

	err = mbuf_write_str(mb, "\"node\":");
	err |= form_json_str(mb, cluster_node(api->cluster));
	err |= mbuf_write_str(mb, ",\"leader\":");
	err |= form_json_str(mb, cluster_leader(api->cluster));

	return err;
}


static void not_leader(struct api *api, struct httpd_req *req)
{
	struct mbuf *mb;
	char h[64];
	int err;

	mb = mbuf_alloc(256);
	err = mb ? 0 : ENOMEM;
	err |= mbuf_write_str(mb, "{\"error\":{\"code\":\"not_leader\","
			      "\"leader\":");
	err |= form_json_str(mb, cluster_leader(api->cluster));
	err |= mbuf_write_str(mb, ",\"message\":\"this node does not run "
			      "the ACD: ask the leader\"}}\n");
	re_snprintf(h, sizeof(h), "Retry-After: %d\r\n", RETRY_AFTER_S);
	api_reply_mb(req, 503, h, mb, err);
	mem_deref(mb);
}


/* the leader could not be reached: as if no relay had been tried */
static void relay_fail_h(struct httpd_req *req, void *arg)
{
	not_leader(arg, req);
}


bool api_not_leader(struct api *api, struct httpd_req *req)
{
	char ip[64], h[64];
	int err;

	if (api->acd)
		return false;

	api_client_ip(api, req, ip, sizeof(ip));
	err = cluster_relay(api->cluster, req, ip, api->relay_max,
			    relay_fail_h, api);
	if (!err)
		return true;
	if (err != EBUSY) {
		not_leader(api, req);
		return true;
	}

	log_warn("relaying %u connections to the leader: refusing one",
		 api->relay_max);
	re_snprintf(h, sizeof(h), "Retry-After: %d\r\n", RETRY_AFTER_S);
	api_reply_error(req, 503, h, "relay_busy", NULL, "this node relays "
			"as many connections to the leader as it may: try "
			"again");

	return true;
}


/*
 * A request relayed by a follower (cluster_relay): on the leader, with
 * the proof, its client is X-Forwarded-For's address (never trusted
 * otherwise); a forged proof is refused, 403. Elsewhere the header
 * means nothing here (a follower never relays it again). False when
 * the request was answered.
 */
static bool relayed(struct api *api, struct httpd_req *req,
		    const struct pl *proof)
{
	struct pl xff;
	struct sa sa;

	if (!cluster_leads(api->cluster))
		return true;

	if (!cluster_relay_proof(api->cluster, proof)) {
		log_warn("a request with a wrong %s: refused",
			 CLUSTER_RELAY_HDR);
		api_reply_error(req, 403, NULL, "forbidden",
				CLUSTER_RELAY_HDR, "only a node of this "
				"cluster may relay requests");
		return false;
	}

	if (httpd_req_hdr(req, "X-Forwarded-For", &xff) &&
	    !sa_set(&sa, &xff, 0)) {
		const struct pl *path = httpd_req_path(req);
		char ip[64];

		httpd_req_set_peer(req, &sa);
		if (sa_ntop(&sa, ip, sizeof(ip)))
			ip[0] = '\0';
		log_debug("%.*s relayed by a node for client %s",
			  (int)path->l, path->p, ip);
	}

	return true;
}


void api_set_no_line(struct api *api)
{
	if (api)
		api->no_line = true;
}


static size_t body_limit(const struct httpd_req *req, void *arg)
{
	return api_greeting_body_limit(arg, req);
}


static void listen_conf(struct httpd_conf *conf, const struct cfg *cfg)
{
	memset(conf, 0, sizeof(*conf));
	conf->max_body = (size_t)cfg_int(cfg, "http_max_body");
	conf->body_limit = body_limit;
	conf->max_header = 16384;
	conf->max_conns = (unsigned)cfg_int(cfg, "http_max_conns");
	conf->idle_timeout_ms =
		(unsigned)cfg_int(cfg, "http_idle_timeout") * 1000;
	conf->req_timeout_ms = 30000;
	conf->backlog = (int)cfg_int(cfg, "listen_backlog");
}


/*
 * https_listen: the same handler behind TLS, so every route and
 * WebSocket is there too. Its certificate and key are checked before it
 * listens; either set without https_listen is a mistake worth a word.
 */
static int tls_listen(struct api *api)
{
	const char *addr = cfg_str(api->cfg, "https_listen");
	struct httpd_conf conf;
	struct sa laddr;
	char buf[64];
	int err;

	if (!*addr) {
		if (*cfg_str(api->cfg, "tls_cert") ||
		    *cfg_str(api->cfg, "tls_key"))
			log_warn("tls_cert and tls_key are used only with "
				 "https_listen, which is not set");
		return 0;
	}

	/* checked by cfg: an address and port */
	(void)sa_decode(&laddr, addr, strlen(addr));
	listen_conf(&conf, api->cfg);
	err = httpd_tls_alloc(&conf.tls, cfg_str(api->cfg, "tls_cert"),
			      cfg_str(api->cfg, "tls_key"));
	if (err)
		return err;

	err = httpd_alloc(&api->https, &laddr, &conf, request_handler, api);
	mem_deref(conf.tls);
	if (err) {
		log_error("cannot listen on %s: %s",
			  addr_str(buf, sizeof(buf), &laddr), strerror(err));
		return err;
	}

	httpd_local(api->https, &laddr);
	log_info("HTTPS listening on https://%s",
		 addr_str(buf, sizeof(buf), &laddr));

	return 0;
}


int api_listen(struct api *api)
{
	struct httpd_conf conf;
	struct sa laddr;
	char buf[64];
	int err;

	if (!api)
		return EINVAL;

	err = sa_decode(&laddr, cfg_str(api->cfg, "http_listen"),
			strlen(cfg_str(api->cfg, "http_listen")));
	if (err) {
		log_error("http_listen: not an address:port: %s",
			  cfg_str(api->cfg, "http_listen"));
		return err;
	}

	listen_conf(&conf, api->cfg);
	err = httpd_alloc(&api->httpd, &laddr, &conf, request_handler, api);
	if (err) {
		log_error("cannot listen on %s: %s",
			  addr_str(buf, sizeof(buf), &laddr), strerror(err));
		return err;
	}

	httpd_local(api->httpd, &laddr);
	log_info("HTTP API listening on http://%s",
		 addr_str(buf, sizeof(buf), &laddr));

	err = tls_listen(api);
	if (err)
		return err;

	return api_metrics_listen(api);
}


void api_stop_listening(struct api *api)
{
	if (api && api->demo)
		httpd_stop_listening(api->demo);
	if (api && api->metrics)
		httpd_stop_listening(api->metrics);
	if (api && api->https)
		httpd_stop_listening(api->https);
	if (api && api->httpd)
		httpd_stop_listening(api->httpd);
}


unsigned api_unanswered(const struct api *api)
{
	if (!api || !api->httpd)
		return 0;

	return httpd_unanswered(api->httpd) +
		(api->https ? httpd_unanswered(api->https) : 0) +
		(api->metrics ? httpd_unanswered(api->metrics) : 0);
}
