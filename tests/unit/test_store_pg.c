/*
 * What the PostgreSQL backend adds (src/store/pg.c): its migrations at
 * SQLite's version, and, on every backend the tests run on (store_db.h), the ops moved to ops.c
 * with a batch that runs again carefully after a failed writing op, and
 * an op that goes on after a failed statement of its own, and every
 * statement of sql.c prepared in the backend's dialect. With
 * BECKON_TEST_PG_CTL (tests/integration/store_pg.sh), the server stopped
 * while ops are queued, then started again.
 */
#include <stdlib.h>
#include <time.h>
#include <sqlite3.h>
#include <libpq-fe.h>
#include <re.h>
#include "util/util.h"
#include "store/store_int.h"
#include "metrics/metrics.h"
#include "test.h"
#include "store_db.h"


/* A migration added to one dialect alone fails here. */
TEST(store_pg_migrations_at_sqlite_version)
{
	const struct store_migration *m;
	size_t n, nsqlite, i;

	store_sqlite_migrations(&nsqlite);
	m = store_pg_migrations(&n);

	TEST_ASSERT(n > 0);
	TEST_EQ_INT(m[n - 1].version, nsqlite);
	for (i = 1; i < n; i++)
		TEST_EQ_INT(m[i].version, m[i - 1].version + 1);

	return 0;
}


struct res {
	int calls;
	int err;
	size_t n;
	char value[64];
};


static void done_h(int err, void *arg)
{
	struct res *r = arg;

	r->calls++;
	r->err = err;
}


static void str_h(int err, const char *v, void *arg)
{
	struct res *r = arg;

	r->calls++;
	r->err = err;
	str_bcpy(r->value, v ? v : "", sizeof(r->value));
}


static void list_h(int err, void *const *v, size_t n, void *arg)
{
	struct res *r = arg;

	(void)v;
	r->calls++;
	r->err = err;
	r->n = n;
}


static void intake_h(int err, const struct intake_row *v, size_t n,
		     void *arg)
{
	struct res *r = arg;

	(void)v;
	r->calls++;
	r->err = err;
	r->n = n;
}


/* One agent for a number, through set and get, committed. */
static int agent_set(struct store *st, const char *phone, const char *a)
{
	struct res r = {0};
	int err;

	err = store_phone_agent_set(st, "acme", phone, a, done_h, &r);
	if (err)
		return err;
	store_flush(st);

	return r.calls == 1 ? r.err : EPROTO;
}


static int agent_get(struct store *st, const char *phone, char *buf,
		     size_t sz)
{
	struct res r = {0};
	int err;

	err = store_phone_agent_get(st, "acme", phone, str_h, &r);
	if (err)
		return err;
	store_flush(st);
	str_bcpy(buf, r.value, sz);

	return r.calls == 1 ? r.err : EPROTO;
}


/* /metrics as text, NUL-terminated */
static int batch_metrics(struct mbuf **mbp)
{
	static const struct metrics_now none;
	struct mbuf *mb = mbuf_alloc(8192);
	int err;

	if (!mb)
		return ENOMEM;
	err = metrics_write(mb, &none);
	if (!err)
		err = mbuf_write_u8(mb, 0);
	if (err)
		mem_deref(mb);
	else
		*mbp = mb;

	return err;
}


TEST(store_moved_ops)
{
	struct store *st = NULL;
	struct res p = {0}, a = {0}, bad = {0}, c = {0}, in = {0};
	struct res due = {0}, list = {0}, od = {0};
	struct outbox_result res;
	struct mbuf *m = NULL;
	char url[512], v[64];

	TEST_EQ_INT(test_store_open(&st, url, sizeof(url)), 0);
	printf("  on %s\n", store_backend(st));

	TEST_EQ_INT(store_ping(st, done_h, &p), 0);
	store_flush(st);
	TEST_EQ_INT(p.err, 0);

	TEST_EQ_INT(agent_set(st, "+33123456789", "alice"), 0);
	TEST_EQ_INT(agent_set(st, "+33123456789", "bob"), 0);
	TEST_EQ_INT(agent_get(st, "+33123456789", v, sizeof(v)), 0);
	TEST_EQ_STR(v, "bob");
	TEST_EQ_INT(agent_get(st, "+33999999999", v, sizeof(v)), ENOENT);

	/* one batch: a write, a failing write (ENOENT: an answer, but the
	 * batch runs again carefully), a write and reads after them */
	metrics_reset();
	TEST_EQ_INT(store_phone_agent_set(st, "acme", "+1", "carol", done_h,
					  &a), 0);
	TEST_EQ_INT(store_outbox_replay(st, "w_none", 7, done_h, &bad), 0);
	TEST_EQ_INT(store_phone_agent_set(st, "acme", "+2", "dave", done_h,
					  &c), 0);
	TEST_EQ_INT(store_intake_since(st, 0, intake_h, &in), 0);
	TEST_EQ_INT(store_outbox_due(st, time_now_ms(), 10, list_h, &due),
		    0);
	TEST_EQ_INT(store_outbox_list(st, "w_none", 10, list_h, &list), 0);
	memset(&res, 0, sizeof(res));
	res.seq = 12345;
	res.state = OUTBOX_FAILED;
	res.error = "refused";
	res.fail_max = 3;
	res.now = time_now_ms();
	TEST_EQ_INT(store_outbox_done(st, &res, done_h, &od), 0);
	store_flush(st);

	TEST_EQ_INT(a.calls, 1);
	TEST_EQ_INT(a.err, 0);
	TEST_EQ_INT(bad.calls, 1);
	TEST_EQ_INT(bad.err, ENOENT);
	TEST_EQ_INT(c.calls, 1);
	TEST_EQ_INT(c.err, 0);
	TEST_EQ_INT(in.err, 0);
	TEST_EQ_INT(in.n, 0);
	TEST_EQ_INT(due.err, 0);
	TEST_EQ_INT(due.n, 0);
	TEST_EQ_INT(list.err, 0);
	TEST_EQ_INT(list.n, 0);
	TEST_EQ_INT(od.err, 0);
	TEST_EQ_INT(batch_metrics(&m), 0);
	TEST_ASSERT(strstr((char *)m->buf,
			   "\nbeckon_store_batch_size_count 1\n"));
	TEST_ASSERT(strstr((char *)m->buf,
			   "\nbeckon_store_batch_size_sum 7"));
	m = mem_deref(m);

	/* both writes around the failed one are committed */
	TEST_EQ_INT(agent_get(st, "+1", v, sizeof(v)), 0);
	TEST_EQ_STR(v, "carol");
	TEST_EQ_INT(agent_get(st, "+2", v, sizeof(v)), 0);
	TEST_EQ_STR(v, "dave");

	/* and a new store on the same database still has them */
	mem_deref(st);
	TEST_EQ_INT(store_open(&st, url, 100), 0);
	TEST_EQ_INT(agent_get(st, "+33123456789", v, sizeof(v)), 0);
	TEST_EQ_STR(v, "bob");

	test_store_close(st, url);

	return 0;
}


/* An op of the test's own that goes on after one of its statements
 * failed (a NOT NULL broken), as ops may on SQLite, then reads. */
struct op_after {
	struct store_op op;
	int first;                /* the failed statement's errno */
	char value[64];           /* what the read found */
	int calls;
};


static int after_run(struct store_tx *tx, struct store_op *op)
{
	struct op_after *o = (struct op_after *)op;
	struct store_run r;
	bool row = false;
	int err;

	err = store_run_open(&r, tx, SQ_PHONE_AGENT_SET);
	if (!err) {
		store_run_text(&r, 1, "acme");
		store_run_text(&r, 2, "+3");
		store_run_text(&r, 3, NULL);
		store_run_num(&r, 4, 1);
		o->first = store_run_done(&r);
	}
	store_run_close(&r);

	err = store_run_open(&r, tx, SQ_PHONE_AGENT_GET);
	if (!err) {
		store_run_text(&r, 1, "acme");
		store_run_text(&r, 2, "+1");
		err = store_run_step(&r, &row);
	}
	if (!err && row)
		str_bcpy(o->value, store_run_col_text(&r, 0),
			 sizeof(o->value));
	store_run_close(&r);

	return err ? err : row ? 0 : ENOENT;
}


static void after_clear(struct store_op *op)
{
	((struct op_after *)op)->value[0] = '\0';
}


static void after_done(struct store_op *op)
{
	struct op_after *o = (struct op_after *)op;
	struct op_after *out = op->arg;

	out->op.err = op->err;
	out->first = o->first;
	str_bcpy(out->value, o->value, sizeof(out->value));
	out->calls++;
}


static const struct store_op_desc after_desc = {
	.name = "after",
	.run = after_run,
	.clear = after_clear,
	.done = after_done,
};


/* On PostgreSQL a failed statement aborts the transaction: the batch
 * runs again with a savepoint per statement, and the op's read, the
 * writes before and after it are all there, as on SQLite. */
TEST(store_op_goes_on_after_a_failed_statement)
{
	struct store *st = NULL;
	struct res a = {0}, c = {0};
	struct op_after out;
	char url[512], v[64];
	void *op;

	memset(&out, 0, sizeof(out));
	TEST_EQ_INT(test_store_open(&st, url, sizeof(url)), 0);
	TEST_EQ_INT(store_phone_agent_set(st, "acme", "+1", "carol", done_h,
					  &a), 0);
	op = store_op_alloc(sizeof(struct op_after), &after_desc, &out);
	TEST_ASSERT(op);
	TEST_EQ_INT(store_queue(st, op), 0);
	TEST_EQ_INT(store_phone_agent_set(st, "acme", "+2", "dave", done_h,
					  &c), 0);
	store_flush(st);

	TEST_EQ_INT(a.err, 0);
	TEST_EQ_INT(out.calls, 1);
	TEST_EQ_INT(out.first, EEXIST);    /* a constraint, as SQLite's */
	TEST_EQ_INT(out.op.err, 0);
	TEST_EQ_STR(out.value, "carol");
	TEST_EQ_INT(c.err, 0);
	TEST_EQ_INT(agent_get(st, "+2", v, sizeof(v)), 0);
	TEST_EQ_STR(v, "dave");
	TEST_EQ_INT(agent_get(st, "+3", v, sizeof(v)), ENOENT);

	test_store_close(st, url);

	return 0;
}


TEST(store_pg_server_restart)
{
	struct store *st = NULL;
	struct res a = {0}, g = {0}, p = {0};
	char url[512], v[64];

	if (!getenv("BECKON_TEST_PG_CTL")) {
		printf("  skipped: needs BECKON_TEST_PG_CTL "
		       "(tests/integration/store_pg.sh)\n");
		return 0;
	}

	TEST_EQ_INT(test_store_open(&st, url, sizeof(url)), 0);
	TEST_EQ_INT(agent_set(st, "+1", "alice"), 0);

	/* queued, then the server goes away before they run */
	TEST_EQ_INT(store_phone_agent_set(st, "acme", "+2", "bob", done_h,
					  &a), 0);
	TEST_EQ_INT(store_phone_agent_get(st, "acme", "+1", str_h, &g), 0);
	TEST_EQ_INT(test_store_pg_ctl("stop"), 0);
	store_flush(st);
	TEST_EQ_INT(a.calls, 1);
	TEST_EQ_INT(a.err, ENOTCONN);
	TEST_EQ_INT(g.calls, 1);
	TEST_EQ_INT(g.err, ENOTCONN);

	/* while it is away: at once, the same answer */
	TEST_EQ_INT(store_ping(st, done_h, &p), 0);
	store_flush(st);
	TEST_EQ_INT(p.err, ENOTCONN);

	/* back: the backend reconnects; what was answered OK is there,
	 * what failed is not, and new writes succeed */
	TEST_EQ_INT(test_store_pg_ctl("start"), 0);
	TEST_EQ_INT(test_store_wait_ping(st), 0);
	TEST_EQ_INT(agent_get(st, "+1", v, sizeof(v)), 0);
	TEST_EQ_STR(v, "alice");
	TEST_EQ_INT(agent_get(st, "+2", v, sizeof(v)), ENOENT);
	TEST_EQ_INT(agent_set(st, "+2", "bob"), 0);
	TEST_EQ_INT(agent_get(st, "+2", v, sizeof(v)), 0);
	TEST_EQ_STR(v, "bob");

	test_store_close(st, url);

	return 0;
}


/* Run by several processes at once on one new database (store_pg.sh):
 * each opens it, so each may find it empty; the advisory lock lets one
 * migrate while the others wait, then find nothing to do. */
TEST(store_pg_open_race)
{
	const char *uri = getenv("BECKON_TEST_PG_RACE");
	struct store *st = NULL;
	struct res p = {0};

	if (!uri) {
		printf("  skipped: needs BECKON_TEST_PG_RACE "
		       "(tests/integration/store_pg.sh)\n");
		return 0;
	}

	TEST_EQ_INT(store_open(&st, uri, 100), 0);
	TEST_EQ_INT(store_ping(st, done_h, &p), 0);
	store_flush(st);
	TEST_EQ_INT(p.err, 0);
	mem_deref(st);

	return 0;
}


/* Every statement of sql.c, in the dialect of the backend the tests run
 * on, prepares against the schema its migrations make: a statement moved
 * to sql.c that one dialect cannot run fails here, before any op runs
 * it. */
static int prepare_pg(const char *url)
{
	PGconn *c = PQconnectdb(url);
	int i, bad = 0;

	for (i = 0; i < SQ_COUNT && PQstatus(c) == CONNECTION_OK; i++) {
		const struct store_stmt *st = &store_stmts[i];
		const char *sql = store_stmt_sql(i, SD_POSTGRES);
		PGresult *res;
		char name[16], *pg = NULL;
		int np;

		if (!sql || store_sql_dollar(&pg, &np, sql)) {
			fprintf(stderr, "  %s: no PostgreSQL text\n", st->name);
			++bad;
			continue;
		}
		re_snprintf(name, sizeof(name), "t%d", i);
		res = PQprepare(c, name, pg, np, NULL);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			fprintf(stderr, "  %s: %s", st->name,
				PQresultErrorMessage(res));
			++bad;
		}
		PQclear(res);
		mem_deref(pg);
	}
	if (PQstatus(c) != CONNECTION_OK)
		++bad;
	PQfinish(c);

	return bad ? EINVAL : 0;
}


static int prepare_sqlite(const char *path)
{
	sqlite3 *db = NULL;
	int i, bad = 0;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK)
		++bad;
	for (i = 0; i < SQ_COUNT && !bad; i++) {
		sqlite3_stmt *s = NULL;

		if (sqlite3_prepare_v2(db, store_stmt_sql(i, SD_SQLITE), -1,
				       &s, NULL) != SQLITE_OK) {
			fprintf(stderr, "  %s: %s\n", store_stmts[i].name,
				sqlite3_errmsg(db));
			++bad;
		}
		sqlite3_finalize(s);
	}
	sqlite3_close(db);

	return bad ? EINVAL : 0;
}


TEST(store_every_statement_prepares)
{
	struct store *st = NULL;
	char url[512];
	int err;

	TEST_EQ_INT(test_store_open(&st, url, sizeof(url)), 0);
	mem_deref(st);

	err = test_store_is_pg(url) ? prepare_pg(url) :
		prepare_sqlite(url + 7);
	test_store_rm(url);

	return err;
}


/*
 * The per-phone limits' count (SQ_PHONE_RECENT, run in every create's
 * transaction) reads indexes only, on the backend the tests run on: on
 * SQLite no table of it is scanned; on PostgreSQL, with a business's
 * queue of 2000 analysed and sequential scans priced out (a small table
 * is cheaper to scan), none is left in the plan; on both the three
 * indexes it is written for are in it.
 */
static const char *const phone_indexes[] = {
	"callbacks_open_phone", "joined_requests_callback",
};


static int explain_pg(const char *url, struct mbuf *plan)
{
	const char *v[4] = {"acme", "+33123456789", "1000", "1"};
	PGconn *c = PQconnectdb(url);
	PGresult *res = NULL;
	char *pg = NULL, *sql = NULL;
	int i, err = EINVAL;

	if (PQstatus(c) != CONNECTION_OK ||
	    store_sql_dollar(&pg, NULL, store_stmt_sql(SQ_PHONE_RECENT,
							SD_POSTGRES)) ||
	    re_sdprintf(&sql, "EXPLAIN %s", pg))
		goto out;
	/* a business with 2000 callbacks queued, each with a request
	 * joined: the number's own index, not the business's queue nor
	 * every joined request, is what the count should read */
	res = PQexec(c, "INSERT INTO businesses (id, name, timezone,"
		     " country, created_at, updated_at)"
		     " VALUES ('acme', 'Acme', 'UTC', 1, 0, 0);"
		     "INSERT INTO callbacks (id, business_id, phone, status,"
		     " open, created_at, updated_at) SELECT 'cb_' || g,"
		     " 'acme', '+1555' || g, 'queued', 1, g, g"
		     " FROM generate_series(1, 2000) AS g;"
		     "INSERT INTO joined_requests (id, callback_id,"
		     " created_at, since_seq, mark) SELECT 'rq_' || g,"
		     " 'cb_' || g, g, 0, 0 FROM generate_series(1, 2000) AS g;"
		     "ANALYZE; SET enable_seqscan = off");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		fprintf(stderr, "  %s", PQresultErrorMessage(res));
		goto out;
	}
	PQclear(res);
	res = PQexecParams(c, sql, 4, NULL, v, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "  %s", PQresultErrorMessage(res));
		goto out;
	}
	for (i = 0; i < PQntuples(res); i++)
		mbuf_printf(plan, "%s\n", PQgetvalue(res, i, 0));
	mbuf_write_u8(plan, 0);
	err = 0;
	/* the joined requests read by their callback, not all of them */
	if (strstr((char *)plan->buf, "Seq Scan") ||
	    !strstr((char *)plan->buf, "Index Cond: ((callback_id = "))
		err = EINVAL;

 out:
	PQclear(res);
	PQfinish(c);
	mem_deref(pg);
	mem_deref(sql);

	return err;
}


static int explain_sqlite(const char *path, struct mbuf *plan)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	char *sql = NULL;
	int err = EINVAL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK || re_sdprintf(&sql, "EXPLAIN QUERY PLAN %s",
				     store_stmt_sql(SQ_PHONE_RECENT,
						    SD_SQLITE)) ||
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		goto out;
	while (sqlite3_step(s) == SQLITE_ROW)
		mbuf_printf(plan, "%s\n", sqlite3_column_text(s, 3));
	mbuf_write_u8(plan, 0);
	err = 0;
	/* "SCAN r" is the union's own rows; a table scanned is a defect */
	if (strstr((char *)plan->buf, "SCAN callbacks") ||
	    strstr((char *)plan->buf, "SCAN phone_history") ||
	    strstr((char *)plan->buf, "SCAN j"))
		err = EINVAL;

 out:
	sqlite3_finalize(s);
	sqlite3_close(db);
	mem_deref(sql);

	return err;
}


TEST(store_phone_limit_uses_indexes)
{
	struct store *st = NULL;
	struct mbuf *plan = mbuf_alloc(1024);
	char url[512];
	size_t i;
	int err;

	TEST_ASSERT(plan != NULL);
	TEST_EQ_INT(test_store_open(&st, url, sizeof(url)), 0);
	mem_deref(st);

	err = test_store_is_pg(url) ? explain_pg(url, plan) :
		explain_sqlite(url + 7, plan);
	test_store_rm(url);
	for (i = 0; !err && i < ARRAY_SIZE(phone_indexes); i++)
		if (!strstr((char *)plan->buf, phone_indexes[i]))
			err = ENOENT;
	/* phone_history's primary key: SQLite's, PostgreSQL's name */
	if (!err && !strstr((char *)plan->buf, "PRIMARY KEY") &&
	    !strstr((char *)plan->buf, "phone_history_pkey"))
		err = ENOENT;
	if (err || getenv("BECKON_TEST_PLAN"))
		fprintf(stderr, "  the plan:\n%s", plan->end ?
			(char *)plan->buf : "");
	mem_deref(plan);

	return err;
}
