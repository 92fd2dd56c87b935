/*
 * A supervisor acts, from the supervisor view (desk session, CSRF token,
 * role supervisor or admin, and only on the businesses they serve):
 *
 *   POST /agent/api/supervisor/callbacks/ID/cancel
 *   POST /agent/api/supervisor/callbacks/ID/reschedule  {"when": RFC 3339}
 *   POST /agent/api/supervisor/callbacks/ID/front
 *   POST /agent/api/supervisor/callbacks/ID/assign  {"agent": ID} or
 *                                                   {"team": KEY}
 *   POST /agent/api/supervisor/agents/ID/state  {"state": away|offline}
 *   POST, DELETE /agent/api/supervisor/callbacks/ID/listen
 *
 * Listening (listen.c) is for a connected callback only (else 409
 * not_connected) and needs WebRTC (else 503 no_webrtc); the audio comes
 * over the supervisor's desk WebSocket, DELETE stops it.
 *
 * A callback is acted on only while it waits (queued and not offered,
 * or scheduled): otherwise, or when it moved on while the change was
 * being stored, the answer is 409 not_waiting naming its status. The
 * ACD stores each action with an event naming the supervisor
 * (acd_supervise), so it is in the callback's history and its webhooks.
 * "offline" logs the agent out: their desk sessions end too.
 */
#include <errno.h>
#include <string.h>
#include <re.h>
#define LOG_SUBSYS "agent"
#include "util/util.h"
#include "httpd/httpd.h"
#include "store/store.h"
#include "form/form.h"
#include "acd/acd.h"
#include "api/api_int.h"

struct sup_op {
	struct api *api;
	struct httpd_req *req;
	struct form *form;
	struct acd_sup r;
	char id[ID_LEN];
	char by[64];
	char *businesses;         /* the supervisor's */
	enum agent_state state;   /* agents/ID/state */
	char action[16];
	bool listen;              /* callbacks/ID/listen */
};


static void sup_op_destructor(void *arg)
{
	struct sup_op *op = arg;

	mem_deref(op->form);
	mem_deref(op->businesses);
}


static bool serves_any(const char *mine, const char *theirs)
{
	const char *p = theirs, *item;
	size_t n;

	while (str_list_next(&p, &item, &n)) {
		if (api_key_in_list(mine, item, n))
			return true;
	}

	return false;
}


/* {"id": id, key: value} */
static void reply_done(struct httpd_req *req, const char *id,
		       const char *key, const char *value)
{
	char body[160];
	int n = re_snprintf(body, sizeof(body), "{\"id\":\"%s\",\"%s\":"
			    "\"%s\"}\n", id, key, value);

	api_reply_json(req, 200, NULL, body, (size_t)n);
}


static void not_waiting(struct httpd_req *req, const char *status)
{
	char msg[128];

	re_snprintf(msg, sizeof(msg), "the callback is %s, no longer "
		    "waiting: nothing was changed", status);
	api_reply_error(req, 409, NULL, "not_waiting", NULL, msg);
}


static void done_h(int err, void *arg)
{
	struct sup_op *op = arg;

	if (err == EALREADY || err == ENOENT)
		not_waiting(op->req, "being called or has ended");
	else if (err)
		api_reply_errno(op->req, err, NULL);
	else
		reply_done(op->req, op->id, "done", op->action);

	mem_deref(op);
}


static void not_connected(struct httpd_req *req, const char *status)
{
	char msg[128];

	re_snprintf(msg, sizeof(msg), "the callback is %s, not connected: "
		    "only a call in progress can be listened to", status);
	api_reply_error(req, 409, NULL, "not_connected", NULL, msg);
}


/* the callback is one of theirs: listen if it is connected */
static void listen_start(struct sup_op *op, const struct callback *cb)
{
	int err;

	if (cb->status != CBS_CONNECTED) {
		not_connected(op->req, callback_status_name(cb->status));
		return;
	}

	err = api_listen_start(op->api, op->id, op->by);
	if (!err)
		reply_done(op->req, op->id, "listen", "offered");
	else if (err == EALREADY)
		api_reply_error(op->req, 409, NULL, "listening", NULL,
				"someone listens to this call already");
	else if (err == ENOENT || err == EBUSY)
		not_connected(op->req, "not bridged (now)");
	else if (err == ENOTSUP)
		api_reply_error(op->req, 503, NULL, "no_webrtc", NULL,
				"this server has no WebRTC (rtpengine)");
	else
		api_reply_errno(op->req, err, NULL);
}


/* DELETE .../callbacks/ID/listen: the supervisor's own listen */
static void listen_stop(struct sup_op *op)
{
	if (api_listen_stop(op->api, op->id, op->by))
		api_reply_error(op->req, 404, NULL, "not_listening", NULL,
				"you are not listening to this call");
	else
		reply_done(op->req, op->id, "listen", "stopped");
}


static void cb_found(int err, const struct callback *cb, void *arg)
{
	struct sup_op *op = arg;
	const char *status = NULL;

	if (err && err != ENOENT) {
		api_reply_errno(op->req, err, NULL);
		goto out;
	}
	/* another business's callback does not exist for them */
	if (err || !api_key_in_list(op->businesses, cb->business,
				    strlen(cb->business))) {
		api_reply_error(op->req, 404, NULL, "not_found", NULL,
				"no such callback");
		goto out;
	}

	if (op->listen) {
		listen_start(op, cb);
		goto out;
	}

	err = acd_supervise(op->api->acd, &op->r, &status, done_h, op);
	if (!err)
		return;

	if (err == ENOENT)
		not_waiting(op->req, callback_status_name(cb->status));
	else if (err == EBUSY)
		not_waiting(op->req, status ? status
				     : callback_status_name(cb->status));
	else if (err == EINPROGRESS)
		api_reply_error(op->req, 409, NULL, "in_progress", NULL,
				"another change of this callback is being "
				"stored: look again");
	else if (err == EINVAL)
		api_reply_error(op->req, 400, NULL, "invalid_field",
				op->r.agent ? "agent" : "team",
				op->r.agent ? "an agent of the callback's "
				"business" : "a team (key) of the callback's "
				"business");
	else
		api_reply_errno(op->req, err, NULL);

 out:
	mem_deref(op);
}


/* What the action needs from the body; false: answered 400. */
static bool action_args(struct sup_op *op)
{
	const char *w, *why = NULL;

	switch (op->r.action) {

	case ACD_SUP_RESCHEDULE:
		w = form_get(op->form, "when", NULL);
		if (!w || api_parse_when(&op->r.at, w, strlen(w),
					 time_now_ms(),
					 op->api->max_schedule_ms, &why) ||
		    !op->r.at) {
			api_reply_error(op->req, 400, NULL, "invalid_field",
					"when", why ? why :
					"a future RFC 3339 time");
			return false;
		}
		return true;

	case ACD_SUP_ASSIGN:
		op->r.agent = form_get(op->form, "agent", NULL);
		op->r.team = form_get(op->form, "team", NULL);
		if (!op->r.agent == !op->r.team) {
			api_reply_error(op->req, 400, NULL, "invalid_field",
					op->r.agent ? "team" : "agent",
					"either agent or team");
			return false;
		}
		return true;

	default:
		return true;
	}
}


/* an ACD action (not a listen); false: answered 404 or 400 */
static bool action_prepare(struct sup_op *op, const struct pl *action)
{
	if (acd_sup_action_parse(&op->r.action, action->p, action->l)) {
		api_reply_error(op->req, 404, NULL, "not_found", NULL,
				"cancel, reschedule, front, assign or listen");
		return false;
	}
	if (!action_args(op))
		return false;

	op->r.id = op->id;
	op->r.by = op->by;
	pl_strcpy(action, op->action, sizeof(op->action));

	return true;
}


static void callback_act(struct sup_op *op, const struct pl *id,
			 const struct pl *action)
{
	if (!api_id_valid(id->p, id->l)) {
		api_reply_error(op->req, 404, NULL, "not_found", NULL,
				"no such callback");
		goto out;
	}
	pl_strcpy(id, op->id, sizeof(op->id));
	op->listen = !pl_strcmp(action, "listen");
	if (op->listen && httpd_req_method_is(op->req, "DELETE")) {
		listen_stop(op);
		goto out;
	}
	if (op->listen && !api_listen_available(op->api)) {
		api_reply_error(op->req, 503, NULL, "no_webrtc", NULL,
				"this server has no WebRTC (rtpengine)");
		goto out;
	}
	if (!op->listen && !action_prepare(op, action))
		goto out;

	if (!store_callback_get(op->api->st, op->id, true, cb_found, op))
		return;

	api_reply_errno(op->req, ENOMEM, NULL);
 out:
	mem_deref(op);
}


static void agent_found(int err, const void *obj, void *arg)
{
	struct sup_op *op = arg;
	const struct agent *a = obj;
	char reason[96];

	if (err || !serves_any(op->businesses, a->businesses)) {
		api_reply_error(op->req, 404, NULL, "not_found", NULL,
				"no such agent of yours");
		goto out;
	}

	re_snprintf(reason, sizeof(reason), "%s by supervisor %s",
		    op->state != AGENT_AWAY ? "logged out" : "set away",
		    op->by);
	err = acd_agent_state(op->api->acd, a->id, op->state, reason);
	if (err == EBUSY) {
		api_reply_error(op->req, 409, NULL, "agent_busy", NULL,
				"the agent is reserved for or on a call: "
				"after it");
		goto out;
	}
	if (err) {
		api_reply_errno(op->req, err, NULL);
		goto out;
	}

	log_info("%s: %s", a->id, reason);
	if (op->state == AGENT_OFFLINE)
		api_agent_logout(op->api, a->id);
	reply_done(op->req, a->id, "state", agent_state_name(op->state));

 out:
	mem_deref(op);
}


static void agent_act(struct sup_op *op, const struct pl *id,
		      const struct pl *what)
{
	const char *st = form_get(op->form, "state", NULL);
	char aid[64];

	if (pl_strcmp(what, "state") || !id->l || id->l >= sizeof(aid)) {
		api_reply_error(op->req, 404, NULL, "not_found", NULL,
				"no such resource");
		goto out;
	}
	if (agent_state_parse(st, &op->state) ||
	    (op->state != AGENT_AWAY && op->state != AGENT_OFFLINE)) {
		api_reply_error(op->req, 400, NULL, "invalid_field", "state",
				"away or offline");
		goto out;
	}
	pl_strcpy(id, aid, sizeof(aid));

	if (!store_get(op->api->st, &store_agents, "id", aid, agent_found,
		       op))
		return;

	api_reply_errno(op->req, ENOMEM, NULL);
 out:
	mem_deref(op);
}


/* "a/b/c" into its three parts, none empty */
static bool path_split(const struct pl *rest, struct pl *a, struct pl *b,
		       struct pl *c)
{
	const char *s1 = pl_strchr(rest, '/'), *s2;
	struct pl tail;

	if (!s1)
		return false;
	tail.p = s1 + 1;
	tail.l = (size_t)(rest->p + rest->l - tail.p);
	s2 = pl_strchr(&tail, '/');
	if (!s2)
		return false;

	a->p = rest->p;
	a->l = (size_t)(s1 - rest->p);
	b->p = tail.p;
	b->l = (size_t)(s2 - tail.p);
	c->p = s2 + 1;
	c->l = (size_t)(rest->p + rest->l - c->p);

	return a->l && b->l && c->l && !pl_strchr(c, '/');
}


void api_supervise(struct api *api, struct httpd_req *req, const char *by,
		   const char *businesses, const struct pl *rest)
{
	const struct pl *body = httpd_req_body(req);
	struct pl kind, id, what;
	struct form_error ferr;
	struct sup_op *op;

	/* callbacks/ID/ACTION or agents/ID/state */
	if (!path_split(rest, &kind, &id, &what)) {
		api_reply_error(req, 404, NULL, "not_found", NULL,
				"no such resource");
		return;
	}

	op = mem_zalloc(sizeof(*op), sup_op_destructor);
	if (!op || str_dup(&op->businesses, businesses)) {
		mem_deref(op);
		api_reply_errno(req, ENOMEM, NULL);
		return;
	}
	op->api = api;
	op->req = req;
	str_bcpy(op->by, by, sizeof(op->by));

	if (form_parse(&op->form, FORM_JSON_SCALARS, body->l ? body->p : "{}",
		       body->l ? body->l : 2, &ferr)) {
		api_reply_error(req, 400, NULL, ferr.code, NULL,
				ferr.message);
		mem_deref(op);
		return;
	}

	if (httpd_req_method_is(req, "DELETE") &&
	    (pl_strcmp(&kind, "callbacks") || pl_strcmp(&what, "listen"))) {
		api_reply_error(req, 405, NULL, "method_not_allowed", NULL,
				"only a listen is deleted");
		mem_deref(op);
	}
	else if (!pl_strcmp(&kind, "callbacks"))
		callback_act(op, &id, &what);
	else if (!pl_strcmp(&kind, "agents"))
		agent_act(op, &id, &what);
	else {
		api_reply_error(req, 404, NULL, "not_found", NULL,
				"no such resource");
		mem_deref(op);
	}
}
