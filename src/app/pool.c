/*
 * Several dialers (`dialer = tcp://A:P1, tcp://B:P2`): one link to each
 * (remote.c: its own connection, hello, pings, backoff and resume
 * timer), shown to the ACD as ONE dialer and to the API as one voice
 * port. One entry is the single dialer of before, unchanged.
 *
 * Routing. A new call goes to the link where the agent's softphone is
 * registered (endpoint "registered": the link whose dialer told the
 * registration), else to the least loaded link that is up (fewest calls
 * in flight, ties by list order); a call with a leg in a browser (the
 * visitor's voice, the agent's desk) only to a dialer whose auth answer
 * said it has WebRTC. Everything about a call in flight goes to the link
 * that holds it: the links' own tables of calls are the map from id to
 * link (a handful of links, one hash lookup each). Agents go to every
 * link; a link that comes (back) up gets every agent again.
 *
 * Failure. The ACD stops dispatching only when no link is up. A lost
 * link's calls wait dialer_resume seconds for that link alone, and are
 * then interrupted (retried per policy); the other links' calls go on
 * and new calls go to the links that are up. After a restart of this
 * process the calls the ACD kept are asked back (attach) on every link:
 * the link whose dialer takes one keeps it and the others forget it; one
 * is interrupted only when no link holds it any more (every dialer said
 * it does not, or the wait ran out).
 */
#include <errno.h>
#include <string.h>
#include <re.h>
#define LOG_SUBSYS "app"
#include "util/util.h"
#include "store/store.h"
#include "acd/acd.h"
#include "dialer/dialer.h"
#include "metrics/metrics.h"
#include "api/api.h"
#include "app/app_int.h"


struct pool {
	struct acd *acd;
	struct api *api;
	struct remote *linkv[APP_DIALERS_MAX];
	struct acd_dialer opv[APP_DIALERS_MAX];   /* each link's own */
	struct api_voice vopv[APP_DIALERS_MAX];
	size_t n;
	struct remote *only;       /* agents resent to this link alone */
	bool ready;                /* what the ACD was told */
	bool voice;                /* the API has our webrtc operations */
};


/* the same dialer: the same address, or the same name, and port */
static bool same_dialer(const struct sa *a, const char *ha,
			const struct sa *b, const char *hb)
{
	if (*ha || *hb)
		return !str_casecmp(ha, hb) && sa_port(a) == sa_port(b);

	return sa_cmp(a, b, SA_ALL);
}


int app_dialers_parse(struct app_dialers *d, const char *list)
{
	struct sa sav[APP_DIALERS_MAX];
	char host[APP_DIALERS_MAX][APP_HOST_MAX];
	const char *p = list, *end;
	size_t i, len;

	if (!d || !list)
		return EINVAL;

	d->n = 0;
	*d->bad = '\0';
	for (;;) {
		while (*p == ' ' || *p == '\t')
			++p;
		end = strchr(p, ',');
		len = end ? (size_t)(end - p) : strlen(p);
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			--len;
		(void)re_snprintf(d->bad, sizeof(d->bad), "%b", p, len);

		if (d->n == APP_DIALERS_MAX)
			return E2BIG;
		if (len >= APP_URL_MAX ||
		    app_remote_parse(&sav[d->n], host[d->n], APP_HOST_MAX,
				     d->bad))
			return EINVAL;
		for (i = 0; i < d->n; i++) {
			if (same_dialer(&sav[i], host[i], &sav[d->n],
					host[d->n]))
				return EEXIST;
		}
		str_bcpy(d->url[d->n++], d->bad, APP_URL_MAX);

		if (!end)
			break;
		p = end + 1;
	}

	*d->bad = '\0';

	return 0;
}


/* a browser takes part in the call (the visitor's voice, the agent's
 * desk): a dialer with WebRTC places it */
static bool call_webrtc(const struct acd_call *call)
{
	return !strcmp(call->agent, ACD_ENDPOINT_DESK) ||
		dialer_webrtc_endpoint(call->customer);
}


int app_dialer_pick(const struct app_dialer_load *v, size_t n, bool webrtc)
{
	int best = -1;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!v[i].up || (webrtc && !v[i].webrtc))
			continue;
		if (v[i].registered)
			return (int)i;
		if (best < 0 || v[i].calls < v[best].calls)
			best = (int)i;
	}

	return best;
}


/* the link that holds call id, or -1 */
static int holder(const struct pool *p, const char *id)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		if (app_remote_holds(p->linkv[i], id))
			return (int)i;
	}

	return -1;
}


/* ---- the ACD's operations ---- */

static int originate(void *arg, const struct acd_call *call)
{
	struct pool *p = arg;
	struct app_dialer_load v[APP_DIALERS_MAX];
	bool reg = !strcmp(call->agent, "registered");
	bool up = false;
	size_t i;
	int k;

	if (holder(p, call->id) >= 0)
		return EEXIST;

	for (i = 0; i < p->n; i++) {
		struct remote *r = p->linkv[i];

		v[i].up = app_remote_up(r);
		v[i].webrtc = app_remote_webrtc(r);
		v[i].registered = reg && app_remote_registered(r,
							       call->agent_id);
		v[i].calls = app_remote_calls(r);
		up |= v[i].up;
	}

	/* none up: the ACD was told so, or is about to be; up, but none
	 * with WebRTC for a browser's call: refused as such a dialer
	 * would */
	k = app_dialer_pick(v, p->n, call_webrtc(call));
	if (k < 0)
		return up ? ENOTSUP : ENOTCONN;

	if (p->n > 1)
		log_debug("call %s to dialer %s", call->id,
			  app_remote_url(p->linkv[k]));

	return p->opv[k].originate(p->opv[k].arg, call);
}


/* the operations about a call in flight: to the link that holds it
 * (ENOENT: none does), one body for the ACD's and the browsers' */
#define CALL_FWD(opv, op, ...)						\
	const struct pool *p = arg;					\
	int k = holder(p, id);						\
	return k < 0 ? ENOENT : p->opv[k].op(p->opv[k].arg, __VA_ARGS__)

static int offer_agent(void *arg, const char *id, const char *agent,
		       const char *agent_id)
{
	CALL_FWD(opv, offer_agent, id, agent, agent_id);
}


static int hangup(void *arg, const char *id)
{
	CALL_FWD(opv, hangup, id);
}


static int release(void *arg, const char *id)
{
	CALL_FWD(opv, release, id);
}


static void announce(void *arg, const char *id, int64_t position,
		     int64_t eta_s)
{
	const struct pool *p = arg;
	int k = holder(p, id);

	if (k >= 0)
		p->opv[k].announce(p->opv[k].arg, id, position, eta_s);
}


static void agent_set(void *arg, const struct agent *a)
{
	struct pool *p = arg;
	size_t i;

	for (i = 0; i < p->n; i++) {
		if (!p->only || p->only == p->linkv[i])
			p->opv[i].agent_set(p->opv[i].arg, a);
	}
}


static void agent_del(void *arg, const char *id)
{
	struct pool *p = arg;
	size_t i;

	for (i = 0; i < p->n; i++)
		p->opv[i].agent_del(p->opv[i].arg, id);
}


/* reachable through some dialer (one that cannot tell says yes) */
static bool agent_registered(void *arg, const char *agent_id)
{
	struct pool *p = arg;
	size_t i;

	for (i = 0; i < p->n; i++) {
		if (app_remote_up(p->linkv[i]) &&
		    p->opv[i].agent_registered(p->opv[i].arg, agent_id))
			return true;
	}

	return false;
}


/* ---- what the links tell ---- */

void app_pool_link(struct pool *p, struct remote *r, bool up)
{
	size_t i, ups = 0;

	for (i = 0; i < p->n; i++)
		ups += app_remote_up(p->linkv[i]);

	if (!up) {
		if (!ups && p->ready) {
			p->ready = false;
			acd_dialer_ready(p->acd, false);
		}
		return;
	}

	/* the agents' credentials to this dialer (a restarted one has
	 * none), then the queue goes on */
	p->only = r;
	if (!p->ready) {
		p->ready = true;
		acd_dialer_ready(p->acd, true);
	}
	else {
		acd_dialer_agents(p->acd);
	}
	p->only = NULL;
}


bool app_pool_held(const struct pool *p, const char *id)
{
	return holder(p, id) >= 0;
}


void app_pool_claim(struct pool *p, const struct remote *r, const char *id)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		if (p->linkv[i] != r)
			app_remote_forget(p->linkv[i], id);
	}
}


/* ---- browsers: to the link that holds the call ---- */

#define VOICE_FWD(op, ...) CALL_FWD(vopv, op, __VA_ARGS__)

static int voice_answer(void *arg, const char *id, const char *sdp)
{
	VOICE_FWD(answer, id, sdp);
}

static int voice_hangup(void *arg, const char *id)
{
	VOICE_FWD(hangup, id);
}

static int desk_answer(void *arg, const char *id, const char *sdp)
{
	VOICE_FWD(desk_answer, id, sdp);
}

static int desk_hangup(void *arg, const char *id, const char *reason)
{
	VOICE_FWD(desk_hangup, id, reason);
}

static int desk_hold(void *arg, const char *id, bool on)
{
	VOICE_FWD(desk_hold, id, on);
}

static int listen_call(void *arg, const char *id, const char *endpoint)
{
	VOICE_FWD(listen, id, endpoint);
}

static int listen_answer(void *arg, const char *id, const char *sdp)
{
	VOICE_FWD(listen_answer, id, sdp);
}

static int listen_hangup(void *arg, const char *id)
{
	VOICE_FWD(listen_hangup, id);
}


/* The API learns that browsers can talk once a link says its dialer
 * has an rtpengine, and keeps the operations from then on (a call on a
 * dialer without one answers ENOTSUP). */
void app_pool_voice_on(struct pool *p)
{
	struct api_voice ops;

	if (!p->api || p->voice)
		return;

	memset(&ops, 0, sizeof(ops));
	ops.arg = p;
	ops.answer = voice_answer;
	ops.hangup = voice_hangup;
	ops.desk_answer = desk_answer;
	ops.desk_hangup = desk_hangup;
	ops.desk_hold = desk_hold;
	ops.listen = listen_call;
	ops.listen_answer = listen_answer;
	ops.listen_hangup = listen_hangup;
	api_set_voice(p->api, &ops);
	p->voice = true;
}


/* ---- the pool ---- */

static bool metrics_link(unsigned i, struct metrics_link *l, void *arg)
{
	const struct pool *p = arg;

	if (i >= p->n)
		return false;

	l->url = app_remote_url(p->linkv[i]);
	l->up = app_remote_up(p->linkv[i]);
	l->calls = app_remote_calls(p->linkv[i]);

	return true;
}


static void pool_destructor(void *arg)
{
	struct pool *p = arg;
	size_t i;

	metrics_dialer_links(NULL, NULL);
	for (i = 0; i < p->n; i++)
		p->linkv[i] = mem_deref(p->linkv[i]);
}


/* A call the ACD kept from before a restart: asked back on every link. */
static void kept_h(const char *id, void *arg)
{
	struct pool *p = arg;
	size_t i;
	int err = 0;

	for (i = 0; i < p->n; i++)
		err |= app_remote_keep(p->linkv[i], id);

	if (err && holder(p, id) < 0) {
		struct acd_event e;

		memset(&e, 0, sizeof(e));
		e.type = ACD_EV_INTERRUPTED;
		e.reason = "dialer_lost";
		acd_call_event(p->acd, id, &e);
	}
}


int app_pool_alloc(struct pool **pp, struct acd *acd, const char *list,
		   const struct app_link_cfg *lc)
{
	struct app_dialers *d = NULL;
	struct acd_dialer ops;
	struct pool *p;
	size_t i;
	int err;

	if (!pp || !acd || !list || !lc)
		return EINVAL;

	p = mem_zalloc(sizeof(*p), pool_destructor);
	d = mem_zalloc(sizeof(*d), NULL);
	if (!p || !d) {
		err = ENOMEM;
		goto out;
	}
	p->acd = acd;

	err = app_dialers_parse(d, list);
	if (err)
		goto out;

	for (i = 0; i < d->n && !err; i++) {
		err = app_remote_alloc(&p->linkv[i], p, acd, d->url[i], lc);
		if (!err) {
			app_remote_ops_get(p->linkv[i], &p->opv[i],
					   &p->vopv[i]);
			p->n = i + 1;
		}
	}
	if (err)
		goto out;

	/* down until a link answers: the ACD neither dispatches nor sends
	 * credentials into the void */
	metrics_dialer_links(metrics_link, p);
	acd_dialer_ready(acd, false);

	memset(&ops, 0, sizeof(ops));
	ops.arg = p;
	ops.originate = originate;
	ops.offer_agent = offer_agent;
	ops.hangup = hangup;
	ops.announce = announce;
	ops.agent_set = agent_set;
	ops.agent_del = agent_del;
	ops.agent_registered = agent_registered;
	ops.release = release;
	acd_set_dialer(acd, &ops);

	acd_calls_kept(acd, kept_h, p);
	for (i = 0; i < p->n; i++)
		app_remote_start(p->linkv[i]);

 out:
	mem_deref(d);
	if (err)
		mem_deref(p);
	else
		*pp = p;

	return err;
}


void app_pool_voice(struct pool *p, struct api *api)
{
	size_t i;

	if (!p)
		return;

	p->api = api;
	for (i = 0; i < p->n; i++)
		app_remote_voice(p->linkv[i], api);
}


void app_pool_shutdown(struct pool *p)
{
	size_t i;

	if (!p)
		return;

	if (p->ready) {
		p->ready = false;
		acd_dialer_ready(p->acd, false);
	}
	for (i = 0; i < p->n; i++)
		app_remote_shutdown(p->linkv[i]);
}


unsigned app_pool_calls(const struct pool *p)
{
	unsigned n = 0;
	size_t i;

	for (i = 0; p && i < p->n; i++)
		n += app_remote_calls(p->linkv[i]);

	return n;
}
