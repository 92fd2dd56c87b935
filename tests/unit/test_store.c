/*
 * The store against a real database (a SQLite file, or PostgreSQL: see
 * store_db.h): create, duplicates, idempotent replays, cancel, events,
 * and that a reopened store holds everything a handler was told was
 * committed.
 */
#include <stdlib.h>
#include <unistd.h>
#include <sqlite3.h>
#include <re.h>
#include "util/util.h"
#include "store/store.h"
#include "store/store_int.h"
#include "cfg/cfg.h"
#include "test.h"
#include "store_db.h"

struct result {
	int calls;
	int err;
	struct callback_created res;
	char answer[512];
	char status[16];
	char ev[8][16];
	size_t nev;
	int64_t position;
	size_t nintake;
	char id[ID_LEN];
	char canceled[ID_LEN];    /* a cancel: the callback it canceled */
};


static int answer_fmt(char **answerp, int *statusp,
		      const struct callback_created *res, void *arg)
{
	(void)arg;
	*statusp = res->outcome == CB_CREATED ? 202 : 200;

	return re_sdprintf(answerp, "{\"id\":\"%s\",\"status\":\"%s\"}",
			   res->id, res->status);
}


static void create_h(int err, const struct callback_created *res, void *arg)
{
	struct result *r = arg;

	r->calls++;
	r->err = err;
	if (res) {
		r->res = *res;
		r->res.answer = NULL;
		str_bcpy(r->answer, res->answer ? res->answer : "",
			 sizeof(r->answer));
	}
}


static void cb_h(int err, const struct callback *cb, void *arg)
{
	struct result *r = arg;
	size_t i;

	r->calls++;
	r->err = err;
	r->nev = 0;
	if (!cb)
		return;
	str_bcpy(r->id, cb->id, sizeof(r->id));
	str_bcpy(r->status, callback_status_name(cb->status),
		 sizeof(r->status));
	r->position = cb->position;
	for (i = 0; i < cb->nevents && i < 8; i++)
		str_bcpy(r->ev[r->nev++], cb->events[i].type, 16);
}


static void cancel_h(int err, const struct callback *cb,
		     const char *canceled, void *arg)
{
	struct result *r = arg;

	cb_h(err, cb, arg);
	str_bcpy(r->canceled, canceled ? canceled : "", sizeof(r->canceled));
}


static void done_h(int err, void *arg)
{
	struct result *r = arg;

	r->calls++;
	r->err = err;
}


static void intake_h(int err, const struct intake_row *v, size_t n,
		     void *arg)
{
	struct result *r = arg;

	r->calls++;
	r->err = err;
	r->nintake = n;
	if (n && (strcmp(v[0].business, "acme") ||
		  strcmp(v[0].phone, "+33123456789")))
		r->err = EBADMSG;
}


static void new_req(struct callback_new *r, const char *id,
		    const char *phone, const char *tokhash)
{
	memset(r, 0, sizeof(*r));
	str_bcpy(r->id, id, sizeof(r->id));
	str_bcpy(r->cancel_hash, tokhash, sizeof(r->cancel_hash));
	r->business = "acme";
	r->phone = phone;
	r->client_ip = "127.0.0.1";
	r->answerh = answer_fmt;
	r->now = time_now_ms();
}


static int put_business_id(struct store *st, const char *id)
{
	struct business *b;
	struct result r = {0};
	int err;

	err = business_alloc(&b);
	if (err)
		return err;
	err = store_obj_set(b, &store_businesses, "id", id);
	err |= store_obj_set(b, &store_businesses, "timezone",
			     "Europe/Paris");
	err |= store_obj_set(b, &store_businesses, "country", "33");
	if (!err)
		err = store_put(st, &store_businesses, b, true, done_h, &r);
	mem_deref(b);
	if (err)
		return err;
	store_flush(st);

	return r.calls == 1 ? r.err : EINVAL;
}


static int put_business(struct store *st)
{
	return put_business_id(st, "acme");
}


struct open_result {
	int calls;
	int err;
	size_t n;
	char id[12][16];
	int64_t pos[12];
};


static void open_h(int err, void *const *v, size_t n, void *arg)
{
	struct open_result *r = arg;
	size_t i;

	r->calls++;
	r->err = err;
	for (i = 0; i < n && r->n < 12; i++) {
		const struct callback *cb = v[i];

		str_bcpy(r->id[r->n], cb->id, sizeof(r->id[0]));
		r->pos[r->n++] = cb->position;
	}
}


/* Positions in the open list count per business, queued ones only,
 * whatever the businesses' callbacks interleave with. */
TEST(store_open_positions)
{
	static const struct {
		const char *id, *business, *phone;
		bool later;
		int64_t pos;
	} cbs[] = {
		{"cb_a1", "acme", "+33100000001", false, 1},
		{"cb_b1", "beta", "+33100000002", false, 1},
		{"cb_a2", "acme", "+33100000003", true, 0},
		{"cb_b2", "beta", "+33100000004", false, 2},
		{"cb_b3", "beta", "+33100000005", false, 3},
		{"cb_a3", "acme", "+33100000006", false, 2},
	};
	struct store *st = NULL;
	struct callback_new req;
	struct result cr[ARRAY_SIZE(cbs)];
	struct open_result r;
	char url[256];
	size_t i;

	memset(cr, 0, sizeof(cr));
	memset(&r, 0, sizeof(r));
	TEST_EQ_INT(test_store_open(&st, url, sizeof(url)), 0);
	TEST_EQ_INT(put_business_id(st, "acme"), 0);
	TEST_EQ_INT(put_business_id(st, "beta"), 0);

	for (i = 0; i < ARRAY_SIZE(cbs); i++) {
		new_req(&req, cbs[i].id, cbs[i].phone, cbs[i].id);
		req.business = cbs[i].business;
		req.now += (int64_t)i;   /* first asked in this order */
		if (cbs[i].later)
			req.scheduled_for = req.now + 3600000;
		TEST_EQ_INT(store_callback_create(st, &req, create_h,
						  &cr[i]), 0);
	}
	store_flush(st);

	TEST_EQ_INT(store_callbacks_open(st, 100, open_h, &r), 0);
	store_flush(st);
	TEST_EQ_INT(r.calls, 1);
	TEST_EQ_INT(r.err, 0);
	TEST_EQ_INT(r.n, ARRAY_SIZE(cbs));
	for (i = 0; i < ARRAY_SIZE(cbs); i++) {
		TEST_EQ_STR(r.id[i], cbs[i].id);
		TEST_EQ_INT(r.pos[i], cbs[i].pos);
	}

	mem_deref(st);
	test_store_rm(url);

	return 0;
}


TEST(store_create_duplicate_idempotency)
{
	struct store *st = NULL;
	struct callback_new req;
	struct result r1 = {0}, r2 = {0}, r3 = {0}, r4 = {0}, r5 = {0};
	char url[256];
	int err;

	err = test_store_open(&st, url, sizeof(url));
	TEST_EQ_INT(err, 0);
	TEST_EQ_INT(put_business(st), 0);

	/* handlers do not run before the batch does */
	new_req(&req, "cb_one", "+33123456789", "h1");
	TEST_EQ_INT(store_callback_create(st, &req, create_h, &r1), 0);
	TEST_EQ_INT(r1.calls, 0);

	/* same phone in the same batch: a request of its own, joined */
	new_req(&req, "cb_two", "+33123456789", "h2");
	TEST_EQ_INT(store_callback_create(st, &req, create_h, &r2), 0);

	/* another phone with an Idempotency-Key */
	new_req(&req, "cb_three", "+33987654321", "h3");
	req.idem_key = "k1";
	req.idem_fp = "fp1";
	TEST_EQ_INT(store_callback_create(st, &req, create_h, &r3), 0);

	/* same key, same request: the first answer */
	new_req(&req, "cb_four", "+33987654321", "h4");
	req.idem_key = "k1";
	req.idem_fp = "fp1";
	TEST_EQ_INT(store_callback_create(st, &req, create_h, &r4), 0);

	/* same key, different request */
	new_req(&req, "cb_five", "+33555555555", "h5");
	req.idem_key = "k1";
	req.idem_fp = "fp2";
	TEST_EQ_INT(store_callback_create(st, &req, create_h, &r5), 0);

	store_flush(st);

	TEST_EQ_INT(r1.calls, 1);
	TEST_EQ_INT(r1.err, 0);
	TEST_EQ_INT(r1.res.outcome, CB_CREATED);
	TEST_EQ_STR(r1.res.status, "queued");
	TEST_EQ_INT(r1.res.position, 1);

	TEST_EQ_INT(r2.err, 0);
	TEST_EQ_INT(r2.res.outcome, CB_JOINED);
	TEST_EQ_STR(r2.res.id, "cb_two");
	TEST_EQ_STR(r2.res.call_id, "cb_one");
	TEST_EQ_INT(r2.res.position, 2);

	TEST_EQ_INT(r3.res.outcome, CB_CREATED);
	TEST_EQ_INT(r3.res.position, 2);

	TEST_EQ_INT(r4.err, 0);
	TEST_EQ_INT(r4.res.outcome, CB_REPLAY);
	TEST_EQ_STR(r4.res.id, "cb_three");
	TEST_EQ_STR(r4.answer, "{\"id\":\"cb_three\",\"status\":\"queued\"}");
	TEST_EQ_INT(r4.res.answer_status, 202);

	TEST_EQ_INT(r5.err, 0);
	TEST_EQ_INT(r5.res.outcome, CB_KEY_MISMATCH);

	mem_deref(st);
	test_store_rm(url);

	return 0;
}


TEST(store_get_cancel_reopen)
{
	struct store *st = NULL;
	struct callback_new req;
	struct result r = {0}, g = {0}, c1 = {0}, c2 = {0}, c3 = {0};
	struct result c4 = {0}, in = {0};
	char url[256];
	int err;

	err = test_store_open(&st, url, sizeof(url));
	TEST_EQ_INT(err, 0);
	TEST_EQ_INT(put_business(st), 0);

	new_req(&req, "cb_a", "+33123456789", "hash-a");
	TEST_EQ_INT(store_callback_create(st, &req, create_h, &r), 0);
	store_flush(st);
	TEST_EQ_INT(r.err, 0);

	/* a reopened file holds what was acknowledged */
	st = mem_deref(st);
	err = store_open(&st, url, 100);
	TEST_EQ_INT(err, 0);

	TEST_EQ_INT(store_callback_get(st, "cb_a", true, cb_h, &g), 0);
	TEST_EQ_INT(store_callback_cancel(st, "cb_nope", "hash-a", cancel_h,
					  &c1), 0);
	TEST_EQ_INT(store_callback_cancel(st, "cb_a", "wrong", cancel_h, &c2),
		    0);
	TEST_EQ_INT(store_callback_cancel(st, "cb_a", "hash-a", cancel_h, &c3),
		    0);
	TEST_EQ_INT(store_callback_cancel(st, "cb_a", "hash-a", cancel_h, &c4),
		    0);
	TEST_EQ_INT(store_intake_since(st, 0, intake_h, &in), 0);
	store_flush(st);

	TEST_EQ_INT(g.err, 0);
	TEST_EQ_STR(g.status, "queued");
	TEST_EQ_INT(g.position, 0);   /* the ACD's to say (acd_position) */
	TEST_EQ_INT(g.nev, 1);
	TEST_EQ_STR(g.ev[0], "created");

	TEST_EQ_INT(c1.err, ENOENT);
	TEST_EQ_INT(c2.err, EPERM);
	TEST_EQ_INT(c3.err, 0);
	TEST_EQ_STR(c3.status, "canceled");
	TEST_EQ_STR(c3.canceled, "cb_a");
	TEST_EQ_INT(c3.nev, 2);
	TEST_EQ_STR(c3.ev[1], "canceled");
	TEST_EQ_INT(c4.err, EALREADY);
	TEST_EQ_STR(c4.status, "canceled");

	TEST_EQ_INT(in.err, 0);
	TEST_EQ_INT(in.nintake, 1);

	/* a canceled callback no longer blocks a new one for the phone */
	memset(&r, 0, sizeof(r));
	new_req(&req, "cb_b", "+33123456789", "hash-b");
	TEST_EQ_INT(store_callback_create(st, &req, create_h, &r), 0);
	store_flush(st);
	TEST_EQ_INT(r.res.outcome, CB_CREATED);
	TEST_EQ_INT(r.res.position, 1);

	mem_deref(st);
	test_store_rm(url);

	return 0;
}


/* a public event on a callback, as the ACD writes them */
static int add_public_event(struct store *st, const char *id,
			    const char *type)
{
	struct callback_change chg;
	struct result r = {0};
	int err;

	callback_change_init(&chg, id, time_now_ms());
	chg.status = CBS_QUEUED;
	chg.event = type;
	chg.event_public = true;
	err = store_callback_update(st, &chg, done_h, &r);
	if (err)
		return err;
	store_flush(st);

	return r.calls == 1 ? r.err : EINVAL;
}


static void get_req(struct store *st, const char *id, struct result *r)
{
	memset(r, 0, sizeof(*r));
	if (!store_request_get(st, id, cb_h, r))
		store_flush(st);
}


static void cancel(struct store *st, const char *id, const char *hash,
		   struct result *r)
{
	memset(r, 0, sizeof(*r));
	if (!store_callback_cancel(st, id, hash, cancel_h, r))
		store_flush(st);
}


struct intake_result {
	int calls;
	int err;
	size_t n;
	int64_t t[4];
	char phone[4][16];
	char ip[4][16];
};


static void intake_rows_h(int err, const struct intake_row *v, size_t n,
			  void *arg)
{
	struct intake_result *r = arg;
	size_t i;

	r->calls++;
	r->err = err;
	r->n = n;
	for (i = 0; i < n && i < 4; i++) {
		r->t[i] = v[i].t;
		str_bcpy(r->phone[i], v[i].phone, sizeof(r->phone[i]));
		str_bcpy(r->ip[i], v[i].ip, sizeof(r->ip[i]));
	}
}


static void intake(struct store *st, int64_t since, struct intake_result *r)
{
	memset(r, 0, sizeof(*r));
	if (!store_intake_since(st, since, intake_rows_h, r))
		store_flush(st);
}


/* The limits count every request answered with a callback, read back
 * from the callbacks and the requests joined to them (schema migration
 * 19): a joined request counts with its own time and address, a replay
 * does not count, and what is older than the window is not read. The
 * tokens of a callback and of a replay both cancel it. */
TEST(store_intake_counts_callbacks_and_joined)
{
	struct store *st = NULL;
	struct callback_new req;
	struct result a = {0}, j = {0}, rp = {0}, r = {0};
	struct intake_result in;
	const char *P = "+33123456789";
	int64_t t0 = 1700000000000;
	char url[256];
	int err;

	err = test_store_open(&st, url, sizeof(url));
	TEST_EQ_INT(err, 0);
	TEST_EQ_INT(put_business(st), 0);

	/* ids as api_new_id makes them: their time first */
	new_req(&req, "cb_018bcfe56800aaaa", P, "hash-a");
	req.now = t0;
	req.idem_key = "ka";
	req.idem_fp = "fpa";
	TEST_EQ_INT(store_callback_create(st, &req, create_h, &a), 0);
	new_req(&req, "cb_018bcfe56be8bbbb", P, "hash-j");
	req.now = t0 + 1000;
	req.client_ip = NULL;
	TEST_EQ_INT(store_callback_create(st, &req, create_h, &j), 0);
	new_req(&req, "cb_018bcfe56fd0cccc", P, "hash-r");
	req.now = t0 + 2000;
	req.idem_key = "ka";
	req.idem_fp = "fpa";
	TEST_EQ_INT(store_callback_create(st, &req, create_h, &rp), 0);
	store_flush(st);
	TEST_EQ_INT(a.res.outcome, CB_CREATED);
	TEST_EQ_INT(j.res.outcome, CB_JOINED);
	TEST_EQ_INT(rp.res.outcome, CB_REPLAY);

	intake(st, t0 - 60000, &in);
	TEST_EQ_INT(in.err, 0);
	TEST_EQ_INT(in.n, 2);
	TEST_EQ_INT(in.t[0], t0);
	TEST_EQ_STR(in.phone[0], P);
	TEST_EQ_STR(in.ip[0], "127.0.0.1");
	TEST_EQ_INT(in.t[1], t0 + 1000);
	TEST_EQ_STR(in.phone[1], P);
	TEST_EQ_STR(in.ip[1], "");
	intake(st, t0 + 1, &in);
	TEST_EQ_INT(in.n, 1);
	TEST_EQ_INT(in.t[0], t0 + 1000);
	intake(st, t0 + 1001, &in);
	TEST_EQ_INT(in.n, 0);

	/* the replay's token and the callback's own, each good */
	cancel(st, "cb_018bcfe56800aaaa", "hash-j", &r);
	TEST_EQ_INT(r.err, EPERM);
	cancel(st, "cb_018bcfe56800aaaa", "hash-r", &r);
	TEST_EQ_INT(r.err, 0);
	cancel(st, "cb_018bcfe56800aaaa", "hash-a", &r);
	TEST_EQ_INT(r.err, EALREADY);

	test_store_close(st, url);

	return 0;
}


static void limited_req(struct callback_new *r, const char *id,
			const char *phone, int64_t now)
{
	new_req(r, id, phone, "hash-l");
	r->now = now;
	r->limits[0].max = 2;
	r->limits[0].window_ms = 15 * 60000;
	r->limits[1].max = 3;
	r->limits[1].window_ms = 24 * 3600000;
}


/* The per-phone limits are counted in the create's transaction from the
 * rows every node writes (schema migration 21): a second store handle,
 * as another node, is refused once two requests for the number are in
 * the window, whether their callback is open or closed and whether they
 * made it or joined it; nothing is written then, the wait is when the
 * second newest leaves the window, a replay is still answered, another
 * number is not counted, and a day's limit is the second one's. */
TEST(store_phone_limit_in_the_transaction)
{
	struct store *st = NULL, *other = NULL;
	struct callback_new req;
	struct result a = {0}, j = {0}, l = {0}, r = {0};
	struct intake_result in;
	const char *P = "+33123456789", *Q = "+33123456780";
	int64_t t0 = 1700000000000, q15 = 15 * 60000;
	char url[256];
	int err;

	err = test_store_open(&st, url, sizeof(url));
	TEST_EQ_INT(err, 0);
	TEST_EQ_INT(put_business(st), 0);
	TEST_EQ_INT(store_open(&other, url, 100), 0);

	limited_req(&req, "cb_018bcfe56800aaaa", P, t0);
	req.idem_key = "ka";
	req.idem_fp = "fpa";
	TEST_EQ_INT(store_callback_create(st, &req, create_h, &a), 0);
	limited_req(&req, "cb_018bcfe56be8bbbb", P, t0 + 1000);
	TEST_EQ_INT(store_callback_create(st, &req, create_h, &j), 0);
	store_flush(st);
	TEST_EQ_INT(a.res.outcome, CB_CREATED);
	TEST_EQ_INT(j.res.outcome, CB_JOINED);

	/* the other node: its own memory counted nothing */
	limited_req(&req, "cb_018bcfe56fd0cccc", P, t0 + 2000);
	TEST_EQ_INT(store_callback_create(other, &req, create_h, &l), 0);
	store_flush(other);
	TEST_EQ_INT(l.err, 0);
	TEST_EQ_INT(l.res.outcome, CB_LIMITED);
	TEST_EQ_INT(l.res.retry_ms, t0 + q15 - (t0 + 2000));
	intake(st, t0 - 1, &in);
	TEST_EQ_INT(in.n, 2);

	/* a replay is answered; another number counts alone */
	memset(&l, 0, sizeof(l));
	limited_req(&req, "cb_018bcfe573b8dddd", P, t0 + 3000);
	req.idem_key = "ka";
	req.idem_fp = "fpa";
	TEST_EQ_INT(store_callback_create(other, &req, create_h, &l), 0);
	store_flush(other);
	TEST_EQ_INT(l.res.outcome, CB_REPLAY);
	memset(&l, 0, sizeof(l));
	limited_req(&req, "cb_018bcfe573b8eeee", Q, t0 + 3000);
	TEST_EQ_INT(store_callback_create(other, &req, create_h, &l), 0);
	store_flush(other);
	TEST_EQ_INT(l.res.outcome, CB_CREATED);

	/* closed (phone_history), the callback and its joined request
	 * still count */
	cancel(st, "cb_018bcfe56be8bbbb", "hash-l", &r);
	TEST_EQ_INT(r.err, 0);
	cancel(st, "cb_018bcfe56800aaaa", "hash-l", &r);
	TEST_EQ_INT(r.err, 0);
	memset(&l, 0, sizeof(l));
	limited_req(&req, "cb_018bcfe577a0ffff", P, t0 + 4000);
	TEST_EQ_INT(store_callback_create(other, &req, create_h, &l), 0);
	store_flush(other);
	TEST_EQ_INT(l.res.outcome, CB_LIMITED);
	TEST_EQ_INT(l.res.retry_ms, t0 + q15 - (t0 + 4000));

	/* the first left the window: one more counts (a callback of its
	 * own: the first is closed); then the day's
	 * limit (3) is the one reached, its wait the first's day */
	memset(&l, 0, sizeof(l));
	limited_req(&req, "cb_018bd08fa3000001", P, t0 + q15 + 500);
	TEST_EQ_INT(store_callback_create(other, &req, create_h, &l), 0);
	store_flush(other);
	TEST_EQ_INT(l.res.outcome, CB_CREATED);
	memset(&l, 0, sizeof(l));
	limited_req(&req, "cb_018bd0b98e000002", P, t0 + 3 * q15);
	TEST_EQ_INT(store_callback_create(other, &req, create_h, &l), 0);
	store_flush(other);
	TEST_EQ_INT(l.res.outcome, CB_LIMITED);
	TEST_EQ_INT(l.res.retry_ms, t0 + 24 * 3600000 - (t0 + 3 * q15));
	intake(st, t0 - 1, &in);
	TEST_EQ_INT(in.n, 4);

	mem_deref(other);
	test_store_close(st, url);

	return 0;
}


/* A SQLite file as the binary before schema migration 20 left it: a
 * callback whose token, "created" event and intake row are rows of their
 * own, written with that binary's statements. */
static int old_db(const char *path)
{
	static const char rows[] =
		"INSERT INTO businesses (id, name, timezone, country,"
		" created_at, updated_at) VALUES ('acme', 'Acme',"
		" 'Europe/Paris', 33, 1, 1);"
		"INSERT INTO callbacks (id, business_id, phone, status, open,"
		" created_at, updated_at, scheduled_for, page_url, name,"
		" client_ip) VALUES ('cb_018bcfe56800aaaa', 'acme',"
		" '+33123456789', 'queued', 1, 1700000000000, 1700000000000,"
		" 0, 'https://shop.example/', 'Ann', '10.1.2.3');"
		"INSERT INTO cancel_tokens VALUES ('cb_018bcfe56800aaaa',"
		" 'hash-old', 1700000000000);"
		"INSERT INTO events (callback_id, t, type, public, data)"
		" VALUES ('cb_018bcfe56800aaaa', 1700000000000, 'created', 1,"
		" '{\"status\":\"queued\"}');"
		"INSERT INTO intake_log VALUES (1700000000000, 'acme',"
		" '+33123456789', '10.1.2.3');"
		"PRAGMA user_version = 18;";
	const char *const *mig;
	sqlite3 *db = NULL;
	size_t n, i;
	int err = 0;

	mig = store_sqlite_migrations(&n);
	if (n < 18 || sqlite3_open(path, &db) != SQLITE_OK)
		err = EINVAL;
	for (i = 0; !err && i < 18; i++)
		err = sqlite3_exec(db, mig[i], NULL, NULL, NULL) ? EINVAL : 0;
	if (!err && sqlite3_exec(db, rows, NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "  %s\n", sqlite3_errmsg(db));
		err = EINVAL;
	}
	sqlite3_close(db);

	return err;
}


/* An older database migrates with its data (schema migration 20): the
 * callback reads the same, its token (a row of cancel_tokens) still
 * cancels it, and the limits still count it. */
TEST(store_migration_19_keeps_old_rows)
{
	char dir[] = "/tmp/beckon-mig-XXXXXX", url[256];
	const int64_t t0 = 1700000000000;
	struct store *st = NULL;
	struct result g = {0}, r = {0};
	struct intake_result in;

	TEST_ASSERT(mkdtemp(dir) != NULL);
	re_snprintf(url, sizeof(url), "sqlite:%s/t.db", dir);
	TEST_EQ_INT(old_db(url + 7), 0);
	TEST_EQ_INT(store_open(&st, url, 100), 0);

	TEST_EQ_INT(store_callback_get(st, "cb_018bcfe56800aaaa", true, cb_h,
				       &g), 0);
	store_flush(st);
	TEST_EQ_INT(g.err, 0);
	TEST_EQ_STR(g.status, "queued");
	TEST_EQ_INT(g.nev, 1);
	TEST_EQ_STR(g.ev[0], "created");

	intake(st, t0 - 1000, &in);
	TEST_EQ_INT(in.err, 0);
	TEST_EQ_INT(in.n, 1);
	TEST_EQ_INT(in.t[0], t0);
	TEST_EQ_STR(in.phone[0], "+33123456789");
	TEST_EQ_STR(in.ip[0], "10.1.2.3");

	cancel(st, "cb_018bcfe56800aaaa", "hash-new", &r);
	TEST_EQ_INT(r.err, EPERM);
	cancel(st, "cb_018bcfe56800aaaa", "hash-old", &r);
	TEST_EQ_INT(r.err, 0);
	TEST_EQ_STR(r.status, "canceled");
	TEST_EQ_INT(r.nev, 2);
	TEST_EQ_STR(r.ev[1], "canceled");

	test_store_close(st, url);

	return 0;
}


/* a callback's events, as one text: "t type public data;" each */
struct history {
	int err;
	char v[512];
};


static void history_h(int err, const struct callback *cb, void *arg)
{
	struct history *h = arg;
	size_t i, n = 0;

	h->err = err;
	h->v[0] = '\0';
	for (i = 0; cb && i < cb->nevents; i++) {
		const struct callback_event *e = &cb->events[i];

		n += re_snprintf(h->v + n, sizeof(h->v) - n, "%lld %s %d %s;",
				 (long long)e->t, e->type, e->public,
				 e->data ? e->data : "-");
	}
}


static int history(struct store *st, const char *id, bool public_only,
		   struct history *h)
{
	memset(h, 0, sizeof(*h));
	h->err = -1;
	if (store_callback_get(st, id, public_only, history_h, h))
		return EINVAL;
	store_flush(st);

	return h->err;
}


/* The "created" event implied by the row (schema migration 21) reads as
 * the event row that an older binary wrote: a callback created before
 * the migration (old_db's, and a scheduled one written the same way)
 * and one created after, at the same time, with the same status, have
 * the same history, public and private, and the same with an event
 * after it. (A business whose endpoint takes callback.created still gets
 * the event row, for the outbox: test_webhook_outbox.c.) */
TEST(store_created_event_same_before_and_after)
{
	static const char scheduled_old[] =
		"INSERT INTO callbacks (id, business_id, phone, status, open,"
		" created_at, updated_at, scheduled_for) VALUES"
		" ('cb_018bcfe56800ssss', 'acme', '+33123456788', 'scheduled',"
		" 1, 1700000000000, 1700000000000, 1700000900000);"
		"INSERT INTO events (callback_id, t, type, public, data)"
		" VALUES ('cb_018bcfe56800ssss', 1700000000000, 'created', 1,"
		" '{\"status\":\"scheduled\"}');";
	char dir[] = "/tmp/beckon-mig-XXXXXX", url[256];
	const int64_t t0 = 1700000000000;
	struct store *st = NULL;
	struct callback_new req;
	struct result a = {0}, s2 = {0};
	struct history old, now;
	sqlite3 *db = NULL;
	bool pub;

	TEST_ASSERT(mkdtemp(dir) != NULL);
	re_snprintf(url, sizeof(url), "sqlite:%s/t.db", dir);
	TEST_EQ_INT(old_db(url + 7), 0);
	TEST_EQ_INT(sqlite3_open(url + 7, &db), SQLITE_OK);
	TEST_EQ_INT(sqlite3_exec(db, scheduled_old, NULL, NULL, NULL),
		    SQLITE_OK);
	sqlite3_close(db);
	TEST_EQ_INT(store_open(&st, url, 100), 0);

	new_req(&req, "cb_018bcfe56800nnnn", "+33123456787", "hash-n");
	req.now = t0;
	TEST_EQ_INT(store_callback_create(st, &req, create_h, &a), 0);
	new_req(&req, "cb_018bcfe56800tttt", "+33123456786", "hash-t");
	req.now = t0;
	req.scheduled_for = t0 + 900000;
	TEST_EQ_INT(store_callback_create(st, &req, create_h, &s2), 0);
	store_flush(st);
	TEST_EQ_INT(a.res.outcome, CB_CREATED);
	TEST_EQ_INT(s2.res.outcome, CB_CREATED);

	for (pub = false; ; pub = true) {
		TEST_EQ_INT(history(st, "cb_018bcfe56800aaaa", pub, &old), 0);
		TEST_EQ_INT(history(st, "cb_018bcfe56800nnnn", pub, &now), 0);
		TEST_EQ_STR(now.v,
			    "1700000000000 created 1 {\"status\":\"queued\"};");
		TEST_EQ_STR(now.v, old.v);
		TEST_EQ_INT(history(st, "cb_018bcfe56800ssss", pub, &old), 0);
		TEST_EQ_INT(history(st, "cb_018bcfe56800tttt", pub, &now), 0);
		TEST_EQ_STR(now.v, "1700000000000 created 1 "
			    "{\"status\":\"scheduled\"};");
		TEST_EQ_STR(now.v, old.v);
		if (pub)
			break;
	}

	/* events after it come after it, as before */
	TEST_EQ_INT(add_public_event(st, "cb_018bcfe56800aaaa", "later"), 0);
	TEST_EQ_INT(add_public_event(st, "cb_018bcfe56800nnnn", "later"), 0);
	TEST_EQ_INT(history(st, "cb_018bcfe56800aaaa", false, &old), 0);
	TEST_EQ_INT(history(st, "cb_018bcfe56800nnnn", false, &now), 0);
	TEST_ASSERT(strstr(now.v, "created 1 {\"status\":\"queued\"};") ==
		    now.v + 14);
	TEST_ASSERT(strstr(now.v, " later 1 ") != NULL);
	TEST_ASSERT(strstr(old.v, " later 1 ") != NULL);
	TEST_EQ_INT(strlen(now.v), strlen(old.v));

	test_store_close(st, url);

	return 0;
}


/* Each request is its own: a second request for a number learns nothing
 * of the first, and each withdraws only itself; the call is off when its
 * last request is withdrawn. */
TEST(store_joined_requests)
{
	struct store *st = NULL;
	struct callback_new req;
	struct result a = {0}, o = {0}, j = {0}, rp = {0}, k = {0}, r = {0};
	const char *P = "+33123456789";
	char url[256];
	int err;

	err = test_store_open(&st, url, sizeof(url));
	TEST_EQ_INT(err, 0);
	TEST_EQ_INT(put_business(st), 0);

	new_req(&req, "cb_a", P, "hash-a");
	TEST_EQ_INT(store_callback_create(st, &req, create_h, &a), 0);
	new_req(&req, "cb_o", "+33987654321", "hash-o");
	TEST_EQ_INT(store_callback_create(st, &req, create_h, &o), 0);
	store_flush(st);
	TEST_EQ_INT(a.res.outcome, CB_CREATED);
	TEST_EQ_INT(add_public_event(st, "cb_a", "early"), 0);

	/* the duplicate: its own id, times and place, none of cb_a's */
	new_req(&req, "cb_j", P, "hash-j");
	req.now = a.res.created_at + 5000;
	req.idem_key = "kj";
	req.idem_fp = "fpj";
	TEST_EQ_INT(store_callback_create(st, &req, create_h, &j), 0);
	store_flush(st);
	TEST_EQ_INT(j.err, 0);
	TEST_EQ_INT(j.res.outcome, CB_JOINED);
	TEST_EQ_STR(j.res.id, "cb_j");
	TEST_EQ_STR(j.res.call_id, "cb_a");
	TEST_EQ_STR(j.res.status, "queued");
	TEST_EQ_INT(j.res.created_at, req.now);
	TEST_EQ_INT(j.res.position, 3);
	TEST_ASSERT(strstr(j.answer, "cb_a") == NULL);

	/* what each sees */
	get_req(st, "cb_a", &r);
	TEST_EQ_INT(r.err, 0);
	TEST_EQ_INT(r.nev, 2);
	TEST_EQ_STR(r.ev[1], "early");
	get_req(st, "cb_j", &r);
	TEST_EQ_INT(r.err, 0);
	TEST_EQ_STR(r.id, "cb_j");
	TEST_EQ_STR(r.status, "queued");
	TEST_EQ_INT(r.position, 3);
	TEST_EQ_INT(r.nev, 1);
	TEST_EQ_STR(r.ev[0], "created");

	/* a token is good for its own request only */
	cancel(st, "cb_a", "hash-j", &r);
	TEST_EQ_INT(r.err, EPERM);
	cancel(st, "cb_j", "hash-a", &r);
	TEST_EQ_INT(r.err, EPERM);

	/* a replay of the duplicate's key: the duplicate, a fresh token */
	new_req(&req, "cb_r", P, "hash-r");
	req.idem_key = "kj";
	req.idem_fp = "fpj";
	TEST_EQ_INT(store_callback_create(st, &req, create_h, &rp), 0);
	store_flush(st);
	TEST_EQ_INT(rp.res.outcome, CB_REPLAY);
	TEST_EQ_STR(rp.res.id, "cb_j");
	TEST_EQ_STR(rp.answer, j.answer);

	/* a joined request withdraws alone: the call goes on */
	new_req(&req, "cb_k", P, "hash-k");
	TEST_EQ_INT(store_callback_create(st, &req, create_h, &k), 0);
	store_flush(st);
	TEST_EQ_INT(k.res.outcome, CB_JOINED);
	cancel(st, "cb_k", "hash-k", &r);
	TEST_EQ_INT(r.err, 0);
	TEST_EQ_STR(r.status, "canceled");
	TEST_EQ_STR(r.canceled, "");
	cancel(st, "cb_k", "hash-k", &r);
	TEST_EQ_INT(r.err, EALREADY);

	/* the creator withdraws while cb_j waits: the call goes on */
	cancel(st, "cb_a", "hash-a", &r);
	TEST_EQ_INT(r.err, 0);
	TEST_EQ_STR(r.status, "canceled");
	TEST_EQ_STR(r.canceled, "");
	memset(&r, 0, sizeof(r));
	TEST_EQ_INT(store_callback_get(st, "cb_a", false, cb_h, &r), 0);
	store_flush(st);
	TEST_EQ_STR(r.status, "queued");

	/* what happens after a withdrawal is not the withdrawn's */
	TEST_EQ_INT(add_public_event(st, "cb_a", "late"), 0);
	get_req(st, "cb_a", &r);
	TEST_EQ_STR(r.status, "canceled");
	TEST_EQ_INT(r.nev, 3);
	TEST_EQ_STR(r.ev[1], "early");
	TEST_EQ_STR(r.ev[2], "canceled");
	get_req(st, "cb_j", &r);
	TEST_EQ_STR(r.status, "queued");
	TEST_EQ_INT(r.nev, 2);
	TEST_EQ_STR(r.ev[1], "late");

	/* the last request withdraws (with the replay's token): the call
	 * is off */
	cancel(st, "cb_j", "hash-r", &r);
	TEST_EQ_INT(r.err, 0);
	TEST_EQ_STR(r.status, "canceled");
	TEST_EQ_STR(r.canceled, "cb_a");
	TEST_EQ_INT(r.nev, 3);
	TEST_EQ_STR(r.ev[2], "canceled");
	memset(&r, 0, sizeof(r));
	TEST_EQ_INT(store_callback_get(st, "cb_a", false, cb_h, &r), 0);
	store_flush(st);
	TEST_EQ_STR(r.status, "canceled");
	get_req(st, "cb_nope", &r);
	TEST_EQ_INT(r.err, ENOENT);

	mem_deref(st);
	test_store_rm(url);

	return 0;
}


TEST(store_unknown_business_rolls_back)
{
	struct store *st = NULL;
	struct callback_new req;
	struct result r = {0}, in = {0};
	char url[256];
	int err;

	err = test_store_open(&st, url, sizeof(url));
	TEST_EQ_INT(err, 0);

	/* no business "acme": the foreign key fails the operation alone,
	 * and its intake row must not survive either */
	new_req(&req, "cb_x", "+33123456789", "hx");
	TEST_EQ_INT(store_callback_create(st, &req, create_h, &r), 0);
	TEST_EQ_INT(store_intake_since(st, 0, intake_h, &in), 0);
	store_flush(st);

	TEST_EQ_INT(r.calls, 1);
	TEST_EQ_INT(r.err, ENOENT);
	TEST_EQ_INT(in.err, 0);
	TEST_EQ_INT(in.nintake, 0);

	mem_deref(st);
	test_store_rm(url);

	return 0;
}


/* A batch runs without a SAVEPOINT per operation; when one fails, the
 * whole batch runs again with one each: the failed operation leaves
 * nothing behind, the others before and after it are all committed, and
 * a read in the same batch sees exactly that. */
TEST(store_failed_op_in_a_batch_rolls_back_alone)
{
	struct store *st = NULL;
	struct callback_new req;
	struct result a = {0}, bad = {0}, c = {0}, in = {0};
	struct result ga = {0}, gbad = {0}, gc = {0};
	char url[256];
	int err;

	err = test_store_open(&st, url, sizeof(url));
	TEST_EQ_INT(err, 0);
	TEST_EQ_INT(put_business(st), 0);

	new_req(&req, "cb_a", "+33123456789", "ha");
	TEST_EQ_INT(store_callback_create(st, &req, create_h, &a), 0);
	new_req(&req, "cb_bad", "+33111111111", "hb");
	req.business = "nope";
	TEST_EQ_INT(store_callback_create(st, &req, create_h, &bad), 0);
	new_req(&req, "cb_c", "+33222222222", "hc");
	TEST_EQ_INT(store_callback_create(st, &req, create_h, &c), 0);
	TEST_EQ_INT(store_intake_since(st, 0, intake_h, &in), 0);
	store_flush(st);

	TEST_EQ_INT(a.calls, 1);
	TEST_EQ_INT(a.err, 0);
	TEST_EQ_INT(a.res.outcome, CB_CREATED);
	TEST_EQ_INT(bad.calls, 1);
	TEST_EQ_INT(bad.err, ENOENT);
	TEST_EQ_INT(c.calls, 1);
	TEST_EQ_INT(c.err, 0);
	TEST_EQ_INT(c.res.outcome, CB_CREATED);
	TEST_EQ_INT(c.res.position, 2);
	TEST_EQ_STR(c.answer, "{\"id\":\"cb_c\",\"status\":\"queued\"}");
	/* read in the same batch: the two good requests only */
	TEST_EQ_INT(in.err, 0);
	TEST_EQ_INT(in.nintake, 2);

	TEST_EQ_INT(store_callback_get(st, "cb_a", false, cb_h, &ga), 0);
	TEST_EQ_INT(store_callback_get(st, "cb_bad", false, cb_h, &gbad),
		    0);
	TEST_EQ_INT(store_callback_get(st, "cb_c", false, cb_h, &gc), 0);
	store_flush(st);
	TEST_EQ_INT(ga.err, 0);
	TEST_EQ_INT(ga.nev, 1);
	TEST_EQ_STR(ga.ev[0], "created");
	TEST_EQ_INT(gbad.err, ENOENT);
	TEST_EQ_INT(gc.err, 0);
	TEST_EQ_INT(gc.nev, 1);

	mem_deref(st);
	test_store_rm(url);

	return 0;
}


struct agent_result {
	int calls;
	int err;
	bool verified;
	char role[16];
	char state[16];
	int64_t wrap_up;
	size_t n;
};


static void agent_h(int err, const void *obj, void *arg)
{
	const struct agent *a = obj;
	struct agent_result *r = arg;

	r->calls++;
	r->err = err;
	if (a) {
		r->verified = password_verify(a->password_hash, "s3cret");
		str_bcpy(r->role, agent_role_name(a->role), sizeof(r->role));
		str_bcpy(r->state, agent_state_name(a->state),
			 sizeof(r->state));
		r->wrap_up = a->wrap_up;
	}
}


static void list_h(int err, void *const *v, size_t n, void *arg)
{
	struct agent_result *r = arg;

	(void)v;
	r->calls++;
	r->err = err;
	r->n = n;
}


/* An agent's presence is stored alone: the admin's change made in
 * between stays, and a removed agent is not made again (ENOENT). */
TEST(store_agent_presence_alone)
{
	struct store *st = NULL;
	struct agent *a, *b;
	struct result p1 = {0}, p2 = {0}, s1 = {0}, d1 = {0}, s2 = {0};
	struct agent_result g1 = {0}, g2 = {0};
	char url[256];

	TEST_EQ_INT(test_store_open(&st, url, sizeof(url)), 0);
	TEST_EQ_INT(put_business(st), 0);
	TEST_EQ_INT(agent_alloc(&a), 0);
	TEST_EQ_INT(store_obj_set(a, &store_agents, "id", "carol"), 0);
	TEST_EQ_INT(store_obj_set(a, &store_agents, "login", "carol"), 0);
	TEST_EQ_INT(store_obj_set(a, &store_agents, "wrap_up", "30"), 0);
	TEST_EQ_INT(store_put(st, &store_agents, a, true, done_h, &p1), 0);

	/* the admin changes the wrap-up on a copy of their own ... */
	TEST_EQ_INT(agent_alloc(&b), 0);
	TEST_EQ_INT(store_obj_set(b, &store_agents, "id", "carol"), 0);
	TEST_EQ_INT(store_obj_set(b, &store_agents, "login", "carol"), 0);
	TEST_EQ_INT(store_obj_set(b, &store_agents, "wrap_up", "90"), 0);
	TEST_EQ_INT(store_put(st, &store_agents, b, true, done_h, &p2), 0);

	/* ... while the ACD's copy, the old wrap-up, becomes available */
	a->state = AGENT_AVAILABLE;
	TEST_EQ_INT(store_obj_set(a, &store_agents, "state_reason", "back"),
		    0);
	TEST_EQ_INT(store_agent_presence(st, a, done_h, &s1), 0);
	TEST_EQ_INT(store_get(st, &store_agents, "id", "carol", agent_h,
			      &g1), 0);
	store_flush(st);
	TEST_EQ_INT(p1.err, 0);
	TEST_EQ_INT(p2.err, 0);
	TEST_EQ_INT(s1.err, 0);
	TEST_EQ_INT(g1.err, 0);
	TEST_EQ_STR(g1.state, "available");
	TEST_EQ_INT(g1.wrap_up, 90);

	/* removed: its presence makes no row */
	TEST_EQ_INT(store_delete(st, &store_agents, "carol", done_h, &d1), 0);
	TEST_EQ_INT(store_agent_presence(st, a, done_h, &s2), 0);
	TEST_EQ_INT(store_get(st, &store_agents, "id", "carol", agent_h,
			      &g2), 0);
	store_flush(st);
	TEST_EQ_INT(d1.err, 0);
	TEST_EQ_INT(s2.err, ENOENT);
	TEST_EQ_INT(g2.err, ENOENT);

	mem_deref(b);
	mem_deref(a);
	test_store_close(st, url);

	return 0;
}


TEST(store_records)
{
	struct store *st = NULL;
	struct agent *a;
	struct rule *ru;
	struct result p1 = {0}, p2 = {0}, p3 = {0}, d1 = {0}, d2 = {0};
	struct agent_result g1 = {0}, g2 = {0}, l1 = {0}, l2 = {0};
	char url[256], hash[PASSWORD_HASH_SIZE], other[PASSWORD_HASH_SIZE];

	TEST_EQ_INT(test_store_open(&st, url, sizeof(url)), 0);
	TEST_EQ_INT(put_business(st), 0);
	TEST_EQ_INT(password_hash(hash, sizeof(hash), "s3cret"), 0);
	TEST_EQ_INT(password_hash(other, sizeof(other), "other"), 0);
	TEST_ASSERT(!strncmp(hash, "$argon2id$", 10));
	TEST_ASSERT(!password_verify(hash, "S3cret"));

	/* defaults come from the table; text is checked against bounds */
	TEST_EQ_INT(agent_alloc(&a), 0);
	TEST_EQ_STR(agent_state_name(a->state), "offline");
	TEST_EQ_INT(a->wrap_up, 30);
	TEST_EQ_INT(store_obj_set(a, &store_agents, "wrap_up", "-1"),
		    ERANGE);
	TEST_EQ_INT(store_obj_set(a, &store_agents, "wrap_up", "1x"),
		    EINVAL);
	TEST_EQ_INT(store_obj_set(a, &store_agents, "colour", "x"), ENOENT);
	TEST_EQ_INT(store_obj_set(a, &store_agents, "wrap_up", "45"), 0);
	TEST_EQ_INT(store_obj_set(a, &store_agents, "id", "alice"), 0);
	TEST_EQ_INT(store_obj_set(a, &store_agents, "login", "alice"), 0);
	TEST_EQ_INT(store_obj_set(a, &store_agents, "password_hash", hash),
		    0);
	TEST_EQ_INT(store_obj_set(a, &store_agents, "role", "supervisor"),
		    0);
	TEST_EQ_INT(store_put(st, &store_agents, a, false, done_h, &p1), 0);

	/* without replace, a second put leaves the first alone */
	TEST_EQ_INT(store_obj_set(a, &store_agents, "password_hash", other),
		    0);
	TEST_EQ_INT(store_obj_set(a, &store_agents, "role", "admin"), 0);
	TEST_EQ_INT(store_put(st, &store_agents, a, false, done_h, &p2), 0);
	TEST_EQ_INT(store_get(st, &store_agents, "login", "alice", agent_h,
			      &g1), 0);
	TEST_EQ_INT(store_get(st, &store_agents, "login", "nobody", agent_h,
			      &g2), 0);
	/* only the table's own field names may be used */
	TEST_EQ_INT(store_get(st, &store_agents, "login; DROP TABLE x",
			      "a", agent_h, &g2), EINVAL);

	TEST_EQ_INT(rule_alloc(&ru), 0);
	TEST_EQ_INT(store_obj_set(ru, &store_rules, "id", "r1"), 0);
	TEST_EQ_INT(store_obj_set(ru, &store_rules, "business", "acme"), 0);
	TEST_EQ_INT(store_obj_set(ru, &store_rules, "match_url",
				  "https://acme.example/billing*"), 0);
	TEST_EQ_INT(store_put(st, &store_rules, ru, true, done_h, &p3), 0);
	TEST_EQ_INT(store_list(st, &store_rules, list_h, &l1), 0);
	TEST_EQ_INT(store_delete(st, &store_rules, "r1", done_h, &d1), 0);
	TEST_EQ_INT(store_delete(st, &store_rules, "r1", done_h, &d2), 0);
	TEST_EQ_INT(store_list(st, &store_rules, list_h, &l2), 0);
	store_flush(st);

	TEST_EQ_INT(p1.err, 0);
	TEST_EQ_INT(p2.err, EALREADY);   /* left alone, and said so */
	TEST_EQ_INT(p3.err, 0);
	TEST_EQ_INT(g1.err, 0);
	TEST_ASSERT(g1.verified);
	TEST_EQ_STR(g1.role, "supervisor");
	TEST_EQ_STR(g1.state, "offline");
	TEST_EQ_INT(g1.wrap_up, 45);
	TEST_EQ_INT(g2.calls, 1);
	TEST_EQ_INT(g2.err, ENOENT);
	TEST_EQ_INT(l1.n, 1);
	TEST_EQ_INT(d1.err, 0);
	TEST_EQ_INT(d2.err, ENOENT);
	TEST_EQ_INT(l2.err, 0);
	TEST_EQ_INT(l2.n, 0);

	mem_deref(ru);
	mem_deref(a);
	mem_deref(st);
	test_store_rm(url);

	return 0;
}


/* Every business field can be set in a config section, and back. */
TEST(store_business_fields_are_config_keys)
{
	const struct cfg_key *k;
	size_t n, i, j;

	k = cfg_business_keys(&n);
	TEST_EQ_INT(n + 1, store_businesses.n);   /* all but the id */

	for (i = 1; i < store_businesses.n; i++) {
		for (j = 0; j < n; j++)
			if (!strcmp(k[j].name,
				    store_businesses.fields[i].name))
				break;
		if (j == n) {
			fprintf(stderr, "  no config key for %s\n",
				store_businesses.fields[i].name);
			return EINVAL;
		}
	}

	return 0;
}


struct str_result {
	int calls;
	int err;
	char value[32];
};


static void str_h(int err, const char *value, void *arg)
{
	struct str_result *r = arg;

	r->calls++;
	r->err = err;
	str_bcpy(r->value, value ? value : "", sizeof(r->value));
}


/* A new callback's place is its business's queue count, whichever
 * connection (a node) made or moved each callback: on PostgreSQL each
 * connection counts in a shard of its own (schema migration 24), and
 * the place is their sum. */
TEST(store_queue_places_across_connections)
{
	struct store *st = NULL, *other = NULL;
	struct callback_new req;
	struct callback_change chg;
	struct result r[5], u = {0};
	static const char *const phones[] = {
		"+33123456781", "+33123456782", "+33123456783",
		"+33123456784", "+33123456785",
	};
	char url[256], id[16];
	size_t i;

	memset(r, 0, sizeof(r));
	TEST_EQ_INT(test_store_open(&st, url, sizeof(url)), 0);
	TEST_EQ_INT(put_business(st), 0);
	TEST_EQ_INT(store_open(&other, url, 100), 0);

	/* four, made on the two connections in turn */
	for (i = 0; i < 4; i++) {
		struct store *on = i % 2 ? other : st;

		re_snprintf(id, sizeof(id), "cb_q%zu", i);
		new_req(&req, id, phones[i], "hq");
		TEST_EQ_INT(store_callback_create(on, &req, create_h, &r[i]),
			    0);
		store_flush(on);
		TEST_EQ_INT(r[i].err, 0);
		TEST_EQ_INT(r[i].res.position, (int64_t)i + 1);
	}

	/* the first, made on st, dialed by the other: out of the queue */
	callback_change_init(&chg, "cb_q0", time_now_ms());
	chg.from_status = CBS_QUEUED;
	chg.status = CBS_DIALING;
	chg.agent_id = "alice";
	chg.event = "offered";
	TEST_EQ_INT(store_callback_update(other, &chg, done_h, &u), 0);
	store_flush(other);
	TEST_EQ_INT(u.err, 0);

	new_req(&req, "cb_q4", phones[4], "hq");
	TEST_EQ_INT(store_callback_create(st, &req, create_h, &r[4]), 0);
	store_flush(st);
	TEST_EQ_INT(r[4].err, 0);
	TEST_EQ_INT(r[4].res.position, 4);

	mem_deref(other);
	test_store_close(st, url);

	return 0;
}


/* A browser's call has no phone: two visitors of one business talking
 * in the browser at once are two callbacks, neither joined to the
 * other (the open-phone index leaves the empty phone out, schema
 * migration 25); a phone number is still joined. */
TEST(store_two_browser_calls_at_once)
{
	struct store *st = NULL;
	struct callback_new req;
	struct result a = {0}, b = {0}, p = {0}, q = {0};
	char url[256];

	TEST_EQ_INT(test_store_open(&st, url, sizeof(url)), 0);
	TEST_EQ_INT(put_business(st), 0);
	new_req(&req, "cb_b1", "", "h1");
	TEST_EQ_INT(store_callback_create(st, &req, create_h, &a), 0);
	store_flush(st);
	new_req(&req, "cb_b2", "", "h2");
	TEST_EQ_INT(store_callback_create(st, &req, create_h, &b), 0);
	new_req(&req, "cb_p1", "+33123456789", "h3");
	TEST_EQ_INT(store_callback_create(st, &req, create_h, &p), 0);
	store_flush(st);
	new_req(&req, "cb_p2", "+33123456789", "h4");
	TEST_EQ_INT(store_callback_create(st, &req, create_h, &q), 0);
	store_flush(st);

	TEST_EQ_INT(a.err, 0);
	TEST_EQ_INT(a.res.outcome, CB_CREATED);
	TEST_EQ_INT(b.err, 0);
	TEST_EQ_INT(b.res.outcome, CB_CREATED);
	TEST_EQ_STR(b.res.call_id, "");
	TEST_EQ_INT(b.res.position, 2);
	TEST_EQ_INT(p.res.outcome, CB_CREATED);
	TEST_EQ_INT(q.err, 0);
	TEST_EQ_INT(q.res.outcome, CB_JOINED);
	TEST_EQ_STR(q.res.call_id, "cb_p1");

	test_store_close(st, url);

	return 0;
}


/* Two connections (nodes) asked for one number at the same moment, in
 * batches that may run at once: one callback made, the other request
 * joined to it, never a failure, whichever way the batches meet (one
 * after the other; or, on PostgreSQL, the second's insert waiting on
 * the open-phone index for the first to commit, failing, and its batch
 * run again carefully, where the create reads again and joins). */
TEST(store_same_number_on_two_connections)
{
	enum { ROUNDS = 20 };
	struct store *st = NULL, *other = NULL;
	struct callback_new req;
	struct result a[ROUNDS], b[ROUNDS];
	char url[256], id[16], phone[16];
	size_t i;

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	TEST_EQ_INT(test_store_open(&st, url, sizeof(url)), 0);
	TEST_EQ_INT(put_business(st), 0);
	TEST_EQ_INT(store_open(&other, url, 100), 0);

	for (i = 0; i < ROUNDS; i++) {
		re_snprintf(phone, sizeof(phone), "+336123456%02zu", i);
		re_snprintf(id, sizeof(id), "cb_a%zu", i);
		new_req(&req, id, phone, "ha");
		TEST_EQ_INT(store_callback_create(st, &req, create_h, &a[i]),
			    0);
		re_snprintf(id, sizeof(id), "cb_b%zu", i);
		new_req(&req, id, phone, "hb");
		TEST_EQ_INT(store_callback_create(other, &req, create_h,
						  &b[i]), 0);
	}
	store_flush(st);
	store_flush(other);

	for (i = 0; i < ROUNDS; i++) {
		const struct result *made, *joined;

		TEST_EQ_INT(a[i].err, 0);
		TEST_EQ_INT(b[i].err, 0);
		made = a[i].res.outcome == CB_CREATED ? &a[i] : &b[i];
		joined = made == &a[i] ? &b[i] : &a[i];
		TEST_EQ_INT(made->res.outcome, CB_CREATED);
		TEST_EQ_INT(joined->res.outcome, CB_JOINED);
		TEST_EQ_STR(joined->res.call_id, made->res.id);
	}

	mem_deref(other);
	test_store_close(st, url);

	return 0;
}


/* A create says who last spoke with the number, for routing: the new
 * callback and a request joined to it; nobody for a stranger's number. */
TEST(store_create_says_last_agent)
{
	struct store *st = NULL;
	struct callback_new req;
	struct result pa = {0}, a = {0}, j = {0}, o = {0};
	char url[256];

	TEST_EQ_INT(test_store_open(&st, url, sizeof(url)), 0);
	TEST_EQ_INT(put_business(st), 0);
	TEST_EQ_INT(store_phone_agent_set(st, "acme", "+33123456789",
					  "alice", done_h, &pa), 0);
	store_flush(st);
	TEST_EQ_INT(pa.err, 0);

	new_req(&req, "cb_a", "+33123456789", "ha");
	TEST_EQ_INT(store_callback_create(st, &req, create_h, &a), 0);
	new_req(&req, "cb_j", "+33123456789", "hj");
	TEST_EQ_INT(store_callback_create(st, &req, create_h, &j), 0);
	new_req(&req, "cb_o", "+33987654321", "ho");
	TEST_EQ_INT(store_callback_create(st, &req, create_h, &o), 0);
	store_flush(st);

	TEST_EQ_INT(a.res.outcome, CB_CREATED);
	TEST_EQ_STR(a.res.last_agent, "alice");
	TEST_EQ_INT(j.res.outcome, CB_JOINED);
	TEST_EQ_STR(j.res.call_id, "cb_a");
	TEST_EQ_STR(j.res.last_agent, "alice");
	TEST_EQ_INT(o.res.outcome, CB_CREATED);
	TEST_EQ_STR(o.res.last_agent, "");
	TEST_EQ_INT(o.res.position, 2);

	mem_deref(st);
	test_store_rm(url);

	return 0;
}


/* A claim is a compare-and-set: of two claims in one batch, one wins. */
TEST(store_callback_update_cas)
{
	struct store *st = NULL;
	struct callback_new req;
	struct callback_change chg;
	struct result r = {0}, u1 = {0}, u2 = {0}, u3 = {0}, u4 = {0};
	struct result g = {0}, pa = {0};
	struct str_result s1 = {0}, s2 = {0};
	struct agent_result hist = {0}, hist2 = {0};
	char url[256];

	TEST_EQ_INT(test_store_open(&st, url, sizeof(url)), 0);
	TEST_EQ_INT(put_business(st), 0);

	new_req(&req, "cb_u", "+33123456789", "hu");
	TEST_EQ_INT(store_callback_create(st, &req, create_h, &r), 0);
	store_flush(st);
	TEST_EQ_INT(r.err, 0);

	callback_change_init(&chg, "cb_u", time_now_ms());
	chg.from_status = CBS_QUEUED;
	chg.status = CBS_DIALING;
	chg.agent_id = "alice";
	chg.lease_until = chg.now + 30000;
	chg.event = "offered";
	chg.event_data = "{\"agent\":\"alice\"}";
	TEST_EQ_INT(store_callback_update(st, &chg, done_h, &u1), 0);
	chg.agent_id = "bob";
	TEST_EQ_INT(store_callback_update(st, &chg, done_h, &u2), 0);

	callback_change_init(&chg, "cb_nope", time_now_ms());
	chg.status = CBS_DIALING;
	chg.event = "offered";
	TEST_EQ_INT(store_callback_update(st, &chg, done_h, &u3), 0);

	/* closing: no longer open, no further change applies */
	callback_change_init(&chg, "cb_u", time_now_ms());
	chg.status = CBS_COMPLETED;
	chg.close = true;
	chg.ended_reason = "normal";
	chg.event = "ended";
	chg.event_public = true;
	TEST_EQ_INT(store_callback_update(st, &chg, done_h, &u4), 0);
	TEST_EQ_INT(store_callback_get(st, "cb_u", false, cb_h, &g), 0);
	TEST_EQ_INT(store_phone_agent_set(st, "acme", "+33123456789",
					  "alice", done_h, &pa), 0);
	TEST_EQ_INT(store_phone_agent_get(st, "acme", "+33123456789", str_h,
					  &s1), 0);
	TEST_EQ_INT(store_phone_agent_get(st, "acme", "+33999999999", str_h,
					  &s2), 0);
	TEST_EQ_INT(store_callback_history(st, "acme", "+33123456789", 10,
					   list_h, &hist), 0);
	TEST_EQ_INT(store_callback_history(st, "acme", "+33999999999", 10,
					   list_h, &hist2), 0);
	store_flush(st);

	/* a closed callback is in its number's history, others are not */
	TEST_EQ_INT(hist.err, 0);
	TEST_EQ_INT(hist.n, 1);
	TEST_EQ_INT(hist2.n, 0);

	TEST_EQ_INT(u1.err, 0);
	TEST_EQ_INT(u2.err, EALREADY);
	TEST_EQ_INT(u3.err, ENOENT);
	TEST_EQ_INT(u4.err, 0);
	TEST_EQ_INT(g.err, 0);
	TEST_EQ_STR(g.status, "completed");
	TEST_EQ_INT(g.nev, 3);
	TEST_EQ_STR(g.ev[0], "created");
	TEST_EQ_STR(g.ev[1], "offered");
	TEST_EQ_STR(g.ev[2], "ended");
	TEST_EQ_INT(pa.err, 0);
	TEST_EQ_INT(s1.err, 0);
	TEST_EQ_STR(s1.value, "alice");
	TEST_EQ_INT(s2.err, ENOENT);

	mem_deref(st);
	test_store_rm(url);

	return 0;
}


/* A change carries events of earlier changes the store did not take
 * (the ACD's report_unstored): written before its own, each once: a
 * second change carrying them (the first one's commit was stored but
 * its answer lost) writes only its own. */
TEST(store_callback_update_earlier_once)
{
	static const struct callback_event earlier[] = {
		{1700000001000, "answered", NULL, true},
		{1700000002000, "bridged", "{\"leg\":\"agent\"}", true},
	};
	struct store *st = NULL;
	struct callback_new req;
	struct callback_change chg;
	struct result r = {0}, u1 = {0}, u2 = {0};
	struct history h;
	char url[256];

	TEST_EQ_INT(test_store_open(&st, url, sizeof(url)), 0);
	TEST_EQ_INT(put_business(st), 0);
	new_req(&req, "cb_e", "+33123456789", "he");
	req.now = 1700000000000;
	TEST_EQ_INT(store_callback_create(st, &req, create_h, &r), 0);
	store_flush(st);
	TEST_EQ_INT(r.err, 0);

	/* a catch-up: no event of its own */
	callback_change_init(&chg, "cb_e", 1700000003000);
	chg.status = CBS_CONNECTED;
	chg.earlier = earlier;
	chg.n_earlier = ARRAY_SIZE(earlier);
	TEST_EQ_INT(store_callback_update(st, &chg, done_h, &u1), 0);
	callback_change_init(&chg, "cb_e", 1700000004000);
	chg.status = CBS_COMPLETED;
	chg.close = true;
	chg.event = "ended";
	chg.event_public = true;
	chg.earlier = earlier;
	chg.n_earlier = ARRAY_SIZE(earlier);
	TEST_EQ_INT(store_callback_update(st, &chg, done_h, &u2), 0);
	store_flush(st);
	TEST_EQ_INT(u1.err, 0);
	TEST_EQ_INT(u2.err, 0);

	TEST_EQ_INT(history(st, "cb_e", false, &h), 0);
	/* after "created", each once, in order */
	TEST_ASSERT(!strncmp(h.v, "1700000000000 created ", 22));
	TEST_EQ_STR(strchr(h.v, ';') + 1,
		    "1700000001000 answered 1 -;"
		    "1700000002000 bridged 1 {\"leg\":\"agent\"};"
		    "1700000004000 ended 1 -;");

	/* nothing to write: refused */
	callback_change_init(&chg, "cb_e", 1700000005000);
	chg.status = CBS_QUEUED;
	TEST_EQ_INT(store_callback_update(st, &chg, done_h, &u1), EINVAL);

	mem_deref(st);
	test_store_rm(url);

	return 0;
}


struct fig_result {
	int calls;
	int err;
	struct figures f;
};


static void fig_h(int err, const struct figures *f, void *arg)
{
	struct fig_result *r = arg;

	r->calls++;
	r->err = err;
	if (f)
		r->f = *f;
}


/* Sales are totalled per currency: dollars and euros are never added. */
TEST(store_figures_per_currency)
{
	static const struct {
		const char *id, *disp, *cur;
		int64_t cents;
	} sales[] = {
		{"cb_f1", "sale", "USD", 1000},
		{"cb_f2", "sale", "EUR", 500},
		{"cb_f3", "sale", "USD", 2500},
		{"cb_f4", "sale", "", 0},           /* a sale, no amount */
		{"cb_f5", "not_interested", "USD", 9999},
	};
	struct store *st = NULL;
	struct callback_new req;
	struct result r = {0}, d = {0};
	struct fig_result fr = {0};
	enum { LATE = 4 };
	struct fig_result late[LATE];
	char url[256], phone[16];
	size_t i;

	TEST_EQ_INT(test_store_open(&st, url, sizeof(url)), 0);
	TEST_EQ_INT(put_business(st), 0);

	for (i = 0; i < sizeof(sales) / sizeof(sales[0]); i++) {
		struct outcome o;

		re_snprintf(phone, sizeof(phone), "+3312345670%zu", i);
		new_req(&req, sales[i].id, phone, "hf");
		TEST_EQ_INT(store_callback_create(st, &req, create_h, &r), 0);
		store_flush(st);
		TEST_EQ_INT(r.err, 0);

		memset(&o, 0, sizeof(o));
		o.callback_id = sales[i].id;
		o.business = "acme";
		o.agent_id = "alice";
		o.disposition = sales[i].disp;
		o.amount_cents = sales[i].cents;
		o.currency = sales[i].cur;
		o.t = time_now_ms();
		TEST_EQ_INT(store_outcome_put(st, &o, done_h, &d), 0);
		store_flush(st);
		TEST_EQ_INT(d.err, 0);
	}

	TEST_EQ_INT(store_figures(st, "acme", 0, fig_h, &fr), 0);
	store_flush(st);
	TEST_EQ_INT(fr.calls, 1);
	TEST_EQ_INT(fr.err, 0);
	TEST_EQ_INT(fr.f.requested, 5);
	TEST_EQ_INT(fr.f.sales, 4);
	TEST_EQ_INT(fr.f.totaln, 2);
	TEST_EQ_STR(fr.f.totalv[0].currency, "EUR");
	TEST_EQ_INT(fr.f.totalv[0].sales, 1);
	TEST_EQ_INT(fr.f.totalv[0].cents, 500);
	TEST_EQ_STR(fr.f.totalv[1].currency, "USD");
	TEST_EQ_INT(fr.f.totalv[1].sales, 2);
	TEST_EQ_INT(fr.f.totalv[1].cents, 3500);
	TEST_ASSERT(!fr.f.totals_cut);

	/* long reads still queued when the store closes: each handler is
	 * called once, with the figures or canceled, and nothing leaks */
	memset(late, 0, sizeof(late));
	for (i = 0; i < LATE; i++)
		TEST_EQ_INT(store_figures(st, "acme", 0, fig_h, &late[i]), 0);
	mem_deref(st);
	for (i = 0; i < LATE; i++) {
		TEST_EQ_INT(late[i].calls, 1);
		if (late[i].err != ECANCELED) {
			TEST_EQ_INT(late[i].err, 0);
			TEST_EQ_INT(late[i].f.requested, 5);
		}
	}
	test_store_rm(url);

	return 0;
}


/* store_ch_callbacks' payload read back: the id and, when said and
 * known, the status */
TEST(store_callback_payload_parse)
{
	enum callback_status st;
	char id[ID_LEN];
	char big[ID_LEN + 8];

	store_callback_payload("cb_a queued", id, sizeof(id), &st);
	TEST_EQ_STR(id, "cb_a");
	TEST_EQ_INT(st, CBS_QUEUED);
	store_callback_payload("cb_b", id, sizeof(id), &st);
	TEST_EQ_STR(id, "cb_b");
	TEST_EQ_INT(st, CBS_ANY);
	store_callback_payload("cb_c nonsense", id, sizeof(id), &st);
	TEST_EQ_STR(id, "cb_c");
	TEST_EQ_INT(st, CBS_ANY);
	store_callback_payload("", id, sizeof(id), &st);
	TEST_EQ_STR(id, "");
	store_callback_payload(NULL, id, sizeof(id), &st);
	TEST_EQ_STR(id, "");
	TEST_EQ_INT(st, CBS_ANY);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	store_callback_payload(big, id, sizeof(id), &st);
	TEST_EQ_STR(id, "");

	return 0;
}


/* A callback made, joined, withdrawn or changed is told on
 * store_ch_callbacks with its id (a joined request: the callback that
 * serves it) and, where the change says it, its status; what fails or
 * changes nothing is not. A payload told twice in one transaction is
 * heard once (PostgreSQL's rule): cb_n's join and cb_m's withdrawal say
 * no status, its making does. */
TEST(store_callbacks_notify)
{
	static const char *const want[] = {"cb_n queued", "cb_n",
					   "cb_u queued", "cb_n",
					   "cb_u dialing", "end"};
	struct store *st = NULL;
	struct test_heard h;
	struct callback_new req;
	struct callback_change chg;
	struct result r = {0};
	char url[256];
	size_t i;

	TEST_EQ_INT(test_store_open(&st, url, sizeof(url)), 0);
	TEST_EQ_INT(put_business(st), 0);
	TEST_EQ_INT(test_store_hear(&h, st, url, store_ch_callbacks), 0);

	new_req(&req, "cb_n", "+33123456789", "hn");
	TEST_EQ_INT(store_callback_create(st, &req, create_h, &r), 0);
	new_req(&req, "cb_m", "+33123456789", "hm");
	TEST_EQ_INT(store_callback_create(st, &req, create_h, &r), 0);
	new_req(&req, "cb_u", "+33987654321", "hu");
	TEST_EQ_INT(store_callback_create(st, &req, create_h, &r), 0);
	new_req(&req, "cb_x", "+33111111111", "hx");
	req.business = "nope";
	TEST_EQ_INT(store_callback_create(st, &req, create_h, &r), 0);
	store_flush(st);
	TEST_EQ_INT(r.err, ENOENT);

	cancel(st, "cb_m", "hm", &r);
	TEST_EQ_INT(r.err, 0);

	callback_change_init(&chg, "cb_u", time_now_ms());
	chg.from_status = CBS_QUEUED;
	chg.status = CBS_DIALING;
	chg.event = "offered";
	TEST_EQ_INT(store_callback_update(st, &chg, done_h, &r), 0);
	callback_change_init(&chg, "cb_nope", time_now_ms());
	chg.status = CBS_DIALING;
	chg.event = "offered";
	TEST_EQ_INT(store_callback_update(st, &chg, done_h, &r), 0);
	store_flush(st);
	TEST_EQ_INT(r.err, ENOENT);
	cancel(st, "cb_u", "hu", &r);
	TEST_EQ_INT(r.err, EALREADY);

	TEST_EQ_INT(store_notify(st, store_ch_callbacks, "end"), 0);
	TEST_EQ_INT(test_store_wait(&h.n, ARRAY_SIZE(want), 10000), 0);
	TEST_EQ_INT(h.n, ARRAY_SIZE(want));
	for (i = 0; i < ARRAY_SIZE(want); i++)
		TEST_EQ_STR(h.v[i], want[i]);

	test_store_unhear(&h);
	test_store_close(st, url);

	return 0;
}
