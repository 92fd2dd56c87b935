/*
 * The sliding-window limiter: counts, the Retry-After it computes, removal
 * of a request that did not count, and the sweep.
 */
#include <re.h>
#include "limit/limit.h"
#include "test.h"

enum { MIN = 60000, Q = 15 * 60000, DAY = 86400000 };


TEST(limit_window_and_retry)
{
	struct limit *l = NULL;
	int64_t retry = 0, t0 = 1000000000;
	int i;

	TEST_EQ_INT(limit_alloc(&l, DAY), 0);

	/* 5 per 15 minutes: requests at t0, t0+1m, ..., t0+4m */
	for (i = 0; i < 5; i++) {
		TEST_ASSERT(!limit_exceeded(l, "k", t0 + i * MIN, Q, 5,
					    &retry));
		TEST_EQ_INT(limit_add(l, "k", t0 + i * MIN), 0);
	}

	/* the sixth, at t0+5m, waits until the first leaves: t0+15m */
	TEST_ASSERT(limit_exceeded(l, "k", t0 + 5 * MIN, Q, 5, &retry));
	TEST_EQ_INT(retry, 10 * MIN);

	/* just after t0+15m one slot is free */
	TEST_ASSERT(!limit_exceeded(l, "k", t0 + Q + 1, Q, 5, &retry));
	TEST_EQ_INT(limit_count(l, "k", t0 + Q + 1, Q), 4);

	/* other keys are independent; max 0 means unlimited */
	TEST_ASSERT(!limit_exceeded(l, "other", t0, Q, 5, &retry));
	TEST_ASSERT(!limit_exceeded(l, "k", t0 + 5 * MIN, Q, 0, &retry));

	/* a day window still sees all five */
	TEST_EQ_INT(limit_count(l, "k", t0 + Q + 1, DAY), 5);

	mem_deref(l);

	return 0;
}


TEST(limit_retry_with_more_than_max)
{
	struct limit *l = NULL;
	int64_t retry = 0, t0 = 5000000;
	int i;

	TEST_EQ_INT(limit_alloc(&l, DAY), 0);

	/* 4 requests (e.g. counted before the limit was lowered to 2) */
	for (i = 0; i < 4; i++)
		TEST_EQ_INT(limit_add(l, "k", t0 + i * 1000), 0);

	/* with max 2, three must leave: the third one leaves at t0+2s+1m */
	TEST_ASSERT(limit_exceeded(l, "k", t0 + 4000, MIN, 2, &retry));
	TEST_EQ_INT(retry, 2000 + MIN - 4000);

	mem_deref(l);

	return 0;
}


TEST(limit_remove_and_sweep)
{
	struct limit *l = NULL;
	int64_t t0 = 7000000;

	TEST_EQ_INT(limit_alloc(&l, MIN), 0);

	TEST_EQ_INT(limit_add(l, "a", t0), 0);
	TEST_EQ_INT(limit_add(l, "a", t0 + 10), 0);
	TEST_EQ_INT(limit_add(l, "b", t0 + 20), 0);
	/* out of order insert still counts */
	TEST_EQ_INT(limit_add(l, "a", t0 + 5), 0);
	TEST_EQ_INT(limit_count(l, "a", t0 + 30, MIN), 3);

	limit_remove(l, "a", t0 + 10);
	TEST_EQ_INT(limit_count(l, "a", t0 + 30, MIN), 2);

	/* everything is older than the horizon one minute later */
	TEST_EQ_INT(limit_sweep(l, t0 + 15 + MIN), 1);
	TEST_EQ_INT(limit_count(l, "a", t0 + 15 + MIN, DAY), 0);
	TEST_EQ_INT(limit_count(l, "b", t0 + 15 + MIN, DAY), 1);
	TEST_EQ_INT(limit_sweep(l, t0 + 30 + MIN), 0);

	mem_deref(l);

	return 0;
}


TEST(limit_many_keys)
{
	struct limit *l = NULL;
	char key[32];
	int i;

	TEST_EQ_INT(limit_alloc(&l, DAY), 0);

	/* enough keys to make the table grow twice; all still found */
	for (i = 0; i < 20000; i++) {
		re_snprintf(key, sizeof(key), "demo|+1415%07d", i);
		TEST_EQ_INT(limit_add(l, key, 1000 + i), 0);
	}
	for (i = 0; i < 20000; i += 7) {
		re_snprintf(key, sizeof(key), "demo|+1415%07d", i);
		TEST_EQ_INT(limit_count(l, key, 30000, DAY), 1);
	}
	TEST_EQ_INT(limit_sweep(l, 1000 + DAY + 9999), 10000);

	mem_deref(l);

	return 0;
}
