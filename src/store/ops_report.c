/*
 * What the agents recorded and what the supervisors read, written once
 * for every backend: store_outcome_put, store_figures, store_report_rows
 * and store_callbacks_search.
 */
#include <errno.h>
#include <string.h>
#include <re.h>
#define LOG_SUBSYS "store"
#include "util/util.h"
#include "store/store_int.h"


/* ---- an outcome ---- */

struct op_outcome {
	struct store_op op;
	store_done_h *h;
	struct outcome oc;        /* strings are owned copies */
};


static int outcome_run(struct store_tx *tx, struct store_op *op)
{
	const struct outcome *o = &((struct op_outcome *)op)->oc;
	struct store_run r;
	char data[160];
	int err;

	err = store_run_open(&r, tx, SQ_OUTCOME_PUT);
	if (!err) {
		store_run_text(&r, 1, o->callback_id);
		store_run_text(&r, 2, o->business);
		store_run_text(&r, 3, o->agent_id);
		store_run_text(&r, 4, o->disposition);
		store_run_text(&r, 5, o->product ? o->product : "");
		store_run_num(&r, 6, o->quantity);
		store_run_num(&r, 7, o->amount_cents);
		store_run_text(&r, 8, o->currency ? o->currency : "");
		store_run_text(&r, 9, o->order_ref ? o->order_ref : "");
		store_run_text(&r, 10, o->notes ? o->notes : "");
		store_run_num(&r, 11, o->t);
		err = store_run_done(&r);
	}
	store_run_close(&r);
	if (err)
		return err;

	re_snprintf(data, sizeof(data), "{\"agent\":\"%s\","
		    "\"disposition\":\"%s\"}", o->agent_id, o->disposition);

	return store_event_insert(tx, o->callback_id, o->t, "wrap_up", false,
				  data, NULL);
}


static void outcome_done(struct store_op *op)
{
	struct op_outcome *o = (struct op_outcome *)op;

	o->h(op->err, op->arg);
}


static void outcome_dh(struct store_op *op)
{
	struct outcome *c = &((struct op_outcome *)op)->oc;

	mem_deref((char *)c->callback_id);
	mem_deref((char *)c->business);
	mem_deref((char *)c->agent_id);
	mem_deref((char *)c->disposition);
	mem_deref((char *)c->product);
	mem_deref((char *)c->currency);
	mem_deref((char *)c->order_ref);
	mem_deref((char *)c->notes);
}


static const struct store_op_desc outcome_desc = {
	.name = "outcome_put",
	.writes = true,
	.run = outcome_run,
	.done = outcome_done,
	.dh = outcome_dh,
};


int store_outcome_put(struct store *st, const struct outcome *o,
		      store_done_h *h, void *arg)
{
	struct op_outcome *op;
	struct outcome *c;
	int err = 0;

	if (!st || !o || !o->callback_id || !o->business || !o->agent_id ||
	    !o->disposition || !h)
		return EINVAL;

	op = store_op_alloc(sizeof(*op), &outcome_desc, arg);
	if (!op)
		return ENOMEM;
	op->h = h;

	c = &op->oc;
	*c = *o;
	err |= store_dup_opt(&c->callback_id, o->callback_id);
	err |= store_dup_opt(&c->business, o->business);
	err |= store_dup_opt(&c->agent_id, o->agent_id);
	err |= store_dup_opt(&c->disposition, o->disposition);
	err |= store_dup_opt(&c->product, o->product);
	err |= store_dup_opt(&c->currency, o->currency);
	err |= store_dup_opt(&c->order_ref, o->order_ref);
	err |= store_dup_opt(&c->notes, o->notes);

	return store_op_queue(st, op, err ? ENOMEM : 0);
}


/* ---- a business's figures ---- */

struct op_figures {
	struct store_op op;
	store_figures_h *h;
	char *business;
	int64_t since;
	struct figures fig;
};


/* Open id with ?1 the business, ?2 the time since. */
static int figures_open(struct store_run *r, struct store_tx *tx,
			enum store_stmt_id id, const struct op_figures *o)
{
	int err = store_run_open(r, tx, id);

	if (!err) {
		store_run_text(r, 1, o->business);
		store_run_num(r, 2, o->since);
	}

	return err;
}


static int figures_run(struct store_tx *tx, struct store_op *op)
{
	struct op_figures *o = (struct op_figures *)op;
	struct figures *f = &o->fig;
	struct store_run r;
	int64_t *v = NULL;
	size_t n = 0;
	bool row = false;
	int err = 0;

	memset(f, 0, sizeof(*f));
	f->median_connect_s = -1;

	err = figures_open(&r, tx, SQ_FIG_COUNTS, o);
	if (!err && !store_run_step(&r, &row) && row) {
		f->requested = store_run_col_num(&r, 0);
		f->connected = store_run_col_num(&r, 1);
		f->abandoned = store_run_col_num(&r, 2);
		f->failed = store_run_col_num(&r, 3);
		f->canceled = store_run_col_num(&r, 4);
		f->no_human = store_run_col_num(&r, 5);
	}
	store_run_close(&r);
	if (err)
		return err;

	/* connected: every callback that was ever bridged */
	err = figures_open(&r, tx, SQ_FIG_CONNECT, o);
	if (err)
		return err;
	while (!store_run_step(&r, &row) && row) {
		int64_t *nv = mem_reallocarray(v, n + 1, sizeof(*v), NULL);

		if (!nv) {
			err = ENOMEM;
			break;
		}
		v = nv;
		v[n++] = store_run_col_num(&r, 0);
	}
	store_run_close(&r);

	if (!err) {
		size_t i;

		f->connected = (int64_t)n;
		for (i = 0; i < n; i++)
			if (v[i] <= 60)
				f->connected_60s++;
		/* the reports' median (SQ_FIG_CONNECT sorts them) */
		f->median_connect_s = rank_percentile(v, n, 50);
	}
	mem_deref(v);
	if (err)
		return err;

	err = figures_open(&r, tx, SQ_FIG_SALES, o);
	if (err)
		return err;
	while (!store_run_step(&r, &row) && row) {
		const char *cur = store_run_col_text(&r, 0);
		struct figures_total *t;
		int64_t amount = store_run_col_num(&r, 2);

		f->sales += store_run_col_num(&r, 1);

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
		t->sales = store_run_col_num(&r, 1);
		t->cents = amount;
	}
	store_run_close(&r);

	return 0;
}


static void figures_done(struct store_op *op)
{
	struct op_figures *o = (struct op_figures *)op;

	o->h(op->err, op->err ? NULL : &o->fig, op->arg);
}


static void figures_dh(struct store_op *op)
{
	mem_deref(((struct op_figures *)op)->business);
}


static const struct store_op_desc figures_desc = {
	.name = "figures",
	.long_read = true,
	.run = figures_run,
	.done = figures_done,
	.dh = figures_dh,
};


int store_figures(struct store *st, const char *business, int64_t since,
		  store_figures_h *h, void *arg)
{
	struct op_figures *o;

	if (!st || !business || !h)
		return EINVAL;

	o = store_op_alloc(sizeof(*o), &figures_desc, arg);
	if (!o)
		return ENOMEM;
	o->h = h;
	o->since = since;

	return store_op_queue(st, o, str_dup(&o->business, business));
}


/* ---- reports and the search ---- */

struct op_rows {
	struct store_op op;
	store_list_h *h;
	struct callback_search sq;    /* strings are owned copies */
	enum store_report_key key;    /* report_rows */
	size_t max;                   /* report_rows */
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


/* The ids api_new_id makes start with their time in 12 hex digits:
 * those made at t or later sort from this one on. */
void store_id_at(char id[ID_LEN], int64_t t)
{
	re_snprintf(id, ID_LEN, "cb_%012llx", (unsigned long long)t);
}


/* Bind ?1, ?2, the ids that bound [lo, hi), ?3, ?4 the times, ?5 the
 * scope. The ids are copied into ids, which must live as long as r. */
static void bind_range(struct store_run *r, char ids[2][ID_LEN],
		       const struct callback_search *q)
{
	store_id_at(ids[0], q->lo);
	store_id_at(ids[1], q->hi);
	store_run_text(r, 1, ids[0]);
	store_run_text(r, 2, ids[1]);
	store_run_num(r, 3, q->lo);
	store_run_num(r, 4, q->hi);
	store_run_text(r, 5, q->scope);
}


static void report_row_destructor(void *arg)
{
	struct report_row *r = arg;

	mem_deref(r->business);
	mem_deref(r->key);
}


static int report_row_read(void **objp, struct store_run *s,
			   const void *arg)
{
	struct report_row *r = mem_zalloc(sizeof(*r), report_row_destructor);
	const char *cur;
	int err = 0;

	if (!r)
		return ENOMEM;
	*objp = r;

	err |= store_run_col_dup(s, 0, &r->business);
	err |= store_run_col_dup(s, 1, &r->key);
	r->created_at = store_run_col_num(s, 2);
	(void)store_name_read(&callback_status_names,
			      store_run_col_text(s, 3), (int *)&r->status,
			      "callback status");
	r->connect_ms = store_run_col_text(s, 4) ? store_run_col_num(s, 4)
		: -1;
	r->sale = store_run_col_num(s, 5) != 0;
	cur = store_run_col_text(s, 6);
	if (r->sale && cur)
		str_bcpy(r->currency, cur, sizeof(r->currency));
	r->amount_cents = r->sale ? store_run_col_num(s, 7) : 0;

	return err ? ENOMEM : 0;
}


static int report_rows_run(struct store_tx *tx, struct store_op *op)
{
	struct op_rows *o = (struct op_rows *)op;
	char ids[2][ID_LEN];
	struct store_run r;
	int err;

	err = store_run_open(&r, tx, SQ_REPORT_ROWS);
	if (!err) {
		bind_range(&r, ids, &o->sq);
		store_run_num(&r, 6, (int64_t)o->key);
		err = store_run_rows(&r, &o->rows, o->max, report_row_read,
				     NULL);
	}
	store_run_close(&r);

	return err;
}


static const struct store_op_desc report_rows_desc = {
	.name = "report_rows",
	.long_read = true,
	.run = report_rows_run,
	.clear = rows_clear,
	.done = rows_done,
	.dh = rows_dh,
};


int store_report_rows(struct store *st, const char *scope, int64_t lo,
		      int64_t hi, enum store_report_key key, size_t max,
		      store_list_h *h, void *arg)
{
	struct op_rows *o;

	if (!st || lo >= hi || !max || !h)
		return EINVAL;

	o = store_op_alloc(sizeof(*o), &report_rows_desc, arg);
	if (!o)
		return ENOMEM;
	o->h = h;
	o->sq.lo = lo;
	o->sq.hi = hi;
	o->key = key;
	o->max = max;

	return store_op_queue(st, o, store_dup_opt(&o->sq.scope, scope));
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
				     store_read_callback_outcome, NULL);
	}
	store_run_close(&r);

	for (i = 0; !err && i < o->rows.n; i++)
		err = store_load_events(tx, o->rows.v[i], false);

	return err;
}


static const struct store_op_desc search_desc = {
	.name = "callbacks_search",
	.long_read = true,
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
