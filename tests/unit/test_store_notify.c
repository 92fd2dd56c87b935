/*
 * LISTEN/NOTIFY in the store (src/store/notify.c, pg_listen.c,
 * sqlite.c), on every backend the store tests run on (store_db.h): on
 * PostgreSQL the listener is on a store handle of its own, as another
 * node's. A notification is heard once, after its commit, and never when
 * its op is rolled back; with BECKON_TEST_PG_CTL (store_pg.sh) the
 * server is restarted under a listener, which resyncs and hears again.
 */
#include <stdlib.h>
#include <re.h>
#include "util/util.h"
#include "store/store_int.h"
#include "test.h"
#include "store_db.h"

static const char CH[] = "beckon_test";


/* the payloads heard, in order, are exactly want's */
static int heard_is(const struct test_heard *h, const char *const *want,
		    size_t n)
{
	size_t i;

	TEST_EQ_INT(h->n, n);
	for (i = 0; i < n; i++)
		TEST_EQ_STR(h->v[i], want[i]);

	return 0;
}


/* "end" told last: once it is heard, whatever came before it was */
static int until_end(struct store *st, struct test_heard *h, size_t n)
{
	int err = store_notify(st, CH, "end");

	return err ? err : test_store_wait(&h->n, n, 10000);
}


static void heard_h(const char *channel, const char *payload, void *arg)
{
	(void)channel;
	(void)payload;
	(void)arg;
}


static void resync_h(void *arg)
{
	(void)arg;
}


TEST(store_notify_heard_once)
{
	static const char *const want[] = {"p1", "", "twice", "end"};
	struct store *st = NULL;
	struct test_heard h;
	char url[512], big[STORE_PAYLOAD_MAX + 2], ch[STORE_CHANNEL_MAX + 2];
	const char *chs[] = {ch};
	struct store_listener *l = NULL;
	int err;

	TEST_EQ_INT(test_store_open(&st, url, sizeof(url)), 0);
	err = test_store_hear(&h, st, url, CH);
	TEST_EQ_INT(err, 0);
	TEST_EQ_INT(h.resyncs, 1);

	/* bounds: refused before anything is queued */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memset(ch, 'c', sizeof(ch) - 1);
	ch[sizeof(ch) - 1] = '\0';
	TEST_EQ_INT(store_notify(st, CH, big), EMSGSIZE);
	TEST_EQ_INT(store_notify(st, ch, "x"), EINVAL);
	TEST_EQ_INT(store_notify(st, "", "x"), EINVAL);
	TEST_EQ_INT(store_notify(st, NULL, "x"), EINVAL);
	TEST_EQ_INT(store_listen(&l, st, chs, 1, heard_h, resync_h, NULL),
		    EINVAL);
	TEST_ASSERT(l == NULL);

	TEST_EQ_INT(store_notify(st, CH, "p1"), 0);
	TEST_EQ_INT(store_notify(st, "beckon_other", "not ours"), 0);
	TEST_EQ_INT(store_notify(st, CH, NULL), 0);
	/* one transaction (one batch): the same twice is heard once */
	TEST_EQ_INT(store_notify(st, CH, "twice"), 0);
	TEST_EQ_INT(store_notify(st, CH, "twice"), 0);
	TEST_EQ_INT(until_end(st, &h, 4), 0);
	TEST_EQ_INT(heard_is(&h, want, 4), 0);

	/* the largest payload PostgreSQL takes goes through whole */
	big[STORE_PAYLOAD_MAX] = '\0';
	TEST_EQ_INT(store_notify(st, CH, big), 0);
	TEST_EQ_INT(test_store_wait(&h.n, 5, 10000), 0);
	TEST_EQ_INT(strlen(h.v[4]), sizeof(h.v[4]) - 1);
	TEST_EQ_INT(h.resyncs, 1);

	test_store_unhear(&h);
	test_store_close(st, url);

	return 0;
}


/* an op that tells, then fails: its notification must go with it */
struct op_fail {
	struct store_op op;
	int calls;
};


static int fail_run(struct store_tx *tx, struct store_op *op)
{
	int err = store_run_notify(tx, CH, "rolled back");

	return err ? err : EEXIST;
}


static void fail_done(struct store_op *op)
{
	int *errp = op->arg;

	*errp = op->err;
}


static const struct store_op_desc fail_desc = {
	.name = "test_notify_fail",
	.writes = true,
	.run = fail_run,
	.done = fail_done,
};


TEST(store_notify_rolled_back)
{
	static const char *const want[] = {"kept", "after", "end"};
	struct store *st = NULL;
	struct test_heard h;
	struct op_fail *o;
	char url[512];
	int ferr = -1;

	TEST_EQ_INT(test_store_open(&st, url, sizeof(url)), 0);
	TEST_EQ_INT(test_store_hear(&h, st, url, CH), 0);

	/* one batch: the optimistic run fails at the second op and is
	 * run again carefully, the failing op in a savepoint rolled back */
	TEST_EQ_INT(store_notify(st, CH, "kept"), 0);
	o = store_op_alloc(sizeof(*o), &fail_desc, &ferr);
	TEST_ASSERT(o != NULL);
	TEST_EQ_INT(store_op_queue(st, o, 0), 0);
	TEST_EQ_INT(store_notify(st, CH, "after"), 0);
	store_flush(st);
	TEST_EQ_INT(ferr, EEXIST);

	TEST_EQ_INT(until_end(st, &h, 3), 0);
	TEST_EQ_INT(heard_is(&h, want, 3), 0);

	test_store_unhear(&h);
	test_store_close(st, url);

	return 0;
}


/* PostgreSQL stopped and started again under a listener: it connects
 * again, resyncs, and hears what is told from then on. */
TEST(store_notify_pg_restart)
{
	static const char *const want[] = {"before", "after"};
	struct store *st = NULL;
	struct test_heard h;
	char url[512];

	if (!getenv("BECKON_TEST_PG_CTL")) {
		printf("  skipped: needs BECKON_TEST_PG_CTL "
		       "(tests/integration/store_pg.sh)\n");
		return 0;
	}

	TEST_EQ_INT(test_store_open(&st, url, sizeof(url)), 0);
	TEST_EQ_INT(test_store_hear(&h, st, url, CH), 0);
	TEST_EQ_INT(store_notify(st, CH, "before"), 0);
	TEST_EQ_INT(test_store_wait(&h.n, 1, 10000), 0);

	/* while it is down the loop runs: the listener finds the
	 * connection gone and tries again (100, 200, 400 ms), in vain,
	 * and resyncs no one */
	TEST_EQ_INT(test_store_pg_ctl("stop"), 0);
	TEST_EQ_INT(test_store_wait(&h.resyncs, 2, 1000), ETIMEDOUT);
	TEST_EQ_INT(h.resyncs, 1);
	TEST_EQ_INT(test_store_pg_ctl("start"), 0);
	TEST_EQ_INT(test_store_wait(&h.resyncs, 2, 20000), 0);
	TEST_EQ_INT(test_store_wait_ping(st), 0);

	TEST_EQ_INT(store_notify(st, CH, "after"), 0);
	TEST_EQ_INT(test_store_wait(&h.n, 2, 10000), 0);
	TEST_EQ_INT(heard_is(&h, want, 2), 0);
	TEST_EQ_INT(h.resyncs, 2);

	test_store_unhear(&h);
	test_store_close(st, url);

	return 0;
}
