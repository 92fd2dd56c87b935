/*
 * Running one statement of sql.c, whatever the backend: what the ops of
 * ops.c are written with. Each call goes through the transaction's
 * function table (struct store_tx_ops), so that an op never knows which
 * backend runs it.
 */
#include <errno.h>
#include <re.h>
#include "util/util.h"
#include "store/store_int.h"


int store_run_open(struct store_run *r, struct store_tx *tx,
		   enum store_stmt_id id)
{
	r->tx = tx;
	r->q = NULL;
	r->made = false;

	return tx->ops->open(&r->q, tx, id);
}


int store_run_open_text(struct store_run *r, struct store_tx *tx,
			const char *sql)
{
	r->tx = tx;
	r->q = NULL;
	r->made = true;

	return tx->ops->open_text(&r->q, tx, sql);
}


void store_run_text(struct store_run *r, int i, const char *v)
{
	r->tx->ops->text(r->q, i, v);
}


void store_run_num(struct store_run *r, int i, int64_t v)
{
	r->tx->ops->num(r->q, i, v);
}


int store_run_step(struct store_run *r, bool *rowp)
{
	return r->tx->ops->step(r->q, rowp);
}


/* Step a statement that returns no rows. */
int store_run_done(struct store_run *r)
{
	bool row = false;
	int err = r->tx->ops->step(r->q, &row);

	return err ? err : row ? EPROTO : 0;
}


const char *store_run_col_text(struct store_run *r, int i)
{
	return r->tx->ops->col_text(r->q, i);
}


int64_t store_run_col_num(struct store_run *r, int i)
{
	return r->tx->ops->col_num(r->q, i);
}


/* A column as a new string; NULL for a null. */
int store_run_col_dup(struct store_run *r, int i, char **dst)
{
	const char *v = r->tx->ops->col_text(r->q, i);

	*dst = NULL;

	return v ? str_dup(dst, v) : 0;
}


void store_run_close(struct store_run *r)
{
	if (r->q && r->made)
		r->tx->ops->drop(r->q);
	else if (r->q)
		r->tx->ops->close(r->q);
	r->q = NULL;
}


int64_t store_run_changes(struct store_run *r)
{
	return r->tx->ops->changes(r->tx);
}


/* The first column of a statement's only row, as an integer (0 without
 * a row); the statement is run to its end. */
int store_run_num1(struct store_run *r, int64_t *vp)
{
	bool row = false;
	int err = store_run_step(r, &row);

	*vp = !err && row ? store_run_col_num(r, 0) : 0;

	return err || !row ? err : store_run_done(r);
}
