/*
 * The store the store tests run on: a SQLite file of their own, or, when
 * BECKON_TEST_PG names a PostgreSQL database (tests/integration/
 * store_pg.sh), that database emptied for each test.
 */
#ifndef BECKON_TEST_STORE_DB_H
#define BECKON_TEST_STORE_DB_H

#include <stdbool.h>
#include <stddef.h>

struct store;

/* open a new, empty store; url (sz bytes) gets its URL */
int test_store_open(struct store **stp, char *url, size_t sz);
/* remove what a closed store left (a SQLite file) */
void test_store_rm(const char *url);
/* close it and remove what it left */
void test_store_close(struct store *st, const char *url);
bool test_store_is_pg(const char *url);

#endif
