/*
 * acd: the engine (see acd.h for the states). Memory follows the store:
 * a callback's in-memory status changes only once the store has committed
 * the compare-and-set that moves it, so what the ACD believes is what a
 * restarted process will read back.
 *
 * Dispatch runs at the end of a loop turn after anything that may let a
 * callback go to an agent (a new callback, an agent becoming available, a
 * scheduled time reached): it walks the queue in order (priority, then the
 * time the customer first asked) and offers each callback to the agent
 * routing chooses, reserving that agent at once so that one dispatch never
 * gives two callbacks to the same person.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#define LOG_SUBSYS "acd"
#include "util/util.h"
#include "cfg/cfg.h"
#include "store/store.h"
#include "acd/acd.h"
#include "acd/acd_int.h"
#include "tz/tz.h"
#include "bizdir/bizdir.h"
#include "hours/hours.h"
#include "metrics/metrics.h"

enum {
	SEC = 1000,
	STUCK_MS = 15 * 60 * SEC,  /* a reservation with no news at all */
	CALL_MAX_MS = 8 * 3600 * SEC, /* a call, however long */
	TRIED_MAX = 512,
	CBH_MIN = 1024,            /* buckets of the hash by id, at first */
	CBH_MAX = 1 << 20,         /* and at most */
	/* one-callback reads on their way; past it, one full read says
	 * the same for less (a burst of another node's intake) */
	ACD_RESYNC_ONE_MAX = 256,
};

struct acd_agent {
	struct le le;
	struct acd *acd;
	struct agent *a;
	struct tmr tmr;            /* wrap-up end, reservation safety net */
	unsigned missed;           /* offers missed in a row */
	char cb[ID_LEN];           /* the callback it is reserved for */
	bool desk_up;              /* endpoint "desk": a desk page with the
				      microphone granted is connected */
};

struct acd_cb {
	struct le le;              /* in acd->cbs */
	struct le he;              /* in acd->cbh */
	uint32_t hk;               /* hash_joaat_str of the id */
	struct acd *acd;
	struct callback *cb;
	struct rank_node rn;       /* in acd->queued while queued */
	bool canceled;             /* by the customer: out of the queue */
	bool busy;                 /* a store change is in flight */
	unsigned changing;         /* how many */
	enum callback_status next_status; /* once they are applied */
	bool last_known;           /* last_agent has been looked up */
	char *last_agent;
	char tried[TRIED_MAX];     /* agents offered this attempt */
	int64_t held_since;        /* the customer answered (ms) */
	int64_t connected_at;
	int64_t reschedule_at;     /* the agent asked for a call then */
	bool agent_failed_first;   /* agent first: the agent leg failed */
	bool agent_answered;       /* the agent offered took the call */
	bool declined;             /* the agent declined it on the desktop */
	bool hung_up_by_agent;     /* from the desktop, not the phone */
	bool released;             /* held for nobody: told goodbye */
	char rescheduled_by[64];
	/* scheduled: by whose choice (ACD_WAIT_SCHEDULED, _RETRY or
	 * _HOURS), for acd_why */
	enum acd_wait sched_why;
	/* a supervisor's change in flight, applied once stored */
	bool sup_pending;
	int64_t front_prio;
	char assign_next[80];
	/* agent first with accept_timeout: an offer on the desk, nothing
	 * dialed yet; the countdown is ours so that the reservation always
	 * ends, whatever the desk does */
	struct tmr offer_tmr;
	char offer_to[64];         /* the agent asked to accept, "": none */
	int64_t offer_until;       /* when the countdown ends (ms) */
	/* every agent there is was tried this attempt (declined, missed,
	 * failed): after reoffer_after, a new round may offer them again,
	 * so a callback never waits for nobody */
	struct tmr round_tmr;
	/* acd_resync: the read after which it was linked; the last read
	 * that found it open */
	uint32_t gen;
	uint32_t seen;
	/* a report of c was not stored (report_unstored): the store is
	 * behind memory, its next change goes from any open status */
	bool unsure;
	/* the events of those reports (struct lost_ev), in order: written
	 * with c's next change, or by a catch-up (lost_again) */
	struct list lost;
	uint64_t lost_n;           /* the serial of the last one kept */
	struct tmr lost_tmr;
};

/* an event of a report the store did not take, to be written again */
struct lost_ev {
	struct le le;              /* in c->lost */
	uint64_t n;                /* its serial in c->lost */
	struct callback_event ev;  /* type and data owned */
};

struct acd {
	const struct cfg *cfg;
	struct store *st;
	/* the businesses, parsed: the server's, shared with the API
	 * (acd_set_bizdir), else the ACD's own, loaded at acd_start */
	struct bizdir *dir;
	bool dir_own;
	struct acd_dialer dialer;
	bool has_dialer;
	bool dialer_down;          /* a remote dialer's link is down */
	bool no_line;              /* no trunk: only calls in the browser */
	acd_page_keep_h *page_keeph;  /* is a visitor's page still there */
	void *page_keep_arg;
	struct list cbs;           /* open callbacks, in queue order */
	struct rank_tree queued;   /* the queued ones, for positions */
	struct hash *cbh;          /* the same, by id */
	uint32_t cbh_size;         /* its buckets (it grows, hash_fit) */
	uint32_t ncb;              /* how many it holds */
	struct list agents;
	struct rule **rulev;
	size_t rulen;
	struct tmr dispatch_tmr;
	struct tmr sched_tmr;
	int64_t sched_at;          /* when sched_tmr fires, 0: not set */
	int64_t handle_s;          /* moving average of connected calls */
	unsigned max_missed;
	uint64_t reoffer_ms;       /* reoffer_after, in ms */
	bool started;
	bool keep_calls;           /* a remote dialer's calls outlive us */
	uint32_t resync_gen;       /* the last resync read asked for */
	uint32_t full_gen;         /* the full read on its way, its gen */
	bool resyncing;            /* that read is on its way */
	unsigned resync_ones;      /* acd_resync_one reads on their way */
	bool resync_again;         /* and another was asked for meanwhile */
	bool held_check;           /* a held customer may be for nobody */
	struct list unstored;      /* final changes to write again */
	uint64_t dispatch_after;   /* tmr_jiffies: the store was away */
	acd_watch_h *watchh;
	void *watch_arg;
};


/* ---- lookups ---- */

struct cb_probe {
	const char *id;
	uint32_t hk;
};


/* The hash first: it spares following two pointers to every other id of
 * the chain. */
static bool cb_id_eq(struct le *le, void *arg)
{
	const struct acd_cb *c = le->data;
	const struct cb_probe *pr = arg;

	return c->hk == pr->hk && !strcmp(c->cb->id, pr->id);
}


static uint32_t cb_key(const void *data)
{
	const struct acd_cb *c = data;

	return c->hk;
}


/* By id through the hash: the queue may hold many thousands, and every
 * request and report looks its callback up. */
static struct acd_cb *cb_find(const struct acd *acd, const char *id)
{
	struct cb_probe pr = {id, hash_joaat_str(id)};
	struct le *le = hash_lookup(acd->cbh, pr.hk, cb_id_eq, &pr);

	return le ? le->data : NULL;
}


static struct acd_agent *agent_find(const struct acd *acd, const char *id)
{
	struct le *le;

	for (le = acd->agents.head; le; le = le->next) {
		struct acd_agent *aa = le->data;

		if (id && !strcmp(aa->a->id, id))
			return aa;
	}

	return NULL;
}


static const struct biz *abiz_find(const struct acd *acd, const char *id)
{
	return bizdir_find(acd->dir, id, strlen(id));
}


static const struct business *biz_find(const struct acd *acd,
				       const char *id)
{
	const struct biz *ab = abiz_find(acd, id);

	return ab ? ab->b : NULL;
}


static bool is_desk(const struct agent *a)
{
	return !strcmp(a->endpoint, ACD_ENDPOINT_DESK);
}


/* A fixed endpoint (a URI, a number through the trunk) can always be
 * called; a softphone only while registered, if the dialer can tell;
 * the desk while its page holds the microphone (acd_agent_desk). */
static bool reachable(const struct acd *acd, const struct acd_agent *aa)
{
	const struct agent *a = aa->a;

	if (!*a->endpoint)
		return false;
	if (is_desk(a))
		return aa->desk_up;
	if (strcmp(a->endpoint, "registered") || !acd->has_dialer ||
	    !acd->dialer.agent_registered)
		return true;

	return acd->dialer.agent_registered(acd->dialer.arg, a->id);
}


/* ---- presence ---- */

/* why a desk agent is out of routing: their page's phone is gone */
static const char DESK_LOST[] = "your desk phone was lost: the desk page "
	"closed or went offline";

static void agent_persist(struct acd_agent *aa);
static void dispatch_soon(struct acd *acd);


static void agent_done_h(int err, void *arg)
{
	char *id = arg;

	if (err == ENOENT)   /* removed meanwhile: not made again */
		log_info("agent %s: no longer in the store, presence not "
			 "kept", id);
	else if (err)
		log_warn("agent %s: storing presence failed: %s", id,
			 strerror(err));
	mem_deref(id);
}


static void agent_persist(struct acd_agent *aa)
{
	char *id = NULL;

	if (str_dup(&id, aa->a->id))
		return;

	if (store_agent_presence(aa->acd->st, aa->a, agent_done_h, id))
		mem_deref(id);
}


static void agent_timeout(void *arg);


/* Each state with a timer has a way out (see acd.h). */
static void agent_tmr_start(struct acd_agent *aa)
{
	enum agent_state state = aa->a->state;

	tmr_cancel(&aa->tmr);
	if (state == AGENT_OFFERED) {
		tmr_start(&aa->tmr, STUCK_MS, agent_timeout, aa);
	}
	else if (state == AGENT_ON_CALL) {
		/* the dialer reports every end (media timeout included):
		 * this is only a net under a lost report */
		tmr_start(&aa->tmr, CALL_MAX_MS, agent_timeout, aa);
	}
	else if (state == AGENT_WRAP_UP) {
		tmr_start(&aa->tmr, (uint64_t)aa->a->wrap_up * SEC,
			  agent_timeout, aa);
	}
}


static void agent_set_state(struct acd_agent *aa, enum agent_state state,
			    const char *reason)
{
	struct agent *a = aa->a;
	int64_t now = time_now_ms();
	char t[24];

	/* a desk whose phone is gone takes no call: out of routing, the
	 * reason said, until they are back (acd_agent_state) */
	if (state == AGENT_AVAILABLE && is_desk(a) && !aa->desk_up) {
		state = AGENT_AWAY;
		reason = DESK_LOST;
	}

	if (a->state == state && !strcmp(a->state_reason, reason))
		return;

	log_info("agent %s: %s -> %s%s%s%s", a->id,
		 agent_state_name(a->state), agent_state_name(state),
		 *reason ? " (" : "", reason, *reason ? ")" : "");

	re_snprintf(t, sizeof(t), "%lld", (long long)now);
	a->state = state;
	store_obj_set(a, &store_agents, "state_reason", reason);
	store_obj_set(a, &store_agents, "state_since", t);
	if (state == AGENT_AVAILABLE)
		store_obj_set(a, &store_agents, "idle_since", t);

	agent_tmr_start(aa);

	if (state != AGENT_OFFERED && state != AGENT_ON_CALL)
		aa->cb[0] = '\0';

	agent_persist(aa);

	if (aa->acd->watchh)
		aa->acd->watchh(a->id, aa->cb[0] ? aa->cb : NULL,
				aa->acd->watch_arg);

	if (state == AGENT_AVAILABLE)
		dispatch_soon(aa->acd);
	else if (state == AGENT_AWAY || state == AGENT_OFFLINE) {
		/* a customer on hold may have waited for this one */
		aa->acd->held_check = true;
		dispatch_soon(aa->acd);
	}
}


/* An offer the agent let pass: away after max_missed_offers in a row. */
static void agent_missed(struct acd_agent *aa)
{
	char why[64];

	aa->missed++;
	re_snprintf(why, sizeof(why), "missed %u offer%s in a row",
		    aa->missed, aa->missed == 1 ? "" : "s");
	if (aa->missed >= aa->acd->max_missed)
		agent_set_state(aa, AGENT_AWAY, why);
	else
		agent_set_state(aa, AGENT_AVAILABLE, "offer missed");
}


static void agent_timeout(void *arg)
{
	struct acd_agent *aa = arg;

	if (aa->a->state == AGENT_WRAP_UP) {
		agent_set_state(aa, AGENT_AVAILABLE, "wrap-up over");
		return;
	}

	/* no news for a long time: never leave an agent stuck */
	log_warn("agent %s: %s for %d minutes without news: released",
		 aa->a->id, agent_state_name(aa->a->state), STUCK_MS / 60000);
	agent_set_state(aa, AGENT_AVAILABLE, "released: no news");
}


static void acd_agent_destructor(void *arg)
{
	struct acd_agent *aa = arg;

	tmr_cancel(&aa->tmr);
	list_unlink(&aa->le);
	mem_deref(aa->a);
}


/* ---- callbacks in memory ---- */

static const struct callback *rn_cb(const struct rank_node *n)
{
	return ((const struct acd_cb *)(const void *)
		((const char *)n - offsetof(struct acd_cb, rn)))->cb;
}


/* The order of positions: a business's queue in the order dispatch
 * walks it (priority, then when first asked), ties by id. */
static int rank_cmp(const struct rank_node *a, const struct rank_node *b)
{
	const struct callback *x = rn_cb(a);
	const struct callback *y = rn_cb(b);
	int c = strcmp(x->business, y->business);

	if (c)
		return c;
	if (x->priority != y->priority)
		return x->priority > y->priority ? -1 : 1;
	if (x->created_at != y->created_at)
		return x->created_at < y->created_at ? -1 : 1;

	return strcmp(x->id, y->id);
}


static int before_business(const struct rank_node *n, const void *arg)
{
	return strcmp(rn_cb(n)->business, arg);
}


static int before_node(const struct rank_node *n, const void *arg)
{
	return rank_cmp(n, arg);
}


/* In acd->queued exactly while queued (in memory, that is stored) and
 * not canceled: a position counts only those. */
static void rank_sync(struct acd_cb *c)
{
	bool want = c->he.list && !c->canceled &&
		    c->cb->status == CBS_QUEUED;

	if (want && !c->rn.size)
		rank_insert(&c->acd->queued, &c->rn);
	else if (!want && c->rn.size)
		rank_remove(&c->acd->queued, &c->rn);
}


static void acd_cb_destructor(void *arg)
{
	struct acd_cb *c = arg;

	tmr_cancel(&c->offer_tmr);
	tmr_cancel(&c->round_tmr);
	tmr_cancel(&c->lost_tmr);
	list_flush(&c->lost);
	if (c->rn.size)
		rank_remove(&c->acd->queued, &c->rn);
	list_unlink(&c->le);
	if (c->he.list) {
		hash_unlink(&c->he);
		c->acd->ncb--;
	}
	mem_deref(c->cb);
	mem_deref(c->last_agent);
}


/* Keep acd->cbs ordered: priority first, then when first asked. */
static bool cb_before(const struct acd_cb *x, const struct acd_cb *y)
{
	if (x->cb->priority != y->cb->priority)
		return x->cb->priority > y->cb->priority;

	return x->cb->created_at < y->cb->created_at;
}


/* From the tail: a new callback is nearly always the last in line, so
 * taking a request costs the same with ten or ten thousand waiting. */
static void cb_insert(struct acd *acd, struct acd_cb *c)
{
	struct le *le;

	for (le = acd->cbs.tail; le; le = le->prev) {
		if (!cb_before(c, le->data)) {
			list_insert_after(&acd->cbs, le, &c->le, c);
			return;
		}
	}

	list_prepend(&acd->cbs, &c->le, c);
}


static int str_set(char **dst, const char *v)
{
	char *d = NULL;
	int err = str_dup(&d, v ? v : "");

	if (err)
		return err;
	mem_deref(*dst);
	*dst = d;

	return 0;
}


/* A callback of the store in the queue (in order) and in the hash. The
 * store's copy is ours to keep: it is freed by reference. */
static struct acd_cb *cb_link(struct acd *acd, const struct callback *cb)
{
	struct acd_cb *c = mem_zalloc(sizeof(*c), acd_cb_destructor);

	if (!c)
		return NULL;

	c->acd = acd;
	c->gen = acd->resync_gen;
	c->cb = mem_ref((struct callback *)cb);
	/* read back: a retry's delay when an attempt ended without a
	 * call (the ACD's own records say it better while it runs) */
	c->sched_why = cb->attempts > 0 && cb->ended_reason &&
		       *cb->ended_reason ? ACD_WAIT_RETRY :
		       ACD_WAIT_SCHEDULED;
	cb_insert(acd, c);
	c->hk = hash_joaat_str(cb->id);
	hash_append(acd->cbh, c->hk, &c->he, c);
	hash_fit(&acd->cbh, &acd->cbh_size, ++acd->ncb, CBH_MAX, cb_key);
	rank_sync(c);

	return c;
}


/* ---- state changes: store first, memory after ---- */

typedef void (cb_then_h)(struct acd_cb *c, int err);

enum {
	/* the store away (a restart, its connection lost): a final change
	 * it could not take is written again, and the next claim tried,
	 * this often (the Retry-After a store away gives: 503) */
	ACD_STORE_AWAY_MS = 1000,
};

/* the texts of a struct callback_change, copied for a final one */
static const size_t chg_texts[] = {
	offsetof(struct callback_change, id),
	offsetof(struct callback_change, agent_id),
	offsetof(struct callback_change, rule_id),
	offsetof(struct callback_change, ended_reason),
	offsetof(struct callback_change, assigned),
	offsetof(struct callback_change, event),
	offsetof(struct callback_change, event_data),
	offsetof(struct callback_change, event2),
	offsetof(struct callback_change, event2_data),
};

struct change_ctx {
	struct acd_cb *c;
	cb_then_h *then;
	enum callback_status status;
	bool close;
	int64_t scheduled_for;
	int64_t attempts;
	char agent_id[64];
	bool set_agent;
	char ended_reason[32];
	acd_done_h *doneh;         /* told once stored (a supervisor's) */
	void *done_arg;
	/* the change's copy: a final one's, written again while the
	 * store is away (unstored_keep); a report's events, kept when the
	 * store did not take it (report_unstored) */
	struct callback_change fin;
	char *fin_own[ARRAY_SIZE(chg_texts)];  /* its texts */
	uint64_t lost_upto;        /* c's lost events it carries: to n */
	bool unstored;             /* said so in the log */
	bool any;                  /* sent from any open status */
	struct tmr tmr;
	struct le le;              /* in acd->unstored while waiting */
};


static void sched_update(struct acd *acd);
static void sched_consider(struct acd *acd, int64_t t);


/* The status the callback has once the changes in flight are stored:
 * what the dialer's reports are read against. */
static enum callback_status cb_status(const struct acd_cb *c)
{
	return c->changing ? c->next_status : c->cb->status;
}


static void change_h(int err, void *arg);


static void change_destructor(void *arg)
{
	struct change_ctx *x = arg;
	size_t i;

	tmr_cancel(&x->tmr);
	list_unlink(&x->le);
	for (i = 0; i < ARRAY_SIZE(x->fin_own); i++)
		mem_deref(x->fin_own[i]);
}


/* A change keeps a copy of itself, to be written again. */
static int chg_keep(struct change_ctx *x, const struct callback_change *chg)
{
	size_t i;
	int err = 0;

	x->fin = *chg;
	for (i = 0; i < ARRAY_SIZE(chg_texts) && !err; i++) {
		const char **f = (const char **)((char *)&x->fin +
						  chg_texts[i]);

		if (*f)
			err = str_dup(&x->fin_own[i], *f);
		*f = x->fin_own[i];
	}

	return err;
}


/* the store could not run it, being away, or busy */
static bool store_away(int err)
{
	return err == ENOTCONN || err == EBUSY;
}


/*
 * The reports the store did not take (report_unstored) lost their
 * events from the callback's history (answered and bridged during an
 * outage, cluster_pg_outage.sh). Each is kept, in order, and every
 * change of c carries those kept so far, written before its own event
 * in its transaction (then in order); one is dropped once a change that
 * carried it is stored. A write whose commit was answered by nothing
 * may have stored them: the store writes such an event once, skipping
 * it where c has one of its type at its ms (SQ_EVENT_INSERT_ONCE).
 */
static void lost_ev_destructor(void *arg)
{
	struct lost_ev *l = arg;

	list_unlink(&l->le);
	mem_deref(l->ev.type);
	mem_deref(l->ev.data);
}


static void lost_again(void *arg);
static int cb_change(struct acd_cb *c, struct callback_change *chg,
		     cb_then_h *then);


static void lost_add(struct acd_cb *c, const char *type, bool public,
		     const char *data, int64_t t)
{
	struct lost_ev *l;

	l = mem_zalloc(sizeof(*l), lost_ev_destructor);
	if (!l || str_dup(&l->ev.type, type) ||
	    (data && str_dup(&l->ev.data, data))) {
		log_error("%s: its %s event is lost: out of memory",
			  c->cb->id, type);
		mem_deref(l);
		return;
	}
	l->n = ++c->lost_n;
	l->ev.t = t;
	l->ev.public = public;
	list_append(&c->lost, &l->le, l);
}


/* chg carries c's kept events: *vp to be freed once chg is queued */
static int lost_attach(const struct acd_cb *c, struct callback_change *chg,
		       struct callback_event **vp, uint64_t *uptop)
{
	struct callback_event *v;
	struct le *le;
	size_t n = 0;

	*vp = NULL;
	*uptop = 0;
	chg->earlier = NULL;
	chg->n_earlier = 0;
	if (list_isempty(&c->lost))
		return 0;

	v = mem_zalloc(list_count(&c->lost) * sizeof(*v), NULL);
	if (!v)
		return ENOMEM;
	LIST_FOREACH(&c->lost, le) {
		const struct lost_ev *l = le->data;

		v[n++] = l->ev;
		*uptop = l->n;
	}
	chg->earlier = v;
	chg->n_earlier = n;
	*vp = v;

	return 0;
}


/* a change carrying c's kept events to serial upto was stored */
static void lost_drop(struct acd_cb *c, uint64_t upto)
{
	while (c->lost.head &&
	       ((struct lost_ev *)c->lost.head->data)->n <= upto)
		mem_deref(c->lost.head->data);
}


static int chg_send(struct change_ctx *x, struct callback_change *chg)
{
	struct callback_event *v;
	int err;

	err = lost_attach(x->c, chg, &v, &x->lost_upto);
	if (!err)
		err = store_callback_update(x->c->acd->st, chg, change_h, x);
	mem_deref(v);
	chg->earlier = NULL;
	chg->n_earlier = 0;

	return err;
}


static void unstored_again(void *arg)
{
	struct change_ctx *x = arg;
	struct acd *acd = x->c->acd;

	list_unlink(&x->le);
	if (!chg_send(x, &x->fin))
		return;

	list_append(&acd->unstored, &x->le, x);
	tmr_start(&x->tmr, ACD_STORE_AWAY_MS, unstored_again, x);
}


/*
 * A final change (the call's end, a failure) the store could not take
 * because it was away (a restart, a connection lost): dropping it as
 * before left the callback open in the store, "connected" or "dialing",
 * with no ACD knowing it: never ended, and after a takeover dialed again
 * (cluster_pg_outage.sh). It stays the ACD's, busy, and is written again
 * until the store takes it, from whatever open status the store has (an
 * earlier change may have been lost with it); so is one refused
 * (EALREADY) while an earlier report of c was not stored (the store is
 * behind, report_unstored). A callback closed meanwhile (canceled, or
 * this very change committed though its answer was lost) refuses it
 * from any status, EALREADY, and is dropped as any other.
 */
static bool unstored_keep(struct change_ctx *x, int err)
{
	struct acd *acd = x->c->acd;

	if (!x->close)
		return false;
	if (!store_away(err) &&
	    (err != EALREADY || !x->c->unsure || x->unstored))
		return false;

	if (!x->unstored)
		log_warn("%s: its end could not be stored (%s): written "
			 "again every %u ms until it is", x->c->cb->id,
			 strerror(err), (unsigned)ACD_STORE_AWAY_MS);
	x->unstored = true;
	x->fin.from_status = CBS_ANY;
	list_append(&acd->unstored, &x->le, x);
	tmr_start(&x->tmr, ACD_STORE_AWAY_MS, unstored_again, x);

	return true;
}


/*
 * A report of what happened (the dialer's: answered, bridged, on hold;
 * no then, nobody waiting for it) the store could not take, being away:
 * memory follows what happened, and the store catches up with the next
 * change, sent from any open status, or a catch-up (lost_again) a
 * second later. Before, memory kept the status before, and a customer
 * who talked to an agent while the store was away ended "abandoned" on
 * hold (cluster_pg_outage.sh). The report's events are kept (lost_add)
 * and written then. A change refused (EALREADY) because the store is
 * behind is such a report too (not one sent from any open status: that
 * one's callback was closed elsewhere).
 */
static bool report_unstored(struct change_ctx *x, int err)
{
	struct acd_cb *c = x->c;

	if (x->then || x->doneh || x->close)
		return false;
	if (!store_away(err) && (err != EALREADY || !c->unsure || x->any))
		return false;

	if (x->fin.event) {
		log_warn("%s: %s not stored (%s): the store catches up "
			 "with the next change", c->cb->id,
			 callback_status_name(x->status), strerror(err));
		lost_add(c, x->fin.event, x->fin.event_public,
			 x->fin.event_data, x->fin.now);
	}
	if (x->fin.event2)
		lost_add(c, x->fin.event2, false, x->fin.event2_data,
			 x->fin.now);
	c->unsure = true;
	if (!tmr_isrunning(&c->lost_tmr))
		tmr_start(&c->lost_tmr, ACD_STORE_AWAY_MS, lost_again, c);

	return true;
}


/* The store catches up with memory (c's status, agent, time and
 * attempts, and its kept events) when no change of c came meanwhile. */
static void lost_again(void *arg)
{
	struct acd_cb *c = arg;
	struct callback_change chg;

	if (list_isempty(&c->lost))
		return;

	callback_change_init(&chg, c->cb->id, time_now_ms());
	chg.status = c->cb->status;
	chg.agent_id = c->cb->agent_id;
	chg.scheduled_for = c->cb->scheduled_for;
	chg.attempts = c->cb->attempts;
	if (c->changing || cb_change(c, &chg, NULL))
		tmr_start(&c->lost_tmr, ACD_STORE_AWAY_MS, lost_again, c);
}


static void change_h(int err, void *arg)
{
	struct change_ctx *x = arg;
	struct acd_cb *c = x->c;
	struct acd *acd = c->acd;

	/* still changing (busy): nothing moves it meanwhile */
	if (err && unstored_keep(x, err))
		return;
	if (err && report_unstored(x, err)) {
		err = 0;
	}
	else if (!err) {
		lost_drop(c, x->lost_upto);
		if (x->any)
			c->unsure = false;
	}

	if (c->changing)
		c->changing--;
	c->busy = c->changing > 0;

	if (!err) {
		struct callback *cb = c->cb;

		cb->status = x->status;
		if (x->scheduled_for >= 0)
			cb->scheduled_for = x->scheduled_for;
		if (x->attempts >= 0)
			cb->attempts = x->attempts;
		if (x->set_agent)
			str_set(&cb->agent_id, x->agent_id);
		if (x->ended_reason[0])
			str_set(&cb->ended_reason, x->ended_reason);
		rank_sync(c);
		/* a customer on hold with no agent now */
		if (x->set_agent && !x->agent_id[0] &&
		    x->status == CBS_ON_HOLD)
			acd->held_check = true;

		if (acd->watchh)
			acd->watchh(*cb->agent_id ? cb->agent_id : NULL,
				    cb->id, acd->watch_arg);
	}
	else if (err == EALREADY || err == ENOENT) {
		/* someone else moved it (the customer canceled) */
		log_info("%s: changed elsewhere, dropped", c->cb->id);
		x->close = true;
	}
	else {
		log_error("%s: storing a state change failed: %s",
			  c->cb->id, strerror(err));
		/* a COMMIT with no answer may have stored it (a claim: the
		 * store says dialing, memory queued, and the next claim from
		 * queued was refused, the callback dropped and left dialing
		 * for good: cluster_claim_cut.sh): c's next change goes from
		 * any open status, as after a report not stored */
		if (store_away(err))
			c->unsure = true;
	}

	if (x->then)
		x->then(c, err);
	if (x->doneh)
		x->doneh(err, x->done_arg);

	if (x->close) {
		/* final: no longer the ACD's business */
		mem_deref(c);
	}
	else {
		/* a new scheduled time only moves the timer earlier: no
		 * walk over every open callback for each change */
		if (!err && x->status == CBS_SCHEDULED)
			sched_consider(acd, c->cb->scheduled_for);
		dispatch_soon(acd);
	}

	mem_deref(x);
	mem_deref(c);   /* the change's reference */
}


/*
 * Move callback c from its current status to status, with an event.
 * Fields of chg beyond the status and event are the caller's. doneh, if
 * any, is told the store's answer after then.
 */
static int cb_change_done(struct acd_cb *c, struct callback_change *chg,
			  cb_then_h *then, acd_done_h *doneh, void *arg)
{
	struct change_ctx *x;
	int err;

	x = mem_zalloc(sizeof(*x), change_destructor);
	if (!x)
		return ENOMEM;
	/* a final change to write again, a report's events to keep */
	if (chg_keep(x, chg)) {
		mem_deref(x);
		return ENOMEM;
	}

	x->c = mem_ref(c);
	x->then = then;
	x->doneh = doneh;
	x->done_arg = arg;
	x->status = chg->status;
	x->close = chg->close;
	x->scheduled_for = chg->scheduled_for;
	x->attempts = chg->attempts;
	if (chg->agent_id) {
		x->set_agent = true;
		str_bcpy(x->agent_id, chg->agent_id, sizeof(x->agent_id));
	}
	if (chg->ended_reason)
		str_bcpy(x->ended_reason, chg->ended_reason,
			 sizeof(x->ended_reason));

	/* after the changes still in flight: two reports of the same loop
	 * turn (answered, then bridged) each move on from the one before */
	chg->from_status = c->unsure ? CBS_ANY : cb_status(c);
	x->any = c->unsure;

	err = chg_send(x, chg);
	if (err) {
		mem_deref(x->c);
		mem_deref(x);
		return err;
	}

	c->busy = true;
	c->changing++;
	c->next_status = x->status;

	return 0;
}


static int cb_change(struct acd_cb *c, struct callback_change *chg,
		     cb_then_h *then)
{
	return cb_change_done(c, chg, then, NULL, NULL);
}


/* ---- retries and endings ---- */

static int64_t retry_delay_s(const struct business *b, int64_t attempt)
{
	const char *p = b ? b->retry_delays : "";
	const char *item;
	int64_t d = 600;
	size_t n;
	int64_t i = 0;

	/* the attempt-th delay, the last one repeating */
	while (str_list_next(&p, &item, &n)) {
		d = strtoll(item, NULL, 10);
		if (++i >= attempt)
			break;
	}

	return d > 0 ? d : 60;
}


static void release_agent(struct acd_cb *c, const char *reason)
{
	struct acd_agent *aa = agent_find(c->acd, c->cb->agent_id);

	if (aa && !strcmp(aa->cb, c->cb->id) &&
	    (aa->a->state == AGENT_OFFERED ||
	     aa->a->state == AGENT_ON_CALL))
		agent_set_state(aa, AGENT_AVAILABLE, reason);
}


/*
 * A visitor's call in the browser (no phone) reaches a page only over
 * the voice socket its POST opened, authorised by a secret whose hash
 * lives in this process's memory (api/voice.c) and dies with the page or
 * the process. So it is never retried: a later attempt would dial a
 * webrtc leg no page can answer, holding an agent for nothing. It fails
 * at once with its reason; the visitor asks again from the page. Only
 * an agent side that failed while the page is still on its socket here
 * puts it back in the queue (page_kept).
 */
static bool in_browser(const struct acd_cb *c)
{
	return !*c->cb->phone;
}


/* a call in the browser whose page is still there, and kept for the
 * next offer */
static bool page_kept(const struct acd_cb *c)
{
	const struct acd *acd = c->acd;

	return in_browser(c) && acd->page_keeph &&
		acd->page_keeph(acd->page_keep_arg, c->cb->id);
}


/* After an unsuccessful attempt: another one later, or failed. */
static void cb_retry_or_fail(struct acd_cb *c, const char *reason, int sip)
{
	const struct business *b = biz_find(c->acd, c->cb->business);
	int64_t max = in_browser(c) ? c->cb->attempts :
		b ? b->retry_attempts : 3;
	struct callback_change chg;
	char data[160], at[40];
	int64_t now = time_now_ms();

	callback_change_init(&chg, c->cb->id, now);
	chg.ended_reason = reason;
	chg.event_public = true;
	chg.event_data = data;
	chg.lease_until = 0;

	if (c->cb->attempts < max) {
		int64_t next = now + retry_delay_s(b, c->cb->attempts) * SEC;

		time_fmt_rfc3339(at, sizeof(at), next);
		re_snprintf(data, sizeof(data), "{\"reason\":\"%s\",\"sip\":%d,"
			    "\"attempt\":%lld,\"at\":\"%s\"}", reason, sip,
			    (long long)c->cb->attempts, at);
		chg.status = CBS_SCHEDULED;
		chg.scheduled_for = next;
		chg.event = "retry_scheduled";
		c->sched_why = ACD_WAIT_RETRY;
		log_info("%s: attempt %lld %s: retry at %s", c->cb->id,
			 (long long)c->cb->attempts, reason, at);
	}
	else {
		re_snprintf(data, sizeof(data), "{\"reason\":\"%s\",\"sip\":%d,"
			    "\"attempts\":%lld}", reason, sip,
			    (long long)c->cb->attempts);
		chg.status = CBS_FAILED;
		chg.close = true;
		chg.event = "failed";
		log_info("%s: failed after %lld attempts (%s)", c->cb->id,
			 (long long)c->cb->attempts, reason);
	}

	c->tried[0] = '\0';
	tmr_cancel(&c->round_tmr);
	cb_change(c, &chg, NULL);
}


/* ---- dispatch ---- */

static bool tried(const struct acd_cb *c, const char *agent)
{
	const char *p = c->tried, *item;
	size_t n;

	while (str_list_next(&p, &item, &n)) {
		if (n == strlen(agent) && !memcmp(item, agent, n))
			return true;
	}

	return false;
}


/* Choose an agent for c now, not one already tried this attempt. */
static struct acd_agent *choose(struct acd *acd, struct acd_cb *c,
				const char **rule_idp)
{
	const struct business *b = biz_find(acd, c->cb->business);
	struct agent **v;
	struct route_req rq;
	struct route_need need;
	const struct rule *rule;
	const struct agent *a;
	struct le *le;
	size_t n = 0;

	v = mem_zalloc(sizeof(*v) * (list_count(&acd->agents) + 1), NULL);
	if (!v)
		return NULL;

	for (le = acd->agents.head; le; le = le->next) {
		struct acd_agent *aa = le->data;

		if (!tried(c, aa->a->id) && reachable(acd, aa))
			v[n++] = aa->a;
	}

	memset(&rq, 0, sizeof(rq));
	rq.business = c->cb->business;
	rq.page_url = c->cb->page_url;
	rq.page_title = c->cb->page_title;
	rq.agent_key = c->cb->agent_key;
	rq.last_agent = c->last_agent;
	rq.waited_s = (time_now_ms() - c->cb->created_at) / SEC;
	rq.widen_after_s = b ? b->widen_after : 120;
	rq.assigned = c->cb->assigned;

	rule = route_rule(&rq, acd->rulev, acd->rulen);
	route_needs(&need, &rq, rule);
	a = route_choose(&rq, &need, v, n, NULL);
	*rule_idp = rule ? rule->id : "";

	mem_deref(v);

	return a ? agent_find(acd, a->id) : NULL;
}


/*
 * metrics: time since a callback asked for now was made, on its first
 * attempt (a time the customer chose, or a retry's delay, is no measure
 * of how fast beckon calls back).
 */
static void metrics_since_asked(const struct acd_cb *c, enum metrics_hist h,
				int64_t now)
{
	const struct callback *cb = c->cb;

	if (cb->attempts == 1 && cb->scheduled_for <= cb->created_at)
		metrics_observe(h, (double)(now - cb->created_at) / 1000.0);
}


static bool agent_first(const struct acd_cb *c)
{
	const struct business *b = biz_find(c->acd, c->cb->business);

	return b && b->dial_mode == DIAL_AGENT_FIRST;
}


/* the agent reserved for c (offered it), or NULL */
static struct acd_agent *agent_reserved(const struct acd *acd,
					const struct acd_cb *c)
{
	struct le *le;

	LIST_FOREACH(&acd->agents, le) {
		struct acd_agent *aa = le->data;

		if (aa->a->state == AGENT_OFFERED &&
		    !strcmp(aa->cb, c->cb->id))
			return aa;
	}

	return NULL;
}


/*
 * The claim of c was not stored because the store is away: the agent
 * did not miss it, so it is not tried (the last one c->tried names), and
 * no claim is sent before the store may be back. Before, every agent
 * was offered c within a second, each claim refused at once, and c
 * waited reoffer_after for a new round (cluster_pg_outage.sh).
 */
static void claim_later(struct acd_cb *c)
{
	char *sp = strrchr(c->tried, ' ');

	if (sp)
		*sp = '\0';
	else
		c->tried[0] = '\0';
	c->acd->dispatch_after = tmr_jiffies() + ACD_STORE_AWAY_MS;
}


static void dialing_then(struct acd_cb *c, int err)
{
	struct acd *acd = c->acd;
	const struct business *b = biz_find(acd, c->cb->business);
	struct acd_agent *aa = agent_find(acd, c->cb->agent_id);
	struct acd_call call;
	char browser[ID_LEN + 8];

	if (err || !aa) {
		/* not stored: c->cb->agent_id is still the one before; the
		 * agent reserved for c is found by c (by the old id, it
		 * stayed offered for good: cluster_pg_outage.sh) */
		aa = agent_reserved(acd, c);
		if (aa)
			agent_set_state(aa, AGENT_AVAILABLE,
					"offer withdrawn");
		if (store_away(err))
			claim_later(c);
		return;
	}

	memset(&call, 0, sizeof(call));
	call.id = c->cb->id;
	/* no phone: the visitor talks in the browser (api/voice.c) */
	re_snprintf(browser, sizeof(browser), "webrtc:%s", c->cb->id);
	call.customer = *c->cb->phone ? c->cb->phone : browser;
	call.agent = aa->a->endpoint;
	call.agent_id = aa->a->id;
	/* the call-control protocol's name for it */
	call.mode = dial_mode_name(b ? b->dial_mode : DIAL_CUSTOMER_FIRST);
	call.caller_id = b ? b->caller_id : "";
	call.prompt = b ? b->prompt_hold : "hold";
	call.whisper = b ? b->prompt_whisper : "";
	call.goodbye = b ? b->prompt_goodbye : "goodbye";
	call.max_hold_s = b ? b->max_hold : 300;
	call.record = b && b->recording;
	call.language = b ? b->language : NULL;
	call.greeting = c->cb->business;
	call.announce_every = b ? b->announce_every : 0;
	call.human_check = b ? b->human_check : 0;
	/* an agent is reserved: the customer is next, their wait moot */
	call.position = 1;
	call.eta_s = 0;

	err = acd->dialer.originate(acd->dialer.arg, &call);
	if (err) {
		log_error("%s: the dialer refused the call: %s", c->cb->id,
			  strerror(err));
		release_agent(c, "dialer error");
		cb_retry_or_fail(c, "dialer_error", 0);
		return;
	}

	/* customer first: the customer's INVITE goes out now */
	if (!agent_first(c))
		metrics_since_asked(c, MH_CLICK_TO_INVITE, time_now_ms());
}


/* ---- agent first, accepted on the desk ----
 *
 * With the business's accept_timeout, an agent-first offer does not dial
 * at once: the agent is reserved ("offered") and the callback, still
 * "queued" for the customer (who has not been called and may still
 * cancel), is claimed for them with a compare-and-set and a lease
 * (event "offered"). Then exactly one of these ends the offer, each
 * stopping the countdown before its store change so that no other can
 * follow:
 *
 *   accept  -> queued to dialing (events "dialing" and "accepted"), an
 *              attempt, and the calls as without Accept;
 *   decline -> back to the queue, the agent available, not a miss;
 *   timeout -> back to the queue, a missed offer for the agent;
 *   cancel  -> the customer canceled: the agent is available.
 *
 * Back in the queue the callback goes to the next agent (this one was
 * tried this attempt), no attempt spent.
 */

static struct acd_agent *offer_stop(struct acd_cb *c)
{
	struct acd_agent *aa = agent_find(c->acd, c->offer_to);

	tmr_cancel(&c->offer_tmr);
	c->offer_to[0] = '\0';
	c->offer_until = 0;

	/* only a reservation for this callback is ours to end */
	if (aa && (strcmp(aa->cb, c->cb->id) ||
		   aa->a->state != AGENT_OFFERED))
		aa = NULL;

	return aa;
}


/* Declined or expired: the agent is released and the callback queued. */
static void offer_back(struct acd_cb *c, const char *event, bool missed)
{
	struct callback_change chg;
	struct acd_agent *aa;
	char data[128], agent[64];

	str_bcpy(agent, c->offer_to, sizeof(agent));
	aa = offer_stop(c);

	callback_change_init(&chg, c->cb->id, time_now_ms());
	chg.status = CBS_QUEUED;
	chg.agent_id = "";
	chg.lease_until = 0;
	chg.event = event;
	re_snprintf(data, sizeof(data), "{\"agent\":\"%s\"}", agent);
	chg.event_data = data;
	if (cb_change(c, &chg, NULL))
		log_error("%s: cannot store the end of the offer", c->cb->id);

	if (!aa)
		return;
	if (missed)
		agent_missed(aa);
	else
		agent_set_state(aa, AGENT_AVAILABLE, "declined");
}


static void offer_expired(void *arg)
{
	struct acd_cb *c = arg;

	log_info("%s: %s did not accept in time: the next agent", c->cb->id,
		 c->offer_to);
	offer_back(c, "offer_timeout", true);
}


static void offer_claimed(struct acd_cb *c, int err)
{
	struct acd_agent *aa;

	/* the claim failed (canceled meanwhile): nothing to accept */
	if (!err || !c->offer_to[0])
		return;

	aa = offer_stop(c);
	if (aa)
		agent_set_state(aa, AGENT_AVAILABLE, "offer withdrawn");
}


static void offer_wait(struct acd_cb *c, struct acd_agent *aa,
		       const char *rule_id, int64_t timeout_s)
{
	struct callback_change chg;
	char data[192];
	int64_t now = time_now_ms();

	str_bcpy(c->offer_to, aa->a->id, sizeof(c->offer_to));
	c->offer_until = now + timeout_s * SEC;
	tmr_start(&c->offer_tmr, (uint64_t)timeout_s * SEC, offer_expired, c);

	callback_change_init(&chg, c->cb->id, now);
	chg.status = CBS_QUEUED;
	chg.agent_id = aa->a->id;
	chg.rule_id = rule_id;
	/* the claim outlives the countdown a little: the timer, not the
	 * lease, ends it */
	chg.lease_until = c->offer_until + 30 * SEC;
	chg.event = "offered";
	re_snprintf(data, sizeof(data), "{\"agent\":\"%s\",\"rule\":\"%s\","
		    "\"accept_s\":%lld}", aa->a->id, rule_id,
		    (long long)timeout_s);
	chg.event_data = data;

	log_info("%s: offered to %s (rule '%s'), %llds to accept",
		 c->cb->id, aa->a->id, rule_id, (long long)timeout_s);

	if (cb_change(c, &chg, offer_claimed)) {
		offer_stop(c);
		agent_set_state(aa, AGENT_AVAILABLE, "offer failed");
	}
}


static void offer(struct acd *acd, struct acd_cb *c, struct acd_agent *aa,
		  const char *rule_id)
{
	const struct business *b = biz_find(acd, c->cb->business);
	struct callback_change chg;
	char data[64], data2[160];
	int64_t now = time_now_ms();

	if (b && b->dial_mode == DIAL_AGENT_FIRST && b->accept_timeout > 0) {
		agent_set_state(aa, AGENT_OFFERED, c->cb->id);
		str_bcpy(aa->cb, c->cb->id, sizeof(aa->cb));
		c->agent_answered = false;
		c->declined = false;
		if (*c->tried)
			re_snprintf(c->tried + strlen(c->tried),
				    sizeof(c->tried) - strlen(c->tried),
				    " %s", aa->a->id);
		else
			str_bcpy(c->tried, aa->a->id, sizeof(c->tried));
		offer_wait(c, aa, rule_id, b->accept_timeout);
		return;
	}

	/* reserved at once, so this dispatch gives aa nothing else */
	agent_set_state(aa, AGENT_OFFERED, c->cb->id);
	str_bcpy(aa->cb, c->cb->id, sizeof(aa->cb));
	c->agent_answered = false;
	c->declined = false;

	if (*c->tried)
		re_snprintf(c->tried + strlen(c->tried),
			    sizeof(c->tried) - strlen(c->tried), " %s",
			    aa->a->id);
	else
		str_bcpy(c->tried, aa->a->id, sizeof(c->tried));

	/* one transaction: offered to the agent, then dialing */
	callback_change_init(&chg, c->cb->id, now);
	chg.status = CBS_DIALING;
	chg.agent_id = aa->a->id;
	chg.rule_id = rule_id;
	chg.attempts = c->cb->attempts + 1;
	chg.lease_until = now + STUCK_MS;
	chg.event = "dialing";
	chg.event_public = true;
	/* the public event says what the customer may know; who and why
	 * go into a private one */
	re_snprintf(data, sizeof(data), "{\"attempt\":%lld}",
		    (long long)c->cb->attempts + 1);
	chg.event_data = data;
	re_snprintf(data2, sizeof(data2), "{\"agent\":\"%s\",\"rule\":\"%s\"}",
		    aa->a->id, rule_id);
	chg.event2 = "offered";
	chg.event2_data = data2;

	log_info("%s: offered to %s (rule '%s'), dialing, attempt %lld",
		 c->cb->id, aa->a->id, rule_id,
		 (long long)c->cb->attempts + 1);

	if (cb_change(c, &chg, dialing_then))
		agent_set_state(aa, AGENT_AVAILABLE, "offer failed");
}


/* A customer on hold whose agent failed: the next agent, same call. */
static void reoffer(struct acd *acd, struct acd_cb *c, struct acd_agent *aa)
{
	struct callback_change chg;
	char data[96];

	agent_set_state(aa, AGENT_OFFERED, c->cb->id);
	str_bcpy(aa->cb, c->cb->id, sizeof(aa->cb));
	c->agent_answered = false;
	c->declined = false;
	re_snprintf(c->tried + strlen(c->tried),
		    sizeof(c->tried) - strlen(c->tried), " %s", aa->a->id);

	callback_change_init(&chg, c->cb->id, time_now_ms());
	chg.status = CBS_ON_HOLD;
	chg.agent_id = aa->a->id;
	chg.event = "offered";
	re_snprintf(data, sizeof(data), "{\"agent\":\"%s\"}", aa->a->id);
	chg.event_data = data;
	cb_change(c, &chg, NULL);

	if (acd->dialer.offer_agent(acd->dialer.arg, c->cb->id,
				    aa->a->endpoint, aa->a->id)) {
		log_warn("%s: the dialer refused %s", c->cb->id, aa->a->id);
		agent_set_state(aa, AGENT_AVAILABLE, "dialer error");
	}
}


static void last_agent_h(int err, const char *value, void *arg)
{
	struct acd_cb *c = arg;

	c->last_known = true;
	if (!err && value)
		str_set(&c->last_agent, value);

	dispatch_soon(c->acd);
	mem_deref(c);
}


static bool closed_now(struct acd *acd, struct acd_cb *c)
{
	const struct biz *ab = abiz_find(acd, c->cb->business);
	struct callback_change chg;
	int64_t now = time_now_ms(), next = 0;
	char data[64], at[40];

	if (!ab || !ab->hours || hours_is_open(ab->hours, ab->zone, now))
		return false;

	if (hours_next_open(ab->hours, ab->zone, now, &next))
		next = now + 86400000;   /* never open: look again tomorrow */

	time_fmt_rfc3339(at, sizeof(at), next);
	re_snprintf(data, sizeof(data), "{\"at\":\"%s\"}", at);
	callback_change_init(&chg, c->cb->id, now);
	chg.status = CBS_SCHEDULED;
	chg.scheduled_for = next;
	chg.event = "outside_hours";
	chg.event_public = true;
	chg.event_data = data;
	c->sched_why = ACD_WAIT_HOURS;
	log_info("%s: the business is closed: scheduled for %s", c->cb->id,
		 at);
	cb_change(c, &chg, NULL);

	return true;
}


static bool any_available(const struct acd *acd)
{
	struct le *le;

	for (le = acd->agents.head; le; le = le->next) {
		const struct acd_agent *aa = le->data;

		if (aa->a->state == AGENT_AVAILABLE &&
		    reachable(acd, aa))
			return true;
	}

	return false;
}


/*
 * A customer on hold whom no agent can take: nobody of the business is
 * working (available with a reachable phone, reserved, on a call or in
 * wrap-up). Holding them to max_hold would be for nobody: they hear the
 * goodbye prompt and the call ends with reason no_agent, retried per
 * the business's policy like a busy line. With agents busy on calls the
 * customer waits for them, as in any queue.
 */
static void release_held(struct acd *acd, struct acd_cb *c)
{
	unsigned avail, working;
	int err;

	acd_business_staff(acd, c->cb->business, &avail, &working);
	if (working || c->released)
		return;

	log_info("%s: no agent can take the call: goodbye, retried later",
		 c->cb->id);
	c->released = true;
	err = acd->dialer.release ? acd->dialer.release(acd->dialer.arg,
							c->cb->id)
				  : acd->dialer.hangup(acd->dialer.arg,
						       c->cb->id);
	if (err)
		log_warn("%s: cannot end the held call: %s", c->cb->id,
			 strerror(err));
}


static void round_over(void *arg)
{
	struct acd_cb *c = arg;

	log_info("%s: every agent was tried: a new round", c->cb->id);
	c->tried[0] = '\0';
	dispatch_soon(c->acd);
}


/* Nobody left to offer c to this attempt: the agents it has had may
 * take it again after a pause (they may have been busy, or the phone
 * out of reach); until then a new agent still gets it at once. */
static void round_wait(struct acd_cb *c)
{
	if (!*c->tried || tmr_isrunning(&c->round_tmr))
		return;

	tmr_start(&c->round_tmr, c->acd->reoffer_ms, round_over, c);
}


static void dispatch(void *arg)
{
	struct acd *acd = arg;
	struct le *le;
	bool avail;

	/* nobody to give a callback to: the queue can wait, but not a
	 * customer on hold for nobody (release_held), looked at only after
	 * what may cause it: no walk of the queue for every new request */
	if (!acd->has_dialer || acd->dialer_down)
		return;
	if (tmr_jiffies() < acd->dispatch_after) {
		tmr_start(&acd->dispatch_tmr,
			  acd->dispatch_after - tmr_jiffies(), dispatch, acd);
		return;
	}
	avail = any_available(acd);
	if (!avail && !acd->held_check)
		return;
	acd->held_check = false;

	for (le = acd->cbs.head; le; le = le->next) {
		struct acd_cb *c = le->data;
		struct acd_agent *aa;
		const char *rule_id = "";
		bool hold;

		/* busy, or waiting for an agent to accept */
		if (c->busy || c->offer_to[0])
			continue;

		hold = c->cb->status == CBS_ON_HOLD &&
		       !*c->cb->agent_id;
		if (c->cb->status != CBS_QUEUED && !hold)
			continue;
		if (!hold && !avail)
			continue;
		/* a number with no line to call it on: it waits */
		if (!hold && acd->no_line && !in_browser(c))
			continue;

		/* who spoke with this number last: asked once */
		if (!c->last_known) {
			if (!store_phone_agent_get(acd->st, c->cb->business,
						   c->cb->phone, last_agent_h,
						   c))
				mem_ref(c);
			else
				c->last_known = true;
			continue;
		}

		/* closed now (a retry or a schedule that fell outside the
		 * hours): wait for the opening, never call at night */
		if (!hold && closed_now(acd, c))
			continue;

		aa = choose(acd, c, &rule_id);
		if (!aa) {
			if (hold)
				release_held(acd, c);
			round_wait(c);
			continue;
		}

		if (hold)
			reoffer(acd, c, aa);
		else
			offer(acd, c, aa, rule_id);
		avail = any_available(acd);
	}
}


static void dispatch_soon(struct acd *acd)
{
	if (acd->started && !tmr_isrunning(&acd->dispatch_tmr))
		tmr_start_now(&acd->dispatch_tmr, dispatch, acd);
}


/* ---- the schedule ---- */

static void sched_timeout(void *arg);


static void sched_update(struct acd *acd)
{
	int64_t next = 0, now = time_now_ms();
	struct le *le;

	for (le = acd->cbs.head; le; le = le->next) {
		const struct acd_cb *c = le->data;

		if (c->cb->status != CBS_SCHEDULED || c->busy)
			continue;
		if (!next || c->cb->scheduled_for < next)
			next = c->cb->scheduled_for;
	}

	acd->sched_at = 0;
	tmr_cancel(&acd->sched_tmr);
	if (next)
		sched_consider(acd, next);
	(void)now;
}


/* Make sure the schedule timer fires by t. */
static void sched_consider(struct acd *acd, int64_t t)
{
	int64_t now = time_now_ms();

	if (!t || (acd->sched_at && acd->sched_at <= t))
		return;

	acd->sched_at = t;
	tmr_start(&acd->sched_tmr, t > now ? (uint64_t)(t - now) : 0,
		  sched_timeout, acd);
}


static void sched_timeout(void *arg)
{
	struct acd *acd = arg;
	int64_t now = time_now_ms();
	struct le *le;

	for (le = acd->cbs.head; le; le = le->next) {
		struct acd_cb *c = le->data;
		struct callback_change chg;

		if (c->cb->status != CBS_SCHEDULED || c->busy ||
		    c->cb->scheduled_for > now)
			continue;

		callback_change_init(&chg, c->cb->id, now);
		chg.status = CBS_QUEUED;
		chg.event = "queued";
		chg.event_public = true;
		cb_change(c, &chg, NULL);
	}

	sched_update(acd);
}


/* ---- the dialer's reports ---- */

/* the attempt did not count: queued again for the next agent */
static void requeue(struct acd_cb *c, struct callback_change *chg)
{
	chg->status = CBS_QUEUED;
	chg->attempts = c->cb->attempts > 0 ? c->cb->attempts - 1 : 0;
	chg->event = "requeued";
	cb_change(c, chg, NULL);
}


/*
 * A call's end, and a leg's, say when the customer answered and when
 * the call was bridged (the dialer's times): reports the store never
 * took are caught up before the end is judged. A leader killed after
 * reading answered and bridged but before storing them left the store
 * at dialing; its successor, told only the ends (attach), took the
 * agent's leg's end for the agent failing and a call in which customer
 * and agent talked for one never answered, and dialed the customer
 * again (acd_end_catches_up_unstored_reports,
 * cluster_takeover_reports.sh). The missing events go before the end,
 * at the dialer's times, written with the next change (lost_add).
 */
static bool dialer_catch_up(struct acd_cb *c, const struct acd_event *ev)
{
	static const char data[] = "{\"leg\":\"customer\",\"sip\":0}";
	enum callback_status st = cb_status(c);

	if (st == CBS_DIALING && ev->answered_t) {
		lost_add(c, "answered", true, data, ev->answered_t);
		c->held_since = ev->answered_t;
		st = CBS_ON_HOLD;
	}
	if (st == CBS_ON_HOLD && ev->bridged_t) {
		lost_add(c, "bridged", true, data, ev->bridged_t);
		c->connected_at = ev->bridged_t;
		st = CBS_CONNECTED;
	}
	if (st == cb_status(c))
		return false;

	log_warn("%s: %s by the dialer's word, %s in the store: caught up",
		 c->cb->id, callback_status_name(st),
		 callback_status_name(cb_status(c)));
	c->cb->status = st;
	c->next_status = st;
	c->unsure = true;

	return true;
}


/*
 * A call taken back (attach) that goes on: caught up now, not at its
 * end, which may be long in coming; meanwhile the store would say
 * dialing, and the agent, offered with no news, would be released
 * after STUCK_MS in the middle of the conversation.
 */
void acd_call_attached(struct acd *acd, const char *id, int64_t answered_t,
		       int64_t bridged_t)
{
	struct acd_cb *c = acd ? cb_find(acd, id) : NULL;
	struct acd_agent *aa;
	struct acd_event ev;

	if (!c)
		return;

	memset(&ev, 0, sizeof(ev));
	ev.answered_t = answered_t;
	ev.bridged_t = bridged_t;
	if (!dialer_catch_up(c, &ev))
		return;

	aa = agent_find(acd, c->cb->agent_id);
	if (aa && cb_status(c) == CBS_CONNECTED) {
		agent_set_state(aa, AGENT_ON_CALL, id);
		str_bcpy(aa->cb, id, sizeof(aa->cb));
	}
	/* the store now, with the events it lacks */
	tmr_start(&c->lost_tmr, 0, lost_again, c);
}


static void on_ended(struct acd_cb *c, const struct acd_event *ev)
{
	struct acd *acd = c->acd;
	struct acd_agent *aa = agent_find(acd, c->cb->agent_id);
	const char *reason = ev->reason && *ev->reason ? ev->reason
						      : "unknown";
	struct callback_change chg;
	int64_t now = time_now_ms();
	char data[160];

	/* the dialer hung up because the agent asked, on the desktop */
	if (c->hung_up_by_agent && !strcmp(reason, "system_hangup"))
		reason = "agent_hangup";
	/* or because no agent could take the held call (release_held) */
	if (c->released && !strcmp(reason, "system_hangup"))
		reason = "no_agent";
	c->released = false;

	callback_change_init(&chg, c->cb->id, now);
	chg.event_public = true;
	chg.event_data = data;
	chg.lease_until = 0;

	if (cb_status(c) == CBS_CONNECTED && c->reschedule_at) {
		char at[40];

		/* the conversation goes on later: the same callback,
		 * scheduled, with the agent who asked as its last agent */
		time_fmt_rfc3339(at, sizeof(at), c->reschedule_at);
		re_snprintf(data, sizeof(data), "{\"by\":\"%s\",\"at\":"
			    "\"%s\",\"reason\":\"%s\"}", c->rescheduled_by,
			    at, reason);
		chg.status = CBS_SCHEDULED;
		chg.scheduled_for = c->reschedule_at;
		chg.attempts = 0;
		chg.event = "rescheduled";
		c->sched_why = ACD_WAIT_SCHEDULED;
		if (aa && !strcmp(aa->cb, c->cb->id))
			agent_set_state(aa, AGENT_WRAP_UP, c->cb->id);
		store_phone_agent_set(acd->st, c->cb->business, c->cb->phone,
				      c->cb->agent_id, agent_done_h, NULL);
		str_set(&c->last_agent, c->rescheduled_by);
		c->reschedule_at = 0;
		c->tried[0] = '\0';
		tmr_cancel(&c->round_tmr);
		cb_change(c, &chg, NULL);
		return;
	}

	if (cb_status(c) == CBS_CONNECTED) {
		/* the dialer's own times when it gave them (one clock) */
		int64_t talk = (ev->t && ev->bridged_t ?
				ev->t - ev->bridged_t :
				now - c->connected_at) / SEC;

		re_snprintf(data, sizeof(data), "{\"reason\":\"%s\",\"sip\":%d,"
			    "\"talk_s\":%lld}", reason, ev->sip,
			    (long long)talk);
		chg.status = CBS_COMPLETED;
		chg.close = true;
		chg.ended_reason = reason;
		chg.event = "ended";

		/* the average handle time behind the ETA */
		acd->handle_s = (acd->handle_s * 7 + talk) / 8;
		if (aa && !strcmp(aa->cb, c->cb->id))
			agent_set_state(aa, AGENT_WRAP_UP, c->cb->id);
		store_phone_agent_set(acd->st, c->cb->business, c->cb->phone,
				      c->cb->agent_id, agent_done_h,
				      NULL);
		cb_change(c, &chg, NULL);
		return;
	}

	/* declined on the desktop (agent first, before the customer was
	 * called), with or without a report of the agent's leg first */
	if (c->declined) {
		c->declined = false;
		if (cb_status(c) == CBS_DIALING) {
			c->agent_failed_first = true;
			reason = "declined";
		}
		release_agent(c, "declined");
	}

	release_agent(c, "call ended");

	/* agent first, the agent failed before the customer was called;
	 * or the held visitor in the browser let go for no agent while
	 * the page waits: back in the queue, no attempt spent */
	if (cb_status(c) == CBS_DIALING && c->agent_failed_first) {
		c->agent_failed_first = false;
		if (!in_browser(c) || page_kept(c)) {
			re_snprintf(data, sizeof(data),
				    "{\"reason\":\"agent_%s\"}", reason);
			requeue(c, &chg);
			return;
		}
	}
	if (cb_status(c) == CBS_ON_HOLD &&
	    !strcmp(reason, "no_agent") && page_kept(c)) {
		log_info("%s: no agent for the visitor in the browser, whose "
			 "page waits: back in the queue", c->cb->id);
		re_snprintf(data, sizeof(data), "{\"reason\":\"%s\"}",
			    reason);
		requeue(c, &chg);
		return;
	}

	if (cb_status(c) == CBS_ON_HOLD &&
	    (!strcmp(reason, "customer_hangup") ||
	     !strcmp(reason, "canceled"))) {
		re_snprintf(data, sizeof(data), "{\"reason\":\"%s\","
			    "\"held_s\":%lld}", reason,
			    (long long)(now - c->held_since) / SEC);
		chg.status = CBS_ABANDONED;
		chg.close = true;
		chg.ended_reason = reason;
		chg.event = "abandoned";
		cb_change(c, &chg, NULL);
		return;
	}

	/* busy, no answer, unreachable, no agent in time, ... */
	cb_retry_or_fail(c, reason, ev->sip);
}


/* The agent's phone, not the person, failed the offer (see acd.h):
 * what the desk says, or NULL for a miss. */
static const char *phone_fault(const struct acd_event *ev, bool desk)
{
	const char *r = ev->reason ? ev->reason : "";

	if (!strcmp(r, "no_agent"))
		return "your phone is not registered";
	if (!strcmp(r, "unreachable") && desk)
		return DESK_LOST;
	if (!strcmp(r, "unreachable"))
		return "your phone cannot be reached";
	if (!strcmp(r, "media_failed"))
		return "your desk phone's audio failed (ICE or DTLS)";
	if (!strcmp(r, "incompatible"))
		return "your phone refused the audio";
	if (!strcmp(r, "rejected"))
		return "your phone refused the call";
	if (!strcmp(r, "no_answer") && ev->sip == 480)
		return "your phone says it is unavailable";

	return NULL;
}


static void on_agent_failed(struct acd_cb *c, const struct acd_event *ev)
{
	struct acd *acd = c->acd;
	struct acd_agent *aa = agent_find(acd, c->cb->agent_id);
	const char *fault = phone_fault(ev, aa && is_desk(aa->a));
	struct callback_change chg;
	char data[160], why[96];

	if (aa && c->declined) {
		/* declined on the desktop: not a missed offer */
		agent_set_state(aa, AGENT_AVAILABLE, "declined");
	}
	else if (aa && ev->reason && !strcmp(ev->reason, "dialer_error")) {
		/* the dialer refused the offer: not the agent's fault */
		agent_set_state(aa, AGENT_AVAILABLE, "dialer error");
	}
	else if (aa && fault) {
		/* no ring again would help: out of routing until they say
		 * they are back, the customer offered to the next agent */
		if (ev->sip)
			re_snprintf(why, sizeof(why), "%s (SIP %d)", fault,
				    ev->sip);
		else
			str_bcpy(why, fault, sizeof(why));
		aa->missed = 0;
		agent_set_state(aa, AGENT_AWAY, why);
	}
	else if (aa) {
		agent_missed(aa);
	}

	/* agent first: the customer was never called; when the call ends
	 * the callback goes back to the queue, no attempt spent */
	if (cb_status(c) == CBS_DIALING)
		c->agent_failed_first = true;

	callback_change_init(&chg, c->cb->id, time_now_ms());
	chg.status = cb_status(c);
	chg.agent_id = "";
	chg.event = "agent_failed";
	re_snprintf(data, sizeof(data), "{\"agent\":\"%s\",\"reason\":\"%s\","
		    "\"sip\":%d}", aa ? aa->a->id : "",
		    c->declined ? "declined" : ev->reason ? ev->reason : "",
		    ev->sip);
	chg.event_data = data;
	cb_change(c, &chg, NULL);
}


/*
 * A customer on hold lost their agent: they wait behind those of their
 * business who were held before them, and the dialer says so.
 */
static void hold_announce(struct acd_cb *c)
{
	struct acd *acd = c->acd;
	int64_t position = 1;
	struct le *le;

	if (!acd->dialer.announce || cb_status(c) != CBS_ON_HOLD)
		return;

	for (le = acd->cbs.head; le; le = le->next) {
		const struct acd_cb *o = le->data;

		if (o != c && cb_status(o) == CBS_ON_HOLD &&
		    !strcmp(o->cb->business, c->cb->business) &&
		    o->held_since < c->held_since)
			++position;
	}

	acd->dialer.announce(acd->dialer.arg, c->cb->id, position,
			     acd_eta_s(acd, c->cb->business, position));
}


/*
 * The dialer was lost during the call (a remote dialer died or its link
 * broke): as after a crash of this process, the call is "interrupted",
 * then retried or failed; the agent is free again.
 */
static void on_interrupted(struct acd_cb *c, const struct acd_event *ev)
{
	enum callback_status was = cb_status(c);
	struct callback_change chg;
	char data[96];

	if (was != CBS_DIALING && was != CBS_ON_HOLD &&
	    was != CBS_CONNECTED)
		return;

	log_warn("%s: was %s when the dialer was lost: interrupted",
		 c->cb->id, callback_status_name(was));

	release_agent(c, "dialer lost");
	c->agent_failed_first = false;
	c->declined = false;
	c->reschedule_at = 0;

	callback_change_init(&chg, c->cb->id, time_now_ms());
	chg.status = CBS_INTERRUPTED;
	chg.event = "interrupted";
	chg.event_public = true;
	re_snprintf(data, sizeof(data), "{\"was\":\"%s\",\"reason\":\"%s\"}",
		    callback_status_name(was),
		    ev->reason && *ev->reason ? ev->reason : "dialer_lost");
	chg.event_data = data;
	chg.lease_until = 0;
	if (cb_change(c, &chg, NULL))
		return;

	/* read against "interrupted", the change in flight */
	cb_retry_or_fail(c, "interrupted", 0);
}


void acd_call_event(struct acd *acd, const char *id,
		    const struct acd_event *ev)
{
	struct acd_cb *c;
	struct callback_change chg;
	struct acd_agent *aa;
	bool customer;
	char data[96];

	if (!acd || !id || !ev)
		return;

	c = cb_find(acd, id);
	if (!c) {
		log_debug("%s: event for an unknown callback", id);
		return;
	}

	customer = !ev->leg || !strcmp(ev->leg, "customer");
	aa = agent_find(acd, c->cb->agent_id);
	callback_change_init(&chg, id, time_now_ms());
	chg.status = cb_status(c);
	chg.event_data = data;
	re_snprintf(data, sizeof(data), "{\"leg\":\"%s\",\"sip\":%d}",
		    customer ? "customer" : "agent", ev->sip);
	if (ev->type == ACD_EV_LEG_FAILED || ev->type == ACD_EV_ENDED) {
		metrics_leg_outcome(ev->leg, ev->reason);
		dialer_catch_up(c, ev);
	}

	switch (ev->type) {

	case ACD_EV_RINGING:
		chg.event = customer ? "ringing" : "agent_ringing";
		chg.event_public = customer;
		cb_change(c, &chg, NULL);
		break;

	case ACD_EV_ANSWERED:
		if (customer && cb_status(c) == CBS_DIALING) {
			c->held_since = chg.now;
			chg.status = CBS_ON_HOLD;
			chg.event = "answered";
			chg.event_public = true;
		}
		else {
			chg.event = customer ? "answered" : "agent_answered";
			chg.event_public = customer;
			/* agent first: the customer is called now */
			if (!customer && !c->agent_answered && agent_first(c))
				metrics_since_asked(c, MH_CLICK_TO_INVITE,
						    chg.now);
			if (!customer)
				c->agent_answered = true;
			if (aa)
				aa->missed = 0;
		}
		cb_change(c, &chg, NULL);
		break;

	case ACD_EV_BRIDGED:
		metrics_since_asked(c, MH_CLICK_TO_CONNECT, chg.now);
		c->connected_at = chg.now;
		chg.status = CBS_CONNECTED;
		chg.event = "bridged";
		chg.event_public = true;
		if (aa) {
			aa->missed = 0;
			agent_set_state(aa, AGENT_ON_CALL, id);
			str_bcpy(aa->cb, id, sizeof(aa->cb));
		}
		cb_change(c, &chg, NULL);
		break;

	case ACD_EV_LEG_FAILED:
		/* after the bridge a leg's end is the call's end, which
		 * follows: only an agent who never took the call failed */
		if (!customer && cb_status(c) != CBS_CONNECTED) {
			on_agent_failed(c, ev);
			hold_announce(c);
		}
		break;

	case ACD_EV_ENDED:
		on_ended(c, ev);
		break;

	case ACD_EV_INTERRUPTED:
		on_interrupted(c, ev);
		break;
	}
}


/* ---- loading and recovery ---- */

struct load {
	struct acd *acd;
	int err;
};


static void agents_h(int err, void *const *v, size_t n, void *arg)
{
	struct load *ld = arg;
	size_t i;

	if (err) {
		ld->err = err;
		return;
	}

	for (i = 0; i < n; i++)
		acd_agent_set(ld->acd, v[i]);
}


static void rules_h(int err, void *const *v, size_t n, void *arg)
{
	struct load *ld = arg;
	size_t i;

	if (err) {
		ld->err = err;
		return;
	}

	for (i = 0; i < n; i++)
		acd_rule_set(ld->acd, v[i]);
}


static void bizs_h(int err, void *const *v, size_t n, void *arg)
{
	struct load *ld = arg;
	size_t i;

	if (err) {
		ld->err = err;
		return;
	}

	for (i = 0; i < n; i++)
		acd_business_set(ld->acd, v[i]);
}


static void recover(struct acd_cb *c)
{
	struct callback_change chg;
	char data[64];

	/* the process died during this call: say so, then retry */
	log_warn("%s: was %s when beckon stopped: interrupted", c->cb->id,
		 callback_status_name(c->cb->status));

	callback_change_init(&chg, c->cb->id, time_now_ms());
	chg.status = CBS_INTERRUPTED;
	chg.event = "interrupted";
	chg.event_public = true;
	re_snprintf(data, sizeof(data), "{\"was\":\"%s\"}",
		    callback_status_name(c->cb->status));
	chg.event_data = data;
	chg.lease_until = 0;
	if (cb_change(c, &chg, NULL))
		return;

	/* its retry goes in the same batch, after the interruption */
	c->cb->status = CBS_INTERRUPTED;
	cb_retry_or_fail(c, "interrupted", 0);
}


static void open_h(int err, void *const *v, size_t n, void *arg)
{
	struct load *ld = arg;
	struct acd *acd = ld->acd;
	size_t i;

	if (err) {
		ld->err = err;
		return;
	}

	for (i = 0; i < n; i++) {
		if (!cb_link(acd, v[i])) {
			ld->err = ENOMEM;
			return;
		}
	}
}


/* In a call when the process stopped, with a dialer that outlives it:
 * as it was, agent included, until the dialer's port says whether the
 * call is still there (acd_calls_kept). */
static void keep(struct acd_cb *c)
{
	struct acd_agent *aa = agent_find(c->acd, c->cb->agent_id);

	log_info("%s: was %s when beckon stopped: kept for the dialer to "
		 "give back", c->cb->id, callback_status_name(c->cb->status));

	/* the last change stored is the nearest time we know */
	c->held_since = c->cb->updated_at;
	c->connected_at = c->cb->updated_at;
	if (*c->cb->agent_id)
		str_bcpy(c->tried, c->cb->agent_id, sizeof(c->tried));

	if (aa && (aa->a->state == AGENT_OFFERED ||
		   aa->a->state == AGENT_ON_CALL)) {
		str_bcpy(aa->cb, c->cb->id, sizeof(aa->cb));
		agent_tmr_start(aa);
	}
}


static bool in_call(const struct acd_cb *c)
{
	return c->cb->status == CBS_DIALING ||
	       c->cb->status == CBS_ON_HOLD ||
	       c->cb->status == CBS_CONNECTED;
}


void acd_keep_calls(struct acd *acd)
{
	if (acd)
		acd->keep_calls = true;
}


void acd_calls_kept(const struct acd *acd, acd_call_h *h, void *arg)
{
	struct le *le;

	if (!acd || !acd->keep_calls || !h)
		return;

	for (le = acd->cbs.head; le; le = le->next) {
		const struct acd_cb *c = le->data;

		if (in_call(c) && !c->busy)
			h(c->cb->id, arg);
	}
}


int acd_start(struct acd *acd)
{
	struct load ld = {acd, 0};
	struct le *le;
	int err;

	if (!acd)
		return EINVAL;

	err = acd->dir_own ? store_list(acd->st, &store_businesses, bizs_h,
					&ld) : 0;
	if (!err)
		err = store_list(acd->st, &store_agents, agents_h, &ld);
	if (!err)
		err = store_list(acd->st, &store_rules, rules_h, &ld);
	if (!err)
		err = store_callbacks_open(acd->st, STORE_ALL, open_h, &ld);
	store_flush(acd->st);
	if (err || ld.err)
		return err ? err : ld.err;

	acd->started = true;

	/* what was in flight when the process stopped */
	for (le = acd->cbs.head; le;) {
		struct acd_cb *c = le->data;

		le = le->next;
		/* no page can be on a voice socket of the process gone */
		if (in_browser(c) && callback_status_waiting(c->cb->status)) {
			log_warn("%s: a call in the browser whose page was on "
				 "the stopped process: failed", c->cb->id);
			cb_retry_or_fail(c, "browser_gone", 0);
			continue;
		}
		if (callback_status_waiting(c->cb->status))
			continue;
		if (c->cb->status == CBS_INTERRUPTED) {
			cb_retry_or_fail(c, "interrupted", 0);
			continue;
		}
		if (acd->keep_calls && in_call(c))
			keep(c);
		else
			recover(c);
	}
	store_flush(acd->st);

	/* agents reserved or on a call were so for a process now gone,
	 * but for those of a call kept */
	for (le = acd->agents.head; le; le = le->next) {
		struct acd_agent *aa = le->data;

		if (aa->cb[0])
			continue;
		if (aa->a->state == AGENT_OFFERED ||
		    aa->a->state == AGENT_ON_CALL ||
		    aa->a->state == AGENT_WRAP_UP)
			agent_set_state(aa, AGENT_AVAILABLE, "restarted");
	}

	log_info("%u open callbacks loaded (every one), %u agents, %zu rules",
		 list_count(&acd->cbs), list_count(&acd->agents),
		 acd->rulen);

	sched_update(acd);
	dispatch_soon(acd);

	return 0;
}


/* ---- changes from the admin API and the public API ---- */

void acd_set_bizdir(struct acd *acd, struct bizdir *dir)
{
	if (!acd || !dir)
		return;

	mem_deref(acd->dir);
	acd->dir = mem_ref(dir);
	acd->dir_own = false;
}


void acd_business_set(struct acd *acd, const struct business *b)
{
	if (!acd || !b)
		return;

	/* a shared directory is its owner's to change (api_business_set,
	 * told first) */
	if (acd->dir_own && bizdir_set(acd->dir, b))
		return;
	dispatch_soon(acd);
}


void acd_agent_set(struct acd *acd, const struct agent *a)
{
	struct acd_agent *aa;
	struct agent *copy;

	if (!acd || !a || store_obj_dup((void **)&copy, &store_agents, a))
		return;

	aa = agent_find(acd, a->id);
	if (aa) {
		/* the ACD owns presence: keep its live state */
		copy->state = aa->a->state;
		store_obj_set(copy, &store_agents, "state_reason",
			      aa->a->state_reason);
		copy->state_since = aa->a->state_since;
		copy->idle_since = aa->a->idle_since;
		mem_deref(aa->a);
		aa->a = copy;
		if (acd->has_dialer && acd->dialer.agent_set)
			acd->dialer.agent_set(acd->dialer.arg, copy);
		dispatch_soon(acd);
		return;
	}

	aa = mem_zalloc(sizeof(*aa), acd_agent_destructor);
	if (!aa) {
		mem_deref(copy);
		return;
	}
	aa->acd = acd;
	aa->a = copy;
	tmr_init(&aa->tmr);
	list_append(&acd->agents, &aa->le, aa);
	if (acd->has_dialer && acd->dialer.agent_set)
		acd->dialer.agent_set(acd->dialer.arg, copy);
	dispatch_soon(acd);
}


void acd_agent_del(struct acd *acd, const char *id)
{
	if (!acd)
		return;

	mem_deref(agent_find(acd, id));
	if (acd->has_dialer && acd->dialer.agent_del)
		acd->dialer.agent_del(acd->dialer.arg, id);
}


void acd_agent_registered(struct acd *acd, const char *id)
{
	struct acd_agent *aa = acd ? agent_find(acd, id) : NULL;

	if (!aa)
		return;

	if (acd->watchh)
		acd->watchh(aa->a->id, aa->cb[0] ? aa->cb : NULL,
			    acd->watch_arg);
	dispatch_soon(acd);
}


void acd_agent_desk(struct acd *acd, const char *id, bool up)
{
	struct acd_agent *aa = acd ? agent_find(acd, id) : NULL;

	if (!aa || aa->desk_up == up)
		return;

	aa->desk_up = up;
	log_info("agent %s: the desk's phone is %s", id,
		 up ? "ready" : "gone");
	if (!is_desk(aa->a))
		return;

	/* available without it: out of routing now (agent_set_state);
	 * a call of theirs ends through its leg (the API hangs it up) */
	if (!up && aa->a->state == AGENT_AVAILABLE) {
		agent_set_state(aa, AGENT_AWAY, DESK_LOST);
		return;
	}

	if (acd->watchh)
		acd->watchh(aa->a->id, aa->cb[0] ? aa->cb : NULL,
			    acd->watch_arg);
	dispatch_soon(acd);
}


const char *acd_agent_endpoint(const struct acd *acd, const char *id)
{
	const struct acd_agent *aa = acd ? agent_find(acd, id) : NULL;

	return aa ? aa->a->endpoint : NULL;
}


bool acd_agent_reachable(const struct acd *acd, const char *id)
{
	const struct acd_agent *aa = acd ? agent_find(acd, id) : NULL;

	return aa && reachable(acd, aa);
}


void acd_business_staff(const struct acd *acd, const char *business,
			unsigned *availablep, unsigned *workingp)
{
	unsigned avail = 0, working = 0;
	struct le *le;

	for (le = acd && business ? acd->agents.head : NULL; le;
	     le = le->next) {
		const struct acd_agent *aa = le->data;
		enum agent_state st = aa->a->state;

		if (!route_serves(aa->a, business))
			continue;
		if (st == AGENT_AVAILABLE) {
			if (!reachable(acd, aa))
				continue;
			avail++;
		}
		if (st != AGENT_OFFLINE && st != AGENT_AWAY)
			working++;
	}

	if (availablep)
		*availablep = avail;
	if (workingp)
		*workingp = working;
}


int acd_agent_state(struct acd *acd, const char *id,
		    enum agent_state state, const char *reason)
{
	struct acd_agent *aa = agent_find(acd, id);

	if (!aa)
		return ENOENT;

	if (state != AGENT_AVAILABLE && state != AGENT_AWAY &&
	    state != AGENT_OFFLINE)
		return EINVAL;

	/* an agent on a call or reserved finishes it first */
	if (aa->a->state == AGENT_ON_CALL ||
	    aa->a->state == AGENT_OFFERED)
		return EBUSY;

	/* going available with no phone that can be called now (a desk
	 * without its microphone, a softphone not registered, no
	 * endpoint): refused, rather than routed nothing, or set away */
	if (state == AGENT_AVAILABLE && !reachable(acd, aa))
		return ENODEV;

	if (state == AGENT_AVAILABLE)
		aa->missed = 0;

	agent_set_state(aa, state, reason ? reason : "");

	return 0;
}


void acd_rule_set(struct acd *acd, const struct rule *r)
{
	struct rule *c, **v;
	size_t i;

	if (!acd || !r || store_obj_dup((void **)&c, &store_rules, r))
		return;

	for (i = 0; i < acd->rulen; i++) {
		if (!strcmp(acd->rulev[i]->id, r->id)) {
			mem_deref(acd->rulev[i]);
			acd->rulev[i] = c;
			return;
		}
	}

	v = mem_reallocarray(acd->rulev, acd->rulen + 1, sizeof(*v), NULL);
	if (!v) {
		mem_deref(c);
		return;
	}
	acd->rulev = v;
	v[acd->rulen++] = c;
}


void acd_rule_del(struct acd *acd, const char *id)
{
	size_t i;

	for (i = 0; acd && i < acd->rulen; i++) {
		if (!strcmp(acd->rulev[i]->id, id)) {
			mem_deref(acd->rulev[i]);
			memmove(&acd->rulev[i], &acd->rulev[i + 1],
				(acd->rulen - i - 1) * sizeof(*acd->rulev));
			acd->rulen--;
			return;
		}
	}
}


static struct acd_cb *cb_add(struct acd *acd, const struct callback *cb);


static void added_h(int err, const struct callback *cb, void *arg)
{
	struct acd *acd = arg;

	if (err || !cb || !cb->open || cb_find(acd, cb->id))
		return;

	(void)cb_add(acd, cb);
}


void acd_callback_new(struct acd *acd, struct callback *cb,
		      const char *last_agent)
{
	struct acd_cb *c;

	if (!acd || !cb || cb_find(acd, cb->id))
		return;

	c = cb_add(acd, cb);
	if (c) {
		/* the create read it in its transaction: no need to ask */
		c->last_known = true;
		if (last_agent && *last_agent)
			str_set(&c->last_agent, last_agent);
	}

	/* no agent sees it yet; the queue's watchers do */
	if (acd->watchh)
		acd->watchh(NULL, cb->id, acd->watch_arg);
}


static struct acd_cb *cb_add(struct acd *acd, const struct callback *cb)
{
	struct acd_cb *c = cb_link(acd, cb);

	if (!c)
		return NULL;

	/* a rule's priority places the callback in the queue at once */
	{
		struct route_req rq;
		struct route_need need;
		const struct rule *rule;

		memset(&rq, 0, sizeof(rq));
		rq.business = cb->business;
		rq.page_url = cb->page_url;
		rq.page_title = cb->page_title;
		rq.agent_key = cb->agent_key;
		rule = route_rule(&rq, acd->rulev, acd->rulen);
		route_needs(&need, &rq, rule);
		if (rule && need.priority != c->cb->priority) {
			struct callback_change chg;
			char data[96];

			callback_change_init(&chg, cb->id, time_now_ms());
			chg.status = cb->status;
			chg.priority = need.priority;
			chg.rule_id = rule->id;
			chg.event = "routed";
			re_snprintf(data, sizeof(data), "{\"rule\":\"%s\","
				    "\"priority\":%lld}", rule->id,
				    (long long)need.priority);
			chg.event_data = data;
			/* out of the tree while its key changes */
			if (c->rn.size)
				rank_remove(&acd->queued, &c->rn);
			c->cb->priority = need.priority;
			rank_sync(c);
			list_unlink(&c->le);
			cb_insert(acd, c);
			cb_change(c, &chg, NULL);
		}
	}

	if (c->cb->status == CBS_SCHEDULED)
		sched_consider(acd, c->cb->scheduled_for);
	dispatch_soon(acd);

	return c;
}


void acd_callback_added(struct acd *acd, const char *id)
{
	if (!acd || !id)
		return;

	if (store_callback_get(acd->st, id, true, added_h, acd))
		log_warn("%s: cannot load the new callback", id);
}


void acd_callback_canceled(struct acd *acd, const char *id)
{
	struct acd_cb *c = acd ? cb_find(acd, id) : NULL;

	/* an offer on a desk for a callback now gone: not the agent's
	 * miss */
	if (c && c->offer_to[0]) {
		struct acd_agent *aa = offer_stop(c);

		if (aa)
			agent_set_state(aa, AGENT_AVAILABLE,
					"offer withdrawn");
	}

	/* out of the queue's positions now, even while a change of its
	 * is in flight */
	if (c) {
		c->canceled = true;
		rank_sync(c);
	}

	if (c && !c->busy)
		mem_deref(c);
}


/* a waiting callback the store has and the ACD does not: another
 * node's intake */
static struct acd_cb *resync_add(struct acd *acd, const struct callback *cb)
{
	struct acd_cb *c;

	if (!callback_status_waiting(cb->status))
		return NULL;

	log_info("%s: taken from the store (another node's intake)",
		 cb->id);
	c = cb_add(acd, cb);
	if (c && acd->watchh)
		acd->watchh(NULL, cb->id, acd->watch_arg);

	return c;
}


/* a read of the store cannot drop c: a call or a change of ours has
 * it, or it no longer waits */
static bool resync_kept(const struct acd_cb *c)
{
	return c->busy || c->canceled || in_call(c) ||
	       !callback_status_waiting(c->cb->status);
}


/* c, waiting in memory, was not open in the store by the read of gen:
 * canceled on another node, unless c is newer than that read or a call
 * or a change of ours has it */
static void resync_drop(struct acd_cb *c, uint32_t gen)
{
	if (c->gen >= gen || resync_kept(c))
		return;

	log_info("%s: no longer open in the store (canceled on another "
		 "node)", c->cb->id);
	acd_callback_canceled(c->acd, c->cb->id);
}


/* open in the store (or by this node's own change) and known: kept; an
 * unknown waiting one: added; a known one it no longer holds open: a
 * cancel from another node, unless a call or a change of ours has it */
static void resync_h(int err, void *const *v, size_t n, void *arg)
{
	struct acd *acd = arg;
	const uint32_t gen = acd->full_gen;
	struct le *le;
	size_t i;

	acd->resyncing = false;
	if (err) {
		log_warn("resync: %s", strerror(err));
		goto again;
	}

	for (i = 0; i < n; i++) {
		const struct callback *cb = v[i];
		struct acd_cb *c = cb_find(acd, cb->id);

		if (!c)
			c = resync_add(acd, cb);
		if (c)
			c->seen = gen;
	}

	for (le = acd->cbs.head; le;) {
		struct acd_cb *c = le->data;

		le = le->next;
		if (c->seen != gen)
			resync_drop(c, gen);
	}

 again:
	if (acd->resync_again) {
		acd->resync_again = false;
		acd_resync(acd);
	}
}


void acd_resync(struct acd *acd)
{
	if (!acd || !acd->started)
		return;
	if (acd->resyncing) {
		acd->resync_again = true;
		return;
	}

	/* what is linked from now on is newer than this read */
	acd->full_gen = ++acd->resync_gen;
	if (store_callbacks_open(acd->st, STORE_ALL, resync_h, acd)) {
		log_warn("resync: cannot read the open callbacks");
		return;
	}
	acd->resyncing = true;
}


/* one callback's read (acd_resync_one) */
struct resync_one {
	struct acd *acd;
	uint32_t gen;
};


static void resync_one_h(int err, const struct callback *cb, void *arg)
{
	struct resync_one *r = arg;
	struct acd *acd = r->acd;
	struct acd_cb *c;

	--acd->resync_ones;
	if (err == ENOENT || !acd->started)
		goto out;
	if (err || !cb) {
		log_warn("resync: %s", strerror(err ? err : EIO));
		acd_resync(acd);
		goto out;
	}

	/* open and no longer waiting while c is unsure: a change of ours
	 * whose answer was lost (a claim stored: the claim again takes it,
	 * cluster_claim_cut.sh), not another node's */
	c = cb_find(acd, cb->id);
	if (!c && cb->open)
		(void)resync_add(acd, cb);
	else if (c && (!cb->open || (!callback_status_waiting(cb->status) &&
				     !c->unsure)))
		resync_drop(c, r->gen);

 out:
	mem_deref(r);
}


/* whether a read of callback id could change what the ACD holds */
static bool resync_worth(struct acd *acd, const char *id,
			 enum callback_status hint)
{
	const struct acd_cb *c = cb_find(acd, id);
	const bool hint_waiting = callback_status_waiting(hint);

	if (!c)   /* only a waiting one is added */
		return hint == CBS_ANY || hint_waiting;

	/* only a waiting one nothing of ours holds is dropped, and only
	 * when it no longer waits */
	return !resync_kept(c) && !hint_waiting;
}


void acd_resync_one(struct acd *acd, const char *id,
		    enum callback_status hint)
{
	struct resync_one *r;

	if (!acd || !acd->started)
		return;
	if (!id || !*id || acd->resync_ones >= ACD_RESYNC_ONE_MAX) {
		acd_resync(acd);
		return;
	}
	if (!resync_worth(acd, id, hint))
		return;

	r = mem_zalloc(sizeof(*r), NULL);
	if (!r) {
		acd_resync(acd);
		return;
	}
	r->acd = acd;
	/* what is linked from now on is newer than this read */
	r->gen = ++acd->resync_gen;
	if (store_callback_get(acd->st, id, true, resync_one_h, r)) {
		mem_deref(r);
		acd_resync(acd);
		return;
	}
	++acd->resync_ones;
}


int acd_hangup(struct acd *acd, const char *id, const char *agent_id)
{
	struct acd_cb *c = acd ? cb_find(acd, id) : NULL;

	if (!c)
		return ENOENT;
	if (agent_id && strcmp(c->cb->agent_id, agent_id))
		return EPERM;
	if (!acd->has_dialer)
		return ENOTCONN;

	log_info("%s: hung up by %s", id, agent_id ? agent_id : "admin");
	c->hung_up_by_agent = agent_id != NULL;

	return acd->dialer.hangup(acd->dialer.arg, id);
}


int acd_reschedule(struct acd *acd, const char *id, const char *agent_id,
		   int64_t at)
{
	struct acd_cb *c = acd ? cb_find(acd, id) : NULL;

	if (!c)
		return ENOENT;
	if (strcmp(c->cb->agent_id, agent_id))
		return EPERM;
	if (c->cb->status != CBS_CONNECTED)
		return EBUSY;

	c->reschedule_at = at;
	str_bcpy(c->rescheduled_by, agent_id, sizeof(c->rescheduled_by));

	return 0;
}


int acd_decline(struct acd *acd, const char *id, const char *agent_id)
{
	struct acd_cb *c = acd ? cb_find(acd, id) : NULL;
	const struct business *b;
	struct acd_agent *aa;

	if (!c)
		return ENOENT;

	/* an offer waiting for Accept: nothing was dialed */
	if (c->offer_to[0] && !strcmp(c->offer_to, agent_id)) {
		log_info("%s: declined by %s before dialing", id, agent_id);
		offer_back(c, "declined", false);
		return 0;
	}

	if (strcmp(c->cb->agent_id, agent_id))
		return EPERM;

	/* only an offer the customer knows nothing of: agent first, the
	 * agent's phone still ringing */
	b = biz_find(acd, c->cb->business);
	aa = agent_find(acd, agent_id);
	if (!b || b->dial_mode != DIAL_AGENT_FIRST ||
	    c->cb->status != CBS_DIALING || c->agent_answered ||
	    c->declined || !aa || strcmp(aa->cb, id) ||
	    aa->a->state != AGENT_OFFERED)
		return EBUSY;
	if (!acd->has_dialer)
		return ENOTCONN;

	log_info("%s: declined by %s", id, agent_id);
	c->declined = true;

	/* the agent leg ends (leg failed: next agent, no attempt spent) and
	 * with it the call, the customer never called */
	return acd->dialer.hangup(acd->dialer.arg, id);
}


int acd_accept(struct acd *acd, const char *id, const char *agent_id)
{
	struct acd_cb *c = acd ? cb_find(acd, id) : NULL;
	struct callback_change chg;
	struct acd_agent *aa;
	char data[64], data2[128];
	int64_t now = time_now_ms();
	int err;

	if (!c || !agent_id)
		return ENOENT;

	if (strcmp(c->offer_to, agent_id)) {
		/* offered to them this attempt, and over: too late */
		return tried(c, agent_id) ? EBUSY : EPERM;
	}
	if (!acd->has_dialer || acd->dialer_down)
		return ENOTCONN;

	aa = agent_find(acd, agent_id);
	if (!aa || strcmp(aa->cb, id) || aa->a->state != AGENT_OFFERED)
		return EBUSY;

	/* the countdown stops first: no timeout or decline can follow */
	offer_stop(c);
	aa->missed = 0;

	callback_change_init(&chg, id, now);
	chg.status = CBS_DIALING;
	chg.agent_id = agent_id;
	chg.attempts = c->cb->attempts + 1;
	chg.lease_until = now + STUCK_MS;
	chg.event = "dialing";
	chg.event_public = true;
	re_snprintf(data, sizeof(data), "{\"attempt\":%lld}",
		    (long long)c->cb->attempts + 1);
	chg.event_data = data;
	chg.event2 = "accepted";
	re_snprintf(data2, sizeof(data2), "{\"agent\":\"%s\"}", agent_id);
	chg.event2_data = data2;

	log_info("%s: accepted by %s, dialing, attempt %lld", id, agent_id,
		 (long long)c->cb->attempts + 1);

	err = cb_change(c, &chg, dialing_then);
	if (err)
		agent_set_state(aa, AGENT_AVAILABLE, "offer failed");

	return err;
}


int64_t acd_offer_left_ms(const struct acd *acd, const char *id,
			  const char *agent_id)
{
	const struct acd_cb *c = acd && id ? cb_find(acd, id) : NULL;
	int64_t left;

	if (!c || !agent_id || strcmp(c->offer_to, agent_id))
		return -1;

	left = c->offer_until - time_now_ms();

	return left > 0 ? left : 0;
}


int acd_agent_ready(struct acd *acd, const char *agent_id)
{
	struct acd_agent *aa = agent_find(acd, agent_id);

	if (!aa)
		return ENOENT;
	if (aa->a->state != AGENT_WRAP_UP)
		return EALREADY;

	agent_set_state(aa, AGENT_AVAILABLE, "ready");

	return 0;
}


int64_t acd_position(const struct acd *acd, const char *id)
{
	const struct acd_cb *c;

	if (!acd || !id)
		return -1;

	c = cb_find(acd, id);
	if (!c || !c->rn.size)
		return 0;

	return (int64_t)rank_before(&acd->queued, before_node, &c->rn) -
	       (int64_t)rank_before(&acd->queued, before_business,
				    c->cb->business) + 1;
}


void acd_eta_basis(const struct acd *acd, const char *business,
		   struct acd_eta_basis *b)
{
	memset(b, 0, sizeof(*b));

	/* with no dialer nobody will be called: say so, not "now" */
	if (!acd || !business || !acd->has_dialer || acd->dialer_down)
		return;

	/* an agent whose phone cannot be called is not working */
	acd_business_staff(acd, business, &b->avail, &b->working);
	b->handle_s = acd->handle_s;
	b->known = true;
}


int64_t acd_eta_at(const struct acd_eta_basis *b, int64_t position)
{
	if (!b || !b->known)
		return -1;

	return route_eta_s(position, b->working, b->avail, b->handle_s);
}


int64_t acd_eta_s(const struct acd *acd, const char *business,
		  int64_t position)
{
	struct acd_eta_basis b;

	acd_eta_basis(acd, business, &b);

	return acd_eta_at(&b, position);
}


static int not_after_business(const struct rank_node *n, const void *arg)
{
	return strcmp(rn_cb(n)->business, arg) <= 0 ? -1 : 1;
}


int64_t acd_wait_now_s(const struct acd *acd, const char *business)
{
	int64_t queued;

	if (!acd || !business)
		return -1;

	queued = (int64_t)rank_before(&acd->queued, not_after_business,
				      business) -
		 (int64_t)rank_before(&acd->queued, before_business,
				      business);

	return acd_eta_s(acd, business, queued + 1);
}


void acd_set_watch(struct acd *acd, acd_watch_h *h, void *arg)
{
	if (!acd)
		return;

	acd->watchh = h;
	acd->watch_arg = arg;
}


enum agent_state acd_agent_presence(const struct acd *acd, const char *id,
				    const char **callback_idp)
{
	const struct acd_agent *aa = acd ? agent_find(acd, id) : NULL;

	if (callback_idp)
		*callback_idp = aa && aa->cb[0] ? aa->cb : NULL;

	return aa ? aa->a->state : AGENT_OFFLINE;
}


const char *acd_agent_reason(const struct acd *acd, const char *id,
			     const char *fallback)
{
	const struct acd_agent *aa = acd ? agent_find(acd, id) : NULL;

	return aa ? aa->a->state_reason : fallback;
}


/* The registrar learns every agent's credentials. */
static void agents_to_dialer(struct acd *acd)
{
	struct le *le;

	if (!acd->dialer.agent_set)
		return;

	for (le = acd->agents.head; le; le = le->next) {
		struct acd_agent *aa = le->data;

		acd->dialer.agent_set(acd->dialer.arg, aa->a);
	}
}


void acd_set_dialer(struct acd *acd, const struct acd_dialer *d)
{
	if (!acd)
		return;

	acd->has_dialer = d && d->originate && d->offer_agent && d->hangup;
	if (!acd->has_dialer)
		return;

	acd->dialer = *d;
	if (acd->dialer_down) {
		log_info("dialer set: callbacks are called once it answers");
		return;
	}

	log_info("dialer connected: callbacks are called");
	agents_to_dialer(acd);
	dispatch_soon(acd);
}


void acd_set_no_line(struct acd *acd)
{
	if (acd)
		acd->no_line = true;
}


void acd_set_page_keep(struct acd *acd, acd_page_keep_h *h, void *arg)
{
	if (!acd)
		return;
	acd->page_keeph = h;
	acd->page_keep_arg = arg;
}


void acd_dialer_ready(struct acd *acd, bool ready)
{
	if (!acd || acd->dialer_down == !ready)
		return;

	acd->dialer_down = !ready;
	if (!acd->has_dialer)
		return;

	if (!ready) {
		log_info("the dialer is down: nothing is dispatched until it "
			 "is up");
		return;
	}

	log_info("the dialer is up: callbacks are called");
	agents_to_dialer(acd);
	dispatch_soon(acd);
}


void acd_dialer_agents(struct acd *acd)
{
	if (acd && acd->has_dialer && !acd->dialer_down)
		agents_to_dialer(acd);
}


static void acd_destructor(void *arg)
{
	struct acd *acd = arg;
	size_t i;

	tmr_cancel(&acd->dispatch_tmr);
	tmr_cancel(&acd->sched_tmr);
	/* final changes still unstored: the store keeps the callback in
	 * its call, for the next start (its attach) to settle */
	while (acd->unstored.head) {
		struct change_ctx *x = acd->unstored.head->data;

		list_unlink(&x->le);
		mem_deref(x->c);
		mem_deref(x);
	}
	list_flush(&acd->cbs);
	mem_deref(acd->cbh);
	list_flush(&acd->agents);
	mem_deref(acd->dir);
	for (i = 0; i < acd->rulen; i++)
		mem_deref(acd->rulev[i]);
	mem_deref(acd->rulev);
}


int acd_alloc(struct acd **ap, const struct cfg *cfg, struct store *st)
{
	struct acd *acd;
	int err;

	if (!ap || !cfg || !st)
		return EINVAL;

	acd = mem_zalloc(sizeof(*acd), acd_destructor);
	if (!acd)
		return ENOMEM;

	acd->cfg = cfg;
	acd->st = st;
	acd->handle_s = ROUTE_DEFAULT_HANDLE_S;
	acd->max_missed = (unsigned)cfg_int(cfg, "max_missed_offers");
	acd->reoffer_ms = (uint64_t)cfg_int(cfg, "reoffer_after") * SEC;
	acd->cbh_size = CBH_MIN;
	err = hash_alloc(&acd->cbh, acd->cbh_size);
	if (err) {
		mem_deref(acd);
		return err;
	}
	list_init(&acd->cbs);
	acd->queued.cmp = rank_cmp;
	list_init(&acd->agents);
	err = bizdir_alloc(&acd->dir);
	if (err) {
		mem_deref(acd);
		return err;
	}
	acd->dir_own = true;
	tmr_init(&acd->dispatch_tmr);
	tmr_init(&acd->sched_tmr);

	*ap = acd;

	return 0;
}


/* ---- a supervisor acts ---- */

static const char *const sup_names[ACD_SUP_N] = {
	[ACD_SUP_CANCEL] = "cancel",
	[ACD_SUP_RESCHEDULE] = "reschedule",
	[ACD_SUP_FRONT] = "front",
	[ACD_SUP_ASSIGN] = "assign",
};


int acd_sup_action_parse(enum acd_sup_action *ap, const char *name,
			 size_t len)
{
	size_t i;

	for (i = 0; name && i < ACD_SUP_N; i++) {
		if (strlen(sup_names[i]) == len &&
		    !memcmp(sup_names[i], name, len)) {
			*ap = (enum acd_sup_action)i;
			return 0;
		}
	}

	return ENOENT;
}


/* Stored: memory follows. */
static void sup_then(struct acd_cb *c, int err)
{
	struct acd *acd = c->acd;

	c->sup_pending = false;
	if (err)
		return;

	if (c->front_prio != INT64_MIN) {
		/* out of the tree and the list while its key changes */
		if (c->rn.size)
			rank_remove(&acd->queued, &c->rn);
		c->cb->priority = c->front_prio;
		rank_sync(c);
		list_unlink(&c->le);
		cb_insert(acd, c);
	}
	if (c->assign_next[0]) {
		str_set(&c->cb->assigned, c->assign_next);
		c->assign_next[0] = '\0';
	}
	c->front_prio = INT64_MIN;

	/* another agent, or later: whoever had it may take it again */
	c->tried[0] = '\0';
	tmr_cancel(&c->round_tmr);
}


/* A priority above every other open callback's of the business. */
static int64_t front_priority(const struct acd *acd, const struct acd_cb *c)
{
	int64_t p = c->cb->priority;
	struct le *le;

	for (le = acd->cbs.head; le; le = le->next) {
		const struct acd_cb *o = le->data;

		if (o != c && !strcmp(o->cb->business, c->cb->business) &&
		    o->cb->priority >= p)
			p = o->cb->priority + 1;
	}

	return p;
}


/* Is team a key the business publishes, or some agent of it has? */
static bool team_known(const struct acd *acd, const char *business,
		       const char *team)
{
	const struct business *b = biz_find(acd, business);
	const char *p = b ? b->agent_keys : "", *item;
	struct route_need need;
	struct route_req rq;
	struct le *le;
	size_t n;

	while (str_list_next(&p, &item, &n)) {
		if (n == strlen(team) && !memcmp(item, team, n))
			return true;
	}

	memset(&rq, 0, sizeof(rq));
	rq.business = business;
	rq.assigned = team;
	route_needs(&need, &rq, NULL);

	for (le = acd->agents.head; le; le = le->next) {
		const struct acd_agent *aa = le->data;

		if (route_fits(aa->a, &rq, &need, false))
			return true;
	}

	return false;
}


static int sup_assign(struct acd *acd, struct acd_cb *c,
		      const struct acd_sup *r, char *data, size_t sz)
{
	const struct acd_agent *aa;

	if (r->agent && *r->agent) {
		aa = agent_find(acd, r->agent);
		if (!aa || !route_serves(aa->a, c->cb->business))
			return EINVAL;
		re_snprintf(c->assign_next, sizeof(c->assign_next),
			    "agent:%s", r->agent);
		re_snprintf(data, sz, "{\"action\":\"assign\",\"by\":\"%s\","
			    "\"agent\":\"%s\"}", r->by, r->agent);
		return 0;
	}

	/* a key as ids are (it goes into the event's JSON as it is) */
	if (!r->team || !*r->team || strlen(r->team) > 64 ||
	    strspn(r->team, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"
		   "WXYZ0123456789-_.") != strlen(r->team) ||
	    !team_known(acd, c->cb->business, r->team))
		return EINVAL;
	str_bcpy(c->assign_next, r->team, sizeof(c->assign_next));
	re_snprintf(data, sz, "{\"action\":\"assign\",\"by\":\"%s\","
		    "\"team\":\"%s\"}", r->by, r->team);

	return 0;
}


int acd_supervise(struct acd *acd, const struct acd_sup *r,
		  const char **statusp, acd_done_h *h, void *arg)
{
	struct acd_cb *c = acd && r ? cb_find(acd, r->id) : NULL;
	struct callback_change chg;
	char data[256], data2[160], at[40];
	enum callback_status st;
	int err;

	if (!c || c->canceled || !r->by)
		return ENOENT;

	/* waiting only: a call under way is the agent's */
	st = cb_status(c);
	if (statusp)
		*statusp = c->offer_to[0] ? "offered"
					  : callback_status_name(st);
	if (!callback_status_waiting(st) || c->offer_to[0])
		return EBUSY;
	/* one supervisor's change at a time: what it applies once stored
	 * is kept here */
	if (c->sup_pending)
		return EINPROGRESS;

	callback_change_init(&chg, c->cb->id, time_now_ms());
	chg.status = st;
	chg.event = "supervised";
	chg.event_data = data;
	c->front_prio = INT64_MIN;
	c->assign_next[0] = '\0';

	switch (r->action) {

	case ACD_SUP_CANCEL:
		chg.status = CBS_CANCELED;
		chg.close = true;
		chg.lease_until = 0;
		/* told apart from the customer's cancel, for reports */
		chg.ended_reason = "supervisor";
		chg.event = "canceled";
		chg.event_public = true;
		chg.event_data = "{\"by\":\"supervisor\"}";
		chg.event2 = "supervised";
		chg.event2_data = data2;
		re_snprintf(data2, sizeof(data2), "{\"action\":\"cancel\","
			    "\"by\":\"%s\"}", r->by);
		break;

	case ACD_SUP_RESCHEDULE:
		time_fmt_rfc3339(at, sizeof(at), r->at);
		chg.status = CBS_SCHEDULED;
		chg.scheduled_for = r->at;
		chg.event = "rescheduled";
		chg.event_public = true;
		re_snprintf(data, sizeof(data), "{\"at\":\"%s\","
			    "\"by\":\"supervisor\"}", at);
		chg.event2 = "supervised";
		chg.event2_data = data2;
		re_snprintf(data2, sizeof(data2), "{\"action\":\"reschedule\","
			    "\"by\":\"%s\",\"at\":\"%s\"}", r->by, at);
		c->sched_why = ACD_WAIT_SCHEDULED;
		break;

	case ACD_SUP_FRONT:
		c->front_prio = front_priority(acd, c);
		chg.priority = c->front_prio;
		re_snprintf(data, sizeof(data), "{\"action\":\"front\","
			    "\"by\":\"%s\",\"priority\":%lld}", r->by,
			    (long long)c->front_prio);
		break;

	case ACD_SUP_ASSIGN:
		err = sup_assign(acd, c, r, data, sizeof(data));
		if (err)
			return err;
		chg.assigned = c->assign_next;
		break;

	default:
		return EINVAL;
	}

	log_info("%s: %s by supervisor %s", c->cb->id,
		 sup_names[r->action], r->by);

	err = cb_change_done(c, &chg, sup_then, h, arg);
	c->sup_pending = !err;

	return err;
}


/* ---- why a callback waits ---- */

static const char *const wait_names[ACD_WAIT_N] = {
	[ACD_WAIT_NONE] = "",
	[ACD_WAIT_SCHEDULED] = "scheduled",
	[ACD_WAIT_RETRY] = "retry_delay",
	[ACD_WAIT_HOURS] = "outside_hours",
	[ACD_WAIT_NO_DIALER] = "no_dialer",
	[ACD_WAIT_NO_SKILL] = "no_agent_with_skill",
	[ACD_WAIT_LOGGED_OUT] = "no_agent_logged_in",
	[ACD_WAIT_AWAY] = "agents_away",
	[ACD_WAIT_BUSY] = "all_agents_busy",
	[ACD_WAIT_TRIED] = "all_agents_tried",
	[ACD_WAIT_OFFERED] = "offered",
	[ACD_WAIT_NEXT] = "next",
};


const char *acd_wait_name(enum acd_wait w)
{
	return w < ACD_WAIT_N ? wait_names[w] : "";
}


/* Queued: who of those who could take it is doing what. */
static enum acd_wait why_queued(const struct acd *acd,
				const struct acd_cb *c, int64_t *untilp)
{
	const struct business *b = biz_find(acd, c->cb->business);
	unsigned fit = 0, on = 0, busy = 0, free = 0, tried_n = 0;
	struct route_need need;
	struct route_req rq;
	struct le *le;
	bool widened;

	memset(&rq, 0, sizeof(rq));
	rq.business = c->cb->business;
	rq.page_url = c->cb->page_url;
	rq.page_title = c->cb->page_title;
	rq.agent_key = c->cb->agent_key;
	rq.assigned = c->cb->assigned;
	rq.waited_s = (time_now_ms() - c->cb->created_at) / SEC;
	rq.widen_after_s = b ? b->widen_after : 120;
	route_needs(&need, &rq, route_rule(&rq, acd->rulev, acd->rulen));
	widened = route_widened(&rq, &need);

	for (le = acd->agents.head; le; le = le->next) {
		const struct acd_agent *aa = le->data;
		enum agent_state st = aa->a->state;

		if (!route_fits(aa->a, &rq, &need, widened))
			continue;
		fit++;
		if (st != AGENT_OFFLINE)
			on++;
		if (st == AGENT_OFFERED || st == AGENT_ON_CALL ||
		    st == AGENT_WRAP_UP)
			busy++;
		if (st == AGENT_AVAILABLE && reachable(acd, aa)) {
			if (tried(c, aa->a->id))
				tried_n++;
			else
				free++;
		}
	}

	if (!fit)
		return ACD_WAIT_NO_SKILL;
	if (!on)
		return ACD_WAIT_LOGGED_OUT;
	if (free)
		return ACD_WAIT_NEXT;
	if (tried_n) {
		uint64_t left = tmr_get_expire(&c->round_tmr);

		*untilp = left ? time_now_ms() + (int64_t)left : 0;
		return ACD_WAIT_TRIED;
	}

	return busy ? ACD_WAIT_BUSY : ACD_WAIT_AWAY;
}


/* Scheduled for the business's next opening while it is closed: a
 * request made out of hours (the API schedules it so), or one the ACD
 * held back; said as the hours, not as a time someone chose. */
static bool at_opening(const struct acd *acd, const struct acd_cb *c,
		       int64_t now)
{
	const struct biz *ab = abiz_find(acd, c->cb->business);
	int64_t next = 0;

	return ab && ab->hours && !hours_is_open(ab->hours, ab->zone, now) &&
	       !hours_next_open(ab->hours, ab->zone, now, &next) &&
	       next == c->cb->scheduled_for;
}


enum acd_wait acd_why(const struct acd *acd, const char *id,
		      int64_t *untilp)
{
	const struct acd_cb *c = acd && id ? cb_find(acd, id) : NULL;
	const struct biz *ab;
	enum callback_status st;
	int64_t until = 0, now = time_now_ms();
	enum acd_wait w = ACD_WAIT_NONE;

	if (!c || c->canceled)
		goto out;

	st = cb_status(c);
	if (st == CBS_SCHEDULED) {
		w = c->sched_why;
		until = c->cb->scheduled_for;
		if (w == ACD_WAIT_SCHEDULED && at_opening(acd, c, now))
			w = ACD_WAIT_HOURS;
		goto out;
	}
	if (st != CBS_QUEUED)
		goto out;

	if (c->offer_to[0]) {
		w = ACD_WAIT_OFFERED;
		until = c->offer_until;
		goto out;
	}
	if (!acd->has_dialer || acd->dialer_down) {
		w = ACD_WAIT_NO_DIALER;
		goto out;
	}
	ab = abiz_find(acd, c->cb->business);
	if (ab && ab->hours && !hours_is_open(ab->hours, ab->zone, now)) {
		w = ACD_WAIT_HOURS;
		if (hours_next_open(ab->hours, ab->zone, now, &until))
			until = 0;
		goto out;
	}

	w = why_queued(acd, c, &until);

 out:
	if (untilp)
		*untilp = until;

	return w;
}
