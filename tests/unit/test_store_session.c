/*
 * The desk's sessions in the store (ops_session.c), on SQLite and, with
 * BECKON_TEST_PG, on PostgreSQL (store_pg.sh): put, touch, end by hash
 * and by agent, and what a restore reads: the live ones of agents that
 * still exist, the expired and the orphaned removed; a put's purge
 * spares what expired after its cutoff.
 */
#include <string.h>
#include <re.h>
#include "util/util.h"
#include "store/store.h"
#include "test.h"
#include "store_db.h"

struct sess_result {
	int calls;
	int err;
	size_t n;
	char hash[4][65];
	char csrf[4][65];
	char agent[4][32];
	char role[4][16];
	char biz[4][32];
	int64_t expires[4];
};


static void sdone_h(int err, void *arg)
{
	struct sess_result *r = arg;

	r->calls++;
	r->err = err;
}


static void slist_h(int err, void *const *v, size_t n, void *arg)
{
	struct sess_result *r = arg;
	size_t i;

	r->calls++;
	r->err = err;
	r->n = n;
	for (i = 0; i < n && i < 4; i++) {
		const struct store_session *s = v[i];

		str_bcpy(r->hash[i], s->hash, sizeof(r->hash[i]));
		str_bcpy(r->csrf[i], s->csrf, sizeof(r->csrf[i]));
		str_bcpy(r->agent[i], s->agent_id, sizeof(r->agent[i]));
		str_bcpy(r->role[i], agent_role_name(s->role),
			 sizeof(r->role[i]));
		str_bcpy(r->biz[i], s->businesses, sizeof(r->biz[i]));
		r->expires[i] = s->expires;
	}
}


static int put_agent(struct store *st, const char *id)
{
	struct sess_result r = {0};
	struct agent *a;
	int err;

	err = agent_alloc(&a);
	if (err)
		return err;
	err = store_obj_set(a, &store_agents, "id", id);
	err |= store_obj_set(a, &store_agents, "login", id);
	err |= store_obj_set(a, &store_agents, "password_hash", "x");
	err |= store_obj_set(a, &store_agents, "role", "supervisor");
	if (!err)
		err = store_put(st, &store_agents, a, false, sdone_h, &r);
	store_flush(st);
	mem_deref(a);

	return err ? err : r.err;
}


static int put_session(struct store *st, const char *hash,
		       const char *agent, int64_t expires, int64_t before,
		       struct sess_result *r)
{
	struct store_session s = {
		.hash = (char *)hash,
		.csrf = (char *)"csrf-of-a-session",
		.agent_id = (char *)agent,
		.role = ROLE_SUPERVISOR,
		.businesses = (char *)"acme shop",
		.expires = expires,
	};

	return store_session_put(st, &s, before, sdone_h, r);
}


TEST(store_sessions)
{
	struct store *st = NULL;
	struct sess_result p1 = {0}, p2 = {0}, p3 = {0}, p4 = {0};
	struct sess_result t1 = {0}, t2 = {0}, e1 = {0}, e2 = {0};
	struct sess_result l1 = {0}, l2 = {0}, l3 = {0};
	int64_t now = time_now_ms();
	char url[256];

	TEST_EQ_INT(test_store_open(&st, url, sizeof(url)), 0);
	TEST_EQ_INT(put_agent(st, "alice"), 0);
	TEST_EQ_INT(put_agent(st, "bob"), 0);

	/* one of hash and agent, never both nor neither */
	TEST_EQ_INT(store_session_end(st, "h", "alice", sdone_h, &e1),
		    EINVAL);
	TEST_EQ_INT(store_session_end(st, NULL, NULL, sdone_h, &e1),
		    EINVAL);

	TEST_EQ_INT(put_session(st, "h_alice", "alice", now + 60000, now,
				&p1), 0);
	TEST_EQ_INT(put_session(st, "h_bob", "bob", now + 90000, now, &p2),
		    0);
	/* expired, and of an agent that does not exist */
	TEST_EQ_INT(put_session(st, "h_old", "alice", now - 1, now, &p3),
		    0);
	TEST_EQ_INT(put_session(st, "h_gone", "carol", now + 60000, now,
				&p4), 0);
	TEST_EQ_INT(store_session_touch(st, "h_alice", now + 120000,
					sdone_h, &t1), 0);
	TEST_EQ_INT(store_session_touch(st, "h_nope", now + 120000,
					sdone_h, &t2), 0);
	TEST_EQ_INT(store_sessions_live(st, now, slist_h, &l1), 0);
	store_flush(st);

	TEST_EQ_INT(p1.err, 0);
	TEST_EQ_INT(p2.err, 0);
	TEST_EQ_INT(p3.err, 0);
	TEST_EQ_INT(p4.err, 0);
	TEST_EQ_INT(t1.err, 0);
	TEST_EQ_INT(t2.err, ENOENT);
	TEST_EQ_INT(l1.calls, 1);
	TEST_EQ_INT(l1.err, 0);
	/* the sooner to expire first: bob's, then alice's (touched) */
	TEST_EQ_INT(l1.n, 2);
	TEST_EQ_STR(l1.hash[0], "h_bob");
	TEST_EQ_STR(l1.hash[1], "h_alice");
	TEST_EQ_STR(l1.agent[1], "alice");
	TEST_EQ_STR(l1.csrf[1], "csrf-of-a-session");
	TEST_EQ_STR(l1.role[1], "supervisor");
	TEST_EQ_STR(l1.biz[1], "acme shop");
	TEST_EQ_INT(l1.expires[1], now + 120000);

	/* one ended by its hash, then all of an agent's */
	TEST_EQ_INT(store_session_end(st, "h_alice", NULL, sdone_h, &e1), 0);
	TEST_EQ_INT(store_sessions_live(st, now, slist_h, &l2), 0);
	TEST_EQ_INT(store_session_end(st, NULL, "bob", sdone_h, &e2), 0);
	TEST_EQ_INT(store_sessions_live(st, now, slist_h, &l3), 0);
	store_flush(st);

	TEST_EQ_INT(e1.err, 0);
	TEST_EQ_INT(e2.err, 0);
	TEST_EQ_INT(l2.n, 1);
	TEST_EQ_STR(l2.hash[0], "h_bob");
	TEST_EQ_INT(l3.err, 0);
	TEST_EQ_INT(l3.n, 0);

	/* a put removes only what expired before its cutoff: a row
	 * whose stored expiry lags (h_lag) outlives a put that leaves a
	 * margin, not one that does not */
	memset(&p1, 0, sizeof(p1));
	memset(&p2, 0, sizeof(p2));
	memset(&p3, 0, sizeof(p3));
	memset(&t1, 0, sizeof(t1));
	memset(&t2, 0, sizeof(t2));
	TEST_EQ_INT(put_session(st, "h_lag", "alice", now - 1, now, &p1), 0);
	TEST_EQ_INT(put_session(st, "h_new", "bob", now + 1000, now - 1000,
				&p2), 0);
	TEST_EQ_INT(store_session_touch(st, "h_lag", now - 1, sdone_h, &t1),
		    0);
	TEST_EQ_INT(put_session(st, "h_new2", "bob", now + 1000, now, &p3),
		    0);
	TEST_EQ_INT(store_session_touch(st, "h_lag", now - 1, sdone_h, &t2),
		    0);
	store_flush(st);
	TEST_EQ_INT(p1.err, 0);
	TEST_EQ_INT(p2.err, 0);
	TEST_EQ_INT(p3.err, 0);
	TEST_EQ_INT(t1.err, 0);
	TEST_EQ_INT(t2.err, ENOENT);

	test_store_close(st, url);

	return 0;
}
