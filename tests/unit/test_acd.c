/*
 * The ACD's state machine against a real SQLite store, with the dialer
 * replaced by a recorder of what the ACD asked (the real dialer is driven
 * by the end-to-end tests): dispatch, a completed call, retries, failure,
 * re-offer to the next agent, missed offers, abandon and recovery.
 */
#include <stdlib.h>
#include <unistd.h>
#include <sqlite3.h>
#include <re.h>
#include "util/util.h"
#include "cfg/cfg.h"
#include "store/store.h"
#include "acd/acd.h"
#include "test.h"

struct rec {
	int originates;
	int offers;
	int agent_sets;
	char customer[32];
	char agent[64];
	char id[64];
	char mode[32];
	bool registered;           /* softphone agents' registration */
	int releases;
};


static int rec_originate(void *arg, const struct acd_call *call)
{
	struct rec *r = arg;

	r->originates++;
	str_bcpy(r->customer, call->customer, sizeof(r->customer));
	str_bcpy(r->agent, call->agent, sizeof(r->agent));
	str_bcpy(r->id, call->id, sizeof(r->id));
	str_bcpy(r->mode, call->mode, sizeof(r->mode));

	return 0;
}


static int rec_offer(void *arg, const char *id, const char *agent,
		     const char *agent_id)
{
	(void)agent_id;
	struct rec *r = arg;

	(void)id;
	r->offers++;
	str_bcpy(r->agent, agent, sizeof(r->agent));

	return 0;
}


static int rec_hangup(void *arg, const char *id)
{
	(void)arg;
	(void)id;

	return 0;
}


static bool rec_registered(void *arg, const char *agent_id)
{
	struct rec *r = arg;

	(void)agent_id;

	return r->registered;
}


static int rec_release(void *arg, const char *id)
{
	struct rec *r = arg;

	(void)id;
	r->releases++;

	return 0;
}


static void rec_agent_set(void *arg, const struct agent *a)
{
	struct rec *r = arg;

	(void)a;
	r->agent_sets++;
}


static void stop_h(void *arg)
{
	(void)arg;
	re_cancel();
}


/* let timers and the store's batches run for ms */
static void spin_ms(uint64_t ms)
{
	struct tmr t;

	tmr_init(&t);
	tmr_start(&t, ms, stop_h, NULL);
	re_main(NULL);
	tmr_cancel(&t);
}


static void spin(void)
{
	spin_ms(30);
}


struct cbres {
	int err;
	char status[16];
	char agent[32];
	char last_event[32];
	char events[512];          /* every event type, space-separated */
	char ended_reason[32];
	char data[1024];           /* every event's data, space-separated */
	int64_t attempts;
	int64_t scheduled_for;
	bool canceled;             /* a cancel: the call is off */
};


static void get_h(int err, const struct callback *cb, void *arg)
{
	struct cbres *r = arg;

	memset(r, 0, sizeof(*r));
	r->err = err;
	if (!cb)
		return;
	str_bcpy(r->status, callback_status_name(cb->status),
		 sizeof(r->status));
	str_bcpy(r->agent, cb->agent_id, sizeof(r->agent));
	r->attempts = cb->attempts;
	r->scheduled_for = cb->scheduled_for;
	if (cb->nevents)
		str_bcpy(r->last_event, cb->events[cb->nevents - 1].type,
			 sizeof(r->last_event));
	str_bcpy(r->ended_reason, cb->ended_reason, sizeof(r->ended_reason));
	for (size_t i = 0; i < cb->nevents; i++) {
		size_t l = strlen(r->data);

		re_snprintf(r->data + l, sizeof(r->data) - l, "%s%s",
			    l ? " " : "", cb->events[i].data);
	}
	for (size_t i = 0; i < cb->nevents; i++) {
		size_t l = strlen(r->events);

		re_snprintf(r->events + l, sizeof(r->events) - l, "%s%s",
			    l ? " " : "", cb->events[i].type);
	}
}


static void cancel_h(int err, const struct callback *cb,
		     const char *canceled, void *arg)
{
	struct cbres *r = arg;

	get_h(err, cb, arg);
	r->canceled = canceled != NULL;
}


static int cb_state(struct store *st, const char *id, struct cbres *r)
{
	int err = store_callback_get(st, id, false, get_h, r);

	store_flush(st);

	return err ? err : r->err;
}


struct agres {
	char state[16];
	char reason[64];
};


static void agent_h(int err, const void *obj, void *arg)
{
	const struct agent *a = obj;
	struct agres *r = arg;

	if (!err && a) {
		str_bcpy(r->state, agent_state_name(a->state),
			 sizeof(r->state));
		str_bcpy(r->reason, a->state_reason, sizeof(r->reason));
	}
}


static void agent_state(struct store *st, const char *id, struct agres *r)
{
	memset(r, 0, sizeof(*r));
	store_get(st, &store_agents, "id", id, agent_h, r);
	store_flush(st);
}


static void done_h(int err, void *arg)
{
	*(int *)arg = err;
}


static int answer_h(char **answerp, int *statusp,
		    const struct callback_created *res, void *arg)
{
	(void)arg;
	*statusp = 202;

	return re_sdprintf(answerp, "{\"id\":\"%s\"}", res->id);
}


static void created_h(int err, const struct callback_created *res, void *arg)
{
	(void)res;
	*(int *)arg = err;
}


static int new_callback(struct store *st, const char *id, const char *phone)
{
	struct callback_new req;
	int err = -1;

	memset(&req, 0, sizeof(req));
	str_bcpy(req.id, id, sizeof(req.id));
	str_bcpy(req.cancel_hash, id, sizeof(req.cancel_hash));
	req.business = "acme";
	req.phone = phone;
	req.client_ip = "127.0.0.1";
	req.page_url = "https://acme.example/billing/1";
	req.answerh = answer_h;
	req.now = time_now_ms();
	if (store_callback_create(st, &req, created_h, &err))
		return EINVAL;
	store_flush(st);

	return err;
}


static int setup(struct store **stp, struct cfg **cfgp, char *url,
		 size_t sz)
{
	static const char *const agents[][3] = {
		{"alice", "sip:alice@127.0.0.1:5070", "billing"},
		{"bob", "sip:bob@127.0.0.1:5072", "billing"},
	};
	char dir[] = "/tmp/beckon-acd-XXXXXX";
	struct business *b = NULL;
	size_t i;
	int err, perr = 0;

	if (!mkdtemp(dir))
		return errno;
	re_snprintf(url, sz, "sqlite:%s/t.db", dir);

	err = cfg_alloc(cfgp);
	if (!err)
		err = store_open(stp, url, 100);
	if (!err)
		err = business_alloc(&b);
	if (err)
		return err;

	store_obj_set(b, &store_businesses, "id", "acme");
	store_obj_set(b, &store_businesses, "country", "33");
	store_obj_set(b, &store_businesses, "retry_attempts", "2");
	store_obj_set(b, &store_businesses, "retry_delays", "60 600");
	store_put(*stp, &store_businesses, b, true, done_h, &perr);
	mem_deref(b);

	for (i = 0; i < ARRAY_SIZE(agents); i++) {
		struct agent *a = NULL;

		if (agent_alloc(&a))
			return ENOMEM;
		store_obj_set(a, &store_agents, "id", agents[i][0]);
		store_obj_set(a, &store_agents, "login", agents[i][0]);
		store_obj_set(a, &store_agents, "password_hash", "x");
		store_obj_set(a, &store_agents, "businesses", "acme");
		store_obj_set(a, &store_agents, "endpoint", agents[i][1]);
		store_obj_set(a, &store_agents, "skills", agents[i][2]);
		store_obj_set(a, &store_agents, "wrap_up", "0");
		/* alice has idled longer: she goes first */
		store_obj_set(a, &store_agents, "idle_since",
			      i ? "2000" : "1000");
		store_put(*stp, &store_agents, a, true, done_h, &perr);
		mem_deref(a);
	}
	store_flush(*stp);

	return perr;
}


static void teardown(struct store *st, struct cfg *cfg, const char *url)
{
	char p[256], dir[256];

	mem_deref(st);
	mem_deref(cfg);
	re_snprintf(dir, sizeof(dir), "%s", url + 7);
	*strrchr(dir, '/') = '\0';
	re_snprintf(p, sizeof(p), "%s/t.db", dir);
	unlink(p);
	re_snprintf(p, sizeof(p), "%s/t.db-wal", dir);
	unlink(p);
	re_snprintf(p, sizeof(p), "%s/t.db-shm", dir);
	unlink(p);
	rmdir(dir);
}


/* One test's world: the store set up above, its configuration, the ACD
 * and the recorder standing in for its dialer. */
struct fix {
	struct store *st;
	struct cfg *cfg;
	struct acd *acd;
	struct rec rec;
	struct acd_dialer d;       /* the recorder's hooks; a test adds more */
	char url[256];
};

/* a fixture step failed: its assertion has said where */
#define FIX(step) \
	do { \
		int e_ = (step); \
		if (e_) \
			return e_; \
	} while (0)


/* the store and the configuration, which a test may change before
 * fix_start */
static int fix_open(struct fix *f)
{
	memset(f, 0, sizeof(*f));
	f->d.arg = &f->rec;
	f->d.originate = rec_originate;
	f->d.offer_agent = rec_offer;
	f->d.hangup = rec_hangup;
	TEST_EQ_INT(setup(&f->st, &f->cfg, f->url, sizeof(f->url)), 0);

	return 0;
}


/* the ACD on them, with the recorder as its dialer if dial */
static int fix_start(struct fix *f, bool dial)
{
	TEST_EQ_INT(acd_alloc(&f->acd, f->cfg, f->st), 0);
	if (dial)
		acd_set_dialer(f->acd, &f->d);
	TEST_EQ_INT(acd_start(f->acd), 0);

	return 0;
}


static void fix_close(struct fix *f)
{
	mem_deref(f->acd);
	teardown(f->st, f->cfg, f->url);
}


static void ev(struct acd *acd, const char *id, enum acd_ev type,
	       const char *leg, const char *reason, int sip)
{
	struct acd_event e;

	memset(&e, 0, sizeof(e));
	e.type = type;
	e.leg = leg;
	e.reason = reason;
	e.sip = sip;
	acd_call_event(acd, id, &e);
	spin();
}


TEST(acd_call_completed_and_retry)
{
	struct fix f;
	struct cbres r;
	struct agres ag;
	const char *id1 = "cb_0000000000010000000000000000000000a";
	const char *id2 = "cb_0000000000020000000000000000000000b";
	int64_t until = -1;

	FIX(fix_open(&f));
	FIX(fix_start(&f, true));

	/* nobody available: nothing is dialed */
	TEST_EQ_INT(new_callback(f.st, id1, "+33123456789"), 0);
	acd_callback_added(f.acd, id1);
	spin();
	TEST_EQ_INT(f.rec.originates, 0);
	TEST_EQ_INT(cb_state(f.st, id1, &r), 0);
	TEST_EQ_STR(r.status, "queued");
	/* why: both agents offline */
	TEST_EQ_INT(acd_why(f.acd, id1, &until), ACD_WAIT_LOGGED_OUT);
	TEST_EQ_INT(until, 0);

	/* alice goes available: the longest idle gets it */
	TEST_EQ_INT(acd_agent_state(f.acd, "alice", AGENT_AVAILABLE, "test"),
		    0);
	TEST_EQ_INT(acd_agent_state(f.acd, "bob", AGENT_AVAILABLE, "test"), 0);
	spin();
	TEST_EQ_INT(f.rec.originates, 1);
	TEST_EQ_STR(f.rec.id, id1);
	TEST_EQ_STR(f.rec.customer, "+33123456789");
	TEST_EQ_STR(f.rec.agent, "sip:alice@127.0.0.1:5070");
	TEST_EQ_STR(f.rec.mode, "customer_first");
	TEST_EQ_INT(cb_state(f.st, id1, &r), 0);
	TEST_EQ_STR(r.status, "dialing");
	TEST_EQ_STR(r.agent, "alice");
	TEST_EQ_INT(r.attempts, 1);
	/* not waiting: in a call */
	TEST_EQ_INT(acd_why(f.acd, id1, NULL), ACD_WAIT_NONE);
	agent_state(f.st, "alice", &ag);
	TEST_EQ_STR(ag.state, "offered");

	/* a busy agent cannot just go away */
	TEST_EQ_INT(acd_agent_state(f.acd, "alice", AGENT_AWAY, "x"), EBUSY);

	ev(f.acd, id1, ACD_EV_RINGING, "customer", NULL, 180);
	ev(f.acd, id1, ACD_EV_ANSWERED, "customer", NULL, 200);
	TEST_EQ_INT(cb_state(f.st, id1, &r), 0);
	TEST_EQ_STR(r.status, "on_hold");
	ev(f.acd, id1, ACD_EV_BRIDGED, NULL, NULL, 0);
	TEST_EQ_INT(cb_state(f.st, id1, &r), 0);
	TEST_EQ_STR(r.status, "connected");
	agent_state(f.st, "alice", &ag);
	TEST_EQ_STR(ag.state, "on_call");
	ev(f.acd, id1, ACD_EV_ENDED, NULL, "customer_hangup", 200);
	TEST_EQ_INT(cb_state(f.st, id1, &r), 0);
	TEST_EQ_STR(r.status, "completed");
	TEST_EQ_STR(r.last_event, "ended");
	/* wrap-up of 0 s: available again */
	spin();
	agent_state(f.st, "alice", &ag);
	TEST_EQ_STR(ag.state, "available");

	/* the next one: bob has idled longest now; customer busy */
	TEST_EQ_INT(new_callback(f.st, id2, "+33987654321"), 0);
	acd_callback_added(f.acd, id2);
	spin();
	TEST_EQ_INT(f.rec.originates, 2);
	TEST_EQ_STR(f.rec.agent, "sip:bob@127.0.0.1:5072");
	ev(f.acd, id2, ACD_EV_ENDED, "customer", "busy", 486);
	TEST_EQ_INT(cb_state(f.st, id2, &r), 0);
	TEST_EQ_STR(r.status, "scheduled");
	TEST_EQ_STR(r.last_event, "retry_scheduled");
	TEST_ASSERT(r.scheduled_for > time_now_ms() + 50000);
	TEST_ASSERT(r.scheduled_for < time_now_ms() + 70000);
	TEST_EQ_INT(acd_why(f.acd, id2, &until), ACD_WAIT_RETRY);
	TEST_EQ_INT(until, r.scheduled_for);
	TEST_EQ_STR(acd_wait_name(ACD_WAIT_RETRY), "retry_delay");
	agent_state(f.st, "bob", &ag);
	TEST_EQ_STR(ag.state, "available");

	fix_close(&f);

	return 0;
}


/* A leader that read answered and bridged but was killed before storing
 * them leaves the store at dialing; its successor hears only the legs'
 * ends, which say when the customer answered and when the call was
 * bridged: completed in its one attempt (not retried: the customer
 * would be dialed again), the missing events at the dialer's times
 * before the end, the talk time from the dialer's clock. */
TEST(acd_end_catches_up_unstored_reports)
{
	struct fix f;
	struct cbres r;
	struct acd_event e;
	const char *id = "cb_0000000000040000000000000000000000d";
	const int64_t t0 = time_now_ms() - 20000;

	FIX(fix_open(&f));
	FIX(fix_start(&f, true));
	TEST_EQ_INT(acd_agent_state(f.acd, "alice", AGENT_AVAILABLE, "test"),
		    0);
	TEST_EQ_INT(new_callback(f.st, id, "+33123456789"), 0);
	acd_callback_added(f.acd, id);
	spin();
	TEST_EQ_INT(f.rec.originates, 1);

	/* the legs' ends first, as the dialer replays them: the agent's
	 * is not the agent failing */
	memset(&e, 0, sizeof(e));
	e.type = ACD_EV_LEG_FAILED;
	e.leg = "agent";
	e.reason = "customer_hangup";
	e.sip = 200;
	e.answered_t = t0;
	e.bridged_t = t0 + 3000;
	e.t = t0 + 15500;
	acd_call_event(f.acd, id, &e);
	spin();
	e.type = ACD_EV_ENDED;
	e.leg = "customer";
	acd_call_event(f.acd, id, &e);
	spin();

	TEST_EQ_INT(cb_state(f.st, id, &r), 0);
	TEST_EQ_STR(r.status, "completed");
	TEST_EQ_INT(r.attempts, 1);
	TEST_EQ_INT(f.rec.originates, 1);
	TEST_ASSERT(strstr(r.events, "dialing offered answered bridged "
			   "ended") != NULL);
	TEST_ASSERT(strstr(r.events, "agent_failed") == NULL);
	TEST_ASSERT(strstr(r.data, "\"talk_s\":12}") != NULL);

	fix_close(&f);

	return 0;
}


/* a call in the browser is never retried: no later attempt could reach
 * its page (api/voice.c keeps the socket's secret in memory only) */
TEST(acd_browser_call_never_retried)
{
	struct fix f;
	struct cbres r;
	const char *id = "cb_0000000000030000000000000000000000c";

	FIX(fix_open(&f));
	FIX(fix_start(&f, true));

	TEST_EQ_INT(acd_agent_state(f.acd, "alice", AGENT_AVAILABLE, "test"),
		    0);
	TEST_EQ_INT(new_callback(f.st, id, ""), 0);
	acd_callback_added(f.acd, id);
	spin();
	TEST_EQ_INT(f.rec.originates, 1);
	TEST_ASSERT(!strncmp(f.rec.customer, "webrtc:", 7));

	/* the page never answered: failed, not scheduled */
	ev(f.acd, id, ACD_EV_ENDED, "customer", "no_answer", 0);
	TEST_EQ_INT(cb_state(f.st, id, &r), 0);
	TEST_EQ_STR(r.status, "failed");
	TEST_EQ_STR(r.last_event, "failed");
	TEST_EQ_INT(r.attempts, 1);

	fix_close(&f);

	return 0;
}


TEST(acd_reoffer_missed_abandon_recover)
{
	struct fix f;
	struct cbres r;
	struct agres ag;
	const char *id = "cb_0000000000030000000000000000000000c";
	const char *id2 = "cb_0000000000040000000000000000000000d";

	FIX(fix_open(&f));
	TEST_EQ_INT(cfg_set(f.cfg, "max_missed_offers", "1"), 0);
	FIX(fix_start(&f, true));
	TEST_EQ_INT(acd_agent_state(f.acd, "alice", AGENT_AVAILABLE, "t"), 0);
	TEST_EQ_INT(acd_agent_state(f.acd, "bob", AGENT_AVAILABLE, "t"), 0);

	TEST_EQ_INT(new_callback(f.st, id, "+33123456789"), 0);
	acd_callback_added(f.acd, id);
	spin();
	TEST_EQ_STR(f.rec.agent, "sip:alice@127.0.0.1:5070");
	ev(f.acd, id, ACD_EV_ANSWERED, "customer", NULL, 200);

	/* alice does not answer: away (1 miss allowed), bob is offered the
	 * customer who stays on hold */
	ev(f.acd, id, ACD_EV_LEG_FAILED, "agent", "no_answer", 408);
	spin();
	agent_state(f.st, "alice", &ag);
	TEST_EQ_STR(ag.state, "away");
	TEST_ASSERT(strstr(ag.reason, "missed 1 offer") != NULL);
	TEST_EQ_INT(f.rec.offers, 1);
	TEST_EQ_STR(f.rec.agent, "sip:bob@127.0.0.1:5072");
	TEST_EQ_INT(cb_state(f.st, id, &r), 0);
	TEST_EQ_STR(r.status, "on_hold");
	TEST_EQ_STR(r.agent, "bob");

	/* the customer gives up while on hold: abandoned, bob freed */
	ev(f.acd, id, ACD_EV_ENDED, "customer", "customer_hangup", 0);
	TEST_EQ_INT(cb_state(f.st, id, &r), 0);
	TEST_EQ_STR(r.status, "abandoned");
	agent_state(f.st, "bob", &ag);
	TEST_EQ_STR(ag.state, "available");

	/* a call in flight when the process dies: interrupted, retried */
	TEST_EQ_INT(new_callback(f.st, id2, "+33555555555"), 0);
	acd_callback_added(f.acd, id2);
	spin();
	TEST_EQ_INT(cb_state(f.st, id2, &r), 0);
	TEST_EQ_STR(r.status, "dialing");
	f.acd = mem_deref(f.acd);    /* "crash": nothing more recorded */

	FIX(fix_start(&f, false));    /* no dialer this time */
	TEST_EQ_INT(cb_state(f.st, id2, &r), 0);
	TEST_EQ_STR(r.status, "scheduled");
	TEST_EQ_STR(r.last_event, "retry_scheduled");
	TEST_EQ_INT(r.attempts, 1);
	agent_state(f.st, "bob", &ag);
	TEST_EQ_STR(ag.state, "available");

	fix_close(&f);

	return 0;
}


/* A queued callback of a business that is closed now (a retry landing
 * after hours, say) is not dialed: it waits for the opening. */
TEST(acd_never_calls_outside_hours)
{
	struct fix f;
	struct business *b = NULL;
	struct cbres r;
	char hours[64];
	const char *id = "cb_0000000000050000000000000000000000e";
	static const char *const days[] = {"mon", "tue", "wed", "thu", "fri",
					   "sat", "sun"};
	int64_t now = time_now_ms(), until = 0;
	int perr = 0;
	int wd;

	FIX(fix_open(&f));

	/* open only tomorrow (UTC), 09:00-10:00 */
	wd = (int)(((now / 86400000) + 3 + 1) % 7);   /* 1970-01-01: thu */
	re_snprintf(hours, sizeof(hours), "%s 09:00-10:00", days[wd]);
	TEST_EQ_INT(business_alloc(&b), 0);
	store_obj_set(b, &store_businesses, "id", "acme");
	store_obj_set(b, &store_businesses, "country", "33");
	store_obj_set(b, &store_businesses, "hours", hours);
	store_put(f.st, &store_businesses, b, true, done_h, &perr);
	mem_deref(b);
	store_flush(f.st);
	TEST_EQ_INT(perr, 0);

	FIX(fix_start(&f, true));
	TEST_EQ_INT(acd_agent_state(f.acd, "alice", AGENT_AVAILABLE, "t"), 0);

	TEST_EQ_INT(new_callback(f.st, id, "+33123456789"), 0);
	acd_callback_added(f.acd, id);
	spin();
	spin();

	TEST_EQ_INT(f.rec.originates, 0);
	TEST_EQ_INT(cb_state(f.st, id, &r), 0);
	TEST_EQ_STR(r.status, "scheduled");
	TEST_EQ_STR(r.last_event, "outside_hours");
	TEST_EQ_INT(r.scheduled_for,
		    (now / 86400000 + 1) * 86400000 + 9 * 3600000);
	TEST_EQ_INT(acd_why(f.acd, id, &until), ACD_WAIT_HOURS);
	TEST_EQ_INT(until, r.scheduled_for);

	fix_close(&f);

	return 0;
}


/* A remote dialer's link: nothing dispatched while it is down, every
 * agent's credentials sent again when it is up, and a call the link lost
 * is interrupted and retried, its agent freed (the remote port's
 * contract, src/app/remote.c). */
TEST(acd_dialer_lost)
{
	struct fix f;
	struct cbres r;
	struct agres ag;
	struct acd_eta_basis eb;
	const char *id = "cb_0000000000050000000000000000000000e";
	const char *id2 = "cb_0000000000060000000000000000000000f";

	FIX(fix_open(&f));
	f.d.agent_set = rec_agent_set;
	FIX(fix_start(&f, false));

	/* set while down: no credentials into the void, no dispatch */
	acd_dialer_ready(f.acd, false);
	acd_set_dialer(f.acd, &f.d);
	TEST_EQ_INT(f.rec.agent_sets, 0);
	TEST_EQ_INT(acd_agent_state(f.acd, "alice", AGENT_AVAILABLE, "t"), 0);
	TEST_EQ_INT(new_callback(f.st, id, "+33123456789"), 0);
	acd_callback_added(f.acd, id);
	spin();
	TEST_EQ_INT(f.rec.originates, 0);
	TEST_EQ_INT(cb_state(f.st, id, &r), 0);
	TEST_EQ_STR(r.status, "queued");
	TEST_EQ_INT(acd_eta_s(f.acd, "acme", 1), -1);
	acd_eta_basis(f.acd, "acme", &eb);
	TEST_ASSERT(!eb.known);
	TEST_EQ_INT(acd_eta_at(&eb, 1), -1);

	/* up: both agents' credentials, then the call */
	acd_dialer_ready(f.acd, true);
	spin();
	TEST_EQ_INT(f.rec.agent_sets, 2);
	TEST_EQ_INT(f.rec.originates, 1);
	/* the copy a store's thread computes from says what the ACD says */
	acd_eta_basis(f.acd, "acme", &eb);
	TEST_ASSERT(eb.known);
	TEST_EQ_INT(acd_eta_at(&eb, 3), acd_eta_s(f.acd, "acme", 3));
	TEST_ASSERT(acd_eta_at(&eb, 3) >= 0);
	ev(f.acd, id, ACD_EV_ANSWERED, "customer", NULL, 200);
	ev(f.acd, id, ACD_EV_BRIDGED, NULL, NULL, 0);
	agent_state(f.st, "alice", &ag);
	TEST_EQ_STR(ag.state, "on_call");

	/* the link is lost mid-call */
	acd_dialer_ready(f.acd, false);
	ev(f.acd, id, ACD_EV_INTERRUPTED, NULL, "dialer_lost", 0);
	TEST_EQ_INT(cb_state(f.st, id, &r), 0);
	TEST_EQ_STR(r.status, "scheduled");
	TEST_EQ_STR(r.last_event, "retry_scheduled");
	TEST_EQ_INT(r.attempts, 1);
	agent_state(f.st, "alice", &ag);
	TEST_EQ_STR(ag.state, "available");
	TEST_EQ_STR(ag.reason, "dialer lost");

	/* a report for it again changes nothing: it is not in a call */
	ev(f.acd, id, ACD_EV_INTERRUPTED, NULL, "dialer_lost", 0);
	TEST_EQ_INT(cb_state(f.st, id, &r), 0);
	TEST_EQ_STR(r.status, "scheduled");

	/* while down, a new callback waits; once up it is called, and a
	 * loss while dialing is an interruption too */
	TEST_EQ_INT(new_callback(f.st, id2, "+33555555555"), 0);
	acd_callback_added(f.acd, id2);
	spin();
	TEST_EQ_INT(f.rec.originates, 1);
	acd_dialer_ready(f.acd, true);
	spin();
	TEST_EQ_INT(f.rec.agent_sets, 4);
	TEST_EQ_INT(f.rec.originates, 2);
	TEST_EQ_STR(f.rec.id, id2);
	ev(f.acd, id2, ACD_EV_INTERRUPTED, NULL, "dialer_lost", 0);
	TEST_EQ_INT(cb_state(f.st, id2, &r), 0);
	TEST_EQ_STR(r.status, "scheduled");
	agent_state(f.st, "alice", &ag);
	TEST_EQ_STR(ag.state, "available");

	fix_close(&f);

	return 0;
}


/*
 * Agent first with accept_timeout: the offer waits on the desk, nothing
 * dialed; Accept dials; the countdown running out gives the callback to
 * the next agent (a missed offer); Decline too (not a miss). No attempt
 * is spent by an offer that was not accepted.
 */
TEST(acd_accept_on_the_desk)
{
	struct fix f;
	struct business *b = NULL;
	struct cbres r;
	struct agres ag;
	int perr = 0;
	int64_t left;
	const char *id = "cb_0000000000070000000000000000000000g";
	const char *id2 = "cb_0000000000080000000000000000000000h";
	const char *id3 = "cb_0000000000090000000000000000000000i";
	int64_t t_declined;
	char who[32];

	FIX(fix_open(&f));
	TEST_EQ_INT(cfg_set(f.cfg, "max_missed_offers", "3"), 0);
	TEST_EQ_INT(cfg_set(f.cfg, "reoffer_after", "3"), 0);
	TEST_EQ_INT(business_alloc(&b), 0);
	store_obj_set(b, &store_businesses, "id", "acme");
	store_obj_set(b, &store_businesses, "country", "33");
	store_obj_set(b, &store_businesses, "dial_mode", "agent_first");
	/* 1 s: the API asks for 5 at least, the store allows 1 */
	store_obj_set(b, &store_businesses, "accept_timeout", "1");
	store_put(f.st, &store_businesses, b, true, done_h, &perr);
	mem_deref(b);
	store_flush(f.st);
	TEST_EQ_INT(perr, 0);

	FIX(fix_start(&f, true));
	TEST_EQ_INT(acd_agent_state(f.acd, "alice", AGENT_AVAILABLE, "t"), 0);
	TEST_EQ_INT(acd_agent_state(f.acd, "bob", AGENT_AVAILABLE, "t"), 0);

	/* offered to alice (longest idle): reserved, nothing dialed */
	TEST_EQ_INT(new_callback(f.st, id, "+33123456789"), 0);
	acd_callback_added(f.acd, id);
	spin();
	TEST_EQ_INT(f.rec.originates, 0);
	TEST_EQ_INT(f.rec.offers, 0);
	TEST_EQ_INT(cb_state(f.st, id, &r), 0);
	TEST_EQ_STR(r.status, "queued");
	TEST_EQ_STR(r.agent, "alice");
	TEST_EQ_STR(r.last_event, "offered");
	TEST_EQ_INT(r.attempts, 0);
	agent_state(f.st, "alice", &ag);
	TEST_EQ_STR(ag.state, "offered");
	left = acd_offer_left_ms(f.acd, id, "alice");
	TEST_ASSERT(left > 0 && left <= 1000);
	TEST_EQ_INT(acd_offer_left_ms(f.acd, id, "bob"), -1);

	/* only alice may accept; then it is dialed, once */
	TEST_EQ_INT(acd_accept(f.acd, id, "bob"), EPERM);
	TEST_EQ_INT(acd_accept(f.acd, "cb_nope", "alice"), ENOENT);
	TEST_EQ_INT(acd_accept(f.acd, id, "alice"), 0);
	TEST_EQ_INT(acd_accept(f.acd, id, "alice"), EBUSY);
	TEST_ASSERT(acd_decline(f.acd, id, "alice") != 0);  /* accepted */
	spin();
	TEST_EQ_INT(f.rec.originates, 1);
	TEST_EQ_STR(f.rec.id, id);
	TEST_EQ_STR(f.rec.mode, "agent_first");
	TEST_EQ_STR(f.rec.agent, "sip:alice@127.0.0.1:5070");
	TEST_EQ_INT(acd_offer_left_ms(f.acd, id, "alice"), -1);
	TEST_EQ_INT(cb_state(f.st, id, &r), 0);
	TEST_EQ_STR(r.status, "dialing");
	TEST_EQ_INT(r.attempts, 1);
	TEST_ASSERT(strstr(r.events, "offered dialing accepted") != NULL);

	/* the countdown is over: no timeout after the accept */
	spin_ms(1300);
	TEST_EQ_INT(cb_state(f.st, id, &r), 0);
	TEST_EQ_STR(r.status, "dialing");
	TEST_ASSERT(strstr(r.events, "offer_timeout") == NULL);
	agent_state(f.st, "alice", &ag);
	TEST_EQ_STR(ag.state, "offered");

	ev(f.acd, id, ACD_EV_ANSWERED, "agent", NULL, 200);
	ev(f.acd, id, ACD_EV_ANSWERED, "customer", NULL, 200);
	ev(f.acd, id, ACD_EV_BRIDGED, NULL, NULL, 0);
	ev(f.acd, id, ACD_EV_ENDED, NULL, "agent_hangup", 200);
	TEST_EQ_INT(cb_state(f.st, id, &r), 0);
	TEST_EQ_STR(r.status, "completed");
	spin();
	agent_state(f.st, "alice", &ag);
	TEST_EQ_STR(ag.state, "available");

	/* the next one goes to bob, who lets the countdown run out: a
	 * missed offer, and alice gets it, still nothing dialed */
	TEST_EQ_INT(new_callback(f.st, id2, "+33987654321"), 0);
	acd_callback_added(f.acd, id2);
	spin();
	TEST_EQ_INT(cb_state(f.st, id2, &r), 0);
	TEST_EQ_STR(r.agent, "bob");
	agent_state(f.st, "bob", &ag);
	TEST_EQ_STR(ag.state, "offered");
	spin_ms(1200);
	agent_state(f.st, "bob", &ag);
	TEST_EQ_STR(ag.state, "available");
	TEST_EQ_STR(ag.reason, "offer missed");
	TEST_EQ_INT(cb_state(f.st, id2, &r), 0);
	TEST_EQ_STR(r.status, "queued");
	TEST_EQ_STR(r.agent, "alice");
	TEST_EQ_INT(r.attempts, 0);
	TEST_ASSERT(strstr(r.events, "offered offer_timeout offered") !=
		    NULL);
	TEST_EQ_INT(f.rec.originates, 1);
	TEST_EQ_INT(acd_accept(f.acd, id2, "bob"), EBUSY);   /* too late */

	/* alice declines: back in the queue, not a miss, nothing dialed;
	 * both were tried this attempt, so it waits */
	TEST_EQ_INT(acd_decline(f.acd, id2, "alice"), 0);
	TEST_EQ_INT(acd_accept(f.acd, id2, "alice"), EBUSY);
	spin();
	agent_state(f.st, "alice", &ag);
	TEST_EQ_STR(ag.state, "available");
	TEST_EQ_STR(ag.reason, "declined");
	TEST_EQ_INT(cb_state(f.st, id2, &r), 0);
	TEST_EQ_STR(r.status, "queued");
	TEST_EQ_STR(r.agent, "");
	TEST_EQ_STR(r.last_event, "declined");
	TEST_EQ_INT(r.attempts, 0);
	TEST_EQ_INT(f.rec.originates, 1);
	t_declined = time_now_ms();

	/* the customer cancels while a third offer waits: the agent is
	 * free at once, not a miss, and no countdown fires after */
	TEST_EQ_INT(new_callback(f.st, id3, "+33111111111"), 0);
	acd_callback_added(f.acd, id3);
	spin();
	TEST_EQ_INT(cb_state(f.st, id3, &r), 0);
	TEST_EQ_STR(r.last_event, "offered");
	str_bcpy(who, r.agent, sizeof(who));
	TEST_ASSERT(!strcmp(who, "alice") || !strcmp(who, "bob"));
	TEST_EQ_INT(store_callback_cancel(f.st, id3, id3, cancel_h, &r), 0);
	store_flush(f.st);
	TEST_EQ_STR(r.status, "canceled");
	TEST_ASSERT(r.canceled);
	acd_callback_canceled(f.acd, id3);
	spin_ms(1200);
	agent_state(f.st, who, &ag);
	TEST_EQ_STR(ag.state, "available");
	TEST_EQ_STR(ag.reason, "offer withdrawn");
	TEST_EQ_INT(cb_state(f.st, id3, &r), 0);
	TEST_EQ_STR(r.status, "canceled");
	TEST_ASSERT(strstr(r.events, "offer_timeout") == NULL);
	TEST_EQ_INT(acd_accept(f.acd, id3, who), ENOENT);
	TEST_EQ_INT(f.rec.originates, 1);

	/* id2 had both agents this attempt: after reoffer_after (3 s) a
	 * new round offers it again, not before */
	TEST_EQ_INT(cb_state(f.st, id2, &r), 0);
	TEST_EQ_STR(r.last_event, "declined");
	while (time_now_ms() - t_declined < 3300)
		spin_ms(100);
	TEST_EQ_INT(cb_state(f.st, id2, &r), 0);
	TEST_EQ_STR(r.status, "queued");
	TEST_EQ_STR(r.last_event, "offered");
	TEST_ASSERT(strstr(r.events, "declined offered") != NULL);
	TEST_EQ_INT(r.attempts, 0);

	fix_close(&f);

	return 0;
}


/* Positions follow the queue as callbacks join, are canceled and leave
 * it for a call, without the store. */
TEST(acd_position_follows_the_queue)
{
	struct fix f;
	static const char *const ids[] = {
		"cb_0000000000010000000000000000000000p",
		"cb_0000000000020000000000000000000000p",
		"cb_0000000000030000000000000000000000p",
		"cb_0000000000040000000000000000000000p",
		"cb_0000000000050000000000000000000000p",
	};
	char phone[16];
	size_t i;

	FIX(fix_open(&f));
	for (i = 0; i < 4; i++) {
		re_snprintf(phone, sizeof(phone), "+3312345670%zu", i);
		TEST_EQ_INT(new_callback(f.st, ids[i], phone), 0);
	}
	FIX(fix_start(&f, true));

	/* loaded at start, in the order first asked */
	for (i = 0; i < 4; i++)
		TEST_EQ_INT(acd_position(f.acd, ids[i]), (int64_t)i + 1);
	TEST_EQ_INT(acd_position(f.acd, "cb_none"), 0);
	TEST_EQ_INT(acd_position(NULL, ids[0]), -1);

	/* the second is canceled: those behind move up */
	acd_callback_canceled(f.acd, ids[1]);
	TEST_EQ_INT(acd_position(f.acd, ids[1]), 0);
	TEST_EQ_INT(acd_position(f.acd, ids[0]), 1);
	TEST_EQ_INT(acd_position(f.acd, ids[2]), 2);
	TEST_EQ_INT(acd_position(f.acd, ids[3]), 3);

	/* a new one joins at the end */
	TEST_EQ_INT(new_callback(f.st, ids[4], "+33123456709"), 0);
	acd_callback_added(f.acd, ids[4]);
	spin();
	TEST_EQ_INT(acd_position(f.acd, ids[4]), 4);

	/* the first is dialed: out of the queue, the others move up */
	TEST_EQ_INT(acd_agent_state(f.acd, "alice", AGENT_AVAILABLE, "test"),
		    0);
	spin();
	TEST_EQ_INT(f.rec.originates, 1);
	TEST_EQ_STR(f.rec.id, ids[0]);
	TEST_EQ_INT(acd_position(f.acd, ids[0]), 0);
	TEST_EQ_INT(acd_position(f.acd, ids[2]), 1);
	TEST_EQ_INT(acd_position(f.acd, ids[3]), 2);
	TEST_EQ_INT(acd_position(f.acd, ids[4]), 3);

	fix_close(&f);

	return 0;
}


/* Another node's intake reaches the leader's ACD only through the store:
 * acd_resync adds what it does not know, drops what is no longer open,
 * and changes nothing when read again. */
TEST(acd_resync_takes_another_nodes_intake)
{
	struct fix f;
	static const char *const ids[] = {
		"cb_0000000000010000000000000000000000r",
		"cb_0000000000020000000000000000000000r",
		"cb_0000000000030000000000000000000000r",
	};
	struct cbres r;

	FIX(fix_open(&f));
	TEST_EQ_INT(new_callback(f.st, ids[0], "+33123456701"), 0);
	FIX(fix_start(&f, false));
	TEST_EQ_INT(acd_position(f.acd, ids[0]), 1);

	/* two made on another node: unknown here until the resync */
	TEST_EQ_INT(new_callback(f.st, ids[1], "+33123456702"), 0);
	TEST_EQ_INT(new_callback(f.st, ids[2], "+33123456703"), 0);
	TEST_EQ_INT(acd_position(f.acd, ids[1]), 0);
	acd_resync(f.acd);
	acd_resync(f.acd);         /* on its way: one more after it */
	spin();
	TEST_EQ_INT(acd_position(f.acd, ids[0]), 1);
	TEST_EQ_INT(acd_position(f.acd, ids[1]), 2);
	TEST_EQ_INT(acd_position(f.acd, ids[2]), 3);

	/* the second canceled on another node: gone, the third moves up */
	TEST_EQ_INT(store_callback_cancel(f.st, ids[1], ids[1], cancel_h,
					  &r), 0);
	store_flush(f.st);
	TEST_ASSERT(r.canceled);
	TEST_EQ_INT(acd_position(f.acd, ids[1]), 2);
	acd_resync(f.acd);
	spin();
	TEST_EQ_INT(acd_position(f.acd, ids[1]), 0);
	TEST_EQ_INT(acd_position(f.acd, ids[2]), 2);

	/* nothing new: the same queue */
	acd_resync(f.acd);
	spin();
	TEST_EQ_INT(acd_position(f.acd, ids[0]), 1);
	TEST_EQ_INT(acd_position(f.acd, ids[2]), 2);
	TEST_EQ_INT(cb_state(f.st, ids[2], &r), 0);
	TEST_EQ_STR(r.status, "queued");

	fix_close(&f);

	return 0;
}


/* A notification names the callback: acd_resync_one reads that one,
 * adds it when another node took it in, drops it when another node
 * canceled it, and ignores an id the store does not have. */
TEST(acd_resync_one_reads_the_named_callback)
{
	struct fix f;
	static const char *const ids[] = {
		"cb_0000000000010000000000000000000000o",
		"cb_0000000000020000000000000000000000o",
	};
	struct cbres r;

	FIX(fix_open(&f));
	TEST_EQ_INT(new_callback(f.st, ids[0], "+33123456701"), 0);
	FIX(fix_start(&f, false));

	TEST_EQ_INT(new_callback(f.st, ids[1], "+33123456702"), 0);
	TEST_EQ_INT(acd_position(f.acd, ids[1]), 0);
	acd_resync_one(f.acd, ids[1], CBS_ANY);
	spin();
	TEST_EQ_INT(acd_position(f.acd, ids[1]), 2);

	/* known already: read again, nothing changes */
	acd_resync_one(f.acd, ids[1], CBS_ANY);
	acd_resync_one(f.acd, "cb_0000000000090000000000000000000000o",
		       CBS_ANY);
	spin();
	TEST_EQ_INT(acd_position(f.acd, ids[0]), 1);
	TEST_EQ_INT(acd_position(f.acd, ids[1]), 2);

	/* the first canceled on another node */
	TEST_EQ_INT(store_callback_cancel(f.st, ids[0], ids[0], cancel_h,
					  &r), 0);
	store_flush(f.st);
	TEST_ASSERT(r.canceled);
	TEST_EQ_INT(acd_position(f.acd, ids[0]), 1);
	acd_resync_one(f.acd, ids[0], CBS_ANY);
	spin();
	TEST_EQ_INT(acd_position(f.acd, ids[0]), 0);
	TEST_EQ_INT(acd_position(f.acd, ids[1]), 1);

	fix_close(&f);

	return 0;
}


/* The notification's status spares the reads that could change
 * nothing: a callback still waiting by it is not read (the truth comes
 * with the next full read), nor one unknown here that is not waiting. */
TEST(acd_resync_one_reads_only_what_could_change)
{
	struct fix f;
	static const char *const ids[] = {
		"cb_0000000000010000000000000000000000h",
		"cb_0000000000020000000000000000000000h",
	};
	struct cbres r;

	FIX(fix_open(&f));
	TEST_EQ_INT(new_callback(f.st, ids[0], "+33123456701"), 0);
	FIX(fix_start(&f, false));

	/* withdrawn on another node, but the notification says queued
	 * (as its making's did): not read, kept */
	TEST_EQ_INT(store_callback_cancel(f.st, ids[0], ids[0], cancel_h,
					  &r), 0);
	store_flush(f.st);
	TEST_ASSERT(r.canceled);
	acd_resync_one(f.acd, ids[0], CBS_QUEUED);
	spin();
	TEST_EQ_INT(acd_position(f.acd, ids[0]), 1);
	acd_resync_one(f.acd, ids[0], CBS_CANCELED);
	spin();
	TEST_EQ_INT(acd_position(f.acd, ids[0]), 0);

	/* made on another node, told dialing: nothing to add, not read */
	TEST_EQ_INT(new_callback(f.st, ids[1], "+33123456702"), 0);
	acd_resync_one(f.acd, ids[1], CBS_DIALING);
	spin();
	TEST_EQ_INT(acd_position(f.acd, ids[1]), 0);
	acd_resync_one(f.acd, ids[1], CBS_QUEUED);
	spin();
	TEST_EQ_INT(acd_position(f.acd, ids[1]), 1);

	fix_close(&f);

	return 0;
}


static void keep_h(int err, const struct callback *cb, void *arg)
{
	struct callback **cbp = arg;

	if (!err)
		*cbp = mem_ref((struct callback *)cb);
}


/* A callback linked after a full read was asked for is newer than that
 * read, whatever one-callback reads were asked for in between: the full
 * read not finding it open does not drop it. */
TEST(acd_resync_full_read_keeps_what_came_after_it)
{
	struct fix f;
	static const char *const ids[] = {
		"cb_0000000000010000000000000000000000f",
		"cb_0000000000020000000000000000000000f",
	};
	struct callback *cb = NULL;
	struct cbres r;

	FIX(fix_open(&f));
	TEST_EQ_INT(new_callback(f.st, ids[0], "+33123456701"), 0);
	FIX(fix_start(&f, false));

	/* the second, as memory will have it; the store then says it is
	 * withdrawn, so that the full read does not find it open */
	TEST_EQ_INT(new_callback(f.st, ids[1], "+33123456702"), 0);
	TEST_EQ_INT(store_callback_get(f.st, ids[1], true, keep_h, &cb), 0);
	store_flush(f.st);
	TEST_ASSERT(cb != NULL);
	TEST_EQ_INT(store_callback_cancel(f.st, ids[1], ids[1], cancel_h,
					  &r), 0);
	store_flush(f.st);
	TEST_ASSERT(r.canceled);

	acd_resync(f.acd);
	acd_callback_new(f.acd, cb, NULL);
	acd_resync_one(f.acd, ids[0], CBS_ANY);
	spin();
	TEST_EQ_INT(acd_position(f.acd, ids[0]), 1);
	TEST_EQ_INT(acd_position(f.acd, ids[1]), 2);

	mem_deref(cb);
	fix_close(&f);

	return 0;
}


/* More open callbacks than the start-up once loaded (100,000, silently):
 * every one is in the queue, the last at its place. The rows are made
 * with SQLite directly, in one statement. */
TEST(acd_start_loads_every_open_callback)
{
	struct fix f;
	enum { N = 100010 };
	sqlite3 *db = NULL;
	char sql[768], last[40];
	int rc;

	FIX(fix_open(&f));

	TEST_EQ_INT(sqlite3_open(f.url + 7, &db), SQLITE_OK);
	re_snprintf(sql, sizeof(sql),
		    "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL"
		    " SELECT i + 1 FROM k WHERE i < %d)"
		    " INSERT INTO callbacks (id, business_id, phone, status,"
		    " created_at, updated_at)"
		    " SELECT printf('cb_%%012dAAAAAAAAAAAAAAAAAAAAAA', i),"
		    " 'acme', printf('+3310%%07d', i), 'queued',"
		    " 1700000000000 + i, 1700000000000 + i FROM k", N);
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	TEST_EQ_INT(rc, SQLITE_OK);

	FIX(fix_start(&f, false));

	re_snprintf(last, sizeof(last), "cb_%012dAAAAAAAAAAAAAAAAAAAAAA", N);
	TEST_EQ_INT(acd_position(f.acd, last), N);
	TEST_EQ_INT(acd_position(f.acd,
				 "cb_000000000001AAAAAAAAAAAAAAAAAAAAAA"), 1);

	fix_close(&f);

	return 0;
}


/* Like acd_rule_del and the others, acd_agent_del takes a NULL acd as
 * nothing to do (it used to read f.acd->agents before its NULL check). */
TEST(acd_agent_del_without_acd)
{
	acd_agent_del(NULL, "a1");
	acd_agent_del(NULL, NULL);

	return 0;
}


static int put_endpoint(struct store *st, const char *id,
			const char *endpoint)
{
	struct agent *a = NULL;
	int err = 0;

	if (agent_alloc(&a))
		return ENOMEM;
	store_obj_set(a, &store_agents, "id", id);
	store_obj_set(a, &store_agents, "login", id);
	store_obj_set(a, &store_agents, "password_hash", "x");
	store_obj_set(a, &store_agents, "businesses", "acme");
	store_obj_set(a, &store_agents, "endpoint", endpoint);
	store_obj_set(a, &store_agents, "wrap_up", "0");
	store_obj_set(a, &store_agents, "idle_since", "1000");
	store_put(st, &store_agents, a, true, done_h, &err);
	mem_deref(a);
	store_flush(st);

	return err;
}


/*
 * Nobody waits for nothing: an available softphone agent whose phone is
 * not registered is not reserved (the customer is not called); once the
 * agent's leg fails for a reason of the phone, the agent is set away at
 * once with it, and the customer on hold goes to the next agent, or,
 * with nobody left, hears goodbye and is retried with the real reason.
 */
TEST(acd_unreachable_agent_never_holds_a_customer)
{
	struct fix f;
	struct cbres r;
	struct agres ag;
	unsigned avail, working;
	const char *id = "cb_0000000000070000000000000000000000g";
	const char *id2 = "cb_0000000000080000000000000000000000h";

	FIX(fix_open(&f));
	f.d.agent_registered = rec_registered;
	f.d.release = rec_release;
	TEST_EQ_INT(put_endpoint(f.st, "alice", "registered"), 0);
	FIX(fix_start(&f, true));

	/* alice's softphone is not registered: Available is refused */
	TEST_EQ_INT(acd_agent_state(f.acd, "alice", AGENT_AVAILABLE, "t"),
		    ENODEV);
	agent_state(f.st, "alice", &ag);
	TEST_EQ_STR(ag.state, "offline");

	/* available while registered, then the registration lapses:
	 * nobody is called, and the business has nobody working */
	f.rec.registered = true;
	TEST_EQ_INT(acd_agent_state(f.acd, "alice", AGENT_AVAILABLE, "t"), 0);
	f.rec.registered = false;
	TEST_EQ_INT(new_callback(f.st, id, "+33123456789"), 0);
	acd_callback_added(f.acd, id);
	spin();
	TEST_EQ_INT(f.rec.originates, 0);
	TEST_ASSERT(!acd_agent_reachable(f.acd, "alice"));
	TEST_ASSERT(acd_agent_reachable(f.acd, "bob"));   /* a fixed URI */
	acd_business_staff(f.acd, "acme", &avail, &working);
	TEST_EQ_INT(avail, 0);
	TEST_EQ_INT(working, 0);
	TEST_EQ_INT(acd_eta_s(f.acd, "acme", 1), -1);

	/* it registers: the call goes out at once */
	f.rec.registered = true;
	acd_agent_registered(f.acd, "alice");
	spin();
	TEST_EQ_INT(f.rec.originates, 1);
	TEST_EQ_STR(f.rec.agent, "registered");
	ev(f.acd, id, ACD_EV_ANSWERED, "customer", NULL, 200);

	/* the registration lapsed meanwhile: the agent leg fails; alice is
	 * away with the reason at once (no second try), and with nobody
	 * else working the held customer is told goodbye, not held */
	f.rec.registered = false;
	ev(f.acd, id, ACD_EV_LEG_FAILED, "agent", "no_agent", 0);
	spin();
	agent_state(f.st, "alice", &ag);
	TEST_EQ_STR(ag.state, "away");
	TEST_EQ_STR(ag.reason, "your phone is not registered");
	TEST_EQ_INT(f.rec.releases, 1);
	TEST_EQ_INT(f.rec.offers, 0);
	TEST_EQ_INT(cb_state(f.st, id, &r), 0);
	TEST_EQ_STR(r.status, "on_hold");
	TEST_ASSERT(strstr(r.data, "\"reason\":\"no_agent\"") != NULL);

	/* the dialer plays goodbye and ends the call: a retry, with the
	 * real reason */
	ev(f.acd, id, ACD_EV_ENDED, "customer", "no_agent", 0);
	TEST_EQ_INT(cb_state(f.st, id, &r), 0);
	TEST_EQ_STR(r.status, "scheduled");
	TEST_EQ_STR(r.last_event, "retry_scheduled");
	TEST_EQ_STR(r.ended_reason, "no_agent");
	TEST_EQ_INT(f.rec.releases, 1);

	/* alice back with a phone that answers 503, bob available: the
	 * held customer goes to bob at once, alice away with the reason */
	f.rec.registered = true;
	TEST_EQ_INT(acd_agent_state(f.acd, "alice", AGENT_AVAILABLE, "t"), 0);
	TEST_EQ_INT(acd_agent_state(f.acd, "bob", AGENT_AVAILABLE, "t"), 0);
	TEST_EQ_INT(new_callback(f.st, id2, "+33555555555"), 0);
	acd_callback_added(f.acd, id2);
	spin();
	TEST_EQ_INT(f.rec.originates, 2);
	TEST_EQ_STR(f.rec.id, id2);
	ev(f.acd, id2, ACD_EV_ANSWERED, "customer", NULL, 200);
	ev(f.acd, id2, ACD_EV_LEG_FAILED, "agent", "unreachable", 503);
	spin();
	agent_state(f.st, "alice", &ag);
	TEST_EQ_STR(ag.state, "away");
	TEST_EQ_STR(ag.reason, "your phone cannot be reached (SIP 503)");
	TEST_EQ_INT(f.rec.offers, 1);
	TEST_EQ_STR(f.rec.agent, "sip:bob@127.0.0.1:5072");
	TEST_EQ_INT(f.rec.releases, 1);

	/* bob's phone says 480: away too, and nobody is left */
	ev(f.acd, id2, ACD_EV_LEG_FAILED, "agent", "no_answer", 480);
	spin();
	agent_state(f.st, "bob", &ag);
	TEST_EQ_STR(ag.state, "away");
	TEST_EQ_STR(ag.reason, "your phone says it is unavailable (SIP 480)");
	TEST_EQ_INT(f.rec.releases, 2);

	/* without the dialer's release, a hangup; the end still names
	 * no_agent */
	ev(f.acd, id2, ACD_EV_ENDED, NULL, "system_hangup", 0);
	TEST_EQ_INT(cb_state(f.st, id2, &r), 0);
	TEST_EQ_STR(r.status, "scheduled");
	TEST_EQ_STR(r.ended_reason, "no_agent");

	fix_close(&f);

	return 0;
}


/* A ring without answer is a miss, as before: the person may be back
 * for the next one; with agents busy on calls, the held customer waits
 * for them (not told goodbye). */
TEST(acd_missed_ring_keeps_the_agent_and_the_customer)
{
	struct fix f;
	struct agres ag;
	const char *id = "cb_0000000000090000000000000000000000i";
	const char *id2 = "cb_00000000000a0000000000000000000000j";

	FIX(fix_open(&f));
	f.d.agent_registered = rec_registered;
	f.d.release = rec_release;
	FIX(fix_start(&f, true));
	TEST_EQ_INT(acd_agent_state(f.acd, "alice", AGENT_AVAILABLE, "t"), 0);
	TEST_EQ_INT(acd_agent_state(f.acd, "bob", AGENT_AVAILABLE, "t"), 0);

	TEST_EQ_INT(new_callback(f.st, id, "+33123456789"), 0);
	acd_callback_added(f.acd, id);
	TEST_EQ_INT(new_callback(f.st, id2, "+33555555555"), 0);
	acd_callback_added(f.acd, id2);
	spin();
	TEST_EQ_INT(f.rec.originates, 2);
	ev(f.acd, id, ACD_EV_ANSWERED, "customer", NULL, 200);
	ev(f.acd, id2, ACD_EV_ANSWERED, "customer", NULL, 200);
	ev(f.acd, id2, ACD_EV_BRIDGED, NULL, NULL, 0);

	/* alice lets it ring: a miss (3 allowed), available; bob is on a
	 * call: the customer holds for them, no goodbye */
	ev(f.acd, id, ACD_EV_LEG_FAILED, "agent", "no_answer", 408);
	spin();
	agent_state(f.st, "alice", &ag);
	TEST_EQ_STR(ag.state, "available");
	TEST_EQ_STR(ag.reason, "offer missed");
	TEST_EQ_INT(f.rec.releases, 0);

	fix_close(&f);

	return 0;
}
