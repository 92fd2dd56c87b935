/*
 * The directory of businesses (bizdir.h): a hash by id of struct biz,
 * each with its hours and zone parsed when it is set.
 */
#include <errno.h>
#include <string.h>
#include <re.h>
#define LOG_SUBSYS "bizdir"
#include "util/util.h"
#include "store/store.h"
#include "hours/hours.h"
#include "tz/tz.h"
#include "bizdir/bizdir.h"

enum {
	BIZDIR_BUCKETS = 64,
};

struct bizdir {
	struct hash *h;
	struct tz_registry *tz;
};


static void bizdir_destructor(void *arg)
{
	struct bizdir *d = arg;

	hash_flush(d->h);
	mem_deref(d->h);
	mem_deref(d->tz);
}


int bizdir_alloc(struct bizdir **dp)
{
	struct bizdir *d;
	int err;

	if (!dp)
		return EINVAL;

	d = mem_zalloc(sizeof(*d), bizdir_destructor);
	if (!d)
		return ENOMEM;

	err = hash_alloc(&d->h, BIZDIR_BUCKETS);
	if (!err)
		err = tz_registry_alloc(&d->tz, NULL);
	if (err)
		mem_deref(d);
	else
		*dp = d;

	return err;
}


static void biz_destructor(void *arg)
{
	struct biz *bz = arg;

	hash_unlink(&bz->he);
	mem_deref(bz->b);
	mem_deref(bz->hours);
	mem_deref(bz->zone);
}


int bizdir_set(struct bizdir *d, const struct business *b)
{
	struct biz *bz;
	int err;

	if (!d || !b || !b->id)
		return EINVAL;

	bz = mem_zalloc(sizeof(*bz), biz_destructor);
	if (!bz)
		return ENOMEM;
	err = business_dup(&bz->b, b);
	if (err) {
		mem_deref(bz);
		return err;
	}

	/* both were checked before the record was stored: a failure here
	 * is a bug, and the business then stays open always, in UTC,
	 * rather than unusable */
	if (tz_get(d->tz, b->timezone, &bz->zone))
		log_warn("business %s: time zone %s not found", b->id,
			 b->timezone);
	else
		mem_ref(bz->zone);
	if (hours_parse(&bz->hours, b->hours, b->closed, NULL, 0))
		log_warn("business %s: opening hours not understood",
			 b->id);

	mem_deref(bizdir_find(d, b->id, strlen(b->id)));
	hash_append(d->h, hash_joaat_str(b->id), &bz->he, bz);

	return 0;
}


static bool id_cmp(struct le *le, void *arg)
{
	const struct biz *bz = le->data;

	return !pl_strcmp(arg, bz->b->id);
}


struct biz *bizdir_find(const struct bizdir *d, const char *id, size_t len)
{
	struct pl pid;
	struct le *le;

	if (!d || !id)
		return NULL;

	pid.p = id;
	pid.l = len;
	le = hash_lookup(d->h, hash_joaat((const uint8_t *)id, len), id_cmp,
			 &pid);

	return le ? le->data : NULL;
}


struct apply {
	bizdir_apply_h *h;
	void *arg;
};


static bool apply_h(struct le *le, void *arg)
{
	const struct apply *a = arg;

	return a->h(le->data, a->arg);
}


struct biz *bizdir_apply(const struct bizdir *d, bizdir_apply_h *h,
			 void *arg)
{
	struct apply a = {h, arg};
	struct le *le;

	if (!d || !h)
		return NULL;

	le = hash_apply(d->h, apply_h, &a);

	return le ? le->data : NULL;
}


struct tz_registry *bizdir_tz(const struct bizdir *d)
{
	return d ? d->tz : NULL;
}
