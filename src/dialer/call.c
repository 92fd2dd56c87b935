/*
 * A call: the bridge that owns a customer leg and an agent leg, and the
 * state machine that joins them.
 *
 * Customer first (the default):
 *
 *   CALLING_CUSTOMER --customer answers--> HOLDING --agent answers-->
 *   BRIDGED --either hangs up--> ENDED
 *
 *   With human_check, the answer goes to GUARD first (guard.c): the
 *   customer hears "press 1"; the key leads on to HOLDING, while no key
 *   in time, or a hang-up, ends the call with no_human. No agent is
 *   called before the key.
 *
 *   In HOLDING the customer hears the hold program (hold.c: a greeting,
 *   their place in line and expected wait, music). An agent leg
 *   that fails (busy, no answer, ...) is reported as leg_ended and the
 *   call stays in HOLDING until dialer_offer_agent() tries another agent
 *   or max_hold runs out: then GOODBYE plays the goodbye prompt once and
 *   the call ends with max_hold.
 *
 * Agent first:
 *
 *   CALLING_AGENT --agent answers--> WHISPER --prompt ends--> CONNECTING
 *   --customer answers--> BRIDGED --either hangs up--> ENDED
 *
 *   Here a failure of either leg ends the call; early media from the
 *   customer's network (ringback, announcements) is relayed to the agent.
 *
 * A leg is started from a zero-delay timer, never inside the command that
 * asked for it: a client always gets its "ok" before the first event.
 *
 * A listener (dialer_listen): a third, receive-only leg to a browser,
 * started on a bridged call and mixed from both sides (media_listen).
 * Its events are its own (leg "listener"); its end never ends the call,
 * and the call's end ends it like the other legs.
 *
 * Ending: whatever ends a call (a leg's BYE or failure, a media timeout,
 * max_hold, dialer_hangup) goes through call_end(), which hangs up the
 * other leg, reports leg_ended for each leg that was up, closes the
 * recording, and sends the one "ended" event. The call leaves the id
 * table at once and is freed from a timer.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <re.h>
#define LOG_SUBSYS "dialer"
#include "util/util.h"
#include "phone/phone.h"
#include "dialer/dialer_int.h"

enum call_state {
	CS_CALLING_CUSTOMER,
	CS_GUARD,
	CS_HOLDING,
	CS_CALLING_AGENT,
	CS_WHISPER,
	CS_CONNECTING,
	CS_BRIDGED,
	CS_GOODBYE,
	CS_ENDED,
};

enum {
	RING_MAX = 600,
	HOLD_MAX = 7200,
};

struct dcall {
	struct le he;               /* d->calls, then d->dead */
	struct dialer *d;
	char *id;
	enum dialer_mode mode;
	enum call_state state;

	char *customer;
	char *agent;                /* the agent of the current agent leg */
	char *caller_id;
	struct media_prompt *hold;
	struct media_prompt *whisper;
	struct media_prompt *goodbye;
	struct hold *holdp;         /* what HOLDING plays */
	struct guard *guard;        /* GUARD's "press 1", or NULL */
	uint32_t customer_ring_ms;
	uint32_t agent_ring_ms;
	uint32_t max_hold_ms;

	bool record;
	struct media_rec *rec;
	char *rec_path;

	struct leg *cust;
	struct leg *agl;
	struct leg *lis;            /* a listener, or NULL */
	enum dialer_reason bye_reason;  /* after the goodbye prompt */
	enum dialer_leg pending;    /* the leg step_tmr will start */
	struct tmr step_tmr;
	struct tmr hold_tmr;

	dialer_event_h *eh;
	void *arg;
	int64_t created;
	int64_t answered_t;         /* the customer answered (ms), 0: not */
	int64_t bridged_t;          /* first bridged (ms), 0: never */
};


static void call_destructor(void *arg)
{
	struct dcall *c = arg;

	list_unlink(&c->he);
	tmr_cancel(&c->step_tmr);
	tmr_cancel(&c->hold_tmr);
	mem_deref(c->guard);
	mem_deref(c->cust);
	mem_deref(c->agl);
	mem_deref(c->lis);
	mem_deref(c->rec);
	mem_deref(c->rec_path);
	mem_deref(c->hold);
	mem_deref(c->whisper);
	mem_deref(c->goodbye);
	mem_deref(c->holdp);
	mem_deref(c->id);
	mem_deref(c->customer);
	mem_deref(c->agent);
	mem_deref(c->caller_id);
}


static void reap(void *arg)
{
	struct dialer *d = arg;

	list_flush(&d->dead);
}


void dialer_reap(struct dialer *d, struct le *le, void *obj)
{
	list_unlink(le);
	list_append(&d->dead, le, obj);
	tmr_start(&d->reap_tmr, 0, reap, d);
}


static const char *state_name(enum call_state s)
{
	switch (s) {

	case CS_CALLING_CUSTOMER: return "calling";
	case CS_GUARD:            return "guard";
	case CS_HOLDING:          return "holding";
	case CS_CALLING_AGENT:    return "calling_agent";
	case CS_WHISPER:          return "whisper";
	case CS_CONNECTING:       return "connecting";
	case CS_BRIDGED:          return "bridged";
	case CS_GOODBYE:          return "goodbye";
	case CS_ENDED:            return "ended";
	}

	return "?";
}


static struct leg *leg_of(const struct dcall *c, enum dialer_leg kind)
{
	return kind == DIALER_LEG_CUSTOMER ? c->cust :
		kind == DIALER_LEG_AGENT ? c->agl :
		kind == DIALER_LEG_LISTENER ? c->lis : NULL;
}


static void emit(struct dcall *c, enum dialer_ev type, enum dialer_leg leg,
		 enum dialer_reason reason, uint16_t sip)
{
	struct dialer_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.id = c->id;
	ev.leg = leg;
	ev.reason = reason;
	ev.sip = sip;
	ev.t = time_now_ms();
	if (leg == DIALER_LEG_AGENT)
		ev.agent = c->agent;
	if (type == DIALER_EV_RINGING)
		ev.early_media = leg == DIALER_LEG_AGENT ?
			c->agl && c->agl->early_media :
			c->cust && c->cust->early_media;
	if (type == DIALER_EV_DTMF) {
		const struct leg *l = leg_of(c, leg);

		ev.digit = l ? l->digit : '?';
	}
	if (type == DIALER_EV_ANSWERED && leg == DIALER_LEG_CUSTOMER &&
	    !c->answered_t)
		c->answered_t = ev.t;
	if (type == DIALER_EV_BRIDGED && !c->bridged_t)
		c->bridged_t = ev.t;
	if (type == DIALER_EV_ENDED)
		ev.recording = c->rec_path;
	if (type == DIALER_EV_ENDED || type == DIALER_EV_LEG_ENDED) {
		ev.answered_t = c->answered_t;
		ev.bridged_t = c->bridged_t;
	}
	if (type == DIALER_EV_WEBRTC_OFFER) {
		const struct leg *l = leg_of(c, leg);

		ev.endpoint = l ? l->uri : NULL;
		ev.sdp = webrtc_leg_offer(l);
	}

	if (type == DIALER_EV_ENDED || type == DIALER_EV_LEG_ENDED)
		log_info("call %s: %s%s%s: %s (%u)", c->id,
			 dialer_leg_name(leg), leg ? " " : "",
			 dialer_ev_name(type), dialer_reason_name(reason),
			 sip);
	else
		log_info("call %s: %s%s%s", c->id, dialer_leg_name(leg),
			 leg ? " " : "", dialer_ev_name(type));

	if (c->eh)
		c->eh(&ev, c->arg);
}


static void leg_ended_emit(struct dcall *c, const struct leg *l)
{
	emit(c, DIALER_EV_LEG_ENDED, l->kind, l->reason, l->scode);
}


/*
 * The end of a call. cause: the leg whose end ends the call (already
 * ended, not yet reported), or NULL when we end it.
 */
static void call_end(struct dcall *c, enum dialer_reason reason,
		     struct leg *cause)
{
	struct leg *legs[3];
	uint16_t sip = 0;
	size_t i;

	if (c->state == CS_ENDED)
		return;

	c->state = CS_ENDED;
	c->pending = DIALER_LEG_NONE;
	tmr_cancel(&c->step_tmr);
	tmr_cancel(&c->hold_tmr);
	hold_stop(c->holdp);
	guard_stop(c->guard);

	legs[0] = c->cust;
	legs[1] = c->agl;
	legs[2] = c->lis;

	if (cause) {
		sip = cause->scode;
		leg_ended_emit(c, cause);
	}

	for (i = 0; i < ARRAY_SIZE(legs); i++) {
		struct leg *l = legs[i];
		bool up;

		if (!l || l == cause || l->state == LEG_ENDED)
			continue;

		up = l->state == LEG_ANSWERED;
		leg_hangup(l, up ? reason : DIALER_R_CANCELED,
			   up ? 200 : 487);
		leg_ended_emit(c, l);
	}

	if (!cause && c->cust)
		sip = c->cust->scode;

	/* the file is complete before anyone is told where it is */
	c->rec = mem_deref(c->rec);

	--c->d->ncalls;
	dialer_reap(c->d, &c->he, c);

	emit(c, DIALER_EV_ENDED, cause ? cause->kind : DIALER_LEG_NONE,
	     reason, sip);
}


/* We end a call through one of its answered legs (media timeout, the
 * goodbye played): that leg is the cause. */
static void call_end_via(struct dcall *c, struct leg *l,
			 enum dialer_reason reason)
{
	leg_hangup(l, reason, l->scode ? l->scode : 200);
	call_end(c, reason, l);
}


static void record_start(struct dcall *c)
{
	char path[1024];
	int err;

	if (!c->record || c->rec)
		return;

	if (mkdir(c->d->record_dir, 0750) && errno != EEXIST) {
		log_error("record_dir %s: %s", c->d->record_dir,
			  strerror(errno));
		return;
	}

	if (re_snprintf(path, sizeof(path), "%s/%s-%lld.wav",
			c->d->record_dir, c->id, (long long)c->created) < 0)
		return;

	err = media_rec_open(&c->rec, path);
	if (err)
		return;

	err = str_dup(&c->rec_path, path);
	if (err) {
		c->rec = mem_deref(c->rec);
		return;
	}

	media_stream_record(c->cust->ms, c->rec, 0);
	media_stream_record(c->agl->ms, c->rec, 1);
}


static void call_bridge(struct dcall *c)
{
	tmr_cancel(&c->hold_tmr);
	hold_stop(c->holdp);

	if (media_bridge(c->cust->ms, c->agl->ms)) {
		call_end(c, DIALER_R_FAILED, NULL);
		return;
	}

	c->state = CS_BRIDGED;
	record_start(c);
	emit(c, DIALER_EV_BRIDGED, DIALER_LEG_NONE, DIALER_R_NONE, 0);
}


static void schedule_leg(struct dcall *c, enum dialer_leg kind);


/* Holding for nobody (max_hold, or dialer_release): the goodbye
 * prompt, then the end with reason. */
static void goodbye(struct dcall *c, enum dialer_reason reason)
{
	c->bye_reason = reason;
	tmr_cancel(&c->hold_tmr);
	c->pending = DIALER_LEG_NONE;
	tmr_cancel(&c->step_tmr);

	if (c->agl && c->agl->state != LEG_ENDED) {
		leg_hangup(c->agl, DIALER_R_CANCELED, 487);
		leg_ended_emit(c, c->agl);
		if (c->state == CS_ENDED)
			return;
	}

	c->state = CS_GOODBYE;
	hold_stop(c->holdp);
	if (!c->goodbye || media_stream_play(c->cust->ms, c->goodbye, false))
		call_end_via(c, c->cust, reason);
}


static void max_hold_timeout(void *arg)
{
	struct dcall *c = arg;

	if (c->state != CS_HOLDING)
		return;

	log_info("call %s: no agent in %u s", c->id, c->max_hold_ms / 1000);
	goodbye(c, DIALER_R_MAX_HOLD);
}


static void holding(struct dcall *c)
{
	c->state = CS_HOLDING;
	hold_start(c->holdp, c->cust->ms);
	tmr_start(&c->hold_tmr, c->max_hold_ms, max_hold_timeout, c);

	if (c->agent)
		schedule_leg(c, DIALER_LEG_AGENT);
}


/* ---- GUARD (customer first, human_check) */

static void guard_timeout(void *arg)
{
	struct dcall *c = arg;

	if (c->state != CS_GUARD)
		return;

	log_info("call %s: no key in the guard's time: no human", c->id);
	call_end_via(c, c->cust, DIALER_R_NO_HUMAN);
}


/* the customer's key or hang-up while the guard waits */
static void guard_event(struct dcall *c, struct leg *l, enum leg_ev ev)
{
	if (ev == LEG_EV_DTMF) {
		emit(c, DIALER_EV_DTMF, l->kind, DIALER_R_NONE, 0);
		if (c->state == CS_GUARD && guard_key(c->guard, l->digit))
			holding(c);
	}
	else {
		/* hung up on "press 1": not known to be a person */
		call_end(c, DIALER_R_NO_HUMAN, l);
	}
}


static void customer_answered(struct dcall *c)
{
	if (c->mode == DIALER_AGENT_FIRST) {
		if (c->agl && c->agl->state == LEG_ANSWERED)
			call_bridge(c);
		return;
	}

	if (!c->guard) {
		holding(c);
		return;
	}

	c->state = CS_GUARD;
	if (guard_start(c->guard, c->cust->ms))
		call_end_via(c, c->cust, DIALER_R_FAILED);
}


static void agent_answered(struct dcall *c)
{
	if (c->mode == DIALER_CUSTOMER_FIRST) {
		if (c->state == CS_HOLDING)
			call_bridge(c);
		return;
	}

	if (c->whisper &&
	    !media_stream_play(c->agl->ms, c->whisper, false)) {
		c->state = CS_WHISPER;
		return;
	}

	c->state = CS_CONNECTING;
	schedule_leg(c, DIALER_LEG_CUSTOMER);
}


static struct leg *other(const struct dcall *c, const struct leg *l)
{
	return l == c->cust ? c->agl : c->cust;
}


/* The listener's own events: the call goes on whatever they are. */
static void listener_event(struct dcall *c, struct leg *l, enum leg_ev ev)
{
	switch (ev) {

	case LEG_EV_RINGING:
		emit(c, DIALER_EV_RINGING, l->kind, DIALER_R_NONE, 0);
		break;

	case LEG_EV_WEBRTC_OFFER:
		emit(c, DIALER_EV_WEBRTC_OFFER, l->kind, DIALER_R_NONE, 0);
		break;

	case LEG_EV_ANSWERED:
		/* the bridge may have gone while the browser answered */
		if (c->state != CS_BRIDGED ||
		    media_listen(l->ms, c->cust->ms, c->agl->ms)) {
			leg_hangup(l, DIALER_R_FAILED, 0);
			leg_ended_emit(c, l);
			break;
		}
		emit(c, DIALER_EV_ANSWERED, l->kind, DIALER_R_NONE, 0);
		break;

	case LEG_EV_MEDIA_TIMEOUT:
		leg_hangup(l, DIALER_R_MEDIA_TIMEOUT, 200);
		leg_ended_emit(c, l);
		break;

	case LEG_EV_ENDED:
		leg_ended_emit(c, l);
		break;

	default:
		/* no prompt, no hold, no key: nobody hears a listener */
		break;
	}
}


void call_leg_event(struct dcall *c, struct leg *l, enum leg_ev ev)
{
	struct leg *o;

	if (c->state == CS_ENDED)
		return;

	if (l == c->lis) {
		listener_event(c, l, ev);
		return;
	}

	if (c->state == CS_GUARD &&
	    (ev == LEG_EV_DTMF || ev == LEG_EV_ENDED) && l == c->cust) {
		guard_event(c, l, ev);
		return;
	}

	switch (ev) {

	case LEG_EV_RINGING:
		emit(c, DIALER_EV_RINGING, l->kind, DIALER_R_NONE, 0);
		break;

	case LEG_EV_WEBRTC_OFFER:
		emit(c, DIALER_EV_WEBRTC_OFFER, l->kind, DIALER_R_NONE, 0);
		break;

	case LEG_EV_EARLY_MEDIA:
		emit(c, DIALER_EV_RINGING, l->kind, DIALER_R_NONE, 0);
		/* agent first: the agent hears the customer's network */
		if (c->state == CS_CONNECTING && l == c->cust && c->agl)
			(void)media_bridge(c->agl->ms, c->cust->ms);
		break;

	case LEG_EV_ANSWERED:
		emit(c, DIALER_EV_ANSWERED, l->kind, DIALER_R_NONE, 0);
		if (c->state == CS_ENDED)
			break;
		if (l == c->cust)
			customer_answered(c);
		else
			agent_answered(c);
		break;

	case LEG_EV_HOLD:
	case LEG_EV_UNHOLD:
		emit(c, ev == LEG_EV_HOLD ? DIALER_EV_HOLD : DIALER_EV_UNHOLD,
		     l->kind, DIALER_R_NONE, 0);
		o = other(c, l);
		if (c->state != CS_BRIDGED || !o)
			break;
		/* whoever holds, the other side hears the hold audio */
		if (ev == LEG_EV_HOLD && c->hold)
			(void)media_stream_play(o->ms, c->hold, true);
		else if (ev == LEG_EV_UNHOLD)
			media_stream_stop(o->ms);
		break;

	case LEG_EV_PROMPT_END:
		if (c->state == CS_WHISPER && l == c->agl) {
			c->state = CS_CONNECTING;
			schedule_leg(c, DIALER_LEG_CUSTOMER);
		}
		else if (c->state == CS_GOODBYE && l == c->cust) {
			call_end_via(c, l, c->bye_reason);
		}
		else if (c->state == CS_HOLDING && l == c->cust) {
			(void)hold_prompt_end(c->holdp);
		}
		break;

	case LEG_EV_DTMF:
		if (c->state == CS_BRIDGED)
			emit(c, DIALER_EV_DTMF, l->kind, DIALER_R_NONE, 0);
		break;

	case LEG_EV_MEDIA_TIMEOUT:
		call_end_via(c, l, DIALER_R_MEDIA_TIMEOUT);
		break;

	case LEG_EV_ENDED:
		/* customer first, holding: an agent that did not answer is
		 * reported, and the customer keeps holding */
		if (l == c->agl && c->mode == DIALER_CUSTOMER_FIRST &&
		    (c->state == CS_HOLDING || c->state == CS_GOODBYE)) {
			leg_ended_emit(c, l);
			break;
		}
		call_end(c, l->reason, l);
		break;
	}
}


/* ---- starting legs */

static int start_leg(struct dcall *c, enum dialer_leg kind)
{
	struct dialer *d = c->d;
	struct agent_target t;
	struct leg_params lp;
	char from[256];
	struct leg *l;
	int err;

	memset(&lp, 0, sizeof(lp));
	lp.kind = kind;
	lp.call_id = c->id;

	/* a browser: no SIP target, its leg goes through rtpengine */
	if (webrtc_is_endpoint(kind == DIALER_LEG_CUSTOMER ? c->customer :
			       c->agent)) {
		lp.uri = kind == DIALER_LEG_CUSTOMER ? c->customer : c->agent;
		lp.ring_ms = kind == DIALER_LEG_CUSTOMER ?
			c->customer_ring_ms : c->agent_ring_ms;
		goto alloc;
	}

	if (kind == DIALER_LEG_CUSTOMER) {
		err = dialer_trunk_uri(d, t.uri, sizeof(t.uri), c->customer);
		if (err)
			return err;
		t.via_trunk = true;
		(void)re_snprintf(from, sizeof(from), "sip:%s@%s",
				  c->caller_id ? c->caller_id :
				  d->trunk_user ? d->trunk_user : "beckon",
				  d->domain);
		lp.ring_ms = c->customer_ring_ms;
		lp.from_name = NULL;
	}
	else {
		err = agent_resolve(d, c->agent, &t);
		if (err)
			return err;
		/* the agent's phone shows who is calling back */
		(void)re_snprintf(from, sizeof(from), "sip:%s@%s",
				  webrtc_is_endpoint(c->customer) ?
				  "browser" : c->customer, d->domain);
		lp.ring_ms = c->agent_ring_ms;
		lp.from_name = "Callback";
		if (!t.via_trunk)
			lp.route = t.route;
	}

	if (t.via_trunk)
		lp.route = d->trunk_route;
	lp.uri = t.uri;
	lp.via_trunk = t.via_trunk;
	lp.from_uri = from;

 alloc:
	err = leg_alloc(&l, c, d, &lp);
	if (err)
		return err;

	if (kind == DIALER_LEG_CUSTOMER) {
		mem_deref(c->cust);
		c->cust = l;
	}
	else {
		/* a leg that ended before goes with the next free */
		if (c->agl)
			dialer_reap(d, &c->agl->he, c->agl);
		c->agl = l;
	}

	emit(c, DIALER_EV_INVITE, kind, DIALER_R_NONE, 0);

	return 0;
}


static void step(void *arg)
{
	struct dcall *c = arg;
	enum dialer_leg kind = c->pending;
	enum dialer_reason reason;
	int err;

	c->pending = DIALER_LEG_NONE;
	if (kind == DIALER_LEG_NONE || c->state == CS_ENDED)
		return;

	err = start_leg(c, kind);
	if (!err)
		return;

	reason = err == ENODEV ? DIALER_R_NO_AGENT : DIALER_R_FAILED;
	log_warn("call %s: cannot call the %s: %s", c->id,
		 dialer_leg_name(kind), err == ENODEV ?
		 "agent not registered" : strerror(err));

	/* customer first, holding: report the agent, keep the customer */
	if (kind == DIALER_LEG_AGENT && c->state == CS_HOLDING) {
		emit(c, DIALER_EV_LEG_ENDED, kind, reason, 0);
		return;
	}

	call_end(c, reason, NULL);
}


static void schedule_leg(struct dcall *c, enum dialer_leg kind)
{
	c->pending = kind;
	tmr_start(&c->step_tmr, 0, step, c);
}


/* ---- the public interface */

bool dialer_label_valid(const char *id)
{
	size_t n;

	if (!id)
		return false;

	for (n = 0; id[n]; n++) {
		char ch = id[n];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' ||
		      ch == '.' || ch == ':'))
			return false;
	}

	return n >= 1 && n <= DIALER_ID_MAX;
}


static bool id_cmp(struct le *le, void *arg)
{
	const struct dcall *c = le->data;

	return !strcmp(c->id, arg);
}


static struct dcall *call_find(const struct dialer *d, const char *id)
{
	if (!d || !id)
		return NULL;

	return list_ledata(hash_lookup(d->calls, hash_joaat_str(id), id_cmp,
				       (void *)id));
}


/* a business id: the name of its greeting in greeting_dir */
static bool greeting_name_valid(const char *s)
{
	size_t n;

	for (n = 0; s[n]; n++) {
		char ch = s[n];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' ||
		      (ch == '.' && n > 0)))
			return false;
	}

	return n >= 1 && n <= DIALER_ID_MAX;
}


/* a place in line and a wait that can be said (or are unknown) */
static bool numbers_valid(int64_t position, int64_t eta)
{
	return position >= 0 && position <= 100000 && eta >= -1 &&
	       eta <= 30 * 86400;
}


/* the hold music: a prompt_dir name, or the configured moh */
static int music_get(struct dialer *d, struct media_prompt **pp,
		     const char *name)
{
	if (name && *name)
		return dialer_prompt_get(d, pp, name);

	return dialer_prompt_path(d, pp, d->moh);
}


/* what HOLDING plays; the greeting is read afresh for each call (a
 * business may have just uploaded a new one) */
static int hold_make(struct dcall *c, const struct dialer_call_params *p)
{
	struct media_prompt *greeting = NULL;
	struct hold_params hp;
	char path[1024];
	struct stat st;
	int err;

	if (p->greeting &&
	    re_snprintf(path, sizeof(path), "%s/%s.wav", c->d->greeting_dir,
			p->greeting) > 0 &&
	    !stat(path, &st) && media_prompt_load(&greeting, path))
		log_warn("call %s: greeting %s not played", c->id, path);

	memset(&hp, 0, sizeof(hp));
	hp.lang = p->language;
	hp.music = c->hold;
	hp.greeting = greeting;
	hp.every_ms = p->announce_every * 1000;
	hp.position = p->position;
	hp.eta_s = p->eta;

	err = hold_alloc(&c->holdp, c->d, c->id, &hp);
	mem_deref(greeting);

	return err;
}


int dialer_call_check(const struct dialer *d,
		      const struct dialer_call_params *p,
		      const char **fieldp)
{
	struct media_prompt *mp;
	const char *field = NULL;
	int err, eperr = 0;

	if (!d || !p)
		return EINVAL;

	if (!dialer_label_valid(p->id))
		field = "id";
	else if ((eperr = dialer_endpoint_check(d, p->customer,
						DIALER_LEG_CUSTOMER)))
		field = "customer";
	else if (p->agent && (eperr = dialer_endpoint_check(d, p->agent,
							    DIALER_LEG_AGENT)))
		field = "agent";
	else if (!p->agent && p->mode == DIALER_AGENT_FIRST)
		field = "agent";
	else if (p->mode != DIALER_CUSTOMER_FIRST &&
		 p->mode != DIALER_AGENT_FIRST)
		field = "mode";
	else if (p->caller_id && !dialer_e164_valid(p->caller_id))
		field = "caller_id";
	else if (p->customer_ring > RING_MAX)
		field = "customer_ring";
	else if (p->agent_ring > RING_MAX)
		field = "agent_ring";
	else if (p->max_hold > HOLD_MAX)
		field = "max_hold";

	else if (p->language && *p->language && !dialer_voice(p->language))
		field = "language";
	else if (p->greeting && !greeting_name_valid(p->greeting))
		field = "greeting";
	else if (p->announce_every &&
		 (p->announce_every < DIALER_ANNOUNCE_MIN ||
		  p->announce_every > DIALER_ANNOUNCE_MAX))
		field = "announce_every";
	else if (!numbers_valid(p->position, p->eta))
		field = "position";
	else if (p->human_check &&
		 (p->human_check < DIALER_HUMAN_CHECK_MIN ||
		  p->human_check > DIALER_HUMAN_CHECK_MAX ||
		  p->mode != DIALER_CUSTOMER_FIRST))
		field = "human_check";

	/* the prompts must exist now, not when the customer answers */
	if (!field) {
		struct dialer *dm = (struct dialer *)d;

		err = music_get(dm, &mp, p->prompt);
		if (err)
			field = "prompt";
		else if (p->whisper &&
			 dialer_prompt_get(dm, &mp, p->whisper))
			field = "whisper";
		else if (dialer_prompt_get(dm, &mp, p->goodbye ?
					   p->goodbye : "goodbye"))
			field = "goodbye";
	}

	/* and the guard's sounds in the language's voice */
	if (!field && p->human_check) {
		struct media_prompt *gp = NULL;

		if (guard_prompt((struct dialer *)d, &gp, p->language))
			field = "human_check";
		mem_deref(gp);
	}

	if (fieldp)
		*fieldp = field;

	return eperr == ENOTSUP ? ENOTSUP : field ? EINVAL : 0;
}


int dialer_originate(struct dialer *d, const struct dialer_call_params *p,
		     dialer_event_h *h, void *arg)
{
	struct media_prompt *mp = NULL;
	struct dcall *c;
	int err;

	err = dialer_call_check(d, p, NULL);
	if (err)
		return err;

	if (d->stopping)
		return ESHUTDOWN;

	if (call_find(d, p->id))
		return EEXIST;

	c = mem_zalloc(sizeof(*c), call_destructor);
	if (!c)
		return ENOMEM;

	tmr_init(&c->step_tmr);
	tmr_init(&c->hold_tmr);
	c->d = d;
	c->mode = p->mode;
	c->eh = h;
	c->arg = arg;
	c->created = time_now_ms();
	c->record = p->record;
	c->customer_ring_ms = p->customer_ring ? p->customer_ring * 1000 :
		d->ring_timeout_ms;
	c->agent_ring_ms = p->agent_ring ? p->agent_ring * 1000 :
		d->ring_timeout_ms;
	c->max_hold_ms = p->max_hold ? p->max_hold * 1000 : d->max_hold_ms;

	err  = str_dup(&c->id, p->id);
	err |= str_dup(&c->customer, p->customer);
	if (p->agent)
		err |= str_dup(&c->agent, p->agent);
	if (p->caller_id)
		err |= str_dup(&c->caller_id, p->caller_id);
	if (err) {
		err = ENOMEM;
		goto out;
	}

	/* checked above; held by the call in case the cache changes */
	if (!music_get(d, &mp, p->prompt))
		c->hold = mem_ref(mp);
	if (p->whisper && !dialer_prompt_get(d, &mp, p->whisper))
		c->whisper = mem_ref(mp);
	if (!dialer_prompt_get(d, &mp, p->goodbye ? p->goodbye : "goodbye"))
		c->goodbye = mem_ref(mp);

	err = hold_make(c, p);
	if (!err && p->human_check)
		err = guard_alloc(&c->guard, d, p->language,
				  p->human_check * 1000, guard_timeout, c);
	if (err)
		goto out;

	hash_append(d->calls, hash_joaat_str(c->id), &c->he, c);
	++d->ncalls;

	if (c->mode == DIALER_AGENT_FIRST) {
		c->state = CS_CALLING_AGENT;
		schedule_leg(c, DIALER_LEG_AGENT);
	}
	else {
		c->state = CS_CALLING_CUSTOMER;
		schedule_leg(c, DIALER_LEG_CUSTOMER);
	}

	{
		char masked[32];

		log_info("call %s: %s, customer %s, agent %s", c->id,
			 c->mode == DIALER_AGENT_FIRST ? "agent first" :
			 "customer first",
			 webrtc_is_endpoint(c->customer) ? c->customer :
			 phone_mask(masked, sizeof(masked), c->customer),
			 c->agent ? c->agent : "(later)");
	}

 out:
	if (err)
		mem_deref(c);

	return err;
}


int dialer_hangup(struct dialer *d, const char *id)
{
	struct dcall *c = call_find(d, id);

	if (!c)
		return ENOENT;

	call_end(c, DIALER_R_SYSTEM_HANGUP, NULL);

	return 0;
}


int dialer_release_check(const struct dialer *d, const char *id)
{
	const struct dcall *c = call_find(d, id);

	if (!c)
		return ENOENT;

	if (c->mode != DIALER_CUSTOMER_FIRST || c->state != CS_HOLDING ||
	    c->pending != DIALER_LEG_NONE ||
	    (c->agl && c->agl->state != LEG_ENDED))
		return EBUSY;

	return 0;
}


int dialer_release(struct dialer *d, const char *id)
{
	struct dcall *c = call_find(d, id);
	int err = dialer_release_check(d, id);

	if (err)
		return err;

	log_info("call %s: no agent can take it: goodbye", c->id);
	goodbye(c, DIALER_R_NO_AGENT);

	return 0;
}


int dialer_offer_agent(struct dialer *d, const char *id, const char *agent,
		       uint32_t ring)
{
	struct dcall *c = call_find(d, id);
	char *dup = NULL;
	int err;

	if (!c)
		return ENOENT;

	err = dialer_endpoint_check(d, agent, DIALER_LEG_AGENT);
	if (err)
		return err;
	if (ring > RING_MAX)
		return EINVAL;

	if (c->mode != DIALER_CUSTOMER_FIRST || c->state != CS_HOLDING ||
	    c->pending != DIALER_LEG_NONE ||
	    (c->agl && c->agl->state != LEG_ENDED))
		return EBUSY;

	if (str_dup(&dup, agent))
		return ENOMEM;

	mem_deref(c->agent);
	c->agent = dup;
	if (ring)
		c->agent_ring_ms = ring * 1000;

	schedule_leg(c, DIALER_LEG_AGENT);

	return 0;
}


int dialer_call_leg(struct dialer *d, const char *id, enum dialer_leg kind,
		    struct leg **lp)
{
	const struct dcall *c = call_find(d, id);
	struct leg *l;

	if (!c)
		return ENOENT;

	l = leg_of(c, kind);
	if (!l)
		return ENODEV;

	*lp = l;
	return 0;
}


int dialer_listen_check(const struct dialer *d, const char *id,
			const char *endpoint)
{
	const struct dcall *c = call_find(d, id);
	int err;

	if (!c)
		return ENOENT;
	if (!webrtc_is_endpoint(endpoint))
		return EINVAL;
	err = dialer_endpoint_check(d, endpoint, DIALER_LEG_LISTENER);
	if (err)
		return err;
	if (c->state != CS_BRIDGED)
		return EBUSY;
	if (c->lis && c->lis->state != LEG_ENDED)
		return EALREADY;

	return 0;
}


int dialer_listen(struct dialer *d, const char *id, const char *endpoint)
{
	struct dcall *c = call_find(d, id);
	struct leg_params lp;
	struct leg *l;
	int err;

	err = dialer_listen_check(d, id, endpoint);
	if (err)
		return err;

	memset(&lp, 0, sizeof(lp));
	lp.kind = DIALER_LEG_LISTENER;
	lp.uri = endpoint;
	lp.call_id = c->id;
	lp.ring_ms = d->ring_timeout_ms;
	lp.sendonly = true;

	err = leg_alloc(&l, c, d, &lp);
	if (err)
		return err;

	/* a listener that ended before goes with the next free */
	if (c->lis)
		dialer_reap(d, &c->lis->he, c->lis);
	c->lis = l;
	log_info("call %s: %s listens", c->id, endpoint);
	emit(c, DIALER_EV_INVITE, l->kind, DIALER_R_NONE, 0);

	return 0;
}


int dialer_announce(struct dialer *d, const char *id, int64_t position,
		    int64_t eta)
{
	struct dcall *c = call_find(d, id);

	if (!c)
		return ENOENT;
	if (!numbers_valid(position, eta))
		return EINVAL;

	hold_numbers(c->holdp, position, eta);

	return 0;
}


int dialer_status(const struct dialer *d, const char *id,
		  struct dialer_status *st)
{
	const struct dcall *c = call_find(d, id);

	if (!c || !st)
		return c ? EINVAL : ENOENT;

	st->state = state_name(c->state);
	st->mode = c->mode;
	st->customer_state = leg_state_name(c->cust);
	st->agent_state = leg_state_name(c->agl);
	st->agent = c->agent;
	st->created = c->created;
	st->answered_t = c->answered_t;
	st->bridged_t = c->bridged_t;
	st->eh = c->eh;
	st->eh_arg = c->arg;

	return 0;
}


unsigned dialer_call_count(const struct dialer *d)
{
	return d ? d->ncalls : 0;
}


struct move {
	dialer_event_h *h;
	void *arg;
	dialer_event_h *nh;
	void *narg;
};


static bool move_handler(struct le *le, void *arg)
{
	struct dcall *c = le->data;
	struct move *m = arg;

	if (c->eh == m->h && c->arg == m->arg) {
		c->eh = m->nh;
		c->arg = m->narg;
	}

	return false;
}


void dialer_move_handler(struct dialer *d, dialer_event_h *h, void *arg,
			 dialer_event_h *nh, void *narg)
{
	struct move m = {h, arg, nh, narg};

	if (d)
		(void)hash_apply(d->calls, move_handler, &m);
}


int dialer_claim(struct dialer *d, const char *id,
		 /* cppcheck-suppress constParameter ; compared, not written */
		 dialer_event_h *h, void *arg, dialer_event_h *nh, void *narg)
{
	struct dcall *c = call_find(d, id);

	if (!c)
		return ENOENT;
	if (c->eh != h || c->arg != arg)
		return EBUSY;

	c->eh = nh;
	c->arg = narg;

	return 0;
}


static bool first_handler(struct le *le, void *arg)
{
	(void)le;
	(void)arg;

	return true;
}


void dialer_calls_end_all(struct dialer *d, enum dialer_reason reason)
{
	struct le *le;

	if (!d || !d->calls)
		return;

	/* one at a time: an event handler may end others meanwhile */
	while ((le = hash_apply(d->calls, first_handler, NULL)))
		call_end(le->data, reason, NULL);
}


struct status_walk {
	dialer_status_h *h;
	void *arg;
};


static bool status_handler(struct le *le, void *arg)
{
	const struct dcall *c = le->data;
	struct status_walk *w = arg;
	struct dialer_status st;

	if (!dialer_status(c->d, c->id, &st))
		w->h(c->id, &st, w->arg);

	return false;
}


void dialer_status_all(const struct dialer *d, dialer_status_h *h,
		       void *arg)
{
	struct status_walk w = {h, arg};

	if (d && h)
		(void)hash_apply(d->calls, status_handler, &w);
}
