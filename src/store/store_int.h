/*
 * store's private interface.
 *
 * An operation is described once, whatever the backend (docs/cluster.md):
 * a struct of its own that starts with struct store_op (its inputs, owned
 * copies, and its results), and a descriptor (struct store_op_desc): its
 * name, whether it writes, how it runs inside a transaction, written
 * against the statements of sql.c through the neutral calls below
 * (store_run_*), how its results are dropped, and how its typed handler
 * is called. A backend only queues operations (queue), opens and commits
 * the transaction around a batch, and runs statements: prepare one by id
 * (or from a text, the records') in its dialect, bind, step, read columns
 * (struct store_tx_ops).
 */
#ifndef BECKON_STORE_INT_H
#define BECKON_STORE_INT_H

#include "store/store.h"

/* PostgreSQL's queue counts: shards a business (schema migration 24),
 * as SQL text */
#define QUEUE_SHARDS "64"

/* ---- the statements, one text for every dialect (sql.c) ---- */

enum store_dialect {
	SD_SQLITE = 0,
	SD_POSTGRES,
	SD_COUNT
};

enum {
	STORE_PARAMS_MAX = 64,     /* ?N in one statement */
};

/*
 * The SQL rule, for every backend (docs/cluster.md, "The SQL rule"):
 *
 * - One text per statement (sql), in SQLite's dialect, with parameters
 *   numbered ?1, ?2, ... (never a bare ?; each number from 1 to the
 *   highest used at least once). A backend whose placeholders differ
 *   rewrites them once, when it prepares the statement: PostgreSQL's
 *   $1, $2, ... (store_sql_dollar, applied to every text it prepares,
 *   its own included; $N, quoted strings and names and comments are
 *   left as they are).
 * - pg: PostgreSQL's own text, only where its SQL really differs (INSERT
 *   OR IGNORE, json_object, json_extract, instr, min() of two values,
 *   sum() of a comparison, LIMIT -1, a boolean read as a number: ::int,
 *   a parameter whose type the server cannot infer: $N::text or
 *   $N::bigint); NULL: sql serves PostgreSQL too. It takes the same
 *   parameters as sql: an op binds once, for every dialect.
 * - store_sql_unwritten: not written for PostgreSQL yet; running it is
 *   ENOSYS (none is, now: PostgreSQL's schema has callbacks.rowid, an
 *   identity column standing for SQLite's rowid).
 * - Both schemas keep the same columns and types: TEXT is text, INTEGER
 *   is bigint, and flags (callbacks.open, events.public) are integers 0
 *   or 1, not booleans, so that the texts compare them with 1 and 0 in
 *   both. A new row's seq comes back by RETURNING, never from a
 *   backend's last rowid.
 * - Prepared statements only: values are always bound, never written
 *   into a text. The records' texts, made at run time from struct
 *   store_table (ops_record.c), hold only the table's own names, follow
 *   the same rule and are the same in both dialects (open_text).
 * - Values are bound as text or 64-bit integers (store_run_text/num); a
 *   NULL text binds SQL NULL, whatever the column's type. A column is
 *   read as text (NULL: SQL NULL) or as an integer.
 * - An op has one statement open at a time (it closes one before it
 *   opens the next) and may branch on what one returned before it runs
 *   the next (docs/cluster.md, "An open question").
 */
enum store_stmt_id {
	SQ_PING,
	SQ_NOTIFY,
	SQ_PHONE_AGENT_SET,
	SQ_PHONE_AGENT_GET,
	SQ_AGENT_PRESENCE,
	SQ_OUTBOX_REPLAY,
	SQ_OUTBOX_DUE,
	SQ_OUTBOX_DONE,
	SQ_WEBHOOK_RESULT,
	SQ_OUTBOX_LIST,
	SQ_INTAKE_SINCE,
	/* a callback's creation (ops_create.c) */
	SQ_IDEM_GET,
	SQ_IDEM_PUT,
	SQ_CREATE_READS,
	SQ_CALLBACK_INSERT,
	SQ_TOKEN_INSERT,
	SQ_EVENT_INSERT,
	SQ_EVENT_INSERT_SEQ,
	SQ_EVENT_INSERT_ONCE,
	SQ_QUEUE_COUNT,
	SQ_CALLBACKS_MARK,
	SQ_JOIN_INSERT,
	SQ_REQ_TOKEN_INSERT,
	SQ_PHONE_LOCK,
	SQ_PHONE_RECENT,
	/* callbacks and requests read, withdrawn, changed, searched
	 * (ops_callback.c, ops_report.c) */
	SQ_CALLBACK_GET,
	SQ_EVENTS_GET,
	SQ_TOKEN_CHECK,
	SQ_REQ_TOKEN_CHECK,
	SQ_CALLBACK_CANCEL,
	SQ_JOINED_GET,
	SQ_JOINED_LIVE,
	SQ_EVENTS_RANGE,
	SQ_AHEAD,
	SQ_WITHDRAWN,
	SQ_WITHDRAW_CB,
	SQ_WITHDRAW_JOINED,
	SQ_OPEN_LIST,
	SQ_UPDATE,
	SQ_EXISTS,
	SQ_HISTORY,
	SQ_SEARCH,
	/* outcomes, figures and reports (ops_report.c) */
	SQ_OUTCOME_PUT,
	SQ_FIG_COUNTS,
	SQ_FIG_CONNECT,
	SQ_FIG_SALES,
	SQ_REPORT_ROWS,
	/* a cluster's leader (ops.c, docs/cluster.md) */
	SQ_LEAD_LOCK,
	SQ_LEAD_BUMP,
	SQ_LEADER_GET,
	SQ_FENCE,
	/* the desk's sessions (ops_session.c) */
	SQ_SESSION_PUT,
	SQ_SESSION_TOUCH,
	SQ_SESSION_END,
	SQ_SESSION_END_AGENT,
	SQ_SESSIONS_PURGE,
	SQ_SESSIONS_LIVE,
	SQ_COUNT
};

struct store_stmt {
	const char *name;         /* in logs */
	const char *sql;          /* every dialect's, unless it has its own */
	const char *pg;           /* PostgreSQL's own; NULL: sql */
};

extern const struct store_stmt store_stmts[SQ_COUNT];
extern const char store_sql_unwritten[];

/* The text of a statement in a dialect; NULL: not written for it (a
 * backend answers ENOSYS). Parameters are still ?N. */
const char *store_stmt_sql(enum store_stmt_id id, enum store_dialect d);

/* A copy of sql with each ?N made $N (PostgreSQL's placeholders; its
 * own $N kept), quoted strings and names and comments left alone;
 * *np (unless NULL): the highest N, the statement's parameter count.
 * EINVAL for a bare ? or an N out of 1..STORE_PARAMS_MAX. */
int store_sql_dollar(char **dstp, int *np, const char *sql);

/* ---- running statements: what each backend implements ---- */

struct store_tx;          /* a backend's open transaction */
struct store_q;           /* a statement of it being run */

struct store_tx_ops {
	/* a statement of sql.c by id: prepared once, kept (cached) */
	int  (*open)(struct store_q **qp, struct store_tx *tx,
		     enum store_stmt_id id);
	/* a statement from a text made at run time (the records', made
	 * from struct store_table; the same rule as sql.c's, and the same
	 * in every dialect): prepared for this one use, freed by drop */
	int  (*open_text)(struct store_q **qp, struct store_tx *tx,
			  const char *sql);
	void (*drop)(struct store_q *q);
	void (*text)(struct store_q *q, int i, const char *v);
	void (*num)(struct store_q *q, int i, int64_t v);
	/* 0 with *rowp set (a row to read) or cleared (done), or errno */
	int  (*step)(struct store_q *q, bool *rowp);
	const char *(*col_text)(struct store_q *q, int i);  /* NULL: null */
	int64_t (*col_num)(struct store_q *q, int i);
	void (*close)(struct store_q *q);    /* done with it, kept */
	int64_t (*changes)(struct store_tx *tx);  /* rows the last wrote */
	/* channel's listeners hear payload if and when the transaction
	 * commits (notify.c checks both; a read-only connection: EROFS) */
	int  (*notify)(struct store_tx *tx, const char *channel,
		       const char *payload);
};

/* a backend's transaction starts with this */
struct store_tx {
	const struct store_tx_ops *ops;
	/* this connection took the leader's lock (SQ_LEAD_LOCK): a backend
	 * that connects again takes it again first, and clears this when
	 * another connection has it (then every fenced op is ESTALE) */
	bool lead;
	/* a follower's connection that replaced a lost one tries no lock
	 * before then (ms, time_now_ms): the server restarted ends every
	 * session, the leader's lock with it, and the leader, reconnecting,
	 * takes it back first (pg.c, PG_LEAD_GRACE_MS) */
	int64_t lead_after;
	/* the epoch a fenced op of this transaction read, FOR SHARE (0:
	 * none yet): the row stays locked to the transaction's end, so
	 * no other writer can move it and the transaction's other fenced
	 * ops need not read it again. A backend clears it at each
	 * transaction and each savepoint it rolls back (store_tx_unfence):
	 * the lock may have gone with it. */
	int64_t fence_seen;
};

static inline void store_tx_unfence(struct store_tx *tx)
{
	tx->fence_seen = 0;
}

/* One statement being run, what the ops are written with (run.c).
 * Parameters are numbered from 1, columns from 0, as in the SQL; text
 * bound is not copied: it must live until the statement is closed. */
struct store_run {
	struct store_tx *tx;
	struct store_q *q;
	bool made;                /* from a text: dropped at close */
};

int  store_run_open(struct store_run *r, struct store_tx *tx,
		    enum store_stmt_id id);
int  store_run_open_text(struct store_run *r, struct store_tx *tx,
			 const char *sql);
void store_run_text(struct store_run *r, int i, const char *v);
void store_run_num(struct store_run *r, int i, int64_t v);
int  store_run_step(struct store_run *r, bool *rowp);
int  store_run_done(struct store_run *r);    /* step, expect no row */
const char *store_run_col_text(struct store_run *r, int i);
int64_t store_run_col_num(struct store_run *r, int i);
int  store_run_col_dup(struct store_run *r, int i, char **dst);
void store_run_close(struct store_run *r);
int64_t store_run_changes(struct store_run *r);
/* Notify channel with payload when tx commits (an op's run may call it;
 * a writing op's: a rolled back op's is never heard); EINVAL, EMSGSIZE
 * as store_notify. */
/* store_ch_callbacks: callback id changed, its status now st (CBS_ANY:
 * not said) */
int  store_run_notify_callback(struct store_tx *tx, const char *id,
			       enum callback_status st);
int  store_run_notify(struct store_tx *tx, const char *channel,
		      const char *payload);
/* the first column of the only row as an integer (0: no row), run to
 * its end */
int  store_run_num1(struct store_run *r, int64_t *vp);

/* ---- operations (ops.c) ---- */

struct store_op;

struct store_op_desc {
	const char *name;
	bool writes;              /* a failure may leave rows behind */
	/* reads only, and long (reports, the search): a backend may run
	 * it apart from the batches, on a read-only connection of a
	 * thread of its own; its run then touches only its op, its
	 * statements and its own memory, and done is called on the loop
	 * as for any op */
	bool long_read;
	/* an ACD write: on a leader it runs only while the store's epoch
	 * is still the cluster's (store_op_run), else it is ESTALE */
	bool fenced;
	/* inside the batch's transaction; 0 or an errno (some, such as
	 * ENOENT or EALREADY, are answers: the handler gets them). It may
	 * run on a backend's own thread (pg.c): it touches only its op,
	 * the statements and memory of its own (no timers, metrics or other
	 * globals), and so do the functions it calls back (answerh); done
	 * runs on the loop. */
	int  (*run)(struct store_tx *tx, struct store_op *op);
	/* drops the results (a rolled back batch runs the op again);
	 * NULL: it has none */
	void (*clear)(struct store_op *op);
	/* calls the op's typed handler with op->err */
	void (*done)(struct store_op *op);
	/* frees inputs and results (mem destructor); NULL: nothing */
	void (*dh)(struct store_op *op);
};

struct store_op {
	struct le le;             /* in the backend's queue */
	const struct store_op_desc *desc;
	struct store *st;         /* set when queued */
	int64_t epoch;            /* fenced: the leader's epoch, 0: none */
	int err;
	void *arg;                /* the handler's */
};

/* What a backend calls to run an op in its transaction (the fence, then
 * desc->run) and, on the loop, to hand it its result (desc->done; an
 * ESTALE tells the store's stale handler). */
int  store_op_run(struct store_tx *tx, struct store_op *op);
void store_op_done(struct store_op *op);

/* the leader's epoch of st (0: not leading); its stale handler, told
 * once (store.c) */
int64_t store_epoch(const struct store *st);
void store_lead_set(struct store *st, int64_t epoch);
void store_stale(struct store *st);

/* Drop an op's results (its descriptor's clear), before a re-run or a
 * failure is reported. */
void store_op_clear(struct store_op *op);

/* A zeroed op of size bytes (its own struct, struct store_op first). */
void *store_op_alloc(size_t size, const struct store_op_desc *desc,
		     void *arg);

/* Queue op when err is 0, or free it; returns err or the queue's. */
int store_op_queue(struct store *st, void *op, int err);

/* a copy of src into *dst, NULL stays NULL */
int store_dup_opt(const char **dst, const char *src);

/* the objects an op reads, a list's result (mem objects) */
struct store_objv {
	void **v;
	size_t n;
	size_t cap;               /* v's room */
};

int  store_objv_add(struct store_objv *l, void *obj);
void store_objv_clear(struct store_objv *l);

/* reads one row of r into a new mem object, *objp (freed on failure) */
typedef int (store_row_h)(void **objp, struct store_run *r,
			  const void *arg);

/* Each row of r into l by read(objp, r, arg), at most max (STORE_ALL:
 * any number; one more row is E2BIG). */
int store_run_rows(struct store_run *r, struct store_objv *l, size_t max,
		   store_row_h *read, const void *arg);

/* The callbacks' columns, as SQ_OPEN_LIST has them (ops_callback.c): a
 * callback from a row (store_row_h); _outcome: with the outcome's JSON
 * after them, as SQ_CALLBACK_GET has it. The events of a statement of
 * SQ_EVENTS_GET's columns appended to cb; a callback's events loaded. */
int store_read_callback(void **objp, struct store_run *r, const void *arg);
int store_read_callback_outcome(void **objp, struct store_run *r,
				const void *arg);
int store_read_events(struct callback *cb, struct store_run *r);
int store_load_events(struct store_tx *tx, struct callback *cb,
		      bool public_only);

/* An event on callback id; its seq into *seqp unless seqp is NULL
 * (ops_create.c). */
int store_event_insert(struct store_tx *tx, const char *id, int64_t t,
		       const char *type, bool public, const char *data,
		       int64_t *seqp);

/* The smallest id made at time t or later (ops_report.c). */
void store_id_at(char id[ID_LEN], int64_t t);

/* The first column of statement id's only row (0 without a row), ?1 a
 * (unless NULL), ?2 *b (unless NULL). */
int store_one_num(struct store_tx *tx, enum store_stmt_id id,
		  const char *a, const int64_t *b, int64_t *vp);

struct store_backend {
	const char *name;
	const char *scheme;   /* URL prefix, e.g. "sqlite:" */
	int  (*open)(void **bep, const char *path, size_t batch_max);
	void (*close)(void *be);
	int  (*flush)(void *be);
	/* queue an op (ops*.c), run in a later batch */
	void (*queue)(void *be, struct store_op *op);
	/* l hears this store's notifications from now on (resync first) */
	int  (*listen)(void *be, struct store_listener *l);
};

/* a listener (store_listen, notify.c); a backend keeps it heard */
struct store_listener {
	struct le le;             /* in SQLite's listeners */
	char **channels;
	size_t n;
	store_notify_h *notifyh;
	store_resync_h *resynch;
	void *arg;
	struct tmr tmr;           /* SQLite's resync at start */
	void *pg;                 /* PostgreSQL's connection (pg_listen.c) */
};

/* l's notify handler, when it listens to channel */
void store_listener_heard(struct store_listener *l, const char *channel,
			  const char *payload);
/* SQLite: in l's backend's list; resync on the loop, once */
void store_listener_local(struct store_listener *l, struct list *lst);

/* where a connection goes instead of where uri's host name leads (NULL
 * members: uri's own) */
struct store_pg_addr {
	const char *host;
	const char *hostaddr;     /* an IP address: libpq resolves nothing */
	const char *port;
};

/* PostgreSQL's connections (pg.c): libpq's keywords, NULL-ended, and
 * their values, uri's, then addr's (NULL: none); vals has STORE_PG_KEYS
 * entries */
enum { STORE_PG_KEYS = 11 };
const char *const *store_pg_conn_params(const char **vals,
					const char *uri,
					const struct store_pg_addr *addr);
/* the wait before the next attempt after one of backoff ms failed
 * (0: the first) */
int64_t store_pg_backoff(int64_t backoff);
/* l listened to on a connection of its own to uri, at addr if it has a
 * hostaddr (pg_listen.c) */
int store_pg_listen(struct store_listener *l, const char *uri,
		    const struct store_pg_addr *addr);

extern const struct store_backend store_sqlite;
extern const struct store_backend store_pg;

/* queue an op on the store's backend */
int store_queue(struct store *st, struct store_op *op);
/* l heard by the store's backend (its listen) */
int store_backend_listen(struct store *st, struct store_listener *l);

/* frees what a struct callback holds (its mem destructor) */
void store_callback_destructor(void *arg);

/* the schema migrations, oldest first (schema.c) */
const char *const *store_sqlite_migrations(size_t *np);

/* PostgreSQL's: each brings the schema to its version (SQLite's
 * numbering), oldest first */
struct store_migration {
	unsigned version;
	const char *sql;
};

const struct store_migration *store_pg_migrations(size_t *np);

#endif
