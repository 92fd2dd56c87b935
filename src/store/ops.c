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


/* Queue op, or free it when it cannot be. */
static int op_queue(struct store *st, void *op, int err)
{
	if (!err)
		err = store_queue(st, op);
	if (err)
		mem_deref(op);

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

	return op_queue(st, o, 0);
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
	.name = "phone_agent_set",
	.writes = true,
	.run = phone_agent_set_run,
	.done = phone_agent_set_done,
	.dh = phone_agent_dh,
};


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

	return op_queue(st, o, err);
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

	return op_queue(st, o, err);
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

	return op_queue(st, o, str_dup(&o->webhook_id, webhook_id));
}
