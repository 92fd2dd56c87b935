/*
 * The store tests' database (store_db.h): SQLite by default, PostgreSQL
 * when BECKON_TEST_PG gives a libpq URI. A PostgreSQL database is emptied
 * (its public schema made again) before each test, so that each starts
 * from the migrations as a new installation does.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libpq-fe.h>
#include <re.h>
#include "util/util.h"
#include "store/store.h"
#include "store_db.h"


static const char *pg_uri(void)
{
	const char *u = getenv("BECKON_TEST_PG");

	return u && *u ? u : NULL;
}


bool test_store_is_pg(const char *url)
{
	return !strncmp(url, "postgres://", 11);
}


static void notice_h(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}


static int pg_empty(const char *uri)
{
	PGconn *c = PQconnectdb(uri);
	PGresult *res = NULL;
	int err = 0;

	if (PQstatus(c) == CONNECTION_OK) {
		PQsetNoticeProcessor(c, notice_h, NULL);
		res = PQexec(c, "DROP SCHEMA public CASCADE;"
			     "CREATE SCHEMA public");
	}
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		fprintf(stderr, "  emptying %s: %s", uri,
			PQerrorMessage(c));
		err = EIO;
	}
	PQclear(res);
	PQfinish(c);

	return err;
}


int test_store_open(struct store **stp, char *url, size_t sz)
{
	char dir[] = "/tmp/beckon-store-XXXXXX";
	const char *pg = pg_uri();
	int err;

	if (pg) {
		str_bcpy(url, pg, sz);
		err = pg_empty(url);
		return err ? err : store_open(stp, url, 100);
	}

	if (!mkdtemp(dir))
		return errno;
	re_snprintf(url, sz, "sqlite:%s/t.db", dir);

	return store_open(stp, url, 100);
}


void test_store_rm(const char *url)
{
	const char *path = url + 7;
	char p[256];

	if (test_store_is_pg(url))
		return;

	re_snprintf(p, sizeof(p), "%s", path);
	unlink(p);
	re_snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	re_snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
	re_snprintf(p, sizeof(p), "%s", path);
	*strrchr(p, '/') = '\0';
	rmdir(p);
}


void test_store_close(struct store *st, const char *url)
{
	mem_deref(st);
	test_store_rm(url);
}


/* BECKON_TEST_PG_CTL's script (store_pg.sh) with what: stop, start */
int test_store_pg_ctl(const char *what)
{
	const char *ctl = getenv("BECKON_TEST_PG_CTL");
	char cmd[512];

	if (!ctl)
		return ENOSYS;
	re_snprintf(cmd, sizeof(cmd), "%s %s", ctl, what);

	return system(cmd) ? EIO : 0;
}


static void ping_h(int err, void *arg)
{
	*(int *)arg = err;
}


int test_store_wait_ping(struct store *st)
{
	struct timespec ms100 = {0, 100000000};
	int i, err;

	for (i = 0; i < 200; i++) {
		err = -1;
		if (store_ping(st, ping_h, &err))
			return EINVAL;
		store_flush(st);
		if (err != ENOTCONN)
			return err;
		nanosleep(&ms100, NULL);
	}

	return ETIMEDOUT;
}


/* ---- listening (LISTEN/NOTIFY) ---- */

struct waiter {
	const size_t *n;
	size_t want;
	uint64_t until;
	struct tmr tmr;
};


static void wait_tick(void *arg)
{
	struct waiter *w = arg;

	if (*w->n >= w->want || tmr_jiffies() >= w->until)
		re_cancel();
	else
		tmr_start(&w->tmr, 5, wait_tick, w);
}


int test_store_wait(const size_t *n, size_t want, uint32_t ms)
{
	struct waiter w;

	w.n = n;
	w.want = want;
	w.until = tmr_jiffies() + ms;
	tmr_init(&w.tmr);
	if (*n < want) {
		tmr_start(&w.tmr, 5, wait_tick, &w);
		re_main(NULL);
		tmr_cancel(&w.tmr);
	}

	return *n >= want ? 0 : ETIMEDOUT;
}


static void heard_h(const char *channel, const char *payload, void *arg)
{
	struct test_heard *h = arg;

	(void)channel;
	if (h->n < TEST_HEARD_MAX)
		str_bcpy(h->v[h->n], payload, sizeof(h->v[0]));
	h->n++;
}


static void resync_h(void *arg)
{
	struct test_heard *h = arg;

	h->resyncs++;
}


int test_store_hear(struct test_heard *h, struct store *st,
		    const char *url, const char *channel)
{
	const char *ch[] = {channel};
	int err = 0;

	memset(h, 0, sizeof(*h));
	if (test_store_is_pg(url)) {
		err = store_open(&h->other, url, 100);
		st = h->other;
	}
	if (!err)
		err = store_listen(&h->l, st, ch, 1, heard_h, resync_h, h);
	if (!err)
		err = test_store_wait(&h->resyncs, 1, 10000);
	if (err)
		test_store_unhear(h);

	return err;
}


void test_store_unhear(struct test_heard *h)
{
	h->l = mem_deref(h->l);
	h->other = mem_deref(h->other);
}
