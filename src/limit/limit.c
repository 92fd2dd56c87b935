/*
 * limit: a hash of keys, each with a small array of request times kept in
 * arrival order (the store's clock only moves forward in practice; an
 * out-of-order time is inserted in place so counts stay right anyway).
 */
#include <errno.h>
#include <string.h>
#include <re.h>
#include "util/util.h"
#include "limit/limit.h"

enum {
	BUCKETS_MIN = 1024,
	BUCKETS_MAX = 1 << 20,
};

struct limit {
	struct hash *keys;
	uint32_t bsize;
	int64_t horizon;
	uint32_t nkeys;
};

struct entry {
	struct le he;
	uint32_t hk;    /* hash_joaat_str(key): compared before the key */
	char *key;
	int64_t *t;     /* ascending */
	uint32_t n;
	uint32_t cap;
};


static void entry_destructor(void *arg)
{
	struct entry *e = arg;

	hash_unlink(&e->he);
	mem_deref(e->key);
	mem_deref(e->t);
}


static void limit_destructor(void *arg)
{
	struct limit *l = arg;

	hash_flush(l->keys);
	mem_deref(l->keys);
}


int limit_alloc(struct limit **lp, int64_t horizon_ms)
{
	struct limit *l;
	int err;

	if (!lp || horizon_ms <= 0)
		return EINVAL;

	l = mem_zalloc(sizeof(*l), limit_destructor);
	if (!l)
		return ENOMEM;

	l->horizon = horizon_ms;

	l->bsize = BUCKETS_MIN;
	err = hash_alloc(&l->keys, l->bsize);
	if (err)
		mem_deref(l);
	else
		*lp = l;

	return err;
}


struct probe {
	const char *key;
	uint32_t hk;
};


/* The hash first: most entries of a chain differ in it, and it spares
 * following the pointer to their key. */
static bool key_cmp(struct le *le, void *arg)
{
	const struct entry *e = le->data;
	const struct probe *pr = arg;

	return e->hk == pr->hk && !strcmp(e->key, pr->key);
}


static struct entry *entry_find(struct limit *l, const char *key,
				uint32_t hk)
{
	struct probe pr = {key, hk};
	struct le *le;

	le = hash_lookup(l->keys, hk, key_cmp, &pr);

	return le ? le->data : NULL;
}


/* Drop the times at or before cutoff. */
static void entry_prune(struct entry *e, int64_t cutoff)
{
	uint32_t i = 0;

	while (i < e->n && e->t[i] <= cutoff)
		i++;
	if (!i)
		return;

	memmove(e->t, e->t + i, (e->n - i) * sizeof(*e->t));
	e->n -= i;
}


static uint32_t entry_key(const void *data)
{
	const struct entry *e = data;

	return e->hk;
}


int limit_add(struct limit *l, const char *key, int64_t t)
{
	struct entry *e;
	uint32_t i, hk;

	if (!l || !key)
		return EINVAL;

	hk = hash_joaat_str(key);
	e = entry_find(l, key, hk);
	if (!e) {
		e = mem_zalloc(sizeof(*e), entry_destructor);
		if (!e || str_dup(&e->key, key)) {
			mem_deref(e);
			return ENOMEM;
		}
		e->hk = hk;
		hash_append(l->keys, hk, &e->he, e);
		/* one key per distinct phone number of the last day: the
		 * table grows to keep the lookup on the hot path short */
		hash_fit(&l->keys, &l->bsize, ++l->nkeys, BUCKETS_MAX,
			 entry_key);
	}

	entry_prune(e, t - l->horizon);

	if (e->n == e->cap) {
		uint32_t cap = e->cap ? e->cap * 2 : 4;
		int64_t *v = mem_reallocarray(e->t, cap, sizeof(*v), NULL);

		if (!v)
			return ENOMEM;
		e->t = v;
		e->cap = cap;
	}

	i = e->n;
	while (i > 0 && e->t[i - 1] > t) {
		e->t[i] = e->t[i - 1];
		i--;
	}
	e->t[i] = t;
	e->n++;

	return 0;
}


void limit_remove(struct limit *l, const char *key, int64_t t)
{
	struct entry *e;
	uint32_t i;

	if (!l || !key)
		return;

	e = entry_find(l, key, hash_joaat_str(key));
	if (!e)
		return;

	for (i = e->n; i-- > 0;) {
		if (e->t[i] == t) {
			memmove(e->t + i, e->t + i + 1,
				(e->n - i - 1) * sizeof(*e->t));
			e->n--;
			break;
		}
	}

	if (!e->n) {
		mem_deref(e);
		l->nkeys--;
	}
}


uint32_t limit_count(struct limit *l, const char *key, int64_t now,
		     int64_t window_ms)
{
	struct entry *e;
	uint32_t i, n = 0;

	if (!l || !key)
		return 0;

	e = entry_find(l, key, hash_joaat_str(key));
	if (!e)
		return 0;

	for (i = e->n; i-- > 0 && e->t[i] > now - window_ms;)
		n++;

	return n;
}


bool limit_exceeded(struct limit *l, const char *key, int64_t now,
		    int64_t window_ms, int64_t max, int64_t *retry_ms)
{
	struct entry *e;
	uint32_t n;

	if (!l || !key || max <= 0)
		return false;

	n = limit_count(l, key, now, window_ms);
	if ((int64_t)n < max)
		return false;

	/*
	 * The window holds n >= max requests; one more is allowed once
	 * n - max + 1 of them have left it, i.e. when the (n - max)-th
	 * oldest inside the window is older than window_ms.
	 */
	if (retry_ms) {
		e = entry_find(l, key, hash_joaat_str(key));
		*retry_ms = e ? e->t[e->n - n + (n - (uint32_t)max)] +
				window_ms - now : window_ms;
		if (*retry_ms < 1)
			*retry_ms = 1;
	}

	return true;
}


struct sweep {
	int64_t cutoff;
	uint32_t left;
};


static bool sweep_handler(struct le *le, void *arg)
{
	struct entry *e = le->data;
	struct sweep *sw = arg;

	/* safe: list_apply has already stepped past this element */
	entry_prune(e, sw->cutoff);
	if (e->n)
		sw->left++;
	else
		mem_deref(e);

	return false;
}


uint32_t limit_sweep(struct limit *l, int64_t now)
{
	struct sweep sw;

	if (!l)
		return 0;

	sw.cutoff = now - l->horizon;
	sw.left = 0;
	hash_apply(l->keys, sweep_handler, &sw);
	l->nkeys = sw.left;

	return sw.left;
}
