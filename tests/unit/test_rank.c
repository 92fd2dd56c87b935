/*
 * The ACD's order-statistic treap (src/acd/rank.c) against a sorted
 * array: random inserts and removals, and after each the rank of every
 * node and the count before a key that is not in the tree.
 */
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "acd/acd_int.h"
#include "test.h"

enum { NKEYS = 600, STEPS = 3000 };

struct item {
	struct rank_node rn;       /* first: the item is the node */
	int key;
	bool in;
};


static int item_cmp(const struct rank_node *a, const struct rank_node *b)
{
	const struct item *x = (const struct item *)(const void *)a;
	const struct item *y = (const struct item *)(const void *)b;

	return x->key < y->key ? -1 : x->key > y->key;
}


static int before_key(const struct rank_node *n, const void *arg)
{
	const struct item *x = (const struct item *)(const void *)n;
	int k = *(const int *)arg;

	return x->key < k ? -1 : x->key > k;
}


static int before_item(const struct rank_node *n, const void *arg)
{
	return item_cmp(n, arg);
}


TEST(rank_matches_a_sorted_array)
{
	static struct item items[NKEYS];
	struct rank_tree t = {NULL, item_cmp, 12345};
	unsigned seed = 1;
	size_t i, step, in = 0;

	for (i = 0; i < NKEYS; i++) {
		memset(&items[i], 0, sizeof(items[i]));
		items[i].key = (int)i * 2;  /* odd keys are never in */
	}

	for (step = 0; step < STEPS; step++) {
		struct item *it;
		int probe;
		uint32_t want = 0;

		seed = seed * 1103515245u + 12345u;
		it = &items[(seed >> 8) % NKEYS];
		if (it->in)
			rank_remove(&t, &it->rn);
		else
			rank_insert(&t, &it->rn);
		it->in = !it->in;
		in += it->in ? 1 : (size_t)-1;
		TEST_EQ_INT(rank_count(&t), in);

		/* a node's rank is the number of keys in before it */
		for (i = 0; i < NKEYS; i++) {
			if (!items[i].in)
				continue;
			TEST_EQ_INT(rank_before(&t, before_item,
						&items[i].rn), want);
			++want;
		}

		/* and before a key not in the tree */
		probe = (int)((seed >> 4) % (2 * NKEYS)) | 1;
		want = 0;
		for (i = 0; i < NKEYS; i++)
			want += items[i].in && items[i].key < probe;
		TEST_EQ_INT(rank_before(&t, before_key, &probe), want);
	}

	return 0;
}
