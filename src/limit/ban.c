/*
 * limit_ban: a fixed array of entries, a hash over their keys, and a
 * least-recently-used list (head: oldest) that says which entry a new
 * key takes once the array is full. Nothing is allocated after
 * limit_ban_alloc, whatever the traffic.
 */
#include <errno.h>
#include <string.h>
#include <re.h>
#include "util/util.h"
#include "limit/limit.h"

enum {
	EVICT_SCAN = 8,   /* oldest entries looked at for an unbanned one */
	BUCKETS_MAX = 1 << 20,
};

struct bentry {
	struct le he;     /* b->keys */
	struct le le;     /* b->lru */
	uint32_t hk;
	char key[LIMIT_BAN_KEY_MAX];
	uint32_t fails;   /* counted since first */
	int64_t first;
	int64_t until;    /* end of the last ban (0: never banned) */
	uint32_t level;   /* bans so far: the next lasts ban_ms << level */
};

struct limit_ban {
	struct bentry *v;
	uint32_t size;
	uint32_t used;
	struct hash *keys;
	struct list lru;
};


static void ban_destructor(void *arg)
{
	struct limit_ban *b = arg;

	/* the entries are not objects of their own: unlink, do not free */
	hash_clear(b->keys);
	mem_deref(b->keys);
	list_clear(&b->lru);
	mem_deref(b->v);
}


int limit_ban_alloc(struct limit_ban **bp, uint32_t size)
{
	struct limit_ban *b;
	uint32_t buckets = 16;
	int err;

	if (!bp || !size)
		return EINVAL;

	b = mem_zalloc(sizeof(*b), ban_destructor);
	if (!b)
		return ENOMEM;

	/* about one key a bucket; libre wants a power of two */
	while (buckets < size && buckets < BUCKETS_MAX)
		buckets *= 2;

	b->size = size;
	b->v = mem_zalloc(size * sizeof(*b->v), NULL);
	err = b->v ? hash_alloc(&b->keys, buckets) : ENOMEM;
	if (err)
		mem_deref(b);
	else
		*bp = b;

	return err;
}


static bool key_cmp(struct le *le, void *arg)
{
	const struct bentry *e = le->data;

	return !strcmp(e->key, arg);
}


static struct bentry *find(struct limit_ban *b, const char *key)
{
	char k[LIMIT_BAN_KEY_MAX];
	struct bentry *e;

	str_bcpy(k, key, sizeof(k));
	e = list_ledata(hash_lookup(b->keys, hash_joaat_str(k), key_cmp, k));
	if (e) {
		list_unlink(&e->le);
		list_append(&b->lru, &e->le, e);
	}

	return e;
}


/* A free entry, or the oldest unbanned of the first few, or the oldest. */
static struct bentry *evict(struct limit_ban *b, int64_t now)
{
	struct bentry *e = NULL;
	struct le *le;
	unsigned i = 0;

	if (b->used < b->size)
		return &b->v[b->used++];

	for (le = b->lru.head; le && i < EVICT_SCAN; le = le->next, i++) {
		if (((struct bentry *)le->data)->until <= now) {
			e = le->data;
			break;
		}
	}
	if (!e)
		e = b->lru.head->data;

	hash_unlink(&e->he);
	list_unlink(&e->le);
	memset(e, 0, sizeof(*e));

	return e;
}


static struct bentry *find_or_add(struct limit_ban *b, const char *key,
				  int64_t now)
{
	struct bentry *e = find(b, key);

	if (e)
		return e;

	e = evict(b, now);
	str_bcpy(e->key, key, sizeof(e->key));
	e->hk = hash_joaat_str(e->key);
	hash_append(b->keys, e->hk, &e->he, e);
	list_append(&b->lru, &e->le, e);

	return e;
}


bool limit_ban_active(struct limit_ban *b, const char *key, int64_t now,
		      int64_t *left_ms)
{
	struct bentry *e;

	if (!b || !key)
		return false;

	e = find(b, key);
	if (!e || e->until <= now)
		return false;

	if (left_ms)
		*left_ms = e->until - now;

	return true;
}


static int64_t ban_length(const struct limit_ban_conf *conf, uint32_t level)
{
	int64_t ms = conf->ban_ms;

	while (level-- && ms < conf->ban_max_ms)
		ms *= 2;

	return ms < conf->ban_max_ms ? ms : conf->ban_max_ms;
}


int64_t limit_ban_fail(struct limit_ban *b, const char *key, int64_t now,
		       const struct limit_ban_conf *conf)
{
	struct bentry *e;
	int64_t ms;

	if (!b || !key || !conf || !conf->fails)
		return 0;

	e = find_or_add(b, key, now);
	if (e->until > now)
		return 0;

	if (e->until && now - e->until > conf->ban_max_ms)
		e->level = 0;

	if (!e->fails || now - e->first > conf->window_ms) {
		e->fails = 0;
		e->first = now;
	}

	if (++e->fails < conf->fails)
		return 0;

	ms = ban_length(conf, e->level);
	e->level++;
	e->until = now + ms;
	e->fails = 0;

	return ms;
}


void limit_ban_clear(struct limit_ban *b, const char *key)
{
	struct bentry *e;

	if (!b || !key)
		return;

	e = find(b, key);
	if (!e)
		return;

	e->fails = 0;
}


uint32_t limit_ban_keys(const struct limit_ban *b)
{
	return b ? b->used : 0;
}
