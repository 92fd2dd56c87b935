/*
 * The agent desktop's API: log-in, sessions, presence, the screen pop and
 * the live WebSocket.
 *
 *   POST /agent/api/login     {"login","password"} -> session cookie
 *   POST /agent/api/logout
 *   GET  /agent/api/me        the agent, its presence, its CSRF token
 *   POST /agent/api/state     {"state": available|away|offline}
 *   GET  /agent/api/callbacks/ID   the screen pop: the callback, all its
 *                                  events, the customer's history
 *   POST /agent/api/callbacks/ID/{accept,hangup,reschedule,decline,
 *                                 wrapup}
 *   POST /agent/api/ready     end the wrap-up now
 *   GET  /agent/api/supervisor   queue (with why each waits), agents,
 *                                today's figures
 *   POST /agent/api/supervisor/... a supervisor's actions (supervise.c)
 *   GET  /agent/api/reports, /agent/api/search   (report.c)
 *   GET  /agent/ws            live notifications (WebSocket)
 *
 * Sessions: a random 256-bit token in an HttpOnly, SameSite=Strict
 * cookie; the server keeps only its hash. Every state-changing request
 * carries the session's CSRF token in X-CSRF-Token and, when the browser
 * sends one, an Origin equal to the server's own. Passwords are checked
 * with argon2id on a worker thread (it takes tens of milliseconds and
 * 64 MB: not on the event loop); five failures for a login within 15
 * minutes lock it for the rest of the window.
 *
 * The sessions are kept in the store too (store_session_*, written
 * before the log-in's 200 and deleted before the log-out's 204), so that
 * an agent stays logged in when the node restarts or another node takes
 * the lead: a node that leads loads them (api_agent_restore) before it
 * answers the desk, and meanwhile answers 503 sessions_loading. Memory
 * stays the fast path: a request reads no row.
 *
 * The WebSocket carries small notifications ({"type":"agent",...} and
 * {"type":"callback","id",...}); the page fetches details over HTTP, and
 * after a reconnect re-reads /agent/api/me, so nothing depends on a
 * message that was lost while it was away.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <re.h>
#define LOG_SUBSYS "agent"
#include "util/util.h"
#include "httpd/httpd.h"
#include "store/store.h"
#include "limit/limit.h"
#include "form/form.h"
#include "acd/acd.h"
#include "cfg/cfg.h"
#include "tz/tz.h"
#include "webhook/webhook.h"
#include "api/api_int.h"

enum {
	SESSION_MS = 12 * 3600 * 1000,
	/* the sliding expiry is written when it has moved this far: a busy
	 * desk writes once an hour, not per request, and a restored
	 * session ends at most this much sooner than it would have */
	SESSION_TOUCH_MS = SESSION_MS / 12,
	RESTORE_RETRY_MS = 1000,  /* the store failed the load: again */
	LOCK_WINDOW_MS = 15 * 60 * 1000,
	LOCK_FAILS = 5,
	JOBS_MAX = 4,
	HISTORY_MAX = 20,
	TOKEN_SZ = 48,
	SUP_NUDGE_MS = 500,       /* supervisors hear of changes this late */
};

static const char cookie_name[] = "beckon_session";

struct session {
	struct le le;
	struct agent_api *aa;
	char hash[HASH_HEX_LEN];  /* of the cookie's token */
	char csrf[TOKEN_SZ];
	char agent_id[64];
	enum agent_role role;
	char *businesses;
	int64_t expires;
	int64_t stored;           /* the expiry the store has */
	struct list sockets;      /* struct sock */
};

struct sock {
	struct le le;
	struct session *s;
	struct httpd_ws *ws;
	bool phone;               /* the page holds the microphone: the
				     agent's desk phone (desk.c) */
};

struct agent_api {
	struct api *api;
	struct list sessions;
	struct list jobs;         /* password checks on their threads */
	struct mqueue *mq;
	struct limit *fails;
	unsigned njobs;
	struct tmr sup_tmr;       /* supervisors' next nudge */
	struct tmr restore_tmr;   /* the sessions' load tried again */
	bool restoring;           /* leading, the sessions not loaded yet */
};

/* a password check on the worker thread */
struct job {
	struct le le;
	struct agent_api *aa;
	struct httpd_req *req;
	pthread_t thread;
	struct agent *agent;
	char password[257];
	char login[129];
	bool ok;
	struct session *s;        /* made, being written */
	char tok[TOKEN_SZ];       /* its cookie's token, until the reply */
};

/* a log-out, its session deleted from the store first */
struct bye {
	struct agent_api *aa;
	struct httpd_req *req;
	char hash[HASH_HEX_LEN];
};


/* ---- replies ---- */


/* ---- sessions ---- */

static void sock_destructor(void *arg)
{
	struct sock *k = arg;

	list_unlink(&k->le);
	mem_deref(k->ws);
}


static void session_destructor(void *arg)
{
	struct session *s = arg;

	list_unlink(&s->le);
	list_flush(&s->sockets);
	mem_deref(s->businesses);
}


static void session_end(struct session *s);


/* a failed write loses at most SESSION_TOUCH_MS of a restored session */
static void touched_h(int err, void *arg)
{
	(void)arg;
	if (err)
		log_warn("a session's expiry not written: %s",
			 strerror(err));
}


/* The session of the request's cookie, if valid. */
static struct session *session_of(struct agent_api *aa,
				  const struct httpd_req *req)
{
	char hash[HASH_HEX_LEN], tok[TOKEN_SZ];
	const char *p, *end;
	struct pl cookie;
	int64_t now = time_now_ms();
	struct le *le;
	size_t n;

	if (!httpd_req_hdr(req, "Cookie", &cookie))
		return NULL;

	/* "a=1; beckon_session=TOKEN; b=2" */
	p = cookie.p;
	end = cookie.p + cookie.l;
	n = strlen(cookie_name);
	while (p < end) {
		const char *semi;

		while (p < end && (*p == ' ' || *p == ';'))
			p++;
		semi = memchr(p, ';', (size_t)(end - p));
		if (!semi)
			semi = end;
		if ((size_t)(semi - p) > n + 1 && !memcmp(p, cookie_name, n) &&
		    p[n] == '=') {
			size_t l = (size_t)(semi - p) - n - 1;

			if (l >= sizeof(tok))
				return NULL;
			memcpy(tok, p + n + 1, l);
			tok[l] = '\0';
			break;
		}
		p = semi;
	}
	if (p >= end)
		return NULL;

	token_hash_hex(hash, tok, strlen(tok));

	for (le = aa->sessions.head; le; le = le->next) {
		struct session *s = le->data;

		if (!token_equal(s->hash, hash))
			continue;
		if (s->expires < now) {
			session_end(s);
			return NULL;
		}
		s->expires = now + SESSION_MS;
		if (s->expires - s->stored >= SESSION_TOUCH_MS &&
		    !store_session_touch(aa->api->st, s->hash, s->expires,
					 touched_h, NULL))
			s->stored = s->expires;
		return s;
	}

	return NULL;
}


/*
 * A request that changes something must come from our own pages: the
 * CSRF token, and an Origin (when sent) naming this server.
 */
static bool same_origin(const struct httpd_req *req)
{
	struct pl origin, host;
	const char *h;

	if (!httpd_req_hdr(req, "Origin", &origin))
		return true;   /* not a cross-site browser request */
	if (!httpd_req_hdr(req, "Host", &host))
		return false;

	if (origin.l > 7 && !strncmp(origin.p, "http://", 7))
		h = origin.p + 7;
	else if (origin.l > 8 && !strncmp(origin.p, "https://", 8))
		h = origin.p + 8;
	else
		return false;

	return (size_t)(origin.p + origin.l - h) == host.l &&
	       !strncasecmp(h, host.p, host.l);
}


static bool csrf_ok(const struct session *s, const struct httpd_req *req)
{
	char tok[TOKEN_SZ];
	struct pl v;

	if (!same_origin(req))
		return false;
	if (!httpd_req_hdr(req, "X-CSRF-Token", &v) || v.l >= sizeof(tok))
		return false;

	pl_strcpy(&v, tok, sizeof(tok));

	return strlen(tok) == strlen(s->csrf) && token_equal(tok, s->csrf);
}


static struct session *require(struct agent_api *aa, struct httpd_req *req,
			       bool change)
{
	struct session *s = session_of(aa, req);

	if (!s) {
		api_reply_error(req, 401, NULL, "not_logged_in", NULL,
				"log in first");
		return NULL;
	}

	if (change && !csrf_ok(s, req)) {
		api_reply_error(req, 403, NULL, "csrf", NULL,
				"missing or wrong X-CSRF-Token");
		return NULL;
	}

	return s;
}


/* ---- log-in ---- */

/* An unknown login is checked against this (the hash of a random
 * password, thrown away; token.c's parameters) so that it takes as long
 * to refuse as a wrong password: the time of a 401 must not tell which
 * logins exist. */
static const char unknown_login_hash[] =
	"$argon2id$v=19$m=65536,t=2,p=1$xEpnBpED9ekfSu9bCst61w$"
	"BumvPDUKNxBGFZw/A1NxpEuWUHZXNJlqTe1X861uNG0";


static void *job_run(void *arg)
{
	struct job *j = arg;

	j->ok = password_verify(j->agent ? j->agent->password_hash :
				unknown_login_hash, j->password) &&
		j->agent;
	sodium_memzero(j->password, sizeof(j->password));
	mqueue_push(j->aa->mq, 0, j);

	return NULL;
}


/* The session is in the store: the agent gets its cookie. */
static void login_stored_h(int err, void *arg)
{
	struct job *j = arg;
	struct session *s = j->s;
	struct mbuf *mb = NULL;
	char hdrs[256];

	if (err) {
		log_warn("%s: session not written: %s", s->agent_id,
			 strerror(err));
		api_reply_errno(j->req, err, NULL);
		goto out;
	}

	mb = mbuf_alloc(256);
	err = !mb;
	if (!err) {
		err = mbuf_printf(mb, "{\"agent\":");
		err |= form_json_str(mb, s->agent_id);
		err |= mbuf_printf(mb, ",\"role\":\"%s\",\"csrf\":\"%s\"}\n",
				   agent_role_name(s->role), s->csrf);
	}
	if (err) {
		api_reply_errno(j->req, ENOMEM, NULL);
		goto out;
	}

	list_append(&j->aa->sessions, &s->le, s);
	j->s = NULL;
	log_info("%s logged in", s->agent_id);

	/* over HTTPS the browser must never send it in the clear */
	re_snprintf(hdrs, sizeof(hdrs), "Set-Cookie: %s=%s; Path=/; "
		    "HttpOnly; SameSite=Strict;%s Max-Age=%d\r\n",
		    cookie_name, j->tok,
		    httpd_req_secure(j->req) ? " Secure;" : "",
		    SESSION_MS / 1000);
	api_reply_mb(j->req, 200, hdrs, mb, 0);

 out:
	mem_deref(mb);
	mem_deref(j);
}


/* The password checked: a new session, written before it is told. */
static void job_done(int id, void *data, void *arg)
{
	struct job *j = data;
	struct agent_api *aa = arg;
	struct session *s;
	struct store_session row;
	char key[160];
	int64_t now = time_now_ms();
	int err;

	(void)id;
	pthread_join(j->thread, NULL);
	list_unlink(&j->le);
	aa->njobs--;

	re_snprintf(key, sizeof(key), "login|%s", j->login);

	if (!j->ok) {
		limit_add(aa->fails, key, now);
		log_info("log-in failed for '%s'", j->login);
		api_reply_error(j->req, 401, NULL, "invalid_credentials", NULL,
				"wrong login or password");
		goto fail;
	}

	s = j->s = mem_zalloc(sizeof(*s), session_destructor);
	if (!s || token_random(j->tok, sizeof(j->tok), 32) ||
	    token_random(s->csrf, sizeof(s->csrf), 32) ||
	    str_dup(&s->businesses, j->agent->businesses)) {
		api_reply_errno(j->req, ENOMEM, NULL);
		goto fail;
	}
	token_hash_hex(s->hash, j->tok, strlen(j->tok));
	str_bcpy(s->agent_id, j->agent->id, sizeof(s->agent_id));
	s->role = j->agent->role;
	s->expires = s->stored = now + SESSION_MS;
	s->aa = aa;
	list_init(&s->sockets);

	row = (struct store_session){
		.hash = s->hash, .csrf = s->csrf, .agent_id = s->agent_id,
		.role = s->role, .businesses = s->businesses,
		.expires = s->expires,
	};
	/* a live session's stored expiry lags its own by less than
	 * SESSION_TOUCH_MS: its row must outlive this purge */
	err = store_session_put(aa->api->st, &row, now - SESSION_TOUCH_MS,
				login_stored_h, j);
	if (!err)
		return;
	api_reply_errno(j->req, err, NULL);

 fail:
	mem_deref(j);
}


static void job_destructor(void *arg)
{
	struct job *j = arg;

	list_unlink(&j->le);
	mem_deref(j->agent);
	mem_deref(j->s);
	sodium_memzero(j->tok, sizeof(j->tok));
}


static void login_found(int err, const void *obj, void *arg)
{
	struct job *j = arg;

	/* unknown login: the same work and the same answer, so that a
	 * guess cannot tell which logins exist */
	if (!err)
		j->agent = mem_ref((struct agent *)obj);

	if (pthread_create(&j->thread, NULL, job_run, j)) {
		api_reply_errno(j->req, ENOMEM, NULL);
		mem_deref(j);
		return;
	}
	list_append(&j->aa->jobs, &j->le, j);
	j->aa->njobs++;
}


static void login(struct agent_api *aa, struct httpd_req *req)
{
	const struct pl *body = httpd_req_body(req);
	struct form *f = NULL;
	struct form_error ferr;
	enum form_kind kind;
	const char *login_, *pw;
	int64_t retry = 0;
	struct pl ctype;
	struct job *j;
	char key[160], hdrs[64];

	if (!same_origin(req)) {
		api_reply_error(req, 403, NULL, "origin", NULL,
				"log in from beckon's own page");
		return;
	}

	if (!httpd_req_hdr(req, "Content-Type", &ctype) ||
	    form_kind_from_ctype(&kind, ctype.p, ctype.l)) {
		api_reply_error(req, 415, NULL, "unsupported_media_type",
				NULL, "send application/json");
		return;
	}
	if (form_parse(&f, kind, body->p, body->l, &ferr)) {
		api_reply_error(req, 400, NULL, ferr.code, NULL,
				ferr.message);
		return;
	}

	login_ = form_get(f, "login", NULL);
	pw = form_get(f, "password", NULL);
	if (!login_ || !*login_ || strlen(login_) > 128 || !pw ||
	    strlen(pw) > 256) {
		api_reply_error(req, 400, NULL, "invalid_field", !login_ ||
				!*login_ ? "login" : "password",
				"login and password are required");
		goto out;
	}

	re_snprintf(key, sizeof(key), "login|%s", login_);
	if (limit_exceeded(aa->fails, key, time_now_ms(), LOCK_WINDOW_MS,
			   LOCK_FAILS, &retry)) {
		re_snprintf(hdrs, sizeof(hdrs), "Retry-After: %lld\r\n",
			    (long long)(retry + 999) / 1000);
		log_warn("log-in for '%s' refused: locked after %d failures",
			 login_, LOCK_FAILS);
		api_reply_error(req, 429, hdrs, "locked", NULL, "too many "
				"failed log-ins; try again later");
		goto out;
	}

	if (aa->njobs >= JOBS_MAX) {
		api_reply_error(req, 503, "Retry-After: 1\r\n", "busy", NULL,
				"too many log-ins at once; try again");
		goto out;
	}

	j = mem_zalloc(sizeof(*j), job_destructor);
	if (!j) {
		api_reply_errno(req, ENOMEM, NULL);
		goto out;
	}
	j->aa = aa;
	j->req = req;
	str_bcpy(j->login, login_, sizeof(j->login));
	str_bcpy(j->password, pw, sizeof(j->password));

	if (store_get(aa->api->st, &store_agents, "login", login_,
		      login_found, j)) {
		mem_deref(j);
		api_reply_errno(req, ENOMEM, NULL);
	}

 out:
	mem_deref(f);
}


/* ---- me, state, logout ---- */

/*
 * {"BUSINESS":["sale",...],...}: what the wrap-up form offers for each
 * of the agent's businesses (the admin API, which has them, is not for
 * agents).
 */
static int dispositions_json(struct mbuf *mb, const struct agent_api *aa,
			     const char *businesses)
{
	const char *p = businesses, *item;
	size_t n;
	bool first = true;
	int err = 0;

	err |= mbuf_write_str(mb, "{");
	while (str_list_next(&p, &item, &n)) {
		const struct biz *ab = api_biz_find(aa->api, item, n);
		const char *d, *di;
		size_t dn, k = 0;
		char id[65];

		if (!ab || n >= sizeof(id))
			continue;

		str_bcpy(id, item, n + 1);
		err |= mbuf_write_str(mb, first ? "" : ",");
		err |= form_json_str(mb, id);
		err |= mbuf_write_str(mb, ":[");
		d = ab->b->dispositions;
		while (str_list_next(&d, &di, &dn)) {
			char v[129];

			/* set by an admin, unchecked: quoted like any text */
			if (dn >= sizeof(v))
				continue;
			str_bcpy(v, di, dn + 1);
			err |= mbuf_write_str(mb, k++ ? "," : "");
			err |= form_json_str(mb, v);
		}
		err |= mbuf_write_str(mb, "]");
		first = false;
	}
	err |= mbuf_write_str(mb, "}");

	return err;
}


/* {"BUSINESS":1,...}: each business's calling code, for the desk to
 * show its numbers nationally and the others' internationally */
static int countries_json(struct mbuf *mb, const struct agent_api *aa,
			  const char *businesses)
{
	const char *p = businesses, *item;
	size_t n, k = 0;
	int err = 0;

	err |= mbuf_write_str(mb, "{");
	while (str_list_next(&p, &item, &n)) {
		const struct biz *ab = api_biz_find(aa->api, item, n);

		if (!ab)
			continue;
		err |= mbuf_write_str(mb, k++ ? "," : "");
		err |= form_json_str(mb, ab->b->id);
		err |= mbuf_printf(mb, ":%lld", (long long)ab->b->country);
	}
	err |= mbuf_write_str(mb, "}");

	return err;
}


/* the kind of an agent's phone, as the desk shows it */
static const char *phone_kind(const char *endpoint)
{
	if (!*endpoint)
		return "none";
	if (!strcmp(endpoint, ACD_ENDPOINT_DESK))
		return "desk";
	if (!strcmp(endpoint, "registered"))
		return "softphone";

	return "fixed";
}


static int me_json(struct mbuf *mb, const struct agent_api *aa,
		   const struct session *s, const struct agent *a)
{
	const char *cb = NULL;
	const char *state = agent_state_name(
		acd_agent_presence(aa->api->acd, s->agent_id, &cb));
	int err = 0;

	err |= mbuf_write_str(mb, "{\"agent\":{\"id\":");
	err |= form_json_str(mb, a->id);
	err |= mbuf_write_str(mb, ",\"name\":");
	err |= form_json_str(mb, a->name);
	err |= mbuf_write_str(mb, ",\"role\":");
	err |= form_json_str(mb, agent_role_name(a->role));
	err |= mbuf_write_str(mb, ",\"businesses\":");
	err |= form_json_str(mb, a->businesses);
	err |= mbuf_write_str(mb, ",\"skills\":");
	err |= form_json_str(mb, a->skills);
	err |= mbuf_write_str(mb, ",\"endpoint\":");
	err |= form_json_str(mb, a->endpoint);
	err |= mbuf_write_str(mb, ",\"state\":");
	err |= form_json_str(mb, state);
	err |= mbuf_write_str(mb, ",\"state_reason\":");
	err |= form_json_str(mb, acd_agent_reason(aa->api->acd, a->id,
						  a->state_reason));
	/* no call is routed to an agent whose phone cannot be called: the
	 * desk says so while they are available */
	err |= mbuf_printf(mb, ",\"phone_reachable\":%s",
			   acd_agent_reachable(aa->api->acd, a->id) ?
			   "true" : "false");
	/* which phone that is, and whether the desk can be one here */
	err |= mbuf_printf(mb, ",\"phone\":{\"kind\":\"%s\",\"webrtc\":%s"
			   "},\"auto_answer\":%s", phone_kind(a->endpoint),
			   api_desk_available(aa->api) ? "true" : "false",
			   a->auto_answer ? "true" : "false");
	err |= mbuf_printf(mb, ",\"state_since\":%lld},\"callback\":",
			   (long long)a->state_since);
	err |= cb ? form_json_str(mb, cb) : mbuf_write_str(mb, "null");
	err |= mbuf_write_str(mb, ",\"dispositions\":");
	err |= dispositions_json(mb, aa, a->businesses);
	err |= mbuf_write_str(mb, ",\"countries\":");
	err |= countries_json(mb, aa, a->businesses);
	err |= mbuf_printf(mb, ",\"phone_line\":%s,\"csrf\":\"%s\"}\n",
			   aa->api->no_line ? "false" : "true", s->csrf);

	return err;
}


struct me_op {
	struct agent_api *aa;
	struct httpd_req *req;
};


static void me_found(int err, const void *obj, void *arg)
{
	struct me_op *op = arg;
	struct session *s = session_of(op->aa, op->req);
	struct mbuf *mb = NULL;

	if (err || !s) {
		api_reply_error(op->req, 401, NULL, "not_logged_in", NULL,
				"log in first");
		goto out;
	}

	mb = mbuf_alloc(512);
	err = !mb || me_json(mb, op->aa, s, obj);
	api_reply_mb(op->req, 200, NULL, mb, err);

 out:
	mem_deref(mb);
	mem_deref(op);
}


static void me(struct agent_api *aa, struct httpd_req *req,
	       struct session *s)
{
	struct me_op *op = mem_zalloc(sizeof(*op), NULL);

	if (!op) {
		api_reply_errno(req, ENOMEM, NULL);
		return;
	}

	op->aa = aa;
	op->req = req;
	if (store_get(aa->api->st, &store_agents, "id", s->agent_id,
		      me_found, op)) {
		api_reply_errno(req, ENOMEM, NULL);
		mem_deref(op);
	}
}


static void set_state(struct agent_api *aa, struct httpd_req *req,
		      struct session *s)
{
	const struct pl *body = httpd_req_body(req);
	struct form *f = NULL;
	struct form_error ferr;
	enum agent_state state = AGENT_OFFLINE;
	const char *st;
	int err;

	if (form_parse(&f, FORM_JSON, body->p, body->l, &ferr)) {
		api_reply_error(req, 400, NULL, ferr.code, NULL,
				ferr.message);
		return;
	}

	st = form_get(f, "state", NULL);
	if (agent_state_parse(st, &state) || (state != AGENT_AVAILABLE &&
	    state != AGENT_AWAY && state != AGENT_OFFLINE)) {
		api_reply_error(req, 400, NULL, "invalid_field", "state",
				"available, away or offline");
		goto out;
	}

	err = acd_agent_state(aa->api->acd, s->agent_id, state,
			      "by the agent");
	if (err == EBUSY) {
		api_reply_error(req, 409, NULL, "agent_busy", NULL,
				"finish the current call first");
		goto out;
	}
	if (err == ENODEV) {
		api_reply_phone_unreachable(aa->api, req, s->agent_id);
		goto out;
	}
	if (err) {
		api_reply_errno(req, err, NULL);
		goto out;
	}

	me(aa, req, s);

 out:
	mem_deref(f);
}


/* ---- the screen pop ---- */

struct pop {
	struct agent_api *aa;
	struct httpd_req *req;
	struct mbuf *mb;
	struct callback *cb;
	char agent_id[64];
};


static void pop_destructor(void *arg)
{
	struct pop *p = arg;

	mem_deref(p->mb);
	mem_deref(p->cb);
}


static bool serves(const struct session *s, const char *business)
{
	const char *p = s->businesses, *item;
	size_t n;

	while (str_list_next(&p, &item, &n)) {
		if (n == strlen(business) && !memcmp(item, business, n))
			return true;
	}

	return false;
}


int api_cb_json(struct mbuf *mb, const struct callback *cb, bool events)
{
	char t[40];
	size_t i;
	int err = 0;

	err |= mbuf_printf(mb, "{\"id\":\"%s\",\"business\":", cb->id);
	err |= form_json_str(mb, cb->business);
	err |= mbuf_write_str(mb, ",\"phone\":");
	err |= form_json_str(mb, cb->phone);
	err |= mbuf_write_str(mb, ",\"status\":");
	err |= form_json_str(mb, callback_status_name(cb->status));
	time_fmt_rfc3339(t, sizeof(t), cb->created_at);
	err |= mbuf_printf(mb, ",\"created_at\":\"%s\"", t);
	if (cb->scheduled_for) {
		time_fmt_rfc3339(t, sizeof(t), cb->scheduled_for);
		err |= mbuf_printf(mb, ",\"scheduled_for\":\"%s\"", t);
	}
	err |= mbuf_printf(mb, ",\"attempts\":%lld,\"name\":",
			   (long long)cb->attempts);
	err |= form_json_str(mb, cb->name);
	err |= mbuf_write_str(mb, ",\"note\":");
	err |= form_json_str(mb, cb->note);
	err |= mbuf_write_str(mb, ",\"page_url\":");
	err |= form_json_str(mb, cb->page_url);
	err |= mbuf_write_str(mb, ",\"page_title\":");
	err |= form_json_str(mb, cb->page_title);
	err |= mbuf_write_str(mb, ",\"agent_key\":");
	err |= form_json_str(mb, cb->agent_key);
	err |= mbuf_write_str(mb, ",\"agent\":");
	err |= form_json_str(mb, cb->agent_id);
	err |= mbuf_write_str(mb, ",\"ended_reason\":");
	err |= form_json_str(mb, cb->ended_reason);
	/* the wrap-up, as SQLite's json_object() wrote it */
	err |= mbuf_printf(mb, ",\"outcome\":%s",
			   cb->outcome && *cb->outcome ? cb->outcome : "null");

	if (events) {
		err |= mbuf_write_str(mb, ",\"events\":[");
		for (i = 0; i < cb->nevents; i++) {
			const struct callback_event *e = &cb->events[i];

			time_fmt_rfc3339(t, sizeof(t), e->t);
			err |= mbuf_printf(mb, "%s{\"type\":", i ? "," : "");
			err |= form_json_str(mb, e->type);
			err |= mbuf_printf(mb, ",\"t\":\"%s\"", t);
			/* event data is JSON that beckon wrote */
			if (e->data)
				err |= mbuf_printf(mb, ",\"data\":%s",
						   e->data);
			err |= mbuf_write_str(mb, "}");
		}
		err |= mbuf_write_str(mb, "]");
	}

	err |= mbuf_write_str(mb, "}");

	return err;
}


static void history_h(int err, void *const *v, size_t n, void *arg)
{
	struct pop *p = arg;
	const struct biz *ab;
	int64_t left;
	size_t i, k;

	if (err) {
		api_reply_errno(p->req, err, NULL);
		goto out;
	}

	/* the countdown from the server's clock: the desk's may differ */
	left = acd_offer_left_ms(p->aa->api->acd, p->cb->id, p->agent_id);

	ab = api_biz_find(p->aa->api, p->cb->business,
			  strlen(p->cb->business));
	err = mbuf_write_str(p->mb, "{\"dial_mode\":");
	err |= form_json_str(p->mb, ab ? dial_mode_name(ab->b->dial_mode)
					  : "");
	err |= mbuf_printf(p->mb, ",\"ring_timeout_s\":%lld,"
			   "\"accept_timeout_s\":%lld,\"offer\":",
			   (long long)cfg_int(p->aa->api->cfg,
					      "ring_timeout"),
			   (long long)(ab &&
				       ab->b->dial_mode == DIAL_AGENT_FIRST ?
				       ab->b->accept_timeout : 0));
	if (left >= 0)
		err |= mbuf_printf(p->mb, "{\"left_ms\":%lld}",
				   (long long)left);
	else
		err |= mbuf_write_str(p->mb, "null");
	err |= mbuf_write_str(p->mb, ",\"callback\":");
	err |= api_cb_json(p->mb, p->cb, true);
	err |= mbuf_write_str(p->mb, ",\"history\":[");
	for (i = 0, k = 0; i < n; i++) {
		const struct callback *h = v[i];

		if (!strcmp(h->id, p->cb->id))
			continue;
		err |= mbuf_write_str(p->mb, k++ ? "," : "");
		err |= api_cb_json(p->mb, h, false);
	}
	err |= mbuf_write_str(p->mb, "]}\n");

	api_reply_mb(p->req, 200, NULL, p->mb, err);

 out:
	mem_deref(p);
}


static void pop_found(int err, const struct callback *cb, void *arg)
{
	struct pop *p = arg;
	struct session *s = session_of(p->aa, p->req);

	/* another business's callback is "not found", not "forbidden" */
	if (err || !s || !serves(s, cb->business)) {
		api_reply_error(p->req, 404, NULL, "not_found", NULL,
				"no such callback");
		mem_deref(p);
		return;
	}

	p->cb = mem_ref((struct callback *)cb);
	str_bcpy(p->agent_id, s->agent_id, sizeof(p->agent_id));
	p->mb = mbuf_alloc(2048);
	if (!p->mb || store_callback_history(p->aa->api->st, cb->business,
					     cb->phone, HISTORY_MAX,
					     history_h, p)) {
		api_reply_errno(p->req, ENOMEM, NULL);
		mem_deref(p);
	}
}


static void pop(struct agent_api *aa, struct httpd_req *req,
		const struct pl *id)
{
	struct pop *p;
	char idbuf[ID_LEN];

	if (!api_id_valid(id->p, id->l)) {
		api_reply_error(req, 404, NULL, "not_found", NULL,
				"no such callback");
		return;
	}

	p = mem_zalloc(sizeof(*p), pop_destructor);
	if (!p) {
		api_reply_errno(req, ENOMEM, NULL);
		return;
	}
	p->aa = aa;
	p->req = req;
	pl_strcpy(id, idbuf, sizeof(idbuf));

	if (store_callback_get(aa->api->st, idbuf, false, pop_found, p)) {
		api_reply_errno(req, ENOMEM, NULL);
		mem_deref(p);
	}
}


/* ---- call controls and wrap-up ---- */

struct ctl {
	struct agent_api *aa;
	struct httpd_req *req;
	struct form *form;
	char agent_id[64];
	char business[65];
	char id[ID_LEN];
	bool ready;
	int64_t follow_up;
	char phone[32];
};


static void ctl_destructor(void *arg)
{
	struct ctl *c = arg;

	mem_deref(c->form);
}


static void ok_json(struct httpd_req *req, const char *status)
{
	char body[64];
	int n = re_snprintf(body, sizeof(body), "{\"status\":\"%s\"}\n",
			    status);

	api_reply_json(req, 200, NULL, body, (size_t)n);
}


static void followup_h(int err, const struct callback_created *res,
		       void *arg)
{
	struct ctl *c = arg;

	if (err)
		log_warn("%s: follow-up not created: %s", c->id,
			 strerror(err));
	else if (res->outcome == CB_JOINED)
		log_info("%s: follow-up joined the customer's open callback "
			 "%s", c->id, res->call_id);
	else
		acd_callback_added(c->aa->api->acd, res->id);

	mem_deref(c);
}


static int followup_answer(char **answerp, int *statusp,
			   const struct callback_created *res, void *arg)
{
	(void)arg;
	*statusp = 202;

	return re_sdprintf(answerp, "{\"id\":\"%s\"}", res->id);
}


static void wrapup_done(int err, void *arg)
{
	struct ctl *c = arg;

	if (err == EEXIST) {
		api_reply_error(c->req, 409, NULL, "already_recorded", NULL,
				"an outcome was recorded for this callback");
		mem_deref(c);
		return;
	}
	if (err) {
		api_reply_errno(c->req, err, NULL);
		mem_deref(c);
		return;
	}

	log_info("%s: wrap-up recorded by %s", c->id, c->agent_id);
	if (c->ready)
		(void)acd_agent_ready(c->aa->api->acd, c->agent_id);
	ok_json(c->req, "recorded");

	/* a follow-up: a new callback for the same customer, theirs */
	if (c->follow_up) {
		struct callback_new cn;
		char note[96], key[80], tok[48];

		memset(&cn, 0, sizeof(cn));
		re_snprintf(note, sizeof(note), "follow-up of %s", c->id);
		re_snprintf(key, sizeof(key), "agent:%s", c->agent_id);
		if (api_new_id(cn.id, sizeof(cn.id), time_now_ms()) ||
		    token_random(tok, sizeof(tok), 32)) {
			mem_deref(c);
			return;
		}
		token_hash_hex(cn.cancel_hash, tok, strlen(tok));
		cn.business = c->business;
		cn.phone = c->phone;
		cn.scheduled_for = c->follow_up;
		cn.note = note;
		cn.agent_key = key;
		cn.client_ip = "agent";
		cn.answerh = followup_answer;
		cn.now = time_now_ms();
		if (!store_callback_create(c->aa->api->st, &cn, followup_h,
					   c))
			return;
	}

	mem_deref(c);
}


static void wrapup_found(int err, const struct callback *cb, void *arg)
{
	struct ctl *c = arg;
	struct session *s = session_of(c->aa, c->req);
	struct biz *ab;
	struct outcome o;
	const char *disp, *v, *field = NULL, *why = NULL;
	int64_t cents = 0, qty = 0;

	if (err || !s || !serves(s, cb->business) ||
	    strcmp(cb->agent_id, s->agent_id)) {
		api_reply_error(c->req, 404, NULL, "not_found", NULL,
				"no such call of yours");
		goto fail;
	}

	ab = api_biz_find(c->aa->api, cb->business, strlen(cb->business));
	disp = form_get(c->form, "disposition", NULL);
	if (!disp || !ab || !api_key_in_list(ab->b->dispositions, disp,
					     strlen(disp))) {
		field = "disposition";
		why = "one of the business's dispositions";
	}

	v = form_get(c->form, "amount", NULL);
	if (!field && v && *v && !api_parse_amount(v, &cents)) {
		field = "amount";
		why = "an amount such as 1499, 1499.90, 1,499.90 or "
		      "1.499,90 (at most 2 decimals)";
	}
	v = form_get(c->form, "quantity", NULL);
	if (!field && v && *v) {
		char *end;

		qty = strtoll(v, &end, 10);
		if (*end || qty < 0 || qty > 1000000) {
			field = "quantity";
			why = "a whole number";
		}
	}
	v = form_get(c->form, "currency", NULL);
	if (!field && v && *v && (strlen(v) != 3 ||
				  strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") !=
				  3)) {
		field = "currency";
		why = "an ISO 4217 code, e.g. USD";
	}
	if (!field && cents && !(v && *v)) {
		field = "currency";
		why = "an amount needs its currency";
	}
	v = form_get(c->form, "follow_up", NULL);
	if (!field && v && *v) {
		const char *w = NULL;

		if (api_parse_when(&c->follow_up, v, strlen(v),
				   time_now_ms(), c->aa->api->max_schedule_ms,
				   &w) || !c->follow_up) {
			field = "follow_up";
			why = w ? w : "a future time";
		}
	}
	if (!field) {
		static const char *const texts[][2] = {
			{"product", "200"}, {"order_ref", "100"},
			{"notes", "2000"},
		};
		size_t i;

		for (i = 0; i < ARRAY_SIZE(texts); i++) {
			size_t len;

			v = form_get(c->form, texts[i][0], &len);
			if (v && (len > (size_t)atoi(texts[i][1]) ||
				  !utf8_valid_text(v, len, true))) {
				field = texts[i][0];
				why = "too long, or control characters";
				break;
			}
		}
	}
	if (field) {
		api_reply_error(c->req, 400, NULL, "invalid_field", field, why);
		goto fail;
	}

	v = form_get(c->form, "ready", NULL);
	c->ready = v && (!strcmp(v, "true") || !strcmp(v, "1"));
	str_bcpy(c->business, cb->business, sizeof(c->business));
	str_bcpy(c->phone, cb->phone, sizeof(c->phone));

	memset(&o, 0, sizeof(o));
	o.callback_id = cb->id;
	o.business = cb->business;
	o.agent_id = s->agent_id;
	o.disposition = disp;
	o.product = form_get(c->form, "product", NULL);
	o.quantity = qty;
	o.amount_cents = cents;
	o.currency = form_get(c->form, "currency", NULL);
	o.order_ref = form_get(c->form, "order_ref", NULL);
	o.notes = form_get(c->form, "notes", NULL);
	o.t = time_now_ms();

	if (!store_outcome_put(c->aa->api->st, &o, wrapup_done, c))
		return;

	api_reply_errno(c->req, ENOMEM, NULL);

 fail:
	mem_deref(c);
}


static void control(struct agent_api *aa, struct httpd_req *req,
		    struct session *s, const struct pl *id,
		    const struct pl *what)
{
	const struct pl *body = httpd_req_body(req);
	struct form_error ferr;
	struct ctl *c;
	int err;

	if (!api_id_valid(id->p, id->l)) {
		api_reply_error(req, 404, NULL, "not_found", NULL,
				"no such callback");
		return;
	}

	c = mem_zalloc(sizeof(*c), ctl_destructor);
	if (!c) {
		api_reply_errno(req, ENOMEM, NULL);
		return;
	}
	c->aa = aa;
	c->req = req;
	pl_strcpy(id, c->id, sizeof(c->id));
	str_bcpy(c->agent_id, s->agent_id, sizeof(c->agent_id));

	if (body->l && form_parse(&c->form, FORM_JSON_SCALARS, body->p,
				  body->l, &ferr)) {
		api_reply_error(req, 400, NULL, ferr.code, NULL,
				ferr.message);
		goto out;
	}
	if (!c->form && form_parse(&c->form, FORM_JSON_SCALARS, "{}", 2,
				   &ferr)) {
		api_reply_errno(req, ENOMEM, NULL);
		goto out;
	}

	if (!pl_strcmp(what, "hangup")) {
		err = acd_hangup(aa->api->acd, c->id, s->agent_id);
		if (err == ENOENT || err == EPERM)
			api_reply_error(req, 404, NULL, "not_found", NULL,
					"no call of yours with this id");
		else if (err)
			api_reply_error(req, 409, NULL, "no_call", NULL,
					"there is no call to hang up");
		else
			ok_json(req, "hanging_up");
		goto out;
	}

	if (!pl_strcmp(what, "accept")) {
		err = acd_accept(aa->api->acd, c->id, s->agent_id);
		if (err == ENOENT || err == EPERM)
			api_reply_error(req, 404, NULL, "not_found", NULL,
					"no offer of yours with this id");
		else if (err == EBUSY)
			api_reply_error(req, 409, NULL, "not_acceptable", NULL,
					"the offer is over (accepted, "
					"declined or expired)");
		else if (err)
			api_reply_error(req, 409, NULL, "no_call", NULL,
					"calls cannot be placed now");
		else
			ok_json(req, "accepted");
		goto out;
	}

	if (!pl_strcmp(what, "decline")) {
		err = acd_decline(aa->api->acd, c->id, s->agent_id);
		if (err == ENOENT || err == EPERM)
			api_reply_error(req, 404, NULL, "not_found", NULL,
					"no call of yours with this id");
		else if (err == EBUSY)
			api_reply_error(req, 409, NULL, "not_declinable", NULL,
					"only an agent-first offer, before "
					"you answer");
		else if (err)
			api_reply_error(req, 409, NULL, "no_call", NULL,
					"there is no call to decline");
		else
			ok_json(req, "declining");
		goto out;
	}

	if (!pl_strcmp(what, "reschedule")) {
		const char *w = form_get(c->form, "when", NULL), *why = NULL;
		int64_t at = 0;

		if (!w || api_parse_when(&at, w, strlen(w), time_now_ms(),
					 aa->api->max_schedule_ms, &why) ||
		    !at) {
			api_reply_error(req, 400, NULL, "invalid_field", "when",
					why ? why : "a future RFC 3339 time");
			goto out;
		}
		err = acd_reschedule(aa->api->acd, c->id, s->agent_id, at);
		if (err == EBUSY)
			api_reply_error(req, 409, NULL, "not_connected", NULL,
					"reschedule during the call");
		else if (err)
			api_reply_error(req, 404, NULL, "not_found", NULL,
					"no call of yours with this id");
		else
			ok_json(req, "will_reschedule");
		goto out;
	}

	if (!pl_strcmp(what, "wrapup")) {
		if (!store_callback_get(aa->api->st, c->id, false,
					wrapup_found, c))
			return;
		api_reply_errno(req, ENOMEM, NULL);
		goto out;
	}

	api_reply_error(req, 404, NULL, "not_found", NULL,
			"no such resource");

 out:
	mem_deref(c);
}


/* ---- the supervisor ---- */

struct sup {
	struct agent_api *aa;
	struct httpd_req *req;
	struct mbuf *mb;
	char *businesses;
	const char *next;         /* the business whose figures come next */
	int64_t since;
	bool first;
	int err;
};


static void sup_destructor(void *arg)
{
	struct sup *p = arg;

	mem_deref(p->mb);
	mem_deref(p->businesses);
}


static void sup_next(struct sup *p);


/* "Today" for a business: since midnight in its own time zone. */
static int64_t local_midnight(struct api *api, const char *business)
{
	const struct biz *ab = api_biz_find(api, business,
						strlen(business));
	int64_t now = time_now_ms(), t;
	struct tz_local l;

	if (!ab || !ab->zone || tz_to_local(ab->zone, now, &l) ||
	    tz_from_local(ab->zone, l.year, l.month, l.day, 0, 0, 0, &t))
		return now - now % 86400000;

	return t;
}


static void figures_h(int err, const struct figures *f, void *arg)
{
	struct sup *p = arg;
	size_t i;

	if (err) {
		p->err = err;
	}
	else {
		p->err |= mbuf_printf(p->mb, "{\"requested\":%lld,"
				      "\"canceled\":%lld,"
				      "\"connected\":%lld,"
				      "\"connected_60s\":%lld,"
				      "\"median_connect_s\":%lld,"
				      "\"abandoned\":%lld,\"failed\":%lld,"
				      "\"no_human\":%lld,"
				      "\"sales\":%lld,\"totals\":[",
				      (long long)f->requested,
				      (long long)f->canceled,
				      (long long)f->connected,
				      (long long)f->connected_60s,
				      (long long)f->median_connect_s,
				      (long long)f->abandoned,
				      (long long)f->failed,
				      (long long)f->no_human,
				      (long long)f->sales);
		/* one total per currency: dollars and euros do not add up */
		for (i = 0; i < f->totaln; i++) {
			const struct figures_total *t = &f->totalv[i];

			p->err |= mbuf_printf(p->mb, "%s{\"currency\":",
					      i ? "," : "");
			p->err |= form_json_str(p->mb, t->currency);
			p->err |= mbuf_printf(p->mb, ",\"sales\":%lld,"
					      "\"amount_cents\":%lld}",
					      (long long)t->sales,
					      (long long)t->cents);
		}
		p->err |= mbuf_printf(p->mb, "],\"totals_cut\":%s}",
				      f->totals_cut ? "true" : "false");
	}

	sup_next(p);
}


/* Webhook endpoints of the supervisor's businesses that were stopped
 * for failing (their host only: a URL may carry a token), last. */
static void sup_webhooks_h(int err, void *const *v, size_t n, void *arg)
{
	struct sup *p = arg;
	size_t i, k = 0;

	p->err |= err;
	p->err |= mbuf_write_str(p->mb, ",\"webhooks_failing\":[");
	for (i = 0; !err && i < n; i++) {
		const struct webhook *w = v[i];
		struct webhook_url u;
		char t[40];

		if (!w->failing_since || !api_key_in_list(p->businesses,
				w->business, strlen(w->business)) ||
		    webhook_url_parse(&u, w->url, NULL))
			continue;
		time_fmt_rfc3339(t, sizeof(t), w->failing_since);
		p->err |= mbuf_printf(p->mb, "%s{\"id\":", k++ ? "," : "");
		p->err |= form_json_str(p->mb, w->id);
		p->err |= mbuf_write_str(p->mb, ",\"business\":");
		p->err |= form_json_str(p->mb, w->business);
		p->err |= mbuf_write_str(p->mb, ",\"host\":");
		p->err |= form_json_str(p->mb, u.host);
		p->err |= mbuf_printf(p->mb, ",\"failures\":%lld,"
				      "\"failing_since\":\"%s\"}",
				      (long long)w->failures, t);
	}
	p->err |= mbuf_write_str(p->mb, "]}\n");

	if (p->err)
		api_reply_errno(p->req, p->err, NULL);
	else
		api_reply_mb(p->req, 200, NULL, p->mb, 0);

	mem_deref(p);
}


static void sup_next(struct sup *p)
{
	const char *item;
	size_t n;

	if (!p->err && str_list_next(&p->next, &item, &n)) {
		char id[65];

		re_snprintf(id, sizeof(id), "%b", item, n);
		p->err |= mbuf_printf(p->mb, "%s\"%s\":", p->first ? "" : ",",
				      id);
		p->first = false;
		if (store_figures(p->aa->api->st, id, local_midnight(p->aa->api,
								     id),
				  figures_h, p))
			p->err = ENOMEM;
		else
			return;
	}

	if (!p->err)
		p->err = mbuf_write_str(p->mb, "}");
	if (!p->err && !store_list(p->aa->api->st, &store_webhooks,
				   sup_webhooks_h, p))
		return;

	api_reply_errno(p->req, p->err ? p->err : ENOMEM, NULL);
	mem_deref(p);
}


static void sup_agents_h(int err, void *const *v, size_t n, void *arg)
{
	struct sup *p = arg;
	size_t i, k = 0;

	if (err) {
		api_reply_errno(p->req, err, NULL);
		mem_deref(p);
		return;
	}

	p->err |= mbuf_write_str(p->mb, "],\"agents\":[");
	for (i = 0; i < n; i++) {
		const struct agent *a = v[i];
		const char *item, *q = a->businesses;
		const char *cb = NULL, *st;
		size_t len;
		bool mine = false;

		while (!mine && str_list_next(&q, &item, &len)) {
			const char *b = p->businesses, *bi;
			size_t bl;

			while (str_list_next(&b, &bi, &bl))
				mine |= bl == len && !memcmp(bi, item, len);
		}
		if (!mine)
			continue;

		st = agent_state_name(acd_agent_presence(p->aa->api->acd,
							 a->id, &cb));
		p->err |= mbuf_printf(p->mb, "%s{\"id\":", k++ ? "," : "");
		p->err |= form_json_str(p->mb, a->id);
		p->err |= mbuf_write_str(p->mb, ",\"name\":");
		p->err |= form_json_str(p->mb, a->name);
		p->err |= mbuf_write_str(p->mb, ",\"state\":");
		p->err |= form_json_str(p->mb, st);
		/* what the supervisor may assign to: the agent, their teams */
		p->err |= mbuf_write_str(p->mb, ",\"skills\":");
		p->err |= form_json_str(p->mb, a->skills);
		p->err |= mbuf_write_str(p->mb, ",\"businesses\":");
		p->err |= form_json_str(p->mb, a->businesses);
		p->err |= mbuf_write_str(p->mb, ",\"reason\":");
		p->err |= form_json_str(p->mb, acd_agent_reason(
					p->aa->api->acd, a->id,
					a->state_reason));
		p->err |= mbuf_printf(p->mb, ",\"since\":%lld,\"callback\":",
				      (long long)a->state_since);
		p->err |= cb ? form_json_str(p->mb, cb)
			     : mbuf_write_str(p->mb, "null");
		p->err |= mbuf_write_str(p->mb, "}");
	}
	p->err |= mbuf_write_str(p->mb, "],\"figures\":{");

	p->next = p->businesses;
	p->first = true;
	sup_next(p);
}


/* why it waits (acd_why), until when, and a supervisor's assignment */
static int why_json(struct mbuf *mb, const struct acd *acd,
		    const struct callback *cb)
{
	int64_t until = 0;
	enum acd_wait w = acd_why(acd, cb->id, &until);
	char t[40];
	int err = 0;

	err |= mbuf_write_str(mb, ",\"why\":");
	err |= w != ACD_WAIT_NONE ? form_json_str(mb, acd_wait_name(w))
				  : mbuf_write_str(mb, "null");
	if (until > 0) {
		time_fmt_rfc3339(t, sizeof(t), until);
		err |= mbuf_printf(mb, ",\"why_until\":\"%s\"", t);
	}
	else {
		err |= mbuf_write_str(mb, ",\"why_until\":null");
	}
	err |= mbuf_write_str(mb, ",\"assigned\":");
	err |= form_json_str(mb, cb->assigned ? cb->assigned : "");

	return err;
}


static void sup_queue_h(int err, void *const *v, size_t n, void *arg)
{
	struct sup *p = arg;
	size_t i, k = 0;
	int64_t now = time_now_ms();

	if (err) {
		api_reply_errno(p->req, err, NULL);
		mem_deref(p);
		return;
	}

	p->err |= mbuf_write_str(p->mb, "{");
	p->err |= api_node_json(p->aa->api, p->mb);
	p->err |= mbuf_write_str(p->mb, ",\"queue\":[");
	for (i = 0; i < n; i++) {
		const struct callback *cb = v[i];
		const char *b = p->businesses, *item;
		size_t len;
		bool mine = false;

		while (!mine && str_list_next(&b, &item, &len))
			mine = len == strlen(cb->business) &&
			       !memcmp(item, cb->business, len);
		if (!mine)
			continue;

		p->err |= mbuf_write_str(p->mb, k++ ? "," : "");
		p->err |= api_cb_json(p->mb, cb, false);
		/* the age, the time in this status (since the last
		 * change), and the rule, for the queue's columns */
		p->mb->pos = p->mb->end - 1;
		p->mb->end--;
		p->err |= mbuf_printf(p->mb, ",\"age_s\":%lld,\"status_s\":"
				      "%lld,\"position\":%lld,\"rule\":",
				      (long long)(now - cb->created_at) / 1000,
				      (long long)(now - cb->updated_at) / 1000,
				      (long long)cb->position);
		p->err |= form_json_str(p->mb, cb->rule_id);
		p->err |= why_json(p->mb, p->aa->api->acd, cb);
		p->err |= mbuf_write_str(p->mb, "}");
	}

	if (store_list(p->aa->api->st, &store_agents, sup_agents_h, p)) {
		api_reply_errno(p->req, ENOMEM, NULL);
		mem_deref(p);
	}
}


static void supervisor(struct agent_api *aa, struct httpd_req *req,
		       struct session *s)
{
	struct sup *p;
	int64_t now = time_now_ms();

	if (s->role != ROLE_SUPERVISOR && s->role != ROLE_ADMIN) {
		api_reply_error(req, 403, NULL, "forbidden", NULL,
				"for supervisors");
		return;
	}

	p = mem_zalloc(sizeof(*p), sup_destructor);
	if (!p || str_dup(&p->businesses, s->businesses)) {
		mem_deref(p);
		api_reply_errno(req, ENOMEM, NULL);
		return;
	}
	p->aa = aa;
	p->req = req;
	p->since = now - now % 86400000;
	p->mb = mbuf_alloc(4096);

	if (!p->mb || store_callbacks_open(aa->api->st, 1000, sup_queue_h,
					   p)) {
		api_reply_errno(req, ENOMEM, NULL);
		mem_deref(p);
	}
}


/* ---- the WebSocket ---- */

/* The agent's desk is a phone while one of its pages holds the
 * microphone: tell the ACD when that changes. */
static void desk_changed(struct agent_api *aa, const char *agent_id)
{
	acd_agent_desk(aa->api->acd, agent_id, api_desk_available(aa->api) &&
		       api_agent_phones(aa->api, agent_id) > 0);
}


/* A ready socket is no phone any more (closed, logged out, or the page
 * let the microphone go): its calls end, maybe the desk's phone. */
static void sock_phone_off(struct sock *k)
{
	struct agent_api *aa = k->s->aa;
	char agent[API_AGENT_ID_MAX];

	if (!k->phone)
		return;
	k->phone = false;
	str_bcpy(agent, k->s->agent_id, sizeof(agent));
	api_desk_sock_gone(aa->api, agent, k,
			   api_agent_phones(aa->api, agent));
	desk_changed(aa, agent);
}


/* A socket goes (closed, logged out): its phone first, then the
 * supervisor's listen it holds (listen.c); k is no longer counted. */
static void sock_gone(struct sock *k)
{
	struct api *api = k->s->aa->api;
	char agent[API_AGENT_ID_MAX];

	sock_phone_off(k);
	list_unlink(&k->le);
	str_bcpy(agent, k->s->agent_id, sizeof(agent));
	api_listen_sock_gone(api, agent, k, api_agent_pages(api, agent));
	mem_deref(k);
}


/* {"type":"phone","ready":B}, a call's "answer", "hangup", "hold" or
 * "unhold", or a supervisor's "listen_answer" or "listen_stop" */
static int desk_msg(struct sock *k, const struct odict *od)
{
	struct agent_api *aa = k->s->aa;
	const char *type = odict_string(od, "type");
	bool ready;

	if (!type)
		return EPROTO;

	if (!strcmp(type, "phone")) {
		if (!odict_get_boolean(od, &ready, "ready"))
			return EINVAL;
		if (ready && !api_desk_available(aa->api))
			return ENOTSUP;
		if (ready) {
			k->phone = true;
			desk_changed(aa, k->s->agent_id);
		}
		else {
			sock_phone_off(k);
		}
		/* said after the ACD knows: the page may go available */
		return httpd_ws_send(k->ws, ready ?
				     "{\"type\":\"phone\",\"ready\":true}" :
				     "{\"type\":\"phone\",\"ready\":false}",
				     ready ? 29 : 30);
	}

	if (!strcmp(type, "listen_answer") || !strcmp(type, "listen_stop"))
		return api_listen_msg(aa->api, k->s->agent_id, k, type,
				      odict_string(od, "id"),
				      odict_string(od, "sdp"));

	if (strcmp(type, "answer") && strcmp(type, "hangup") &&
	    strcmp(type, "hold") && strcmp(type, "unhold"))
		return EPROTO;

	return api_desk_msg(aa->api, k->s->agent_id, k, type,
			    odict_string(od, "id"), odict_string(od, "sdp"),
			    odict_string(od, "reason"));
}


static void ws_msg(struct httpd_ws *ws, const char *text, size_t len,
		   void *arg)
{
	struct sock *k = arg;
	struct odict *od = NULL;
	char msg[96];
	int err, n;

	/* "ping" keeps proxies from timing out; the rest is the desk's
	 * phone (desk.c) */
	if (!len || text[0] != '{') {
		(void)httpd_ws_send(ws, "{\"type\":\"pong\"}", 15);
		return;
	}

	err = json_decode_odict(&od, 8, text, len, 4);
	if (!err)
		err = desk_msg(k, od);
	mem_deref(od);
	if (!err)
		return;

	n = re_snprintf(msg, sizeof(msg), "{\"type\":\"error\",\"error\":"
			"\"%s\"}", err == ENOENT ? "no_such_call" :
			err == ENOTSUP ? "no_webrtc" :
			err == EALREADY || err == EPERM ? "taken" :
			"refused");
	if (n > 0)
		(void)httpd_ws_send(ws, msg, (size_t)n);
}


static void ws_close(struct httpd_ws *ws, int err, void *arg)
{
	struct sock *k = arg;

	(void)ws;
	(void)err;
	sock_gone(k);
}


/* The end of a session (log-out, the agent removed): its phones and
 * listens first. */
static void session_end(struct session *s)
{
	struct le *le;

	while ((le = list_head(&s->sockets)))
		sock_gone(le->data);
	mem_deref(s);
}


unsigned api_agent_phones(const struct api *api, const char *agent_id)
{
	unsigned n = 0;
	struct le *le, *k;

	for (le = api->agent->sessions.head; le; le = le->next) {
		const struct session *s = le->data;

		if (strcmp(s->agent_id, agent_id))
			continue;
		for (k = s->sockets.head; k; k = k->next)
			n += ((const struct sock *)k->data)->phone;
	}

	return n;
}


/* msg to the agent's pages: all of them, or those that are its phone */
static void send_sockets(struct api *api, const char *agent_id,
			 const char *msg, size_t len, bool phones)
{
	struct le *le, *k;

	for (le = api->agent->sessions.head; le; le = le->next) {
		struct session *s = le->data;

		if (strcmp(s->agent_id, agent_id))
			continue;
		for (k = s->sockets.head; k; k = k->next) {
			struct sock *sk = k->data;

			if (sk->phone || !phones)
				(void)httpd_ws_send(sk->ws, msg, len);
		}
	}
}


void api_agent_send(struct api *api, const char *agent_id, const char *msg,
		    size_t len)
{
	send_sockets(api, agent_id, msg, len, true);
}


unsigned api_agent_pages(const struct api *api, const char *agent_id)
{
	unsigned n = 0;
	struct le *le;

	for (le = api->agent->sessions.head; le; le = le->next) {
		const struct session *s = le->data;

		if (!strcmp(s->agent_id, agent_id))
			n += list_count(&s->sockets);
	}

	return n;
}


void api_agent_send_pages(struct api *api, const char *agent_id,
			  const char *msg, size_t len)
{
	send_sockets(api, agent_id, msg, len, false);
}


static void ws_open(struct agent_api *aa, struct httpd_req *req,
		    struct session *s)
{
	struct sock *k;

	if (!same_origin(req)) {
		api_reply_error(req, 403, NULL, "origin", NULL,
				"cross-site WebSocket refused");
		return;
	}

	k = mem_zalloc(sizeof(*k), sock_destructor);
	if (!k) {
		api_reply_errno(req, ENOMEM, NULL);
		return;
	}
	k->s = s;

	if (httpd_ws_accept(&k->ws, req, ws_msg, ws_close, k)) {
		mem_deref(k);
		return;
	}

	list_append(&s->sockets, &k->le, k);
	log_debug("%s: desktop connected (%u open)", s->agent_id,
		  list_count(&s->sockets));
	(void)aa;
}


static bool is_supervisor(const struct session *s)
{
	return s->role == ROLE_SUPERVISOR || s->role == ROLE_ADMIN;
}


/* Tell every supervisor's page that the queue or an agent changed; the
 * page asks for the whole view again (GET /agent/api/supervisor). */
static void sup_timeout(void *arg)
{
	static const char msg[] = "{\"type\":\"queue\"}";
	struct agent_api *aa = arg;
	struct le *le, *k;

	for (le = aa->sessions.head; le; le = le->next) {
		struct session *s = le->data;

		if (!is_supervisor(s))
			continue;
		for (k = s->sockets.head; k; k = k->next) {
			struct sock *sk = k->data;

			(void)httpd_ws_send(sk->ws, msg, sizeof(msg) - 1);
		}
	}
}


/* Changes come in bursts (a callback's every step, hundreds a second at
 * peak): at most one nudge every SUP_NUDGE_MS, sent at the end of it. */
static void sup_nudge(struct agent_api *aa)
{
	struct le *le;

	if (tmr_isrunning(&aa->sup_tmr))
		return;

	for (le = aa->sessions.head; le; le = le->next) {
		struct session *s = le->data;

		if (is_supervisor(s) && !list_isempty(&s->sockets)) {
			tmr_start(&aa->sup_tmr, SUP_NUDGE_MS, sup_timeout,
				  aa);
			return;
		}
	}
}


/* The ACD changed something an agent sees: tell its pages, and the
 * supervisors'. */
static void watch_h(const char *agent_id, const char *callback_id,
		    void *arg)
{
	struct agent_api *aa = arg;
	char msg[192];
	struct le *le;
	int n = 0;

	sup_nudge(aa);

	if (!agent_id)
		return;

	for (le = aa->sessions.head; le; le = le->next) {
		struct session *s = le->data;
		struct le *k;

		if (strcmp(s->agent_id, agent_id))
			continue;

		if (!n) {
			const char *st = agent_state_name(
				acd_agent_presence(aa->api->acd, agent_id,
						   NULL));

			n = re_snprintf(msg, sizeof(msg), "{\"type\":\"update\","
					"\"state\":\"%s\",\"callback\":%s%s%s}",
					st, callback_id ? "\"" : "",
					callback_id ? callback_id : "null",
					callback_id ? "\"" : "");
		}

		for (k = s->sockets.head; k; k = k->next) {
			struct sock *sk = k->data;

			(void)httpd_ws_send(sk->ws, msg, (size_t)n);
		}
	}
}


/* ---- log-out ---- */

/* Deleted from the store: ended here (if still alive), and told. Until
 * then the session still works, so a failed log-out can be tried
 * again, and a restart never brings back one that was told it ended. */
static void bye_h(int err, void *arg)
{
	struct bye *b = arg;
	struct le *le;

	if (err) {
		api_reply_errno(b->req, err, NULL);
		goto out;
	}

	for (le = b->aa->sessions.head; le; le = le->next) {
		struct session *s = le->data;

		if (token_equal(s->hash, b->hash)) {
			log_info("%s logged out", s->agent_id);
			session_end(s);
			break;
		}
	}
	api_reply_json(b->req, 204, "Set-Cookie: beckon_session=; Path=/; "
		       "HttpOnly; SameSite=Strict; Max-Age=0\r\n", NULL, 0);

 out:
	mem_deref(b);
}


static void logout(struct agent_api *aa, struct httpd_req *req,
		   struct session *s)
{
	struct bye *b = mem_zalloc(sizeof(*b), NULL);
	int err;

	if (!b) {
		api_reply_errno(req, ENOMEM, NULL);
		return;
	}
	b->aa = aa;
	b->req = req;
	str_bcpy(b->hash, s->hash, sizeof(b->hash));

	err = store_session_end(aa->api->st, b->hash, NULL, bye_h, b);
	if (err) {
		api_reply_errno(req, err, NULL);
		mem_deref(b);
	}
}


/* ---- the sessions restored ---- */

static void restore_start(struct agent_api *aa);


static void restore_retry(void *arg)
{
	restore_start(arg);
}


static bool session_known(const struct agent_api *aa, const char *hash)
{
	struct le *le;

	for (le = aa->sessions.head; le; le = le->next) {
		if (token_equal(((struct session *)le->data)->hash, hash))
			return true;
	}

	return false;
}


static int session_restore(struct agent_api *aa,
			   const struct store_session *row)
{
	struct session *s;

	if (strlen(row->hash) >= sizeof(s->hash) ||
	    strlen(row->csrf) >= sizeof(s->csrf) ||
	    strlen(row->agent_id) >= sizeof(s->agent_id))
		return EBADMSG;
	if (session_known(aa, row->hash))
		return 0;

	s = mem_zalloc(sizeof(*s), session_destructor);
	if (!s || str_dup(&s->businesses, row->businesses)) {
		mem_deref(s);
		return ENOMEM;
	}
	str_bcpy(s->hash, row->hash, sizeof(s->hash));
	str_bcpy(s->csrf, row->csrf, sizeof(s->csrf));
	str_bcpy(s->agent_id, row->agent_id, sizeof(s->agent_id));
	s->role = row->role;
	s->expires = s->stored = row->expires;
	s->aa = aa;
	list_init(&s->sockets);
	list_append(&aa->sessions, &s->le, s);

	return 0;
}


static void restore_h(int err, void *const *v, size_t n, void *arg)
{
	struct agent_api *aa = arg;
	size_t i, bad = 0;

	if (err) {
		log_warn("loading the desk's sessions: %s (again in %d ms)",
			 strerror(err), RESTORE_RETRY_MS);
		tmr_start(&aa->restore_tmr, RESTORE_RETRY_MS, restore_retry,
			  aa);
		return;
	}

	for (i = 0; i < n; i++)
		bad += session_restore(aa, v[i]) != 0;
	if (bad)
		log_warn("%zu desk session%s not restored", bad,
			 bad == 1 ? "" : "s");

	aa->restoring = false;
	log_info("%zu desk session%s restored", n - bad, n - bad == 1 ?
		 "" : "s");
}


static void restore_start(struct agent_api *aa)
{
	int err = store_sessions_live(aa->api->st, time_now_ms(), restore_h,
				      aa);

	if (err)
		restore_h(err, NULL, 0, aa);
}


/* This node leads: the sessions the store keeps (those of agents that
 * still exist, not expired) before the desk is answered. */
void api_agent_restore(struct api *api)
{
	struct agent_api *aa = api->agent;

	if (!aa || aa->restoring)
		return;
	aa->restoring = true;
	restore_start(aa);
}


/* ---- the router ---- */

void api_agent(struct api *api, struct httpd_req *req, const struct pl *rest)
{
	struct agent_api *aa = api->agent;
	struct session *s;

	/* not a wrong 401 while the sessions are being loaded */
	if (aa->restoring && (!pl_strcmp(rest, "ws") || (rest->l >= 4 &&
	    !strncmp(rest->p, "api/", 4)))) {
		api_reply_error(req, 503, "Retry-After: 1\r\n",
				"sessions_loading", NULL, "this node is "
				"loading the desk's sessions; try again");
		return;
	}

	if (!pl_strcmp(rest, "ws")) {
		s = require(aa, req, false);
		if (s)
			ws_open(aa, req, s);
		return;
	}

	if (!pl_strcmp(rest, "api/login") &&
	    httpd_req_method_is(req, "POST")) {
		login(aa, req);
		return;
	}

	if (!pl_strcmp(rest, "api/logout") &&
	    httpd_req_method_is(req, "POST")) {
		s = require(aa, req, true);
		if (s)
			logout(aa, req, s);
		return;
	}

	if (!pl_strcmp(rest, "api/me") && httpd_req_method_is(req, "GET")) {
		s = require(aa, req, false);
		if (s)
			me(aa, req, s);
		return;
	}

	if (!pl_strcmp(rest, "api/state") &&
	    httpd_req_method_is(req, "POST")) {
		s = require(aa, req, true);
		if (s)
			set_state(aa, req, s);
		return;
	}

	if (rest->l > 14 && !strncmp(rest->p, "api/callbacks/", 14)) {
		struct pl id, what = PL_INIT;
		const char *slash;

		id.p = rest->p + 14;
		id.l = rest->l - 14;
		slash = pl_strchr(&id, '/');
		if (slash) {
			what.p = slash + 1;
			what.l = (size_t)(id.p + id.l - what.p);
			id.l = (size_t)(slash - id.p);
		}

		if (!slash && httpd_req_method_is(req, "GET")) {
			s = require(aa, req, false);
			if (s)
				pop(aa, req, &id);
			return;
		}
		if (slash && httpd_req_method_is(req, "POST")) {
			s = require(aa, req, true);
			if (s)
				control(aa, req, s, &id, &what);
			return;
		}
	}

	if (!pl_strcmp(rest, "api/ready") &&
	    httpd_req_method_is(req, "POST")) {
		s = require(aa, req, true);
		if (!s)
			return;
		if (acd_agent_ready(aa->api->acd, s->agent_id))
			api_reply_error(req, 409, NULL, "not_in_wrap_up",
					NULL, "not in wrap-up");
		else
			me(aa, req, s);
		return;
	}

	if (rest->l > 15 && !strncmp(rest->p, "api/supervisor/", 15) &&
	    (httpd_req_method_is(req, "POST") ||
	     httpd_req_method_is(req, "DELETE"))) {
		struct pl sub;

		s = require(aa, req, true);
		if (!s)
			return;
		if (!is_supervisor(s)) {
			api_reply_error(req, 403, NULL, "forbidden", NULL,
					"for supervisors");
			return;
		}
		sub.p = rest->p + 15;
		sub.l = rest->l - 15;
		api_supervise(api, req, s->agent_id, s->businesses, &sub);
		return;
	}

	if (!pl_strcmp(rest, "api/supervisor") &&
	    httpd_req_method_is(req, "GET")) {
		s = require(aa, req, false);
		if (s)
			supervisor(aa, req, s);
		return;
	}

	/* reports and the search (report.c), for the supervisor's
	 * businesses only */
	if (!pl_strcmp(rest, "api/reports") ||
	    !pl_strcmp(rest, "api/search")) {
		s = require(aa, req, false);
		if (!s)
			return;
		if (!is_supervisor(s))
			api_reply_error(req, 403, NULL, "forbidden", NULL,
					"for supervisors");
		else if (rest->p[4] == 'r')
			api_report(api, req, s->businesses);
		else
			api_search(api, req, s->businesses);
		return;
	}

	/* not the API: the desktop's own files */
	if (rest->l < 4 || strncmp(rest->p, "api/", 4)) {
		api_static_agent(api, req, rest);
		return;
	}

	api_reply_error(req, 404, NULL, "not_found", NULL,
			"no such resource");
}


static void agent_api_destructor(void *arg)
{
	struct agent_api *aa = arg;

	struct le *le;

	tmr_cancel(&aa->sup_tmr);
	tmr_cancel(&aa->restore_tmr);

	/* a password check still running must finish before what it
	 * writes to goes: join each (at most JOBS_MAX, milliseconds) */
	while ((le = list_head(&aa->jobs))) {
		struct job *j = le->data;

		pthread_join(j->thread, NULL);
		api_reply_error(j->req, 503, NULL, "shutting_down", NULL,
				"the server is stopping");
		mem_deref(j);
	}

	list_flush(&aa->sessions);
	mem_deref(aa->mq);
	mem_deref(aa->fails);
}


/* Has the agent a desk session that has not expired? */
bool api_agent_logged_in(const struct api *api, const char *agent_id)
{
	int64_t now = time_now_ms();
	struct le *le;

	for (le = api->agent->sessions.head; le; le = le->next) {
		const struct session *s = le->data;

		if (!strcmp(s->agent_id, agent_id) && s->expires >= now)
			return true;
	}

	return false;
}


static void ended_h(int err, void *arg)
{
	(void)arg;
	if (err)
		log_warn("an agent's sessions not deleted from the store: %s",
			 strerror(err));
}


/* End the agent's desk sessions (and their WebSockets): the agent is
 * being removed, or set offline by a supervisor. At once here; the
 * store's rows follow (a removed agent's are never restored anyway). */
void api_agent_logout(struct api *api, const char *agent_id)
{
	struct le *le = api->agent->sessions.head;
	int err;

	while (le) {
		struct session *s = le->data;

		le = le->next;
		if (!strcmp(s->agent_id, agent_id))
			session_end(s);
	}

	err = store_session_end(api->st, NULL, agent_id, ended_h, NULL);
	if (err)
		ended_h(err, NULL);
}


int api_agent_alloc(struct api *api)
{
	struct agent_api *aa;
	int err;

	aa = mem_zalloc(sizeof(*aa), agent_api_destructor);
	if (!aa)
		return ENOMEM;

	aa->api = api;
	list_init(&aa->sessions);
	list_init(&aa->jobs);
	tmr_init(&aa->sup_tmr);
	tmr_init(&aa->restore_tmr);

	err = mqueue_alloc(&aa->mq, job_done, aa);
	if (!err)
		err = limit_alloc(&aa->fails, LOCK_WINDOW_MS);
	if (err) {
		mem_deref(aa);
		return err;
	}

	api->agent = aa;
	api_agent_watch(api);

	return 0;
}


void api_agent_watch(struct api *api)
{
	acd_set_watch(api->acd, watch_h, api->agent);
}
