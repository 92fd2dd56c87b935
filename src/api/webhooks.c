/*
 * /v1/admin/businesses/ID/webhooks: a business's webhook endpoints, for
 * the admin API and `beckon webhook` (admin token, as all of /v1/admin).
 *
 *   GET    .../webhooks           the business's endpoints
 *   POST   .../webhooks           a new one: url, secret (omitted: one is
 *                                 made), events (omitted or "": all),
 *                                 enabled (default true)
 *   GET    .../webhooks/WID       one
 *   PATCH  .../webhooks/WID       change any of those fields
 *   DELETE .../webhooks/WID       remove it
 *   GET    .../webhooks/WID/deliveries              its latest deliveries
 *   POST   .../webhooks/WID/deliveries/SEQ/replay   send one again
 *
 * An endpoint that failed webhook_fail_max attempts in a row is stopped
 * by the sender ("failing": true, failing_since); PATCH {"enabled":
 * true} starts it again.
 *
 * The secret is shown once, in the answer that created or changed it,
 * and never again (nor logged). A URL on a private or loopback address
 * is refused unless webhook_allow_private is set; a host name is checked
 * again each time it is resolved, when delivering.
 */
#include <errno.h>
#include <string.h>
#include <re.h>
#define LOG_SUBSYS "admin"
#include "util/util.h"
#include "cfg/cfg.h"
#include "httpd/httpd.h"
#include "store/store.h"
#include "form/form.h"
#include "webhook/webhook.h"
#include "api/api_int.h"

enum {
	WH_SECRET_BYTES = 24,   /* a made secret: 192 random bits */
	WH_ID_BYTES = 9,
	WH_DELIVERIES_MAX = 100,
};

/* what under .../webhooks/WID is asked for */
enum wh_sub {
	WH_ONE,
	WH_DELIVERIES,
	WH_REPLAY,
};

struct wh_op {
	struct api *api;
	struct httpd_req *req;
	struct form *form;
	struct webhook *w;
	char biz[API_ID_LEN + 32];
	char id[64];
	enum wh_sub sub;
	int64_t seq;              /* WH_REPLAY */
	bool create;
	bool show_secret;
};


static void wh_op_destructor(void *arg)
{
	struct wh_op *op = arg;

	mem_deref(op->form);
	mem_deref(op->w);
}


static int webhook_json(struct mbuf *mb, const struct webhook *w,
			bool secret)
{
	int err = 0;

	err |= mbuf_write_str(mb, "{\"id\":");
	err |= form_json_str(mb, w->id);
	err |= mbuf_write_str(mb, ",\"business\":");
	err |= form_json_str(mb, w->business);
	err |= mbuf_write_str(mb, ",\"url\":");
	err |= form_json_str(mb, w->url);
	err |= mbuf_write_str(mb, ",\"events\":");
	err |= form_json_str(mb, w->events);
	err |= mbuf_printf(mb, ",\"enabled\":%s", w->enabled ? "true" :
			   "false");
	/* stopped after webhook_fail_max failed attempts in a row */
	err |= mbuf_printf(mb, ",\"failing\":%s,\"failures\":%lld,"
			   "\"failing_since\":", w->failing_since ? "true" :
			   "false", (long long)w->failures);
	if (w->failing_since) {
		char t[40];

		time_fmt_rfc3339(t, sizeof(t), w->failing_since);
		err |= mbuf_printf(mb, "\"%s\"", t);
	}
	else {
		err |= mbuf_write_str(mb, "null");
	}
	if (secret) {
		err |= mbuf_write_str(mb, ",\"secret\":");
		err |= form_json_str(mb, w->secret);
	}
	err |= mbuf_write_str(mb, "}");

	return err;
}


static void reply_webhook(struct wh_op *op, uint16_t status)
{
	struct mbuf *mb = mbuf_alloc(1024);
	int err;

	err = !mb || webhook_json(mb, op->w, op->show_secret) ||
	      mbuf_write_str(mb, "\n");
	api_reply_mb(op->req, status, NULL, mb, err);
	mem_deref(mb);
}


/* a string field of the webhook record, replaced */
static int field_set(char **dst, const char *v)
{
	char *c = NULL;
	int err = str_dup(&c, v);

	if (err)
		return err;
	mem_deref(*dst);
	*dst = c;

	return 0;
}


static void bad_field(struct wh_op *op, const char *field, const char *msg)
{
	api_reply_error(op->req, 400, NULL, "invalid_field", field, msg);
}


/* the url's rules, with the private-address check for an address */
static bool url_ok(struct wh_op *op, const char *url)
{
	struct webhook_url u;
	const char *why = NULL;
	struct sa sa;

	if (webhook_url_parse(&u, url, &why)) {
		bad_field(op, "url", why);
		return false;
	}

	if (u.host_is_addr && !cfg_bool(op->api->cfg,
					"webhook_allow_private") &&
	    !sa_set_str(&sa, u.host, u.port) && webhook_addr_private(&sa)) {
		bad_field(op, "url", "a private or loopback address: "
			  "refused unless webhook_allow_private is set");
		return false;
	}

	return true;
}


static bool secret_ok(const char *s, size_t n)
{
	size_t i;

	if (n < WEBHOOK_SECRET_MIN || n > WEBHOOK_SECRET_MAX)
		return false;
	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 127)
			return false;
	}

	return true;
}


/* Apply the form's fields onto op->w, checked; false: answered 400. */
static bool apply(struct wh_op *op)
{
	static const char *const known[] = {"url", "secret", "events",
					    "enabled"};
	struct webhook *w = op->w;
	const char *v, *bad = NULL;
	char msg[160];
	size_t i, k, n, badn = 0;

	for (i = 0; i < op->form->n; i++) {
		for (k = 0; k < 4; k++) {
			if (!strcmp(op->form->v[i].key, known[k]))
				break;
		}
		if (k == 4) {
			bad_field(op, op->form->v[i].key, "no such field");
			return false;
		}
	}

	v = form_get(op->form, "url", &n);
	if (v && !url_ok(op, v))
		return false;
	if (v && field_set(&w->url, v))
		goto nomem;
	if (!*w->url) {
		bad_field(op, "url", "required");
		return false;
	}

	v = form_get(op->form, "secret", &n);
	if (v && !secret_ok(v, n)) {
		re_snprintf(msg, sizeof(msg), "%d to %d printable characters, "
			    "no spaces", WEBHOOK_SECRET_MIN,
			    WEBHOOK_SECRET_MAX);
		bad_field(op, "secret", msg);
		return false;
	}
	if (v) {
		if (field_set(&w->secret, v))
			goto nomem;
		op->show_secret = true;
	}

	v = form_get(op->form, "events", &n);
	if (v && webhook_events_check(v, &bad, &badn)) {
		re_snprintf(msg, sizeof(msg), "not an event type: %b (see "
			    "docs/webhooks.md)", bad ? bad : "",
			    bad ? badn : (size_t)0);
		bad_field(op, "events", msg);
		return false;
	}
	if (v && field_set(&w->events, v))
		goto nomem;

	v = form_get(op->form, "enabled", &n);
	if (v && strcmp(v, "true") && strcmp(v, "false")) {
		bad_field(op, "enabled", "true or false");
		return false;
	}
	if (v)
		w->enabled = !strcmp(v, "true");
	/* enabled by the administrator: a failing endpoint starts again
	 * (what waited for it is due at once: schema.c) */
	if (v && w->enabled) {
		w->failures = 0;
		w->failing_since = 0;
	}

	return true;

 nomem:
	api_reply_errno(op->req, ENOMEM, NULL);
	return false;
}


static void put_h(int err, void *arg)
{
	struct wh_op *op = arg;

	if (err) {
		api_reply_errno(op->req, err == EALREADY ? EIO : err, NULL);
	}
	else {
		log_info("webhook %s of %s %s", op->w->id, op->biz,
			 op->create ? "created" : "changed");
		reply_webhook(op, op->create ? 201 : 200);
	}

	mem_deref(op);
}


static bool parse_body(struct wh_op *op)
{
	const struct pl *body = httpd_req_body(op->req);
	struct form_error ferr;
	enum form_kind kind;
	struct pl ctype;

	if (!httpd_req_hdr(op->req, "Content-Type", &ctype) ||
	    form_kind_from_ctype(&kind, ctype.p, ctype.l) ||
	    kind != FORM_JSON) {
		api_reply_error(op->req, 415, NULL, "unsupported_media_type",
				NULL, "send application/json");
		return false;
	}

	if (form_parse(&op->form, FORM_JSON_SCALARS, body->p, body->l,
		       &ferr)) {
		api_reply_error(op->req, 400, NULL, ferr.code ? ferr.code :
				"invalid_body", ferr.field[0] ? ferr.field :
				NULL, ferr.message);
		return false;
	}

	return true;
}


/* POST .../webhooks */
static void wh_create(struct wh_op *op)
{
	char rnd[64];
	int err;

	if (!parse_body(op))
		goto fail;

	err = store_obj_alloc((void **)&op->w, &store_webhooks);
	if (!err)
		err = token_random(rnd, sizeof(rnd), WH_ID_BYTES);
	if (!err) {
		re_snprintf(op->id, sizeof(op->id), "wh_%s", rnd);
		err = field_set(&op->w->id, op->id);
	}
	if (!err)
		err = field_set(&op->w->business, op->biz);
	if (!err)
		err = token_random(rnd, sizeof(rnd), WH_SECRET_BYTES);
	if (!err)
		err = field_set(&op->w->secret, rnd);
	if (err) {
		api_reply_errno(op->req, err, NULL);
		goto fail;
	}
	op->show_secret = true;   /* the one made, or the one given */
	op->create = true;

	if (!apply(op))
		goto fail;

	err = store_put(op->api->st, &store_webhooks, op->w, false, put_h,
			op);
	if (!err)
		return;
	api_reply_errno(op->req, err, NULL);

 fail:
	mem_deref(op);
}


static bool wh_list_one(struct mbuf *mb, const struct webhook *w,
			const char *biz, size_t *kp)
{
	int err = 0;

	if (strcmp(w->business, biz))
		return true;
	if ((*kp)++)
		err = mbuf_write_str(mb, ",");

	return !err && !webhook_json(mb, w, false);
}


static void list_h(int err, void *const *v, size_t n, void *arg)
{
	struct wh_op *op = arg;
	struct mbuf *mb = NULL;
	size_t i, k = 0;

	if (err) {
		api_reply_errno(op->req, err, NULL);
		goto out;
	}

	mb = mbuf_alloc(2048);
	if (!mb || mbuf_write_str(mb, "{\"webhooks\":["))
		goto nomem;
	for (i = 0; i < n; i++) {
		if (!wh_list_one(mb, v[i], op->biz, &k))
			goto nomem;
	}
	if (mbuf_write_str(mb, "]}\n"))
		goto nomem;
	api_reply_mb(op->req, 200, NULL, mb, 0);
	goto out;

 nomem:
	api_reply_errno(op->req, ENOMEM, NULL);
 out:
	mem_deref(mb);
	mem_deref(op);
}


static void deleted_h(int err, void *arg)
{
	struct wh_op *op = arg;

	if (err) {
		api_reply_errno(op->req, err, NULL);
	}
	else {
		log_info("webhook %s of %s deleted", op->id, op->biz);
		api_reply_json(op->req, 204, NULL, NULL, 0);
	}

	mem_deref(op);
}


/* one delivery as JSON; times in RFC 3339, 0 as null */
static int delivery_json(struct mbuf *mb, const struct outbox_row *r)
{
	char t[32], next[32], done[32];
	int err = 0;

	time_fmt_rfc3339(t, sizeof(t), r->t);
	time_fmt_rfc3339(next, sizeof(next), r->next_at);
	time_fmt_rfc3339(done, sizeof(done), r->delivered_at);

	err |= mbuf_printf(mb, "{\"seq\":%lld,\"event_id\":",
			   (long long)r->seq);
	err |= form_json_str(mb, r->event_id);
	/* a callback's event rows keep their own type; agent.presence is
	 * whole (schema.c) */
	err |= mbuf_printf(mb, ",\"type\":\"%s%s\",\"callback_id\":",
			   strchr(r->type, '.') ? "" : "callback.", r->type);
	err |= form_json_str(mb, r->callback_id);
	err |= mbuf_printf(mb, ",\"time\":\"%s\",\"state\":\"%s\","
			   "\"attempts\":%lld,\"last_status\":%lld,"
			   "\"last_error\":", t, r->state,
			   (long long)r->attempts,
			   (long long)r->last_status);
	err |= form_json_str(mb, r->last_error);
	err |= mbuf_printf(mb, ",\"next_at\":%s%s%s,\"delivered_at\":%s%s%s}",
			   r->next_at ? "\"" : "", r->next_at ? next : "null",
			   r->next_at ? "\"" : "",
			   r->delivered_at ? "\"" : "",
			   r->delivered_at ? done : "null",
			   r->delivered_at ? "\"" : "");

	return err;
}


static void deliveries_h(int err, void *const *v, size_t n, void *arg)
{
	struct wh_op *op = arg;
	struct mbuf *mb = NULL;
	size_t i;

	if (err) {
		api_reply_errno(op->req, err, NULL);
		goto out;
	}

	mb = mbuf_alloc(4096);
	err = !mb || mbuf_write_str(mb, "{\"deliveries\":[");
	for (i = 0; i < n && !err; i++) {
		if (i)
			err = mbuf_write_str(mb, ",");
		err |= delivery_json(mb, v[i]);
	}
	err |= mbuf_write_str(mb, "]}\n");
	api_reply_mb(op->req, 200, NULL, mb, err);
 out:
	mem_deref(mb);
	mem_deref(op);
}


static void replayed_h(int err, void *arg)
{
	struct wh_op *op = arg;
	char body[96];

	if (err == ENOENT) {
		api_reply_error(op->req, 404, NULL, "not_found", NULL,
				"no such delivery of this webhook");
	}
	else if (err) {
		api_reply_errno(op->req, err, NULL);
	}
	else {
		log_info("webhook %s: delivery %lld to be sent again", op->id,
			 (long long)op->seq);
		re_snprintf(body, sizeof(body), "{\"seq\":%lld,"
			    "\"state\":\"pending\"}\n", (long long)op->seq);
		api_reply_json(op->req, 202, NULL, body, strlen(body));
	}

	mem_deref(op);
}


/* GET, PATCH, DELETE of one: found (in this business) first */
static void found_h(int err, const void *obj, void *arg)
{
	struct wh_op *op = arg;
	const struct webhook *w = obj;

	if (!err && strcmp(w->business, op->biz))
		err = ENOENT;
	if (err == ENOENT) {
		api_reply_error(op->req, 404, NULL, "not_found", NULL,
				"no such webhook in this business");
		goto out;
	}
	if (!err)
		err = store_obj_dup((void **)&op->w, &store_webhooks, w);
	if (err) {
		api_reply_errno(op->req, err, NULL);
		goto out;
	}

	if (op->sub == WH_DELIVERIES) {
		err = store_outbox_list(op->api->st, op->id,
					WH_DELIVERIES_MAX, deliveries_h, op);
	}
	else if (op->sub == WH_REPLAY) {
		err = store_outbox_replay(op->api->st, op->id, op->seq,
					  replayed_h, op);
	}
	else if (httpd_req_method_is(op->req, "GET")) {
		reply_webhook(op, 200);
		goto out;
	}
	else if (httpd_req_method_is(op->req, "DELETE")) {
		err = store_delete(op->api->st, &store_webhooks, op->id,
				   deleted_h, op);
	}
	else {
		if (!parse_body(op) || !apply(op))
			goto out;
		err = store_put(op->api->st, &store_webhooks, op->w, true,
				put_h, op);
	}
	if (!err)
		return;
	api_reply_errno(op->req, err, NULL);

 out:
	mem_deref(op);
}


static void not_allowed(struct httpd_req *req, const char *allow)
{
	char hdrs[96];

	re_snprintf(hdrs, sizeof(hdrs), "Allow: %s\r\n", allow);
	api_reply_error(req, 405, hdrs, "method_not_allowed", NULL,
			"this method is not allowed here");
}


/* "deliveries" or "deliveries/SEQ/replay" */
static int wh_sub_parse(enum wh_sub *subp, int64_t *seqp,
			const struct pl *tail)
{
	struct pl num;

	if (!pl_strcmp(tail, "deliveries")) {
		*subp = WH_DELIVERIES;
		return 0;
	}

	if (re_regex(tail->p, tail->l, "deliveries/[0-9]+/replay", &num) ||
	    num.l > 15 || tail->l != 11 + num.l + 7)
		return ENOENT;

	*subp = WH_REPLAY;
	*seqp = (int64_t)pl_u64(&num);

	return 0;
}


/* an id as made here: "wh_" and base64url */
static bool wid_ok(const struct pl *id)
{
	size_t i;

	if (id->l < 4 || id->l >= sizeof(((struct wh_op *)0)->id) ||
	    strncmp(id->p, "wh_", 3))
		return false;
	for (i = 3; i < id->l; i++) {
		char c = id->p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}

	return true;
}


void api_webhooks(struct api *api, struct httpd_req *req,
		  const struct pl *biz, const struct pl *rest)
{
	struct wh_op *op;
	struct pl wid = PL_INIT, tail = PL_INIT;
	enum wh_sub sub = WH_ONE;
	const char *slash;
	int64_t seq = 0;
	int err = 0;

	/* rest: "webhooks" or "webhooks/WID[/deliveries[/SEQ/replay]]" */
	if (rest->l > 9 && rest->p[8] == '/') {
		wid.p = rest->p + 9;
		wid.l = rest->l - 9;
		slash = pl_strchr(&wid, '/');
		if (slash) {
			tail.p = slash + 1;
			tail.l = (size_t)(wid.p + wid.l - tail.p);
			wid.l = (size_t)(slash - wid.p);
			if (wh_sub_parse(&sub, &seq, &tail)) {
				api_reply_error(req, 404, NULL, "not_found",
						NULL, "no such resource");
				return;
			}
		}
	}
	else if (pl_strcmp(rest, "webhooks")) {
		api_reply_error(req, 404, NULL, "not_found", NULL,
				"no such resource");
		return;
	}

	if (!api_biz_find(api, biz->p, biz->l) || (wid.p && !wid_ok(&wid))) {
		api_reply_error(req, 404, NULL, "not_found", NULL,
				"no such business or webhook");
		return;
	}

	op = mem_zalloc(sizeof(*op), wh_op_destructor);
	if (!op) {
		api_reply_errno(req, ENOMEM, NULL);
		return;
	}
	op->api = api;
	op->req = req;
	pl_strcpy(biz, op->biz, sizeof(op->biz));
	if (wid.p)
		pl_strcpy(&wid, op->id, sizeof(op->id));
	op->sub = sub;
	op->seq = seq;

	if (sub != WH_ONE) {
		bool post = sub == WH_REPLAY;

		if (!httpd_req_method_is(req, post ? "POST" : "GET")) {
			not_allowed(req, post ? "POST" : "GET");
			mem_deref(op);
			return;
		}
		err = store_get(api->st, &store_webhooks, "id", op->id,
				found_h, op);
		goto started;
	}

	if (!wid.p) {
		if (httpd_req_method_is(req, "GET"))
			err = store_list(api->st, &store_webhooks, list_h,
					 op);
		else if (httpd_req_method_is(req, "POST"))
			wh_create(op);
		else
			goto not_allowed_coll;
	}
	else if (httpd_req_method_is(req, "GET") ||
		 httpd_req_method_is(req, "PATCH") ||
		 httpd_req_method_is(req, "DELETE")) {
		err = store_get(api->st, &store_webhooks, "id", op->id,
				found_h, op);
	}
	else {
		not_allowed(req, "GET, PATCH, DELETE");
		mem_deref(op);
		return;
	}

 started:
	if (err) {
		api_reply_errno(req, err, NULL);
		mem_deref(op);
	}
	return;

 not_allowed_coll:
	not_allowed(req, "GET, POST");
	mem_deref(op);
}
