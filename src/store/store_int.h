/*
 * store's private interface.
 *
 * An operation is described once, whatever the backend (docs/cluster.md):
 * a struct of its own that starts with struct store_op (its inputs, owned
 * copies, and its results), and a descriptor (struct store_op_desc): its
 * name, whether it writes, how it runs inside a transaction, written
 * against the statements of sql.c through the neutral query calls below
 * (store_q_*), how its results are dropped, and how its typed handler is
 * called. A backend only queues operations (queue), opens and commits the
 * transaction around a batch, and runs statements: prepare one by id in
 * its dialect, bind, step, read columns.
 *
 * The operations not yet moved to ops.c still have an entry of their own
 * in struct store_backend and run SQLite-only code (sqlite.c); a backend
 * that leaves one NULL answers it ENOSYS (store.c).
 */
#ifndef BECKON_STORE_INT_H
#define BECKON_STORE_INT_H

#include "store/store.h"

/* ---- the statements, one text per dialect (sql.c) ---- */

enum store_dialect {
	SD_SQLITE = 0,
	SD_POSTGRES,
	SD_COUNT
};

enum store_stmt_id {
	SQ_PING,
	SQ_PHONE_AGENT_SET,
	SQ_PHONE_AGENT_GET,
	SQ_OUTBOX_REPLAY,
	SQ_OUTBOX_DUE,
	SQ_OUTBOX_DONE,
	SQ_WEBHOOK_RESULT,
	SQ_OUTBOX_LIST,
	SQ_INTAKE_SINCE,
	SQ_INTAKE_PRUNE,
	SQ_COUNT
};

struct store_stmt {
	const char *name;         /* in logs */
	/* SQLite's text (?N), and PostgreSQL's ($N) where it differs:
	 * NULL there runs SQLite's with each ?N made $N (store_pg_sql).
	 * SQLite's NULL: not written yet (ENOSYS). */
	const char *sql[SD_COUNT];
};

/* sql with SQLite's ?N (and bare ?) made PostgreSQL's $N, outside
 * quoted strings, identifiers and comments; *np: the highest N */
int store_pg_sql(char **dstp, int *np, const char *sql);

extern const struct store_stmt store_stmts[SQ_COUNT];

/* ---- running statements: what each backend implements ---- */

struct store_tx;          /* a backend's open transaction */
struct store_q;           /* a statement of it being run */

struct store_tx_ops {
	int  (*open)(struct store_q **qp, struct store_tx *tx,
		     enum store_stmt_id id);
	void (*text)(struct store_q *q, int i, const char *v);
	void (*num)(struct store_q *q, int i, int64_t v);
	/* 0 with *rowp set (a row to read) or cleared (done), or errno */
	int  (*step)(struct store_q *q, bool *rowp);
	const char *(*col_text)(struct store_q *q, int i);  /* NULL: null */
	int64_t (*col_num)(struct store_q *q, int i);
	void (*close)(struct store_q *q);
	int64_t (*changes)(struct store_tx *tx);  /* rows the last wrote */
};

/* a backend's transaction starts with this */
struct store_tx {
	const struct store_tx_ops *ops;
};

/* One statement being run, what the ops are written with (run.c).
 * Parameters are numbered from 1, columns from 0, as in the SQL; text
 * bound is not copied: it must live until the statement is closed. */
struct store_run {
	struct store_tx *tx;
	struct store_q *q;
};

int  store_run_open(struct store_run *r, struct store_tx *tx,
		    enum store_stmt_id id);
void store_run_text(struct store_run *r, int i, const char *v);
void store_run_num(struct store_run *r, int i, int64_t v);
int  store_run_step(struct store_run *r, bool *rowp);
int  store_run_done(struct store_run *r);    /* step, expect no row */
const char *store_run_col_text(struct store_run *r, int i);
int64_t store_run_col_num(struct store_run *r, int i);
int  store_run_col_dup(struct store_run *r, int i, char **dst);
void store_run_close(struct store_run *r);
int64_t store_run_changes(struct store_run *r);

/* ---- operations (ops.c) ---- */

struct store_op;

struct store_op_desc {
	const char *name;
	bool writes;              /* a failure may leave rows behind */
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
	int err;
	void *arg;                /* the handler's */
};

/* A zeroed op of size bytes (its own struct, struct store_op first). */
void *store_op_alloc(size_t size, const struct store_op_desc *desc,
		     void *arg);

struct store_backend {
	const char *name;
	const char *scheme;   /* URL prefix, e.g. "sqlite:" */
	int  (*open)(void **bep, const char *path, size_t batch_max);
	void (*close)(void *be);
	int  (*flush)(void *be);
	/* queue an op (ops.c), run in a later batch */
	void (*queue)(void *be, struct store_op *op);
	int  (*put)(void *be, const struct store_table *t, const void *obj,
		    bool replace, store_done_h *h, void *arg);
	int  (*get)(void *be, const struct store_table *t, const char *field,
		    const char *value, store_obj_h *h, void *arg);
	int  (*list)(void *be, const struct store_table *t, store_list_h *h,
		     void *arg);
	int  (*del)(void *be, const struct store_table *t, const char *id,
		    store_done_h *h, void *arg);
	int  (*callbacks_open)(void *be, size_t max, store_list_h *h,
				void *arg);
	int  (*callback_update)(void *be, const struct callback_change *chg,
				 store_done_h *h, void *arg);
	int  (*outcome_put)(void *be, const struct outcome *o,
			     store_done_h *h, void *arg);
	int  (*figures)(void *be, const char *business, int64_t since,
			store_figures_h *h, void *arg);
	int  (*report_rows)(void *be, const char *scope, int64_t lo,
			    int64_t hi, enum store_report_key key,
			    size_t max, store_list_h *h, void *arg);
	int  (*callbacks_search)(void *be, const struct callback_search *q,
				 store_list_h *h, void *arg);
	int  (*callback_history)(void *be, const char *business,
				  const char *phone, size_t max,
				  store_list_h *h, void *arg);
	int  (*callback_create)(void *be, const struct callback_new *req,
				store_create_h *h, void *arg);
	int  (*callback_get)(void *be, const char *id, bool public_only,
			     store_callback_h *h, void *arg);
	int  (*request_get)(void *be, const char *id, store_callback_h *h,
			    void *arg);
	int  (*callback_cancel)(void *be, const char *id,
				const char *token_hash, store_cancel_h *h,
				void *arg);
};

extern const struct store_backend store_sqlite;
extern const struct store_backend store_pg;

/* queue an op on the store's backend */
int store_queue(struct store *st, struct store_op *op);

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
