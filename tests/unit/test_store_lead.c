/*
 * A cluster's leader in the store (store.h, store_lead_try): the lock,
 * the epoch and the fence, on the backend the tests run on (store_db.h).
 * On PostgreSQL, a second node is a second store handle on the same
 * database (a connection of its own, as another process has); the lock
 * is lost by ending the leader's connection from outside, as a network
 * cut or a server restart would.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libpq-fe.h>
#include <re.h>
#include "util/util.h"
#include "store/store.h"
#include "test.h"
#include "store_db.h"


struct lead {
	int calls;
	int err;
	uint64_t epoch;
	char node[64];
	char url[64];
	char secret[64];
};


static void lead_h(int err, uint64_t epoch, void *arg)
{
	struct lead *l = arg;

	l->calls++;
	l->err = err;
	l->epoch = epoch;
}


static void leader_h(int err, const struct store_leader *ld, void *arg)
{
	struct lead *l = arg;

	l->calls++;
	l->err = err;
	l->epoch = ld->epoch;
	str_bcpy(l->node, ld->node ? ld->node : "(none)", sizeof(l->node));
	str_bcpy(l->url, ld->url ? ld->url : "(none)", sizeof(l->url));
	str_bcpy(l->secret, ld->secret ? ld->secret : "(none)",
		 sizeof(l->secret));
}


static void done_h(int err, void *arg)
{
	*(int *)arg = err;
}


static void stale_h(void *arg)
{
	++*(int *)arg;
}


/* try to lead as node; its answer's err, the epoch into *ep */
static int lead(struct store *st, const char *node, uint64_t *ep)
{
	struct lead l = {0};
	char url[80], secret[80];
	struct store_leader me = {.node = node, .url = url,
				  .secret = secret};
	int err;

	re_snprintf(url, sizeof(url), "http://%s", node);
	re_snprintf(secret, sizeof(secret), "secret-of-%s", node);
	err = store_lead_try(st, &me, lead_h, &l);

	if (err)
		return err;
	store_flush(st);
	*ep = l.epoch;

	return l.calls == 1 ? l.err : EPROTO;
}


/* who leads; the url and secret it recorded into *lp when not NULL */
static int leader_of(struct store *st, char *node, size_t sz, uint64_t *ep,
		     struct lead *lp)
{
	struct lead l = {0};
	int err = store_leader_get(st, leader_h, &l);

	if (err)
		return err;
	store_flush(st);
	str_bcpy(node, l.node, sz);
	*ep = l.epoch;
	if (lp)
		*lp = l;

	return l.calls == 1 ? l.err : EPROTO;
}


static int leader(struct store *st, char *node, size_t sz, uint64_t *ep)
{
	return leader_of(st, node, sz, ep, NULL);
}


/* a fenced write (the ACD's phone-agent link); its answer's err */
static int fenced_write(struct store *st, const char *agent)
{
	int err = -1;

	if (store_phone_agent_set(st, "acme", "+15550100", agent, done_h,
				  &err))
		return EPROTO;
	store_flush(st);

	return err;
}


TEST(store_lead_one_node)
{
	struct store *st = NULL;
	const struct store_leader nobody = {.node = ""};
	struct lead l;
	char url[512], node[64];
	uint64_t e = 99;
	int stale = 0;

	TEST_EQ_INT(test_store_open(&st, url, sizeof(url)), 0);
	store_set_stale_h(st, stale_h, &stale);

	TEST_EQ_INT(leader_of(st, node, sizeof(node), &e, &l), 0);
	TEST_EQ_STR(node, "(none)");
	TEST_EQ_INT(e, 0);
	TEST_EQ_STR(l.url, "(none)");
	TEST_EQ_STR(l.secret, "(none)");
	TEST_EQ_INT(store_lead_try(st, &nobody, lead_h, NULL), EINVAL);
	TEST_EQ_INT(store_lead_try(st, NULL, lead_h, NULL), EINVAL);

	TEST_EQ_INT(lead(st, "n1:8080", &e), 0);
	TEST_EQ_INT(e, 1);
	TEST_EQ_INT(leader_of(st, node, sizeof(node), &e, &l), 0);
	TEST_EQ_STR(node, "n1:8080");
	TEST_EQ_INT(e, 1);
	/* where the others reach it and what proves their relayed requests
	 * (migration 22) */
	TEST_EQ_STR(l.url, "http://n1:8080");
	TEST_EQ_STR(l.secret, "secret-of-n1:8080");

	/* the leader's writes pass the fence */
	TEST_EQ_INT(fenced_write(st, "alice"), 0);
	TEST_EQ_INT(stale, 0);

	test_store_close(st, url);

	return 0;
}


/* On PostgreSQL: end the connection holding the leader's lock, from
 * outside (as a network cut would). */
static int pg_cut_leader(const char *url)
{
	PGconn *c = PQconnectdb(url);
	PGresult *res;
	int err;

	res = PQexec(c, "SELECT pg_terminate_backend(pid) FROM pg_locks"
		     " WHERE locktype = 'advisory' AND granted"
		     " AND classid::bigint = (7091881220906444146 >> 32)"
		     " AND objid::bigint = (7091881220906444146 & 4294967295)");
	err = PQresultStatus(res) == PGRES_TUPLES_OK &&
		PQntuples(res) == 1 ? 0 : EIO;
	PQclear(res);
	PQfinish(c);

	return err;
}


/*
 * Two nodes. On PostgreSQL the second waits while the first holds the
 * lock; the first's connection cut, the second takes over (epoch 2) and
 * the first, reconnecting, cannot take the lock back: its fenced writes
 * are ESTALE (its stale handler told once), its reads still work. On
 * SQLite (one process is the whole system: no lock), a second handle
 * leading makes the first's writes stale the same way, by the epoch.
 */
TEST(store_lead_takeover_fences_the_old_leader)
{
	struct store *a = NULL, *b = NULL;
	char url[512], node[64];
	uint64_t e = 0;
	int stale = 0, ping = -1, i, err;
	bool pg;

	TEST_EQ_INT(test_store_open(&a, url, sizeof(url)), 0);
	pg = test_store_is_pg(url);
	TEST_EQ_INT(store_open(&b, url, 100), 0);
	store_set_stale_h(a, stale_h, &stale);

	TEST_EQ_INT(lead(a, "a:1", &e), 0);
	TEST_EQ_INT(e, 1);
	if (pg) {
		TEST_EQ_INT(lead(b, "b:1", &e), EAGAIN);
		TEST_EQ_INT(fenced_write(a, "alice"), 0);
		TEST_EQ_INT(pg_cut_leader(url), 0);
	}

	/* pg_terminate_backend only signals: the lock goes when the
	 * backend has exited, a moment later under load */
	for (i = 0; i < 250 && (err = lead(b, "b:1", &e)) == EAGAIN; i++)
		usleep(20000);
	TEST_EQ_INT(err, 0);
	TEST_EQ_INT(e, 2);
	TEST_EQ_INT(stale, 0);

	/* the old leader, reading who leads, learns it is stale */
	TEST_EQ_INT(leader(a, node, sizeof(node), &e), 0);
	TEST_EQ_STR(node, "b:1");
	TEST_EQ_INT(e, 2);
	TEST_EQ_INT(stale, 1);

	/* and can no longer write as the ACD */
	TEST_EQ_INT(fenced_write(a, "mallory"), ESTALE);
	TEST_EQ_INT(stale, 1);
	TEST_EQ_INT(fenced_write(a, "mallory"), ESTALE);
	TEST_EQ_INT(stale, 1);
	TEST_EQ_INT(store_ping(a, done_h, &ping), 0);
	store_flush(a);
	TEST_EQ_INT(ping, 0);

	/* the new one can */
	TEST_EQ_INT(fenced_write(b, "bob"), 0);

	mem_deref(b);
	test_store_close(a, url);

	return 0;
}


/* On PostgreSQL: the epoch moved from outside, as by a leader this
 * node does not know of (a lock lost unseen) */
static int pg_bump_epoch(const char *url)
{
	PGconn *c = PQconnectdb(url);
	PGresult *res;
	int err;

	res = PQexec(c, "UPDATE cluster SET epoch = epoch + 1 WHERE id = 1");
	err = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : EIO;
	PQclear(res);
	PQfinish(c);

	return err;
}


/*
 * A transaction reads the epoch once for all its fenced ops (the row
 * stays locked to its end), but every transaction reads it again: a
 * leader whose epoch moved between two batches is stale at the second.
 */
TEST(store_fence_read_again_each_transaction)
{
	struct store *a = NULL, *b = NULL;
	char url[512];
	uint64_t e = 0;
	int e1 = -1, e2 = -1;

	TEST_EQ_INT(test_store_open(&a, url, sizeof(url)), 0);
	TEST_EQ_INT(store_open(&b, url, 100), 0);
	TEST_EQ_INT(lead(a, "a:1", &e), 0);

	/* two in one batch: one read, both pass */
	TEST_EQ_INT(store_phone_agent_set(a, "acme", "+15550100", "alice",
					  done_h, &e1), 0);
	TEST_EQ_INT(store_phone_agent_set(a, "acme", "+15550101", "alice",
					  done_h, &e2), 0);
	store_flush(a);
	TEST_EQ_INT(e1, 0);
	TEST_EQ_INT(e2, 0);

	if (test_store_is_pg(url))
		TEST_EQ_INT(pg_bump_epoch(url), 0);
	else
		TEST_EQ_INT(lead(b, "b:1", &e), 0);
	TEST_EQ_INT(fenced_write(a, "mallory"), ESTALE);

	mem_deref(b);
	test_store_close(a, url);

	return 0;
}


/* PostgreSQL: the leader's connection cut while nobody takes over; it
 * reconnects, takes the lock back, and leads on with the same epoch. */
TEST(store_lead_survives_its_reconnect)
{
	struct store *a = NULL, *b = NULL;
	char url[512];
	uint64_t e = 0;
	int stale = 0;

	TEST_EQ_INT(test_store_open(&a, url, sizeof(url)), 0);
	if (!test_store_is_pg(url)) {
		printf("  skipped: PostgreSQL only (BECKON_TEST_PG)\n");
		test_store_close(a, url);
		return 0;
	}
	store_set_stale_h(a, stale_h, &stale);

	TEST_EQ_INT(lead(a, "a:1", &e), 0);
	TEST_EQ_INT(pg_cut_leader(url), 0);
	TEST_EQ_INT(fenced_write(a, "alice"), 0);
	TEST_EQ_INT(stale, 0);

	/* it holds the lock again: another node cannot take it */
	TEST_EQ_INT(store_open(&b, url, 100), 0);
	TEST_EQ_INT(lead(b, "b:1", &e), EAGAIN);

	mem_deref(b);
	test_store_close(a, url);

	return 0;
}


/* PostgreSQL restarted: every session ends, the leader's lock with it.
 * A follower that reconnects first leaves the lock to the leader for a
 * while (pg.c, PG_LEAD_GRACE_MS), which takes it back with the same
 * epoch; before, the follower's try took it and the leader went stale. */
TEST(store_lead_kept_across_server_restart)
{
	struct store *a = NULL, *b = NULL;
	char url[512], node[64];
	uint64_t e = 0;
	int stale = 0;

	if (!getenv("BECKON_TEST_PG_CTL")) {
		printf("  skipped: needs BECKON_TEST_PG_CTL "
		       "(tests/integration/store_pg.sh)\n");
		return 0;
	}

	TEST_EQ_INT(test_store_open(&a, url, sizeof(url)), 0);
	TEST_EQ_INT(store_open(&b, url, 100), 0);
	store_set_stale_h(a, stale_h, &stale);
	TEST_EQ_INT(lead(a, "a:1", &e), 0);
	TEST_EQ_INT(lead(b, "b:1", &e), EAGAIN);

	TEST_EQ_INT(test_store_pg_ctl("stop"), 0);
	TEST_EQ_INT(test_store_pg_ctl("start"), 0);

	/* the follower is back first, and the lock is free */
	TEST_EQ_INT(test_store_wait_ping(b), 0);
	TEST_EQ_INT(lead(b, "b:1", &e), EAGAIN);

	/* the leader's next write reconnects and takes it back */
	TEST_EQ_INT(test_store_wait_ping(a), 0);
	TEST_EQ_INT(fenced_write(a, "alice"), 0);
	TEST_EQ_INT(leader(a, node, sizeof(node), &e), 0);
	TEST_EQ_STR(node, "a:1");
	TEST_EQ_INT(e, 1);
	TEST_EQ_INT(stale, 0);
	TEST_EQ_INT(lead(b, "b:1", &e), EAGAIN);

	mem_deref(b);
	test_store_close(a, url);

	return 0;
}
