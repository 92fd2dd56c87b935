/*
 * An order-statistic treap: a binary search tree whose nodes also carry
 * a random heap priority (which keeps it balanced, expected depth
 * O(log n), whatever the order of inserts) and their subtree's size
 * (which makes "how many come before this one" a walk from the root).
 * The ACD keeps its queued callbacks in one, so that a callback's place
 * in its business's queue costs O(log n) at any queue length, and stays
 * exact as callbacks come and go: a node is in the tree exactly while
 * its callback is queued.
 *
 * Nodes are embedded in their owner's object; the tree owns nothing.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "acd/acd_int.h"


static uint32_t size_of(const struct rank_node *n)
{
	return n ? n->size : 0;
}


static void resize(struct rank_node *n)
{
	n->size = 1 + size_of(n->l) + size_of(n->r);
}


/* xorshift32: the balance needs spread, not secrecy */
static uint32_t next_prio(struct rank_tree *t)
{
	uint32_t x = t->seed ? t->seed : 2463534242u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	t->seed = x;

	return x;
}


/* Split n into the nodes before x (*lp) and the others (*rp); with
 * incl, x itself goes left. */
static void split(struct rank_node *n, const struct rank_node *x,
		  rank_cmp_h *cmp, bool incl, struct rank_node **lp,
		  struct rank_node **rp)
{
	int c;

	if (!n) {
		*lp = *rp = NULL;
		return;
	}

	c = cmp(n, x);
	if (c < 0 || (incl && c == 0)) {
		split(n->r, x, cmp, incl, &n->r, rp);
		*lp = n;
	}
	else {
		split(n->l, x, cmp, incl, lp, &n->l);
		*rp = n;
	}
	resize(n);
}


/* Every node of l comes before every node of r. */
static struct rank_node *merge(struct rank_node *l, struct rank_node *r)
{
	if (!l || !r)
		return l ? l : r;

	if (l->prio > r->prio) {
		l->r = merge(l->r, r);
		resize(l);
		return l;
	}

	r->l = merge(l, r->l);
	resize(r);

	return r;
}


void rank_insert(struct rank_tree *t, struct rank_node *x)
{
	struct rank_node *l, *r;

	x->l = x->r = NULL;
	x->size = 1;
	x->prio = next_prio(t);

	split(t->root, x, t->cmp, false, &l, &r);
	t->root = merge(merge(l, x), r);
}


void rank_remove(struct rank_tree *t, struct rank_node *x)
{
	struct rank_node *l, *m, *r;

	split(t->root, x, t->cmp, false, &l, &r);
	split(r, x, t->cmp, true, &m, &r);
	/* m is x alone: keys are unique */
	t->root = merge(l, r);
	x->l = x->r = NULL;
	x->size = 0;
	(void)m;
}


uint32_t rank_before(const struct rank_tree *t, rank_probe_h *probe,
		     const void *arg)
{
	const struct rank_node *n = t->root;
	uint32_t k = 0;

	/* the nodes probe puts before form a prefix of the order */
	while (n) {
		if (probe(n, arg) < 0) {
			k += size_of(n->l) + 1;
			n = n->r;
		}
		else {
			n = n->l;
		}
	}

	return k;
}


uint32_t rank_count(const struct rank_tree *t)
{
	return size_of(t->root);
}
