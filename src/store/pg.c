/*
 * The PostgreSQL backend (db postgres://..., any libpq URI).
 *
 * An op's run is sequential: it may branch on what one statement returned
 * before it runs the next. libpq's asynchronous calls return to the loop
 * between statements, so they cannot run it as it is written. Here one
 * connection belongs to a worker thread of its own, which runs batches
 * with libpq's blocking calls against the same run as SQLite's; the loop
 * never blocks on the database (docs/cluster.md, "The PostgreSQL
 * backend", says why this and not a pipeline or resumable ops).
 *
 * Group commit as in sqlite.c: the ops queued in one loop turn are handed
 * to the worker at its end (a zero-delay timer); the worker runs what is
 * waiting, up to batch_max, in ONE transaction, so ops queued while it
 * commits make the next batch. Only after COMMIT returns does the loop
 * call the handlers (the worker hands the batch back through libre's
 * mqueue), so a 2xx still answers for a committed row.
 *
 * A statement that fails aborts a PostgreSQL transaction, where SQLite
 * goes on. So the optimistic run (no savepoints) is given up at the first
 * failed statement or failed writing op, rolled back, and run again
 * carefully: each writing op in a savepoint, and each statement in one of
 * its own, so that a statement's failure undoes that statement alone, as
 * in SQLite, and an op may carry on after it.
 *
 * The server gone (restart, network): the batch fails with ENOTCONN (the
 * API answers 503 with Retry-After), the connection is dropped, and the
 * next batches reconnect, at once the first time, then no more often
 * than a backoff (PG_BACKOFF_MIN_MS doubling to PG_BACKOFF_MAX_MS); until
 * then they fail at once rather than wait. A batch whose COMMIT got no
 * answer is reported failed: it may or may not be committed, but nothing
 * is answered 2xx that is not.
 *
 * sql.c's statements are prepared once per connection (PQprepare, named
 * by id) and run with PQexecPrepared and text parameters; the records'
 * texts, made at run time, go with PQexecParams (open_text).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libpq-fe.h>
#include <re.h>
#define LOG_SUBSYS "store"
#include "util/util.h"
#include "metrics/metrics.h"
#include "store/store_int.h"

enum {
	PG_NUM_SZ = 24,            /* an int64 in decimal, and its NUL */
	PG_BACKOFF_MIN_MS = 100,
	/* no longer than the Retry-After a 503 gives (1 s): a client told
	 * to come back then finds the server tried again; a connection a
	 * second from each node is nothing to a server coming back */
	PG_BACKOFF_MAX_MS = 1000,
	/* after the server came back, how long a follower leaves the
	 * leader to take its lock back (relock): the leader reconnects
	 * within PG_BACKOFF_MAX_MS of its next batch, and it has one at
	 * least every second (its tick); without it a follower's try
	 * every second often won the race, and the leader, its lock
	 * gone, exited 75 (cluster_pg_outage.sh) */
	PG_LEAD_GRACE_MS = 3000,
	PG_BATCH_MAX = 1000,       /* when the caller gives none */
	PG_STATS = 16,             /* batches committed, not yet observed */
};

/* pg_advisory_xact_lock's key while migrating: "beckon" in ASCII */
static const int64_t PG_MIGRATE_LOCK = 0x6265636b6f6e;

struct pg_be {
	struct store_tx tx;       /* the worker's: what ops.c runs on */
	char *uri;
	size_t batch_max;

	/* the loop's */
	struct list ops;          /* queued in this turn */
	struct tmr tmr;           /* hands them over at its end */
	struct mqueue *mq;        /* the worker's "a batch is done" */
	pthread_t tid;            /* the worker */
	bool started;

	/* shared with the worker, under mtx */
	pthread_mutex_t mtx;
	pthread_cond_t cond;      /* work to do, or a batch done */
	struct list todo;         /* handed over, not yet run */
	struct list done;         /* run, handlers not yet called */
	struct {
		double secs;          /* BEGIN to COMMIT */
		unsigned n;           /* ops */
	} stats[PG_STATS];        /* committed batches, for metrics */
	size_t nstats;
	bool busy;                /* the worker runs a batch */
	bool woken;               /* a wake-up is in the mqueue */
	bool stop;

	/* the worker's (the loop's before it starts and after it ends) */
	PGconn *conn;
	bool prepared[SQ_COUNT];  /* on this connection */
	char *sql[SQ_COUNT];      /* PostgreSQL's texts, made once */
	int nparams[SQ_COUNT];
	int64_t changes;          /* rows the last statement wrote */
	bool careful;             /* each statement in a savepoint */
	bool failed;              /* a statement failed: tx aborted */
	int64_t retry_at;         /* ms, monotonic: no attempt before */
	int64_t backoff;          /* ms */
};

/* a statement being run */
struct store_q {
	struct pg_be *be;
	enum store_stmt_id id;
	const char *vals[STORE_PARAMS_MAX];
	char nums[STORE_PARAMS_MAX][PG_NUM_SZ];
	PGresult *res;
	int row;                  /* the current one; -1 before the first */
	char *sql;                /* a text's (open_text), $N; NULL: id's */
	int nparams;              /* the text's */
};


static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);

	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}


static int64_t mono_ms(void)
{
	return (int64_t)(mono_s() * 1000);
}


/* ---- errors ---- */

/* libpq's answers become errno values here, and only here */
static int pg_errno(const PGconn *conn, const PGresult *res)
{
	const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE)
			     : NULL;

	if (!conn || PQstatus(conn) != CONNECTION_OK || !st)
		return ENOTCONN;
	if (!strcmp(st, "23503"))
		return ENOENT;     /* a callback for an unknown business */
	if (!strncmp(st, "23", 2))
		return EEXIST;
	if (!strcmp(st, "40001") || !strcmp(st, "40P01") ||
	    !strcmp(st, "55P03"))
		return EBUSY;
	if (!strcmp(st, "53100"))
		return ENOSPC;
	if (!strcmp(st, "53200"))
		return ENOMEM;
	if (!strcmp(st, "25006"))
		return EROFS;
	if (!strncmp(st, "08", 2) || !strncmp(st, "57P", 3))
		return ENOTCONN;

	return EIO;
}


/* What went wrong, one line for the log: a result's primary message
 * only (its detail may quote the row's values), else the connection's
 * first line. */
static const char *pg_msg(char *buf, size_t sz, const PGconn *conn,
			  const PGresult *res)
{
	const char *m = res ? PQresultErrorField(res,
						 PG_DIAG_MESSAGE_PRIMARY)
			    : NULL;

	if (!m)
		m = conn ? PQerrorMessage(conn) : "no connection";
	re_snprintf(buf, sz, "%b", m, strcspn(m, "\n"));

	return buf;
}


/* Run sql (no parameters, no rows), e.g. BEGIN. */
static int pg_exec(struct pg_be *be, const char *sql)
{
	PGresult *res = PQexec(be->conn, sql);
	char msg[256];
	int err = 0;

	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		err = pg_errno(be->conn, res);
		log_warn("%s: %s", sql, pg_msg(msg, sizeof(msg), be->conn,
						     res));
	}
	PQclear(res);

	return err;
}


/* ---- the connection ---- */

static void conn_drop(struct pg_be *be)
{
	if (be->conn)
		PQfinish(be->conn);
	be->conn = NULL;
	memset(be->prepared, 0, sizeof(be->prepared));
}


/* the server's notices (e.g. "already exists, skipping") as log lines */
static void notice_h(void *arg, const char *msg)
{
	(void)arg;
	log_debug("PostgreSQL: %s", msg);
}


/*
 * What a URI does not say: a server that stops answering (a host down, a
 * network cut) is found out within seconds rather than when the kernel
 * gives up, so that requests get 503 instead of waiting. Before dbname,
 * so the URI's own values win (libpq keeps the last of each).
 */
static const char *const conn_keys[STORE_PG_KEYS] = {
	"application_name", "connect_timeout", "keepalives_idle",
	"keepalives_interval", "keepalives_count", "tcp_user_timeout",
	"dbname", NULL
};
static const char *const conn_defaults[STORE_PG_KEYS] = {
	"beckon", "5", "10",
	"5", "3", "15000",
	NULL /* the URI */, NULL
};


const char *const *store_pg_conn_params(const char **vals, const char *uri)
{
	memcpy(vals, conn_defaults, sizeof(conn_defaults));
	vals[STORE_PG_KEYS - 2] = uri;

	return conn_keys;
}


int64_t store_pg_backoff(int64_t backoff)
{
	backoff = backoff ? backoff * 2 : PG_BACKOFF_MIN_MS;

	return backoff < PG_BACKOFF_MAX_MS ? backoff : PG_BACKOFF_MAX_MS;
}


static int conn_open(struct pg_be *be)
{
	const char *vals[STORE_PG_KEYS];
	const char *const *keys = store_pg_conn_params(vals, be->uri);
	char msg[256];

	be->conn = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(be->conn) == CONNECTION_OK) {
		PQsetNoticeProcessor(be->conn, notice_h, NULL);
		return 0;
	}

	log_warn("cannot connect to PostgreSQL: %s",
		 pg_msg(msg, sizeof(msg), be->conn, NULL));
	conn_drop(be);

	return ENOTCONN;
}


/* A leader's new connection takes the lock again first: the session lock
 * went with the old one. If another node has it now, this one leads no
 * more, and every fenced op is ESTALE from then on (store_op_run). A
 * follower's leaves the lock to the leader for a while. */
static void relock(struct pg_be *be)
{
	PGresult *res;
	bool got;

	if (!be->tx.lead) {
		be->tx.lead_after = time_now_ms() + PG_LEAD_GRACE_MS;
		return;
	}

	res = PQexec(be->conn, store_stmt_sql(SQ_LEAD_LOCK, SD_POSTGRES));
	got = PQresultStatus(res) == PGRES_TUPLES_OK &&
		PQntuples(res) == 1 && !strcmp(PQgetvalue(res, 0, 0), "1");
	PQclear(res);

	if (!got) {
		be->tx.lead = false;
		log_warn("the leader's lock is another node's now");
	}
}


/* A connection to run a batch on: the one there is, a new one at once
 * after it was lost (now), else not before the backoff says. */
static int conn_ready(struct pg_be *be, bool now)
{
	int64_t t = mono_ms();

	if (be->conn)
		return 0;
	if (!now && t < be->retry_at)
		return ENOTCONN;

	if (conn_open(be)) {
		be->backoff = store_pg_backoff(be->backoff);
		be->retry_at = t + be->backoff;
		return ENOTCONN;
	}

	if (be->backoff)
		log_info("reconnected to PostgreSQL");
	be->backoff = 0;
	relock(be);

	return 0;
}


/* ---- sql.c's statements, run for ops.c (struct store_tx_ops) ---- */

/* When careful, each statement (and each prepare: it may fail too) runs
 * in a savepoint of its own, so that its failure undoes it alone and the
 * transaction goes on, as a failed statement does in SQLite. */
static int sp_open(struct pg_be *be)
{
	return be->careful ? pg_exec(be, "SAVEPOINT q") : 0;
}


static void sp_close(struct pg_be *be, int err)
{
	if (!be->careful || err == ENOTCONN)
		return;
	if (err)
		pg_exec(be, "ROLLBACK TO SAVEPOINT q");
	pg_exec(be, "RELEASE SAVEPOINT q");
}


static int stmt_prepare(struct pg_be *be, enum store_stmt_id id)
{
	const struct store_stmt *st = &store_stmts[id];
	PGresult *res;
	char name[16], msg[256];
	int err = 0;

	if (!be->sql[id]) {
		const char *sql = store_stmt_sql(id, SD_POSTGRES);

		if (!sql)
			return ENOSYS;
		err = store_sql_dollar(&be->sql[id], &be->nparams[id], sql);
		if (err) {
			log_error("%s: cannot make its PostgreSQL text",
				  st->name);
			return err;
		}
	}

	err = sp_open(be);
	if (err)
		return err;

	re_snprintf(name, sizeof(name), "q%d", (int)id);
	res = PQprepare(be->conn, name, be->sql[id], be->nparams[id], NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		err = pg_errno(be->conn, res);
		be->failed = true;   /* the transaction is aborted */
		log_error("prepare %s: %s", st->name,
			  pg_msg(msg, sizeof(msg), be->conn, res));
		if (err != ENOTCONN)
			err = EIO;
	}
	else {
		be->prepared[id] = true;
	}
	PQclear(res);
	sp_close(be, err);

	return err;
}


static void q_destructor(void *arg)
{
	struct store_q *q = arg;

	PQclear(q->res);
	mem_deref(q->sql);
}


static int q_new(struct store_q **qp, struct pg_be *be,
		 enum store_stmt_id id)
{
	struct store_q *q;

	q = mem_zalloc(sizeof(*q), q_destructor);
	if (!q)
		return ENOMEM;
	q->be = be;
	q->id = id;
	q->row = -1;
	*qp = q;

	return 0;
}


static int q_open(struct store_q **qp, struct store_tx *tx,
		  enum store_stmt_id id)
{
	struct pg_be *be = (struct pg_be *)tx;
	int err;

	/* the optimistic run's transaction is aborted: it will run again
	 * carefully, nothing more is worth sending now */
	if (be->failed && !be->careful)
		return ECANCELED;

	if (!be->prepared[id]) {
		err = stmt_prepare(be, id);
		if (err)
			return err;
	}

	return q_new(qp, be, id);
}


/* The records' statements, made at run time, are sent with their text
 * (PQexecParams, an unnamed statement: one round trip, nothing kept):
 * they are written by people and at start-up, not per request. */
static int q_open_text(struct store_q **qp, struct store_tx *tx,
		       const char *sql)
{
	struct pg_be *be = (struct pg_be *)tx;
	struct store_q *q;
	int err;

	if (be->failed && !be->careful)
		return ECANCELED;

	err = q_new(&q, be, SQ_COUNT);
	if (err)
		return err;
	err = store_sql_dollar(&q->sql, &q->nparams, sql);
	if (err) {
		log_error("cannot make the PostgreSQL text of: %s", sql);
		mem_deref(q);
		return err;
	}
	*qp = q;

	return 0;
}


static void q_text(struct store_q *q, int i, const char *v)
{
	if (i >= 1 && i <= STORE_PARAMS_MAX)
		q->vals[i - 1] = v;
}


static void q_num(struct store_q *q, int i, int64_t v)
{
	if (i < 1 || i > STORE_PARAMS_MAX)
		return;
	re_snprintf(q->nums[i - 1], PG_NUM_SZ, "%lld", (long long)v);
	q->vals[i - 1] = q->nums[i - 1];
}


/* in logs: sql.c's name, or the text's start */
static const char *q_name(const struct store_q *q)
{
	return q->sql ? q->sql : store_stmts[q->id].name;
}


/* Run the statement (in a savepoint when careful: sp_open). */
static int q_exec(struct store_q *q)
{
	struct pg_be *be = q->be;
	char name[16], msg[256];
	int err;

	err = sp_open(be);
	if (err)
		return err;

	if (q->sql) {
		q->res = PQexecParams(be->conn, q->sql, q->nparams, NULL,
				      q->vals, NULL, NULL, 0);
	}
	else {
		re_snprintf(name, sizeof(name), "q%d", (int)q->id);
		q->res = PQexecPrepared(be->conn, name, be->nparams[q->id],
					q->vals, NULL, NULL, 0);
	}

	switch (PQresultStatus(q->res)) {

	case PGRES_TUPLES_OK:
		be->changes = 0;
		break;

	case PGRES_COMMAND_OK:
		be->changes = strtoll(PQcmdTuples(q->res), NULL, 10);
		break;

	default:
		err = pg_errno(be->conn, q->res);
		be->failed = true;
		if (err == EEXIST || err == ENOENT)
			log_debug("%s: %s", q_name(q),
				  pg_msg(msg, sizeof(msg), be->conn, q->res));
		else
			log_warn("%s: %s", q_name(q),
				 pg_msg(msg, sizeof(msg), be->conn, q->res));
		break;
	}

	sp_close(be, err);

	return err;
}


static int q_step(struct store_q *q, bool *rowp)
{
	int err;

	*rowp = false;
	if (!q->res) {
		err = q_exec(q);
		if (err)
			return err;
	}
	if (PQresultStatus(q->res) != PGRES_TUPLES_OK)
		return 0;

	if (q->row < PQntuples(q->res))
		++q->row;
	*rowp = q->row < PQntuples(q->res);

	return 0;
}


static const char *q_col_text(struct store_q *q, int i)
{
	if (!q->res || q->row < 0 || q->row >= PQntuples(q->res) ||
	    i >= PQnfields(q->res) || PQgetisnull(q->res, q->row, i))
		return NULL;

	return PQgetvalue(q->res, q->row, i);
}


static int64_t q_col_num(struct store_q *q, int i)
{
	const char *v = q_col_text(q, i);

	if (!v)
		return 0;
	if (v[0] == 't' && !v[1])      /* a boolean, as SQLite has them */
		return 1;

	return strtoll(v, NULL, 10);
}


static void q_close(struct store_q *q)
{
	mem_deref(q);
}


static int64_t q_changes(struct store_tx *tx)
{
	return ((struct pg_be *)tx)->changes;
}


/* pg_notify: PostgreSQL sends it at COMMIT, and forgets it when the
 * transaction or the op's savepoint is rolled back */
static int q_notify(struct store_tx *tx, const char *channel,
		    const char *payload)
{
	struct store_run r;
	bool row;
	int err;

	err = store_run_open(&r, tx, SQ_NOTIFY);
	if (!err) {
		store_run_text(&r, 1, channel);
		store_run_text(&r, 2, payload);
		err = store_run_step(&r, &row);
	}
	store_run_close(&r);

	return err;
}


static const struct store_tx_ops pg_tx_ops = {
	.open = q_open,
	.open_text = q_open_text,
	.drop = q_close,
	.text = q_text,
	.num = q_num,
	.step = q_step,
	.col_text = q_col_text,
	.col_num = q_col_num,
	.close = q_close,
	.changes = q_changes,
	.notify = q_notify,
};


/* ---- batches (the worker) ---- */

/* BEGIN; a connection lost while idle (a restart) is made again at once:
 * nothing was sent yet. */
static int begin(struct pg_be *be)
{
	int err = conn_ready(be, false);

	if (!err)
		err = pg_exec(be, "BEGIN");
	if (err == ENOTCONN && be->conn) {
		conn_drop(be);
		err = conn_ready(be, true);
		if (!err)
			err = pg_exec(be, "BEGIN");
	}

	return err;
}


/*
 * Run the batch's ops in a new transaction. Optimistic (careful false):
 * no savepoints; EAGAIN at the first failed statement (the transaction
 * is aborted) or failed writing op (what it left cannot be told apart),
 * for the caller to roll back and run it again carefully: each writing
 * op in a savepoint, rolled back alone when it fails.
 */
static int run_ops(struct pg_be *be, struct list *batch, bool careful)
{
	struct le *le;
	int err;

	be->careful = careful;
	be->failed = false;
	store_tx_unfence(&be->tx);

	err = begin(be);
	if (err)
		return err;

	LIST_FOREACH(batch, le) {
		struct store_op *op = le->data;
		bool sp = careful && op->desc->writes;

		if (sp && (err = pg_exec(be, "SAVEPOINT op")))
			return err;

		op->err = store_op_run(&be->tx, op);

		if (PQstatus(be->conn) != CONNECTION_OK)
			return ENOTCONN;
		if (!careful) {
			if (be->failed || (op->err && op->desc->writes))
				return EAGAIN;
			continue;
		}

		/* EALREADY/EPERM/ENOENT are answers, not failures, but
		 * nothing they touched may stay either way */
		if (sp && op->err) {
			store_tx_unfence(&be->tx);
			err = pg_exec(be, "ROLLBACK TO SAVEPOINT op");
			if (err)
				return err;
		}
		if (sp && (err = pg_exec(be, "RELEASE SAVEPOINT op")))
			return err;
	}

	return 0;
}


/* Run one batch and commit it; each op's err says how it went. 0: it
 * was committed. */
static int run_batch(struct pg_be *be, struct list *batch)
{
	struct le *le;
	int err;

	err = run_ops(be, batch, false);
	if (err == EAGAIN) {
		log_debug("batch: an operation failed, run again carefully");
		err = pg_exec(be, "ROLLBACK");
		LIST_FOREACH(batch, le)
			store_op_clear(le->data);
		if (!err)
			err = run_ops(be, batch, true);
	}
	if (!err)
		err = pg_exec(be, "COMMIT");

	if (!err)
		return 0;

	if (be->conn && PQstatus(be->conn) != CONNECTION_OK)
		err = ENOTCONN;
	if (err == ENOTCONN)
		conn_drop(be);
	else if (PQtransactionStatus(be->conn) != PQTRANS_IDLE)
		pg_exec(be, "ROLLBACK");

	log_error("commit of %u operations failed: %s",
		  list_count(batch), strerror(err));

	/* nothing of this batch is committed: say so to everyone */
	LIST_FOREACH(batch, le) {
		struct store_op *op = le->data;

		op->err = err == ENOTCONN ? ENOTCONN : EIO;
		store_op_clear(op);
	}

	return err;
}


static void list_move(struct list *dst, struct list *src, size_t max)
{
	struct le *le;

	while (max-- && (le = list_head(src))) {
		list_unlink(le);
		list_append(dst, le, le->data);
	}
}


static void *worker(void *arg)
{
	struct pg_be *be = arg;
	struct list batch = LIST_INIT;
	double t0;
	unsigned n;
	int err;

	pthread_mutex_lock(&be->mtx);
	for (;;) {
		while (!be->stop && list_isempty(&be->todo))
			pthread_cond_wait(&be->cond, &be->mtx);
		if (list_isempty(&be->todo))
			break;

		list_move(&batch, &be->todo, be->batch_max);
		be->busy = true;
		pthread_mutex_unlock(&be->mtx);

		t0 = mono_s();
		n = list_count(&batch);
		err = run_batch(be, &batch);

		pthread_mutex_lock(&be->mtx);
		if (!err && be->nstats < PG_STATS) {
			be->stats[be->nstats].secs = mono_s() - t0;
			be->stats[be->nstats++].n = n;
		}
		list_move(&be->done, &batch, (size_t)-1);
		be->busy = false;
		pthread_cond_broadcast(&be->cond);
		if (!be->woken && !mqueue_push(be->mq, 0, NULL))
			be->woken = true;
	}
	pthread_mutex_unlock(&be->mtx);

	return NULL;
}


/* ---- the loop's side ---- */

/* Call the handlers of the ops run (handlers may queue new ones); the
 * batches' figures go to metrics here, on the loop. */
static size_t deliver(struct pg_be *be)
{
	struct list done = LIST_INIT;
	struct le *le;
	size_t n = 0, i, nstats;
	double secs[PG_STATS];
	unsigned ops[PG_STATS];

	pthread_mutex_lock(&be->mtx);
	list_move(&done, &be->done, (size_t)-1);
	nstats = be->nstats;
	for (i = 0; i < nstats; i++) {
		secs[i] = be->stats[i].secs;
		ops[i] = be->stats[i].n;
	}
	be->nstats = 0;
	pthread_mutex_unlock(&be->mtx);

	for (i = 0; i < nstats; i++) {
		metrics_observe(MH_STORE_COMMIT, secs[i]);
		metrics_observe(MH_STORE_BATCH, (double)ops[i]);
	}

	while ((le = list_head(&done))) {
		struct store_op *op = le->data;

		list_unlink(le);
		store_op_done(op);
		mem_deref(op);
		++n;
	}

	return n;
}


static void wake_h(int id, void *data, void *arg)
{
	struct pg_be *be = arg;

	(void)id;
	(void)data;

	pthread_mutex_lock(&be->mtx);
	be->woken = false;
	pthread_mutex_unlock(&be->mtx);

	deliver(be);
}


/* Hand the ops queued in this turn to the worker. */
static void hand_over(void *arg)
{
	struct pg_be *be = arg;

	if (list_isempty(&be->ops))
		return;

	pthread_mutex_lock(&be->mtx);
	list_move(&be->todo, &be->ops, (size_t)-1);
	pthread_cond_broadcast(&be->cond);
	pthread_mutex_unlock(&be->mtx);
}


static void be_queue(void *ctx, struct store_op *op)
{
	struct pg_be *be = ctx;

	list_append(&be->ops, &op->le, op);

	if (!tmr_isrunning(&be->tmr))
		tmr_start_now(&be->tmr, hand_over, be);
}


/* Run everything queued, and what its handlers queue, now. */
static int be_flush(void *ctx)
{
	struct pg_be *be = ctx;

	do {
		tmr_cancel(&be->tmr);
		hand_over(be);

		pthread_mutex_lock(&be->mtx);
		while (be->busy || !list_isempty(&be->todo))
			pthread_cond_wait(&be->cond, &be->mtx);
		pthread_mutex_unlock(&be->mtx);

	} while (deliver(be) || !list_isempty(&be->ops));

	return 0;
}


/* ---- opening: the schema ---- */

/* The schema's version, 0 for an empty database. */
static int schema_version(struct pg_be *be, unsigned *vp)
{
	PGresult *res;
	int err = 0;

	err = pg_exec(be, "CREATE TABLE IF NOT EXISTS schema_version ("
		      " version integer NOT NULL)");
	if (err)
		return err;

	res = PQexec(be->conn, "SELECT max(version) FROM schema_version");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		err = pg_errno(be->conn, res);
	else
		*vp = (unsigned)strtoul(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);

	return err;
}


static int migrate_to(struct pg_be *be, unsigned version)
{
	const struct store_migration *mig;
	unsigned v = 0;
	size_t n, i;
	char sql[96];
	int err;

	mig = store_pg_migrations(&n);

	err = schema_version(be, &v);
	if (err)
		return err;
	if (v > version) {
		log_error("database schema version %u is newer than this "
			  "beckon knows (%u): refusing to touch it", v,
			  version);
		return EPROTO;
	}

	for (i = 0; i < n && !err; i++) {
		if (mig[i].version <= v)
			continue;
		err = pg_exec(be, mig[i].sql);
		re_snprintf(sql, sizeof(sql), "DELETE FROM schema_version;"
			    "INSERT INTO schema_version VALUES (%u)",
			    mig[i].version);
		if (!err)
			err = pg_exec(be, sql);
		if (!err)
			log_info("applied schema migration %u (PostgreSQL)",
				 mig[i].version);
	}

	return err;
}


/* Bring the schema to the last version, in one transaction under an
 * advisory lock: a second node starting at the same time waits, then
 * finds nothing to do. */
static int migrate(struct pg_be *be)
{
	size_t nsqlite;
	char lock[64];
	int err;

	store_sqlite_migrations(&nsqlite);
	re_snprintf(lock, sizeof(lock), "SELECT pg_advisory_xact_lock(%lld)",
		    (long long)PG_MIGRATE_LOCK);

	err = pg_exec(be, "BEGIN");
	if (!err) {
		PGresult *res = PQexec(be->conn, lock);

		if (PQresultStatus(res) != PGRES_TUPLES_OK)
			err = pg_errno(be->conn, res);
		PQclear(res);
	}
	if (!err)
		err = migrate_to(be, (unsigned)nsqlite);
	if (!err)
		err = pg_exec(be, "COMMIT");
	if (err) {
		log_error("schema migration failed: %s", strerror(err));
		if (be->conn && PQtransactionStatus(be->conn) != PQTRANS_IDLE)
			pg_exec(be, "ROLLBACK");
	}

	return err;
}


static void be_close(void *ctx)
{
	struct pg_be *be = ctx;
	size_t i;

	if (be->started) {
		/* whatever is still queued is run, not dropped */
		be_flush(be);

		pthread_mutex_lock(&be->mtx);
		be->stop = true;
		pthread_cond_broadcast(&be->cond);
		pthread_mutex_unlock(&be->mtx);
		pthread_join(be->tid, NULL);
	}

	tmr_cancel(&be->tmr);
	list_flush(&be->ops);
	conn_drop(be);
	for (i = 0; i < SQ_COUNT; i++)
		mem_deref(be->sql[i]);
	mem_deref(be->mq);
	mem_deref(be->uri);
	pthread_cond_destroy(&be->cond);
	pthread_mutex_destroy(&be->mtx);

	mem_deref(be);
}


static int be_open(void **ctxp, const char *rest, size_t batch_max)
{
	struct pg_be *be;
	int err;

	be = mem_zalloc(sizeof(*be), NULL);
	if (!be)
		return ENOMEM;

	be->tx.ops = &pg_tx_ops;
	be->batch_max = batch_max ? batch_max : PG_BATCH_MAX;
	list_init(&be->ops);
	list_init(&be->todo);
	list_init(&be->done);
	tmr_init(&be->tmr);
	pthread_mutex_init(&be->mtx, NULL);
	pthread_cond_init(&be->cond, NULL);

	err = re_sdprintf(&be->uri, "postgres://%s", rest);
	if (!err)
		err = mqueue_alloc(&be->mq, wake_h, be);
	if (err)
		goto out;

	/* at start-up the server must be there: a wrong URI is told now */
	err = conn_open(be);
	if (!err)
		err = migrate(be);
	if (err)
		goto out;

	log_info("database PostgreSQL %d (libpq %d), host %s, database %s",
		 PQserverVersion(be->conn), PQlibVersion(),
		 PQhost(be->conn), PQdb(be->conn));

	/* from here on the connection is the worker's */
	err = pthread_create(&be->tid, NULL, worker, be);
	if (!err)
		be->started = true;

 out:
	if (err)
		be_close(be);
	else
		*ctxp = be;

	return err;
}


static int be_listen(void *ctx, struct store_listener *l)
{
	return store_pg_listen(l, ((struct pg_be *)ctx)->uri);
}


const struct store_backend store_pg = {
	.name = "postgres",
	.scheme = "postgres://",
	.open = be_open,
	.close = be_close,
	.flush = be_flush,
	.queue = be_queue,
	.listen = be_listen,
};
