/*
 * The store's front: picks a backend by URL and forwards to it. Callers see
 * only store.h; adding PostgreSQL means one more entry in backends[] and
 * one more file, nothing else.
 */
#include <errno.h>
#include <string.h>
#include <re.h>
#define LOG_SUBSYS "store"
#include "util/util.h"
#include "store/store_int.h"

struct store {
	const struct store_backend *be;
	void *ctx;
	int64_t epoch;            /* leading since (0: not leading) */
	store_stale_h *staleh;
	void *stale_arg;
	bool stale_told;
};

static const struct store_backend *backends[] = {
	&store_sqlite,
	&store_pg,
};


static void store_destructor(void *arg)
{
	struct store *st = arg;

	if (st->ctx)
		st->be->close(st->ctx);
}


int store_open(struct store **stp, const char *url, size_t batch_max)
{
	struct store *st;
	size_t i;
	int err;

	if (!stp || !url)
		return EINVAL;

	st = mem_zalloc(sizeof(*st), store_destructor);
	if (!st)
		return ENOMEM;

	for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		size_t n = strlen(backends[i]->scheme);

		if (!strncmp(url, backends[i]->scheme, n)) {
			st->be = backends[i];
			err = st->be->open(&st->ctx, url + n, batch_max);
			goto out;
		}
	}

	/* the scheme alone: a URI may hold a password */
	log_error("unsupported store URL scheme '%.*s' (expected "
		  "sqlite:PATH or postgres://...)", (int)strcspn(url, ":"),
		  url);
	err = EPROTONOSUPPORT;

 out:
	if (err)
		mem_deref(st);
	else
		*stp = st;

	return err;
}


const char *store_backend(const struct store *st)
{
	return st ? st->be->name : "none";
}


int store_flush(struct store *st)
{
	return st ? st->be->flush(st->ctx) : EINVAL;
}


int store_queue(struct store *st, struct store_op *op)
{
	if (!st || !op)
		return EINVAL;

	op->st = st;
	if (op->desc->fenced)
		op->epoch = st->epoch;
	st->be->queue(st->ctx, op);

	return 0;
}


int64_t store_epoch(const struct store *st)
{
	return st ? st->epoch : 0;
}


void store_lead_set(struct store *st, int64_t epoch)
{
	st->epoch = epoch;
	st->stale_told = false;
}


void store_set_stale_h(struct store *st, store_stale_h *h, void *arg)
{
	if (!st)
		return;

	st->staleh = h;
	st->stale_arg = arg;
}


void store_stale(struct store *st)
{
	if (st->stale_told)
		return;

	st->stale_told = true;
	log_warn("this node's leadership is stale (epoch %lld): another "
		 "node has taken over", (long long)st->epoch);
	if (st->staleh)
		st->staleh(st->stale_arg);
}


int store_backend_listen(struct store *st, struct store_listener *l)
{
	return st->be->listen(st->ctx, l);
}


void callback_change_init(struct callback_change *chg, const char *id,
			  int64_t now)
{
	memset(chg, 0, sizeof(*chg));
	chg->id = id;
	chg->scheduled_for = -1;
	chg->attempts = -1;
	chg->priority = INT64_MIN;
	chg->lease_until = -1;
	chg->now = now;
}


void store_callback_destructor(void *arg)
{
	struct callback *cb = arg;
	size_t i;

	mem_deref(cb->business);
	mem_deref(cb->phone);
	mem_deref(cb->page_url);
	mem_deref(cb->page_title);
	mem_deref(cb->name);
	mem_deref(cb->note);
	mem_deref(cb->agent_key);
	mem_deref(cb->agent_id);
	mem_deref(cb->rule_id);
	mem_deref(cb->ended_reason);
	mem_deref(cb->assigned);
	mem_deref(cb->outcome);
	for (i = 0; i < cb->nevents; i++) {
		mem_deref(cb->events[i].type);
		mem_deref(cb->events[i].data);
	}
	mem_deref(cb->events);
}


static int dup_or_empty(char **dst, const char *src)
{
	return str_dup(dst, src ? src : "");
}


int callback_from_new(struct callback **cbp, const struct callback_new *r,
		      const struct callback_created *res)
{
	struct callback *cb;
	int err = 0;

	if (!cbp || !r || !res)
		return EINVAL;

	cb = mem_zalloc(sizeof(*cb), store_callback_destructor);
	if (!cb)
		return ENOMEM;

	str_bcpy(cb->id, res->id, sizeof(cb->id));
	err |= dup_or_empty(&cb->business, r->business);
	err |= dup_or_empty(&cb->phone, r->phone);
	(void)store_name_read(&callback_status_names, res->status,
			      (int *)&cb->status, "callback status");
	err |= dup_or_empty(&cb->page_url, r->page_url);
	err |= dup_or_empty(&cb->page_title, r->page_title);
	err |= dup_or_empty(&cb->name, r->name);
	err |= dup_or_empty(&cb->note, r->note);
	err |= dup_or_empty(&cb->agent_key, r->agent_key);
	err |= dup_or_empty(&cb->agent_id, "");
	err |= dup_or_empty(&cb->rule_id, "");
	err |= dup_or_empty(&cb->ended_reason, "");
	err |= dup_or_empty(&cb->assigned, "");
	cb->open = true;
	cb->created_at = res->created_at;
	cb->updated_at = res->created_at;
	cb->scheduled_for = res->scheduled_for;
	cb->position = res->position;

	if (err) {
		mem_deref(cb);
		return ENOMEM;
	}

	*cbp = cb;

	return 0;
}
