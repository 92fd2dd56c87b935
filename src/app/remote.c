/*
 * The ACD's dialer port to a dialer in another process (`dialer =
 * tcp://HOST:PORT`, one entry of the list: pool.c): the same operations
 * as port.c, carried over the call-control protocol
 * (docs/call-control.md) instead of function calls.
 *
 * The link's life:
 *
 *   wait --(timer)--> connecting --(TCP up)--> hello --(nonce: auth with
 *   the HMAC)--> auth --(ok)--> [confirm --(the store: still our
 *   epoch)-->] up --(closed, error, silence)--> wait
 *
 * Every failure leads back to "wait", with a backoff that doubles from
 * BACKOFF_MIN to BACKOFF_MAX (with jitter, so that several servers do not
 * knock in step), and is reset by a link that stayed up a while. The
 * secret never crosses the wire: the client answers the hello's nonce
 * with HMAC-SHA256(control_secret, nonce).
 *
 * What a lost link means for calls: they go on at the dialer, which keeps
 * their events for whoever attaches them. The calls in flight are set
 * aside ("detached") for dialer_resume seconds; the first thing sent on
 * the next link is an attach for each, and the dialer answers with what
 * each missed (its end, perhaps), so a network failure between the two
 * loses nothing. A call the dialer does not know any more (it restarted)
 * or that is not taken back in time is reported to the ACD as interrupted
 * (recorded, retried or failed per policy, its agent free again), exactly
 * as after a crash of this process; its id is kept, and the next link
 * starts with a hangup for it, so that a dialer that outlived the link
 * does not keep a call nobody watches. A restart of this process is
 * a lost link too: the calls the store says were in flight (the ACD
 * kept them, acd_keep_calls) start out set aside, and the first link
 * attaches each; the dialer answers for each whether it still holds it
 * (ok: taken back, its callback and agent as they were; not_found:
 * interrupted). attach, not status, asks: it answers and takes the call
 * in one step, so a call cannot end between the question and the
 * taking, and its answer is one short line whatever the number of
 * calls. This is one link; pool.c holds one for each dialer of the
 * list and tells the ACD: while no link is up it dispatches nothing
 * (acd_dialer_ready), and once a link is up (again) the ACD sends every
 * agent's credentials anew through it (a restarted dialer forgot them);
 * agent deletions made meanwhile are sent first. A kept call is asked
 * back on every link: a link's give-up reports it interrupted only when
 * no other link holds it (app_pool_held), and the link whose dialer
 * takes it back has the others forget it (app_pool_claim).
 *
 * A cluster's leader says its fencing epoch in the auth (0, a single
 * node: none said). The dialer answers "stale" to a link of an epoch a
 * newer leader has passed, and "detached" for a call a newer leader's
 * attach took: either way this node no longer leads, and it stops at
 * once, as when the store refuses a fenced write (app_lead_lost).
 * A dialer that restarted has forgotten every epoch, and would take a
 * stale leader's link as readily as the new leader's; so a leader's link
 * is up (carries a command) only once the store, asked after the
 * dialer's ok to the auth, says the epoch still leads (confirm): a leader
 * replaced meanwhile learns it there and stops, and no link of a stale
 * leader is ever up after its replacement, whatever the order in which
 * it wakes to its sockets (docs/cluster.md, "The leader's lock and the
 * fence").
 *
 * HOST may be a name: it is looked up again before every connection
 * (the dialer may have moved), first in /etc/hosts, then with an A query
 * (AAAA when there is no A) to the name servers of dns_servers or of
 * /etc/resolv.conf, through libre's asynchronous DNS client: the loop
 * never waits for a name server. A name that does not resolve is a
 * failed attempt like a refused connection.
 *
 * A dialer that stops answering (no line for DEAD_MS, while we ping every
 * PING_MS) is treated as gone; a line longer than DIALER_LINE_MAX is a
 * protocol error and ends the link. Secrets (control_secret, agents' SIP
 * passwords) are never logged, and buffers that held them are wiped.
 */
#include <errno.h>
#include <string.h>
#include <sodium.h>
#include <re.h>
#define LOG_SUBSYS "app"
#include "util/util.h"
#include "store/store.h"
#include "acd/acd.h"
#include "dialer/dialer.h"
#include "metrics/metrics.h"
#include "api/api.h"
#include "app/app_int.h"

enum {
	HANDSHAKE_MS = 5000,       /* TCP connect, hello and auth */
	PING_MS = 5000,
	DEAD_MS = 15000,           /* no line at all for this long */
	BACKOFF_MIN = 200,
	BACKOFF_MAX = 10000,
	STABLE_MS = 3000,          /* up this long: the backoff starts over */
	LOG_EVERY = 30,            /* repeated failures: one line in N */
	NONCE_MAX = 128,
	ID_MAX = 64,
	CALLS_HASH = 256,
	TXQ_MAX = 4 * 1024 * 1024,
};

enum rstate {
	R_WAIT = 0,
	R_RESOLVING,
	R_CONNECTING,
	R_HELLO,
	R_AUTH,
	R_CONFIRM,                 /* a leader's: asking the store */
	R_UP,
	R_STOPPED,
};

struct confirm;

struct remote {
	struct pool *pool;         /* the links to every dialer */
	struct acd *acd;
	struct sa addr;
	char host[APP_HOST_MAX];   /* a name to look up, "": addr is it */
	uint16_t port;
	struct dnsc *dnsc;         /* for host, made at the first lookup */
	struct dns_query *dq;
	const char *dns_servers;   /* the config's, "": /etc/resolv.conf */
	const char *node;          /* this node's id, said in auth */
	char url[APP_URL_MAX];     /* tcp://HOST:PORT, for logs */
	char *secret;
	struct tcp_conn *tc;
	struct tcp_conn *dead_tc;  /* a link that ended, freed next turn */
	struct mbuf *rx;
	struct tmr tmr;            /* backoff, handshake, ping */
	struct tmr dead_tmr;
	enum rstate state;
	uint32_t backoff;
	unsigned fails;            /* attempts failed in a row */
	int64_t up_since;
	int64_t last_rx;
	struct hash *callh;        /* calls in flight, by id */
	struct list calls;
	struct list detached;      /* in flight when the link broke */
	struct tmr resume_tmr;     /* the detached are given up */
	uint32_t resume_ms;
	struct list orphans;       /* to hang up on the next link */
	struct list dels;          /* agent_del while down */
	struct hash *regs;         /* struct rreg: softphones registered */
	bool watch_off;            /* the dialer knows no agent_watch */
	struct api *api;           /* browsers' signalling, or NULL */
	bool webrtc;               /* the dialer's auth ok said it can */
	bool voice;                /* the API has our webrtc operations */
	bool stopping;
	uint64_t epoch;            /* the leader's, said in auth (0: none) */
	struct confirm *confirm;   /* the store's answer awaited, or NULL */
	char fail_why[96];
};

/* a store_leader_get for the link r (NULL: the link it was for is gone,
 * the answer is for nobody) */
struct confirm {
	struct remote *r;
};

/* a call in flight, or an id to hang up, or an agent to delete */
struct rcall {
	struct le le;
	struct le he;
	char id[ID_MAX + 1];
};


/* a softphone agent registered at the dialer, until when (agent_watch) */
struct rreg {
	struct le he;
	char id[ID_MAX + 1];
	int64_t until;             /* ms, time_now_ms() */
};


static void reconnect_timeout(void *arg);
static void link_down(struct remote *r, bool auth, const char *why);


/* the store's answer awaited for the link goes to nobody */
static void confirm_drop(struct remote *r)
{
	if (r->confirm)
		r->confirm->r = NULL;
	r->confirm = NULL;
}


static void rcall_destructor(void *arg)
{
	struct rcall *rc = arg;

	list_unlink(&rc->le);
	hash_unlink(&rc->he);
}


static struct rcall *rcall_alloc(const char *id)
{
	struct rcall *rc;

	if (!id || strlen(id) > ID_MAX)
		return NULL;

	rc = mem_zalloc(sizeof(*rc), rcall_destructor);
	if (rc)
		str_bcpy(rc->id, id, sizeof(rc->id));

	return rc;
}


static bool id_cmp(struct le *le, void *arg)
{
	const struct rcall *rc = le->data;

	return !strcmp(rc->id, arg);
}


static struct rcall *call_find(const struct remote *r, const char *id)
{
	struct le *le;

	if (!id)
		return NULL;

	le = hash_lookup(r->callh, hash_joaat_str(id), id_cmp,
			 (void *)id);

	return le ? le->data : NULL;
}


/* ---- registrations (agent_watch) ---- */

static bool reg_cmp(struct le *le, void *arg)
{
	const struct rreg *rg = le->data;

	return !strcmp(rg->id, arg);
}


static struct rreg *reg_find(const struct remote *r, const char *id)
{
	struct le *le;

	if (!id)
		return NULL;

	le = hash_lookup(r->regs, hash_joaat_str(id), reg_cmp, (void *)id);

	return le ? le->data : NULL;
}


static void rreg_destructor(void *arg)
{
	struct rreg *rg = arg;

	hash_unlink(&rg->he);
}


/* forget an agent's registration: it ended, or is no longer worth one */
static void reg_forget(struct remote *r, const char *id)
{
	mem_deref(reg_find(r, id));
}


/* {"event":"registration","agent":...,"registered":...,"expires":S} */
static void handle_registration(struct remote *r, const struct odict *od)
{
	const char *id = odict_string(od, "agent");
	const struct odict_entry *e = odict_lookup(od, "expires");
	struct rreg *rg;
	bool reg = false;

	if (!id || strlen(id) > ID_MAX)
		return;
	(void)odict_get_boolean(od, &reg, "registered");

	rg = reg_find(r, id);
	if (reg && e && e->type == ODICT_INT && e->u.integer > 0) {
		if (!rg) {
			rg = mem_zalloc(sizeof(*rg), rreg_destructor);
			if (!rg)
				return;
			str_bcpy(rg->id, id, sizeof(rg->id));
			hash_append(r->regs, hash_joaat_str(rg->id), &rg->he,
				    rg);
		}
		/* a lapse is not told: the time left says it */
		rg->until = time_now_ms() + e->u.integer * 1000;
	}
	else {
		mem_deref(rg);
	}

	acd_agent_registered(r->acd, id);
}


static bool agent_registered(void *arg, const char *agent_id)
{
	struct remote *r = arg;
	const struct rreg *rg;

	/* a dialer that cannot tell: reachable until its leg fails */
	if (r->watch_off)
		return true;

	rg = reg_find(r, agent_id);

	return rg && rg->until > time_now_ms();
}


/* ---- sending ---- */

/* One command line; wipe: the line holds a secret. */
static int send_od(struct remote *r, const struct odict *od, bool wipe)
{
	struct mbuf *mb;
	int err;

	if (r->state < R_HELLO || r->state > R_UP || !r->tc)
		return ENOTCONN;

	/* a line with a secret is written where it will fit: a buffer
	 * that grows leaves a copy behind, unwiped */
	mb = mbuf_alloc(wipe ? DIALER_LINE_MAX : 256);
	if (!mb)
		return ENOMEM;

	err = mbuf_printf(mb, "%H\n", json_encode_odict, od);
	if (!err && mb->end > DIALER_LINE_MAX)
		err = EMSGSIZE;
	mb->pos = 0;
	if (!err)
		err = tcp_send(r->tc, mb);

	if (wipe)
		sodium_memzero(mb->buf, mb->size);
	mem_deref(mb);

	if (err && err != EMSGSIZE) {
		/* a dialer that does not read: the link is no good */
		re_snprintf(r->fail_why, sizeof(r->fail_why), "send: %s",
			    strerror(err));
		link_down(r, false, r->fail_why);
	}

	return err;
}


/* A command with string fields, given as name, value pairs (NULL values
 * are left out), ending with NULL. */
static int send_cmd(struct remote *r, const char *cmd, ...)
{
	struct odict *od;
	const char *k, *v;
	va_list ap;
	int err;

	err = odict_alloc(&od, 8);
	if (err)
		return err;

	err = odict_entry_add(od, "cmd", ODICT_STRING, cmd);

	va_start(ap, cmd);
	while (!err && (k = va_arg(ap, const char *))) {
		v = va_arg(ap, const char *);
		if (v)
			err = odict_entry_add(od, k, ODICT_STRING, v);
	}
	va_end(ap);

	if (!err)
		err = send_od(r, od, false);

	mem_deref(od);

	return err;
}


/* ---- the ACD's operations ---- */

static int originate(void *arg, const struct acd_call *call)
{
	struct remote *r = arg;
	char desk[APP_DESK_MAX];
	struct rcall *rc;
	struct odict *od = NULL;
	int err;

	if (r->state != R_UP)
		return ENOTCONN;
	if (call_find(r, call->id))
		return EEXIST;

	rc = rcall_alloc(call->id);
	if (!rc)
		return EINVAL;

	err = odict_alloc(&od, 16);
	if (err)
		goto out;

	err  = odict_entry_add(od, "cmd", ODICT_STRING, "originate");
	err |= odict_entry_add(od, "id", ODICT_STRING, call->id);
	err |= odict_entry_add(od, "customer", ODICT_STRING, call->customer);
	err |= odict_entry_add(od, "agent", ODICT_STRING,
			       app_agent_target(desk, sizeof(desk),
						call->agent, call->agent_id));
	err |= odict_entry_add(od, "mode", ODICT_STRING,
			       strcmp(call->mode, "agent_first") ?
			       "customer_first" : "agent_first");
	if (call->prompt && *call->prompt)
		err |= odict_entry_add(od, "prompt", ODICT_STRING,
				       call->prompt);
	if (call->whisper && *call->whisper)
		err |= odict_entry_add(od, "whisper", ODICT_STRING,
				       call->whisper);
	if (call->goodbye && *call->goodbye)
		err |= odict_entry_add(od, "goodbye", ODICT_STRING,
				       call->goodbye);
	if (call->caller_id && *call->caller_id)
		err |= odict_entry_add(od, "caller_id", ODICT_STRING,
				       call->caller_id);
	if (call->max_hold_s > 0)
		err |= odict_entry_add(od, "max_hold", ODICT_INT,
				       call->max_hold_s);
	err |= odict_entry_add(od, "record", ODICT_BOOL, call->record);
	if (call->language && *call->language)
		err |= odict_entry_add(od, "language", ODICT_STRING,
				       call->language);
	if (call->greeting && *call->greeting)
		err |= odict_entry_add(od, "greeting", ODICT_STRING,
				       call->greeting);
	err |= odict_entry_add(od, "announce_every", ODICT_INT,
			       call->announce_every);
	err |= odict_entry_add(od, "position", ODICT_INT, call->position);
	err |= odict_entry_add(od, "eta", ODICT_INT, call->eta_s);
	if (call->human_check)
		err |= odict_entry_add(od, "human_check", ODICT_INT,
				       call->human_check);
	if (err)
		goto out;

	/* in flight from now on: its end, whatever happens to the link,
	 * is reported */
	hash_append(r->callh, hash_joaat_str(rc->id), &rc->he, rc);
	list_append(&r->calls, &rc->le, rc);

	err = send_od(r, od, false);
	if (err && r->state != R_UP) {
		/* the link broke under it: the call was reported
		 * interrupted with the others, which is its answer */
		rc = NULL;
		err = 0;
	}

 out:
	if (err && rc)
		mem_deref(rc);
	mem_deref(od);

	return err;
}


static int offer_agent(void *arg, const char *id, const char *agent,
		       const char *agent_id)
{
	struct remote *r = arg;
	char desk[APP_DESK_MAX];

	if (r->state != R_UP)
		return ENOTCONN;
	if (!call_find(r, id))
		return ENOENT;

	return send_cmd(r, "offer_agent", "id", id, "agent",
			app_agent_target(desk, sizeof(desk), agent,
					 agent_id), NULL);
}


static void announce(void *arg, const char *id, int64_t position,
		     int64_t eta_s)
{
	struct remote *r = arg;
	struct odict *od;
	int err;

	if (r->state != R_UP || !call_find(r, id) || odict_alloc(&od, 8))
		return;

	err  = odict_entry_add(od, "cmd", ODICT_STRING, "announce");
	err |= odict_entry_add(od, "id", ODICT_STRING, id);
	err |= odict_entry_add(od, "position", ODICT_INT, position);
	err |= odict_entry_add(od, "eta", ODICT_INT, eta_s);
	if (!err)
		(void)send_od(r, od, false);
	mem_deref(od);
}


static int hangup(void *arg, const char *id)
{
	struct remote *r = arg;

	if (r->state != R_UP)
		return ENOTCONN;
	if (!call_find(r, id))
		return ENOENT;

	return send_cmd(r, "hangup", "id", id, NULL);
}


/* the goodbye prompt, then the end with no_agent (an older dialer that
 * knows no release is sent a hangup instead: handle_error) */
static int release(void *arg, const char *id)
{
	struct remote *r = arg;

	if (r->state != R_UP)
		return ENOTCONN;
	if (!call_find(r, id))
		return ENOENT;

	return send_cmd(r, "release", "id", id, NULL);
}


static void agent_set(void *arg, const struct agent *a)
{
	struct remote *r = arg;
	struct odict *od;
	int err;

	/* without a password the dialer drops the phone's binding */
	if (!*a->sip_password)
		reg_forget(r, a->id);

	/* sent again, every agent, when the link is up */
	if (r->state != R_UP)
		return;

	if (odict_alloc(&od, 8))
		return;

	err  = odict_entry_add(od, "cmd", ODICT_STRING, "agent_set");
	err |= odict_entry_add(od, "agent", ODICT_STRING, a->id);
	/* as port.c: a softphone registers with its sip_password; a fixed
	 * URI is where it is called when not registered */
	if (*a->sip_password)
		err |= odict_entry_add(od, "password", ODICT_STRING,
				       a->sip_password);
	if (!strncmp(a->endpoint, "sip:", 4))
		err |= odict_entry_add(od, "endpoint", ODICT_STRING,
				       a->endpoint);
	if (!err)
		(void)send_od(r, od, true);

	/* the odict's copy of the password goes with it */
	{
		const struct odict_entry *e = odict_lookup(od, "password");

		if (e && e->type == ODICT_STRING)
			sodium_memzero(e->u.str, strlen(e->u.str));
	}
	mem_deref(od);
}


static void agent_del(void *arg, const char *id)
{
	struct remote *r = arg;
	struct rcall *rc;
	struct le *le;

	reg_forget(r, id);
	if (r->state == R_UP) {
		(void)send_cmd(r, "agent_del", "agent", id, NULL);
		return;
	}

	/* a dialer that outlives the link would keep the credentials */
	for (le = r->dels.head; le; le = le->next) {
		if (!strcmp(((struct rcall *)le->data)->id, id))
			return;
	}
	rc = rcall_alloc(id);
	if (rc)
		list_append(&r->dels, &rc->le, rc);
}


/* ---- events ---- */

/* The reason as a string of ours (the ACD writes it into JSON as it
 * is): one the protocol defines, else "unknown". */
static const char *reason_known(const char *s)
{
	int i;

	if (!s)
		return NULL;

	for (i = DIALER_R_CUSTOMER_HANGUP; i <= DIALER_R_LAST; i++) {
		const char *n = dialer_reason_name((enum dialer_reason)i);

		if (!strcmp(n, s))
			return n;
	}

	return "unknown";
}


/* a time field (ms since the epoch), 0 when absent or not one */
static int64_t od_ms(const struct odict *od, const char *name)
{
	const struct odict_entry *e = od ? odict_lookup(od, name) : NULL;

	return e && e->type == ODICT_INT && e->u.integer > 0 ?
		e->u.integer : 0;
}


/* od: the dialer's event, for its times, or NULL */
static void report(struct remote *r, const char *id, enum acd_ev type,
		   const char *leg, const char *reason, int sip,
		   const struct odict *od)
{
	struct acd_event e;

	memset(&e, 0, sizeof(e));
	e.type = type;
	e.leg = leg;
	e.reason = reason;
	e.sip = sip;
	e.t = od_ms(od, "t");
	e.answered_t = od_ms(od, "answered_t");
	e.bridged_t = od_ms(od, "bridged_t");

	acd_call_event(r->acd, id, &e);
}


/* A call not taken back after a lost link: interrupted for the ACD,
 * and over for its browsers as a call's end is; no end of the listener
 * comes from the dialer for it either */
static void give_up(struct remote *r, const char *id)
{
	/* another dialer may hold it still (asked back everywhere after a
	 * restart): then it is that link's */
	if (app_pool_held(r->pool, id))
		return;

	report(r, id, ACD_EV_INTERRUPTED, NULL, "dialer_lost", 0, NULL);
	app_call_ended(r->api, id, "dialer_lost");
	if (r->api)
		api_listen_ended(r->api, id, "dialer_lost");
}


/* as port.c: the visitor's browser, or the agent's desk */
static void webrtc_offer(struct remote *r, const struct odict *od,
			 const char *id, const char *leg)
{
	const char *endpoint = odict_string(od, "endpoint");
	const char *sdp = odict_string(od, "sdp");

	if (!r->api || !sdp || !leg)
		return;

	if (!strcmp(leg, "customer"))
		api_voice_offer(r->api, id, sdp);
	else if (app_desk_agent(endpoint))
		api_desk_offer(r->api, id, app_desk_agent(endpoint), sdp);
}


static void handle_event(struct remote *r, const struct odict *od,
			 const char *name)
{
	const char *id = odict_string(od, "id");
	const char *leg = odict_string(od, "leg");
	const struct odict_entry *e;
	struct rcall *rc = call_find(r, id);
	enum acd_ev type;
	int sip = 0;

	/* the calls of an earlier link, or none of ours */
	if (!rc)
		return;

	/* a supervisor's listener, as port.c: the API's alone */
	if (leg && !strcmp(leg, "listener")) {
		if (r->api && !strcmp(name, "webrtc_offer"))
			api_listen_offer(r->api, id, odict_string(od, "sdp"));
		else if (r->api && !strcmp(name, "leg_ended"))
			api_listen_ended(r->api, id,
				reason_known(odict_string(od, "reason")));
		return;
	}

	leg = leg && !strcmp(leg, "agent") ? "agent" :
	      leg && !strcmp(leg, "customer") ? "customer" : NULL;
	e = odict_lookup(od, "sip");
	if (e && e->type == ODICT_INT && e->u.integer >= 0 &&
	    e->u.integer < 700)
		sip = (int)e->u.integer;

	/* as port.c maps the dialer's events for the ACD */
	if (!strcmp(name, "webrtc_offer")) {
		webrtc_offer(r, od, id, leg);
		return;
	}
	else if (!strcmp(name, "ringing"))
		type = ACD_EV_RINGING;
	else if (!strcmp(name, "answered"))
		type = ACD_EV_ANSWERED;
	else if (!strcmp(name, "bridged"))
		type = ACD_EV_BRIDGED;
	else if (!strcmp(name, "leg_ended")) {
		/* the agent leg failed and the call goes on: next agent */
		if (!leg || strcmp(leg, "agent"))
			return;
		if (r->api)
			api_desk_ended(r->api, id,
				reason_known(odict_string(od, "reason")));
		type = ACD_EV_LEG_FAILED;
	}
	else if (!strcmp(name, "ended")) {
		const char *reason = reason_known(odict_string(od, "reason"));

		mem_deref(rc);   /* no longer in flight */
		report(r, id, ACD_EV_ENDED, leg, reason, sip, od);
		app_call_ended(r->api, id, reason);
		return;
	}
	else
		return;

	report(r, id, type, leg, reason_known(odict_string(od, "reason")),
	       sip, od);
}


/*
 * Why the dialer refused a listen, as the reason of listen_ended: the
 * call ended or is no longer bridged (the POST found it connected, the
 * dialer did not), someone listens already (another controller of the
 * dialer), or else refused (no rtpengine there, ...).
 */
static const char *listen_refusal(enum dialer_err code, const char *field)
{
	if (code == DIALER_E_NOT_FOUND ||
	    (code == DIALER_E_BUSY && field && !strcmp(field, "id")))
		return "not_connected";
	if (code == DIALER_E_BUSY)
		return "listening";

	return "refused";
}


/*
 * The dialer has heard a newer leader (why): this node no longer leads.
 * A single node (no epoch) cannot be stale: its dialer serves a cluster
 * as well, a mistake of the configuration; the link is dropped and tried
 * again.
 */
static void stale(struct remote *r, const char *why)
{
	if (!r->epoch) {
		str_bcpy(r->fail_why, why, sizeof(r->fail_why));
		link_down(r, true, r->fail_why);
		return;
	}

	app_lead_lost(why);
}


/* a newer leader's attach took call id from this link */
static void handle_detached(struct remote *r, const struct odict *od)
{
	const char *id = odict_string(od, "id");
	const char *node = odict_string(od, "node");
	struct rcall *rc = call_find(r, id);
	uint64_t epoch = 0;
	bool ours;
	char why[192];

	if (!rc)
		return;

	(void)odict_get_number(od, &epoch, "epoch");
	re_snprintf(why, sizeof(why), "dialer %s: call %s taken by the "
		    "leader of epoch %llu (this node's: %llu)", r->url, id,
		    (unsigned long long)epoch, (unsigned long long)r->epoch);
	/* one node holds an epoch; without one, its id names it */
	ours = epoch == r->epoch && (r->epoch ||
				     (*r->node && node &&
				      !strcmp(node, r->node)));
	if (ours) {
		/* our own epoch: another link of this node reaches the same
		 * dialer (two names for one address), and its attach took
		 * the call that this link holds for the pool (the other one
		 * forgot it, app_pool_claim): asked back here, where its
		 * events are awaited; the other link ignores its detached */
		log_warn("%s: another link of this node, attached again",
			 why);
		(void)send_cmd(r, "attach", "id", rc->id, NULL);
		return;
	}

	/* the newer leader has it: no report, no hang-up */
	mem_deref(rc);
	if (r->epoch) {
		stale(r, why);
		return;
	}

	/* a single node's call taken by a cluster's leader (a dialer
	 * shared by mistake): lost to this node */
	log_warn("%s", why);
	give_up(r, id);
}


static void handle_error(struct remote *r, const struct odict *od)
{
	const char *cmd = odict_string(od, "cmd");
	const char *id = odict_string(od, "id");
	const char *field = odict_string(od, "field");
	enum dialer_err code = dialer_err_parse(odict_string(od, "code"));
	struct rcall *rc = call_find(r, id);
	char idb[ID_MAX + 1];

	if (code == DIALER_E_STALE) {
		char why[192];

		re_snprintf(why, sizeof(why), "dialer %s refused %s as "
			    "stale: a leader of a higher epoch than %llu "
			    "controls it", r->url, cmd ? cmd : "?",
			    (unsigned long long)r->epoch);
		stale(r, why);
		return;
	}

	if (cmd && !strcmp(cmd, "auth")) {
		re_snprintf(r->fail_why, sizeof(r->fail_why),
			    "authentication failed (%s): control_secret is "
			    "not the dialer's", dialer_err_name(code));
		link_down(r, true, r->fail_why);
		return;
	}

	if (cmd && !strcmp(cmd, "originate") && rc) {
		/* the call was never placed: as a refusal in process */
		log_warn("dialer %s refused call %s: %s%s%s", r->url, rc->id,
			 dialer_err_name(code), field ? " " : "",
			 field ? field : "");
		str_bcpy(idb, rc->id, sizeof(idb));
		mem_deref(rc);
		report(r, idb, ACD_EV_ENDED, "customer", "dialer_error", 0,
		       NULL);
		return;
	}

	if (cmd && (!strcmp(cmd, "offer_agent") ||
		    !strcmp(cmd, "transfer_agent")) && rc) {
		/* the agent was not called: the ACD tries the next one */
		log_warn("dialer %s refused the offer of call %s: %s",
			 r->url, rc->id, dialer_err_name(code));
		report(r, rc->id, ACD_EV_LEG_FAILED, "agent", "dialer_error",
		       0, NULL);
		return;
	}

	if (cmd && !strcmp(cmd, "attach") && !rc) {
		/* taken back through another dialer meanwhile */
		log_debug("dialer %s: attach %s: %s", r->url, id ? id : "",
			  dialer_err_name(code));
		return;
	}

	if (cmd && !strcmp(cmd, "attach")) {
		/* not_found: the dialer restarted and forgot it; busy:
		 * another client has it; anything else (a dialer without
		 * attach): it may live on, so it is hung up */
		log_warn("dialer %s: call %s not taken back: %s", r->url,
			 rc->id, dialer_err_name(code));
		str_bcpy(idb, rc->id, sizeof(idb));
		if (code != DIALER_E_NOT_FOUND && code != DIALER_E_BUSY)
			(void)send_cmd(r, "hangup", "id", idb, NULL);
		mem_deref(rc);
		give_up(r, idb);
		return;
	}

	if (cmd && !strcmp(cmd, "release") && rc) {
		/* busy: an agent leg rings again, the call goes on; a
		 * dialer without release: a plain hangup ends it */
		log_info("dialer %s: release %s: %s", r->url, rc->id,
			 dialer_err_name(code));
		if (code == DIALER_E_UNKNOWN_COMMAND)
			(void)send_cmd(r, "hangup", "id", rc->id, NULL);
		return;
	}

	if (cmd && !strcmp(cmd, "agent_watch")) {
		log_warn("dialer %s does not tell registrations (%s): "
			 "softphone agents are taken as reachable until a "
			 "call to them fails", r->url,
			 dialer_err_name(code));
		r->watch_off = true;
		return;
	}

	if (cmd && !strcmp(cmd, "listen")) {
		/* the listener was not placed: the supervisor's page is told
		 * why, in the words of the API's own refusals of a POST */
		log_info("dialer %s: listen %s: %s", r->url, id ? id : "",
			 dialer_err_name(code));
		if (r->api && id)
			api_listen_ended(r->api, id, listen_refusal(code,
								    field));
		return;
	}

	if (cmd && !strcmp(cmd, "hangup")) {
		/* it ended already: its "ended" came or comes */
		log_debug("dialer %s: hangup %s: %s", r->url, id ? id : "",
			  dialer_err_name(code));
		return;
	}

	log_warn("dialer %s: %s: error %s%s%s", r->url, cmd ? cmd : "?",
		 dialer_err_name(code), field ? " in " : "",
		 field ? field : "");
}


/* auth with the HMAC, and the leader's epoch when there is one */
static void send_auth(struct remote *r, const char *hmac)
{
	struct odict *od;
	int err;

	err = odict_alloc(&od, 4);
	if (err)
		goto out;

	err  = odict_entry_add(od, "cmd", ODICT_STRING, "auth");
	err |= odict_entry_add(od, "hmac", ODICT_STRING, hmac);
	if (r->epoch)
		err |= odict_entry_add(od, "epoch", ODICT_INT,
				       (int64_t)r->epoch);
	if (*r->node)
		err |= odict_entry_add(od, "node", ODICT_STRING, r->node);
	if (!err)
		err = send_od(r, od, false);

 out:
	mem_deref(od);
	if (err && r->state == R_AUTH) {
		re_snprintf(r->fail_why, sizeof(r->fail_why), "auth: %s",
			    strerror(err));
		link_down(r, false, r->fail_why);
	}
}


static void handle_hello(struct remote *r, const struct odict *od)
{
	const char *proto = odict_string(od, "protocol");
	const char *nonce = odict_string(od, "nonce");
	uint8_t mac[crypto_auth_hmacsha256_BYTES];
	char hex[2 * sizeof(mac) + 1];
	crypto_auth_hmacsha256_state st;
	size_t i;

	if (r->state != R_HELLO || !proto ||
	    strcmp(proto, "beckon-call-control/1") || !nonce || !*nonce ||
	    strlen(nonce) > NONCE_MAX) {
		re_snprintf(r->fail_why, sizeof(r->fail_why),
			    "not a beckon call-control listener");
		link_down(r, false, r->fail_why);
		return;
	}

	/* the secret never leaves this process */
	crypto_auth_hmacsha256_init(&st, (const uint8_t *)r->secret,
				    strlen(r->secret));
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)nonce,
				      strlen(nonce));
	crypto_auth_hmacsha256_final(&st, mac);
	for (i = 0; i < sizeof(mac); i++)
		(void)re_snprintf(hex + 2 * i, 3, "%02x", mac[i]);

	r->state = R_AUTH;
	send_auth(r, hex);
	sodium_memzero(&st, sizeof(st));
}


/*
 * The calls set aside when the link broke are given up: interrupted for
 * the ACD (which may call back into this port: they leave the lists
 * first), and hung up on the next link in case the dialer still has them.
 */
static void detached_give_up(struct remote *r)
{
	struct list gone;
	struct le *le;

	tmr_cancel(&r->resume_tmr);
	list_init(&gone);
	while ((le = r->detached.head)) {
		struct rcall *rc = le->data;

		list_unlink(&rc->le);
		hash_unlink(&rc->he);
		list_append(&gone, &rc->le, rc);
	}

	for (le = gone.head; le; le = le->next) {
		struct rcall *rc = le->data;

		give_up(r, rc->id);
	}

	while ((le = gone.head)) {
		list_unlink(le);
		list_append(&r->orphans, le, le->data);
	}
}


static void resume_timeout(void *arg)
{
	struct remote *r = arg;

	log_warn("dialer %s: the link was not back within %u s: %u call%s "
		 "given up", r->url, r->resume_ms / 1000,
		 list_count(&r->detached),
		 list_count(&r->detached) == 1 ? "" : "s");
	detached_give_up(r);
}


/* the dialer's answer to an attach */
static void handle_attached(struct remote *r, const struct odict *od)
{
	const char *id = odict_string(od, "id");
	const char *state = odict_string(od, "state");
	const struct odict_entry *e = odict_lookup(od, "dropped");

	if (!call_find(r, id))
		return;

	log_info("dialer %s: call %s taken back (%s)", r->url, id,
		 state ? state : "?");
	app_pool_claim(r->pool, r, id);
	acd_call_attached(r->acd, id, od_ms(od, "answered_t"),
			  od_ms(od, "bridged_t"));
	if (e && e->type == ODICT_INT && e->u.integer > 0)
		log_warn("dialer %s: %lld events of call %s were lost while "
			 "the link was down", r->url,
			 (long long)e->u.integer, id);
}


static void ping_timeout(void *arg);
static void voice_on(struct remote *r);


static void link_up(struct remote *r)
{
	struct le *le;

	r->state = R_UP;
	r->up_since = time_now_ms();
	if (r->fails)
		log_info("dialer %s: connected after %u failed attempt%s",
			 r->url, r->fails, r->fails == 1 ? "" : "s");
	else
		log_info("dialer %s: connected", r->url);
	r->fails = 0;

	/* calls the ACD gave up on when the last link broke: a dialer
	 * that outlived it must not keep them (not_found if it did not) */
	while ((le = r->orphans.head)) {
		struct rcall *rc = le->data;

		log_info("dialer %s: hanging up %s, interrupted earlier",
			 r->url, rc->id);
		(void)send_cmd(r, "hangup", "id", rc->id, NULL);
		if (r->state != R_UP)
			return;   /* kept for the next link */
		mem_deref(rc);
	}

	while ((le = r->dels.head)) {
		struct rcall *rc = le->data;

		(void)send_cmd(r, "agent_del", "agent", rc->id, NULL);
		if (r->state != R_UP)
			return;
		mem_deref(rc);
	}

	/* the calls of the last link: the dialer's answers (and the events
	 * each missed) follow; one it does not know is given up then */
	while ((le = r->detached.head)) {
		struct rcall *rc = le->data;

		list_unlink(&rc->le);
		list_append(&r->calls, &rc->le, rc);
		(void)send_cmd(r, "attach", "id", rc->id, NULL);
		if (r->state != R_UP)
			return;   /* detached again; the clock runs on */
	}
	tmr_cancel(&r->resume_tmr);

	tmr_start(&r->tmr, PING_MS, ping_timeout, r);
	voice_on(r);

	/* agents' credentials, then the queue; then what the dialer
	 * knows of their softphones (until then, none is reachable) */
	r->watch_off = false;
	app_pool_link(r->pool, r, true);
	if (r->state == R_UP)
		(void)send_cmd(r, "agent_watch", NULL);
}


/* the store's answer for a leader's link that the dialer authenticated */
static void confirm_h(int err, const struct store_leader *ld, void *arg)
{
	struct confirm *cf = arg;
	struct remote *r = cf->r;
	char why[192];

	mem_deref(cf);
	if (!r)
		return;

	r->confirm = NULL;
	if (!err && ld->epoch == r->epoch) {
		link_up(r);
		return;
	}
	if (err) {
		re_snprintf(r->fail_why, sizeof(r->fail_why), "the store "
			    "cannot confirm epoch %llu: %s",
			    (unsigned long long)r->epoch, strerror(err));
		link_down(r, false, r->fail_why);
		return;
	}

	re_snprintf(why, sizeof(why), "dialer %s: the store says epoch %llu "
		    "leads, not this node's %llu", r->url,
		    (unsigned long long)ld->epoch,
		    (unsigned long long)r->epoch);
	stale(r, why);
}


/* A leader's link, authenticated: nothing goes on it until the store
 * says the epoch still leads (the handshake timer runs on) */
static void confirm_start(struct remote *r)
{
	struct confirm *cf = mem_zalloc(sizeof(*cf), NULL);
	int err;

	r->state = R_CONFIRM;
	if (!cf) {
		link_down(r, false, "out of memory");
		return;
	}

	cf->r = r;
	r->confirm = cf;
	err = app_lead_confirm(confirm_h, cf);
	if (err) {
		r->confirm = NULL;
		mem_deref(cf);
		re_snprintf(r->fail_why, sizeof(r->fail_why), "the store "
			    "cannot confirm epoch %llu: %s",
			    (unsigned long long)r->epoch, strerror(err));
		link_down(r, false, r->fail_why);
	}
}


static void handle_line(struct remote *r, const struct pl *line)
{
	struct odict *od = NULL;
	const char *name;

	if (dialer_line_decode(&od, line) ||
	    !(name = odict_string(od, "event"))) {
		re_snprintf(r->fail_why, sizeof(r->fail_why),
			    "a line that is not a JSON event");
		link_down(r, false, r->fail_why);
		goto out;
	}

	if (!strcmp(name, "hello")) {
		handle_hello(r, od);
	}
	else if (r->state == R_AUTH) {
		const char *cmd = odict_string(od, "cmd");

		if (!strcmp(name, "ok") && cmd && !strcmp(cmd, "auth")) {
			const struct odict_entry *w;

			w = odict_lookup(od, "webrtc");
			r->webrtc = w && w->type == ODICT_BOOL &&
				w->u.boolean;
			if (r->epoch)
				confirm_start(r);
			else
				link_up(r);
		}
		else
			handle_error(r, od);
	}
	else if (r->state != R_UP) {
		/* nothing else comes before the hello and the auth */
	}
	else if (!strcmp(name, "error")) {
		handle_error(r, od);
	}
	else if (!strcmp(name, "ok")) {
		const char *cmd = odict_string(od, "cmd");

		if (cmd && !strcmp(cmd, "attach"))
			handle_attached(r, od);
	}
	else if (!strcmp(name, "registration")) {
		handle_registration(r, od);
	}
	else if (!strcmp(name, "detached")) {
		handle_detached(r, od);
	}
	else if (strcmp(name, "pong")) {
		handle_event(r, od, name);
	}

 out:
	mem_deref(od);
}


/* ---- the link ---- */

static void recv_handler(struct mbuf *mb, void *arg)
{
	struct remote *r = arg;
	struct mbuf *rx = r->rx;
	size_t off = 0;

	if (r->state < R_HELLO || r->state > R_UP)
		return;

	r->last_rx = time_now_ms();

	rx->pos = rx->end;
	if (mbuf_write_mem(rx, mbuf_buf(mb), mbuf_get_left(mb))) {
		link_down(r, false, "out of memory");
		return;
	}

	for (;;) {
		struct pl line;
		size_t used;
		int err;

		err = dialer_line_next(rx->buf + off, rx->end - off, &line,
				       &used);
		if (err == EMSGSIZE)
			link_down(r, false, "a line longer than 8192 bytes");
		if (err)
			break;

		off += used;
		if (line.l)
			handle_line(r, &line);

		/* the line may have ended the link (and emptied rx) */
		if (r->state < R_HELLO || r->state > R_UP)
			return;
	}

	if (r->state < R_HELLO || r->state > R_UP)
		return;

	memmove(rx->buf, rx->buf + off, rx->end - off);
	rx->end -= off;
	rx->pos = 0;
}


static void estab_handler(void *arg)
{
	struct remote *r = arg;

	if (r->state != R_CONNECTING)
		return;

	/* the handshake timer, started with the connect, goes on */
	r->state = R_HELLO;
	r->last_rx = time_now_ms();
	tcp_conn_txqsz_set(r->tc, TXQ_MAX);
}


static void close_handler(int err, void *arg)
{
	struct remote *r = arg;
	char why[64];

	re_snprintf(why, sizeof(why), "%s", err ? strerror(err) :
		    "closed by the dialer");
	link_down(r, false, why);
}


static void handshake_timeout(void *arg)
{
	struct remote *r = arg;

	link_down(r, false, r->state == R_CONNECTING ? "connect timed out" :
		  "no hello or auth answer in time");
}


static void ping_timeout(void *arg)
{
	struct remote *r = arg;

	if (r->state != R_UP)
		return;

	if (time_now_ms() - r->last_rx > DEAD_MS) {
		link_down(r, false, "no answer for 15 seconds");
		return;
	}

	tmr_start(&r->tmr, PING_MS, ping_timeout, r);
	(void)send_cmd(r, "ping", NULL);
}


static void connect_addr(struct remote *r)
{
	int err;

	r->state = R_CONNECTING;
	mbuf_rewind(r->rx);

	err = tcp_connect(&r->tc, &r->addr, estab_handler, recv_handler,
			  close_handler, r);
	if (err) {
		link_down(r, false, strerror(err));
		return;
	}

	tmr_start(&r->tmr, HANDSHAKE_MS, handshake_timeout, r);
}


/* The first address of the answer's A (or AAAA) records, if any. */
static bool rr_addr(struct dnsrr *rr, void *arg)
{
	struct remote *r = arg;

	if (rr->type == DNS_TYPE_A)
		sa_set_in(&r->addr, rr->rdata.a.addr, r->port);
	else if (rr->type == DNS_TYPE_AAAA)
		sa_set_in6(&r->addr, rr->rdata.aaaa.addr, r->port);
	else
		return false;

	return true;
}


static void dns_h(int err, const struct dnshdr *hdr, struct list *ansl,
		  struct list *authl, struct list *addl, void *arg)
{
	struct remote *r = arg;
	bool aaaa = sa_af(&r->addr) == AF_INET6;
	char why[APP_HOST_MAX + 48];
	(void)authl;
	(void)addl;

	/* libre has let go of the query (r->dq is NULL again) */
	if (r->state != R_RESOLVING)
		return;

	sa_init(&r->addr, AF_UNSPEC);
	if (!err && hdr && hdr->rcode == DNS_RCODE_OK)
		(void)dns_rrlist_apply2(ansl, NULL, DNS_TYPE_A,
					DNS_TYPE_AAAA, DNS_CLASS_IN, false,
					rr_addr, r);

	if (sa_isset(&r->addr, SA_ALL)) {
		connect_addr(r);
		return;
	}

	/* no A record: one more try for AAAA */
	if (!aaaa && !err && hdr && hdr->rcode == DNS_RCODE_OK) {
		sa_init(&r->addr, AF_INET6);
		err = dnsc_query(&r->dq, r->dnsc, r->host, DNS_TYPE_AAAA,
				 DNS_CLASS_IN, true, dns_h, r);
		if (!err)
			return;
	}

	re_snprintf(why, sizeof(why), "cannot resolve %s: %s", r->host,
		    err ? strerror(err) : hdr && hdr->rcode ?
		    dns_hdr_rcodename(hdr->rcode) : "no address");
	link_down(r, false, why);
}


static int dnsc_make(struct remote *r)
{
	struct sa srvv[APP_DNS_MAX];
	uint32_t n = ARRAY_SIZE(srvv);
	char domain[64];
	int err;

	if (*r->dns_servers) {
		err = app_addr_list(srvv, &n, r->dns_servers, 53);
		if (err)
			return err;
	}
	else {
		err = dns_srv_get(domain, sizeof(domain), srvv, &n);
		if (err)
			return err;
	}

	return dnsc_alloc(&r->dnsc, NULL, srvv, n);
}


/* The host's address, then the connection (see the top of the file). */
static void connect_now(struct remote *r)
{
	char why[APP_HOST_MAX + 48];
	int err;

	if (!*r->host) {
		connect_addr(r);
		return;
	}

	if (!app_hosts_lookup(&r->addr, r->host, "/etc/hosts")) {
		sa_set_port(&r->addr, r->port);
		connect_addr(r);
		return;
	}

	r->state = R_RESOLVING;
	sa_init(&r->addr, AF_INET);
	err = r->dnsc ? 0 : dnsc_make(r);
	if (!err)
		err = dnsc_query(&r->dq, r->dnsc, r->host, DNS_TYPE_A,
				 DNS_CLASS_IN, true, dns_h, r);
	if (err) {
		re_snprintf(why, sizeof(why), "cannot resolve %s: %s",
			    r->host, strerror(err));
		link_down(r, false, why);
		return;
	}

	/* the lookup counts in the handshake's time */
	tmr_start(&r->tmr, HANDSHAKE_MS, handshake_timeout, r);
}


static void reconnect_timeout(void *arg)
{
	connect_now(arg);
}


/* A link may end inside one of its connection's handlers: the
 * connection is freed on the next turn, not under libre's feet. */
static void dead_free(void *arg)
{
	struct remote *r = arg;

	r->dead_tc = mem_deref(r->dead_tc);
}


/*
 * The link is gone (or never came): calls in flight are interrupted, the
 * ACD stops dispatching, and a new attempt is scheduled. Safe from any of
 * the connection's handlers: the connection is freed on the next turn.
 */
static void link_down(struct remote *r, bool auth, const char *why)
{
	bool was_up = r->state == R_UP;
	int64_t now = time_now_ms();
	struct le *le;
	uint32_t delay;

	if (r->state == R_WAIT || r->state == R_STOPPED)
		return;

	r->dq = mem_deref(r->dq);
	confirm_drop(r);

	if (r->tc) {
		/* no more handlers: the connection dies quietly */
		tcp_set_handlers(r->tc, NULL, NULL, NULL, NULL);
		mem_deref(r->dead_tc);
		r->dead_tc = r->tc;
		r->tc = NULL;
		tmr_start(&r->dead_tmr, 0, dead_free, r);
	}
	mbuf_rewind(r->rx);
	tmr_cancel(&r->tmr);
	r->state = R_WAIT;
	/* the next link's agent_watch tells them again */
	hash_flush(r->regs);

	if (was_up) {
		log_warn("dialer %s: link lost: %s", r->url, why);
		if (now - r->up_since >= STABLE_MS)
			r->backoff = BACKOFF_MIN;

		/* the calls go on at the dialer: set aside until the
		 * next link takes them back, or resume_ms runs out */
		while ((le = r->calls.head)) {
			list_unlink(le);
			list_append(&r->detached, le, le->data);
		}
		if (!list_isempty(&r->detached)) {
			log_info("dialer %s: %u call%s in flight wait up to "
				 "%u s for the link", r->url,
				 list_count(&r->detached),
				 list_count(&r->detached) == 1 ? "" : "s",
				 r->resume_ms / 1000);
			if (!r->resume_ms)
				detached_give_up(r);
			else if (!tmr_isrunning(&r->resume_tmr))
				tmr_start(&r->resume_tmr, r->resume_ms,
					  resume_timeout, r);
		}

		app_pool_link(r->pool, r, false);
	}
	else {
		/* one line for a streak of failures, and a reminder */
		++r->fails;
		if (auth && (r->fails == 1 || r->fails % LOG_EVERY == 0))
			log_error("dialer %s: %s; nothing is dialed until "
				  "it is fixed", r->url, why);
		else if (r->fails == 1 || r->fails % LOG_EVERY == 0)
			log_warn("dialer %s: cannot connect: %s (trying "
				 "again, attempt %u)", r->url, why, r->fails);
		else
			log_debug("dialer %s: cannot connect: %s", r->url,
				  why);
	}

	if (r->stopping) {
		r->state = R_STOPPED;
		return;
	}

	/* jitter of up to a quarter, so that servers do not knock in
	 * step */
	delay = r->backoff + randombytes_uniform(r->backoff / 4 + 1);
	r->backoff = r->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX :
		r->backoff * 2;

	tmr_start(&r->tmr, delay, reconnect_timeout, r);
}


static void remote_destructor(void *arg)
{
	struct remote *r = arg;

	r->state = R_STOPPED;
	confirm_drop(r);
	tmr_cancel(&r->tmr);
	r->dq = mem_deref(r->dq);
	r->dnsc = mem_deref(r->dnsc);
	if (r->tc)
		tcp_set_handlers(r->tc, NULL, NULL, NULL, NULL);
	r->tc = mem_deref(r->tc);
	tmr_cancel(&r->dead_tmr);
	r->dead_tc = mem_deref(r->dead_tc);
	tmr_cancel(&r->resume_tmr);
	list_flush(&r->calls);
	list_flush(&r->detached);
	list_flush(&r->orphans);
	list_flush(&r->dels);
	hash_flush(r->regs);
	mem_deref(r->regs);
	mem_deref(r->callh);
	mem_deref(r->rx);
	if (r->secret)
		sodium_memzero(r->secret, strlen(r->secret));
	mem_deref(r->secret);
}


/*
 * tcp://HOST:PORT: an IPv4 address, an [IPv6] one, or a host name (then
 * host is the name, to look up, and *addr 0.0.0.0 with the port).
 */
int app_remote_parse(struct sa *addr, char *host, size_t hsz,
		     const char *url)
{
	struct pl h, port;
	uint32_t pn;

	if (!addr || !host || !hsz || !url || strncmp(url, "tcp://", 6))
		return EINVAL;
	url += 6;

	*host = '\0';
	if (!sa_decode(addr, url, strlen(url)))
		return sa_port(addr) ? 0 : EINVAL;

	if (re_regex(url, strlen(url), "[^:]+:[0-9]+", &h, &port) ||
	    (size_t)(h.p - url) != 0 ||
	    (size_t)(port.p + port.l - url) != strlen(url))
		return EINVAL;
	pn = pl_u32(&port);
	if (!pn || pn > 65535 || !app_hostname_valid(h.p, h.l) ||
	    h.l >= hsz)
		return EINVAL;

	/* no address yet: the family is a placeholder for the port */
	pl_strcpy(&h, host, hsz);
	sa_init(addr, AF_INET);
	sa_set_port(addr, (uint16_t)pn);

	return 0;
}


/* A call the ACD kept from before a restart of this process: the dialer
 * may hold it still, so it waits for the first link as if that link had
 * broken under it. */
int app_remote_keep(struct remote *r, const char *id)
{
	struct rcall *rc = rcall_alloc(id);

	if (!rc)
		return EINVAL;

	hash_append(r->callh, hash_joaat_str(rc->id), &rc->he, rc);
	list_append(&r->detached, &rc->le, rc);

	return 0;
}


/* the call is another link's (its dialer took it back): no hangup, no
 * report from here */
void app_remote_forget(struct remote *r, const char *id)
{
	mem_deref(call_find(r, id));
	if (list_isempty(&r->detached))
		tmr_cancel(&r->resume_tmr);
}


int app_remote_alloc(struct remote **rp, struct pool *pool, struct acd *acd,
		     const char *url, const struct app_link_cfg *lc)
{
	struct remote *r;
	int err;

	if (!rp || !pool || !acd || !url || !lc || !lc->secret ||
	    !*lc->secret)
		return EINVAL;

	r = mem_zalloc(sizeof(*r), remote_destructor);
	if (!r)
		return ENOMEM;

	r->pool = pool;
	r->acd = acd;
	tmr_init(&r->tmr);
	tmr_init(&r->dead_tmr);
	tmr_init(&r->resume_tmr);
	r->resume_ms = lc->resume_s * 1000;
	r->epoch = lc->epoch;
	list_init(&r->calls);
	list_init(&r->detached);
	list_init(&r->orphans);
	list_init(&r->dels);
	r->backoff = BACKOFF_MIN;
	str_bcpy(r->url, url, sizeof(r->url));

	err = app_remote_parse(&r->addr, r->host, sizeof(r->host), url);
	if (err)
		goto out;
	r->port = sa_port(&r->addr);
	r->dns_servers = lc->dns_servers ? lc->dns_servers : "";
	r->node = lc->node ? lc->node : "";

	err = str_dup(&r->secret, lc->secret);
	err |= hash_alloc(&r->callh, CALLS_HASH);
	err |= hash_alloc(&r->regs, CALLS_HASH);
	r->rx = mbuf_alloc(1024);
	if (err || !r->rx)
		err = err ? err : ENOMEM;

 out:
	if (err)
		mem_deref(r);
	else
		*rp = r;

	return err;
}


/* the first connection; the kept calls (app_remote_keep) wait for it */
void app_remote_start(struct remote *r)
{
	if (!list_isempty(&r->detached)) {
		log_info("dialer %s: %u call%s of before the restart wait up "
			 "to %u s for the dialer to give them back", r->url,
			 list_count(&r->detached),
			 list_count(&r->detached) == 1 ? "" : "s",
			 r->resume_ms / 1000);
		if (!r->resume_ms)
			detached_give_up(r);
		else
			tmr_start(&r->resume_tmr, r->resume_ms,
				  resume_timeout, r);
	}

	log_info("dialer %s: connecting (call-control, HMAC "
		 "authentication)", r->url);
	connect_now(r);
}


bool app_remote_up(const struct remote *r)
{
	return r->state == R_UP;
}


bool app_remote_webrtc(const struct remote *r)
{
	return r->webrtc;
}


bool app_remote_holds(const struct remote *r, const char *id)
{
	return call_find(r, id) != NULL;
}


/* the dialer told a live registration of the agent's softphone */
bool app_remote_registered(const struct remote *r, const char *agent_id)
{
	const struct rreg *rg = reg_find(r, agent_id);

	return !r->watch_off && rg && rg->until > time_now_ms();
}


const char *app_remote_url(const struct remote *r)
{
	return r->url;
}


/* ---- browsers: the webrtc legs' signalling, relayed ---- */

/* whether a browser's command about call id can go to the dialer now */
static int webrtc_can(const struct remote *r, const char *id)
{
	if (!r->webrtc)
		return ENOTSUP;
	if (r->state != R_UP)
		return ENOTCONN;

	return call_find(r, id) ? 0 : ENOENT;
}


/* a webrtc command about a leg of a call of ours */
static int webrtc_cmd(struct remote *r, const char *cmd, const char *id,
		      const char *leg, const char *k, const char *v)
{
	int err = webrtc_can(r, id);

	return err ? err : send_cmd(r, cmd, "id", id, "leg", leg, k, v, NULL);
}


static int voice_answer(void *arg, const char *id, const char *sdp)
{
	return webrtc_cmd(arg, "webrtc_answer", id, "customer", "sdp", sdp);
}


static int voice_hangup(void *arg, const char *id)
{
	return webrtc_cmd(arg, "webrtc_hangup", id, "customer", "reason",
			  "hangup");
}


static int desk_answer(void *arg, const char *id, const char *sdp)
{
	return webrtc_cmd(arg, "webrtc_answer", id, "agent", "sdp", sdp);
}


static int desk_hangup(void *arg, const char *id, const char *reason)
{
	if (dialer_webrtc_reason(reason) == DIALER_R_NONE)
		return EINVAL;

	return webrtc_cmd(arg, "webrtc_hangup", id, "agent", "reason",
			  reason);
}


static int desk_hold(void *arg, const char *id, bool on)
{
	return webrtc_cmd(arg, on ? "webrtc_hold" : "webrtc_unhold", id,
			  "agent", NULL, NULL);
}


/* a supervisor listens: the dialer's refusal comes back as an error
 * line (handle_error), its leg's events as any other's */
static int listen_call(void *arg, const char *id, const char *endpoint)
{
	struct remote *r = arg;
	int err = webrtc_can(r, id);

	return err ? err : send_cmd(r, "listen", "id", id, "endpoint",
				    endpoint, NULL);
}


static int listen_answer(void *arg, const char *id, const char *sdp)
{
	return webrtc_cmd(arg, "webrtc_answer", id, "listener", "sdp", sdp);
}


static int listen_hangup(void *arg, const char *id)
{
	return webrtc_cmd(arg, "webrtc_hangup", id, "listener", "reason",
			  "hangup");
}


/* a dialer with an rtpengine: the API learns that browsers can talk */
static void voice_on(struct remote *r)
{
	if (!r->webrtc) {
		if (r->voice)
			log_warn("dialer %s has no rtpengine now: browsers "
				 "cannot talk through it", r->url);
		return;
	}
	if (!r->api || r->voice)
		return;

	app_pool_voice_on(r->pool);
	r->voice = true;
	log_info("dialer %s has WebRTC: browsers talk through it", r->url);
}


void app_remote_ops_get(struct remote *r, struct acd_dialer *ops,
			struct api_voice *vops)
{
	memset(ops, 0, sizeof(*ops));
	ops->arg = r;
	ops->originate = originate;
	ops->offer_agent = offer_agent;
	ops->hangup = hangup;
	ops->announce = announce;
	ops->agent_set = agent_set;
	ops->agent_del = agent_del;
	ops->agent_registered = agent_registered;
	ops->release = release;

	memset(vops, 0, sizeof(*vops));
	vops->arg = r;
	vops->answer = voice_answer;
	vops->hangup = voice_hangup;
	vops->desk_answer = desk_answer;
	vops->desk_hangup = desk_hangup;
	vops->desk_hold = desk_hold;
	vops->listen = listen_call;
	vops->listen_answer = listen_answer;
	vops->listen_hangup = listen_hangup;
}


void app_remote_voice(struct remote *r, struct api *api)
{
	if (!r)
		return;

	r->api = api;
	if (r->state == R_UP)
		voice_on(r);
}


void app_remote_shutdown(struct remote *r)
{
	struct le *le;

	if (!r || r->state == R_STOPPED)
		return;

	r->stopping = true;

	/* beckon is stopping: calls waiting for a lost link wait no
	 * more (the pool told the ACD: no new call either) */
	detached_give_up(r);

	/* as a local dialer hangs up its calls when beckon stops: their
	 * ends come back while the loop drains */
	if (r->state == R_UP) {
		for (le = r->calls.head; le; le = le->next) {
			struct rcall *rc = le->data;

			(void)send_cmd(r, "hangup", "id", rc->id, NULL);
			if (r->state != R_UP)
				break;
		}
	}

	/* no new link; an open one stays for the calls' ends */
	tmr_cancel(&r->tmr);
	if (r->state != R_UP) {
		if (r->tc)
			tcp_set_handlers(r->tc, NULL, NULL, NULL, NULL);
		r->tc = mem_deref(r->tc);
		r->state = R_STOPPED;
	}
}


unsigned app_remote_calls(const struct remote *r)
{
	return r && r->state == R_UP ? list_count(&r->calls) : 0;
}
