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
