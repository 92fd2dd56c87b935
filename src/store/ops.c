/*
 * The store's operations, written once for every backend (docs/cluster.md,
 * "The store's operations"). Each op is a struct of its own that starts
 * with struct store_op, a descriptor, and the public function that checks
 * the arguments, copies the inputs and queues it. A new query is a
 * statement in sql.c, an op here and its prototype in store.h.
 */
#include <errno.h>
#include <string.h>
#include <re.h>
#define LOG_SUBSYS "store"
#include "util/util.h"
#include "store/store_int.h"


static void op_destructor(void *arg)
{
	struct store_op *op = arg;

	list_unlink(&op->le);
	if (op->desc->dh)
		op->desc->dh(op);
}


void *store_op_alloc(size_t size, const struct store_op_desc *desc,
		     void *arg)
{
	struct store_op *op = mem_zalloc(size, op_destructor);

	if (!op)
		return NULL;

	op->desc = desc;
	op->arg = arg;

	return op;
}


void store_op_clear(struct store_op *op)
{
	if (op->desc->clear)
		op->desc->clear(op);
}


int store_op_queue(struct store *st, void *op, int err)
{
	if (!err)
		err = store_queue(st, op);
	if (err)
		mem_deref(op);

	return err;
}


int store_op_run(struct store_tx *tx, struct store_op *op)
{
	int64_t epoch;
	int err;

	if (op->epoch) {
		/* the lock is another connection's now: stale at once */
		if (!tx->lead)
			return ESTALE;
		epoch = tx->fence_seen;
		if (!epoch) {
			err = store_one_num(tx, SQ_FENCE, NULL, NULL, &epoch);
			if (err)
				return err;
			tx->fence_seen = epoch;
		}
		if (epoch != op->epoch)
			return ESTALE;
	}

	return op->desc->run(tx, op);
}


void store_op_done(struct store_op *op)
{
	struct store *st = op->st;
	bool stale = op->err == ESTALE && op->epoch;

	op->desc->done(op);
	if (stale)
		store_stale(st);
}


int store_dup_opt(const char **dst, const char *src)
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


/* ---- ping: the database answers ---- */

struct op_ping {
	struct store_op op;
	store_done_h *h;
};


static int ping_run(struct store_tx *tx, struct store_op *op)
{
	struct store_run r;
	bool row = false;
	int err;

	err = store_run_open(&r, tx, SQ_PING);
	if (!err)
		err = store_run_step(&r, &row);
	store_run_close(&r);

	return err ? err : row ? 0 : EIO;
}


static void ping_done(struct store_op *op)
{
	struct op_ping *o = (struct op_ping *)op;

	o->h(op->err, op->arg);
}


static const struct store_op_desc ping_desc = {
	.name = "ping",
	.run = ping_run,
	.done = ping_done,
};


int store_ping(struct store *st, store_done_h *h, void *arg)
{
	struct op_ping *o;

	if (!st || !h)
		return EINVAL;

	o = store_op_alloc(sizeof(*o), &ping_desc, arg);
	if (!o)
		return ENOMEM;
	o->h = h;

	return store_op_queue(st, o, 0);
}


/* ---- a cluster's leader (store.h) ---- */

struct op_lead {
	struct store_op op;
	store_lead_h *leadh;      /* try */
	store_leader_h *leaderh;  /* get */
	char *node;               /* try's input, get's result */
	char *url;                /* likewise */
	char *secret;             /* likewise */
	int64_t now;
	int64_t epoch;            /* the result */
};


static void lead_dh(struct store_op *op)
{
	struct op_lead *o = (struct op_lead *)op;

	mem_deref(o->node);
	mem_deref(o->url);
	mem_deref(o->secret);
}


static int lead_try_run(struct store_tx *tx, struct store_op *op)
{
	struct op_lead *o = (struct op_lead *)op;
	struct store_run r;
	int64_t got = 0;
	bool row = false;
	int err;

	if (o->now < tx->lead_after)
		return EAGAIN;

	err = store_one_num(tx, SQ_LEAD_LOCK, NULL, NULL, &got);
	if (err)
		return err;
	if (!got)
		return EAGAIN;
	tx->lead = true;

	err = store_run_open(&r, tx, SQ_LEAD_BUMP);
	if (!err) {
		store_run_text(&r, 1, o->node);
		store_run_num(&r, 2, o->now);
		store_run_text(&r, 3, o->url);
		store_run_text(&r, 4, o->secret);
		err = store_run_step(&r, &row);
	}
	if (!err && row)
		o->epoch = store_run_col_num(&r, 0);
	store_run_close(&r);

	return err ? err : row && o->epoch > 0 ? 0 : EIO;
}


static void lead_try_done(struct store_op *op)
{
	struct op_lead *o = (struct op_lead *)op;

	if (!op->err)
		store_lead_set(op->st, o->epoch);
	o->leadh(op->err, op->err ? 0 : (uint64_t)o->epoch, op->arg);
}


static const struct store_op_desc lead_try_desc = {
	.name = "lead_try",
	.writes = true,
	.run = lead_try_run,
	.done = lead_try_done,
	.dh = lead_dh,
};


int store_lead_try(struct store *st, const struct store_leader *me,
		   store_lead_h *h, void *arg)
{
	struct op_lead *o;
	int err;

	if (!st || !me || !me->node || !*me->node || !h)
		return EINVAL;

	o = store_op_alloc(sizeof(*o), &lead_try_desc, arg);
	if (!o)
		return ENOMEM;
	o->leadh = h;
	o->now = time_now_ms();
	err = str_dup(&o->node, me->node);
	if (!err && me->url)
		err = str_dup(&o->url, me->url);
	if (!err && me->secret)
		err = str_dup(&o->secret, me->secret);

	return store_op_queue(st, o, err);
}


static int leader_get_run(struct store_tx *tx, struct store_op *op)
{
	struct op_lead *o = (struct op_lead *)op;
	struct store_run r;
	bool row = false;
	int err;

	o->node = mem_deref(o->node);
	o->url = mem_deref(o->url);
	o->secret = mem_deref(o->secret);
	err = store_run_open(&r, tx, SQ_LEADER_GET);
	if (!err)
		err = store_run_step(&r, &row);
	if (!err && row) {
		err = store_run_col_dup(&r, 0, &o->node);
		o->epoch = store_run_col_num(&r, 1);
		if (!err)
			err = store_run_col_dup(&r, 2, &o->url);
		if (!err)
			err = store_run_col_dup(&r, 3, &o->secret);
	}
	store_run_close(&r);

	return err ? err : row ? 0 : EIO;
}


static void leader_get_done(struct store_op *op)
{
	struct op_lead *o = (struct op_lead *)op;
	struct store *st = op->st;
	bool stale = !op->err && store_epoch(st) &&
		o->epoch != store_epoch(st);
	struct store_leader ld = {
		.node = op->err ? NULL : o->node,
		.url = op->err ? NULL : o->url,
		.secret = op->err ? NULL : o->secret,
		.epoch = op->err ? 0 : (uint64_t)o->epoch,
	};

	o->leaderh(op->err, &ld, op->arg);

	/* a leader with nothing to write learns it is stale here */
	if (stale)
		store_stale(st);
}


static const struct store_op_desc leader_get_desc = {
	.name = "leader_get",
	.run = leader_get_run,
	.done = leader_get_done,
	.dh = lead_dh,
};


int store_leader_get(struct store *st, store_leader_h *h, void *arg)
{
	struct op_lead *o;

	if (!st || !h)
		return EINVAL;

	o = store_op_alloc(sizeof(*o), &leader_get_desc, arg);
	if (!o)
		return ENOMEM;
	o->leaderh = h;

	return store_op_queue(st, o, 0);
}


/* ---- who last spoke with a number ---- */

struct op_phone_agent {
	struct store_op op;
	store_done_h *h;          /* set */
	store_str_h *strh;        /* get */
	char *business;
	char *phone;
	char *agent_id;           /* set's input, get's result */
};


static void phone_agent_dh(struct store_op *op)
{
	struct op_phone_agent *o = (struct op_phone_agent *)op;

	mem_deref(o->business);
	mem_deref(o->phone);
	mem_deref(o->agent_id);
}


static int phone_agent_set_run(struct store_tx *tx, struct store_op *op)
{
	struct op_phone_agent *o = (struct op_phone_agent *)op;
	struct store_run r;
	int err;

	err = store_run_open(&r, tx, SQ_PHONE_AGENT_SET);
	if (!err) {
		store_run_text(&r, 1, o->business);
		store_run_text(&r, 2, o->phone);
		store_run_text(&r, 3, o->agent_id);
		store_run_num(&r, 4, time_now_ms());
		err = store_run_done(&r);
	}
	store_run_close(&r);

	return err;
}


static void phone_agent_set_done(struct store_op *op)
{
	struct op_phone_agent *o = (struct op_phone_agent *)op;

	o->h(op->err, op->arg);
}


static const struct store_op_desc phone_agent_set_desc = {
	.fenced = true,
	.name = "phone_agent_set",
	.writes = true,
	.run = phone_agent_set_run,
	.done = phone_agent_set_done,
	.dh = phone_agent_dh,
};


/* ---- an agent's presence ---- */

struct op_presence {
	struct store_op op;
	store_done_h *h;
	char *id;
	char *reason;
	enum agent_state state;
	int64_t since;
	int64_t idle_since;
};


static void presence_dh(struct store_op *op)
{
	struct op_presence *o = (struct op_presence *)op;

	mem_deref(o->id);
	mem_deref(o->reason);
}


static int presence_run(struct store_tx *tx, struct store_op *op)
{
	struct op_presence *o = (struct op_presence *)op;
	struct store_run r;
	int err;

	err = store_run_open(&r, tx, SQ_AGENT_PRESENCE);
	if (!err) {
		store_run_text(&r, 1, o->id);
		store_run_text(&r, 2, agent_state_name(o->state));
		store_run_num(&r, 3, o->since);
		store_run_text(&r, 4, o->reason);
		store_run_num(&r, 5, o->idle_since);
		err = store_run_done(&r);
	}
	if (!err && !store_run_changes(&r))
		err = ENOENT;
	store_run_close(&r);

	return err;
}


static void presence_done(struct store_op *op)
{
	struct op_presence *o = (struct op_presence *)op;

	o->h(op->err, op->arg);
}


static const struct store_op_desc presence_desc = {
	.fenced = true,
	.name = "agent_presence",
	.writes = true,
	.run = presence_run,
	.done = presence_done,
	.dh = presence_dh,
};


int store_agent_presence(struct store *st, const struct agent *a,
			 store_done_h *h, void *arg)
{
	struct op_presence *o;

	if (!st || !a || !a->id || !h)
		return EINVAL;

	o = store_op_alloc(sizeof(*o), &presence_desc, arg);
	if (!o)
		return ENOMEM;
	o->h = h;
	o->state = a->state;
	o->since = a->state_since;
	o->idle_since = a->idle_since;

	return store_op_queue(st, o, (str_dup(&o->id, a->id) |
				      str_dup(&o->reason, a->state_reason ?
					      a->state_reason : "")) ?
			      ENOMEM : 0);
}


static int phone_agent_get_run(struct store_tx *tx, struct store_op *op)
{
	struct op_phone_agent *o = (struct op_phone_agent *)op;
	struct store_run r;
	bool row = false;
	int err;

	err = store_run_open(&r, tx, SQ_PHONE_AGENT_GET);
	if (!err) {
		store_run_text(&r, 1, o->business);
		store_run_text(&r, 2, o->phone);
		err = store_run_step(&r, &row);
	}
	if (!err)
		err = row ? store_run_col_dup(&r, 0, &o->agent_id) : ENOENT;
	store_run_close(&r);

	return err;
}


static void phone_agent_get_clear(struct store_op *op)
{
	struct op_phone_agent *o = (struct op_phone_agent *)op;

	o->agent_id = mem_deref(o->agent_id);
}


static void phone_agent_get_done(struct store_op *op)
{
	struct op_phone_agent *o = (struct op_phone_agent *)op;

	o->strh(op->err, op->err ? NULL : o->agent_id, op->arg);
}


static const struct store_op_desc phone_agent_get_desc = {
	.name = "phone_agent_get",
	.run = phone_agent_get_run,
	.clear = phone_agent_get_clear,
	.done = phone_agent_get_done,
	.dh = phone_agent_dh,
};


static int phone_agent_op(struct op_phone_agent **op,
			  const struct store_op_desc *desc,
			  const char *business, const char *phone, void *arg)
{
	struct op_phone_agent *o;

	o = store_op_alloc(sizeof(*o), desc, arg);
	if (!o)
		return ENOMEM;
	*op = o;

	return (str_dup(&o->business, business) |
		str_dup(&o->phone, phone)) ? ENOMEM : 0;
}


int store_phone_agent_set(struct store *st, const char *business,
			  const char *phone, const char *agent_id,
			  store_done_h *h, void *arg)
{
	struct op_phone_agent *o = NULL;
	int err;

	if (!st || !business || !phone || !agent_id || !h)
		return EINVAL;

	err = phone_agent_op(&o, &phone_agent_set_desc, business, phone,
			     arg);
	if (!o)
		return err;
	o->h = h;
	if (!err)
		err = str_dup(&o->agent_id, agent_id);

	return store_op_queue(st, o, err);
}


int store_phone_agent_get(struct store *st, const char *business,
			  const char *phone, store_str_h *h, void *arg)
{
	struct op_phone_agent *o = NULL;
	int err;

	if (!st || !business || !phone || !h)
		return EINVAL;

	err = phone_agent_op(&o, &phone_agent_get_desc, business, phone,
			     arg);
	if (!o)
		return err;
	o->strh = h;

	return store_op_queue(st, o, err);
}


/* ---- the webhook outbox: a delivery sent again ---- */

struct op_outbox_replay {
	struct store_op op;
	store_done_h *h;
	char *webhook_id;
	int64_t seq;
};


static void outbox_replay_dh(struct store_op *op)
{
	struct op_outbox_replay *o = (struct op_outbox_replay *)op;

	mem_deref(o->webhook_id);
}


static int outbox_replay_run(struct store_tx *tx, struct store_op *op)
{
	struct op_outbox_replay *o = (struct op_outbox_replay *)op;
	struct store_run r;
	int err;

	err = store_run_open(&r, tx, SQ_OUTBOX_REPLAY);
	if (!err) {
		store_run_text(&r, 1, o->webhook_id);
		store_run_num(&r, 2, o->seq);
		err = store_run_done(&r);
	}
	if (!err && !store_run_changes(&r))
		err = ENOENT;
	store_run_close(&r);

	return err;
}


static void outbox_replay_done(struct store_op *op)
{
	struct op_outbox_replay *o = (struct op_outbox_replay *)op;

	o->h(op->err, op->arg);
}


static const struct store_op_desc outbox_replay_desc = {
	.name = "outbox_replay",
	.writes = true,
	.run = outbox_replay_run,
	.done = outbox_replay_done,
	.dh = outbox_replay_dh,
};


int store_outbox_replay(struct store *st, const char *webhook_id,
			int64_t seq, store_done_h *h, void *arg)
{
	struct op_outbox_replay *o;

	if (!st || !webhook_id || !h)
		return EINVAL;

	o = store_op_alloc(sizeof(*o), &outbox_replay_desc, arg);
	if (!o)
		return ENOMEM;
	o->h = h;
	o->seq = seq;

	return store_op_queue(st, o, str_dup(&o->webhook_id, webhook_id));
}


/* ---- lists of objects, the result of many ops ---- */

/* Append obj (a mem object, taken over); doubling: one more slot at a
 * time made reading 100,000 rows copy the array 100,000 times. */
int store_objv_add(struct store_objv *l, void *obj)
{
	if (!obj)
		return ENOMEM;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		void **v = mem_reallocarray(l->v, cap, sizeof(*v), NULL);

		if (!v) {
			mem_deref(obj);
			return ENOMEM;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = obj;

	return 0;
}


void store_objv_clear(struct store_objv *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		mem_deref(l->v[i]);
	l->v = mem_deref(l->v);
	l->n = 0;
	l->cap = 0;
}


int store_run_rows(struct store_run *r, struct store_objv *l, size_t max,
		   store_row_h *read, const void *arg)
{
	bool more = true;
	int err = 0;

	while (!err && !(err = store_run_step(r, &more)) && more) {
		void *obj = NULL;

		if (max != STORE_ALL && l->n >= max)
			return E2BIG;
		err = read(&obj, r, arg);
		if (err)
			mem_deref(obj);     /* what it read of the row */
		else
			err = store_objv_add(l, obj);
	}

	return err;
}


/* ---- the webhook outbox ---- */

struct op_outbox {
	struct store_op op;
	store_list_h *listh;      /* due, list */
	store_done_h *h;          /* done */
	int64_t now;              /* due */
	size_t max;               /* due, list */
	char *webhook_id;         /* list */
	struct outbox_result res; /* done; res.error is an owned copy */
	struct store_objv rows;         /* of struct outbox_row */
};


static void outbox_dh(struct store_op *op)
{
	struct op_outbox *o = (struct op_outbox *)op;

	mem_deref(o->webhook_id);
	mem_deref((char *)o->res.error);
	store_objv_clear(&o->rows);
}


static void outbox_clear(struct store_op *op)
{
	store_objv_clear(&((struct op_outbox *)op)->rows);
}


static void outbox_list_done(struct store_op *op)
{
	struct op_outbox *o = (struct op_outbox *)op;

	o->listh(op->err, o->rows.v, op->err ? 0 : o->rows.n, op->arg);
}


static void outbox_row_destructor(void *arg)
{
	struct outbox_row *r = arg;

	mem_deref(r->webhook_id);
	mem_deref(r->url);
	mem_deref(r->secret);
	mem_deref(r->event_id);
	mem_deref(r->callback_id);
	mem_deref(r->payload);
	mem_deref(r->type);
	mem_deref(r->state);
	mem_deref(r->last_error);
}


static struct outbox_row *outbox_row_alloc(void)
{
	return mem_zalloc(sizeof(struct outbox_row), outbox_row_destructor);
}


static int outbox_due_read(void **objp, struct store_run *r,
			   const void *arg)
{
	struct outbox_row *row = outbox_row_alloc();
	int err = 0;

	if (!row)
		return ENOMEM;
	*objp = row;

	row->seq = store_run_col_num(r, 0);
	err |= store_run_col_dup(r, 1, &row->webhook_id);
	err |= store_run_col_dup(r, 2, &row->url);
	err |= store_run_col_dup(r, 3, &row->secret);
	err |= store_run_col_dup(r, 4, &row->event_id);
	err |= store_run_col_dup(r, 5, &row->callback_id);
	err |= store_run_col_dup(r, 6, &row->payload);
	row->t = store_run_col_num(r, 7);
	row->attempts = store_run_col_num(r, 8);

	return err ? ENOMEM : 0;
}


static int outbox_due_run(struct store_tx *tx, struct store_op *op)
{
	struct op_outbox *o = (struct op_outbox *)op;
	struct store_run r;
	int err;

	err = store_run_open(&r, tx, SQ_OUTBOX_DUE);
	if (!err) {
		store_run_num(&r, 1, o->now);
		store_run_num(&r, 2, (int64_t)o->max);
		err = store_run_rows(&r, &o->rows, STORE_ALL,
				     outbox_due_read, NULL);
	}
	store_run_close(&r);

	return err;
}


static const struct store_op_desc outbox_due_desc = {
	.name = "outbox_due",
	.run = outbox_due_run,
	.clear = outbox_clear,
	.done = outbox_list_done,
	.dh = outbox_dh,
};


int store_outbox_due(struct store *st, int64_t now, size_t max,
		     store_list_h *h, void *arg)
{
	struct op_outbox *o;

	if (!st || !max || !h)
		return EINVAL;

	o = store_op_alloc(sizeof(*o), &outbox_due_desc, arg);
	if (!o)
		return ENOMEM;
	o->listh = h;
	o->now = now;
	o->max = max;

	return store_op_queue(st, o, 0);
}


static int outbox_list_read(void **objp, struct store_run *r,
			   const void *arg)
{
	struct outbox_row *row = outbox_row_alloc();
	int err = 0;

	if (!row)
		return ENOMEM;
	*objp = row;

	row->seq = store_run_col_num(r, 0);
	err |= store_run_col_dup(r, 1, &row->webhook_id);
	err |= store_run_col_dup(r, 2, &row->event_id);
	err |= store_run_col_dup(r, 3, &row->callback_id);
	err |= store_run_col_dup(r, 4, &row->type);
	row->t = store_run_col_num(r, 5);
	row->attempts = store_run_col_num(r, 6);
	err |= store_run_col_dup(r, 7, &row->state);
	row->next_at = store_run_col_num(r, 8);
	row->last_status = store_run_col_num(r, 9);
	err |= store_run_col_dup(r, 10, &row->last_error);
	row->delivered_at = store_run_col_num(r, 11);

	return err ? ENOMEM : 0;
}


static int outbox_list_run(struct store_tx *tx, struct store_op *op)
{
	struct op_outbox *o = (struct op_outbox *)op;
	struct store_run r;
	int err;

	err = store_run_open(&r, tx, SQ_OUTBOX_LIST);
	if (!err) {
		store_run_text(&r, 1, o->webhook_id);
		store_run_num(&r, 2, (int64_t)o->max);
		err = store_run_rows(&r, &o->rows, STORE_ALL,
				     outbox_list_read, NULL);
	}
	store_run_close(&r);

	return err;
}


static const struct store_op_desc outbox_list_desc = {
	.name = "outbox_list",
	.run = outbox_list_run,
	.clear = outbox_clear,
	.done = outbox_list_done,
	.dh = outbox_dh,
};


int store_outbox_list(struct store *st, const char *webhook_id, size_t max,
		      store_list_h *h, void *arg)
{
	struct op_outbox *o;

	if (!st || !webhook_id || !max || !h)
		return EINVAL;

	o = store_op_alloc(sizeof(*o), &outbox_list_desc, arg);
	if (!o)
		return ENOMEM;
	o->listh = h;
	o->max = max;

	return store_op_queue(st, o, str_dup(&o->webhook_id, webhook_id));
}


static const char *const outbox_states[] = {
	[OUTBOX_PENDING] = "pending",
	[OUTBOX_DELIVERED] = "delivered",
	[OUTBOX_FAILED] = "failed",
};


/* The delivery's row, then its endpoint's failures in a row. */
static int outbox_done_run(struct store_tx *tx, struct store_op *op)
{
	const struct outbox_result *res = &((struct op_outbox *)op)->res;
	struct store_run r;
	int err;

	err = store_run_open(&r, tx, SQ_OUTBOX_DONE);
	if (!err) {
		store_run_num(&r, 1, res->seq);
		store_run_text(&r, 2, outbox_states[res->state]);
		store_run_num(&r, 3, res->attempts);
		store_run_num(&r, 4, res->next_at);
		store_run_num(&r, 5, res->status);
		store_run_text(&r, 6, res->error ? res->error : "");
		store_run_num(&r, 7, res->state == OUTBOX_DELIVERED ?
			      res->now : 0);
		err = store_run_done(&r);
	}
	store_run_close(&r);
	if (err)
		return err;

	err = store_run_open(&r, tx, SQ_WEBHOOK_RESULT);
	if (!err) {
		store_run_num(&r, 1, res->seq);
		store_run_num(&r, 2, res->state == OUTBOX_DELIVERED);
		store_run_num(&r, 3, res->fail_max);
		store_run_num(&r, 4, res->now);
		err = store_run_done(&r);
	}
	store_run_close(&r);

	return err;
}


static void outbox_done_done(struct store_op *op)
{
	struct op_outbox *o = (struct op_outbox *)op;

	o->h(op->err, op->arg);
}


static const struct store_op_desc outbox_done_desc = {
	.name = "outbox_done",
	.writes = true,
	.run = outbox_done_run,
	.done = outbox_done_done,
	.dh = outbox_dh,
};


int store_outbox_done(struct store *st, const struct outbox_result *res,
		      store_done_h *h, void *arg)
{
	struct op_outbox *o;

	if (!st || !res || !h || (size_t)res->state >=
	    sizeof(outbox_states) / sizeof(outbox_states[0]))
		return EINVAL;

	o = store_op_alloc(sizeof(*o), &outbox_done_desc, arg);
	if (!o)
		return ENOMEM;
	o->h = h;
	o->res = *res;
	o->res.error = NULL;

	return store_op_queue(st, o, res->error ?
			str_dup((char **)&o->res.error, res->error) : 0);
}


/* ---- the requests counted by the rate limits ---- */

struct op_intake {
	struct store_op op;
	store_intake_h *h;
	int64_t since;
	struct intake_row *v;
	size_t n;
};


static void intake_clear(struct store_op *op)
{
	struct op_intake *o = (struct op_intake *)op;
	size_t i;

	for (i = 0; i < o->n; i++) {
		mem_deref(o->v[i].business);
		mem_deref(o->v[i].phone);
		mem_deref(o->v[i].ip);
	}
	o->v = mem_deref(o->v);
	o->n = 0;
}


static int intake_read(struct op_intake *o, struct store_run *r)
{
	struct intake_row *v, *row;
	int err = 0;

	v = mem_reallocarray(o->v, o->n + 1, sizeof(*v), NULL);
	if (!v)
		return ENOMEM;
	o->v = v;
	row = &v[o->n++];
	memset(row, 0, sizeof(*row));
	row->t = store_run_col_num(r, 0);
	err |= store_run_col_dup(r, 1, &row->business);
	err |= store_run_col_dup(r, 2, &row->phone);
	err |= store_run_col_dup(r, 3, &row->ip);

	return err ? ENOMEM : 0;
}


static int intake_run(struct store_tx *tx, struct store_op *op)
{
	struct op_intake *o = (struct op_intake *)op;
	char floor[ID_LEN];
	struct store_run r;
	bool more = true;
	int err;

	store_id_at(floor, o->since);
	err = store_run_open(&r, tx, SQ_INTAKE_SINCE);
	if (!err) {
		store_run_num(&r, 1, o->since);
		store_run_text(&r, 2, floor);
	}
	while (!err && !(err = store_run_step(&r, &more)) && more)
		err = intake_read(o, &r);
	store_run_close(&r);

	return err;
}


static void intake_done(struct store_op *op)
{
	struct op_intake *o = (struct op_intake *)op;

	o->h(op->err, o->v, op->err ? 0 : o->n, op->arg);
}


static const struct store_op_desc intake_desc = {
	.name = "intake_since",
	/* in the write batch: it counts what the batch wrote before it */
	.writes = true,
	.run = intake_run,
	.clear = intake_clear,
	.done = intake_done,
	.dh = intake_clear,
};


int store_intake_since(struct store *st, int64_t since, store_intake_h *h,
		       void *arg)
{
	struct op_intake *o;

	if (!st || !h)
		return EINVAL;

	o = store_op_alloc(sizeof(*o), &intake_desc, arg);
	if (!o)
		return ENOMEM;
	o->h = h;
	o->since = since;

	return store_op_queue(st, o, 0);
}
