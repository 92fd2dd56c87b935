/*
 * A callback's creation (store_callback_create), written once for every
 * backend: the idempotency key, then an open callback for the number (a
 * request joined to it) or a new callback with its cancel token in its
 * row, its "created" event and its place, who last spoke with the
 * number, the answer, and the key's record; all in the batch's
 * transaction, so that the 202 it answers is on disk. The "created"
 * event is the row's own (created_status, schema migration 21) unless
 * an endpoint of the business takes callback.created. The limits count
 * the callbacks and joined requests themselves (SQ_INTAKE_SINCE): a
 * request answered with a callback is one of those rows. The per-phone
 * limits are checked here too, after the key (a replay is answered,
 * and counts for nothing) and before anything is written: counted in
 * the transaction, they hold for every node of a shared store.
 */
#include <errno.h>
#include <string.h>
#include <re.h>
#define LOG_SUBSYS "store"
#include "util/util.h"
#include "store/store_int.h"


struct op_create {
	struct store_op op;
	store_create_h *h;
	struct callback_new req;  /* strings are owned copies */
	struct callback_created res;
	bool hooked;              /* SQ_CREATE_READS: an endpoint takes */
	int64_t queued;           /* callback.created; queued before it */
};


static int token_insert(struct store_tx *tx, enum store_stmt_id id,
			const char *hash, const char *req_id, int64_t now)
{
	struct store_run r;
	int err;

	err = store_run_open(&r, tx, id);
	if (!err) {
		store_run_text(&r, 1, hash);
		store_run_text(&r, 2, req_id);
		store_run_num(&r, 3, now);
		err = store_run_done(&r);
	}
	store_run_close(&r);

	return err;
}


int store_event_insert(struct store_tx *tx, const char *id, int64_t t,
		       const char *type, bool public, const char *data,
		       int64_t *seqp)
{
	struct store_run r;
	int err;

	err = store_run_open(&r, tx, seqp ? SQ_EVENT_INSERT_SEQ :
			     SQ_EVENT_INSERT);
	if (!err) {
		store_run_text(&r, 1, id);
		store_run_num(&r, 2, t);
		store_run_text(&r, 3, type);
		store_run_num(&r, 4, public);
		store_run_text(&r, 5, data);
		err = seqp ? store_run_num1(&r, seqp) : store_run_done(&r);
	}
	store_run_close(&r);

	return err;
}


int store_one_num(struct store_tx *tx, enum store_stmt_id id,
		  const char *a, const int64_t *b, int64_t *vp)
{
	struct store_run r;
	int err;

	err = store_run_open(&r, tx, id);
	if (!err) {
		if (a)
			store_run_text(&r, 1, a);
		if (b)
			store_run_num(&r, 2, *b);
		err = store_run_num1(&r, vp);
	}
	store_run_close(&r);

	return err;
}


/* What the visitor sent with a request, bound from parameter i on (seven
 * parameters, in the order of the callbacks' and the requests' columns). */
static void bind_request(struct store_run *r, int i,
			 const struct callback_new *q)
{
	store_run_text(r, i++, q->page_url);
	store_run_text(r, i++, q->page_title);
	store_run_text(r, i++, q->name);
	store_run_text(r, i++, q->note);
	store_run_text(r, i++, q->agent_key);
	store_run_text(r, i++, q->client_ip);
	store_run_text(r, i, q->referrer);
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
static int insert_joined(struct store_tx *tx, struct op_create *o)
{
	const struct callback_new *q = &o->req;
	struct callback_created *res = &o->res;
	bool scheduled = q->scheduled_for > q->now;
	char data[96];
	int64_t mark = 0, seq = 0;
	struct store_run r;
	int err;

	res->outcome = CB_JOINED;
	str_bcpy(res->id, q->id, sizeof(res->id));
	str_bcpy(res->status, scheduled ? "scheduled" : "queued",
		 sizeof(res->status));
	res->created_at = q->now;
	res->scheduled_for = scheduled ? q->scheduled_for : 0;
	if (!scheduled)
		res->position = o->queued + 1;

	err = store_one_num(tx, SQ_CALLBACKS_MARK, NULL, NULL, &mark);
	if (err)
		return err;

	re_snprintf(data, sizeof(data), "{\"request\":\"%s\"}", q->id);
	err = store_event_insert(tx, res->call_id, q->now, "joined", false,
				 data, &seq);
	if (err)
		return err;

	err = store_run_open(&r, tx, SQ_JOIN_INSERT);
	if (!err) {
		store_run_text(&r, 1, q->id);
		store_run_text(&r, 2, res->call_id);
		store_run_num(&r, 3, q->now);
		store_run_num(&r, 4, res->scheduled_for);
		store_run_num(&r, 5, seq);
		store_run_num(&r, 6, mark);
		bind_request(&r, 7, q);
		err = store_run_done(&r);
	}
	store_run_close(&r);
	if (err)
		return err;

	return token_insert(tx, SQ_REQ_TOKEN_INSERT, q->cancel_hash, q->id,
			    q->now);
}


static int idem_lookup(struct store_tx *tx, struct op_create *o,
		       bool *found)
{
	const struct callback_new *q = &o->req;
	struct callback_created *res = &o->res;
	struct store_run r;
	bool joined = false, row = false;
	int err;

	*found = false;
	err = store_run_open(&r, tx, SQ_IDEM_GET);
	if (!err) {
		store_run_text(&r, 1, q->business);
		store_run_text(&r, 2, q->idem_key);
		err = store_run_step(&r, &row);
	}
	if (!err && row) {
		const char *fp = store_run_col_text(&r, 0);

		*found = true;
		if (!fp || strcmp(fp, q->idem_fp)) {
			res->outcome = CB_KEY_MISMATCH;
			goto out;
		}
		res->outcome = CB_REPLAY;
		/* the request the key answered: a joined one, or the
		 * callback it created */
		joined = store_run_col_text(&r, 4) != NULL;
		str_bcpy(res->id, store_run_col_text(&r, joined ? 4 : 1),
			 sizeof(res->id));
		res->answer_status = (int)store_run_col_num(&r, 2);
		err = store_run_col_dup(&r, 3, &res->answer);
	}

 out:
	store_run_close(&r);

	/* a replay gets a fresh cancel token for the request it answers */
	if (!err && res->outcome == CB_REPLAY)
		err = token_insert(tx, joined ? SQ_REQ_TOKEN_INSERT :
				   SQ_TOKEN_INSERT, q->cancel_hash, res->id,
				   q->now);

	return err;
}


/*
 * What the create reads before it writes, in one statement: the number's
 * open callback (res->call_id; a browser's call, with no phone, is
 * nobody else's), whether the "created" event must be a row, the queued
 * count, who last spoke with the number (for routing: read here, in the
 * same transaction, so the ACD need not ask again).
 */
static int create_reads(struct store_tx *tx, struct op_create *o)
{
	const struct callback_new *q = &o->req;
	struct callback_created *res = &o->res;
	struct store_run r;
	bool row = false;
	const char *v;
	int err;

	err = store_run_open(&r, tx, SQ_CREATE_READS);
	if (!err) {
		store_run_text(&r, 1, q->business);
		store_run_text(&r, 2, q->phone);
		err = store_run_step(&r, &row);
	}
	if (!err && !row)
		err = EPROTO;
	if (!err) {
		v = store_run_col_text(&r, 0);
		if (v && *q->phone)
			str_bcpy(res->call_id, v, sizeof(res->call_id));
		o->hooked = store_run_col_num(&r, 1) != 0;
		o->queued = store_run_col_num(&r, 2);
		v = store_run_col_text(&r, 3);
		if (v)
			str_bcpy(res->last_agent, v, sizeof(res->last_agent));
	}
	store_run_close(&r);

	return err;
}


static int insert_callback(struct store_tx *tx, struct op_create *o)
{
	const struct callback_new *q = &o->req;
	struct callback_created *res = &o->res;
	bool scheduled = q->scheduled_for > q->now;
	bool row = false;
	char data[96];
	struct store_run r;
	int err;

	res->outcome = CB_CREATED;
	str_bcpy(res->id, q->id, sizeof(res->id));
	str_bcpy(res->status, scheduled ? "scheduled" : "queued",
		 sizeof(res->status));
	res->created_at = q->now;
	res->scheduled_for = scheduled ? q->scheduled_for : 0;

	/* the "created" event is the row's (created_status), unless an
	 * endpoint takes it (o->hooked): then a row, for the outbox's
	 * trigger */
	err = store_run_open(&r, tx, SQ_CALLBACK_INSERT);
	if (!err) {
		store_run_text(&r, 1, q->id);
		store_run_text(&r, 2, q->business);
		store_run_text(&r, 3, q->phone);
		store_run_text(&r, 4, res->status);
		store_run_num(&r, 5, q->now);
		store_run_num(&r, 6, res->scheduled_for);
		bind_request(&r, 7, q);
		store_run_text(&r, 14, q->cancel_hash);
		store_run_text(&r, 15, o->hooked ? NULL : res->status);
		err = store_run_done(&r);
	}
	store_run_close(&r);
	if (err)
		return err;

	if (o->hooked) {
		/* the data SQ_EVENTS_GET makes of created_status */
		re_snprintf(data, sizeof(data), "{\"status\":\"%s\"}",
			    res->status);
		err = store_event_insert(tx, q->id, q->now, "created", true,
					 data, NULL);
	}
	if (err || scheduled)
		return err;

	/* the count a trigger keeps on every later change, kept here for
	 * the insert: a trigger on the insert cost more than the insert of
	 * the callback itself. The count, the place, comes back from the
	 * statement where the dialect's RETURNING is cheap, else it is the
	 * count read before, plus one (sql.c, SQ_QUEUE_COUNT). */
	err = store_run_open(&r, tx, SQ_QUEUE_COUNT);
	if (!err) {
		store_run_text(&r, 1, q->business);
		err = store_run_step(&r, &row);
	}
	if (!err && row)
		res->position = store_run_col_num(&r, 0);
	store_run_close(&r);
	if (!err && !row)
		res->position = o->queued + 1;

	return err;
}


/* a new callback's status, for its notification (CBS_ANY: unsaid) */
static enum callback_status created_status(const struct op_create *o)
{
	enum callback_status st;

	return callback_status_parse(o->res.status, &st) ? CBS_ANY : st;
}


static int idem_put(struct store_tx *tx, const struct op_create *o)
{
	const struct callback_new *q = &o->req;
	const struct callback_created *res = &o->res;
	bool joined = res->outcome == CB_JOINED;
	struct store_run r;
	int err;

	err = store_run_open(&r, tx, SQ_IDEM_PUT);
	if (!err) {
		store_run_text(&r, 1, q->business);
		store_run_text(&r, 2, q->idem_key);
		store_run_text(&r, 3, q->idem_fp);
		store_run_text(&r, 4, joined ? res->call_id : res->id);
		store_run_num(&r, 5, res->answer_status);
		store_run_text(&r, 6, res->answer);
		store_run_num(&r, 7, q->now);
		store_run_text(&r, 8, joined ? res->id : NULL);
		err = store_run_done(&r);
	}
	store_run_close(&r);

	return err;
}


/*
 * Would this request exceed a per-phone limit? Then CB_LIMITED, with the
 * wait until one more would count: when the max-th newest request in the
 * window leaves it (as limit_exceeded says it for one node's memory; the
 * first limit reached, in the order given, says it). One read for every
 * limit: the newest requests of the longest window, as many as the
 * largest max; each limit keeps the time of its max-th (nth[i]).
 */
static int phone_limited(struct store_tx *tx, struct op_create *o,
			 bool *limited)
{
	const struct callback_new *q = &o->req;
	int64_t nth[ARRAY_SIZE(q->limits)] = {0}, window = 0, most = 0;
	int64_t n = 0;
	struct store_run r;
	bool row = false;
	size_t i;
	int err;

	*limited = false;
	for (i = 0; i < ARRAY_SIZE(q->limits); i++) {
		if (q->limits[i].max <= 0)
			continue;
		window = max(window, q->limits[i].window_ms);
		most = max(most, q->limits[i].max);
	}
	if (!*q->phone || !most)
		return 0;

	err = store_run_open(&r, tx, SQ_PHONE_LOCK);
	if (!err) {
		store_run_text(&r, 1, q->business);
		store_run_text(&r, 2, q->phone);
		err = store_run_step(&r, &row);
	}
	store_run_close(&r);

	if (!err)
		err = store_run_open(&r, tx, SQ_PHONE_RECENT);
	if (!err) {
		store_run_text(&r, 1, q->business);
		store_run_text(&r, 2, q->phone);
		store_run_num(&r, 3, q->now - window);
		store_run_num(&r, 4, most);
	}
	while (!err && !(err = store_run_step(&r, &row)) && row) {
		int64_t t = store_run_col_num(&r, 0);

		++n;
		for (i = 0; i < ARRAY_SIZE(q->limits); i++)
			if (q->limits[i].max == n)
				nth[i] = t;
	}
	store_run_close(&r);

	for (i = 0; !err && i < ARRAY_SIZE(q->limits); i++) {
		const struct store_limit *lim = &q->limits[i];
		int64_t wait;

		if (!nth[i] || nth[i] <= q->now - lim->window_ms)
			continue;

		wait = nth[i] + lim->window_ms - q->now;
		o->res.outcome = CB_LIMITED;
		o->res.retry_ms = wait < 1 ? 1 : wait;
		str_bcpy(o->res.id, q->id, sizeof(o->res.id));
		*limited = true;
		break;
	}

	return err;
}


static int create_run(struct store_tx *tx, struct store_op *op)
{
	struct op_create *o = (struct op_create *)op;
	const struct callback_new *q = &o->req;
	bool found = false;
	int err;

	if (q->idem_key) {
		err = idem_lookup(tx, o, &found);
		if (err || found)
			return err;
	}

	err = phone_limited(tx, o, &found);
	if (err || found)
		return err;

	/* never the open callback's id, token or times: a request of its
	 * own (a stranger may know the number) */
	err = create_reads(tx, o);
	if (!err)
		err = o->res.call_id[0] ? insert_joined(tx, o) :
			insert_callback(tx, o);
	if (!err)
		err = q->answerh(&o->res.answer, &o->res.answer_status,
				 &o->res, q->answer_arg);
	if (!err && q->idem_key)
		err = idem_put(tx, o);
	if (!err)   /* the callback: made, or serving this request */
		err = o->res.call_id[0] ?
			store_run_notify_callback(tx, o->res.call_id,
						  CBS_ANY) :
			store_run_notify_callback(tx, o->res.id,
						  created_status(o));

	return err;
}


static void create_clear(struct store_op *op)
{
	struct op_create *o = (struct op_create *)op;

	mem_deref(o->res.answer);
	memset(&o->res, 0, sizeof(o->res));
}


static void create_done(struct store_op *op)
{
	struct op_create *o = (struct op_create *)op;

	o->h(op->err, op->err ? NULL : &o->res, op->arg);
}


static void create_dh(struct store_op *op)
{
	struct callback_new *q = &((struct op_create *)op)->req;

	mem_deref((char *)q->business);
	mem_deref((char *)q->phone);
	mem_deref((char *)q->page_url);
	mem_deref((char *)q->page_title);
	mem_deref((char *)q->name);
	mem_deref((char *)q->note);
	mem_deref((char *)q->agent_key);
	mem_deref((char *)q->referrer);
	mem_deref((char *)q->client_ip);
	mem_deref((char *)q->idem_key);
	mem_deref((char *)q->idem_fp);
	create_clear(op);
}


static const struct store_op_desc create_desc = {
	.name = "callback_create",
	.writes = true,
	.run = create_run,
	.clear = create_clear,
	.done = create_done,
	.dh = create_dh,
};


int store_callback_create(struct store *st, const struct callback_new *req,
			  store_create_h *h, void *arg)
{
	struct op_create *o;
	struct callback_new *q;
	int err = 0;

	if (!st || !req || !req->business || !req->phone || !h ||
	    !req->answerh)
		return EINVAL;

	o = store_op_alloc(sizeof(*o), &create_desc, arg);
	if (!o)
		return ENOMEM;
	o->h = h;

	q = &o->req;
	*q = *req;
	err |= store_dup_opt(&q->business, req->business);
	err |= store_dup_opt(&q->phone, req->phone);
	err |= store_dup_opt(&q->page_url, req->page_url);
	err |= store_dup_opt(&q->page_title, req->page_title);
	err |= store_dup_opt(&q->name, req->name);
	err |= store_dup_opt(&q->note, req->note);
	err |= store_dup_opt(&q->agent_key, req->agent_key);
	err |= store_dup_opt(&q->referrer, req->referrer);
	err |= store_dup_opt(&q->client_ip, req->client_ip);
	err |= store_dup_opt(&q->idem_key, req->idem_key);
	err |= store_dup_opt(&q->idem_fp, req->idem_key ? req->idem_fp :
			     NULL);

	return store_op_queue(st, o, err ? ENOMEM : 0);
}
