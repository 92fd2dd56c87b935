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

/* the transaction's own statements (the ops' are sql.c's) */
enum stmt_id {
	S_BEGIN,
	S_COMMIT,
	S_SAVEPOINT,
	S_RELEASE,
	S_ROLLBACK_TO,
	S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_SAVEPOINT] = "SAVEPOINT op",
	[S_RELEASE] = "RELEASE op",
	[S_ROLLBACK_TO] = "ROLLBACK TO op",
};

struct sqlite_be {
	struct store_tx tx;       /* what the ops (ops*.c) run on */
	sqlite3 *db;
	sqlite3_stmt *stmt[S_COUNT];
	sqlite3_stmt *qstmt[SQ_COUNT];  /* sql.c's, prepared on first use */
	struct list ops;          /* queued, in order */
	struct tmr tmr;           /* runs the batch at the end of the turn */
	size_t batch_max;
	bool running;             /* inside run_batch: no re-entry */
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


static void be_queue(void *ctx, struct store_op *op)
{
	struct sqlite_be *be = ctx;

	list_append(&be->ops, &op->le, op);

	if (!tmr_isrunning(&be->tmr))
		tmr_start_now(&be->tmr, batch_timeout, be);
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
};
