/*
 * The records (businesses, agents, rules, webhooks: struct store_table):
 * put, get, list, delete, written once for every backend. Their SQL is
 * made from the table's fields at each use (records are written by people
 * and at start-up, not per request), in a form both dialects read as it
 * is (ON CONFLICT ... DO UPDATE/NOTHING, ?N), and run as a prepared
 * statement from that text (store_run_open_text): only the table's own
 * names go into it, every value is bound.
 */
#include <errno.h>
#include <string.h>
#include <re.h>
#define LOG_SUBSYS "store"
#include "util/util.h"
#include "store/store_int.h"


struct op_record {
	struct store_op op;
	const struct store_table *t;
	store_done_h *h;          /* put, delete */
	store_obj_h *objh;        /* get */
	store_list_h *listh;      /* list */
	bool replace;             /* put */
	void *obj;                /* put's input */
	char *field;              /* get: the column, NULL for list */
	char *value;              /* get's value, delete's id */
	struct store_objv rows;   /* get (one at most), list */
};


static void record_dh(struct store_op *op)
{
	struct op_record *o = (struct op_record *)op;

	mem_deref(o->obj);
	mem_deref(o->field);
	mem_deref(o->value);
	store_objv_clear(&o->rows);
}


static void record_clear(struct store_op *op)
{
	store_objv_clear(&((struct op_record *)op)->rows);
}


static int sql_done(char **sqlp, struct mbuf *mb, int err)
{
	if (!err) {
		mb->pos = 0;
		err = mbuf_strdup(mb, sqlp, mb->end);
	}
	mem_deref(mb);

	return err ? ENOMEM : 0;
}


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

	return sql_done(sqlp, mb, err);
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

	return sql_done(sqlp, mb, err);
}


/* ---- put ---- */

static int put_run(struct store_tx *tx, struct store_op *op)
{
	struct op_record *o = (struct op_record *)op;
	const struct store_table *t = o->t;
	struct store_run r;
	char *sql = NULL;
	size_t i;
	int err;

	err = rec_sql_put(&sql, t, o->replace);
	if (err)
		return err;

	err = store_run_open_text(&r, tx, sql);
	if (!err) {
		for (i = 0; i < t->n; i++) {
			const struct store_field *f = &t->fields[i];

			if (f->type != SF_INT)
				store_run_text(&r, (int)i + 1,
					       store_obj_str(o->obj, f));
			else
				store_run_num(&r, (int)i + 1,
					      store_obj_int(o->obj, f));
		}
		store_run_num(&r, (int)t->n + 1, time_now_ms());
		err = store_run_done(&r);
	}
	if (!err && !o->replace && !store_run_changes(&r))
		err = EALREADY;   /* it exists: left as it is */
	store_run_close(&r);
	mem_deref(sql);

	return err;
}


static void done_done(struct store_op *op)
{
	struct op_record *o = (struct op_record *)op;

	o->h(op->err, op->arg);
}


static const struct store_op_desc put_desc = {
	.fenced = true,
	.name = "put",
	.writes = true,
	.run = put_run,
	.done = done_done,
	.dh = record_dh,
};


int store_put(struct store *st, const struct store_table *t,
	      const void *obj, bool replace, store_done_h *h, void *arg)
{
	struct op_record *o;

	if (!st || !t || !obj || !h || !*store_obj_str(obj, &t->fields[0]))
		return EINVAL;

	o = store_op_alloc(sizeof(*o), &put_desc, arg);
	if (!o)
		return ENOMEM;
	o->t = t;
	o->h = h;
	o->replace = replace;

	return store_op_queue(st, o, store_obj_dup(&o->obj, t, obj));
}


/* ---- get, list ---- */

static int rec_read(void **objp, struct store_run *r, const void *arg)
{
	const struct store_table *t = arg;
	void *obj;
	size_t i;
	int err = 0;

	obj = mem_zalloc(t->size, t->dh);
	if (!obj)
		return ENOMEM;
	*objp = obj;

	for (i = 0; i < t->n; i++) {
		const struct store_field *f = &t->fields[i];
		char *p = (char *)obj + f->off;

		if (f->type == SF_STR) {
			const char *v = store_run_col_text(r, (int)i);

			err |= str_dup((char **)p, v ? v : "");
		}
		else if (f->type == SF_ENUM) {
			/* an unknown name: the field's default, said once */
			(void)store_name_parse(f->names, f->def, (int *)p);
			(void)store_name_read(f->names,
					      store_run_col_text(r, (int)i),
					      (int *)p, f->name);
		}
		else {
			*(int64_t *)p = store_run_col_num(r, (int)i);
		}
	}

	return err ? ENOMEM : 0;
}


static int select_run(struct store_tx *tx, struct store_op *op)
{
	struct op_record *o = (struct op_record *)op;
	struct store_run r;
	char *sql = NULL;
	int err;

	err = rec_sql_select(&sql, o->t, o->field);
	if (err)
		return err;

	err = store_run_open_text(&r, tx, sql);
	if (!err && o->field)
		store_run_text(&r, 1, o->value);
	/* a get: the first row only */
	if (!err)
		err = store_run_rows(&r, &o->rows, o->field ? 1 : STORE_ALL,
				     rec_read, o->t);
	if (err == E2BIG && o->field)
		err = 0;
	if (!err && o->field && !o->rows.n)
		err = ENOENT;
	store_run_close(&r);
	mem_deref(sql);

	return err;
}


static void get_done(struct store_op *op)
{
	struct op_record *o = (struct op_record *)op;

	o->objh(op->err, op->err ? NULL : o->rows.v[0], op->arg);
}


static void list_done(struct store_op *op)
{
	struct op_record *o = (struct op_record *)op;

	o->listh(op->err, o->rows.v, op->err ? 0 : o->rows.n, op->arg);
}


static const struct store_op_desc get_desc = {
	.name = "get",
	.run = select_run,
	.clear = record_clear,
	.done = get_done,
	.dh = record_dh,
};


static const struct store_op_desc list_desc = {
	.name = "list",
	.run = select_run,
	.clear = record_clear,
	.done = list_done,
	.dh = record_dh,
};


int store_get(struct store *st, const struct store_table *t,
	      const char *field, const char *value, store_obj_h *h, void *arg)
{
	struct op_record *o;

	/* the field name goes into SQL: only the table's own names */
	if (!st || !t || !value || !h || !store_field_find(t, field))
		return EINVAL;

	o = store_op_alloc(sizeof(*o), &get_desc, arg);
	if (!o)
		return ENOMEM;
	o->t = t;
	o->objh = h;

	return store_op_queue(st, o, (str_dup(&o->field, field) |
				      str_dup(&o->value, value)) ?
			      ENOMEM : 0);
}


int store_list(struct store *st, const struct store_table *t,
	       store_list_h *h, void *arg)
{
	struct op_record *o;

	if (!st || !t || !h)
		return EINVAL;

	o = store_op_alloc(sizeof(*o), &list_desc, arg);
	if (!o)
		return ENOMEM;
	o->t = t;
	o->listh = h;

	return store_op_queue(st, o, 0);
}


/* ---- delete ---- */

static int delete_run(struct store_tx *tx, struct store_op *op)
{
	struct op_record *o = (struct op_record *)op;
	struct store_run r;
	char *sql = NULL;
	int err;

	if (re_sdprintf(&sql, "DELETE FROM %s WHERE %s = ?1", o->t->name,
			o->t->fields[0].name) < 0)
		return ENOMEM;

	err = store_run_open_text(&r, tx, sql);
	if (!err) {
		store_run_text(&r, 1, o->value);
		err = store_run_done(&r);
	}
	if (!err && !store_run_changes(&r))
		err = ENOENT;
	store_run_close(&r);
	mem_deref(sql);

	return err;
}


static const struct store_op_desc delete_desc = {
	.name = "delete",
	.writes = true,
	.run = delete_run,
	.done = done_done,
	.dh = record_dh,
};


int store_delete(struct store *st, const struct store_table *t,
		 const char *id, store_done_h *h, void *arg)
{
	struct op_record *o;

	if (!st || !t || !id || !h)
		return EINVAL;

	o = store_op_alloc(sizeof(*o), &delete_desc, arg);
	if (!o)
		return ENOMEM;
	o->t = t;
	o->h = h;

	return store_op_queue(st, o, str_dup(&o->value, id));
}
