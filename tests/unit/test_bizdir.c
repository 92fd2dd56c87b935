/*
 * The directory of businesses (src/bizdir): a business set is found by
 * its id, parsed (hours, zone) once; setting it again replaces it; a zone
 * or hours it cannot read leave it open, in UTC, rather than lost.
 */
#include <string.h>
#include <re.h>
#include "util/util.h"
#include "store/store.h"
#include "hours/hours.h"
#include "tz/tz.h"
#include "bizdir/bizdir.h"
#include "test.h"


static struct business *business(const char *id, const char *tz,
				 const char *hours)
{
	struct business *b = NULL;

	if (store_obj_alloc((void **)&b, &store_businesses))
		return NULL;
	store_obj_set(b, &store_businesses, "id", id);
	store_obj_set(b, &store_businesses, "timezone", tz);
	store_obj_set(b, &store_businesses, "hours", hours);

	return b;
}


static bool count_h(const struct biz *bz, void *arg)
{
	(void)bz;
	++*(int *)arg;

	return false;
}


static bool named_h(const struct biz *bz, void *arg)
{
	return !strcmp(bz->b->id, arg);
}


TEST(bizdir_set_find_replace)
{
	struct bizdir *d = NULL;
	struct business *a, *a2, *z;
	const struct biz *bz;
	/* 2026-12-07 (a Monday) 12:00 UTC, 13:00 in Paris */
	const int64_t noon = 1796644800000LL;
	int n = 0;

	TEST_EQ_INT(bizdir_alloc(&d), 0);
	a = business("acme", "Europe/Paris", "mon-fri 09:00-17:00");
	a2 = business("acme", "UTC", "sat 10:00-12:00");
	z = business("zed", "Nowhere/Land", "gibberish");
	TEST_ASSERT(a && a2 && z);

	TEST_EQ_INT(bizdir_set(d, a), 0);
	TEST_EQ_INT(bizdir_set(d, z), 0);
	TEST_ASSERT(!bizdir_find(d, "acm", 3));
	bz = bizdir_find(d, "acme-x", 4);
	TEST_ASSERT(bz && bz->b != a);       /* a copy */
	TEST_EQ_STR(tz_name(bz->zone), "Europe/Paris");
	TEST_ASSERT(bz->hours && hours_is_open(bz->hours, bz->zone, noon));

	/* what could not be read leaves it open, in UTC, still there */
	bz = bizdir_find(d, "zed", 3);
	TEST_ASSERT(bz && !bz->zone && !bz->hours);

	/* set again: replaced, parsed anew */
	TEST_EQ_INT(bizdir_set(d, a2), 0);
	bz = bizdir_find(d, "acme", 4);
	TEST_EQ_STR(tz_name(bz->zone), "UTC");
	TEST_ASSERT(!hours_is_open(bz->hours, bz->zone, noon));
	TEST_ASSERT(bizdir_apply(d, count_h, &n) == NULL);
	TEST_EQ_INT(n, 2);
	TEST_ASSERT(bizdir_apply(d, named_h, "zed") ==
		    bizdir_find(d, "zed", 3));
	TEST_EQ_INT(bizdir_set(d, NULL), EINVAL);

	mem_deref(a);
	mem_deref(a2);
	mem_deref(z);
	mem_deref(d);

	return 0;
}
