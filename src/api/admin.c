/*
 * /v1/admin: businesses, agents, routing rules and the live queue, for the
 * `beckon` command line and for integrators. Authenticated with the
 * admin_token (a bearer token; "demo" in demo mode).
 *
 *   GET    /v1/admin/{businesses,agents,rules}          list
 *   GET    /v1/admin/{businesses,agents,rules}/ID       one
 *   PUT    /v1/admin/{businesses,agents,rules}/ID       create or merge
 *   DELETE /v1/admin/{agents,rules}/ID                  remove
 *   POST   /v1/admin/agents/ID/state  {"state": S}      presence
 *   PUT, GET, DELETE /v1/admin/businesses/ID/greeting   (greeting.c)
 *   GET    /v1/admin/callbacks                          the live queue
 *   GET    /v1/admin/reports, /v1/admin/callbacks/search  (report.c)
 *   ...    /v1/admin/businesses/ID/webhooks[/WID]       webhooks.c
 *
 * A PUT merges the fields it carries onto the record (or onto the
 * defaults when there is none): "If-None-Match: *" makes it create-only
 * (409 if the id exists), "If-Match: *" update-only (404 if not). Records
 * are checked whole before anything is written.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <re.h>
#define LOG_SUBSYS "admin"
#include "util/util.h"
#include "httpd/httpd.h"
#include "store/store.h"
#include "phone/phone.h"
#include "form/form.h"
#include "acd/acd.h"
#include "api/api_int.h"

enum {
	QUEUE_MAX = 1000,
	ADMIN_ID_MAX = 64,
};

enum put_mode {
	PUT_MERGE,
	PUT_CREATE,   /* If-None-Match: * */
	PUT_UPDATE,   /* If-Match: * */
};

struct admin_op {
	struct api *api;
	struct httpd_req *req;
	const struct store_table *t;
	struct form *form;
	void *obj;
	enum put_mode mode;
	bool created;
	char id[ADMIN_ID_MAX + 1];
	enum agent_state state;
};


static void op_destructor(void *arg)
{
	struct admin_op *op = arg;

	mem_deref(op->form);
	mem_deref(op->obj);
}


/* Fields never shown, and never set directly. */
static bool field_secret(const char *name)
{
	return !strcmp(name, "password_hash") ||
	       !strcmp(name, "sip_password");
}


static int record_json(struct mbuf *mb, const struct store_table *t,
		       const void *obj)
{
	size_t i;
	int err = mbuf_write_str(mb, "{");

	for (i = 0; i < t->n; i++) {
		const struct store_field *f = &t->fields[i];

		if (field_secret(f->name))
			continue;
		err |= mbuf_printf(mb, "%s\"%s\":", i ? "," : "", f->name);
		if (f->type != SF_INT)
			err |= form_json_str(mb, store_obj_str(obj, f));
		else
			err |= mbuf_printf(mb, "%lld",
					   (long long)store_obj_int(obj, f));
	}

	err |= mbuf_write_str(mb, "}");

	return err;
}


static void reply_record(struct httpd_req *req, uint16_t status,
			 const struct store_table *t, const void *obj)
{
	struct mbuf *mb = mbuf_alloc(1024);
	int err;

	err = !mb || record_json(mb, t, obj) || mbuf_write_str(mb, "\n");
	api_reply_mb(req, status, NULL, mb, err);
	mem_deref(mb);
}


bool api_admin_token_ok(const struct api *api, const struct httpd_req *req)
{
	char hash[HASH_HEX_LEN];
	struct pl auth;

	if (!api->admin_hash[0] ||
	    !httpd_req_hdr(req, "Authorization", &auth) || auth.l < 8 ||
	    strncasecmp(auth.p, "Bearer ", 7))
		return false;

	/* compare hashes, in constant time: no length or prefix leaks */
	token_hash_hex(hash, auth.p + 7, auth.l - 7);

	return token_equal(hash, api->admin_hash);
}


static bool authorized(struct api *api, struct httpd_req *req)
{
	struct pl auth;

	if (!api->admin_hash[0]) {
		api_reply_error(req, 403, NULL, "admin_disabled", NULL,
				"the admin API is off: set admin_token");
		return false;
	}

	if (!httpd_req_hdr(req, "Authorization", &auth) || auth.l < 8 ||
	    strncasecmp(auth.p, "Bearer ", 7)) {
		api_reply_error(req, 401, "WWW-Authenticate: Bearer\r\n",
				"missing_token", NULL,
				"send Authorization: Bearer ADMIN_TOKEN");
		return false;
	}

	if (!api_admin_token_ok(api, req)) {
		log_warn("admin API: wrong token from a client");
		api_reply_error(req, 401, "WWW-Authenticate: Bearer\r\n",
				"invalid_token", NULL,
				"the admin token is not valid");
		return false;
	}

	return true;
}


static bool id_ok(const struct pl *id)
{
	size_t i;

	if (!id->l || id->l > ADMIN_ID_MAX)
		return false;

	for (i = 0; i < id->l; i++) {
		char c = id->p[i];

		if (!isalnum((unsigned char)c) && c != '-' && c != '_' &&
		    c != '.')
			return false;
	}

	return true;
}


/* ---- PUT ---- */

static void put_done(int err, void *arg)
{
	struct admin_op *op = arg;

	if (err == EEXIST && op->t == &store_agents) {
		api_reply_error(op->req, 409, NULL, "exists", "login",
				"another agent has this login");
		goto out;
	}
	if (err) {
		api_reply_errno(op->req, err, NULL);
		goto out;
	}

	if (op->t == &store_businesses) {
		api_business_set(op->api, op->obj);
		acd_business_set(op->api->acd, op->obj);
		/* the other nodes' directories read it again (app.c) */
		(void)store_notify(op->api->st, store_ch_businesses, NULL);
	}
	else if (op->t == &store_agents) {
		acd_agent_set(op->api->acd, op->obj);
	}
	else if (op->t == &store_rules) {
		acd_rule_set(op->api->acd, op->obj);
	}

	log_info("%s %s %s", op->t->name, op->id,
		 op->created ? "created" : "updated");

	reply_record(op->req, op->created ? 201 : 200, op->t, op->obj);

 out:
	mem_deref(op);
}


/* Apply the request's fields to op->obj; replies and returns an error. */
static int apply_fields(struct admin_op *op)
{
	size_t i;
	int err;

	for (i = 0; i < op->form->n; i++) {
		const char *k = op->form->v[i].key;
		const char *v = op->form->v[i].val;
		char msg[128];

		if (!v)
			v = "";

		if (!strcmp(k, "id")) {
			if (strcmp(v, op->id)) {
				api_reply_error(op->req, 400, NULL,
						"invalid_field", "id", "the id "
						"is the one in the path");
				return EINVAL;
			}
			continue;
		}

		if (op->t == &store_agents && !strcmp(k, "password")) {
			char hash[PASSWORD_HASH_SIZE];

			if (strlen(v) < 8 || strlen(v) > 256) {
				api_reply_error(op->req, 400, NULL,
						"invalid_field", "password",
						"8 to 256 characters");
				return EINVAL;
			}
			err = password_hash(hash, sizeof(hash), v);
			if (!err)
				err = store_obj_set(op->obj, op->t,
						    "password_hash", hash);
			if (err) {
				api_reply_errno(op->req, err, NULL);
				return err;
			}
			continue;
		}

		if ((field_secret(k) && strcmp(k, "sip_password")) ||
		    !strcmp(k, "state") ||
		    !strcmp(k, "state_since") || !strcmp(k, "idle_since") ||
		    !strcmp(k, "state_reason")) {
			re_snprintf(msg, sizeof(msg), "%s cannot be set here",
				    k);
			api_reply_error(op->req, 400, NULL, "invalid_field", k,
					msg);
			return EINVAL;
		}

		err = store_obj_set(op->obj, op->t, k, v);
		if (err) {
			const struct store_field *f =
				store_field_find(op->t, k);

			if (err == ENOENT)
				re_snprintf(msg, sizeof(msg), "unknown field");
			else if (f->type == SF_ENUM)
				store_names_list(msg, sizeof(msg), f->names);
			else if (err == ERANGE)
				re_snprintf(msg, sizeof(msg), "between %lld "
					    "and %lld", (long long)f->min,
					    (long long)f->max);
			else
				re_snprintf(msg, sizeof(msg), "must be a "
					    "whole number");
			api_reply_error(op->req, 400, NULL, err == ENOENT ?
					"unknown_field" : "invalid_field",
					err == ENOENT && strlen(k) > 32 ? NULL
					: k, msg);
			return EINVAL;
		}
	}

	return 0;
}


static void put_found(int err, const void *found, void *arg)
{
	struct admin_op *op = arg;
	const char *field = NULL;
	char msg[160];

	if (err && err != ENOENT) {
		api_reply_errno(op->req, err, NULL);
		goto fail;
	}

	if (found && op->mode == PUT_CREATE) {
		api_reply_error(op->req, 409, NULL, "exists", NULL,
				"a record with this id exists");
		goto fail;
	}
	if (!found && op->mode == PUT_UPDATE) {
		api_reply_error(op->req, 404, NULL, "not_found", NULL,
				"no record with this id");
		goto fail;
	}

	op->created = !found;
	err = found ? store_obj_dup(&op->obj, op->t, found)
		    : store_obj_alloc(&op->obj, op->t);
	if (!err && !found) {
		err = store_obj_set(op->obj, op->t, "id", op->id);
		/* an agent's login and a business's name default to the
		 * id; a field in the request overrides them */
		if (!err && op->t == &store_agents)
			err = store_obj_set(op->obj, op->t, "login", op->id);
		if (!err && op->t != &store_rules)
			err = store_obj_set(op->obj, op->t, "name", op->id);
	}
	if (err) {
		api_reply_errno(op->req, err, NULL);
		goto fail;
	}

	if (apply_fields(op))
		goto fail;

	if (api_record_check(op->api, op->t, op->obj, &field, msg,
			     sizeof(msg))) {
		api_reply_error(op->req, 400, NULL, "invalid_field", field,
				msg);
		goto fail;
	}

	err = store_put(op->api->st, op->t, op->obj, true, put_done, op);
	if (err) {
		api_reply_errno(op->req, err, NULL);
		goto fail;
	}

	return;

 fail:
	mem_deref(op);
}


static void admin_put(struct admin_op *op)
{
	const struct pl *body = httpd_req_body(op->req);
	struct form_error ferr;
	enum form_kind kind;
	struct pl ctype, v;
	int err;

	if (!httpd_req_hdr(op->req, "Content-Type", &ctype) ||
	    form_kind_from_ctype(&kind, ctype.p, ctype.l)) {
		api_reply_error(op->req, 415, NULL, "unsupported_media_type",
				NULL, "send application/json or a form");
		goto fail;
	}

	err = form_parse(&op->form, kind == FORM_JSON ? FORM_JSON_SCALARS
			 : kind, body->p, body->l, &ferr);
	if (err) {
		api_reply_error(op->req, 400, NULL, ferr.code ? ferr.code :
				"invalid_body", ferr.field[0] ? ferr.field :
				NULL, ferr.message);
		goto fail;
	}

	if (httpd_req_hdr(op->req, "If-None-Match", &v) && !pl_strcmp(&v, "*"))
		op->mode = PUT_CREATE;
	else if (httpd_req_hdr(op->req, "If-Match", &v) &&
		 !pl_strcmp(&v, "*"))
		op->mode = PUT_UPDATE;

	err = store_get(op->api->st, op->t, "id", op->id, put_found, op);
	if (err) {
		api_reply_errno(op->req, err, NULL);
		goto fail;
	}

	return;

 fail:
	mem_deref(op);
}


/* ---- GET, DELETE ---- */

static void get_h(int err, const void *obj, void *arg)
{
	struct admin_op *op = arg;

	if (err == ENOENT)
		api_reply_error(op->req, 404, NULL, "not_found", NULL,
				"no record with this id");
	else if (err)
		api_reply_errno(op->req, err, NULL);
	else
		reply_record(op->req, 200, op->t, obj);

	mem_deref(op);
}


static void list_h(int err, void *const *v, size_t n, void *arg)
{
	struct admin_op *op = arg;
	struct mbuf *mb = NULL;
	struct pl q;
	char biz[ADMIN_ID_MAX + 1] = "";
	size_t i, k = 0;

	if (err) {
		api_reply_errno(op->req, err, NULL);
		goto out;
	}

	/* ?business=ID narrows rules and agents to one business */
	q = *httpd_req_query(op->req);
	if (q.l > 9 && !strncmp(q.p, "business=", 9)) {
		q.p += 9;
		q.l -= 9;
		pl_strcpy(&q, biz, sizeof(biz));
	}

	mb = mbuf_alloc(4096);
	if (!mb || mbuf_printf(mb, "{\"%s\":[", op->t->name)) {
		api_reply_errno(op->req, ENOMEM, NULL);
		goto out;
	}

	for (i = 0; i < n; i++) {
		if (biz[0] && op->t == &store_rules &&
		    strcmp(((struct rule *)v[i])->business, biz))
			continue;
		if (biz[0] && op->t == &store_agents) {
			const char *p = ((struct agent *)v[i])->businesses;
			const char *item;
			size_t len;
			bool in = false;

			while (!in && str_list_next(&p, &item, &len))
				in = len == strlen(biz) &&
				     !memcmp(item, biz, len);
			if (!in)
				continue;
		}
		err |= mbuf_write_str(mb, k++ ? "," : "");
		err |= record_json(mb, op->t, v[i]);
	}
	err |= mbuf_write_str(mb, "]}\n");

	api_reply_mb(op->req, 200, NULL, mb, err);

 out:
	mem_deref(mb);
	mem_deref(op);
}


static void delete_h(int err, void *arg)
{
	struct admin_op *op = arg;

	if (err == ENOENT) {
		api_reply_error(op->req, 404, NULL, "not_found", NULL,
				"no record with this id");
	}
	else if (err) {
		api_reply_errno(op->req, err, NULL);
	}
	else {
		log_info("%s %s deleted", op->t->name, op->id);
		if (op->t == &store_agents)
			acd_agent_del(op->api->acd, op->id);
		else if (op->t == &store_rules)
			acd_rule_del(op->api->acd, op->id);
		api_reply_json(op->req, 204, NULL, NULL, 0);
	}

	mem_deref(op);
}


/* ?force=true among the query's parameters */
static bool query_force(const struct httpd_req *req)
{
	const struct pl *q = httpd_req_query(req);
	const char *p = q->p, *end = q->p + q->l;

	while (p && p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		size_t n = (size_t)((amp ? amp : end) - p);

		if (n == 10 && !strncmp(p, "force=true", 10))
			return true;
		p = amp ? amp + 1 : NULL;
	}

	return false;
}


/*
 * An agent on a call or reserved for one is never removed (agent_busy);
 * one who is working (available, away, in wrap-up) or has the desk open
 * only with ?force=true, which also ends their desk sessions: removing
 * someone at work by mistake must take a second thought, whichever
 * client asks. Replies itself when the answer is no.
 */
static bool agent_removable(struct api *api, struct httpd_req *req,
			    const char *id)
{
	enum agent_state state = acd_agent_presence(api->acd, id, NULL);
	const char *st = agent_state_name(state);
	bool desk = api_agent_logged_in(api, id);
	char msg[160];

	if (state == AGENT_OFFERED || state == AGENT_ON_CALL) {
		api_reply_error(req, 409, NULL, "agent_busy", NULL,
				"the agent is on a call or reserved for one");
		return false;
	}

	if ((state != AGENT_OFFLINE || desk) && !query_force(req)) {
		re_snprintf(msg, sizeof(msg), "the agent is logged in (%s%s):"
			    " set them offline first, or force the removal "
			    "(force=true; beckon agent rm ID --force)", st,
			    desk ? ", desk open" : "");
		api_reply_error(req, 409, NULL, "agent_logged_in", NULL,
				msg);
		return false;
	}

	if (desk)
		api_agent_logout(api, id);

	return true;
}


/* ---- agent presence: the ACD owns it ---- */

static void admin_state(struct admin_op *op)
{
	const struct pl *body = httpd_req_body(op->req);
	struct form_error ferr;
	const char *st;
	int err;

	err = form_parse(&op->form, FORM_JSON, body->p, body->l, &ferr);
	if (err) {
		api_reply_error(op->req, 400, NULL, ferr.code, ferr.field[0] ?
				ferr.field : NULL, ferr.message);
		goto fail;
	}

	st = form_get(op->form, "state", NULL);
	if (agent_state_parse(st, &op->state) ||
	    (op->state != AGENT_AVAILABLE && op->state != AGENT_AWAY &&
	     op->state != AGENT_OFFLINE)) {
		api_reply_error(op->req, 400, NULL, "invalid_field", "state",
				"available, away or offline");
		goto fail;
	}

	err = acd_agent_state(op->api->acd, op->id, op->state,
			      "set by admin");
	if (err == ENOENT) {
		api_reply_error(op->req, 404, NULL, "not_found", NULL,
				"no such agent");
		goto fail;
	}
	if (err == EBUSY) {
		api_reply_error(op->req, 409, NULL, "agent_busy", NULL,
				"the agent is on a call or reserved for one");
		goto fail;
	}
	if (err == ENODEV) {
		api_reply_phone_unreachable(op->api, op->req, op->id);
		goto fail;
	}
	if (err) {
		api_reply_errno(op->req, err, NULL);
		goto fail;
	}

	/* read back after the ACD's write (the store keeps the order) */
	err = store_get(op->api->st, op->t, "id", op->id, get_h, op);
	if (err) {
		api_reply_errno(op->req, err, NULL);
		goto fail;
	}

	return;

 fail:
	mem_deref(op);
}


/* ---- the live queue ---- */

static void queue_h(int err, void *const *v, size_t n, void *arg)
{
	struct admin_op *op = arg;
	struct mbuf *mb = NULL;
	size_t i;
	char t[40];

	if (err) {
		api_reply_errno(op->req, err, NULL);
		goto out;
	}

	mb = mbuf_alloc(4096);
	if (!mb) {
		api_reply_errno(op->req, ENOMEM, NULL);
		goto out;
	}

	err = mbuf_write_str(mb, "{\"callbacks\":[");
	for (i = 0; i < n; i++) {
		const struct callback *cb = v[i];

		err |= mbuf_printf(mb, "%s{\"id\":\"%s\",\"business\":",
				   i ? "," : "", cb->id);
		err |= form_json_str(mb, cb->business);
		err |= mbuf_printf(mb, ",\"phone\":\"%s\",\"status\":",
				   cb->phone);
		err |= form_json_str(mb, callback_status_name(cb->status));
		time_fmt_rfc3339(t, sizeof(t), cb->created_at);
		err |= mbuf_printf(mb, ",\"created_at\":\"%s\"", t);
		if (cb->scheduled_for) {
			time_fmt_rfc3339(t, sizeof(t), cb->scheduled_for);
			err |= mbuf_printf(mb, ",\"scheduled_for\":\"%s\"",
					   t);
		}
		err |= mbuf_printf(mb, ",\"position\":%lld,\"name\":",
				   (long long)cb->position);
		err |= form_json_str(mb, cb->name);
		err |= mbuf_write_str(mb, ",\"page_url\":");
		err |= form_json_str(mb, cb->page_url);
		err |= mbuf_write_str(mb, ",\"agent_key\":");
		err |= form_json_str(mb, cb->agent_key);
		err |= mbuf_write_str(mb, "}");
	}
	err |= mbuf_write_str(mb, "]}\n");

	api_reply_mb(op->req, 200, NULL, mb, err);

 out:
	mem_deref(mb);
	mem_deref(op);
}


/* ---- the router ---- */

static const struct store_table *table_of(const struct pl *kind)
{
	if (!pl_strcmp(kind, "businesses"))
		return &store_businesses;
	if (!pl_strcmp(kind, "agents"))
		return &store_agents;
	if (!pl_strcmp(kind, "rules"))
		return &store_rules;

	return NULL;
}


void api_admin(struct api *api, struct httpd_req *req, const struct pl *rest)
{
	struct pl kind, id = PL_INIT, sub = PL_INIT;
	struct admin_op *op;
	const char *slash;
	int err = 0;

	if (!authorized(api, req))
		return;

	/* rest: KIND[/ID[/SUB]] */
	kind = *rest;
	slash = pl_strchr(&kind, '/');
	if (slash) {
		id.p = slash + 1;
		id.l = (size_t)(kind.p + kind.l - id.p);
		kind.l = (size_t)(slash - kind.p);
		slash = pl_strchr(&id, '/');
		if (slash) {
			sub.p = slash + 1;
			sub.l = (size_t)(id.p + id.l - sub.p);
			id.l = (size_t)(slash - id.p);
		}
	}

	if (sub.p && !pl_strcmp(&kind, "businesses") && sub.l >= 8 &&
	    !strncmp(sub.p, "webhooks", 8)) {
		api_webhooks(api, req, &id, &sub);
		return;
	}

	if (!pl_strcmp(&kind, "reports") && !id.p) {
		api_report(api, req, NULL);
		return;
	}
	if (!pl_strcmp(&kind, "callbacks") && !pl_strcmp(&id, "search") &&
	    !sub.p) {
		api_search(api, req, NULL);
		return;
	}

	/* a record changed here is one the ACD must learn (the desk across
	 * nodes is a later step: docs/cluster.md) */
	if (!httpd_req_method_is(req, "GET") && api_not_leader(api, req))
		return;

	op = mem_zalloc(sizeof(*op), op_destructor);
	if (!op) {
		api_reply_errno(req, ENOMEM, NULL);
		return;
	}
	op->api = api;
	op->req = req;

	if (!pl_strcmp(&kind, "callbacks") && !id.p) {
		if (!httpd_req_method_is(req, "GET")) {
			api_reply_error(req, 405, "Allow: GET\r\n",
					"method_not_allowed", NULL,
					"this method is not allowed here");
			goto fail;
		}
		err = store_callbacks_open(api->st, QUEUE_MAX, queue_h, op);
		goto started;
	}

	op->t = table_of(&kind);
	if (!op->t || (id.p && !id_ok(&id)) ||
	    (sub.p && (op->t != &store_agents || pl_strcmp(&sub, "state")) &&
	     (op->t != &store_businesses || pl_strcmp(&sub, "greeting")))) {
		api_reply_error(req, 404, NULL, "not_found", NULL,
				"no such resource");
		goto fail;
	}
	if (id.p)
		pl_strcpy(&id, op->id, sizeof(op->id));

	if (sub.p && op->t == &store_businesses) {
		api_greeting(api, req, op->id);
		goto fail;
	}
	if (sub.p) {
		if (!httpd_req_method_is(req, "POST")) {
			api_reply_error(req, 405, "Allow: POST\r\n",
					"method_not_allowed", NULL,
					"this method is not allowed here");
			goto fail;
		}
		admin_state(op);
		return;
	}

	if (!id.p) {
		if (!httpd_req_method_is(req, "GET")) {
			api_reply_error(req, 405, "Allow: GET\r\n",
					"method_not_allowed", NULL,
					"this method is not allowed here");
			goto fail;
		}
		err = store_list(api->st, op->t, list_h, op);
		goto started;
	}

	if (httpd_req_method_is(req, "GET")) {
		err = store_get(api->st, op->t, "id", op->id, get_h, op);
		goto started;
	}
	if (httpd_req_method_is(req, "PUT")) {
		admin_put(op);
		return;
	}
	if (httpd_req_method_is(req, "DELETE") && op->t == &store_agents &&
	    !agent_removable(api, req, op->id))
		goto fail;
	if (httpd_req_method_is(req, "DELETE") && op->t != &store_businesses) {
		err = store_delete(api->st, op->t, op->id, delete_h, op);
		goto started;
	}

	api_reply_error(req, 405, op->t == &store_businesses ?
			"Allow: GET, PUT\r\n" : "Allow: GET, PUT, DELETE\r\n",
			"method_not_allowed", NULL,
			"this method is not allowed here");
	goto fail;

 started:
	if (!err)
		return;
	api_reply_errno(req, err, NULL);

 fail:
	mem_deref(op);
}
