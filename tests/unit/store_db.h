/*
 * The store the store tests run on: a SQLite file of their own, or, when
 * BECKON_TEST_PG names a PostgreSQL database (tests/integration/
 * store_pg.sh), that database emptied for each test.
 */
#ifndef BECKON_TEST_STORE_DB_H
#define BECKON_TEST_STORE_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;
struct store_listener;

/* open a new, empty store; url (sz bytes) gets its URL */
int test_store_open(struct store **stp, char *url, size_t sz);
/* remove what a closed store left (a SQLite file) */
void test_store_rm(const char *url);
/* close it and remove what it left */
void test_store_close(struct store *st, const char *url);
bool test_store_is_pg(const char *url);

/* store_pg.sh's server (BECKON_TEST_PG_CTL) stopped or started again */
int test_store_pg_ctl(const char *what);
/* ping until the store answers (the backend reconnects), at most 20 s */
int test_store_wait_ping(struct store *st);

/* What a listener of one channel heard: on PostgreSQL on a store handle
 * of its own, as another node would be; on SQLite on st (one process is
 * the whole system there). */
enum { TEST_HEARD_MAX = 16 };
struct test_heard {
	struct store_listener *l;
	struct store *other;
	size_t resyncs;
	size_t n;                 /* heard */
	char v[TEST_HEARD_MAX][64];  /* the payloads, in order */
};

/* listening, its first resync done (at most 10 s) */
int  test_store_hear(struct test_heard *h, struct store *st,
		     const char *url, const char *channel);
void test_store_unhear(struct test_heard *h);
/* run the loop until *n >= want, at most ms: 0 or ETIMEDOUT */
int  test_store_wait(const size_t *n, size_t want, uint32_t ms);

#endif
