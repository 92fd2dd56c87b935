/*
 * What the supervisors read, written once for every backend:
 * store_callbacks_search.
 */
#include <errno.h>
#include <string.h>
#include <re.h>
#define LOG_SUBSYS "store"
#include "util/util.h"
#include "store/store_int.h"


/* ---- the search ---- */

struct op_rows {
	struct store_op op;
	store_list_h *h;
	struct callback_search sq;    /* strings are owned copies */
	struct store_objv rows;
};


static void rows_clear(struct store_op *op)
{
	store_objv_clear(&((struct op_rows *)op)->rows);
}


static void rows_dh(struct store_op *op)
{
	struct callback_search *q = &((struct op_rows *)op)->sq;

	mem_deref((char *)q->scope);
	mem_deref((char *)q->business);
	mem_deref((char *)q->digits);
	mem_deref((char *)q->status);
	mem_deref((char *)q->agent);
	mem_deref((char *)q->before);
	rows_clear(op);
}


static void rows_done(struct store_op *op)
{
	struct op_rows *o = (struct op_rows *)op;

	o->h(op->err, o->rows.v, op->err ? 0 : o->rows.n, op->arg);
}


/* Bind ?1, ?2, the ids that bound [lo, hi) (those api_new_id makes
 * start with the time in 12 hex digits), ?3, ?4 the times, ?5 the
 * scope. The ids are copied into ids, which must live as long as r. */
static void bind_range(struct store_run *r, char ids[2][ID_LEN],
		       const struct callback_search *q)
{
	re_snprintf(ids[0], ID_LEN, "cb_%012llx", (unsigned long long)q->lo);
	re_snprintf(ids[1], ID_LEN, "cb_%012llx", (unsigned long long)q->hi);
	store_run_text(r, 1, ids[0]);
	store_run_text(r, 2, ids[1]);
	store_run_num(r, 3, q->lo);
	store_run_num(r, 4, q->hi);
	store_run_text(r, 5, q->scope);
}


static int search_run(struct store_tx *tx, struct store_op *op)
{
	struct op_rows *o = (struct op_rows *)op;
	const struct callback_search *q = &o->sq;
	char ids[2][ID_LEN];
	struct store_run r;
	size_t i;
	int err;

	err = store_run_open(&r, tx, SQ_SEARCH);
	if (!err) {
		bind_range(&r, ids, q);
		store_run_text(&r, 6, q->business);
		store_run_text(&r, 7, q->digits);
		store_run_text(&r, 8, q->status);
		store_run_text(&r, 9, q->agent);
		store_run_text(&r, 10, q->before);
		store_run_num(&r, 11, (int64_t)q->max);
		err = store_run_rows(&r, &o->rows, STORE_ALL,
				     store_read_callback, NULL);
	}
	store_run_close(&r);

	for (i = 0; !err && i < o->rows.n; i++)
		err = store_load_events(tx, o->rows.v[i], false);

	return err;
}


static const struct store_op_desc search_desc = {
	.name = "callbacks_search",
	.run = search_run,
	.clear = rows_clear,
	.done = rows_done,
	.dh = rows_dh,
};


int store_callbacks_search(struct store *st,
			   const struct callback_search *q,
			   store_list_h *h, void *arg)
{
	struct op_rows *o;
	struct callback_search *c;
	int err = 0;

	if (!st || !q || q->lo >= q->hi || !q->max || !h)
		return EINVAL;

	o = store_op_alloc(sizeof(*o), &search_desc, arg);
	if (!o)
		return ENOMEM;
	o->h = h;

	c = &o->sq;
	c->lo = q->lo;
	c->hi = q->hi;
	c->max = q->max;
	err |= store_dup_opt(&c->scope, q->scope);
	err |= store_dup_opt(&c->business, q->business);
	err |= store_dup_opt(&c->digits, q->digits);
	err |= store_dup_opt(&c->status, q->status);
	err |= store_dup_opt(&c->agent, q->agent);
	err |= store_dup_opt(&c->before, q->before);

	return store_op_queue(st, o, err ? ENOMEM : 0);
}
