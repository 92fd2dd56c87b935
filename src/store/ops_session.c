/*
 * The desk's sessions (store.h, migration 23): kept so that a new leader
 * or a restarted node logs nobody out. The writes are the leader's, so
 * fenced: a stale leader's log-in fails rather than leave a session the
 * new leader would restore.
 */
#include <string.h>
#include <re.h>
#include "util/util.h"
#include "store/store_int.h"

struct op_session {
	struct store_op op;
	store_done_h *h;
	store_list_h *listh;
	char *hash;
	char *csrf;
	char *agent_id;
	char *businesses;
	enum agent_role role;
	int64_t expires;          /* put, touch */
	int64_t before;           /* put, live: the expired before it go */
	struct store_objv rows;   /* live's result */
};


static void session_dh(struct store_op *op)
{
	struct op_session *o = (struct op_session *)op;

	mem_deref(o->hash);
	mem_deref(o->csrf);
	mem_deref(o->agent_id);
	mem_deref(o->businesses);
	store_objv_clear(&o->rows);
}


static void session_done(struct store_op *op)
{
	struct op_session *o = (struct op_session *)op;

	if (o->h)
		o->h(op->err, op->arg);
}


/* the expired, and those of agents removed */
static int purge(struct store_tx *tx, int64_t now)
{
	struct store_run r;
	int err;

	err = store_run_open(&r, tx, SQ_SESSIONS_PURGE);
	if (!err) {
		store_run_num(&r, 1, now);
		err = store_run_done(&r);
	}
	store_run_close(&r);

	return err;
}


static int put_run(struct store_tx *tx, struct store_op *op)
{
	struct op_session *o = (struct op_session *)op;
	struct store_run r;
	int err;

	err = purge(tx, o->before);
	if (err)
		return err;

	err = store_run_open(&r, tx, SQ_SESSION_PUT);
	if (!err) {
		store_run_text(&r, 1, o->hash);
		store_run_text(&r, 2, o->csrf);
		store_run_text(&r, 3, o->agent_id);
		store_run_text(&r, 4, agent_role_name(o->role));
		store_run_text(&r, 5, o->businesses);
		store_run_num(&r, 6, o->expires);
		err = store_run_done(&r);
	}
	store_run_close(&r);

	return err;
}


static const struct store_op_desc put_desc = {
	.name = "session_put",
	.writes = true,
	.fenced = true,
	.run = put_run,
	.done = session_done,
	.dh = session_dh,
};


static int touch_run(struct store_tx *tx, struct store_op *op)
{
	struct op_session *o = (struct op_session *)op;
	struct store_run r;
	int err;

	err = store_run_open(&r, tx, SQ_SESSION_TOUCH);
	if (!err) {
		store_run_text(&r, 1, o->hash);
		store_run_num(&r, 2, o->expires);
		err = store_run_done(&r);
	}
	if (!err && !store_run_changes(&r))
		err = ENOENT;
	store_run_close(&r);

	return err;
}


static const struct store_op_desc touch_desc = {
	.name = "session_touch",
	.writes = true,
	.fenced = true,
	.run = touch_run,
	.done = session_done,
	.dh = session_dh,
};


static int end_run(struct store_tx *tx, struct store_op *op)
{
	struct op_session *o = (struct op_session *)op;
	struct store_run r;
	int err;

	err = store_run_open(&r, tx, o->hash ? SQ_SESSION_END :
			     SQ_SESSION_END_AGENT);
	if (!err) {
		store_run_text(&r, 1, o->hash ? o->hash : o->agent_id);
		err = store_run_done(&r);
	}
	store_run_close(&r);

	return err;
}


static const struct store_op_desc end_desc = {
	.name = "session_end",
	.writes = true,
	.fenced = true,
	.run = end_run,
	.done = session_done,
	.dh = session_dh,
};


static void row_destructor(void *arg)
{
	struct store_session *s = arg;

	mem_deref(s->hash);
	mem_deref(s->csrf);
	mem_deref(s->agent_id);
	mem_deref(s->businesses);
}


static int live_read(void **objp, struct store_run *r, const void *arg)
{
	struct store_session *s;
	int err = 0;

	(void)arg;
	s = mem_zalloc(sizeof(*s), row_destructor);
	if (!s)
		return ENOMEM;
	*objp = s;

	err |= store_run_col_dup(r, 0, &s->hash);
	err |= store_run_col_dup(r, 1, &s->csrf);
	err |= store_run_col_dup(r, 2, &s->agent_id);
	err |= store_run_col_dup(r, 4, &s->businesses);
	s->expires = store_run_col_num(r, 5);
	if (err)
		return ENOMEM;

	/* a role this build does not know: a row it cannot trust */
	return agent_role_parse(store_run_col_text(r, 3), &s->role) ?
		EBADMSG : 0;
}


static int live_run(struct store_tx *tx, struct store_op *op)
{
	struct op_session *o = (struct op_session *)op;
	struct store_run r;
	int err;

	err = purge(tx, o->before);
	if (err)
		return err;

	err = store_run_open(&r, tx, SQ_SESSIONS_LIVE);
	if (!err)
		err = store_run_rows(&r, &o->rows, STORE_ALL, live_read,
				     NULL);
	store_run_close(&r);

	return err;
}


static void live_clear(struct store_op *op)
{
	store_objv_clear(&((struct op_session *)op)->rows);
}


static void live_done(struct store_op *op)
{
	struct op_session *o = (struct op_session *)op;

	o->listh(op->err, o->rows.v, op->err ? 0 : o->rows.n, op->arg);
}


static const struct store_op_desc live_desc = {
	.name = "sessions_live",
	.writes = true,
	.fenced = true,
	.run = live_run,
	.clear = live_clear,
	.done = live_done,
	.dh = session_dh,
};


int store_session_put(struct store *st, const struct store_session *s,
		      int64_t before, store_done_h *h, void *arg)
{
	struct op_session *o;
	int err;

	if (!st || !s || !s->hash || !s->csrf || !s->agent_id || !h)
		return EINVAL;

	o = store_op_alloc(sizeof(*o), &put_desc, arg);
	if (!o)
		return ENOMEM;
	o->h = h;
	o->role = s->role;
	o->expires = s->expires;
	o->before = before;
	err = str_dup(&o->hash, s->hash);
	err |= str_dup(&o->csrf, s->csrf);
	err |= str_dup(&o->agent_id, s->agent_id);
	err |= str_dup(&o->businesses, s->businesses ? s->businesses : "");

	return store_op_queue(st, o, err ? ENOMEM : 0);
}


int store_session_touch(struct store *st, const char *hash,
			int64_t expires, store_done_h *h, void *arg)
{
	struct op_session *o;

	if (!st || !hash || !h)
		return EINVAL;

	o = store_op_alloc(sizeof(*o), &touch_desc, arg);
	if (!o)
		return ENOMEM;
	o->h = h;
	o->expires = expires;

	return store_op_queue(st, o, str_dup(&o->hash, hash));
}


int store_session_end(struct store *st, const char *hash,
		      const char *agent_id, store_done_h *h, void *arg)
{
	struct op_session *o;

	/* one of them */
	if (!st || !hash == !agent_id || !h)
		return EINVAL;

	o = store_op_alloc(sizeof(*o), &end_desc, arg);
	if (!o)
		return ENOMEM;
	o->h = h;

	return store_op_queue(st, o, hash ? str_dup(&o->hash, hash) :
			      str_dup(&o->agent_id, agent_id));
}


int store_sessions_live(struct store *st, int64_t now, store_list_h *h,
			void *arg)
{
	struct op_session *o;

	if (!st || !h)
		return EINVAL;

	o = store_op_alloc(sizeof(*o), &live_desc, arg);
	if (!o)
		return ENOMEM;
	o->listh = h;
	o->before = now;

	return store_op_queue(st, o, 0);
}
