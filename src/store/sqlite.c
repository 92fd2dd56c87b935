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
 * for the duration of one fsync per batch, not one per request. Long
 * reads (reports) do not go into the batches: see struct reader.
 */
#include <errno.h>
#include <pthread.h>
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

/* each connection's page cache (64 MiB) */
static const char cache_size[] = "PRAGMA cache_size = -65536";

static const char *const stmt_sql[S_COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_SAVEPOINT] = "SAVEPOINT op",
	[S_RELEASE] = "RELEASE op",
	[S_ROLLBACK_TO] = "ROLLBACK TO op",
};

struct sqlite_be;

/* a connection, what the ops (ops*.c) run on */
struct conn {
	struct store_tx tx;
	struct sqlite_be *be;     /* the writer's; NULL: read-only */
	sqlite3 *db;
	sqlite3_stmt *qstmt[SQ_COUNT];  /* sql.c's, prepared on first use */
};

struct reader;

struct sqlite_be {
	struct conn rw;           /* the loop's: every batch */
	sqlite3_stmt *stmt[S_COUNT];
	struct reader *rd;        /* long reads; NULL: in the batches */
	struct list ops;          /* queued, in order */
	struct tmr tmr;           /* runs the batch at the end of the turn */
	size_t batch_max;
	bool running;             /* inside run_batch: no re-entry */
	struct list listeners;    /* struct store_listener */
	struct list notes;        /* the batch's notifications, in order */
	struct hash *noteh;       /* the same, by channel and payload */
};

/* A notification of the batch being run, heard after it commits. One
 * process is the whole system on SQLite: its listeners are this
 * store's, and nothing is kept when nobody listens. As on PostgreSQL,
 * the same channel and payload twice in one transaction is heard once.
 */
struct note {
	struct le le;
	struct le he;             /* in noteh */
	char *channel;
	char *payload;
};


static void conn_close(struct conn *c)
{
	size_t i;

	for (i = 0; i < SQ_COUNT; i++)
		sqlite3_finalize(c->qstmt[i]);
	sqlite3_close(c->db);
}


static const char *errmsg(const struct sqlite_be *be)
{
	return sqlite3_errmsg(be->rw.db);
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
	case SQLITE_INTERRUPT: return ECANCELED;  /* reader_stop */
	default:              return EIO;
	}
}


static sqlite3_stmt *stmt_get(struct sqlite_be *be, enum stmt_id id)
{
	sqlite3_stmt *s = be->stmt[id];

	if (!s) {
		int rc = sqlite3_prepare_v3(be->rw.db, stmt_sql[id], -1,
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


static int exec_sql(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc;

	rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
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
	struct conn *c = (struct conn *)tx;
	sqlite3_stmt *s = c->qstmt[id];

	if (!s) {
		const char *sql = store_stmt_sql(id, SD_SQLITE);

		if (!sql)
			return ENOSYS;
		if (sqlite3_prepare_v3(c->db, sql, -1,
				       SQLITE_PREPARE_PERSISTENT,
				       &c->qstmt[id], NULL) != SQLITE_OK) {
			log_error("prepare %s: %s", store_stmts[id].name,
				  sqlite3_errmsg(c->db));
			return EIO;
		}
		s = c->qstmt[id];
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
	struct conn *c = (struct conn *)tx;
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(c->db, sql, -1, &s, NULL) != SQLITE_OK) {
		log_error("prepare: %s: %s", sql, sqlite3_errmsg(c->db));
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
	return sqlite3_changes(((struct conn *)tx)->db);
}


static void note_destructor(void *arg)
{
	struct note *n = arg;

	list_unlink(&n->le);
	hash_unlink(&n->he);
	mem_deref(n->channel);
	mem_deref(n->payload);
}


struct note_key {
	const char *channel;
	const char *payload;
};


static bool note_eq(struct le *le, void *arg)
{
	const struct note *n = le->data;
	const struct note_key *k = arg;

	return !strcmp(n->payload, k->payload) &&
		!strcmp(n->channel, k->channel);
}


static int q_notify(struct store_tx *tx, const char *channel,
		    const char *payload)
{
	struct sqlite_be *be = ((struct conn *)tx)->be;
	struct note_key k = {channel, payload};
	uint32_t key = hash_fast_str(payload) ^ hash_fast_str(channel);
	struct note *n;
	int err;

	if (!be)
		return EROFS;
	if (list_isempty(&be->listeners) ||
	    hash_lookup(be->noteh, key, note_eq, &k))
		return 0;

	n = mem_zalloc(sizeof(*n), note_destructor);
	if (!n)
		return ENOMEM;
	err = str_dup(&n->channel, channel);
	if (!err)
		err = str_dup(&n->payload, payload);
	if (err) {
		mem_deref(n);
		return err;
	}
	list_append(&be->notes, &n->le, n);
	hash_append(be->noteh, key, &n->he, n);

	return 0;
}


/* An op's savepoint rolled back: its notifications (after mark) too. */
static void notes_drop_after(struct sqlite_be *be, struct le *mark)
{
	struct le *le = mark ? mark->next : list_head(&be->notes);

	while (le) {
		struct le *next = le->next;

		mem_deref(le->data);
		le = next;
	}
}


/* The batch committed: every listener hears what it listens to. */
static void notes_deliver(struct sqlite_be *be)
{
	struct le *le;

	while ((le = list_head(&be->notes))) {
		struct note *n = le->data;
		struct le *l = list_head(&be->listeners);

		while (l) {
			struct store_listener *x = l->data;

			l = l->next;
			store_listener_heard(x, n->channel, n->payload);
		}
		mem_deref(n);
	}
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
	.notify = q_notify,
};


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

	store_tx_unfence(&be->rw.tx);

	LIST_FOREACH(batch, le) {
		struct store_op *op = le->data;
		bool sp = careful && op->desc->writes;
		struct le *mark = list_tail(&be->notes);

		if (sp && exec_stmt(be, S_SAVEPOINT)) {
			op->err = EIO;
			continue;
		}

		op->err = store_op_run(&be->rw.tx, op);

		if (!sp) {
			if (op->err && op->desc->writes)
				return EAGAIN;
			continue;
		}

		/* EALREADY/EPERM/ENOENT are answers, not failures, but
		 * nothing they touched may stay either way */
		if (op->err) {
			store_tx_unfence(&be->rw.tx);
			exec_stmt(be, S_ROLLBACK_TO);
			notes_drop_after(be, mark);
		}
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
			exec_sql(be->rw.db, "ROLLBACK");
			list_flush(&be->notes);
			LIST_FOREACH(&batch, le)
				store_op_clear(le->data);
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
		if (!sqlite3_get_autocommit(be->rw.db))
			exec_sql(be->rw.db, "ROLLBACK");
		list_flush(&be->notes);

		LIST_FOREACH(&batch, le) {
			struct store_op *op = le->data;

			op->err = EIO;
			store_op_clear(op);
		}
	}

	be->running = false;

	log_debug("batch: %zu operations%s", n, err ? " (failed)" : "");

	/* handlers may queue new operations: those go to the next batch */
	while ((le = list_head(&batch))) {
		struct store_op *op = le->data;

		list_unlink(le);
		store_op_done(op);
		mem_deref(op);
	}

	/* committed: heard after the handlers (they may answer first) */
	notes_deliver(be);

	return n;
}


static void batch_timeout(void *arg)
{
	struct sqlite_be *be = arg;

	run_batch(be);

	if (!list_isempty(&be->ops))
		tmr_start_now(&be->tmr, batch_timeout, be);
}


/*
 * Long reads (reports, the search: desc->long_read) do not run in the
 * batches, which run on the loop: one of them over 500k callbacks held
 * the loop for seconds. They run one at a time on a thread of their own,
 * on a read-only connection that WAL lets read a snapshot while the loop
 * writes. Each runs in one read transaction (one snapshot for all its
 * statements). Its run touches only its op and that connection; a run
 * op goes to the done list and the loop is woken (mqueue) to call its
 * handler, as for a batch's.
 */
struct reader {
	struct conn ro;           /* the thread's, read-only */
	pthread_t thread;
	pthread_mutex_t mtx;      /* ops, done, busy, stop */
	pthread_cond_t cond;      /* any change of them */
	struct list ops;          /* queued, in order */
	struct list done;         /* run: their handlers, on the loop */
	struct mqueue *mq;        /* wakes the loop for done */
	bool busy;                /* an op being run */
	bool stop;
};


static void reader_run(struct reader *rd, struct store_op *op)
{
	op->err = exec_sql(rd->ro.db, "BEGIN");
	if (op->err)
		return;

	store_tx_unfence(&rd->ro.tx);
	op->err = store_op_run(&rd->ro.tx, op);
	if (op->err)
		store_op_clear(op);
	exec_sql(rd->ro.db, "COMMIT");   /* a read: nothing to lose */
}


static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	struct le *le;

	pthread_mutex_lock(&rd->mtx);
	for (;;) {
		while (!rd->stop && list_isempty(&rd->ops))
			pthread_cond_wait(&rd->cond, &rd->mtx);
		if (rd->stop)
			break;

		le = list_head(&rd->ops);
		list_unlink(le);
		rd->busy = true;
		pthread_mutex_unlock(&rd->mtx);

		reader_run(rd, le->data);

		pthread_mutex_lock(&rd->mtx);
		list_append(&rd->done, le, le->data);
		rd->busy = false;
		pthread_cond_broadcast(&rd->cond);
		pthread_mutex_unlock(&rd->mtx);

		/* not sent: delivered by the next op's, flush or close */
		if (mqueue_push(rd->mq, 0, NULL))
			log_warn("reader: cannot wake the loop");
		pthread_mutex_lock(&rd->mtx);
	}
	pthread_mutex_unlock(&rd->mtx);

	return NULL;
}


/* On the loop: the handlers of the ops run; returns how many. */
static size_t reader_deliver(struct reader *rd)
{
	struct list l = LIST_INIT;
	struct le *le;
	size_t n = 0;

	pthread_mutex_lock(&rd->mtx);
	while ((le = list_head(&rd->done))) {
		list_unlink(le);
		list_append(&l, le, le->data);
	}
	pthread_mutex_unlock(&rd->mtx);

	while ((le = list_head(&l))) {
		struct store_op *op = le->data;

		list_unlink(le);
		store_op_done(op);
		mem_deref(op);
		n++;
	}

	return n;
}


static void reader_wake(int id, void *data, void *arg)
{
	(void)id;
	(void)data;

	reader_deliver(arg);
}


static void reader_queue(struct reader *rd, struct store_op *op)
{
	pthread_mutex_lock(&rd->mtx);
	list_append(&rd->ops, &op->le, op);
	pthread_cond_broadcast(&rd->cond);
	pthread_mutex_unlock(&rd->mtx);
}


/* Wait until every queued op has run, then call their handlers (store
 * flush); returns how many. */
static size_t reader_flush(struct reader *rd)
{
	pthread_mutex_lock(&rd->mtx);
	while (rd->busy || !list_isempty(&rd->ops))
		pthread_cond_wait(&rd->cond, &rd->mtx);
	pthread_mutex_unlock(&rd->mtx);

	return reader_deliver(rd);
}


/*
 * At close: a report is not worth delaying a shutdown for. Queued ops
 * are canceled, the one running is interrupted (both ECANCELED), the
 * thread joined, and every handler called before the store goes.
 */
static void reader_stop(struct reader *rd)
{
	struct le *le;

	pthread_mutex_lock(&rd->mtx);
	rd->stop = true;
	while ((le = list_head(&rd->ops))) {
		struct store_op *op = le->data;

		list_unlink(le);
		op->err = ECANCELED;
		list_append(&rd->done, le, op);
	}
	if (rd->busy)
		sqlite3_interrupt(rd->ro.db);
	pthread_cond_broadcast(&rd->cond);
	pthread_mutex_unlock(&rd->mtx);

	pthread_join(rd->thread, NULL);
	reader_deliver(rd);
}


static void reader_destructor(void *arg)
{
	struct reader *rd = arg;

	conn_close(&rd->ro);
	mem_deref(rd->mq);
	pthread_cond_destroy(&rd->cond);
	pthread_mutex_destroy(&rd->mtx);
}


/* The reader of the database at path, its thread started. */
static int reader_alloc(struct reader **rdp, const char *path)
{
	struct reader *rd;
	int rc, err;

	rd = mem_zalloc(sizeof(*rd), reader_destructor);
	if (!rd)
		return ENOMEM;

	pthread_mutex_init(&rd->mtx, NULL);
	pthread_cond_init(&rd->cond, NULL);
	rd->ro.tx.ops = &sqlite_tx_ops;
	list_init(&rd->ops);
	list_init(&rd->done);

	rc = sqlite3_open_v2(path, &rd->ro.db, SQLITE_OPEN_READONLY |
			     SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		log_warn("%s: no read-only connection: %s", path,
			 sqlite3_errstr(rc));
		err = sqlite_errno(rc) ? sqlite_errno(rc) : EIO;
		goto out;
	}
	sqlite3_extended_result_codes(rd->ro.db, 1);
	sqlite3_busy_timeout(rd->ro.db, 5000);

	err = exec_sql(rd->ro.db, cache_size);
	if (!err)
		err = mqueue_alloc(&rd->mq, reader_wake, rd);
	if (!err)
		err = pthread_create(&rd->thread, NULL, reader_main, rd);

 out:
	if (err)
		mem_deref(rd);
	else
		*rdp = rd;

	return err;
}


static void be_queue(void *ctx, struct store_op *op)
{
	struct sqlite_be *be = ctx;

	if (op->desc->long_read && be->rd) {
		reader_queue(be->rd, op);
		return;
	}

	list_append(&be->ops, &op->le, op);

	if (!tmr_isrunning(&be->tmr))
		tmr_start_now(&be->tmr, batch_timeout, be);
}


static int be_flush(void *ctx)
{
	struct sqlite_be *be = ctx;

	size_t n;

	/* a handler of either may queue to the other */
	do {
		tmr_cancel(&be->tmr);
		while (run_batch(be))
			;
		n = be->rd ? reader_flush(be->rd) : 0;
	} while (n || !list_isempty(&be->ops));

	return 0;
}


static int migrate(struct sqlite_be *be)
{
	const char *const *mig;
	sqlite3_stmt *s = NULL;
	size_t n, i;
	int version = 0, err;

	mig = store_sqlite_migrations(&n);

	if (sqlite3_prepare_v2(be->rw.db, "PRAGMA user_version", -1, &s,
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

		err = exec_sql(be->rw.db, mig[i]);
		if (!err)
			err = exec_sql(be->rw.db, pragma);
		if (!err)
			err = exec_sql(be->rw.db, "COMMIT");
		if (err) {
			exec_sql(be->rw.db, "ROLLBACK");
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

	if (be->rd)
		reader_stop(be->rd);
	be->rd = mem_deref(be->rd);

	/* whatever is still queued is run, not dropped (a long read
	 * queued by a handler now: in a batch) */
	be_flush(be);

	while ((le = list_head(&be->ops)))
		mem_deref(le->data);

	for (i = 0; i < S_COUNT; i++)
		sqlite3_finalize(be->stmt[i]);
	conn_close(&be->rw);
	list_flush(&be->notes);
	mem_deref(be->noteh);
	list_clear(&be->listeners);   /* they outlive it, hearing nothing */
	mem_deref(be);
}


static int be_listen(void *ctx, struct store_listener *l)
{
	struct sqlite_be *be = ctx;

	store_listener_local(l, &be->listeners);

	return 0;
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

	/* no memory statistics: they take a global mutex on every
	 * allocation, a tenth of an intake's store time. Only before SQLite
	 * is first used (later it is refused, harmlessly). */
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);

	be = mem_zalloc(sizeof(*be), NULL);
	if (!be)
		return ENOMEM;

	be->rw.tx.ops = &sqlite_tx_ops;
	be->rw.be = be;
	list_init(&be->ops);
	list_init(&be->listeners);
	list_init(&be->notes);
	tmr_init(&be->tmr);
	be->batch_max = batch_max ? batch_max : 1000;

	rc = sqlite3_open_v2(path, &be->rw.db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			     SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		log_error("cannot open database %s: %s", path,
			  be->rw.db ? sqlite3_errmsg(be->rw.db)
				 : sqlite3_errstr(rc));
		err = sqlite_errno(rc) ? sqlite_errno(rc) : EIO;
		goto out;
	}

	sqlite3_extended_result_codes(be->rw.db, 1);
	sqlite3_busy_timeout(be->rw.db, 5000);

	err = hash_alloc(&be->noteh, 64);
	if (err)
		goto out;

	if (sqlite3_prepare_v2(be->rw.db, "PRAGMA journal_mode = WAL", -1, &s,
			       NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		mode = (const char *)sqlite3_column_text(s, 0);
	if (!mode || strcasecmp(mode, "wal")) {
		log_error("%s: cannot switch to WAL mode: %s", path,
			  sqlite3_errmsg(be->rw.db));
		sqlite3_finalize(s);
		err = EIO;
		goto out;
	}
	sqlite3_finalize(s);

	/* the working set (open callbacks and their indexes) stays in
	 * memory: a batch should only ever write, never wait on a read */
	err = exec_sql(be->rw.db, cache_size);
	if (!err)
		err = exec_sql(be->rw.db, "PRAGMA synchronous = FULL");
	if (!err)
		err = exec_sql(be->rw.db, "PRAGMA foreign_keys = ON");
	/* the statement journal behind each operation's SAVEPOINT in memory:
	 * on disk it cost two pwrite()s per page per operation */
	if (!err)
		err = exec_sql(be->rw.db, "PRAGMA temp_store = MEMORY");
	if (!err)
		err = migrate(be);
	if (err)
		goto out;

	/* without it, long reads run in the batches, on the loop */
	if (reader_alloc(&be->rd, path))
		log_warn("%s: reports will run on the event loop", path);

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
	.listen = be_listen,
};
