/*
 * The store's statements (sql.c) under the rule store_int.h states: every
 * text numbers its parameters ?N (or $N) from 1 with none missing (a
 * PostgreSQL statement needs each one's type), PostgreSQL's placeholders
 * come from store_sql_dollar, and each SQLite text prepares on a real
 * database made by the migrations.
 */
#include <stdlib.h>
#include <sqlite3.h>
#include <re.h>
#include "util/util.h"
#include "store/store_int.h"
#include "test.h"


static int dollar(char *buf, size_t sz, int *np, const char *sql)
{
	char *out = NULL;
	int err = store_sql_dollar(&out, np, sql);

	if (!err)
		str_bcpy(buf, out, sz);
	mem_deref(out);

	return err;
}


TEST(store_sql_dollar)
{
	char b[256], *d = NULL;
	int n = -1;

	TEST_EQ_INT(dollar(b, sizeof(b), &n, "SELECT 1"), 0);
	TEST_EQ_STR(b, "SELECT 1");
	TEST_EQ_INT(n, 0);

	TEST_EQ_INT(dollar(b, sizeof(b), &n, "SELECT ?1, '?2 $.a', ?10"
			   " FROM t WHERE a = $3"), 0);
	TEST_EQ_STR(b, "SELECT $1, '?2 $.a', $10 FROM t WHERE a = $3");
	TEST_EQ_INT(n, 10);

	TEST_EQ_INT(dollar(b, sizeof(b), &n,
			   "UPDATE t SET a = ?2, b = ?12 WHERE c = ?1"), 0);
	TEST_EQ_STR(b, "UPDATE t SET a = $2, b = $12 WHERE c = $1");
	TEST_EQ_INT(n, 12);

	/* strings, quoted names and comments are left alone */
	TEST_EQ_INT(dollar(b, sizeof(b), &n,
			   "SELECT 'it''s ?1', \"a?2\" -- ?3\n"
			   " FROM t /* ?4 */ WHERE x = ?5"), 0);
	TEST_EQ_STR(b, "SELECT 'it''s ?1', \"a?2\" -- ?3\n"
		    " FROM t /* ?4 */ WHERE x = $5");
	TEST_EQ_INT(n, 5);

	/* PostgreSQL's own $N are kept and counted; a $ that is no
	 * parameter is left */
	TEST_EQ_INT(dollar(b, sizeof(b), &n, "SELECT $2::text, a$b"), 0);
	TEST_EQ_STR(b, "SELECT $2::text, a$b");
	TEST_EQ_INT(n, 2);

	/* no count wanted */
	TEST_EQ_INT(store_sql_dollar(&d, NULL, "SELECT ?1"), 0);
	TEST_EQ_STR(d, "SELECT $1");
	d = mem_deref(d);

	/* a bare ? is not the rule's: refused, not guessed */
	TEST_EQ_INT(store_sql_dollar(&d, &n, "SELECT ? FROM t"), EINVAL);
	TEST_ASSERT(d == NULL);
	TEST_EQ_INT(dollar(b, sizeof(b), &n, "SELECT a FROM t WHERE b = ?"),
		    EINVAL);
	TEST_EQ_INT(dollar(b, sizeof(b), &n, "SELECT ? + 1"), EINVAL);
	TEST_EQ_INT(dollar(b, sizeof(b), &n, "SELECT ?0"), EINVAL);
	TEST_EQ_INT(dollar(b, sizeof(b), &n, "SELECT ?65"), EINVAL);
	TEST_EQ_INT(dollar(b, sizeof(b), &n, "SELECT 'open"), 0);
	TEST_EQ_STR(b, "SELECT 'open");

	return 0;
}


/* The parameters a text uses, as a bit set (1 << N); EINVAL for a bare
 * ? or a number out of range. */
static int params_of(const char *sql, uint64_t *setp)
{
	bool quoted = false;
	uint64_t set = 0;

	for (; *sql; sql++) {
		unsigned long n;
		char *end;

		if (*sql == '\'')
			quoted = !quoted;
		if (quoted || (*sql != '?' && *sql != '$'))
			continue;
		n = strtoul(sql + 1, &end, 10);
		if (end == sql + 1 || !n || n > 62)
			return EINVAL;
		set |= (uint64_t)1 << n;
		sql = end - 1;
	}
	*setp = set;

	return 0;
}


/* Parameters 1 to the highest, none missing. */
static bool params_whole(uint64_t set)
{
	uint64_t top = set;

	while (top & (top - 1))
		top &= top - 1;     /* the highest bit alone */

	return !set || set == ((top << 1) - 2);
}


TEST(store_sql_params)
{
	size_t i;

	for (i = 0; i < SQ_COUNT; i++) {
		const char *lite = store_stmt_sql(i, SD_SQLITE);
		const char *pg = store_stmt_sql(i, SD_POSTGRES);
		uint64_t a = 0, b = 0;
		char *d = NULL;

		TEST_ASSERT(store_stmts[i].name != NULL);
		TEST_ASSERT(lite != NULL);
		TEST_EQ_INT(params_of(lite, &a), 0);
		if (!params_whole(a)) {
			fprintf(stderr, "  %s: parameters missing\n",
				store_stmts[i].name);
			return EINVAL;
		}
		/* not written for PostgreSQL: said so, never by accident */
		if (!pg) {
			TEST_ASSERT(store_stmts[i].pg == store_sql_unwritten);
			continue;
		}
		TEST_EQ_INT(store_sql_dollar(&d, NULL, pg), 0);
		TEST_EQ_INT(params_of(d, &b), 0);
		mem_deref(d);
		/* the same parameters as SQLite's: an op binds once */
		if (a != b) {
			fprintf(stderr, "  %s: PostgreSQL's parameters differ"
				"\n", store_stmts[i].name);
			return EINVAL;
		}
	}

	return 0;
}


TEST(store_sql_prepares)
{
	const char *const *mig;
	sqlite3 *db = NULL;
	size_t n, i;
	int err = 0;

	mig = store_sqlite_migrations(&n);
	TEST_EQ_INT(sqlite3_open(":memory:", &db), SQLITE_OK);
	for (i = 0; !err && i < n; i++)
		err = sqlite3_exec(db, mig[i], NULL, NULL, NULL);

	for (i = 0; !err && i < SQ_COUNT; i++) {
		sqlite3_stmt *s = NULL;

		if (sqlite3_prepare_v2(db, store_stmt_sql(i, SD_SQLITE), -1,
				       &s, NULL) != SQLITE_OK) {
			fprintf(stderr, "  %s: %s\n", store_stmts[i].name,
				sqlite3_errmsg(db));
			err = EINVAL;
		}
		sqlite3_finalize(s);
	}
	sqlite3_close(db);

	return err;
}
