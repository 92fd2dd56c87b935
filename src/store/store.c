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
};

static const struct store_backend *backends[] = {
	&store_sqlite,
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

	log_error("unsupported store URL '%s' (expected sqlite:PATH)", url);
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


int store_ping(struct store *st, store_done_h *h, void *arg)
{
	if (!st || !h)
		return EINVAL;

	return st->be->ping(st->ctx, h, arg);
}


int store_business_put(struct store *st, const struct business *b,
		       store_done_h *h, void *arg)
{
	if (!st || !b || !b->id || !h)
		return EINVAL;

	return st->be->business_put(st->ctx, b, h, arg);
}


int store_business_list(struct store *st, store_business_list_h *h,
			void *arg)
{
	if (!st || !h)
		return EINVAL;

	return st->be->business_list(st->ctx, h, arg);
}


int store_agent_put(struct store *st, const struct agent *a, bool replace,
		    store_done_h *h, void *arg)
{
	if (!st || !a || !a->id || !a->login || !a->password_hash || !h)
		return EINVAL;

	return st->be->agent_put(st->ctx, a, replace, h, arg);
}


int store_agent_get(struct store *st, const char *login, store_agent_h *h,
		    void *arg)
{
	if (!st || !login || !h)
		return EINVAL;

	return st->be->agent_get(st->ctx, login, h, arg);
}


int store_callback_create(struct store *st, const struct callback_new *req,
			  store_create_h *h, void *arg)
{
	if (!st || !req || !req->business || !req->phone || !h ||
	    !req->answerh)
		return EINVAL;

	return st->be->callback_create(st->ctx, req, h, arg);
}


int store_callback_get(struct store *st, const char *id, bool public_only,
		       store_callback_h *h, void *arg)
{
	if (!st || !id || !h)
		return EINVAL;

	return st->be->callback_get(st->ctx, id, public_only, h, arg);
}


int store_callback_cancel(struct store *st, const char *id,
			  const char *token_hash, store_callback_h *h,
			  void *arg)
{
	if (!st || !id || !token_hash || !h)
		return EINVAL;

	return st->be->callback_cancel(st->ctx, id, token_hash, h, arg);
}


int store_intake_since(struct store *st, int64_t since, store_intake_h *h,
		       void *arg)
{
	if (!st || !h)
		return EINVAL;

	return st->be->intake_since(st->ctx, since, h, arg);
}


static void business_destructor(void *arg)
{
	struct business *b = arg;

	mem_deref(b->id);
	mem_deref(b->name);
	mem_deref(b->timezone);
	mem_deref(b->origins);
	mem_deref(b->allowed_countries);
	mem_deref(b->deny_prefixes);
	mem_deref(b->agent_keys);
}


int business_alloc(struct business **bp)
{
	struct business *b;

	if (!bp)
		return EINVAL;

	b = mem_zalloc(sizeof(*b), business_destructor);
	if (!b)
		return ENOMEM;

	b->limit_phone_15min = -1;
	b->limit_phone_day = -1;
	b->limit_ip_minute = -1;

	*bp = b;

	return 0;
}


static void agent_destructor(void *arg)
{
	struct agent *a = arg;

	mem_deref(a->id);
	mem_deref(a->name);
	mem_deref(a->login);
	mem_deref(a->password_hash);
	mem_deref(a->role);
	mem_deref(a->businesses);
}


int agent_alloc(struct agent **ap)
{
	struct agent *a;

	if (!ap)
		return EINVAL;

	a = mem_zalloc(sizeof(*a), agent_destructor);
	if (!a)
		return ENOMEM;

	*ap = a;

	return 0;
}


static int dup_opt(char **dst, const char *src)
{
	*dst = NULL;

	return src ? str_dup(dst, src) : 0;
}


int business_dup(struct business **bp, const struct business *src)
{
	struct business *b;
	int err;

	if (!bp || !src)
		return EINVAL;

	err = business_alloc(&b);
	if (err)
		return err;

	*b = *src;
	err |= dup_opt(&b->id, src->id);
	err |= dup_opt(&b->name, src->name);
	err |= dup_opt(&b->timezone, src->timezone);
	err |= dup_opt(&b->origins, src->origins);
	err |= dup_opt(&b->allowed_countries, src->allowed_countries);
	err |= dup_opt(&b->deny_prefixes, src->deny_prefixes);
	err |= dup_opt(&b->agent_keys, src->agent_keys);
	if (err) {
		mem_deref(b);
		return ENOMEM;
	}

	*bp = b;

	return 0;
}
