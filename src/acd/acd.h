/*
 * acd: who calls whom, and when. It keeps the open callbacks, the agents'
 * presence and the routing rules in memory (the store has every change
 * first), and drives each callback from "queued" to a final status:
 *
 *   scheduled --(its time)--> queued --(an agent is chosen, reserved and
 *   the callback claimed with a lease: events "offered" + "dialing")-->
 *   dialing --(customer answers)--> on_hold --(agent answers, bridged)-->
 *   connected --(hang-up)--> completed
 *
 *   dialing --(busy, no answer, unreachable)--> scheduled (a retry, per
 *   the business's policy) or failed; on_hold --(customer hangs up)-->
 *   abandoned; on_hold --(agent does not answer)--> the next agent, the
 *   customer kept on hold; on_hold --(no agent left who could take it:
 *   the goodbye prompt, reason no_agent)--> scheduled or failed, as a
 *   busy line; anything open --(process died)--> interrupted,
 *   then retried (with a dialer in another process, only the calls it
 *   no longer holds: acd_keep_calls).
 *
 *   Agent first with accept_timeout: queued --(an agent is reserved and
 *   the callback claimed, event "offered", nothing dialed)--> queued,
 *   then Accept --> dialing (events "dialing" + "accepted"), or Decline /
 *   the countdown --> queued for the next agent ("declined" /
 *   "offer_timeout", the latter a missed offer), no attempt spent.
 *
 * Agent presence: offline -> available <-> away; available -> offered
 * (reserved for one callback) -> on_call -> wrap_up -> available. Each
 * state with a timer has a way out: a reservation expires, wrap-up ends,
 * and an agent who misses max_missed_offers offers in a row is set away
 * with the reason. Only an agent whose phone can be called is reserved
 * (acd_agent_reachable). An agent leg that fails for a reason of the
 * agent's phone sets the agent away at once, the reason said, as no
 * ring again would help: no_agent (not registered), unreachable (no
 * answer from it, 404, 5xx), incompatible (488, 606), rejected (another
 * 4xx) and 480 (the phone says it is not available). busy, declined and
 * a ring without answer (408, the ring timeout) are misses, as before:
 * a person who is there may take the next one.
 *
 * Every step is a compare-and-set in the store with its event row, so a
 * callback is claimed by one worker only, and a restarted process knows
 * where each callback stood.
 *
 * The dialer is reached through struct acd_dialer (the same operations as
 * the call-control protocol); app.c connects it.
 */
#ifndef BECKON_ACD_H
#define BECKON_ACD_H

#include <stdbool.h>
#include <stdint.h>
#include "store/store.h"   /* enum agent_state */

struct acd;
struct cfg;
struct store;
struct business;
struct agent;
struct rule;

/* what the ACD asks the dialer to do */
struct acd_call {
	const char *id;           /* the callback id, used as the call id */
	const char *customer;     /* E.164 */
	const char *agent;        /* the agent's endpoint */
	const char *agent_id;
	const char *mode;         /* customer_first or agent_first */
	const char *caller_id;
	const char *prompt;       /* hold prompt name */
	const char *whisper;      /* agent first: played to the agent */
	const char *goodbye;      /* after max_hold */
	int64_t max_hold_s;
	bool record;
	/* on hold: the business's greeting (its id), then the place in
	 * line and the wait in language, again every announce_every s */
	const char *language;
	const char *greeting;
	int64_t announce_every;
	int64_t position;         /* 0: unknown */
	int64_t eta_s;            /* -1: unknown */
	int64_t human_check;      /* seconds to press 1 (0: no guard) */
};

struct acd_dialer {
	void *arg;
	int (*originate)(void *arg, const struct acd_call *call);
	/* offer a customer on hold to another agent */
	int (*offer_agent)(void *arg, const char *id, const char *agent,
			   const char *agent_id);
	int (*hangup)(void *arg, const char *id);
	/* an agent's SIP credentials and endpoint (optional) */
	void (*agent_set)(void *arg, const struct agent *a);
	void (*agent_del)(void *arg, const char *id);
	/* a held customer's place in line and wait changed (optional) */
	void (*announce)(void *arg, const char *id, int64_t position,
			 int64_t eta_s);
	/* does a softphone agent (endpoint "registered") have a live
	 * registration now? (optional: without it, unknown, taken as yes;
	 * a fixed endpoint, a URI or a number, is always reachable) */
	bool (*agent_registered)(void *arg, const char *agent_id);
	/* end a held call politely: the goodbye prompt, then the end with
	 * reason no_agent (optional: without it, hangup) */
	int (*release)(void *arg, const char *id);
};

/* what the dialer reports (see docs/call-control.md) */
enum acd_ev {
	ACD_EV_RINGING,
	ACD_EV_ANSWERED,
	ACD_EV_BRIDGED,
	ACD_EV_LEG_FAILED,        /* a leg ended without being answered */
	ACD_EV_ENDED,             /* the call is over */
	/* the link to a remote dialer was lost during the call: what became
	 * of it is unknown, so it is recorded "interrupted" (as after a
	 * crash) and retried or failed per the business's policy */
	ACD_EV_INTERRUPTED,
};

struct acd_event {
	enum acd_ev type;
	const char *leg;          /* "customer" or "agent" */
	const char *reason;       /* busy, no_answer, declined, ... */
	int sip;                  /* the SIP status, 0 if none */
	/* the dialer's times (ms) of the event, and (ended, leg failed)
	 * of the customer's answer and of the bridge; 0: unknown, never */
	int64_t t;
	int64_t answered_t;
	int64_t bridged_t;
};

/*
 * Told after every committed change an agent's desktop shows: an agent's
 * presence (callback_id: what it is reserved for or on, or NULL), or a
 * callback's status (agent_id: the agent it is with, or NULL), or a new
 * callback in the queue (agent_id NULL).
 */
typedef void (acd_watch_h)(const char *agent_id, const char *callback_id,
			   void *arg);

int  acd_alloc(struct acd **ap, const struct cfg *cfg, struct store *st);
void acd_set_watch(struct acd *acd, acd_watch_h *h, void *arg);

/* An agent's live presence (AGENT_OFFLINE when unknown). */
enum agent_state acd_agent_presence(const struct acd *acd, const char *id,
				    const char **callback_idp);
/* Why the agent is in that state, as live as the state (the stored
 * record's reason lags a change being written); fallback when the ACD
 * does not know the agent. */
const char *acd_agent_reason(const struct acd *acd, const char *id,
			     const char *fallback);
void acd_set_dialer(struct acd *acd, const struct acd_dialer *d);

/*
 * A remote dialer's link went down (false) or came back (true). While
 * down, nothing is dispatched (no attempt is spent on a dialer that
 * cannot take it) and the ETA is unknown; when back, every agent's
 * credentials are sent again (a restarted dialer has none) and the queue
 * goes on. A dialer is up until told otherwise; a remote one is told
 * down before it is set, and up once it answers.
 */
void acd_dialer_ready(struct acd *acd, bool ready);
/* one more of several dialers came up (the dialer was up already):
 * every agent's credentials are sent again, as when it comes back */
void acd_dialer_agents(struct acd *acd);

/*
 * The dialer has no phone line (the demo with rtpengine and no trunk):
 * only calls in the browser are placed. A callback to a number stays
 * queued, no attempt spent, as with no dialer at all (the API refuses
 * new ones: api_set_no_line).
 */
void acd_set_no_line(struct acd *acd);

/*
 * A visitor's page still on its voice socket (api/voice.c): asked when
 * the agent side failed a call in the browser (the held visitor let go
 * for no agent, or agent first an agent that failed before the visitor
 * was called). True: the page stays, the callback goes back to the
 * queue (event "requeued", no attempt spent) and the next offer goes
 * to the same page; false (the page closed, or none: another process
 * before a restart): it fails as before.
 */
typedef bool (acd_page_keep_h)(void *arg, const char *id);
void acd_set_page_keep(struct acd *acd, acd_page_keep_h *h, void *arg);

/* Start: load agents, rules and open callbacks, recover interrupted
 * calls, start the timers. Runs the store synchronously. */
int  acd_start(struct acd *acd);

/*
 * The dialer is another process: a call may outlive this one. Said
 * before acd_start, the callbacks the store has in a call (dialing,
 * on_hold, connected) and their agents stay as they were instead of
 * being interrupted; acd_calls_kept lists them (once, after acd_start)
 * for the dialer's port to take back. The port reports each one it
 * cannot take back as ACD_EV_INTERRUPTED: then, and only then, it is
 * interrupted and retried as after a crash.
 */
typedef void (acd_call_h)(const char *id, void *arg);
void acd_keep_calls(struct acd *acd);
void acd_calls_kept(const struct acd *acd, acd_call_h *h, void *arg);

/*
 * The directory of businesses the ACD reads (bizdir.h): its own by
 * default, filled from the store at acd_start and by acd_business_set;
 * or, said before acd_start, the server's, shared with the API, which
 * fills it (then acd_business_set only says a business changed).
 */
struct bizdir;
void acd_set_bizdir(struct acd *acd, struct bizdir *dir);

/* The admin API's changes, after they are stored. */
void acd_business_set(struct acd *acd, const struct business *b);
void acd_agent_set(struct acd *acd, const struct agent *a);
void acd_agent_del(struct acd *acd, const char *id);
void acd_rule_set(struct acd *acd, const struct rule *r);
void acd_rule_del(struct acd *acd, const char *id);

/*
 * A softphone agent registered (or unregistered): a dispatch may now
 * find them reachable, and their desk says whether their phone is.
 */
void acd_agent_registered(struct acd *acd, const char *id);

/*
 * An agent's phone may be their desk: endpoint ACD_ENDPOINT_DESK, a
 * browser leg through rtpengine whose offer and answer travel on the
 * desk's WebSocket. The API says when a desk page of the agent holds
 * the microphone (up) and when the last one is gone: an agent available
 * then is set away with the reason at once; a call of theirs ends
 * through its leg, which the API hangs up. acd_agent_state refuses
 * "available" with ENODEV while a desk agent's desk is no phone.
 */
#define ACD_ENDPOINT_DESK "desk"
void acd_agent_desk(struct acd *acd, const char *id, bool up);

/*
 * Can the agent's phone be called now? A fixed endpoint always; a
 * softphone while registered; the desk while connected (above). Only agents whose phone can be called are
 * reserved for a callback: a customer is never dialed for nobody.
 */
bool acd_agent_reachable(const struct acd *acd, const char *id);
/* the agent's endpoint as set ("registered", "desk", a URI, a number,
 * "": none), or NULL: no such agent */
const char *acd_agent_endpoint(const struct acd *acd, const char *id);

/*
 * Who could take a callback of business now: agents serving it that
 * are available with a reachable phone (*availablep), and working at
 * all (available and reachable, reserved, on a call or in wrap-up;
 * *workingp). No identity is told.
 */
void acd_business_staff(const struct acd *acd, const char *business,
			unsigned *availablep, unsigned *workingp);

/* A person sets their presence: available, away or offline (ENODEV:
 * available, and their phone cannot be called now: acd_agent_reachable).
 */
int  acd_agent_state(struct acd *acd, const char *id,
		     enum agent_state state, const char *reason);

/* A callback was created (or canceled) through the public API; with
 * acd_callback_new the ACD takes it as it is, without reading it back. */
void acd_callback_added(struct acd *acd, const char *id);
void acd_callback_new(struct acd *acd, struct callback *cb,
		      const char *last_agent);
void acd_callback_canceled(struct acd *acd, const char *id);

/*
 * Several nodes on one store: callbacks created or canceled on another
 * node reach the leader's ACD here. One read of the store's open
 * callbacks; those the ACD does not know (queued or scheduled) are
 * added, those it knew before the read that are no longer open are
 * dropped (an offer on a desk withdrawn), never one in a call or with a
 * change in flight.
 * Idempotent; a call while a read is on its way asks for one more after
 * it (a notification may call it as often as it likes).
 */
void acd_resync(struct acd *acd);

/*
 * The same for one callback, the one a notification names: one read by
 * its id, not of every open callback, so that the leader's reads grow
 * with the changes, not with the queue times the changes. None at all
 * when nothing the read could say would change anything: a callback a
 * call or a change of ours holds, one still waiting by the
 * notification's status (hint; CBS_ANY: unsaid), one unknown here that
 * is not waiting. Too many on their way (ACD_RESYNC_ONE_MAX), or a read
 * that fails: a full acd_resync instead, which also stays the truth
 * after a reconnect and every second.
 */
void acd_resync_one(struct acd *acd, const char *id,
		    enum callback_status hint);


/* A call taken back from a dialer (attach): when its customer answered
 * and when it was bridged (0: not), as the dialer says */
void acd_call_attached(struct acd *acd, const char *id, int64_t answered_t,
		       int64_t bridged_t);
/* The dialer's report about the call of callback id. */
void acd_call_event(struct acd *acd, const char *id,
		    const struct acd_event *ev);

/*
 * The agent's controls: hang up their call (ENOENT, EPERM when it is not
 * theirs); reschedule it (when the call ends, the callback is scheduled
 * for at instead of completed, and goes to them first; EBUSY unless
 * connected); end their wrap-up now (EALREADY if not in wrap-up).
 * agent_id NULL in acd_hangup: an administrator.
 */
int  acd_hangup(struct acd *acd, const char *id, const char *agent_id);
int  acd_reschedule(struct acd *acd, const char *id, const char *agent_id,
		    int64_t at);
int  acd_agent_ready(struct acd *acd, const char *agent_id);

/*
 * The agent declines an offer on the desktop: only in agent-first mode
 * while their phone rings, before the customer is called (EBUSY
 * otherwise; ENOENT, EPERM as acd_hangup). The call is dropped and the
 * callback goes back to the queue for another agent, no attempt spent;
 * the agent is available again, and it is not a missed offer.
 */
int  acd_decline(struct acd *acd, const char *id, const char *agent_id);

/*
 * Agent first with the business's accept_timeout: the offer waits on the
 * desk, nothing dialed, until the agent accepts it (then it is called as
 * without Accept), declines it (acd_decline: next agent, not a miss) or
 * lets the countdown run out (next agent, a missed offer). acd_accept:
 * ENOENT, EPERM (not offered to them), EBUSY (too late: over), ENOTCONN
 * (no dialer). acd_offer_left_ms: the countdown's time left for that
 * agent, -1 when no offer of theirs waits.
 */
int  acd_accept(struct acd *acd, const char *id, const char *agent_id);
int64_t acd_offer_left_ms(const struct acd *acd, const char *id,
			  const char *agent_id);

/*
 * A supervisor acts on a waiting callback: one queued (not offered to
 * an agent) or scheduled. Each action is stored with a private event
 * "supervised" naming who ({"action","by",...}); cancel and reschedule
 * also with their public event ("canceled", "rescheduled", by
 * "supervisor"):
 *
 *   cancel      canceled, final
 *   reschedule  scheduled for at
 *   front       the first of its business's queue: a priority above
 *               every other open callback's of the business
 *   assign      to one agent ("agent:ID") or a team (a key), over the
 *               routing rules and never widened (route.c)
 *
 * acd_supervise answers at once ENOENT (not an open callback), EBUSY
 * (not waiting: dialing, on hold, connected, or offered; *statusp says
 * which), EINPROGRESS (another supervisor's change of it is being
 * stored), EINVAL (assign: an agent who does not serve the business, or
 * a team none of its agents is in) or ENOMEM; otherwise h is called
 * once the change is stored: 0, or EALREADY when the callback moved
 * meanwhile (the compare-and-set lost).
 */
enum acd_sup_action {
	ACD_SUP_CANCEL,
	ACD_SUP_RESCHEDULE,
	ACD_SUP_FRONT,
	ACD_SUP_ASSIGN,
	ACD_SUP_N,
};

struct acd_sup {
	enum acd_sup_action action;
	const char *id;           /* the callback */
	const char *by;           /* the supervisor (an agent id) */
	int64_t at;               /* reschedule: ms */
	const char *agent;        /* assign: an agent id, or NULL */
	const char *team;         /* assign: a team key, or NULL */
};

typedef void (acd_done_h)(int err, void *arg);

/* the action of a name ("cancel", ...): 0 or ENOENT */
int  acd_sup_action_parse(enum acd_sup_action *ap, const char *name,
			  size_t len);
int  acd_supervise(struct acd *acd, const struct acd_sup *r,
		   const char **statusp, acd_done_h *h, void *arg);

/*
 * Why a callback waits, as the ACD sees it now (one function for the
 * supervisor's view and the API): its time chosen, a retry's delay,
 * the business's hours (each until a time), no dialer, nobody with the
 * skill, team or agent asked for, they are all logged out, away (or
 * their phone cannot be called), busy, or have all had it this round
 * (again at a time); offered and waiting for Accept (until the
 * countdown ends); or it is next for a free agent. ACD_WAIT_NONE: not
 * waiting (in a call) or unknown.
 */
enum acd_wait {
	ACD_WAIT_NONE,
	ACD_WAIT_SCHEDULED,
	ACD_WAIT_RETRY,
	ACD_WAIT_HOURS,
	ACD_WAIT_NO_DIALER,
	ACD_WAIT_NO_SKILL,
	ACD_WAIT_LOGGED_OUT,
	ACD_WAIT_AWAY,
	ACD_WAIT_BUSY,
	ACD_WAIT_TRIED,
	ACD_WAIT_OFFERED,
	ACD_WAIT_NEXT,
	ACD_WAIT_N,
};

enum acd_wait acd_why(const struct acd *acd, const char *id,
		      int64_t *untilp);
const char *acd_wait_name(enum acd_wait w);

/* The 1-based place of callback id in its business's queue (priority,
 * then when first asked), 0 when it is not queued, -1 without an ACD:
 * O(log n) at any queue length. */
int64_t acd_position(const struct acd *acd, const char *id);

/* Estimated wait of the callback at position, -1 when unknown. */
int64_t acd_eta_s(const struct acd *acd, const char *business,
		  int64_t position);

/* What a business's estimated wait rests on now (the dialer, its staff,
 * the handle time), taken on the loop; acd_eta_at computes a position's
 * wait from it anywhere else, such as a store's worker thread (a new
 * callback's answer is made inside the store's transaction, pg.c), which
 * must not read the ACD. */
struct acd_eta_basis {
	bool known;               /* false: no dialer, nobody is called */
	unsigned working;
	unsigned avail;
	int64_t handle_s;
};

void acd_eta_basis(const struct acd *acd, const char *business,
		   struct acd_eta_basis *b);
int64_t acd_eta_at(const struct acd_eta_basis *b, int64_t position);

/* The estimated wait of a request of business made now (last in its
 * queue), -1 when unknown: nobody working, or no dialer. */
int64_t acd_wait_now_s(const struct acd *acd, const char *business);

#endif
