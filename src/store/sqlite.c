/*
 * The SQLite backend: WAL journal, synchronous=FULL, prepared statements,
 * and group commit.
 *
 * Group commit: an operation is not executed when it is queued. The first
 * operation queued in a loop turn starts a zero-delay timer; libre runs
 * timers after it has dispatched every socket event of the turn, so by the
 * time the timer fires every request that arrived in that turn has queued
 * its operation. The timer runs them all in ONE transaction (one WAL fsync),
 * each inside its own SAVEPOINT so that one failing operation rolls back
 * alone and never leaves half its rows behind. Only after COMMIT returns
 * are the handlers called: a handler that answers "202" therefore answers
 * for a row that is on disk. If COMMIT fails, every operation of the batch
 * is reported failed (EIO) and its results are thrown away.
 *
 * synchronous=FULL in WAL mode makes each COMMIT fsync the WAL, which is
 * what "survives a power cut" needs; NORMAL would only survive a crash of
 * the process. Statements are short and indexed, so the loop is blocked
 * for the duration of one fsync per batch, not one per request.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <sqlite3.h>
#include <re.h>
#define LOG_SUBSYS "store"
#include "util/util.h"
#include "metrics/metrics.h"
#include "store/store_int.h"

enum stmt_id {
	S_EVENT_INSERT,
	S_OUTCOME_PUT,
	S_FIG_COUNTS,
	S_FIG_CONNECT,
	S_FIG_SALES,
	S_REPORT_ROWS,
	S_BEGIN,
	S_COMMIT,
	S_SAVEPOINT,
	S_RELEASE,
	S_ROLLBACK_TO,
	S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
	[S_EVENT_INSERT] =
		"INSERT INTO events (callback_id, t, type, public, data)"
		" VALUES (?1, ?2, ?3, ?4, ?5)",
	[S_OUTCOME_PUT] =
		"INSERT INTO outcomes (callback_id, business_id, agent_id,"
		" disposition, product, quantity, amount_cents, currency,"
		" order_ref, notes, t)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	[S_FIG_COUNTS] =
		"SELECT count(*),"
		" coalesce(sum(status = 'completed'), 0),"
		" coalesce(sum(status = 'abandoned'), 0),"
		" coalesce(sum(status = 'failed'), 0),"
		" coalesce(sum(status = 'canceled'), 0),"
		/* attempts an answering machine took (human_check) */
		" (SELECT count(*) FROM callbacks AS c JOIN events AS e"
		"  ON e.callback_id = c.id WHERE c.business_id = ?1"
		"  AND c.created_at >= ?2"
		"  AND e.type IN ('retry_scheduled', 'failed')"
		"  AND json_extract(e.data, '$.reason') = 'no_human')"
		" FROM callbacks WHERE business_id = ?1 AND created_at >= ?2",
	/* seconds from asking to the first bridge, per connected call */
	[S_FIG_CONNECT] =
		"SELECT (min(e.t) - c.created_at) / 1000 AS s"
		" FROM callbacks AS c JOIN events AS e ON e.callback_id = c.id"
		" WHERE c.business_id = ?1 AND c.created_at >= ?2"
		" AND e.type = 'bridged' GROUP BY c.id ORDER BY s",
	[S_FIG_SALES] =
		"SELECT currency, count(*), coalesce(sum(amount_cents), 0)"
		" FROM outcomes"
		" WHERE business_id = ?1 AND t >= ?2 AND disposition = 'sale'"
		" GROUP BY currency ORDER BY currency",
	/* reports: ?1, ?2 the ids that bound the range (ids start with
	 * their creation time: the primary key reads it), ?3, ?4 the times */
	[S_REPORT_ROWS] =
		"SELECT c.business_id, CASE ?6 WHEN 1 THEN c.agent_id"
		"  WHEN 2 THEN c.agent_key WHEN 3 THEN c.page_url END,"
		" c.created_at, c.status,"
		" (SELECT min(e.t) FROM events AS e WHERE e.callback_id = c.id"
		"  AND e.type = 'bridged') - c.created_at,"
		" o.disposition = 'sale', o.currency, o.amount_cents"
		" FROM callbacks AS c"
		" LEFT JOIN outcomes AS o ON o.callback_id = c.id"
		" WHERE c.id >= ?1 AND c.id < ?2"
		" AND c.created_at >= ?3 AND c.created_at < ?4"
		" AND (?5 IS NULL OR instr(' ' || ?5 || ' ',"
		"  ' ' || c.business_id || ' ') > 0)",
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_SAVEPOINT] = "SAVEPOINT op",
	[S_RELEASE] = "RELEASE op",
	[S_ROLLBACK_TO] = "ROLLBACK TO op",
};

enum op_kind {
	OP_OUTCOME,
	OP_FIGURES,
	OP_REPORT_ROWS,
};

struct sqlite_be {
	struct store_tx tx;       /* what the ops of ops.c run on */
	sqlite3 *db;
	sqlite3_stmt *stmt[S_COUNT];
	sqlite3_stmt *qstmt[SQ_COUNT];  /* sql.c's, prepared on first use */
	struct list ops;          /* queued, in order */
	struct tmr tmr;           /* runs the batch at the end of the turn */
	size_t batch_max;
	bool running;             /* inside run_batch: no re-entry */
};

/* One queued operation not yet moved to ops.c (SQLite only); its inputs
 * are copies, so callers need not keep anything alive, and its results
 * live here until the handler has run. */
struct op {
	struct store_op op;
	enum op_kind kind;
	void *h;

	/* inputs */
	struct outcome oc;            /* strings are owned copies */
	struct figures fig;
	struct callback_new req;  /* business: an owned copy */
	int64_t since;
	size_t max;               /* rows at most */
	struct callback_search sq;    /* scope: an owned copy */
	enum store_report_key rkey;

	/* results */
	void **objv;
	size_t objn;
	size_t objcap;             /* objv's room */
};


static const char *errmsg(const struct sqlite_be *be)
{
	return sqlite3_errmsg(be->db);
}


/* SQLite result codes become errno values here, and only here. */
static int sqlite_errno(int rc)
{
	if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
		return ENOENT;   /* e.g. a callback for an unknown business */

	switch (rc & 0xff) {

	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:     return 0;
	case SQLITE_NOMEM:    return ENOMEM;
	case SQLITE_CONSTRAINT: return EEXIST;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:   return EBUSY;
	case SQLITE_FULL:     return ENOSPC;
	case SQLITE_READONLY: return EROFS;
	case SQLITE_TOOBIG:   return EMSGSIZE;
	default:              return EIO;
	}
}


static sqlite3_stmt *stmt_get(struct sqlite_be *be, enum stmt_id id)
{
	sqlite3_stmt *s = be->stmt[id];

	if (!s) {
		int rc = sqlite3_prepare_v3(be->db, stmt_sql[id], -1,
					    SQLITE_PREPARE_PERSISTENT,
					    &be->stmt[id], NULL);
		if (rc != SQLITE_OK) {
			log_error("prepare %d: %s", (int)id, errmsg(be));
			return NULL;
		}
		s = be->stmt[id];
	}

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);

	return s;
}


static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}


/* Step a statement that returns no rows. */
static int step_done(struct sqlite_be *be, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	if (rc != SQLITE_DONE)
		log_debug("step: %s", errmsg(be));
	sqlite3_reset(s);

	if (rc != SQLITE_DONE)
		return sqlite_errno(rc) ? sqlite_errno(rc) : EIO;

	return 0;
}


static int col_dup(char **dst, sqlite3_stmt *s, int i)
{
	const unsigned char *v = sqlite3_column_text(s, i);

	if (!v) {
		*dst = NULL;
		return 0;
	}

	return str_dup(dst, (const char *)v);
}


static int exec_sql(struct sqlite_be *be, const char *sql)
{
	char *msg = NULL;
	int rc;

	rc = sqlite3_exec(be->db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		log_error("%s: %s", sql, msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return sqlite_errno(rc) ? sqlite_errno(rc) : EIO;
	}

	return 0;
}


/* Run one of the prepared transaction-control statements. */
static int exec_stmt(struct sqlite_be *be, enum stmt_id id)
{
	sqlite3_stmt *s = stmt_get(be, id);
	int rc;

	if (!s)
		return EIO;

	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		log_error("%s: %s", stmt_sql[id], errmsg(be));
		return sqlite_errno(rc) ? sqlite_errno(rc) : EIO;
	}

	return 0;
}


/* ---- sql.c's statements, run for ops.c (struct store_tx_ops) ---- */

static int q_open(struct store_q **qp, struct store_tx *tx,
		  enum store_stmt_id id)
{
	struct sqlite_be *be = (struct sqlite_be *)tx;
	sqlite3_stmt *s = be->qstmt[id];

	if (!s) {
		const char *sql = store_stmt_sql(id, SD_SQLITE);

		if (!sql)
			return ENOSYS;
		if (sqlite3_prepare_v3(be->db, sql, -1,
				       SQLITE_PREPARE_PERSISTENT,
				       &be->qstmt[id], NULL) != SQLITE_OK) {
			log_error("prepare %s: %s", store_stmts[id].name,
				  errmsg(be));
			return EIO;
		}
		s = be->qstmt[id];
	}

	sqlite3_clear_bindings(s);
	*qp = (struct store_q *)s;

	return 0;
}


/* The records' statements, made at run time, are not kept: they are
 * written by people and at start-up, not per request. */
static int q_open_text(struct store_q **qp, struct store_tx *tx,
		       const char *sql)
{
	struct sqlite_be *be = (struct sqlite_be *)tx;
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(be->db, sql, -1, &s, NULL) != SQLITE_OK) {
		log_error("prepare: %s: %s", sql, errmsg(be));
		return EIO;
	}
	*qp = (struct store_q *)s;

	return 0;
}


static void q_drop(struct store_q *q)
{
	sqlite3_finalize((sqlite3_stmt *)q);
}


static void q_text(struct store_q *q, int i, const char *v)
{
	bind_text((sqlite3_stmt *)q, i, v);
}


static void q_num(struct store_q *q, int i, int64_t v)
{
	sqlite3_bind_int64((sqlite3_stmt *)q, i, v);
}


static int q_step(struct store_q *q, bool *rowp)
{
	sqlite3_stmt *s = (sqlite3_stmt *)q;
	int rc = sqlite3_step(s);

	*rowp = rc == SQLITE_ROW;
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return 0;

	log_debug("step: %s", sqlite3_errmsg(sqlite3_db_handle(s)));

	return sqlite_errno(rc) ? sqlite_errno(rc) : EIO;
}


static const char *q_col_text(struct store_q *q, int i)
{
	return (const char *)sqlite3_column_text((sqlite3_stmt *)q, i);
}


static int64_t q_col_num(struct store_q *q, int i)
{
	return sqlite3_column_int64((sqlite3_stmt *)q, i);
}


static void q_close(struct store_q *q)
{
	sqlite3_reset((sqlite3_stmt *)q);
}


static int64_t q_changes(struct store_tx *tx)
{
	return sqlite3_changes(((struct sqlite_be *)tx)->db);
}


static const struct store_tx_ops sqlite_tx_ops = {
	.open = q_open,
	.open_text = q_open_text,
	.drop = q_drop,
	.text = q_text,
	.num = q_num,
	.step = q_step,
	.col_text = q_col_text,
	.col_num = q_col_num,
	.close = q_close,
	.changes = q_changes,
};


/* Room for one more in objv, doubling: one more slot at a time made
 * reading 100,000 rows copy the array 100,000 times. */
static int objv_grow(struct op *op)
{
	size_t cap = op->objcap ? op->objcap * 2 : 16;
	void **v;

	if (op->objn < op->objcap)
		return 0;

	v = mem_reallocarray(op->objv, cap, sizeof(*v), NULL);
	if (!v)
		return ENOMEM;
	op->objv = v;
	op->objcap = cap;

	return 0;
}


static void objv_free(struct op *op)
{
	size_t i;

	for (i = 0; i < op->objn; i++)
		mem_deref(op->objv[i]);
	op->objv = mem_deref(op->objv);
	op->objn = 0;
	op->objcap = 0;
}


static int insert_event(struct sqlite_be *be, const char *id, int64_t t,
			const char *type, bool public, const char *data)
{
	sqlite3_stmt *s = stmt_get(be, S_EVENT_INSERT);

	if (!s)
		return EIO;

	bind_text(s, 1, id);
	sqlite3_bind_int64(s, 2, t);
	bind_text(s, 3, type);
	sqlite3_bind_int(s, 4, public);
	bind_text(s, 5, data);

	return step_done(be, s);
}


static int do_outcome(struct sqlite_be *be, struct op *op)
{
	const struct outcome *o = &op->oc;
	sqlite3_stmt *s = stmt_get(be, S_OUTCOME_PUT);
	char data[160];
	int err;

	if (!s)
		return EIO;

	bind_text(s, 1, o->callback_id);
	bind_text(s, 2, o->business);
	bind_text(s, 3, o->agent_id);
	bind_text(s, 4, o->disposition);
	bind_text(s, 5, o->product ? o->product : "");
	sqlite3_bind_int64(s, 6, o->quantity);
	sqlite3_bind_int64(s, 7, o->amount_cents);
	bind_text(s, 8, o->currency ? o->currency : "");
	bind_text(s, 9, o->order_ref ? o->order_ref : "");
	bind_text(s, 10, o->notes ? o->notes : "");
	sqlite3_bind_int64(s, 11, o->t);

	err = step_done(be, s);
	if (err)
		return err;

	re_snprintf(data, sizeof(data), "{\"agent\":\"%s\","
		    "\"disposition\":\"%s\"}", o->agent_id, o->disposition);

	return insert_event(be, o->callback_id, o->t, "wrap_up", false,
			    data);
}


static int do_figures(struct sqlite_be *be, struct op *op)
{
	struct figures *f = &op->fig;
	sqlite3_stmt *s;
	int64_t *v = NULL;
	size_t n = 0;
	int rc, err = 0;

	memset(f, 0, sizeof(*f));
	f->median_connect_s = -1;

	s = stmt_get(be, S_FIG_COUNTS);
	if (!s)
		return EIO;
	bind_text(s, 1, op->req.business);
	sqlite3_bind_int64(s, 2, op->since);
	if (sqlite3_step(s) == SQLITE_ROW) {
		f->requested = sqlite3_column_int64(s, 0);
		f->connected = sqlite3_column_int64(s, 1);
		f->abandoned = sqlite3_column_int64(s, 2);
		f->failed = sqlite3_column_int64(s, 3);
		f->canceled = sqlite3_column_int64(s, 4);
		f->no_human = sqlite3_column_int64(s, 5);
	}
	sqlite3_reset(s);

	/* connected: every callback that was ever bridged */
	s = stmt_get(be, S_FIG_CONNECT);
	if (!s)
		return EIO;
	bind_text(s, 1, op->req.business);
	sqlite3_bind_int64(s, 2, op->since);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t *nv = mem_reallocarray(v, n + 1, sizeof(*v), NULL);

		if (!nv) {
			err = ENOMEM;
			break;
		}
		v = nv;
		v[n++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);

	if (!err) {
		size_t i;

		f->connected = (int64_t)n;
		for (i = 0; i < n; i++)
			if (v[i] <= 60)
				f->connected_60s++;
		if (n)
			f->median_connect_s = n % 2 ? v[n / 2] :
				(v[n / 2 - 1] + v[n / 2]) / 2;
	}
	mem_deref(v);
	if (err)
		return err;

	s = stmt_get(be, S_FIG_SALES);
	if (!s)
		return EIO;
	bind_text(s, 1, op->req.business);
	sqlite3_bind_int64(s, 2, op->since);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *cur = (const char *)sqlite3_column_text(s, 0);
		struct figures_total *t;
		int64_t amount = sqlite3_column_int64(s, 2);

		f->sales += sqlite3_column_int64(s, 1);

		/* sales with no amount (and so no currency) count, but
		 * have no total */
		if (!cur || !*cur)
			continue;
		if (f->totaln >= FIGURES_CURRENCIES_MAX) {
			f->totals_cut = true;
			continue;
		}
		t = &f->totalv[f->totaln++];
		str_bcpy(t->currency, cur, sizeof(t->currency));
		t->sales = sqlite3_column_int64(s, 1);
		t->cents = amount;
	}
	sqlite3_reset(s);

	return 0;
}


/* ---- reports and the search ---- */

static void report_row_destructor(void *arg)
{
	struct report_row *r = arg;

	mem_deref(r->business);
	mem_deref(r->key);
}


/* The ids that bound [lo, hi): those api_new_id makes start with the
 * time in 12 hex digits. */
static void range_ids(char *lo_id, char *hi_id, size_t sz, int64_t lo,
		      int64_t hi)
{
	re_snprintf(lo_id, sz, "cb_%012llx", (unsigned long long)lo);
	re_snprintf(hi_id, sz, "cb_%012llx", (unsigned long long)hi);
}


static int report_row_read(struct report_row **rp, sqlite3_stmt *s)
{
	struct report_row *r = mem_zalloc(sizeof(*r), report_row_destructor);
	int err = 0;

	if (!r)
		return ENOMEM;

	err |= col_dup(&r->business, s, 0);
	err |= col_dup(&r->key, s, 1);
	r->created_at = sqlite3_column_int64(s, 2);
	str_bcpy(r->status, (const char *)sqlite3_column_text(s, 3),
		 sizeof(r->status));
	r->connect_ms = sqlite3_column_type(s, 4) == SQLITE_NULL ? -1 :
		sqlite3_column_int64(s, 4);
	r->sale = sqlite3_column_int(s, 5) != 0;
	if (r->sale && sqlite3_column_text(s, 6))
		str_bcpy(r->currency, (const char *)sqlite3_column_text(s, 6),
			 sizeof(r->currency));
	r->amount_cents = r->sale ? sqlite3_column_int64(s, 7) : 0;
	if (err) {
		mem_deref(r);
		return ENOMEM;
	}
	*rp = r;

	return 0;
}


static int do_report_rows(struct sqlite_be *be, struct op *op)
{
	sqlite3_stmt *s = stmt_get(be, S_REPORT_ROWS);
	char lo_id[ID_LEN], hi_id[ID_LEN];
	int rc, err = 0;

	if (!s)
		return EIO;

	range_ids(lo_id, hi_id, sizeof(lo_id), op->sq.lo, op->sq.hi);
	bind_text(s, 1, lo_id);
	bind_text(s, 2, hi_id);
	sqlite3_bind_int64(s, 3, op->sq.lo);
	sqlite3_bind_int64(s, 4, op->sq.hi);
	bind_text(s, 5, op->sq.scope);
	sqlite3_bind_int(s, 6, (int)op->rkey);

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (op->objn >= op->max) {
			err = E2BIG;
			break;
		}
		err = objv_grow(op);
		if (!err)
			err = report_row_read((struct report_row **)
					      &op->objv[op->objn], s);
		if (err)
			break;
		op->objn++;
	}
	if (!err && rc != SQLITE_DONE)
		err = EIO;
	sqlite3_reset(s);

	return err;
}


static int op_exec(struct sqlite_be *be, struct op *op)
{
	switch (op->kind) {

	case OP_OUTCOME:       return do_outcome(be, op);
	case OP_FIGURES:       return do_figures(be, op);
	case OP_REPORT_ROWS:   return do_report_rows(be, op);
	}

	return EINVAL;
}


/* Drop what an operation produced, so that no handler sees it and so
 * that it can run again from scratch. */
static void op_clear_results(struct store_op *sop)
{
	struct op *op = (struct op *)sop;

	switch (op->kind) {

	case OP_REPORT_ROWS:
		objv_free(op);
		break;

	default:
		break;
	}
}


static void op_complete(struct store_op *sop)
{
	struct op *op = (struct op *)sop;

	switch (op->kind) {

	case OP_OUTCOME:
		((store_done_h *)op->h)(op->op.err, op->op.arg);
		break;

	case OP_FIGURES:
		((store_figures_h *)op->h)(op->op.err, op->op.err ? NULL : &op->fig,
					   op->op.arg);
		break;

	case OP_REPORT_ROWS:
		((store_list_h *)op->h)(op->op.err, op->objv,
					op->op.err ? 0 : op->objn, op->op.arg);
		break;

	}
}


static void op_clear(struct store_op *op)
{
	if (op->desc->clear)
		op->desc->clear(op);
}


/*
 * Run the operations of a batch inside the open transaction.
 *
 * Optimistic (careful false): one after the other, with no SAVEPOINT.
 * A SAVEPOINT per operation costs a copy of every page the operation
 * touches into the statement journal, and nearly every operation
 * succeeds. Returns EAGAIN when a writing operation failed: what it may
 * have left behind cannot be told apart from what the others wrote, so
 * the caller rolls the whole transaction back and runs the batch again,
 * carefully.
 *
 * Careful: each writing operation inside its own SAVEPOINT, rolled back
 * alone when it fails; the others stay.
 */
static int run_ops(struct sqlite_be *be, struct list *batch, bool careful)
{
	struct le *le;

	LIST_FOREACH(batch, le) {
		struct store_op *op = le->data;
		bool sp = careful && op->desc->writes;

		if (sp && exec_stmt(be, S_SAVEPOINT)) {
			op->err = EIO;
			continue;
		}

		op->err = op->desc->run(&be->tx, op);

		if (!sp) {
			if (op->err && op->desc->writes)
				return EAGAIN;
			continue;
		}

		/* EALREADY/EPERM/ENOENT are answers, not failures, but
		 * nothing they touched may stay either way */
		if (op->err)
			exec_stmt(be, S_ROLLBACK_TO);
		exec_stmt(be, S_RELEASE);
	}

	return 0;
}


/*
 * Run up to batch_max queued operations in one transaction, then call
 * their handlers. Returns the number of operations run.
 */
static size_t run_batch(struct sqlite_be *be)
{
	struct list batch = LIST_INIT;
	struct timespec t0, t1;
	struct le *le;
	size_t n = 0;
	int err;

	if (be->running || list_isempty(&be->ops))
		return 0;

	be->running = true;

	while (n < be->batch_max && (le = list_head(&be->ops))) {
		list_unlink(le);
		list_append(&batch, le, le->data);
		n++;
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = exec_stmt(be, S_BEGIN);
	if (!err) {
		err = run_ops(be, &batch, false);
		if (err == EAGAIN) {
			log_debug("batch: an operation failed, run again "
				  "with a savepoint each");
			exec_sql(be, "ROLLBACK");
			LIST_FOREACH(&batch, le)
				op_clear(le->data);
			err = exec_stmt(be, S_BEGIN);
			if (!err)
				err = run_ops(be, &batch, true);
		}
	}

	if (!err)
		err = exec_stmt(be, S_COMMIT);

	if (!err) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		metrics_observe(MH_STORE_COMMIT,
				(double)(t1.tv_sec - t0.tv_sec) +
				(double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
		metrics_observe(MH_STORE_BATCH, (double)n);
	}

	if (err) {
		/* nothing of this batch is on disk: say so to everyone */
		log_error("commit of %zu operations failed: %s", n,
			  strerror(err));
		if (!sqlite3_get_autocommit(be->db))
			exec_sql(be, "ROLLBACK");

		LIST_FOREACH(&batch, le) {
			struct store_op *op = le->data;

			op->err = EIO;
			op_clear(op);
		}
	}

	be->running = false;

	log_debug("batch: %zu operations%s", n, err ? " (failed)" : "");

	/* handlers may queue new operations: those go to the next batch */
	while ((le = list_head(&batch))) {
		struct store_op *op = le->data;

		list_unlink(le);
		op->desc->done(op);
		mem_deref(op);
	}

	return n;
}


static void batch_timeout(void *arg)
{
	struct sqlite_be *be = arg;

	run_batch(be);

	if (!list_isempty(&be->ops))
		tmr_start_now(&be->tmr, batch_timeout, be);
}


static void op_destructor(struct store_op *sop)
{
	struct op *op = (struct op *)sop;

	mem_deref((char *)op->oc.callback_id);
	mem_deref((char *)op->oc.business);
	mem_deref((char *)op->oc.agent_id);
	mem_deref((char *)op->oc.disposition);
	mem_deref((char *)op->oc.product);
	mem_deref((char *)op->oc.currency);
	mem_deref((char *)op->oc.order_ref);
	mem_deref((char *)op->oc.notes);
	objv_free(op);
	mem_deref((char *)op->req.business);
	mem_deref((char *)op->sq.scope);
}


static int legacy_run(struct store_tx *tx, struct store_op *op)
{
	return op_exec((struct sqlite_be *)tx, (struct op *)op);
}


/* the ops not yet moved to ops.c, by kind */
#define LEGACY(k, n, w) [k] = {.name = n, .writes = w, .run = legacy_run, \
	.clear = op_clear_results, .done = op_complete, .dh = op_destructor}

static const struct store_op_desc legacy_descs[] = {
	LEGACY(OP_OUTCOME, "outcome_put", true),
	LEGACY(OP_FIGURES, "figures", false),
	LEGACY(OP_REPORT_ROWS, "report_rows", false),
};


static struct op *op_new(enum op_kind kind, void *h, void *arg)
{
	struct op *op = store_op_alloc(sizeof(*op), &legacy_descs[kind],
				       arg);

	if (!op)
		return NULL;

	op->kind = kind;
	op->h = h;

	return op;
}


static void be_queue(void *ctx, struct store_op *op)
{
	struct sqlite_be *be = ctx;

	list_append(&be->ops, &op->le, op);

	if (!tmr_isrunning(&be->tmr))
		tmr_start_now(&be->tmr, batch_timeout, be);
}


static void op_queue(struct sqlite_be *be, struct op *op)
{
	be_queue(be, &op->op);
}


static int dup_opt(const char **dst, const char *src)
{
	char *d = NULL;
	int err;

	if (!src) {
		*dst = NULL;
		return 0;
	}

	err = str_dup(&d, src);
	*dst = d;

	return err;
}


static int be_outcome_put(void *ctx, const struct outcome *o,
			  store_done_h *h, void *arg)
{
	struct op *op = op_new(OP_OUTCOME, (void *)h, arg);
	struct outcome *c;
	int err = 0;

	if (!op)
		return ENOMEM;

	c = &op->oc;
	*c = *o;
	err |= dup_opt(&c->callback_id, o->callback_id);
	err |= dup_opt(&c->business, o->business);
	err |= dup_opt(&c->agent_id, o->agent_id);
	err |= dup_opt(&c->disposition, o->disposition);
	err |= dup_opt(&c->product, o->product);
	err |= dup_opt(&c->currency, o->currency);
	err |= dup_opt(&c->order_ref, o->order_ref);
	err |= dup_opt(&c->notes, o->notes);
	if (err) {
		mem_deref(op);
		return ENOMEM;
	}

	op_queue(ctx, op);

	return 0;
}


static int be_figures(void *ctx, const char *business, int64_t since,
		      store_figures_h *h, void *arg)
{
	struct op *op = op_new(OP_FIGURES, (void *)h, arg);

	if (!op)
		return ENOMEM;

	op->since = since;
	if (dup_opt(&op->req.business, business)) {
		mem_deref(op);
		return ENOMEM;
	}

	op_queue(ctx, op);

	return 0;
}


static int be_report_rows(void *ctx, const char *scope, int64_t lo,
			  int64_t hi, enum store_report_key key, size_t max,
			  store_list_h *h, void *arg)
{
	struct op *op = op_new(OP_REPORT_ROWS, (void *)h, arg);

	if (!op)
		return ENOMEM;

	op->sq.lo = lo;
	op->sq.hi = hi;
	op->rkey = key;
	op->max = max;
	if (dup_opt(&op->sq.scope, scope)) {
		mem_deref(op);
		return ENOMEM;
	}
	op_queue(ctx, op);

	return 0;
}


static int be_flush(void *ctx)
{
	struct sqlite_be *be = ctx;

	tmr_cancel(&be->tmr);
	while (run_batch(be))
		;

	return 0;
}


static int migrate(struct sqlite_be *be)
{
	const char *const *mig;
	sqlite3_stmt *s = NULL;
	size_t n, i;
	int version = 0, err;

	mig = store_sqlite_migrations(&n);

	if (sqlite3_prepare_v2(be->db, "PRAGMA user_version", -1, &s,
			       NULL) != SQLITE_OK)
		return EIO;
	if (sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);

	if ((size_t)version > n) {
		log_error("database schema version %d is newer than this "
			  "beckon knows (%zu): refusing to touch it",
			  version, n);
		return EPROTO;
	}

	for (i = (size_t)version; i < n; i++) {
		char pragma[48];

		err = exec_stmt(be, S_BEGIN);
		if (err)
			return err;

		re_snprintf(pragma, sizeof(pragma),
			    "PRAGMA user_version = %zu", i + 1);

		err = exec_sql(be, mig[i]);
		if (!err)
			err = exec_sql(be, pragma);
		if (!err)
			err = exec_sql(be, "COMMIT");
		if (err) {
			exec_sql(be, "ROLLBACK");
			log_error("schema migration %zu failed", i + 1);
			return err;
		}

		log_info("applied schema migration %zu", i + 1);
	}

	return 0;
}


static void be_close(void *ctx)
{
	struct sqlite_be *be = ctx;
	struct le *le;
	size_t i;

	/* whatever is still queued is run, not dropped */
	be_flush(be);

	while ((le = list_head(&be->ops)))
		mem_deref(le->data);

	for (i = 0; i < S_COUNT; i++)
		sqlite3_finalize(be->stmt[i]);
	for (i = 0; i < SQ_COUNT; i++)
		sqlite3_finalize(be->qstmt[i]);

	if (be->db)
		sqlite3_close(be->db);

	mem_deref(be);
}


static int be_open(void **ctxp, const char *path, size_t batch_max)
{
	struct sqlite_be *be;
	sqlite3_stmt *s = NULL;
	const char *mode = NULL;
	int rc, err;

	if (!path || !*path) {
		log_error("empty database path (expected sqlite:PATH)");
		return EINVAL;
	}

	be = mem_zalloc(sizeof(*be), NULL);
	if (!be)
		return ENOMEM;

	be->tx.ops = &sqlite_tx_ops;
	list_init(&be->ops);
	tmr_init(&be->tmr);
	be->batch_max = batch_max ? batch_max : 1000;

	rc = sqlite3_open_v2(path, &be->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			     SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		log_error("cannot open database %s: %s", path,
			  be->db ? sqlite3_errmsg(be->db)
				 : sqlite3_errstr(rc));
		err = sqlite_errno(rc) ? sqlite_errno(rc) : EIO;
		goto out;
	}

	sqlite3_extended_result_codes(be->db, 1);
	sqlite3_busy_timeout(be->db, 5000);

	if (sqlite3_prepare_v2(be->db, "PRAGMA journal_mode = WAL", -1, &s,
			       NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		mode = (const char *)sqlite3_column_text(s, 0);
	if (!mode || strcasecmp(mode, "wal")) {
		log_error("%s: cannot switch to WAL mode: %s", path,
			  sqlite3_errmsg(be->db));
		sqlite3_finalize(s);
		err = EIO;
		goto out;
	}
	sqlite3_finalize(s);

	/* the working set (open callbacks and their indexes) stays in
	 * memory: a batch should only ever write, never wait on a read */
	err = exec_sql(be, "PRAGMA cache_size = -65536");
	if (!err)
		err = exec_sql(be, "PRAGMA synchronous = FULL");
	if (!err)
		err = exec_sql(be, "PRAGMA foreign_keys = ON");
	/* the statement journal behind each operation's SAVEPOINT in memory:
	 * on disk it cost two pwrite()s per page per operation */
	if (!err)
		err = exec_sql(be, "PRAGMA temp_store = MEMORY");
	if (!err)
		err = migrate(be);
	if (err)
		goto out;

	log_info("database %s (SQLite %s, WAL, synchronous=FULL)", path,
		 sqlite3_libversion());

 out:
	if (err)
		be_close(be);
	else
		*ctxp = be;

	return err;
}


const struct store_backend store_sqlite = {
	.name = "sqlite",
	.scheme = "sqlite:",
	.open = be_open,
	.close = be_close,
	.flush = be_flush,
	.queue = be_queue,
	.outcome_put = be_outcome_put,
	.figures = be_figures,
	.report_rows = be_report_rows,
};
