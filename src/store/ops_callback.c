/*
 * Callbacks and requests read, withdrawn and changed, written once for
 * every backend: store_callback_get, store_request_get,
 * store_callback_cancel, store_callbacks_open, store_callback_update,
 * store_callback_history, and the readers of a callback's columns and
 * events that they (and the search) share.
 */
#include <errno.h>
#include <string.h>
#include <re.h>
#define LOG_SUBSYS "store"
#include "util/util.h"
#include "store/store_int.h"

enum {
	QCOUNT_HASH = 64,          /* buckets: businesses in the open list */
	COL_OUTCOME = 20,          /* the outcome's JSON, where it is read */
};


/* ---- the readers ---- */

/* Append the events a statement of SQ_EVENTS_GET's columns reads. */
int store_read_events(struct callback *cb, struct store_run *r)
{
	bool more = true;
	int err = 0;

	while (!err && !(err = store_run_step(r, &more)) && more) {
		struct callback_event *v, *e;

		v = mem_reallocarray(cb->events, cb->nevents + 1,
				     sizeof(*v), NULL);
		if (!v)
			return ENOMEM;
		cb->events = v;
		e = &v[cb->nevents++];
		memset(e, 0, sizeof(*e));
		e->t = store_run_col_num(r, 0);
		e->public = store_run_col_num(r, 2) != 0;
		err |= store_run_col_dup(r, 1, &e->type);
		err |= store_run_col_dup(r, 3, &e->data);
		if (err)
			return ENOMEM;
	}

	return err;
}


int store_load_events(struct store_tx *tx, struct callback *cb,
		      bool public_only)
{
	struct store_run r;
	int err;

	err = store_run_open(&r, tx, SQ_EVENTS_GET);
	if (!err) {
		store_run_text(&r, 1, cb->id);
		store_run_num(&r, 2, public_only);
		err = store_read_events(cb, &r);
	}
	store_run_close(&r);

	return err;
}


/* A callback from the columns of SQ_CALLBACK_GET's shape; with_outcome:
 * the row has the outcome's JSON (COL_OUTCOME). */
static int read_callback(void **objp, struct store_run *r,
			 bool with_outcome)
{
	struct callback *cb;
	int err = 0;

	cb = mem_zalloc(sizeof(*cb), store_callback_destructor);
	if (!cb)
		return ENOMEM;
	*objp = cb;

	str_bcpy(cb->id, store_run_col_text(r, 0), sizeof(cb->id));
	err |= store_run_col_dup(r, 1, &cb->business);
	err |= store_run_col_dup(r, 2, &cb->phone);
	(void)store_name_read(&callback_status_names,
			      store_run_col_text(r, 3), (int *)&cb->status,
			      "callback status");
	cb->open = store_run_col_num(r, 4) != 0;
	cb->created_at = store_run_col_num(r, 5);
	cb->updated_at = store_run_col_num(r, 6);
	cb->scheduled_for = store_run_col_num(r, 7);
	err |= store_run_col_dup(r, 8, &cb->page_url);
	err |= store_run_col_dup(r, 9, &cb->page_title);
	err |= store_run_col_dup(r, 10, &cb->name);
	err |= store_run_col_dup(r, 11, &cb->note);
	err |= store_run_col_dup(r, 12, &cb->agent_key);
	cb->priority = store_run_col_num(r, 13);
	cb->attempts = store_run_col_num(r, 14);
	err |= store_run_col_dup(r, 15, &cb->agent_id);
	err |= store_run_col_dup(r, 16, &cb->rule_id);
	cb->lease_until = store_run_col_num(r, 17);
	err |= store_run_col_dup(r, 18, &cb->ended_reason);
	err |= store_run_col_dup(r, 19, &cb->assigned);
	/* what the agent recorded, as JSON the database wrote */
	if (with_outcome)
		err |= store_run_col_dup(r, COL_OUTCOME, &cb->outcome);

	return err ? ENOMEM : 0;
}


int store_read_callback(void **objp, struct store_run *r, const void *arg)
{
	return read_callback(objp, r, false);
}


int store_read_callback_outcome(void **objp, struct store_run *r,
				const void *arg)
{
	return read_callback(objp, r, true);
}


/* ---- one callback or request ---- */

struct op_callback {
	struct store_op op;
	store_callback_h *h;      /* get, request_get */
	store_cancel_h *cancelh;  /* cancel */
	char *id;
	char *token_hash;         /* cancel */
	bool public_only;
	struct callback *cb;      /* the result */
	char canceled[ID_LEN];    /* cancel: the callback it canceled */
};


static void callback_clear(struct store_op *op)
{
	struct op_callback *o = (struct op_callback *)op;

	o->cb = mem_deref(o->cb);
	o->canceled[0] = '\0';
}


static void callback_dh(struct store_op *op)
{
	struct op_callback *o = (struct op_callback *)op;

	mem_deref(o->id);
	mem_deref(o->token_hash);
	callback_clear(op);
}


static void callback_done(struct store_op *op)
{
	struct op_callback *o = (struct op_callback *)op;

	o->h(op->err, o->cb, op->arg);
}


/* Load a callback and its events into o->cb; ENOENT when there is none. */
static int load_callback(struct store_tx *tx, struct op_callback *o)
{
	struct store_run r;
	void *cb = NULL;
	bool row = false;
	int err;

	err = store_run_open(&r, tx, SQ_CALLBACK_GET);
	if (!err) {
		store_run_text(&r, 1, o->id);
		err = store_run_step(&r, &row);
	}
	if (!err)
		err = row ? store_read_callback_outcome(&cb, &r, NULL)
			  : ENOENT;
	store_run_close(&r);

	/* no position: counting the queue ahead is O(n) a request; the
	 * ACD, which keeps the queue's order, answers it (acd_position) */
	if (!err)
		err = store_load_events(tx, cb, o->public_only);
	if (err)
		mem_deref(cb);
	else
		o->cb = cb;

	return err;
}


static int get_run(struct store_tx *tx, struct store_op *op)
{
	return load_callback(tx, (struct op_callback *)op);
}


static const struct store_op_desc get_desc = {
	.name = "callback_get",
	.run = get_run,
	.clear = callback_clear,
	.done = callback_done,
	.dh = callback_dh,
};


static int callback_op(struct op_callback **op,
		       const struct store_op_desc *desc, const char *id,
		       bool public_only, void *arg)
{
	struct op_callback *o;

	o = store_op_alloc(sizeof(*o), desc, arg);
	if (!o)
		return ENOMEM;
	*op = o;
	o->public_only = public_only;

	return str_dup(&o->id, id);
}


int store_callback_get(struct store *st, const char *id, bool public_only,
		       store_callback_h *h, void *arg)
{
	struct op_callback *o = NULL;
	int err;

	if (!st || !id || !h)
		return EINVAL;

	err = callback_op(&o, &get_desc, id, public_only, arg);
	if (!o)
		return err;
	o->h = h;

	return store_op_queue(st, o, err);
}


static const char by_customer[] = "{\"by\":\"customer\"}";


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
static int load_events_range(struct store_tx *tx, struct callback *cb,
			     const char *call_id, int64_t after,
			     int64_t before)
{
	struct store_run r;
	int err;

	err = store_run_open(&r, tx, SQ_EVENTS_RANGE);
	if (!err) {
		store_run_text(&r, 1, call_id);
		store_run_num(&r, 2, after);
		store_run_num(&r, 3, before);
		err = store_read_events(cb, &r);
	}
	store_run_close(&r);

	return err;
}


/* When a callback's creator withdrew while requests joined to it still
 * waited (0, 0: it did not). */
static int withdrawn_of(struct store_tx *tx, const char *id, int64_t *atp,
			int64_t *seqp)
{
	struct store_run r;
	bool row = false;
	int err;

	err = store_run_open(&r, tx, SQ_WITHDRAWN);
	if (!err) {
		store_run_text(&r, 1, id);
		err = store_run_step(&r, &row);
	}
	*atp = !err && row ? store_run_col_num(&r, 0) : 0;
	*seqp = !err && row ? store_run_col_num(&r, 1) : 0;
	store_run_close(&r);

	return err;
}


/* A withdrawn request's view: the call's public events after `after`
 * until it withdrew, then its own cancel; nothing of what came later. */
static int view_withdrawn(struct store_tx *tx, struct callback *cb,
			  const char *call_id, int64_t after, int64_t seq,
			  int64_t at)
{
	int err = load_events_range(tx, cb, call_id, after, seq);

	if (!err)
		err = add_event(cb, at, "canceled", by_customer);
	if (!err)
		cb->status = CBS_CANCELED;
	cb->open = false;
	cb->position = 0;
	cb->updated_at = at;

	return err;
}


/* what a joined request's view is made of, besides its own fields */
struct joined {
	char call_id[ID_LEN];     /* the callback whose call serves it */
	enum callback_status call_status;
	bool call_open;
	int64_t since_seq;        /* it sees the call's events after this */
	int64_t mark;             /* callbacks inserted up to it are ahead */
	int64_t withdrawn_at;
	int64_t withdrawn_seq;    /* 0: not withdrawn */
};


/* A joined request's own fields into a new view, the rest into j; ENOENT
 * when no joined request has that id. */
static int joined_read(struct store_tx *tx, const char *id,
		       struct callback **cbp, struct joined *j)
{
	struct callback *cb = NULL;
	struct store_run r;
	bool row = false;
	int err;

	err = store_run_open(&r, tx, SQ_JOINED_GET);
	if (!err) {
		store_run_text(&r, 1, id);
		err = store_run_step(&r, &row);
	}
	if (!err && !row)
		err = ENOENT;
	if (!err) {
		cb = mem_zalloc(sizeof(*cb), store_callback_destructor);
		err = cb ? 0 : ENOMEM;
	}
	if (err)
		goto out;

	str_bcpy(cb->id, store_run_col_text(&r, 0), sizeof(cb->id));
	err |= store_run_col_dup(&r, 1, &cb->business);
	err |= store_run_col_dup(&r, 2, &cb->phone);
	cb->created_at = store_run_col_num(&r, 3);
	cb->scheduled_for = store_run_col_num(&r, 4);
	str_bcpy(j->call_id, store_run_col_text(&r, 5), sizeof(j->call_id));
	(void)store_name_read(&callback_status_names,
			      store_run_col_text(&r, 6),
			      (int *)&j->call_status, "callback status");
	j->call_open = store_run_col_num(&r, 7) != 0;
	j->since_seq = store_run_col_num(&r, 8);
	j->mark = store_run_col_num(&r, 9);
	j->withdrawn_at = store_run_col_num(&r, 10);
	j->withdrawn_seq = store_run_col_num(&r, 11);
	if (err) {
		cb = mem_deref(cb);
		err = ENOMEM;
	}

 out:
	store_run_close(&r);
	if (!err)
		*cbp = cb;

	return err;
}


/*
 * A joined request's view: its own "created", then the call's public
 * events after it joined. Its status is its own waiting one (from its own
 * "when"; queued: its place after the business's callbacks queued before
 * it) until the call has moved on since it joined, or has ended.
 */
static int joined_view(struct store_tx *tx, struct callback *cb,
		       const struct joined *j)
{
	enum callback_status own = cb->scheduled_for ? CBS_SCHEDULED
						     : CBS_QUEUED;
	char data[48];
	int err;

	re_snprintf(data, sizeof(data), "{\"status\":\"%s\"}",
		    callback_status_name(own));
	err = add_event(cb, cb->created_at, "created", data);
	if (err)
		return err;

	if (j->withdrawn_seq)
		return view_withdrawn(tx, cb, j->call_id, j->since_seq,
				      j->withdrawn_seq, j->withdrawn_at);

	err = load_events_range(tx, cb, j->call_id, j->since_seq,
				INT64_MAX);
	if (err)
		return err;

	cb->open = j->call_open;
	cb->updated_at = cb->events[cb->nevents - 1].t;
	if (!j->call_open || (cb->nevents > 1 &&
			      !callback_status_waiting(j->call_status))) {
		cb->status = j->call_status;
		return 0;
	}

	own = cb->scheduled_for > time_now_ms() ? CBS_SCHEDULED : CBS_QUEUED;
	cb->status = own;
	if (own == CBS_QUEUED) {
		err = store_one_num(tx, SQ_AHEAD, cb->business, &j->mark,
				    &cb->position);
		cb->position++;
	}

	return err;
}


static int joined_load(struct store_tx *tx, struct op_callback *o,
		       struct joined *j)
{
	int err = joined_read(tx, o->id, &o->cb, j);

	if (!err)
		err = joined_view(tx, o->cb, j);
	if (err)
		o->cb = mem_deref(o->cb);

	return err;
}


/* A request as its requester may see it (store_request_get). */
static int request_view(struct store_tx *tx, struct op_callback *o)
{
	struct joined j;
	int64_t at = 0, seq = 0;
	int err;

	err = load_callback(tx, o);
	if (err == ENOENT)
		return joined_load(tx, o, &j);

	if (!err)
		err = withdrawn_of(tx, o->id, &at, &seq);
	if (!err && seq) {
		events_clear(o->cb);
		err = view_withdrawn(tx, o->cb, o->id, 0, seq, at);
	}
	if (err)
		o->cb = mem_deref(o->cb);

	return err;
}


static int token_ok(struct store_tx *tx, enum store_stmt_id id,
		    const char *hash, const char *req_id, bool *okp)
{
	struct store_run r;
	int err;

	*okp = false;
	err = store_run_open(&r, tx, id);
	if (!err) {
		store_run_text(&r, 1, hash);
		store_run_text(&r, 2, req_id);
		err = store_run_step(&r, okp);
	}
	store_run_close(&r);

	return err;
}


/* A request withdraws while its call goes on for others: a private event
 * on the call (its agent's history) whose seq ends what it sees. */
static int withdraw(struct store_tx *tx, enum store_stmt_id upd,
		    const char *req_id, const char *call_id, int64_t now)
{
	char data[96];
	struct store_run r;
	int64_t seq = 0;
	int err;

	re_snprintf(data, sizeof(data), "{\"request\":\"%s\"}", req_id);
	err = store_event_insert(tx, call_id, now, "withdrawn", false, data,
				 &seq);
	if (err)
		return err;

	err = store_run_open(&r, tx, upd);
	if (!err) {
		store_run_text(&r, 1, req_id);
		store_run_num(&r, 2, now);
		store_run_num(&r, 3, seq);
		err = store_run_done(&r);
	}
	store_run_close(&r);

	return err;
}


/* The last request still waiting withdrew: the call is off. */
static int cancel_call(struct store_tx *tx, struct op_callback *o,
		       const char *id, int64_t now)
{
	struct store_run r;
	int err;

	err = store_run_open(&r, tx, SQ_CALLBACK_CANCEL);
	if (!err) {
		store_run_text(&r, 1, id);
		store_run_num(&r, 2, now);
		err = store_run_done(&r);
	}
	store_run_close(&r);
	if (!err)
		err = store_event_insert(tx, id, now, "canceled", true,
					 by_customer, NULL);
	if (!err)
		str_bcpy(o->canceled, id, sizeof(o->canceled));

	return err;
}


/* Withdraw a joined request; the call is canceled with it when its
 * creator had withdrawn and no other joined request still waits. */
static int cancel_joined(struct store_tx *tx, struct op_callback *o,
			 int64_t now)
{
	struct joined j;
	int64_t live = 0, at = 0, seq = 0;
	bool ok = false;
	int err;

	err = joined_read(tx, o->id, &o->cb, &j);
	if (!err)
		err = token_ok(tx, SQ_REQ_TOKEN_CHECK, o->token_hash, o->id,
			       &ok);
	o->cb = mem_deref(o->cb);
	if (err || !ok)
		return err ? err : EPERM;

	if (j.withdrawn_seq || !j.call_open ||
	    !callback_status_waiting(j.call_status)) {
		err = joined_load(tx, o, &j);
		return err ? err : EALREADY;
	}

	err = withdraw(tx, SQ_WITHDRAW_JOINED, o->id, j.call_id, now);
	if (!err)
		err = store_one_num(tx, SQ_JOINED_LIVE, j.call_id, NULL,
				    &live);
	if (!err)
		err = withdrawn_of(tx, j.call_id, &at, &seq);
	if (!err && !live && seq)
		err = cancel_call(tx, o, j.call_id, now);
	if (!err)
		err = store_run_notify_callback(tx, j.call_id, CBS_ANY);

	return err ? err : joined_load(tx, o, &j);
}


/* Withdraw a request by its cancel token (store_callback_cancel). */
static int cancel_run(struct store_tx *tx, struct store_op *op)
{
	struct op_callback *o = (struct op_callback *)op;
	const int64_t now = time_now_ms();
	int64_t live = 0, at = 0, seq = 0;
	bool ok = false;
	int err;

	err = load_callback(tx, o);
	if (err == ENOENT)
		return cancel_joined(tx, o, now);
	if (!err)
		err = token_ok(tx, SQ_TOKEN_CHECK, o->token_hash, o->id,
			       &ok);
	if (!err)
		err = withdrawn_of(tx, o->id, &at, &seq);
	if (err || !ok) {
		o->cb = mem_deref(o->cb);
		return err ? err : EPERM;
	}

	/* only a callback nobody has started on can be withdrawn */
	if (seq || !o->cb->open || !callback_status_waiting(o->cb->status))
		err = EALREADY;
	else
		err = store_one_num(tx, SQ_JOINED_LIVE, o->id, NULL, &live);

	/* requests joined to it still wait: the call goes on for them */
	if (!err)
		err = live ? withdraw(tx, SQ_WITHDRAW_CB, o->id, o->id, now)
			   : cancel_call(tx, o, o->id, now);
	if (!err)
		err = store_run_notify_callback(tx, o->id, CBS_ANY);

	o->cb = mem_deref(o->cb);
	if (err && err != EALREADY)
		return err;

	return request_view(tx, o) ? EIO : err;
}




static int request_get_run(struct store_tx *tx, struct store_op *op)
{
	return request_view(tx, (struct op_callback *)op);
}


static const struct store_op_desc request_get_desc = {
	.name = "request_get",
	.run = request_get_run,
	.clear = callback_clear,
	.done = callback_done,
	.dh = callback_dh,
};


int store_request_get(struct store *st, const char *id,
		      store_callback_h *h, void *arg)
{
	struct op_callback *o = NULL;
	int err;

	if (!st || !id || !h)
		return EINVAL;

	err = callback_op(&o, &request_get_desc, id, true, arg);
	if (!o)
		return err;
	o->h = h;

	return store_op_queue(st, o, err);
}


static void cancel_done(struct store_op *op)
{
	struct op_callback *o = (struct op_callback *)op;

	o->cancelh(op->err, o->cb, !op->err && o->canceled[0] ?
		   o->canceled : NULL, op->arg);
}


static const struct store_op_desc cancel_desc = {
	.name = "callback_cancel",
	.writes = true,
	.run = cancel_run,
	.clear = callback_clear,
	.done = cancel_done,
	.dh = callback_dh,
};


int store_callback_cancel(struct store *st, const char *id,
			  const char *token_hash, store_cancel_h *h,
			  void *arg)
{
	struct op_callback *o = NULL;
	int err;

	if (!st || !id || !token_hash || !h)
		return EINVAL;

	err = callback_op(&o, &cancel_desc, id, true, arg);
	if (!o)
		return err;
	o->cancelh = h;
	if (!err)
		err = str_dup(&o->token_hash, token_hash);

	return store_op_queue(st, o, err);
}


/* ---- lists of callbacks: the open ones, a number's history ---- */

struct op_callbacks {
	struct store_op op;
	store_list_h *h;
	int64_t max;
	char *business;           /* history */
	char *phone;              /* history */
	struct store_objv rows;   /* of struct callback */
};


static void callbacks_clear(struct store_op *op)
{
	store_objv_clear(&((struct op_callbacks *)op)->rows);
}


static void callbacks_dh(struct store_op *op)
{
	struct op_callbacks *o = (struct op_callbacks *)op;

	mem_deref(o->business);
	mem_deref(o->phone);
	callbacks_clear(op);
}


static void callbacks_done(struct store_op *op)
{
	struct op_callbacks *o = (struct op_callbacks *)op;

	o->h(op->err, o->rows.v, op->err ? 0 : o->rows.n, op->arg);
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
static int open_positions(const struct store_objv *l)
{
	struct hash *h;
	size_t i;
	int err = hash_alloc(&h, QCOUNT_HASH);

	for (i = 0; !err && i < l->n; i++) {
		struct callback *cb = l->v[i];
		uint32_t k = hash_joaat_str(cb->business);
		struct le *le;
		struct qcount *q;

		if (cb->status != CBS_QUEUED)
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
static int open_run(struct store_tx *tx, struct store_op *op)
{
	struct op_callbacks *o = (struct op_callbacks *)op;
	struct store_run r;
	int err;

	err = store_run_open(&r, tx, SQ_OPEN_LIST);
	if (!err) {
		store_run_num(&r, 1, o->max);
		err = store_run_rows(&r, &o->rows, STORE_ALL,
				     store_read_callback, NULL);
	}
	store_run_close(&r);

	return err ? err : open_positions(&o->rows);
}


static const struct store_op_desc open_desc = {
	.name = "callbacks_open",
	.run = open_run,
	.clear = callbacks_clear,
	.done = callbacks_done,
	.dh = callbacks_dh,
};


int store_callbacks_open(struct store *st, size_t max, store_list_h *h,
			 void *arg)
{
	struct op_callbacks *o;

	if (!st || !h)
		return EINVAL;

	o = store_op_alloc(sizeof(*o), &open_desc, arg);
	if (!o)
		return ENOMEM;
	o->h = h;
	/* -1: no limit (SQ_OPEN_LIST) */
	o->max = max == STORE_ALL ? -1 : (int64_t)max;

	return store_op_queue(st, o, 0);
}


static int history_run(struct store_tx *tx, struct store_op *op)
{
	struct op_callbacks *o = (struct op_callbacks *)op;
	struct store_run r;
	int err;

	err = store_run_open(&r, tx, SQ_HISTORY);
	if (!err) {
		store_run_text(&r, 1, o->business);
		store_run_text(&r, 2, o->phone);
		store_run_num(&r, 3, o->max);
		err = store_run_rows(&r, &o->rows, STORE_ALL,
				     store_read_callback_outcome, NULL);
	}
	store_run_close(&r);

	return err;
}


static const struct store_op_desc history_desc = {
	.name = "callback_history",
	.run = history_run,
	.clear = callbacks_clear,
	.done = callbacks_done,
	.dh = callbacks_dh,
};


int store_callback_history(struct store *st, const char *business,
			   const char *phone, size_t max, store_list_h *h,
			   void *arg)
{
	struct op_callbacks *o;

	if (!st || !business || !phone || !max || !h)
		return EINVAL;

	o = store_op_alloc(sizeof(*o), &history_desc, arg);
	if (!o)
		return ENOMEM;
	o->h = h;
	o->max = (int64_t)max;

	return store_op_queue(st, o, (str_dup(&o->business, business) |
				      str_dup(&o->phone, phone)) ?
			      ENOMEM : 0);
}


/* ---- a callback's change, with its events ---- */

struct op_update {
	struct store_op op;
	store_done_h *h;
	struct callback_change chg;   /* strings are owned copies */
};


/* the events of earlier changes not stored, each once: the change
 * that carried one may have been committed though its answer was lost */
static int earlier_insert(struct store_tx *tx,
			  const struct callback_change *c)
{
	struct store_run r;
	size_t i;
	int err = 0;

	for (i = 0; i < c->n_earlier && !err; i++) {
		const struct callback_event *e = &c->earlier[i];

		err = store_run_open(&r, tx, SQ_EVENT_INSERT_ONCE);
		if (!err) {
			store_run_text(&r, 1, c->id);
			store_run_num(&r, 2, e->t);
			store_run_text(&r, 3, e->type);
			store_run_num(&r, 4, e->public);
			store_run_text(&r, 5, e->data);
			err = store_run_done(&r);
		}
		store_run_close(&r);
	}

	return err;
}


static int update_run(struct store_tx *tx, struct store_op *op)
{
	const struct callback_change *c = &((struct op_update *)op)->chg;
	struct store_run r;
	bool row = false;
	int err;

	err = store_run_open(&r, tx, SQ_UPDATE);
	if (!err) {
		store_run_text(&r, 1, c->id);
		store_run_text(&r, 2, callback_status_name(c->status));
		store_run_num(&r, 3, c->close);
		store_run_num(&r, 4, c->now);
		store_run_num(&r, 5, c->scheduled_for);
		store_run_num(&r, 6, c->attempts);
		if (c->priority != INT64_MIN)
			store_run_num(&r, 7, c->priority);
		else
			store_run_text(&r, 7, NULL);
		store_run_text(&r, 8, c->agent_id);
		store_run_text(&r, 9, c->rule_id);
		store_run_num(&r, 10, c->lease_until);
		store_run_text(&r, 11, c->ended_reason);
		store_run_text(&r, 12, c->from_status == CBS_ANY ? NULL :
			       callback_status_name(c->from_status));
		store_run_text(&r, 13, c->assigned);
		err = store_run_done(&r);
	}
	if (!err)
		row = store_run_changes(&r) != 0;
	store_run_close(&r);
	if (err)
		return err;

	if (!row) {
		/* no such callback, or it is not where the caller thought */
		err = store_run_open(&r, tx, SQ_EXISTS);
		if (!err) {
			store_run_text(&r, 1, c->id);
			err = store_run_step(&r, &row);
		}
		store_run_close(&r);
		return err ? err : row ? EALREADY : ENOENT;
	}

	err = earlier_insert(tx, c);
	if (!err && c->event)
		err = store_event_insert(tx, c->id, c->now, c->event,
					 c->event_public, c->event_data,
					 NULL);
	if (!err && c->event2)
		err = store_event_insert(tx, c->id, c->now, c->event2, false,
					 c->event2_data, NULL);
	if (!err)
		err = store_run_notify_callback(tx, c->id, c->status);

	return err;
}


static void update_done(struct store_op *op)
{
	struct op_update *o = (struct op_update *)op;

	o->h(op->err, op->arg);
}


static void update_dh(struct store_op *op)
{
	struct callback_change *c = &((struct op_update *)op)->chg;

	mem_deref((char *)c->id);
	mem_deref((char *)c->agent_id);
	mem_deref((char *)c->rule_id);
	mem_deref((char *)c->ended_reason);
	mem_deref((char *)c->assigned);
	mem_deref((char *)c->event);
	mem_deref((char *)c->event_data);
	mem_deref((char *)c->event2);
	mem_deref((char *)c->event2_data);
	mem_deref((struct callback_event *)c->earlier);
}


static const struct store_op_desc update_desc = {
	.fenced = true,
	.name = "callback_update",
	.writes = true,
	.run = update_run,
	.done = update_done,
	.dh = update_dh,
};


/* an array of earlier events ends with one without a type */
static void earlier_destructor(void *arg)
{
	struct callback_event *e;

	for (e = arg; e->type; e++) {
		mem_deref(e->type);
		mem_deref(e->data);
	}
}


static int earlier_dup(struct callback_change *c,
		       const struct callback_event *v, size_t n)
{
	struct callback_event *e;
	size_t i;
	int err = 0;

	e = mem_zalloc((n + 1) * sizeof(*e), earlier_destructor);
	if (!e)
		return ENOMEM;
	c->earlier = e;
	c->n_earlier = n;
	for (i = 0; i < n && !err; i++) {
		e[i].t = v[i].t;
		e[i].public = v[i].public;
		err = str_dup(&e[i].type, v[i].type);
		if (!err && v[i].data)
			err = str_dup(&e[i].data, v[i].data);
	}

	return err;
}


int store_callback_update(struct store *st,
			  const struct callback_change *chg,
			  store_done_h *h, void *arg)
{
	struct op_update *o;
	struct callback_change *c;
	int err = 0;

	if (!st || !chg || !chg->id || chg->status == CBS_ANY ||
	    (!chg->event && !chg->n_earlier) || !h)
		return EINVAL;

	o = store_op_alloc(sizeof(*o), &update_desc, arg);
	if (!o)
		return ENOMEM;
	o->h = h;

	c = &o->chg;
	*c = *chg;
	err |= store_dup_opt(&c->id, chg->id);
	err |= store_dup_opt(&c->agent_id, chg->agent_id);
	err |= store_dup_opt(&c->rule_id, chg->rule_id);
	err |= store_dup_opt(&c->ended_reason, chg->ended_reason);
	err |= store_dup_opt(&c->assigned, chg->assigned);
	err |= store_dup_opt(&c->event, chg->event);
	err |= store_dup_opt(&c->event_data, chg->event_data);
	err |= store_dup_opt(&c->event2, chg->event2);
	err |= store_dup_opt(&c->event2_data, chg->event2_data);
	c->earlier = NULL;
	c->n_earlier = 0;
	if (!err && chg->n_earlier)
		err = earlier_dup(c, chg->earlier, chg->n_earlier);

	return store_op_queue(st, o, err ? ENOMEM : 0);
}
