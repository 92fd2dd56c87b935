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

enum {
	QCOUNT_HASH = 64,          /* buckets: businesses in the open list */
};

enum stmt_id {
	S_IDEM_GET,
	S_IDEM_PUT,
	S_OPEN_FIND,
	S_CALLBACK_INSERT,
	S_TOKEN_INSERT,
	S_EVENT_INSERT,
	S_QUEUE_COUNT,
	S_INTAKE_INSERT,
	S_CALLBACK_GET,
	S_EVENTS_GET,
	S_TOKEN_CHECK,
	S_CALLBACK_CANCEL,
	S_OPEN_LIST,
	S_UPDATE,
	S_EXISTS,
	S_HISTORY,
	S_OUTCOME_PUT,
	S_FIG_COUNTS,
	S_FIG_CONNECT,
	S_FIG_SALES,
	S_QUEUED_NOW,
	S_ROWID_MAX,
	S_JOIN_INSERT,
	S_REQ_TOKEN_INSERT,
	S_REQ_TOKEN_CHECK,
	S_JOINED_GET,
	S_JOINED_LIVE,
	S_EVENTS_RANGE,
	S_AHEAD,
	S_WITHDRAWN,
	S_WITHDRAW_CB,
	S_WITHDRAW_JOINED,
	S_REPORT_ROWS,
	S_SEARCH,
	S_BEGIN,
	S_COMMIT,
	S_SAVEPOINT,
	S_RELEASE,
	S_ROLLBACK_TO,
	S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
	[S_IDEM_GET] =
		"SELECT fingerprint, callback_id, status, answer, request_id"
		" FROM idempotency WHERE business_id = ?1 AND key = ?2",
	[S_IDEM_PUT] =
		"INSERT INTO idempotency (business_id, key, fingerprint,"
		" callback_id, status, answer, created_at, request_id)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[S_OPEN_FIND] =
		"SELECT id FROM callbacks"
		" WHERE business_id = ?1 AND phone = ?2 AND open = 1",
	[S_CALLBACK_INSERT] =
		"INSERT INTO callbacks (id, business_id, phone, status, open,"
		" created_at, updated_at, scheduled_for, page_url, page_title,"
		" name, note, agent_key, client_ip, referrer)"
		" VALUES (?1, ?2, ?3, ?4, 1, ?5, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
		" ?12, ?13)",
	[S_TOKEN_INSERT] =
		"INSERT OR IGNORE INTO cancel_tokens (token_hash, callback_id,"
		" created_at)"
		" VALUES (?1, ?2, ?3)",
	[S_EVENT_INSERT] =
		"INSERT INTO events (callback_id, t, type, public, data)"
		" VALUES (?1, ?2, ?3, ?4, ?5)",
	/* a new queued callback: counted, and its place is the count */
	[S_QUEUE_COUNT] =
		"INSERT INTO queue_counts (business_id, queued) VALUES (?1, 1)"
		" ON CONFLICT(business_id) DO UPDATE SET queued = queued + 1"
		" RETURNING queued",
	[S_INTAKE_INSERT] =
		"INSERT INTO intake_log (t, business_id, phone, ip)"
		" VALUES (?1, ?2, ?3, ?4)",
	[S_CALLBACK_GET] =
		"SELECT id, business_id, phone, status, open, created_at,"
		" updated_at, scheduled_for, page_url, page_title, name, note,"
		" agent_key, priority, attempts, agent_id, rule_id,"
		" lease_until, ended_reason, assigned,"
		" (SELECT json_object('disposition', o.disposition, 'agent',"
		"  o.agent_id, 'product', o.product, 'quantity', o.quantity,"
		"  'amount_cents', o.amount_cents, 'currency', o.currency,"
		"  'order_ref', o.order_ref, 'notes', o.notes, 't', o.t)"
		"  FROM outcomes AS o WHERE o.callback_id = callbacks.id)"
		" FROM callbacks WHERE id = ?1",
	[S_EVENTS_GET] =
		"SELECT t, type, public, data FROM events"
		" WHERE callback_id = ?1 AND (public = 1 OR ?2 = 0)"
		" ORDER BY seq",
	[S_TOKEN_CHECK] =
		"SELECT 1 FROM cancel_tokens"
		" WHERE callback_id = ?2 AND token_hash = ?1",
	[S_CALLBACK_CANCEL] =
		"UPDATE callbacks SET status = 'canceled', open = 0,"
		" updated_at = ?2 WHERE id = ?1",
	[S_OPEN_LIST] =
		"SELECT id, business_id, phone, status, open, created_at,"
		" updated_at, scheduled_for, page_url, page_title, name, note,"
		" agent_key, priority, attempts, agent_id, rule_id,"
		" lease_until, ended_reason, assigned FROM callbacks"
		" WHERE open = 1"
		" ORDER BY priority DESC, created_at LIMIT ?1",
	[S_UPDATE] =
		"UPDATE callbacks SET status = ?2,"
		" open = CASE WHEN ?3 THEN 0 ELSE open END, updated_at = ?4,"
		" scheduled_for = CASE WHEN ?5 >= 0 THEN ?5"
		"   ELSE scheduled_for END,"
		" attempts = CASE WHEN ?6 >= 0 THEN ?6 ELSE attempts END,"
		" priority = COALESCE(?7, priority),"
		" agent_id = COALESCE(?8, agent_id),"
		" rule_id = COALESCE(?9, rule_id),"
		" lease_until = CASE WHEN ?10 >= 0 THEN ?10"
		"   ELSE lease_until END,"
		" ended_reason = COALESCE(?11, ended_reason),"
		" assigned = COALESCE(?13, assigned)"
		" WHERE id = ?1 AND open = 1 AND (?12 IS NULL OR status = ?12)",
	[S_EXISTS] = "SELECT 1 FROM callbacks WHERE id = ?1",
	[S_HISTORY] =
		"SELECT c.id, c.business_id, c.phone, c.status, c.open,"
		" c.created_at, c.updated_at, c.scheduled_for, c.page_url,"
		" c.page_title, c.name, c.note, c.agent_key, c.priority,"
		" c.attempts, c.agent_id, c.rule_id, c.lease_until,"
		" c.ended_reason, c.assigned,"
		" (SELECT json_object('disposition', o.disposition, 'agent',"
		"  o.agent_id, 'product', o.product, 'quantity', o.quantity,"
		"  'amount_cents', o.amount_cents, 'currency', o.currency,"
		"  'order_ref', o.order_ref, 'notes', o.notes, 't', o.t)"
		"  FROM outcomes AS o WHERE o.callback_id = c.id)"
		" FROM phone_history AS h"
		" JOIN callbacks AS c ON c.id = h.callback_id"
		" WHERE h.business_id = ?1 AND h.phone = ?2"
		" ORDER BY h.t DESC LIMIT ?3",
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
	/* joined requests (schema migration 10) */
	[S_QUEUED_NOW] =
		"SELECT queued FROM queue_counts WHERE business_id = ?1",
	[S_ROWID_MAX] = "SELECT max(rowid) FROM callbacks",
	[S_JOIN_INSERT] =
		"INSERT INTO joined_requests (id, callback_id, created_at,"
		" scheduled_for, since_seq, mark, page_url, page_title, name,"
		" note, agent_key, client_ip, referrer)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
		" ?13)",
	[S_REQ_TOKEN_INSERT] =
		"INSERT OR IGNORE INTO request_tokens (token_hash, request_id,"
		" created_at) VALUES (?1, ?2, ?3)",
	[S_REQ_TOKEN_CHECK] =
		"SELECT 1 FROM request_tokens"
		" WHERE request_id = ?2 AND token_hash = ?1",
	[S_JOINED_GET] =
		"SELECT j.id, c.business_id, c.phone, j.created_at,"
		" j.scheduled_for, c.id, c.status, c.open, j.since_seq, j.mark,"
		" j.withdrawn_at, j.withdrawn_seq"
		" FROM joined_requests AS j JOIN callbacks AS c"
		" ON c.id = j.callback_id WHERE j.id = ?1",
	[S_JOINED_LIVE] =
		"SELECT EXISTS (SELECT 1 FROM joined_requests"
		" WHERE callback_id = ?1 AND withdrawn_seq = 0)",
	[S_EVENTS_RANGE] =
		"SELECT t, type, public, data FROM events"
		" WHERE callback_id = ?1 AND public = 1 AND seq > ?2"
		" AND seq < ?3 ORDER BY seq",
	/* callbacks_open_status holds the rowid: a range of that index */
	[S_AHEAD] =
		"SELECT count(*) FROM callbacks WHERE business_id = ?1"
		" AND open = 1 AND status = 'queued' AND rowid <= ?2",
	[S_WITHDRAWN] =
		"SELECT withdrawn_at, withdrawn_seq FROM callbacks"
		" WHERE id = ?1",
	[S_WITHDRAW_CB] =
		"UPDATE callbacks SET withdrawn_at = ?2, withdrawn_seq = ?3"
		" WHERE id = ?1",
	[S_WITHDRAW_JOINED] =
		"UPDATE joined_requests SET withdrawn_at = ?2,"
		" withdrawn_seq = ?3 WHERE id = ?1",
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
	/* the search: S_CALLBACK_GET's columns */
	[S_SEARCH] =
		"SELECT id, business_id, phone, status, open, created_at,"
		" updated_at, scheduled_for, page_url, page_title, name, note,"
		" agent_key, priority, attempts, agent_id, rule_id,"
		" lease_until, ended_reason,"
		" (SELECT json_object('disposition', o.disposition, 'agent',"
		"  o.agent_id, 'product', o.product, 'quantity', o.quantity,"
		"  'amount_cents', o.amount_cents, 'currency', o.currency,"
		"  'order_ref', o.order_ref, 'notes', o.notes, 't', o.t)"
		"  FROM outcomes AS o WHERE o.callback_id = c.id)"
		" FROM callbacks AS c"
		" WHERE c.id >= ?1 AND c.id < min(?2, coalesce(?10, ?2))"
		" AND c.created_at >= ?3 AND c.created_at < ?4"
		" AND (?5 IS NULL OR instr(' ' || ?5 || ' ',"
		"  ' ' || c.business_id || ' ') > 0)"
		" AND (?6 IS NULL OR c.business_id = ?6)"
		" AND (?7 IS NULL OR c.phone LIKE '%' || ?7)"
		" AND (?8 IS NULL OR c.status = ?8)"
		" AND (?9 IS NULL OR c.agent_id = ?9 OR EXISTS (SELECT 1"
		"  FROM outcomes AS o WHERE o.callback_id = c.id"
		"  AND o.agent_id = ?9))"
		" ORDER BY c.id DESC LIMIT ?11",
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_SAVEPOINT] = "SAVEPOINT op",
	[S_RELEASE] = "RELEASE op",
	[S_ROLLBACK_TO] = "ROLLBACK TO op",
};

enum op_kind {
	OP_PUT,
	OP_GET_OBJ,
	OP_LIST,
	OP_DELETE,
	OP_CREATE,
	OP_GET,
	OP_CANCEL,
	OP_REQUEST_GET,
	OP_OPEN_LIST,
	OP_UPDATE,
	OP_HISTORY,
	OP_OUTCOME,
	OP_FIGURES,
	OP_REPORT_ROWS,
	OP_SEARCH,
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
	const struct store_table *tab;
	void *obj;                /* input of a put, result of a get */
	char *field;
	char *value;
	bool replace;
	struct callback_change chg;   /* strings below are owned copies */
	struct outcome oc;            /* strings are owned copies */
	struct figures fig;
	struct callback_new req;  /* strings below are owned copies */
	char *id;
	char *token_hash;
	bool public_only;
	int64_t since;
	size_t max;               /* rows at most */
	struct callback_search sq;    /* strings are owned copies */
	enum store_report_key rkey;

	/* results */
	struct callback_created created;
	struct callback *cb;
	char canceled[ID_LEN];    /* a cancel: the callback it canceled */
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
		const char *sql = store_stmts[id].sql[SD_SQLITE];

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
	.text = q_text,
	.num = q_num,
	.step = q_step,
	.col_text = q_col_text,
	.col_num = q_col_num,
	.close = q_close,
	.changes = q_changes,
};


/* ---- operations, each run inside the batch transaction ---- */

/* ---- records: SQL made from the table's fields ---- */

static int rec_sql_put(char **sqlp, const struct store_table *t,
		       bool replace)
{
	struct mbuf *mb = mbuf_alloc(512);
	size_t i;
	int err = 0;

	if (!mb)
		return ENOMEM;

	err |= mbuf_printf(mb, "INSERT INTO %s (", t->name);
	for (i = 0; i < t->n; i++)
		err |= mbuf_printf(mb, "%s, ", t->fields[i].name);
	err |= mbuf_write_str(mb, "created_at, updated_at) VALUES (");
	for (i = 0; i < t->n; i++)
		err |= mbuf_printf(mb, "?%zu, ", i + 1);
	err |= mbuf_printf(mb, "?%zu, ?%zu) ON CONFLICT(%s) DO ", t->n + 1,
			   t->n + 1, t->fields[0].name);
	if (replace) {
		err |= mbuf_write_str(mb, "UPDATE SET ");
		for (i = 1; i < t->n; i++)
			err |= mbuf_printf(mb, "%s = excluded.%s, ",
					   t->fields[i].name,
					   t->fields[i].name);
		err |= mbuf_write_str(mb, "updated_at = excluded.updated_at");
	}
	else {
		err |= mbuf_write_str(mb, "NOTHING");
	}

	if (!err) {
		mb->pos = 0;
		err = mbuf_strdup(mb, sqlp, mb->end);
	}
	mem_deref(mb);

	return err ? ENOMEM : 0;
}


static int rec_sql_select(char **sqlp, const struct store_table *t,
			  const char *where)
{
	struct mbuf *mb = mbuf_alloc(512);
	size_t i;
	int err = 0;

	if (!mb)
		return ENOMEM;

	err |= mbuf_write_str(mb, "SELECT ");
	for (i = 0; i < t->n; i++)
		err |= mbuf_printf(mb, "%s%s", i ? ", " : "",
				   t->fields[i].name);
	err |= mbuf_printf(mb, " FROM %s", t->name);
	if (where)
		err |= mbuf_printf(mb, " WHERE %s = ?1", where);
	err |= mbuf_printf(mb, " ORDER BY %s", t->fields[0].name);

	if (!err) {
		mb->pos = 0;
		err = mbuf_strdup(mb, sqlp, mb->end);
	}
	mem_deref(mb);

	return err ? ENOMEM : 0;
}


/* Records are written by people and at start-up, not per request: their
 * statements are prepared for each use rather than kept. */
static int rec_prepare(struct sqlite_be *be, const char *sql,
		       sqlite3_stmt **sp)
{
	if (sqlite3_prepare_v2(be->db, sql, -1, sp, NULL) != SQLITE_OK) {
		log_error("prepare: %s: %s", sql, errmsg(be));
		return EIO;
	}

	return 0;
}


static int rec_read(void **objp, const struct store_table *t,
		    sqlite3_stmt *s)
{
	void *obj;
	size_t i;
	int err = 0;

	obj = mem_zalloc(t->size, t->dh);
	if (!obj)
		return ENOMEM;

	for (i = 0; i < t->n; i++) {
		const struct store_field *f = &t->fields[i];
		char *p = (char *)obj + f->off;

		if (f->type == SF_STR) {
			const unsigned char *v =
				sqlite3_column_text(s, (int)i);

			err |= str_dup((char **)p, v ? (const char *)v : "");
		}
		else {
			*(int64_t *)p = sqlite3_column_int64(s, (int)i);
		}
	}

	if (err) {
		mem_deref(obj);
		return ENOMEM;
	}

	*objp = obj;

	return 0;
}


static int do_put(struct sqlite_be *be, struct op *op)
{
	const struct store_table *t = op->tab;
	sqlite3_stmt *s = NULL;
	char *sql = NULL;
	size_t i;
	int err;

	err = rec_sql_put(&sql, t, op->replace);
	if (!err)
		err = rec_prepare(be, sql, &s);
	if (err)
		goto out;

	for (i = 0; i < t->n; i++) {
		const struct store_field *f = &t->fields[i];

		if (f->type == SF_STR)
			sqlite3_bind_text(s, (int)i + 1,
					  store_obj_str(op->obj, f), -1,
					  SQLITE_STATIC);
		else
			sqlite3_bind_int64(s, (int)i + 1,
					   store_obj_int(op->obj, f));
	}
	sqlite3_bind_int64(s, (int)t->n + 1, time_now_ms());

	err = step_done(be, s);
	if (!err && !op->replace && !sqlite3_changes(be->db))
		err = EALREADY;   /* it exists: left as it is */

 out:
	sqlite3_finalize(s);
	mem_deref(sql);

	return err;
}


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


static int do_select(struct sqlite_be *be, struct op *op)
{
	const struct store_table *t = op->tab;
	sqlite3_stmt *s = NULL;
	char *sql = NULL;
	int rc, err;

	err = rec_sql_select(&sql, t, op->field);
	if (!err)
		err = rec_prepare(be, sql, &s);
	if (err)
		goto out;

	if (op->field)
		sqlite3_bind_text(s, 1, op->value, -1, SQLITE_STATIC);

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		err = objv_grow(op);
		if (err)
			break;

		err = rec_read(&op->objv[op->objn], t, s);
		if (err)
			break;
		op->objn++;

		if (op->kind == OP_GET_OBJ)
			break;
	}
	if (!err && rc != SQLITE_DONE && rc != SQLITE_ROW)
		err = EIO;

	if (!err && op->kind == OP_GET_OBJ) {
		if (op->objn)
			op->obj = mem_ref(op->objv[0]);
		else
			err = ENOENT;
	}

 out:
	sqlite3_finalize(s);
	mem_deref(sql);

	return err;
}


static int do_delete(struct sqlite_be *be, struct op *op)
{
	const struct store_table *t = op->tab;
	sqlite3_stmt *s = NULL;
	char *sql = NULL;
	int err;

	if (re_sdprintf(&sql, "DELETE FROM %s WHERE %s = ?1", t->name,
			t->fields[0].name) < 0)
		return ENOMEM;

	err = rec_prepare(be, sql, &s);
	if (err)
		goto out;

	sqlite3_bind_text(s, 1, op->value, -1, SQLITE_STATIC);
	err = step_done(be, s);
	if (!err && !sqlite3_changes(be->db))
		err = ENOENT;

 out:
	sqlite3_finalize(s);
	mem_deref(sql);

	return err;
}


static int insert_token(struct sqlite_be *be, const char *hash,
			const char *id, int64_t now)
{
	sqlite3_stmt *s = stmt_get(be, S_TOKEN_INSERT);

	if (!s)
		return EIO;

	bind_text(s, 1, hash);
	bind_text(s, 2, id);
	sqlite3_bind_int64(s, 3, now);

	return step_done(be, s);
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


/* The first column of a statement's first row (0 without a row); ?1 a
 * text, ?2 an integer, where the statement has them. */
static int one_int(struct sqlite_be *be, enum stmt_id id, const char *a,
		   int64_t b, int64_t *vp)
{
	sqlite3_stmt *s = stmt_get(be, id);
	int rc;

	if (!s)
		return EIO;

	if (sqlite3_bind_parameter_count(s) >= 1)
		bind_text(s, 1, a);
	if (sqlite3_bind_parameter_count(s) >= 2)
		sqlite3_bind_int64(s, 2, b);
	rc = sqlite3_step(s);
	*vp = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);

	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : EIO;
}


static int insert_req_token(struct sqlite_be *be, const char *hash,
			    const char *id, int64_t now)
{
	sqlite3_stmt *s = stmt_get(be, S_REQ_TOKEN_INSERT);

	if (!s)
		return EIO;

	bind_text(s, 1, hash);
	bind_text(s, 2, id);
	sqlite3_bind_int64(s, 3, now);

	return step_done(be, s);
}


/*
 * A request for a number whose callback is open (res->call_id): a request
 * of its own, joined to that call. It is told what a first request made
 * now would be told (its own "when"; its place after the business's
 * queued callbacks) and nothing of the open callback. A private "joined"
 * event on the callback tells its agent; the request will see the
 * callback's events after that one, and counts as ahead of it the
 * callbacks inserted until now (mark).
 */
static int insert_joined(struct sqlite_be *be, struct op *op)
{
	const struct callback_new *r = &op->req;
	struct callback_created *res = &op->created;
	bool scheduled = r->scheduled_for > r->now;
	char data[96];
	int64_t mark = 0, seq;
	sqlite3_stmt *s;
	int err;

	res->outcome = CB_JOINED;
	str_bcpy(res->id, r->id, sizeof(res->id));
	str_bcpy(res->status, scheduled ? "scheduled" : "queued",
		 sizeof(res->status));
	res->created_at = r->now;
	res->scheduled_for = scheduled ? r->scheduled_for : 0;
	if (!scheduled) {
		err = one_int(be, S_QUEUED_NOW, r->business, 0,
			      &res->position);
		if (err)
			return err;
		res->position++;
	}

	err = one_int(be, S_ROWID_MAX, NULL, 0, &mark);
	if (err)
		return err;

	re_snprintf(data, sizeof(data), "{\"request\":\"%s\"}", r->id);
	err = insert_event(be, res->call_id, r->now, "joined", false, data);
	if (err)
		return err;
	seq = sqlite3_last_insert_rowid(be->db);

	s = stmt_get(be, S_JOIN_INSERT);
	if (!s)
		return EIO;
	bind_text(s, 1, r->id);
	bind_text(s, 2, res->call_id);
	sqlite3_bind_int64(s, 3, r->now);
	sqlite3_bind_int64(s, 4, res->scheduled_for);
	sqlite3_bind_int64(s, 5, seq);
	sqlite3_bind_int64(s, 6, mark);
	bind_text(s, 7, r->page_url);
	bind_text(s, 8, r->page_title);
	bind_text(s, 9, r->name);
	bind_text(s, 10, r->note);
	bind_text(s, 11, r->agent_key);
	bind_text(s, 12, r->client_ip);
	bind_text(s, 13, r->referrer);
	err = step_done(be, s);
	if (err)
		return err;

	return insert_req_token(be, r->cancel_hash, r->id, r->now);
}


static int idem_lookup(struct sqlite_be *be, struct op *op, bool *found)
{
	const struct callback_new *r = &op->req;
	struct callback_created *res = &op->created;
	sqlite3_stmt *s = stmt_get(be, S_IDEM_GET);
	bool joined = false;
	int rc, err = 0;

	*found = false;
	if (!s)
		return EIO;

	bind_text(s, 1, r->business);
	bind_text(s, 2, r->idem_key);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *fp = (const char *)sqlite3_column_text(s, 0);

		*found = true;
		if (!fp || strcmp(fp, r->idem_fp)) {
			res->outcome = CB_KEY_MISMATCH;
			goto out;
		}
		res->outcome = CB_REPLAY;
		/* the request the key answered: a joined one, or the
		 * callback it created */
		joined = sqlite3_column_type(s, 4) != SQLITE_NULL;
		str_bcpy(res->id, (const char *)sqlite3_column_text(s,
								   joined ?
								   4 : 1),
			 sizeof(res->id));
		res->answer_status = sqlite3_column_int(s, 2);
		err = col_dup(&res->answer, s, 3);
	}
	else if (rc != SQLITE_DONE) {
		err = EIO;
	}

 out:
	sqlite3_reset(s);

	/* a replay gets a fresh cancel token for the request it answers */
	if (!err && res->outcome == CB_REPLAY)
		err = (joined ? insert_req_token : insert_token)
			(be, r->cancel_hash, res->id, r->now);

	return err;
}


static int open_lookup(struct sqlite_be *be, struct op *op, bool *found)
{
	const struct callback_new *r = &op->req;
	struct callback_created *res = &op->created;
	sqlite3_stmt *s = stmt_get(be, S_OPEN_FIND);
	int rc;

	*found = false;
	if (!s)
		return EIO;
	/* a browser's call (no phone) is nobody else's */
	if (!*r->phone)
		return 0;

	bind_text(s, 1, r->business);
	bind_text(s, 2, r->phone);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*found = true;
		str_bcpy(res->call_id,
			 (const char *)sqlite3_column_text(s, 0),
			 sizeof(res->call_id));
	}
	sqlite3_reset(s);

	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return EIO;

	/* never the open callback's id, token or times: a request of its
	 * own (a stranger may know the number) */
	return *found ? insert_joined(be, op) : 0;
}


static int insert_callback(struct sqlite_be *be, struct op *op)
{
	const struct callback_new *r = &op->req;
	struct callback_created *res = &op->created;
	bool scheduled = r->scheduled_for > r->now;
	char data[96];
	sqlite3_stmt *s;
	int err;

	res->outcome = CB_CREATED;
	str_bcpy(res->id, r->id, sizeof(res->id));
	str_bcpy(res->status, scheduled ? "scheduled" : "queued",
		 sizeof(res->status));
	res->created_at = r->now;
	res->scheduled_for = scheduled ? r->scheduled_for : 0;

	s = stmt_get(be, S_CALLBACK_INSERT);
	if (!s)
		return EIO;

	bind_text(s, 1, r->id);
	bind_text(s, 2, r->business);
	bind_text(s, 3, r->phone);
	bind_text(s, 4, res->status);
	sqlite3_bind_int64(s, 5, r->now);
	sqlite3_bind_int64(s, 6, res->scheduled_for);
	bind_text(s, 7, r->page_url);
	bind_text(s, 8, r->page_title);
	bind_text(s, 9, r->name);
	bind_text(s, 10, r->note);
	bind_text(s, 11, r->agent_key);
	bind_text(s, 12, r->client_ip);
	bind_text(s, 13, r->referrer);

	err = step_done(be, s);
	if (err)
		return err;

	err = insert_token(be, r->cancel_hash, r->id, r->now);
	if (err)
		return err;

	re_snprintf(data, sizeof(data), "{\"status\":\"%s\"}", res->status);
	err = insert_event(be, r->id, r->now, "created", true, data);
	if (err)
		return err;

	/* the count a trigger keeps on every later change, kept here for
	 * the insert: a trigger on the insert cost more than the insert of
	 * the callback itself */
	if (!scheduled) {
		int rc;

		s = stmt_get(be, S_QUEUE_COUNT);
		if (!s)
			return EIO;
		bind_text(s, 1, r->business);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			res->position = sqlite3_column_int64(s, 0);
			rc = sqlite3_step(s);
		}
		sqlite3_reset(s);
		if (rc != SQLITE_DONE)
			return EIO;
	}

	return 0;
}


static int do_create(struct sqlite_be *be, struct op *op)
{
	const struct callback_new *r = &op->req;
	struct callback_created *res = &op->created;
	struct store_run run;
	sqlite3_stmt *s;
	bool found = false, row = false;
	int err;

	if (r->idem_key) {
		err = idem_lookup(be, op, &found);
		if (err || found)
			return err;
	}

	err = open_lookup(be, op, &found);
	if (err)
		return err;

	if (!found) {
		err = insert_callback(be, op);
		if (err)
			return err;
	}

	/* who last spoke with this number, for routing: read here, in the
	 * same transaction, so the ACD need not ask again */
	err = store_run_open(&run, &be->tx, SQ_PHONE_AGENT_GET);
	if (!err) {
		store_run_text(&run, 1, r->business);
		store_run_text(&run, 2, r->phone);
		err = store_run_step(&run, &row);
	}
	if (!err && row)
		str_bcpy(res->last_agent, store_run_col_text(&run, 0),
			 sizeof(res->last_agent));
	store_run_close(&run);
	if (err)
		return err;

	/* the limits count every request answered with a callback */
	s = stmt_get(be, S_INTAKE_INSERT);
	if (!s)
		return EIO;
	sqlite3_bind_int64(s, 1, r->now);
	bind_text(s, 2, r->business);
	bind_text(s, 3, r->phone);
	bind_text(s, 4, r->client_ip ? r->client_ip : "");
	err = step_done(be, s);
	if (err)
		return err;

	err = r->answerh(&res->answer, &res->answer_status, res,
			 r->answer_arg);
	if (err)
		return err;

	if (r->idem_key) {
		s = stmt_get(be, S_IDEM_PUT);
		if (!s)
			return EIO;
		bind_text(s, 1, r->business);
		bind_text(s, 2, r->idem_key);
		bind_text(s, 3, r->idem_fp);
		bind_text(s, 4, res->outcome == CB_JOINED ? res->call_id
			  : res->id);
		sqlite3_bind_int(s, 5, res->answer_status);
		bind_text(s, 6, res->answer);
		sqlite3_bind_int64(s, 7, r->now);
		bind_text(s, 8, res->outcome == CB_JOINED ? res->id : NULL);
		err = step_done(be, s);
	}

	return err;
}


/* Append the events a statement of S_EVENTS_GET's columns reads. */
static int read_events(struct callback *cb, sqlite3_stmt *s)
{
	int rc, err = 0;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct callback_event *v, *e;

		v = mem_reallocarray(cb->events, cb->nevents + 1,
				     sizeof(*v), NULL);
		if (!v) {
			err = ENOMEM;
			break;
		}
		cb->events = v;
		e = &v[cb->nevents++];
		memset(e, 0, sizeof(*e));
		e->t = sqlite3_column_int64(s, 0);
		e->public = sqlite3_column_int(s, 2) != 0;
		err |= col_dup(&e->type, s, 1);
		err |= col_dup(&e->data, s, 3);
		if (err) {
			err = ENOMEM;
			break;
		}
	}
	if (!err && rc != SQLITE_DONE)
		err = EIO;

	sqlite3_reset(s);

	return err;
}


static int load_events(struct sqlite_be *be, struct callback *cb,
		       bool public_only)
{
	sqlite3_stmt *s = stmt_get(be, S_EVENTS_GET);

	if (!s)
		return EIO;

	bind_text(s, 1, cb->id);
	sqlite3_bind_int(s, 2, public_only);

	return read_events(cb, s);
}


/* Load a callback and its events into op->cb; ENOENT when there is none. */
/* A callback from the columns of S_CALLBACK_GET's shape. */
static int read_callback(struct callback **cbp, sqlite3_stmt *s)
{
	struct callback *cb;
	int err = 0;

	cb = mem_zalloc(sizeof(*cb), store_callback_destructor);
	if (!cb)
		return ENOMEM;

	str_bcpy(cb->id, (const char *)sqlite3_column_text(s, 0),
		 sizeof(cb->id));
	err |= col_dup(&cb->business, s, 1);
	err |= col_dup(&cb->phone, s, 2);
	err |= col_dup(&cb->status, s, 3);
	cb->open = sqlite3_column_int(s, 4) != 0;
	cb->created_at = sqlite3_column_int64(s, 5);
	cb->updated_at = sqlite3_column_int64(s, 6);
	cb->scheduled_for = sqlite3_column_int64(s, 7);
	err |= col_dup(&cb->page_url, s, 8);
	err |= col_dup(&cb->page_title, s, 9);
	err |= col_dup(&cb->name, s, 10);
	err |= col_dup(&cb->note, s, 11);
	err |= col_dup(&cb->agent_key, s, 12);
	cb->priority = sqlite3_column_int64(s, 13);
	cb->attempts = sqlite3_column_int64(s, 14);
	err |= col_dup(&cb->agent_id, s, 15);
	err |= col_dup(&cb->rule_id, s, 16);
	cb->lease_until = sqlite3_column_int64(s, 17);
	err |= col_dup(&cb->ended_reason, s, 18);
	err |= col_dup(&cb->assigned, s, 19);
	/* what the agent recorded, as JSON SQLite wrote (get, history) */
	if (sqlite3_column_count(s) > 20 &&
	    sqlite3_column_type(s, 20) != SQLITE_NULL)
		err |= col_dup(&cb->outcome, s, 20);
	if (err) {
		mem_deref(cb);
		return ENOMEM;
	}

	*cbp = cb;

	return 0;
}


static int load_callback(struct sqlite_be *be, struct op *op)
{
	sqlite3_stmt *s = stmt_get(be, S_CALLBACK_GET);
	struct callback *cb = NULL;
	int rc, err;

	if (!s)
		return EIO;

	bind_text(s, 1, op->id);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return rc == SQLITE_DONE ? ENOENT : EIO;
	}

	err = read_callback(&cb, s);
	sqlite3_reset(s);
	if (err)
		return err;

	/* no position: counting the queue ahead is O(n) a request; the
	 * ACD, which keeps the queue's order, answers it (acd_position) */
	err = load_events(be, cb, op->public_only);
	if (err)
		mem_deref(cb);
	else
		op->cb = cb;

	return err;
}


/* Callbacks from a statement of S_CALLBACK_GET's columns into objv. */
static int read_callbacks(struct op *op, sqlite3_stmt *s)
{
	int rc, err = 0;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		err = objv_grow(op);
		if (err)
			break;
		err = read_callback((struct callback **)&op->objv[op->objn],
				    s);
		if (err)
			break;
		op->objn++;
	}
	if (!err && rc != SQLITE_DONE)
		err = EIO;
	sqlite3_reset(s);

	return err;
}


static int do_history(struct sqlite_be *be, struct op *op)
{
	sqlite3_stmt *s = stmt_get(be, S_HISTORY);

	if (!s)
		return EIO;

	bind_text(s, 1, op->req.business);
	bind_text(s, 2, op->req.phone);
	sqlite3_bind_int64(s, 3, op->since);

	return read_callbacks(op, s);
}


/* a business's queued callbacks counted so far, in the open list */
struct qcount {
	struct le he;
	const char *business;      /* a callback's of the list */
	int64_t n;
};


static bool qcount_eq(struct le *le, void *arg)
{
	const struct qcount *q = le->data;

	return !strcmp(q->business, arg);
}


/* Positions per business, in the order read: one running count each
 * (a count of every earlier callback for each made a restart with many
 * thousands open take minutes). */
static int open_positions(struct op *op)
{
	struct hash *h;
	size_t i;
	int err = hash_alloc(&h, QCOUNT_HASH);

	for (i = 0; !err && i < op->objn; i++) {
		struct callback *cb = op->objv[i];
		uint32_t k = hash_joaat_str(cb->business);
		struct le *le;
		struct qcount *q;

		if (strcmp(cb->status, "queued"))
			continue;

		le = hash_lookup(h, k, qcount_eq, cb->business);
		q = le ? le->data : mem_zalloc(sizeof(*q), NULL);
		if (!q) {
			err = ENOMEM;
			break;
		}
		if (!le) {
			q->business = cb->business;
			hash_append(h, k, &q->he, q);
		}
		cb->position = ++q->n;
	}

	hash_flush(h);
	mem_deref(h);

	return err;
}


/* The open callbacks, in queue order, with their queue positions. */
static int do_open_list(struct sqlite_be *be, struct op *op)
{
	sqlite3_stmt *s = stmt_get(be, S_OPEN_LIST);
	int err;

	if (!s)
		return EIO;

	sqlite3_bind_int64(s, 1, op->since);
	err = read_callbacks(op, s);

	return err ? err : open_positions(op);
}


/* ---- requests: each request is its own, one call serves them all ---- */

static const char by_customer[] = "{\"by\":\"customer\"}";


/* a callback nobody has started on: its requests may still withdraw */
static bool waiting(const char *status)
{
	return !strcmp(status, "queued") || !strcmp(status, "scheduled");
}


static int set_str(char **dst, const char *v)
{
	char *d = NULL;
	int err = str_dup(&d, v);

	if (err)
		return err;

	mem_deref(*dst);
	*dst = d;

	return 0;
}


/* An event of a request's view that no row holds (its own "created"
 * and "canceled": the rows are the call's). */
static int add_event(struct callback *cb, int64_t t, const char *type,
		     const char *data)
{
	struct callback_event *v, *e;
	int err;

	v = mem_reallocarray(cb->events, cb->nevents + 1, sizeof(*v), NULL);
	if (!v)
		return ENOMEM;
	cb->events = v;
	e = &v[cb->nevents];
	memset(e, 0, sizeof(*e));
	e->t = t;
	e->public = true;
	err = str_dup(&e->type, type);
	if (!err && data)
		err = str_dup(&e->data, data);
	if (err) {
		e->type = mem_deref(e->type);
		return ENOMEM;
	}
	cb->nevents++;

	return 0;
}


static void events_clear(struct callback *cb)
{
	size_t i;

	for (i = 0; i < cb->nevents; i++) {
		mem_deref(cb->events[i].type);
		mem_deref(cb->events[i].data);
	}
	cb->events = mem_deref(cb->events);
	cb->nevents = 0;
}


/* The public events of callback call_id with after < seq < before. */
static int load_events_range(struct sqlite_be *be, struct callback *cb,
			     const char *call_id, int64_t after,
			     int64_t before)
{
	sqlite3_stmt *s = stmt_get(be, S_EVENTS_RANGE);

	if (!s)
		return EIO;

	bind_text(s, 1, call_id);
	sqlite3_bind_int64(s, 2, after);
	sqlite3_bind_int64(s, 3, before);

	return read_events(cb, s);
}


/* When a callback's creator withdrew while requests joined to it still
 * waited (0, 0: it did not). */
static int withdrawn_of(struct sqlite_be *be, const char *id, int64_t *atp,
			int64_t *seqp)
{
	sqlite3_stmt *s = stmt_get(be, S_WITHDRAWN);
	int rc;

	if (!s)
		return EIO;

	bind_text(s, 1, id);
	rc = sqlite3_step(s);
	*atp = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	*seqp = rc == SQLITE_ROW ? sqlite3_column_int64(s, 1) : 0;
	sqlite3_reset(s);

	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : EIO;
}


/* A withdrawn request's view: the call's public events after `after`
 * until it withdrew, then its own cancel; nothing of what came later. */
static int view_withdrawn(struct sqlite_be *be, struct callback *cb,
			  const char *call_id, int64_t after, int64_t seq,
			  int64_t at)
{
	int err = load_events_range(be, cb, call_id, after, seq);

	if (!err)
		err = add_event(cb, at, "canceled", by_customer);
	if (!err)
		err = set_str(&cb->status, "canceled");
	cb->open = false;
	cb->position = 0;
	cb->updated_at = at;

	return err;
}


/* what a joined request's view is made of, besides its own fields */
struct joined {
	char call_id[ID_LEN];     /* the callback whose call serves it */
	char call_status[16];
	bool call_open;
	int64_t since_seq;        /* it sees the call's events after this */
	int64_t mark;             /* callbacks up to this rowid are ahead */
	int64_t withdrawn_at;
	int64_t withdrawn_seq;    /* 0: not withdrawn */
};


/* A joined request's own fields into a new view, the rest into j; ENOENT
 * when no joined request has that id. */
static int joined_read(struct sqlite_be *be, const char *id,
		       struct callback **cbp, struct joined *j)
{
	sqlite3_stmt *s = stmt_get(be, S_JOINED_GET);
	struct callback *cb;
	int rc, err = 0;

	if (!s)
		return EIO;

	bind_text(s, 1, id);
	rc = sqlite3_step(s);
	cb = rc == SQLITE_ROW ? mem_zalloc(sizeof(*cb),
					   store_callback_destructor) : NULL;
	if (!cb) {
		sqlite3_reset(s);
		return rc == SQLITE_DONE ? ENOENT :
			rc == SQLITE_ROW ? ENOMEM : EIO;
	}

	str_bcpy(cb->id, (const char *)sqlite3_column_text(s, 0),
		 sizeof(cb->id));
	err |= col_dup(&cb->business, s, 1);
	err |= col_dup(&cb->phone, s, 2);
	cb->created_at = sqlite3_column_int64(s, 3);
	cb->scheduled_for = sqlite3_column_int64(s, 4);
	str_bcpy(j->call_id, (const char *)sqlite3_column_text(s, 5),
		 sizeof(j->call_id));
	str_bcpy(j->call_status, (const char *)sqlite3_column_text(s, 6),
		 sizeof(j->call_status));
	j->call_open = sqlite3_column_int(s, 7) != 0;
	j->since_seq = sqlite3_column_int64(s, 8);
	j->mark = sqlite3_column_int64(s, 9);
	j->withdrawn_at = sqlite3_column_int64(s, 10);
	j->withdrawn_seq = sqlite3_column_int64(s, 11);
	sqlite3_reset(s);

	if (err) {
		mem_deref(cb);
		return ENOMEM;
	}

	*cbp = cb;

	return 0;
}


/*
 * A joined request's view: its own "created", then the call's public
 * events after it joined. Its status is its own waiting one (from its own
 * "when"; queued: its place after the business's callbacks queued before
 * it) until the call has moved on since it joined, or has ended.
 */
static int joined_view(struct sqlite_be *be, struct callback *cb,
		       const struct joined *j)
{
	const char *own = cb->scheduled_for ? "scheduled" : "queued";
	char data[48];
	int err;

	re_snprintf(data, sizeof(data), "{\"status\":\"%s\"}", own);
	err = add_event(cb, cb->created_at, "created", data);
	if (err)
		return err;

	if (j->withdrawn_seq)
		return view_withdrawn(be, cb, j->call_id, j->since_seq,
				      j->withdrawn_seq, j->withdrawn_at);

	err = load_events_range(be, cb, j->call_id, j->since_seq,
				INT64_MAX);
	if (err)
		return err;

	cb->open = j->call_open;
	cb->updated_at = cb->events[cb->nevents - 1].t;
	if (!j->call_open || (cb->nevents > 1 && !waiting(j->call_status)))
		return set_str(&cb->status, j->call_status);

	own = cb->scheduled_for > time_now_ms() ? "scheduled" : "queued";
	err = set_str(&cb->status, own);
	if (!err && !strcmp(own, "queued")) {
		err = one_int(be, S_AHEAD, cb->business, j->mark,
			      &cb->position);
		cb->position++;
	}

	return err;
}


static int joined_load(struct sqlite_be *be, struct op *op,
		       struct joined *j)
{
	int err = joined_read(be, op->id, &op->cb, j);

	if (!err)
		err = joined_view(be, op->cb, j);
	if (err)
		op->cb = mem_deref(op->cb);

	return err;
}


/* A request as its requester may see it (store_request_get). */
static int do_request_get(struct sqlite_be *be, struct op *op)
{
	struct joined j;
	int64_t at = 0, seq = 0;
	int err;

	err = load_callback(be, op);
	if (err == ENOENT)
		return joined_load(be, op, &j);

	if (!err)
		err = withdrawn_of(be, op->id, &at, &seq);
	if (!err && seq) {
		events_clear(op->cb);
		err = view_withdrawn(be, op->cb, op->id, 0, seq, at);
	}
	if (err)
		op->cb = mem_deref(op->cb);

	return err;
}


static int token_ok(struct sqlite_be *be, enum stmt_id id, const char *hash,
		    const char *req_id, bool *okp)
{
	sqlite3_stmt *s = stmt_get(be, id);
	int rc;

	if (!s)
		return EIO;

	bind_text(s, 1, hash);
	bind_text(s, 2, req_id);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	*okp = rc == SQLITE_ROW;

	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : EIO;
}


/* A request withdraws while its call goes on for others: a private event
 * on the call (its agent's history) whose seq ends what it sees. */
static int withdraw(struct sqlite_be *be, enum stmt_id upd,
		    const char *req_id, const char *call_id, int64_t now)
{
	char data[96];
	sqlite3_stmt *s;
	int err;

	re_snprintf(data, sizeof(data), "{\"request\":\"%s\"}", req_id);
	err = insert_event(be, call_id, now, "withdrawn", false, data);
	if (err)
		return err;

	s = stmt_get(be, upd);
	if (!s)
		return EIO;
	bind_text(s, 1, req_id);
	sqlite3_bind_int64(s, 2, now);
	sqlite3_bind_int64(s, 3, sqlite3_last_insert_rowid(be->db));

	return step_done(be, s);
}


/* The last request still waiting withdrew: the call is off. */
static int cancel_call(struct sqlite_be *be, struct op *op, const char *id,
		       int64_t now)
{
	sqlite3_stmt *s = stmt_get(be, S_CALLBACK_CANCEL);
	int err;

	if (!s)
		return EIO;

	bind_text(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	err = step_done(be, s);
	if (!err)
		err = insert_event(be, id, now, "canceled", true,
				   by_customer);
	if (!err)
		str_bcpy(op->canceled, id, sizeof(op->canceled));

	return err;
}


/* Withdraw a joined request; the call is canceled with it when its
 * creator had withdrawn and no other joined request still waits. */
static int cancel_joined(struct sqlite_be *be, struct op *op, int64_t now)
{
	struct joined j;
	int64_t live = 0, at = 0, seq = 0;
	bool ok = false;
	int err;

	err = joined_read(be, op->id, &op->cb, &j);
	if (!err)
		err = token_ok(be, S_REQ_TOKEN_CHECK, op->token_hash, op->id,
			       &ok);
	op->cb = mem_deref(op->cb);
	if (err || !ok)
		return err ? err : EPERM;

	if (j.withdrawn_seq || !j.call_open || !waiting(j.call_status)) {
		err = joined_load(be, op, &j);
		return err ? err : EALREADY;
	}

	err = withdraw(be, S_WITHDRAW_JOINED, op->id, j.call_id, now);
	if (!err)
		err = one_int(be, S_JOINED_LIVE, j.call_id, 0, &live);
	if (!err)
		err = withdrawn_of(be, j.call_id, &at, &seq);
	if (!err && !live && seq)
		err = cancel_call(be, op, j.call_id, now);

	return err ? err : joined_load(be, op, &j);
}


/* Withdraw a request by its cancel token (store_callback_cancel). */
static int do_cancel(struct sqlite_be *be, struct op *op)
{
	const int64_t now = time_now_ms();
	int64_t live = 0, at = 0, seq = 0;
	bool ok = false;
	int err;

	err = load_callback(be, op);
	if (err == ENOENT)
		return cancel_joined(be, op, now);
	if (!err)
		err = token_ok(be, S_TOKEN_CHECK, op->token_hash, op->id,
			       &ok);
	if (!err)
		err = withdrawn_of(be, op->id, &at, &seq);
	if (err || !ok) {
		op->cb = mem_deref(op->cb);
		return err ? err : EPERM;
	}

	/* only a callback nobody has started on can be withdrawn */
	if (seq || !op->cb->open || !waiting(op->cb->status))
		err = EALREADY;
	else
		err = one_int(be, S_JOINED_LIVE, op->id, 0, &live);

	/* requests joined to it still wait: the call goes on for them */
	if (!err)
		err = live ? withdraw(be, S_WITHDRAW_CB, op->id, op->id, now)
			   : cancel_call(be, op, op->id, now);

	op->cb = mem_deref(op->cb);
	if (err && err != EALREADY)
		return err;

	return do_request_get(be, op) ? EIO : err;
}


static int do_update(struct sqlite_be *be, struct op *op)
{
	const struct callback_change *c = &op->chg;
	sqlite3_stmt *s = stmt_get(be, S_UPDATE);
	int rc, err;

	if (!s)
		return EIO;

	bind_text(s, 1, c->id);
	bind_text(s, 2, c->status);
	sqlite3_bind_int(s, 3, c->close);
	sqlite3_bind_int64(s, 4, c->now);
	sqlite3_bind_int64(s, 5, c->scheduled_for);
	sqlite3_bind_int64(s, 6, c->attempts);
	if (c->priority != INT64_MIN)
		sqlite3_bind_int64(s, 7, c->priority);
	bind_text(s, 8, c->agent_id);
	bind_text(s, 9, c->rule_id);
	sqlite3_bind_int64(s, 10, c->lease_until);
	bind_text(s, 11, c->ended_reason);
	bind_text(s, 12, c->from_status);
	bind_text(s, 13, c->assigned);

	err = step_done(be, s);
	if (err)
		return err;

	if (!sqlite3_changes(be->db)) {
		/* no such callback, or it is not where the caller thought */
		s = stmt_get(be, S_EXISTS);
		if (!s)
			return EIO;
		bind_text(s, 1, c->id);
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		return rc == SQLITE_ROW ? EALREADY : ENOENT;
	}

	err = insert_event(be, c->id, c->now, c->event, c->event_public,
			   c->event_data);
	if (!err && c->event2)
		err = insert_event(be, c->id, c->now, c->event2, false,
				   c->event2_data);

	return err;
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
		/* the reports' median (S_FIG_CONNECT sorts them) */
		f->median_connect_s = rank_percentile(v, n, 50);
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


static int do_search(struct sqlite_be *be, struct op *op)
{
	sqlite3_stmt *s = stmt_get(be, S_SEARCH);
	const struct callback_search *q = &op->sq;
	char lo_id[ID_LEN], hi_id[ID_LEN];
	size_t i;
	int err;

	if (!s)
		return EIO;

	range_ids(lo_id, hi_id, sizeof(lo_id), q->lo, q->hi);
	bind_text(s, 1, lo_id);
	bind_text(s, 2, hi_id);
	sqlite3_bind_int64(s, 3, q->lo);
	sqlite3_bind_int64(s, 4, q->hi);
	bind_text(s, 5, q->scope);
	bind_text(s, 6, q->business);
	bind_text(s, 7, q->digits);
	bind_text(s, 8, q->status);
	bind_text(s, 9, q->agent);
	bind_text(s, 10, q->before);
	sqlite3_bind_int64(s, 11, (int64_t)q->max);

	err = read_callbacks(op, s);
	for (i = 0; !err && i < op->objn; i++)
		err = load_events(be, op->objv[i], false);

	return err;
}


static int op_exec(struct sqlite_be *be, struct op *op)
{
	switch (op->kind) {

	case OP_PUT:           return do_put(be, op);
	case OP_GET_OBJ:
	case OP_LIST:          return do_select(be, op);
	case OP_DELETE:        return do_delete(be, op);
	case OP_CREATE:        return do_create(be, op);
	case OP_GET:           return load_callback(be, op);
	case OP_CANCEL:        return do_cancel(be, op);
	case OP_REQUEST_GET:   return do_request_get(be, op);
	case OP_OPEN_LIST:     return do_open_list(be, op);
	case OP_UPDATE:        return do_update(be, op);
	case OP_HISTORY:       return do_history(be, op);
	case OP_OUTCOME:       return do_outcome(be, op);
	case OP_FIGURES:       return do_figures(be, op);
	case OP_REPORT_ROWS:   return do_report_rows(be, op);
	case OP_SEARCH:        return do_search(be, op);
	}

	return EINVAL;
}


/* Drop what an operation produced, so that no handler sees it and so
 * that it can run again from scratch. */
static void op_clear_results(struct store_op *sop)
{
	struct op *op = (struct op *)sop;

	switch (op->kind) {

	case OP_GET_OBJ:
	case OP_LIST:
	case OP_OPEN_LIST:
	case OP_HISTORY:
	case OP_REPORT_ROWS:
	case OP_SEARCH:
		op->obj = mem_deref(op->obj);
		objv_free(op);
		break;

	default:
		break;
	}
	op->created.answer = mem_deref(op->created.answer);
	memset(&op->created, 0, sizeof(op->created));
	op->cb = mem_deref(op->cb);
	op->canceled[0] = '\0';
}


static void op_complete(struct store_op *sop)
{
	struct op *op = (struct op *)sop;

	switch (op->kind) {

	case OP_PUT:
	case OP_DELETE:
	case OP_UPDATE:
	case OP_OUTCOME:
		((store_done_h *)op->h)(op->op.err, op->op.arg);
		break;

	case OP_FIGURES:
		((store_figures_h *)op->h)(op->op.err, op->op.err ? NULL : &op->fig,
					   op->op.arg);
		break;

	case OP_GET_OBJ:
		((store_obj_h *)op->h)(op->op.err, op->op.err ? NULL : op->obj,
				       op->op.arg);
		break;

	case OP_LIST:
	case OP_OPEN_LIST:
	case OP_HISTORY:
	case OP_REPORT_ROWS:
	case OP_SEARCH:
		((store_list_h *)op->h)(op->op.err, op->objv,
					op->op.err ? 0 : op->objn, op->op.arg);
		break;

	case OP_CREATE:
		((store_create_h *)op->h)(op->op.err,
					  op->op.err ? NULL : &op->created,
					  op->op.arg);
		break;

	case OP_GET:
	case OP_REQUEST_GET:
		((store_callback_h *)op->h)(op->op.err, op->cb, op->op.arg);
		break;

	case OP_CANCEL:
		((store_cancel_h *)op->h)(op->op.err, op->cb, !op->op.err &&
					  op->canceled[0] ? op->canceled :
					  NULL, op->op.arg);
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

	mem_deref(op->obj);
	mem_deref(op->field);
	mem_deref(op->value);
	mem_deref((char *)op->chg.id);
	mem_deref((char *)op->chg.from_status);
	mem_deref((char *)op->chg.status);
	mem_deref((char *)op->chg.agent_id);
	mem_deref((char *)op->chg.rule_id);
	mem_deref((char *)op->chg.ended_reason);
	mem_deref((char *)op->chg.assigned);
	mem_deref((char *)op->chg.event);
	mem_deref((char *)op->chg.event_data);
	mem_deref((char *)op->chg.event2);
	mem_deref((char *)op->chg.event2_data);
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
	mem_deref((char *)op->req.phone);
	mem_deref((char *)op->req.page_url);
	mem_deref((char *)op->req.page_title);
	mem_deref((char *)op->req.name);
	mem_deref((char *)op->req.note);
	mem_deref((char *)op->req.agent_key);
	mem_deref((char *)op->req.referrer);
	mem_deref((char *)op->req.client_ip);
	mem_deref((char *)op->req.idem_key);
	mem_deref((char *)op->req.idem_fp);
	mem_deref(op->id);
	mem_deref(op->token_hash);
	mem_deref(op->created.answer);
	mem_deref(op->cb);
	mem_deref((char *)op->sq.scope);
	mem_deref((char *)op->sq.business);
	mem_deref((char *)op->sq.digits);
	mem_deref((char *)op->sq.status);
	mem_deref((char *)op->sq.agent);
	mem_deref((char *)op->sq.before);
}


static int legacy_run(struct store_tx *tx, struct store_op *op)
{
	return op_exec((struct sqlite_be *)tx, (struct op *)op);
}


/* the ops not yet moved to ops.c, by kind */
#define LEGACY(k, n, w) [k] = {.name = n, .writes = w, .run = legacy_run, \
	.clear = op_clear_results, .done = op_complete, .dh = op_destructor}

static const struct store_op_desc legacy_descs[] = {
	LEGACY(OP_PUT, "put", true),
	LEGACY(OP_GET_OBJ, "get", false),
	LEGACY(OP_LIST, "list", false),
	LEGACY(OP_DELETE, "delete", true),
	LEGACY(OP_CREATE, "callback_create", true),
	LEGACY(OP_GET, "callback_get", false),
	LEGACY(OP_CANCEL, "callback_cancel", true),
	LEGACY(OP_REQUEST_GET, "request_get", false),
	LEGACY(OP_OPEN_LIST, "callbacks_open", false),
	LEGACY(OP_UPDATE, "callback_update", true),
	LEGACY(OP_HISTORY, "callback_history", false),
	LEGACY(OP_OUTCOME, "outcome_put", true),
	LEGACY(OP_FIGURES, "figures", false),
	LEGACY(OP_REPORT_ROWS, "report_rows", false),
	LEGACY(OP_SEARCH, "callbacks_search", false),
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


/* ---- the backend's function table ---- */

static int be_put(void *ctx, const struct store_table *t, const void *obj,
		  bool replace, store_done_h *h, void *arg)
{
	struct op *op = op_new(OP_PUT, (void *)h, arg);
	int err;

	if (!op)
		return ENOMEM;

	op->tab = t;
	op->replace = replace;
	err = store_obj_dup(&op->obj, t, obj);
	if (err)
		mem_deref(op);
	else
		op_queue(ctx, op);

	return err;
}


static int be_get(void *ctx, const struct store_table *t, const char *field,
		  const char *value, store_obj_h *h, void *arg)
{
	struct op *op = op_new(OP_GET_OBJ, (void *)h, arg);

	if (!op)
		return ENOMEM;

	op->tab = t;
	if (str_dup(&op->field, field) || str_dup(&op->value, value)) {
		mem_deref(op);
		return ENOMEM;
	}

	op_queue(ctx, op);

	return 0;
}


static int be_list(void *ctx, const struct store_table *t, store_list_h *h,
		   void *arg)
{
	struct op *op = op_new(OP_LIST, (void *)h, arg);

	if (!op)
		return ENOMEM;

	op->tab = t;
	op_queue(ctx, op);

	return 0;
}


static int be_delete(void *ctx, const struct store_table *t, const char *id,
		     store_done_h *h, void *arg)
{
	struct op *op = op_new(OP_DELETE, (void *)h, arg);

	if (!op)
		return ENOMEM;

	op->tab = t;
	if (str_dup(&op->value, id)) {
		mem_deref(op);
		return ENOMEM;
	}

	op_queue(ctx, op);

	return 0;
}


static int be_callback_create(void *ctx, const struct callback_new *req,
			      store_create_h *h, void *arg)
{
	struct op *op = op_new(OP_CREATE, (void *)h, arg);
	struct callback_new *r;
	int err = 0;

	if (!op)
		return ENOMEM;

	r = &op->req;
	*r = *req;
	err |= dup_opt(&r->business, req->business);
	err |= dup_opt(&r->phone, req->phone);
	err |= dup_opt(&r->page_url, req->page_url);
	err |= dup_opt(&r->page_title, req->page_title);
	err |= dup_opt(&r->name, req->name);
	err |= dup_opt(&r->note, req->note);
	err |= dup_opt(&r->agent_key, req->agent_key);
	err |= dup_opt(&r->referrer, req->referrer);
	err |= dup_opt(&r->client_ip, req->client_ip);
	err |= dup_opt(&r->idem_key, req->idem_key);
	err |= dup_opt(&r->idem_fp, req->idem_key ? req->idem_fp : NULL);
	if (err) {
		mem_deref(op);
		return ENOMEM;
	}

	op_queue(ctx, op);

	return 0;
}


static int be_callback_get(void *ctx, const char *id, bool public_only,
			   store_callback_h *h, void *arg)
{
	struct op *op = op_new(OP_GET, (void *)h, arg);

	if (!op)
		return ENOMEM;

	op->public_only = public_only;
	if (str_dup(&op->id, id)) {
		mem_deref(op);
		return ENOMEM;
	}

	op_queue(ctx, op);

	return 0;
}


static int be_request_get(void *ctx, const char *id, store_callback_h *h,
			  void *arg)
{
	struct op *op = op_new(OP_REQUEST_GET, (void *)h, arg);

	if (!op)
		return ENOMEM;

	op->public_only = true;
	if (str_dup(&op->id, id)) {
		mem_deref(op);
		return ENOMEM;
	}

	op_queue(ctx, op);

	return 0;
}


static int be_callback_cancel(void *ctx, const char *id,
			      const char *token_hash, store_cancel_h *h,
			      void *arg)
{
	struct op *op = op_new(OP_CANCEL, (void *)h, arg);

	if (!op)
		return ENOMEM;

	op->public_only = true;
	if (str_dup(&op->id, id) || str_dup(&op->token_hash, token_hash)) {
		mem_deref(op);
		return ENOMEM;
	}

	op_queue(ctx, op);

	return 0;
}


static int be_callbacks_open(void *ctx, size_t max, store_list_h *h,
			     void *arg)
{
	struct op *op = op_new(OP_OPEN_LIST, (void *)h, arg);

	if (!op)
		return ENOMEM;

	/* SQLite's LIMIT -1: no limit */
	op->since = max == STORE_ALL ? -1 : (int64_t)max;
	op_queue(ctx, op);

	return 0;
}


static int be_callback_update(void *ctx, const struct callback_change *chg,
			      store_done_h *h, void *arg)
{
	struct op *op = op_new(OP_UPDATE, (void *)h, arg);
	struct callback_change *c;
	int err = 0;

	if (!op)
		return ENOMEM;

	c = &op->chg;
	*c = *chg;
	err |= dup_opt(&c->id, chg->id);
	err |= dup_opt(&c->from_status, chg->from_status);
	err |= dup_opt(&c->status, chg->status);
	err |= dup_opt(&c->agent_id, chg->agent_id);
	err |= dup_opt(&c->rule_id, chg->rule_id);
	err |= dup_opt(&c->ended_reason, chg->ended_reason);
	err |= dup_opt(&c->assigned, chg->assigned);
	err |= dup_opt(&c->event, chg->event);
	err |= dup_opt(&c->event_data, chg->event_data);
	err |= dup_opt(&c->event2, chg->event2);
	err |= dup_opt(&c->event2_data, chg->event2_data);
	if (err) {
		mem_deref(op);
		return ENOMEM;
	}

	op_queue(ctx, op);

	return 0;
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


static int be_callbacks_search(void *ctx, const struct callback_search *q,
			       store_list_h *h, void *arg)
{
	struct op *op = op_new(OP_SEARCH, (void *)h, arg);
	struct callback_search *c;
	int err = 0;

	if (!op)
		return ENOMEM;

	c = &op->sq;
	c->lo = q->lo;
	c->hi = q->hi;
	c->max = q->max;
	err |= dup_opt(&c->scope, q->scope);
	err |= dup_opt(&c->business, q->business);
	err |= dup_opt(&c->digits, q->digits);
	err |= dup_opt(&c->status, q->status);
	err |= dup_opt(&c->agent, q->agent);
	err |= dup_opt(&c->before, q->before);
	if (err) {
		mem_deref(op);
		return ENOMEM;
	}
	op_queue(ctx, op);

	return 0;
}


static int be_callback_history(void *ctx, const char *business,
			       const char *phone, size_t max,
			       store_list_h *h, void *arg)
{
	struct op *op = op_new(OP_HISTORY, (void *)h, arg);
	int err = 0;

	if (!op)
		return ENOMEM;

	op->since = (int64_t)max;
	err |= dup_opt(&op->req.business, business);
	err |= dup_opt(&op->req.phone, phone);
	if (err) {
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
	.put = be_put,
	.get = be_get,
	.list = be_list,
	.del = be_delete,
	.callbacks_open = be_callbacks_open,
	.callback_update = be_callback_update,
	.callback_history = be_callback_history,
	.outcome_put = be_outcome_put,
	.figures = be_figures,
	.report_rows = be_report_rows,
	.callbacks_search = be_callbacks_search,
	.callback_create = be_callback_create,
	.callback_get = be_callback_get,
	.request_get = be_request_get,
	.callback_cancel = be_callback_cancel,
};
