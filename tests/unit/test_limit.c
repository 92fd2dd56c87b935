/*
 * The sliding-window limiter: counts, the Retry-After it computes, removal
 * of a request that did not count, and the sweep. The ban table: bans
 * after N failures, growing bans, and a size that never grows.
 */
#include <string.h>
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


static const struct limit_ban_conf BAN = {3, 60000, 1000, 4000};


TEST(limit_ban_grows)
{
	struct limit_ban *b = NULL;
	int64_t t = 5000000, left = 0;

	TEST_EQ_INT(limit_ban_alloc(&b, 16), 0);

	/* the third failure bans for 1 s; others are not touched */
	TEST_EQ_INT(limit_ban_fail(b, "ip|alice", t, &BAN), 0);
	TEST_EQ_INT(limit_ban_fail(b, "ip|alice", t + 1, &BAN), 0);
	TEST_ASSERT(!limit_ban_active(b, "ip|alice", t + 2, NULL));
	TEST_EQ_INT(limit_ban_fail(b, "ip|alice", t + 2, &BAN), 1000);
	TEST_ASSERT(limit_ban_active(b, "ip|alice", t + 502, &left));
	TEST_EQ_INT(left, 500);
	TEST_ASSERT(!limit_ban_active(b, "ip2|alice", t + 502, NULL));

	/* failures during a ban neither count nor lengthen it */
	TEST_EQ_INT(limit_ban_fail(b, "ip|alice", t + 600, &BAN), 0);
	TEST_ASSERT(!limit_ban_active(b, "ip|alice", t + 1002, NULL));

	/* the next bans: 2 s, 4 s, then 4 s (the most) */
	t += 2000;
	limit_ban_fail(b, "ip|alice", t, &BAN);
	limit_ban_fail(b, "ip|alice", t, &BAN);
	TEST_EQ_INT(limit_ban_fail(b, "ip|alice", t, &BAN), 2000);
	t += 2000;
	limit_ban_fail(b, "ip|alice", t, &BAN);
	limit_ban_fail(b, "ip|alice", t, &BAN);
	TEST_EQ_INT(limit_ban_fail(b, "ip|alice", t, &BAN), 4000);
	t += 4000;
	limit_ban_fail(b, "ip|alice", t, &BAN);
	limit_ban_fail(b, "ip|alice", t, &BAN);
	TEST_EQ_INT(limit_ban_fail(b, "ip|alice", t, &BAN), 4000);

	/* quiet for longer than the longest ban: afresh, 1 s */
	t += 4000 + 4001;
	limit_ban_fail(b, "ip|alice", t, &BAN);
	limit_ban_fail(b, "ip|alice", t, &BAN);
	TEST_EQ_INT(limit_ban_fail(b, "ip|alice", t, &BAN), 1000);

	/* failures further apart than the window do not add up */
	t += 1000;
	limit_ban_fail(b, "k", t, &BAN);
	limit_ban_fail(b, "k", t + 1, &BAN);
	TEST_EQ_INT(limit_ban_fail(b, "k", t + 60002, &BAN), 0);

	/* a success forgets failures, not past bans */
	limit_ban_clear(b, "k");
	limit_ban_fail(b, "k", t + 60003, &BAN);
	TEST_EQ_INT(limit_ban_fail(b, "k", t + 60004, &BAN), 0);
	TEST_EQ_INT(limit_ban_fail(b, "k", t + 60005, &BAN), 1000);
	t += 60005 + 1000;
	limit_ban_fail(b, "k", t, &BAN);
	limit_ban_clear(b, "k");
	limit_ban_fail(b, "k", t, &BAN);
	limit_ban_fail(b, "k", t, &BAN);
	TEST_EQ_INT(limit_ban_fail(b, "k", t, &BAN), 2000);

	mem_deref(b);

	return 0;
}


TEST(limit_ban_bounded)
{
	struct limit_ban *b = NULL;
	int64_t t = 5000000;
	char key[32], big[300];
	int i;

	TEST_EQ_INT(limit_ban_alloc(&b, 64), 0);

	/* a banned key, then 10,000 others that each fail once */
	limit_ban_fail(b, "banned", t, &BAN);
	limit_ban_fail(b, "banned", t, &BAN);
	TEST_EQ_INT(limit_ban_fail(b, "banned", t, &BAN), 1000);
	for (i = 0; i < 10000; i++) {
		re_snprintf(key, sizeof(key), "10.%u.%u.%u", i >> 16,
			    (i >> 8) & 255, i & 255);
		limit_ban_fail(b, key, t + 1, &BAN);
		TEST_ASSERT(limit_ban_keys(b) <= 64);
	}

	/* the table stayed at its size, and evicted the unbanned first */
	TEST_EQ_INT(limit_ban_keys(b), 64);
	TEST_ASSERT(limit_ban_active(b, "banned", t + 2, NULL));

	/* a long key is cut, not refused: it and its cut are one key */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	limit_ban_fail(b, big, t, &BAN);
	big[LIMIT_BAN_KEY_MAX] = '\0';
	limit_ban_fail(b, big, t, &BAN);
	big[LIMIT_BAN_KEY_MAX - 1] = '\0';
	TEST_EQ_INT(limit_ban_fail(b, big, t, &BAN), 1000);

	mem_deref(b);

	return 0;
}
